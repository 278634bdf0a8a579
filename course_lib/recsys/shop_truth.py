"""Adaptors from a ShopSim world to chapter 11: the TRUE category and purchase probabilities.

Explained in chapter 11 (``notebooks/11_preference_tracking.ipynb``).  These
read the simulator's ground truth (``shop.truth``) to *score* trackers and
to give bandits a world to play in; nothing here is learned from data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import ArgumentTypeError, argument_error, check_int, check_number
from course_lib.core.validation import as_generator as _rng
from course_lib.data import BASE_CATEGORY_SHARE, CATEGORIES, REGIONS
from course_lib.foundations.activations import softmax

__all__ = ["shop_category_probs", "shop_purchase_table"]


def shop_category_probs(shop: Any, user_ids: ArrayLike, day: int) -> np.ndarray:
    """TRUE probability that each user's next view is in each category on ``day``.

    ShopSim picks the category of a view from ``softmax(log base share + log
    demand + 0.8 * (taste + expected drift))``; this recomputes it from the
    ground truth (``shop.truth``), to *score* trackers, never to train them.
    Columns follow ``course_lib.data.CATEGORIES``.
    """
    truth = shop.truth
    users = np.asarray(user_ids).ravel()
    pos = truth.users.index.get_indexer(users)
    if np.any(pos < 0):
        raise argument_error(
            "shop_category_probs",
            "user_ids",
            users,
            "ids of users in this world, some are not",
            "use ids from shop.users.index",
            exc=KeyError,
        )
    d = int(np.clip(check_number(day, "day", "shop_category_probs"), 0, shop.n_days - 1))
    cats = list(CATEGORIES)
    taste = truth.users[[f"taste_{c}" for c in cats]].to_numpy()[pos]
    region = truth.users["region_idx"].to_numpy()[pos]
    tl = truth.timeline[truth.timeline["day"] == d]
    exp_appeal = tl.pivot(index="region", columns="category", values="expected_appeal")
    exp_appeal = exp_appeal.reindex(index=list(REGIONS), columns=cats).to_numpy()
    demand = tl.groupby("category")["demand"].first().reindex(cats).to_numpy()
    logits = np.log(BASE_CATEGORY_SHARE) + np.log(demand) + 0.8 * (taste + exp_appeal[region])
    return softmax(logits, axis=1)


def _sample_items(
    items: pd.DataFrame, day: int, n_items: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n_items`` items on sale on ``day`` per category: (item ids, category codes)."""
    live = items["launch_day"].to_numpy() <= day
    item_cat = items["category"].to_numpy()
    chosen, codes = [], []
    for c, name in enumerate(CATEGORIES):
        cand = items.index.to_numpy()[live & (item_cat == name)]
        pick = cand if len(cand) <= n_items else rng.choice(cand, n_items, replace=False)
        chosen.append(pick)
        codes.append(np.full(len(pick), c))
    return np.concatenate(chosen), np.concatenate(codes)


def shop_purchase_table(
    shop: Any,
    segment_of_user: pd.Series,
    days: Sequence[int],
    n_users: int = 60,
    n_items: int = 25,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """TRUE mean purchase probability per (day, segment, category), shape (n_days, G, K).

    For each day, a sample of up to ``n_users`` signed-up users per segment is
    paired with up to ``n_items`` items on sale per category; the mean of
    ``shop.truth.purchase_prob`` over the pairs is the chance that "a user of
    this segment buys when shown this category".  (Drawing a user and then a
    purchase is the same as a coin with the mean probability, so a bandit over
    categories sees exactly these probabilities.)

    Parameters
    ----------
    segment_of_user : pandas.Series
        Segment label per user id (index: user_id), e.g. ``shop.users["region"]``.
    days : sequence of int
    """
    where = "shop_purchase_table"
    rng = _rng(seed, where)
    n_users = check_int(n_users, "n_users", where, minimum=1)
    n_items = check_int(n_items, "n_items", where, minimum=1)
    if not isinstance(segment_of_user, pd.Series):
        raise argument_error(
            where,
            "segment_of_user",
            segment_of_user,
            f"a pandas Series indexed by user_id, got {type(segment_of_user).__name__}",
            "e.g. shop.users['region']",
            exc=ArgumentTypeError,
        )
    n_cats = len(CATEGORIES)
    seg = segment_of_user.dropna()
    labels = sorted(seg.unique().tolist())
    users = shop.users
    out = np.zeros((len(days), len(labels), n_cats))
    for t, day in enumerate(days):
        it, ic = _sample_items(shop.items, day, n_items, rng)
        for g, label in enumerate(labels):
            pool = seg.index[(seg == label).to_numpy()]
            pool = pool[users.loc[pool, "signup_day"].to_numpy() <= day]
            if len(pool) == 0:
                raise argument_error(
                    where,
                    "days",
                    days,
                    f"days when every segment has users, but no user of segment "
                    f"{label!r} has signed up by day {day}",
                    "start later",
                )
            us = pool if len(pool) <= n_users else rng.choice(pool, n_users, replace=False)
            uu, ii = np.meshgrid(us, it, indexing="ij")
            p = shop.truth.purchase_prob(uu.ravel(), ii.ravel(), day).reshape(uu.shape).mean(0)
            out[t, g] = np.bincount(ic, weights=p, minlength=n_cats) / np.bincount(
                ic, minlength=n_cats
            )
    return out
