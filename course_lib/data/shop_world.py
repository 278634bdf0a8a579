"""A ShopSim world: its tables (:class:`ShopData`) and its hidden truth (:class:`ShopTruth`).

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  The simulator
(:func:`course_lib.data.shop.simulate`) and the file loader
(:func:`course_lib.data.shop_files.load_shop`) both build these; the MovieLens
loader fills :class:`ShopData` without a truth.

How a rating is made
--------------------
A user ``u`` meets item ``i`` on day ``d``.  Their *score* is

    s = b_u + b_i + taste(u, category_i, d) + quality and price terms + z_u . v_i

where ``b_u`` is the user's leniency, ``b_i`` an item effect, ``taste`` a
part explained by age/income/education plus a personal part plus the drift of
that day, and ``z_u . v_i`` a latent match no feature explains.  The observed
rating is ``clip(round(mu + eps), 1, 5)`` with ``mu = 2.7 + s`` and
``eps ~ N(0, rating_noise)``; the *expected* rating is the exact mean of that
discrete distribution (not ``mu``: rounding and clipping pull it inwards),
:func:`expected_rating_from_mu`.

Examples
--------
>>> round(float(expected_rating_from_mu(5.0, 0.75)), 3)      # clipping at 5 pulls it below mu
4.724
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from course_lib.core.validation import argument_error
from course_lib.data.shop_config import _START_TS, CATEGORIES, REGIONS
from course_lib.foundations.activations import sigmoid

__all__ = ["ShopData", "ShopTruth", "expected_rating_from_mu", "views_from_interactions"]


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), vectorised, no scipy needed."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def expected_rating_from_mu(mu: ArrayLike, noise: float) -> np.ndarray:
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
            raise argument_error(
                "ShopTruth",
                "timeline",
                t,
                "a table with one row per day, region and category, with "
                "names from REGIONS and CATEGORIES",
                "use shop.truth.timeline",
            )
        self._appeal = np.zeros(shape)
        self._appeal[t["day"].to_numpy(), r, c] = t["appeal"].to_numpy()
        self._expected = np.zeros(shape)
        self._expected[t["day"].to_numpy(), r, c] = t["expected_appeal"].to_numpy()
        demand = np.ones(shape)
        demand[t["day"].to_numpy(), r, c] = t["demand"].to_numpy()
        self._demand = demand[:, 0, :]

    def _user_pos(self, user_id: ArrayLike) -> np.ndarray:
        return self.users.index.get_indexer(np.asarray(user_id))

    def _item_pos(self, item_id: ArrayLike) -> np.ndarray:
        return self.items.index.get_indexer(np.asarray(item_id))

    def mu(self, user_id: ArrayLike, item_id: ArrayLike, day: ArrayLike) -> np.ndarray:
        """Location ``mu`` of the rating distribution (before noise and rounding)."""
        up, ip = self._user_pos(user_id), self._item_pos(item_id)
        if np.any(up < 0) or np.any(ip < 0):
            raise KeyError("ShopTruth: some user_id/item_id are not in this world.")
        d = np.clip(np.broadcast_to(np.asarray(day, dtype=int), up.shape), 0, self._n_days - 1)
        u, it = self.users, self.items
        cat = it["cat_idx"].to_numpy()[ip]
        taste = u[[f"taste_{c}" for c in CATEGORIES]].to_numpy()[up, cat]
        region = u["region_idx"].to_numpy()[up]
        zcols = [c for c in u.columns if c.startswith("z")]
        vcols = [c for c in it.columns if c.startswith("v")]
        match = np.sum(u[zcols].to_numpy()[up] * it[vcols].to_numpy()[ip], axis=1)
        score = (
            u["bias"].to_numpy()[up]
            + it["bias"].to_numpy()[ip]
            + taste
            + u["quality_weight"].to_numpy()[up] * it["quality_c"].to_numpy()[ip]
            - 0.3 * u["price_sens"].to_numpy()[up] * it["log_rel_price"].to_numpy()[ip]
            + match
            + self._appeal[d, region, cat]
        )
        return self.mu0 + score

    def expected_rating(self, user_id: ArrayLike, item_id: ArrayLike, day: ArrayLike) -> np.ndarray:
        """True expected rating (1..5) of each ``(user_id, item_id, day)`` triple."""
        return expected_rating_from_mu(self.mu(user_id, item_id, day), self.rating_noise)

    def purchase_prob(
        self, user_id: ArrayLike, item_id: ArrayLike, day: ArrayLike, discount: ArrayLike = 0.0
    ) -> np.ndarray:
        """True probability that a view of the item ends in a purchase."""
        up, ip = self._user_pos(user_id), self._item_pos(item_id)
        d = np.clip(np.broadcast_to(np.asarray(day, dtype=int), up.shape), 0, self._n_days - 1)
        cat = self.items["cat_idx"].to_numpy()[ip]
        region = self.users["region_idx"].to_numpy()[up]
        # customers choose on the appeal they *expect*, which may lag the experienced one
        mu = (
            self.mu(user_id, item_id, d)
            - self._appeal[d, region, cat]
            + self._expected[d, region, cat]
        )
        logit = (
            -2.1
            + 1.4 * (mu - self.mu0 - 0.4)
            + 4.0 * np.asarray(discount, dtype=float)
            - 0.7
            * self.users["price_sens"].to_numpy()[up]
            * self.items["log_rel_price"].to_numpy()[ip]
        )
        return sigmoid(logit)


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
    drift_events: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["day", "kind", "category", "region", "magnitude", "description"]
        )
    )
    n_days: int = 0
    scenario: str = ""
    seed: int | None = None
    truth: ShopTruth | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [
            f"scenario={self.scenario!r}",
            f"seed={self.seed}",
            f"n_days={self.n_days}",
            f"ratings={len(self.ratings)}",
            f"users={len(self.users)}",
            f"items={len(self.items)}",
        ]
        if self.views is not None:
            parts.append(f"views={len(self.views)}")
        return f"ShopData({', '.join(parts)})"


def views_from_interactions(interactions: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One row per view with its outcome (``carted``, ``purchased``) and context.

    Context columns for the purchase chapter: ``discount`` (fraction off the
    list price), ``list_price``, ``category``, ``hour`` (0-23) and ``weekday``
    (0 = Monday).  Rows are in view order, aligned with ``shop.view_truth``.
    """
    inter = interactions
    views = inter.loc[
        inter["event"] == "view",
        ["view_id", "user_id", "item_id", "timestamp", "day", "price", "discount"],
    ]
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
