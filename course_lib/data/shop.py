"""ShopSim: a seeded, drifting e-commerce world whose ground truth we know.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``) and used by every
chapter after it.  A shop runs for ``n_days`` days.  Users (age, income,
education, region) sign up over time, items (category, brand, price, quality)
launch over time, and every day users *view* items, some views lead to a
*cart*, some carts to a *purchase*, and most purchases get a 1-5 *rating*.

Because we simulate the world, we also know what no real shop knows:

* the **true expected rating** of every rating event and the **true purchase
  probability** of every view (``shop.rating_truth``, ``shop.view_truth``);
* a **drift timeline** with exact change points (``shop.drift_events``):

  - ``seasonal``: a holiday period lifts the appeal of and demand for toys and
    electronics, then ends;
  - ``sudden``: one category's appeal drops on one day (a scandal, a recall);
  - ``gradual``: the users of one region move their taste from one category
    to another over several weeks;
  - cold start happens in every scenario: users and items keep arriving.

* the latent taste of every user and item (``shop.truth``), so the true
  expected rating of *any* (user, item, day) can be computed, not only of the
  logged ones.

Ground truth lives apart from what a model may see: never train on
``rating_truth``, ``view_truth`` or ``truth``; use them only to score.

How a rating is made
--------------------
A user ``u`` meets item ``i`` on day ``d``.  Their *score* is

    s = b_u + b_i + taste(u, category_i, d) + quality and price terms + z_u . v_i

where ``b_u`` is the user's leniency, ``b_i`` an item effect, ``taste`` a
part explained by age/income/education plus a personal part plus the drift of
that day, and ``z_u . v_i`` a latent match no feature explains.  The observed
rating is ``clip(round(mu + eps), 1, 5)`` with ``mu = 2.7 + s`` and
``eps ~ N(0, rating_noise)``; the *expected* rating is the exact mean of that
discrete distribution (not ``mu``: rounding and clipping pull it inwards).

Command line (regenerates the shipped files, see ``datasets/README.md``)::

    python -m course_lib.data.shop --out datasets

Examples
--------
>>> shop = simulate("stable", seed=1, n_days=20, n_users=200, n_items=60)
>>> shop.ratings.columns.tolist()
['user_id', 'item_id', 'rating', 'timestamp', 'day']
>>> bool(shop.ratings["timestamp"].is_monotonic_increasing)
True
>>> len(shop.rating_truth) == len(shop.ratings)
True
>>> simulate("all", seed=1, n_days=20, n_users=200, n_items=60).drift_events["kind"].tolist()
['gradual_start', 'gradual_end', 'sudden', 'seasonal_start', 'seasonal_end']
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BASE_CATEGORY_SHARE", "CATEGORIES", "REGIONS", "EDUCATION_LEVELS", "SCENARIOS", "DEFAULT_SEED",
           "START_DATE", "ShopConfig", "ShopData", "ShopTruth", "make_config", "simulate",
           "expected_rating_from_mu", "views_from_interactions", "main"]

CATEGORIES = ("electronics", "fashion", "home", "sports", "books", "beauty", "toys", "grocery")
REGIONS = ("north", "south", "east", "west")
EDUCATION_LEVELS = ("secondary", "bachelor", "master", "doctorate")  # users.education = 0..3
DEFAULT_SEED = 2024
START_DATE = "2024-07-01"          # day 0, 00:00 UTC; day 144 = 22 Nov, day 176 = 24 Dec
_START_TS = 1719792000             # 2024-07-01T00:00:00Z in Unix seconds
_DRIFTS = ("gradual", "sudden", "seasonal")
SCENARIOS = {"stable": (), "seasonal": ("seasonal",), "sudden": ("sudden",),
             "gradual": ("gradual",), "all": _DRIFTS}

# Category-level constants (order of CATEGORIES).
# BASE_CATEGORY_SHARE: how often each category is browsed before tastes, demand and
# drift act on it; part of the documented truth (datasets/README.md), read-only.
BASE_CATEGORY_SHARE = np.array([0.15, 0.18, 0.13, 0.11, 0.10, 0.11, 0.08, 0.14])
BASE_CATEGORY_SHARE.setflags(write=False)
_BASE_SHARE = BASE_CATEGORY_SHARE
_MEDIAN_PRICE = np.array([250.0, 45.0, 60.0, 55.0, 15.0, 25.0, 30.0, 8.0])
_CAT_APPEAL = np.array([0.05, -0.10, 0.10, 0.05, 0.25, 0.00, 0.10, 0.00])
# taste explained by demographics: columns (age_z, income_z, education - 1)
_DEMO = np.array([
    [-0.45, 0.30, 0.10],   # electronics: young, richer
    [-0.45, 0.20, 0.00],   # fashion: young
    [0.45, 0.20, 0.00],    # home: older
    [-0.35, 0.05, 0.00],   # sports: young
    [0.30, -0.05, 0.45],   # books: older, educated
    [-0.20, 0.15, 0.00],   # beauty
    [-0.25, 0.00, 0.00],   # toys (plus a parents' bump around age 36)
    [0.30, -0.30, -0.10],  # grocery: older, thriftier
])
_HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 7, 6, 5, 5, 6, 7, 8, 9,
                          10, 10, 7, 4], dtype=float)


@dataclass(frozen=True)
class ShopConfig:
    """Every knob of the simulator (defaults give the shipped world).

    Drift days left as ``None`` are placed at fixed fractions of ``n_days``
    (for 180 days: gradual 40-85, sudden 100, seasonal 144-176).
    """

    scenario: str = "all"
    seed: int = DEFAULT_SEED
    n_days: int = 180
    n_users: int = 3000
    n_items: int = 500
    initial_user_frac: float = 0.5      # users present on day 0; the rest arrive
    initial_item_frac: float = 0.7      # items on sale on day 0; the rest launch later
    views_per_user_day: float = 0.65    # mean logged views per signed-up user and day
    rating_prob: float = 0.8            # P(rating | purchase)
    rating_noise: float = 0.95          # sd of eps in rating = round(mu + eps)
    latent_dim: int = 4
    # drift: gradual migration of one region's taste
    gradual_start: int | None = None
    gradual_end: int | None = None
    gradual_region: str = "south"
    gradual_from: str = "books"
    gradual_to: str = "sports"
    gradual_amount: float = 1.5
    # drift: sudden drop of one category's appeal
    sudden_day: int | None = None
    sudden_category: str = "fashion"
    sudden_appeal: float = -1.4
    sudden_demand: float = 0.8
    sudden_awareness: float = 0.25     # share of the drop customers anticipate when choosing
    # drift: holiday season
    seasonal_start: int | None = None
    seasonal_end: int | None = None
    seasonal_categories: tuple = ("toys", "electronics")
    seasonal_appeal: float = 0.8
    seasonal_demand: float = 2.0
    seasonal_traffic: float = 1.3

    @property
    def drifts(self) -> tuple:
        """The drift kinds switched on by the scenario."""
        return SCENARIOS[self.scenario]


def make_config(scenario: str = "all", seed: int = DEFAULT_SEED, **overrides: Any) -> ShopConfig:
    """Validate ``scenario``, ``seed`` and overrides; resolve the drift days.

    >>> make_config("sudden", n_days=90).sudden_day
    50
    >>> make_config("weird")
    Traceback (most recent call last):
    ...
    ValueError: scenario='weird' is not a ShopSim scenario; use one of ['stable', 'seasonal', ...
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario={scenario!r} is not a ShopSim scenario; use one of "
                         f"{list(SCENARIOS)}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r}: pass a non-negative int, e.g. seed={DEFAULT_SEED}.")
    names = {f.name for f in dataclasses.fields(ShopConfig)} - {"scenario", "seed"}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f"simulate() got unknown override(s) {unknown}; the knobs are "
                        f"{sorted(names)}.")
    cfg = ShopConfig(scenario=scenario, seed=int(seed), **overrides)
    for name in ("n_days", "n_users", "n_items", "latent_dim"):
        value = getattr(cfg, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r}: must be a positive int.")
    if cfg.n_days < 14:
        raise ValueError(f"n_days={cfg.n_days}: simulate at least 14 days so drift fits in.")
    for name in ("initial_user_frac", "initial_item_frac", "rating_prob"):
        value = getattr(cfg, name)
        if not 0.0 < value <= 1.0:
            raise ValueError(f"{name}={value!r}: must be in (0, 1].")
    if cfg.rating_noise <= 0 or cfg.views_per_user_day <= 0:
        raise ValueError("rating_noise and views_per_user_day must be positive; got "
                         f"{cfg.rating_noise!r} and {cfg.views_per_user_day!r}.")
    for name in ("sudden_category", "gradual_from", "gradual_to"):
        if getattr(cfg, name) not in CATEGORIES:
            raise ValueError(f"{name}={getattr(cfg, name)!r}: use one of {list(CATEGORIES)}.")
    for cat in cfg.seasonal_categories:
        if cat not in CATEGORIES:
            raise ValueError(f"seasonal_categories contains {cat!r}; use names from "
                             f"{list(CATEGORIES)}.")
    if cfg.gradual_region not in REGIONS:
        raise ValueError(f"gradual_region={cfg.gradual_region!r}: use one of {list(REGIONS)}.")
    n = cfg.n_days
    defaults = {"gradual_start": round(n * 2 / 9), "gradual_end": round(n * 0.47),
                "sudden_day": round(n * 5 / 9), "seasonal_start": round(n * 0.8),
                "seasonal_end": min(n - 1, round(n * 0.98))}
    resolved = {k: (v if getattr(cfg, k) is None else getattr(cfg, k)) for k, v in defaults.items()}
    for name, value in resolved.items():
        if not isinstance(value, (int, np.integer)) or not 1 <= value < n:
            raise ValueError(f"{name}={value!r}: must be an int day in [1, n_days - 1] = "
                             f"[1, {n - 1}].")
    for a, b in (("gradual_start", "gradual_end"), ("seasonal_start", "seasonal_end")):
        if resolved[a] >= resolved[b]:
            raise ValueError(f"{a}={resolved[a]} must come before {b}={resolved[b]}.")
    return dataclasses.replace(cfg, **{k: int(v) for k, v in resolved.items()})


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), vectorised, no scipy needed."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def expected_rating_from_mu(mu: np.ndarray, noise: float) -> np.ndarray:
    """Exact mean of ``clip(round(mu + eps), 1, 5)`` with ``eps ~ N(0, noise**2)``.

    >>> np.round(expected_rating_from_mu(np.array([3.0, 5.0, 9.0]), 0.75), 3)
    array([3.   , 4.724, 5.   ])
    """
    mu = np.asarray(mu, dtype=float)
    # E[R] = 1 + sum_{k=1..4} P(mu + eps >= k + 0.5)
    out = np.ones_like(mu)
    for k in (1.5, 2.5, 3.5, 4.5):
        out += 0.5 * (1.0 - _erf((k - mu) / (noise * math.sqrt(2.0))))
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class ShopTruth:
    """The hidden state of a ShopSim world: latent tastes and the drift curves.

    ``users`` and ``items`` are indexed like ``shop.users`` / ``shop.items`` and
    hold the latent parameters (``bias``, ``taste_<category>``, ``z0..``,
    ``v0..``); ``timeline`` has, per day, region and category, the appeal shift
    (in rating points) and the demand multiplier caused by drift.
    """

    users: pd.DataFrame
    items: pd.DataFrame
    timeline: pd.DataFrame
    rating_noise: float
    mu0: float = 2.7

    def __post_init__(self) -> None:
        t = self.timeline
        self._n_days = int(t["day"].max()) + 1
        shape = (self._n_days, len(REGIONS), len(CATEGORIES))
        r = pd.Categorical(t["region"], categories=REGIONS).codes
        c = pd.Categorical(t["category"], categories=CATEGORIES).codes
        if np.any(r < 0) or np.any(c < 0) or len(t) != np.prod(shape):
            raise ValueError("ShopTruth: the timeline must have one row per day, region and "
                             "category, with names from REGIONS and CATEGORIES.")
        self._appeal = np.zeros(shape)
        self._appeal[t["day"].to_numpy(), r, c] = t["appeal"].to_numpy()
        self._expected = np.zeros(shape)
        self._expected[t["day"].to_numpy(), r, c] = t["expected_appeal"].to_numpy()
        demand = np.ones(shape)
        demand[t["day"].to_numpy(), r, c] = t["demand"].to_numpy()
        self._demand = demand[:, 0, :]

    def _user_pos(self, user_id) -> np.ndarray:
        return self.users.index.get_indexer(np.asarray(user_id))

    def _item_pos(self, item_id) -> np.ndarray:
        return self.items.index.get_indexer(np.asarray(item_id))

    def mu(self, user_id, item_id, day) -> np.ndarray:
        """Location ``mu`` of the rating distribution (before noise and rounding)."""
        up, ip = self._user_pos(user_id), self._item_pos(item_id)
        if np.any(up < 0) or np.any(ip < 0):
            raise KeyError("ShopTruth: some user_id/item_id are not in this world.")
        day = np.clip(np.broadcast_to(np.asarray(day, dtype=int), up.shape), 0, self._n_days - 1)
        u, it = self.users, self.items
        cat = it["cat_idx"].to_numpy()[ip]
        taste = u[[f"taste_{c}" for c in CATEGORIES]].to_numpy()[up, cat]
        region = u["region_idx"].to_numpy()[up]
        zcols = [c for c in u.columns if c.startswith("z")]
        vcols = [c for c in it.columns if c.startswith("v")]
        match = np.sum(u[zcols].to_numpy()[up] * it[vcols].to_numpy()[ip], axis=1)
        score = (u["bias"].to_numpy()[up] + it["bias"].to_numpy()[ip] + taste
                 + u["quality_weight"].to_numpy()[up] * it["quality_c"].to_numpy()[ip]
                 - 0.3 * u["price_sens"].to_numpy()[up] * it["log_rel_price"].to_numpy()[ip]
                 + match + self._appeal[day, region, cat])
        return self.mu0 + score

    def expected_rating(self, user_id, item_id, day) -> np.ndarray:
        """True expected rating (1..5) of each ``(user_id, item_id, day)`` triple."""
        return expected_rating_from_mu(self.mu(user_id, item_id, day), self.rating_noise)

    def purchase_prob(self, user_id, item_id, day, discount=0.0) -> np.ndarray:
        """True probability that a view of the item ends in a purchase."""
        up, ip = self._user_pos(user_id), self._item_pos(item_id)
        day = np.clip(np.broadcast_to(np.asarray(day, dtype=int), up.shape), 0, self._n_days - 1)
        cat = self.items["cat_idx"].to_numpy()[ip]
        region = self.users["region_idx"].to_numpy()[up]
        # customers choose on the appeal they *expect*, which may lag the experienced one
        mu = (self.mu(user_id, item_id, day) - self._appeal[day, region, cat]
              + self._expected[day, region, cat])
        logit = (-2.1 + 1.4 * (mu - self.mu0 - 0.4) + 4.0 * np.asarray(discount, dtype=float)
                 - 0.7 * self.users["price_sens"].to_numpy()[up]
                 * self.items["log_rel_price"].to_numpy()[ip])
        return _sigmoid(logit)


