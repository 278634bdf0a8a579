"""The people and products of a ShopSim world: users with demographics, items with prices.

Part of the simulator (:func:`course_lib.data.shop.simulate`, explained in
chapter 05).  :func:`make_users` draws who signs up when, their age, income,
education and region, and their hidden tastes; :func:`make_items` draws what
launches when, its category, brand, quality and price, and its hidden
latent vector.  Both return ``(visible table, hidden table)``; the hidden
tables become ``shop.truth.users`` / ``shop.truth.items``.

Examples
--------
>>> from course_lib.data import make_config
>>> cfg = make_config("stable", seed=0, n_days=20, n_users=50, n_items=20)
>>> users, latent = make_users(cfg, np.random.default_rng(0))
>>> users.columns.tolist()
['age', 'income', 'education', 'region', 'signup_day']
>>> len(latent) == 50 and "taste_books" in latent.columns
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_lib.data.shop_config import BASE_CATEGORY_SHARE, CATEGORIES, REGIONS, ShopConfig

__all__: list[str] = []  # used by shop.simulate; not part of the course's API

# Category-level constants (order of CATEGORIES) of the generator.
_MEDIAN_PRICE = np.array([250.0, 45.0, 60.0, 55.0, 15.0, 25.0, 30.0, 8.0])
_CAT_APPEAL = np.array([0.05, -0.10, 0.10, 0.05, 0.25, 0.00, 0.10, 0.00])
# taste explained by demographics: columns (age_z, income_z, education - 1)
_DEMO = np.array(
    [
        [-0.45, 0.30, 0.10],  # electronics: young, richer
        [-0.45, 0.20, 0.00],  # fashion: young
        [0.45, 0.20, 0.00],  # home: older
        [-0.35, 0.05, 0.00],  # sports: young
        [0.30, -0.05, 0.45],  # books: older, educated
        [-0.20, 0.15, 0.00],  # beauty
        [-0.25, 0.00, 0.00],  # toys (plus a parents' bump around age 36)
        [0.30, -0.30, -0.10],  # grocery: older, thriftier
    ]
)


def _round_floats(df: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """Round the hidden parameters once, so the shipped files hold them exactly."""
    cols = df.select_dtypes("float").columns
    df[cols] = df[cols].round(decimals)
    return df


def make_users(cfg: ShopConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(users, hidden user parameters)``: demographics, sign-up days, tastes, latent z."""
    n = cfg.n_users
    n0 = max(1, round(n * cfg.initial_user_frac))
    signup = np.concatenate(
        [np.zeros(n0, dtype=int), np.sort(rng.integers(1, cfg.n_days, size=n - n0))]
    )
    age = np.clip(np.round(rng.normal(38, 12, n)), 18, 80).astype(int)
    p_edu = np.array([0.35, 0.40, 0.18, 0.07])
    edu = rng.choice(4, size=n, p=p_edu)
    log_inc = (
        np.log(32.0)
        + 0.22 * edu
        + 0.012 * (age - 40)
        - 0.0004 * (age - 47) ** 2
        + rng.normal(0, 0.35, n)
    )
    income = np.round(np.exp(log_inc), 1)
    region = rng.choice(len(REGIONS), size=n, p=[0.3, 0.25, 0.25, 0.2])
    users = pd.DataFrame(
        {
            "age": age,
            "income": income,
            "education": edu,
            "region": np.array(REGIONS)[region],
            "signup_day": signup,
        },
        index=pd.RangeIndex(1, n + 1, name="user_id"),
    )
    age_z = (age - 40) / 13.0
    inc_z = (np.log(income) - np.log(32.0)) / 0.45
    demo = np.stack([age_z, inc_z, edu - 1.0], axis=1) @ _DEMO.T  # (n, 8)
    demo[:, CATEGORIES.index("toys")] += 0.7 * np.exp(-(((age - 36) / 7.0) ** 2))
    taste = _CAT_APPEAL + demo + rng.normal(0, 0.4, (n, len(CATEGORIES)))
    latent = pd.DataFrame(
        {
            "bias": rng.normal(0, 0.5, n),
            "region_idx": region,
            "price_sens": np.clip(0.8 - 0.35 * inc_z + rng.normal(0, 0.2, n), 0.0, None),
            "quality_weight": 0.9 + 0.25 * (edu - 1) + rng.normal(0, 0.15, n),
            "activity": rng.lognormal(0.0, 0.8, n),
        },
        index=users.index,
    )
    for c, name in enumerate(CATEGORIES):
        latent[f"taste_{name}"] = taste[:, c]
    z = rng.normal(0, 0.5, (n, cfg.latent_dim))
    for k in range(cfg.latent_dim):
        latent[f"z{k}"] = z[:, k]
    return users, _round_floats(latent)


def make_items(cfg: ShopConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(items, hidden item parameters)``: category, brand, price, quality, latent v."""
    n = cfg.n_items
    n0 = max(len(CATEGORIES), round(n * cfg.initial_item_frac))
    launch = np.concatenate(
        [np.zeros(n0, dtype=int), np.sort(rng.integers(1, cfg.n_days, size=n - n0))]
    )
    cat = rng.choice(len(CATEGORIES), size=n, p=BASE_CATEGORY_SHARE / BASE_CATEGORY_SHARE.sum())
    cat[: len(CATEGORIES)] = np.arange(len(CATEGORIES))  # every category on sale at day 0
    n_brands = 6
    brand_idx = rng.integers(0, n_brands, n)
    brand_quality = rng.beta(4, 3, (len(CATEGORIES), n_brands))
    quality = np.clip(brand_quality[cat, brand_idx] + rng.normal(0, 0.08, n), 0.0, 1.0)
    log_rel_price = 0.6 * (quality - 0.55) + rng.normal(0, 0.45, n)  # better costs more
    price = np.round(_MEDIAN_PRICE[cat] * np.exp(log_rel_price), 2)
    price = np.maximum(price, 0.99)
    brand = np.array(
        [f"{CATEGORIES[c][:3]}-{chr(65 + b)}" for c, b in zip(cat, brand_idx, strict=True)]
    )
    items = pd.DataFrame(
        {
            "category": np.array(CATEGORIES)[cat],
            "brand": brand,
            "price": price,
            "quality": np.round(quality, 3),
            "launch_day": launch,
        },
        index=pd.RangeIndex(1, n + 1, name="item_id"),
    )
    latent = pd.DataFrame(
        {
            "bias": rng.normal(0, 0.25, n),
            "cat_idx": cat,
            "quality_c": np.round(quality, 3) - 0.55,
            "log_rel_price": np.log(price / _MEDIAN_PRICE[cat]),
            "popularity": rng.lognormal(0.0, 1.1, n),
        },
        index=items.index,
    )
    v = rng.normal(0, 0.5, (n, cfg.latent_dim))
    for k in range(cfg.latent_dim):
        latent[f"v{k}"] = v[:, k]
    return items, _round_floats(latent)
