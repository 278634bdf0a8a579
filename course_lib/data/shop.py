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

The simulator in files: ``shop_config.py`` (categories, regions, scenarios,
every knob: :class:`~course_lib.data.shop_config.ShopConfig`),
``shop_population.py`` (users and items), ``shop_drift.py`` (the drift
timeline), ``shop_world.py`` (what :func:`simulate` returns:
:class:`~course_lib.data.shop_world.ShopData` and its
:class:`~course_lib.data.shop_world.ShopTruth`, and how a rating is made) and
this module, the core: one day after another, views, carts, purchases and
ratings.  ``shop_save.py`` writes a world to disk, ``shop_files.py`` reads it.

Command line (regenerates the shipped files, see ``datasets/README.md``)::

    course shop --out datasets

(``python -m course_lib.data.shop`` is the same command.)

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
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from course_lib.data.errors import DatasetError
from course_lib.data.shop_config import (
    _START_TS,
    BASE_CATEGORY_SHARE,
    CATEGORIES,
    DEFAULT_SEED,
    SCENARIOS,
    make_config,
)
from course_lib.data.shop_drift import make_timeline
from course_lib.data.shop_population import make_items, make_users
from course_lib.data.shop_save import save_shop
from course_lib.data.shop_world import (
    ShopData,
    ShopTruth,
    expected_rating_from_mu,
    views_from_interactions,
)
from course_lib.foundations.activations import sigmoid

__all__ = ["simulate"]  # main(argv) is the command line (`course shop`, `python -m ...`)

_HOUR_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 7, 6, 5, 5, 6, 7, 8, 9, 10, 10, 7, 4], dtype=float
)


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
    users, u_lat = make_users(cfg, rng)
    items, i_lat = make_items(cfg, rng)
    timeline, traffic, drift_events = make_timeline(cfg)
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
        logits = (
            np.log(BASE_CATEGORY_SHARE)
            + np.log(truth._demand[d])
            + 0.8 * (taste[u_pos] + truth._expected[d, region[u_pos]])
        )
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
            if wc.sum() == 0:  # nothing of this category on sale yet: pick any live item
                cand, wc = np.flatnonzero(live), weight[live]
            i_pos[rows] = cand[rng.choice(cand.size, size=rows.size, p=wc / wc.sum())]
        promo_p = 0.4 if traffic[d] > 1 else 0.2
        discount = np.where(rng.random(n_v) < promo_p, rng.choice([0.1, 0.2, 0.3], n_v), 0.0)
        second = rng.choice(24, size=n_v, p=hour_p) * 3600 + rng.integers(0, 3600, n_v)
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
    p_cart = sigmoid(np.log(p_buy / (1 - p_buy)) + 1.2)
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
    view_truth = pd.DataFrame(
        {"purchase_prob": np.round(p_buy, 4), "expected_rating": np.round(exp_rating, 4)}
    )
    ev = [
        ("view", np.ones(n_v, bool), view_ts, 0),
        ("cart", carted, cart_ts, 1),
        ("purchase", purchased, buy_ts, 2),
    ]
    inter = pd.DataFrame(
        {
            "user_id": np.concatenate([user_id[m] for _, m, _, _ in ev]),
            "item_id": np.concatenate([item_id[m] for _, m, _, _ in ev]),
            "event": np.concatenate([np.full(m.sum(), name) for name, m, _, _ in ev]),
            "price": np.concatenate([price[m] for _, m, _, _ in ev]),
            "timestamp": np.concatenate([ts[m] for _, m, ts, _ in ev]),
            "view_id": np.concatenate([view_id[m] for _, m, _, _ in ev]),
            "discount": np.concatenate([discount[m] for _, m, _, _ in ev]),
            "rank": np.concatenate([np.full(m.sum(), k) for _, m, _, k in ev]),
        }
    )
    inter = inter.iloc[
        np.lexsort(
            (inter["rank"].to_numpy(), inter["view_id"].to_numpy(), inter["timestamp"].to_numpy())
        )
    ]
    inter = inter.drop(columns="rank").reset_index(drop=True)
    inter.insert(5, "day", (inter["timestamp"].to_numpy() - _START_TS) // 86400)
    views = views_from_interactions(inter, items)

    # ratings: one per (user, item) -- a repeat purchase is not rated again
    r_idx = np.flatnonzero(rated)
    r_order = r_idx[np.lexsort((item_id[r_idx], user_id[r_idx], rate_ts[r_idx]))]
    first = ~pd.DataFrame({"u": user_id[r_order], "i": item_id[r_order]}).duplicated().to_numpy()
    r_order = r_order[first]
    ratings = pd.DataFrame(
        {
            "user_id": user_id[r_order],
            "item_id": item_id[r_order],
            "rating": rating[r_order].astype(float),
            "timestamp": rate_ts[r_order],
            "day": (rate_ts[r_order] - _START_TS) // 86400,
        }
    )
    rating_truth = pd.DataFrame({"expected_rating": np.round(exp_rating[r_order], 4)})

    shop = ShopData(
        ratings=ratings,
        users=users,
        items=items,
        rating_truth=rating_truth,
        interactions=inter,
        views=views,
        view_truth=view_truth,
        drift_events=drift_events,
        n_days=cfg.n_days,
        scenario=cfg.scenario,
        seed=cfg.seed,
        truth=truth,
        config=dataclasses.asdict(cfg),
    )
    return shop


def main(argv: list[str] | None = None) -> int:
    """``course shop --out datasets``: regenerate the shipped world.

    All or nothing: the new files are written to a temporary folder inside
    ``--out`` and swapped in at the end, so a failure leaves the previous
    world in ``--out`` byte for byte as it was.  Errors (a folder that cannot
    be written, a bad ``--seed``) are printed on one line and exit with
    status 2, like argparse's own errors.
    """
    parser = argparse.ArgumentParser(
        prog="course shop",
        description="Regenerate a ShopSim world (default: the shipped one, into datasets/); "
        "all or nothing.",
    )
    parser.add_argument("--out", default="datasets", help="folder to write (default: datasets)")
    parser.add_argument("--scenario", default="all", choices=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if not args.out.strip():
        parser.error("argument --out: empty; name the folder to write, e.g. --out datasets")

    t0 = time.perf_counter()
    try:
        shop = simulate(args.scenario, seed=args.seed)
        t1 = time.perf_counter()
        paths = save_shop(shop, args.out)
    except (DatasetError, OSError, ValueError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    t2 = time.perf_counter()
    print(
        f"{shop!r}\nsimulated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s to {args.out}/ "
        f"({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