@dataclass
class ShopData:
    """One ShopSim world (or a real dataset mapped to the same schema).

    Attributes follow the course's ratings schema; see ``datasets/README.md``
    for every column.  ``rating_truth``, ``view_truth``, ``drift_events`` and
    ``truth`` are ground truth: score with them, never train on them.
    """

    ratings: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    rating_truth: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    views: pd.DataFrame | None = None
    view_truth: pd.DataFrame | None = None
    drift_events: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["day", "kind", "category", "region", "magnitude", "description"]))
    n_days: int = 0
    scenario: str = ""
    seed: int | None = None
    truth: ShopTruth | None = None
    config: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [f"scenario={self.scenario!r}", f"seed={self.seed}", f"n_days={self.n_days}",
                 f"ratings={len(self.ratings)}", f"users={len(self.users)}",
                 f"items={len(self.items)}"]
        if self.views is not None:
            parts.append(f"views={len(self.views)}")
        return f"ShopData({', '.join(parts)})"


# --------------------------------------------------------------------------- generation
def _round_floats(df: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """Round the hidden parameters once, so the shipped files hold them exactly."""
    cols = df.select_dtypes("float").columns
    df[cols] = df[cols].round(decimals)
    return df


def _make_users(cfg: ShopConfig, rng: np.random.Generator):
    n = cfg.n_users
    n0 = max(1, round(n * cfg.initial_user_frac))
    signup = np.concatenate([np.zeros(n0, dtype=int),
                             np.sort(rng.integers(1, cfg.n_days, size=n - n0))])
    age = np.clip(np.round(rng.normal(38, 12, n)), 18, 80).astype(int)
    p_edu = np.array([0.35, 0.40, 0.18, 0.07])
    edu = rng.choice(4, size=n, p=p_edu)
    log_inc = (np.log(32.0) + 0.22 * edu + 0.012 * (age - 40) - 0.0004 * (age - 47) ** 2
               + rng.normal(0, 0.35, n))
    income = np.round(np.exp(log_inc), 1)
    region = rng.choice(len(REGIONS), size=n, p=[0.3, 0.25, 0.25, 0.2])
    users = pd.DataFrame({"age": age, "income": income, "education": edu,
                          "region": np.array(REGIONS)[region], "signup_day": signup},
                         index=pd.RangeIndex(1, n + 1, name="user_id"))
    age_z = (age - 40) / 13.0
    inc_z = (np.log(income) - np.log(32.0)) / 0.45
    demo = np.stack([age_z, inc_z, edu - 1.0], axis=1) @ _DEMO.T          # (n, 8)
    demo[:, CATEGORIES.index("toys")] += 0.7 * np.exp(-(((age - 36) / 7.0) ** 2))
    taste = _CAT_APPEAL + demo + rng.normal(0, 0.4, (n, len(CATEGORIES)))
    latent = pd.DataFrame({"bias": rng.normal(0, 0.5, n), "region_idx": region,
                           "price_sens": np.clip(0.8 - 0.35 * inc_z + rng.normal(0, 0.2, n),
                                                 0.0, None),
                           "quality_weight": 0.9 + 0.25 * (edu - 1) + rng.normal(0, 0.15, n),
                           "activity": rng.lognormal(0.0, 0.8, n)}, index=users.index)
    for c, name in enumerate(CATEGORIES):
        latent[f"taste_{name}"] = taste[:, c]
    z = rng.normal(0, 0.5, (n, cfg.latent_dim))
    for k in range(cfg.latent_dim):
        latent[f"z{k}"] = z[:, k]
    return users, _round_floats(latent)


def _make_items(cfg: ShopConfig, rng: np.random.Generator):
    n = cfg.n_items
    n0 = max(len(CATEGORIES), round(n * cfg.initial_item_frac))
    launch = np.concatenate([np.zeros(n0, dtype=int),
                             np.sort(rng.integers(1, cfg.n_days, size=n - n0))])
    cat = rng.choice(len(CATEGORIES), size=n, p=_BASE_SHARE / _BASE_SHARE.sum())
    cat[:len(CATEGORIES)] = np.arange(len(CATEGORIES))        # every category on sale at day 0
    n_brands = 6
    brand_idx = rng.integers(0, n_brands, n)
    brand_quality = rng.beta(4, 3, (len(CATEGORIES), n_brands))
    quality = np.clip(brand_quality[cat, brand_idx] + rng.normal(0, 0.08, n), 0.0, 1.0)
    log_rel_price = 0.6 * (quality - 0.55) + rng.normal(0, 0.45, n)   # better costs more
    price = np.round(_MEDIAN_PRICE[cat] * np.exp(log_rel_price), 2)
    price = np.maximum(price, 0.99)
    brand = np.array([f"{CATEGORIES[c][:3]}-{chr(65 + b)}" for c, b in zip(cat, brand_idx)])
    items = pd.DataFrame({"category": np.array(CATEGORIES)[cat], "brand": brand,
                          "price": price, "quality": np.round(quality, 3), "launch_day": launch},
                         index=pd.RangeIndex(1, n + 1, name="item_id"))
    latent = pd.DataFrame({"bias": rng.normal(0, 0.25, n), "cat_idx": cat,
                           "quality_c": np.round(quality, 3) - 0.55,
                           "log_rel_price": np.log(price / _MEDIAN_PRICE[cat]),
                           "popularity": rng.lognormal(0.0, 1.1, n)}, index=items.index)
    v = rng.normal(0, 0.5, (n, cfg.latent_dim))
    for k in range(cfg.latent_dim):
        latent[f"v{k}"] = v[:, k]
    return items, _round_floats(latent)


def _make_timeline(cfg: ShopConfig):
    """Appeal shift (n_days, regions, categories), demand (n_days, cats), traffic, events."""
    n_days, n_r, n_c = cfg.n_days, len(REGIONS), len(CATEGORIES)
    appeal = np.zeros((n_days, n_r, n_c))
    surprise = np.zeros((n_days, n_r, n_c))     # the part of the appeal customers do not foresee
    demand = np.ones((n_days, n_c))
    traffic = np.ones(n_days)
    days = np.arange(n_days)
    events = []
    if "gradual" in cfg.drifts:
        s, e = cfg.gradual_start, cfg.gradual_end
        frac = np.clip((days - s) / (e - s), 0.0, 1.0)
        r = REGIONS.index(cfg.gradual_region)
        appeal[:, r, CATEGORIES.index(cfg.gradual_from)] -= cfg.gradual_amount * frac
        appeal[:, r, CATEGORIES.index(cfg.gradual_to)] += cfg.gradual_amount * frac
        what = (f"users in region {cfg.gradual_region!r} move their taste from "
                f"{cfg.gradual_from} to {cfg.gradual_to}")
        events += [(s, "gradual_start", f"{cfg.gradual_from}->{cfg.gradual_to}",
                    cfg.gradual_region, cfg.gradual_amount, f"{what} (starts; linear until day {e})"),
                   (e, "gradual_end", f"{cfg.gradual_from}->{cfg.gradual_to}",
                    cfg.gradual_region, cfg.gradual_amount, f"{what} (complete)")]
    if "sudden" in cfg.drifts:
        d, c = cfg.sudden_day, CATEGORIES.index(cfg.sudden_category)
        appeal[d:, :, c] += cfg.sudden_appeal
        surprise[d:, :, c] += (1.0 - cfg.sudden_awareness) * cfg.sudden_appeal
        demand[d:, c] *= cfg.sudden_demand
        events.append((d, "sudden", cfg.sudden_category, "all", cfg.sudden_appeal,
                       f"{cfg.sudden_category} loses appeal overnight ({cfg.sudden_appeal:+.2f} "
                       f"rating points; buyers foresee {cfg.sudden_awareness:.0%} of it; "
                       f"demand x{cfg.sudden_demand:g})"))
    if "seasonal" in cfg.drifts:
        s, e = cfg.seasonal_start, cfg.seasonal_end
        cats = [CATEGORIES.index(c) for c in cfg.seasonal_categories]
        for c in cats:
            appeal[s:e, :, c] += cfg.seasonal_appeal
            demand[s:e, c] *= cfg.seasonal_demand
        traffic[s:e] *= cfg.seasonal_traffic
        names = "+".join(cfg.seasonal_categories)
        events += [(s, "seasonal_start", names, "all", cfg.seasonal_appeal,
                    f"holiday season: {names} gain appeal ({cfg.seasonal_appeal:+.2f}) and demand "
                    f"(x{cfg.seasonal_demand:g}); traffic x{cfg.seasonal_traffic:g}"),
                   (e, "seasonal_end", names, "all", -cfg.seasonal_appeal,
                    "holiday season ends: appeal and demand return to normal")]
    events.sort(key=lambda ev: ev[0])
    drift_events = pd.DataFrame(events, columns=["day", "kind", "category", "region",
                                                 "magnitude", "description"])
    drift_events["day"] = drift_events["day"].astype(int)
    drift_events["magnitude"] = drift_events["magnitude"].astype(float)
    dd, rr, cc = np.meshgrid(days, np.arange(n_r), np.arange(n_c), indexing="ij")
    timeline = pd.DataFrame({"day": dd.ravel(), "region": np.array(REGIONS)[rr.ravel()],
                             "category": np.array(CATEGORIES)[cc.ravel()],
                             "appeal": np.round(appeal.ravel(), 4),
                             "expected_appeal": np.round((appeal - surprise).ravel(), 4),
                             "demand": np.round(demand[dd.ravel(), cc.ravel()], 4),
                             "traffic": np.round(traffic[dd.ravel()], 4)})
    return timeline, traffic, drift_events


def simulate(scenario: str = "all", seed: int = DEFAULT_SEED, **overrides: Any) -> ShopData:
    """Simulate a shop and return its logs and ground truth.

    Parameters
    ----------
    scenario : {'stable', 'seasonal', 'sudden', 'gradual', 'all'}
        Which drifts are switched on (cold start happens in every scenario).
    seed : int
        Same seed, same world (bit for bit); a different seed, a different world.
    **overrides
        Any field of :class:`ShopConfig`, e.g. ``n_days=60``, ``n_users=500``,
        ``sudden_day=30``, ``sudden_category='books'``.

    Returns
    -------
    ShopData

    Examples
    --------
    >>> shop = simulate("sudden", seed=3, n_days=30, n_users=300, n_items=80)
    >>> shop
    ShopData(scenario='sudden', seed=3, n_days=30, ratings=..., users=300, items=80, views=...)
    >>> shop.drift_events[["day", "kind", "category"]].to_dict("records")
    [{'day': 17, 'kind': 'sudden', 'category': 'fashion'}]
    >>> sorted(set(shop.interactions["event"]))
    ['cart', 'purchase', 'view']
    """
    cfg = make_config(scenario, seed, **overrides)
    rng = np.random.default_rng(cfg.seed)
    users, u_lat = _make_users(cfg, rng)
    items, i_lat = _make_items(cfg, rng)
    timeline, traffic, drift_events = _make_timeline(cfg)
    truth = ShopTruth(users=u_lat, items=i_lat, timeline=timeline, rating_noise=cfg.rating_noise)

    signup = users["signup_day"].to_numpy()
    launch = items["launch_day"].to_numpy()
    activity = u_lat["activity"].to_numpy()
    region = u_lat["region_idx"].to_numpy()
    taste = u_lat[[f"taste_{c}" for c in CATEGORIES]].to_numpy()
    cat_of_item = i_lat["cat_idx"].to_numpy()
    popularity = i_lat["popularity"].to_numpy()
    hour_p = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()
    weekday0 = 0  # 2024-07-01 is a Monday

    chunks = []
    for d in range(cfg.n_days):
        active = np.flatnonzero(signup <= d)
        weekend = ((d + weekday0) % 7) >= 5
        rate = cfg.views_per_user_day * len(active) * traffic[d] * (1.15 if weekend else 1.0)
        n_v = int(rng.poisson(rate))
        if n_v == 0:
            continue
        # new users are curious: activity x2 in their first two weeks
        w = activity[active] * np.where(d - signup[active] < 14, 2.0, 1.0)
        u_pos = active[rng.choice(len(active), size=n_v, p=w / w.sum())]
        # category: what the user likes (taste + drift) and what the shop pushes (demand)
        logits = (np.log(_BASE_SHARE) + np.log(truth._demand[d])
                  + 0.8 * (taste[u_pos] + truth._expected[d, region[u_pos]]))
        cat = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
        # item within the category: popularity, boosted while new (novelty decays in ~2 weeks)
        i_pos = np.empty(n_v, dtype=int)
        live = launch <= d
        weight = popularity * (1.0 + 3.0 * np.exp(-(d - launch) / 14.0)) * live
        for c in range(len(CATEGORIES)):
            rows = np.flatnonzero(cat == c)
            if rows.size == 0:
                continue
            cand = np.flatnonzero(cat_of_item == c)
            wc = weight[cand]
            if wc.sum() == 0:       # nothing of this category on sale yet: pick any live item
                cand, wc = np.flatnonzero(live), weight[live]
            i_pos[rows] = cand[rng.choice(cand.size, size=rows.size, p=wc / wc.sum())]
        promo_p = 0.4 if traffic[d] > 1 else 0.2
        discount = np.where(rng.random(n_v) < promo_p, rng.choice([0.1, 0.2, 0.3], n_v), 0.0)
        second = (rng.choice(24, size=n_v, p=hour_p) * 3600
                  + rng.integers(0, 3600, n_v))
        chunks.append((np.full(n_v, d), u_pos, i_pos, discount, second))

    day = np.concatenate([c[0] for c in chunks])
    u_pos = np.concatenate([c[1] for c in chunks])
    i_pos = np.concatenate([c[2] for c in chunks])
    discount = np.concatenate([c[3] for c in chunks])
    second = np.concatenate([c[4] for c in chunks])
    order = np.lexsort((i_pos, u_pos, second, day))
    day, u_pos, i_pos, discount, second = (a[order] for a in (day, u_pos, i_pos, discount, second))
    n_v = day.size
    user_id = users.index.to_numpy()[u_pos]
    item_id = items.index.to_numpy()[i_pos]

    mu = truth.mu(user_id, item_id, day)
    exp_rating = expected_rating_from_mu(mu, cfg.rating_noise)
    p_buy = truth.purchase_prob(user_id, item_id, day, discount)
    p_cart = _sigmoid(np.log(p_buy / (1 - p_buy)) + 1.2)
    carted = rng.random(n_v) < p_cart
    purchased = carted & (rng.random(n_v) < p_buy / p_cart)
    rated = purchased & (rng.random(n_v) < cfg.rating_prob)
    rating = np.clip(np.floor(mu + rng.normal(0, cfg.rating_noise, n_v) + 0.5), 1, 5)
    end = day * 86400 + 86399
    view_ts = _START_TS + day * 86400 + second
    cart_ts = np.minimum(view_ts + rng.integers(20, 900, n_v), _START_TS + end)
    buy_ts = np.minimum(cart_ts + rng.integers(30, 1800, n_v), _START_TS + end)
    rate_ts = np.minimum(buy_ts + rng.integers(600, 6 * 3600, n_v), _START_TS + end)

    list_price = items["price"].to_numpy()[i_pos]
    price = np.round(list_price * (1 - discount), 2)
    view_id = np.arange(1, n_v + 1)
    view_truth = pd.DataFrame({"purchase_prob": np.round(p_buy, 4),
                               "expected_rating": np.round(exp_rating, 4)})
    ev = [("view", np.ones(n_v, bool), view_ts, 0), ("cart", carted, cart_ts, 1),
          ("purchase", purchased, buy_ts, 2)]
    inter = pd.DataFrame({
        "user_id": np.concatenate([user_id[m] for _, m, _, _ in ev]),
        "item_id": np.concatenate([item_id[m] for _, m, _, _ in ev]),
        "event": np.concatenate([np.full(m.sum(), name) for name, m, _, _ in ev]),
        "price": np.concatenate([price[m] for _, m, _, _ in ev]),
        "timestamp": np.concatenate([ts[m] for _, m, ts, _ in ev]),
        "view_id": np.concatenate([view_id[m] for _, m, _, _ in ev]),
        "discount": np.concatenate([discount[m] for _, m, _, _ in ev]),
        "rank": np.concatenate([np.full(m.sum(), k) for _, m, _, k in ev]),
    })
    inter = inter.iloc[np.lexsort((inter["rank"].to_numpy(), inter["view_id"].to_numpy(),
                                   inter["timestamp"].to_numpy()))]
    inter = inter.drop(columns="rank").reset_index(drop=True)
    inter.insert(5, "day", (inter["timestamp"].to_numpy() - _START_TS) // 86400)
    views = views_from_interactions(inter, items)

    # ratings: one per (user, item) -- a repeat purchase is not rated again
    r_idx = np.flatnonzero(rated)
    r_order = r_idx[np.lexsort((item_id[r_idx], user_id[r_idx], rate_ts[r_idx]))]
    first = ~pd.DataFrame({"u": user_id[r_order], "i": item_id[r_order]}).duplicated().to_numpy()
    r_order = r_order[first]
    ratings = pd.DataFrame({"user_id": user_id[r_order], "item_id": item_id[r_order],
                            "rating": rating[r_order].astype(float),
                            "timestamp": rate_ts[r_order],
                            "day": (rate_ts[r_order] - _START_TS) // 86400})
    rating_truth = pd.DataFrame({"expected_rating": np.round(exp_rating[r_order], 4)})

    shop = ShopData(ratings=ratings, users=users, items=items, rating_truth=rating_truth,
                    interactions=inter, views=views, view_truth=view_truth,
                    drift_events=drift_events, n_days=cfg.n_days, scenario=cfg.scenario,
                    seed=cfg.seed, truth=truth,
                    config=dataclasses.asdict(cfg))
    return shop


def views_from_interactions(interactions: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One row per view with its outcome (``carted``, ``purchased``) and context.

    Context columns for the purchase chapter: ``discount`` (fraction off the
    list price), ``list_price``, ``category``, ``hour`` (0-23) and ``weekday``
    (0 = Monday).  Rows are in view order, aligned with ``shop.view_truth``.
    """
    inter = interactions
    views = inter.loc[inter["event"] == "view", ["view_id", "user_id", "item_id", "timestamp",
                                                  "day", "price", "discount"]]
    views = views.sort_values("view_id", kind="stable").reset_index(drop=True)
    vid = views["view_id"].to_numpy()
    for label, event in (("carted", "cart"), ("purchased", "purchase")):
        hit = inter.loc[inter["event"] == event, "view_id"].to_numpy()
        views[label] = np.isin(vid, hit).astype(int)
    views["category"] = items["category"].reindex(views["item_id"]).to_numpy()
    views["list_price"] = items["price"].reindex(views["item_id"]).to_numpy()
    sec = views["timestamp"].to_numpy() - _START_TS
    views["hour"] = (sec % 86400) // 3600
    views["weekday"] = (sec // 86400) % 7
    return views


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.data.shop --out datasets``: regenerate the shipped world.

    All or nothing: the new files are written to a temporary folder inside
    ``--out`` and swapped in at the end, so a failure leaves the previous
    world in ``--out`` byte for byte as it was.  Errors (a folder that cannot
    be written, a bad ``--seed``) are printed on one line and exit with
    status 2, like argparse's own errors.
    """
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.data.shop",
        description="Regenerate a ShopSim world (default: the shipped one, into datasets/); "
                    "all or nothing.")
    parser.add_argument("--out", default="datasets", help="folder to write (default: datasets)")
    parser.add_argument("--scenario", default="all", choices=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if not args.out.strip():
        parser.error("argument --out: empty; name the folder to write, e.g. --out datasets")
    from course_lib.data.datasets import DatasetError, save_shop  # the file format lives with the loader

    t0 = time.perf_counter()
    try:
        shop = simulate(args.scenario, seed=args.seed)
        t1 = time.perf_counter()
        paths = save_shop(shop, args.out)
    except (DatasetError, OSError, ValueError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    t2 = time.perf_counter()
    print(f"{shop!r}\nsimulated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s to {args.out}/ "
          f"({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
