"""The drift of a ShopSim world: when and how tastes, demand and traffic change.

Part of the simulator (:func:`course_lib.data.shop.simulate`, explained in
chapter 05).  :func:`make_timeline` turns the drifts a scenario switches on
(``gradual``, ``sudden``, ``seasonal``) into per-day curves: the appeal shift
of every (region, category) in rating points, the part of it customers
foresee, the demand of every category and the traffic; and into the table of
change points, ``shop.drift_events``.

Examples
--------
>>> from course_lib.data import make_config
>>> timeline, traffic, events = make_timeline(make_config("sudden", n_days=30))
>>> events[["day", "kind", "category"]].to_dict("records")
[{'day': 17, 'kind': 'sudden', 'category': 'fashion'}]
>>> traffic.shape, len(timeline) == 30 * 4 * 8
((30,), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from course_lib.data.shop_config import CATEGORIES, REGIONS, ShopConfig

__all__: list[str] = []  # used by shop.simulate; not part of the course's API


@dataclass
class _Curves:
    """Per-day drift curves, filled in by one function per drift kind."""

    appeal: np.ndarray  # (n_days, regions, categories): shift in rating points
    surprise: np.ndarray  # the part of the appeal customers do not foresee
    demand: np.ndarray  # (n_days, categories): multiplier of how often it is browsed
    traffic: np.ndarray  # (n_days,): multiplier of the number of views


def make_timeline(cfg: ShopConfig) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Appeal shift (n_days, regions, categories), demand (n_days, cats), traffic, events."""
    n_days, n_r, n_c = cfg.n_days, len(REGIONS), len(CATEGORIES)
    curves = _Curves(
        appeal=np.zeros((n_days, n_r, n_c)),
        surprise=np.zeros((n_days, n_r, n_c)),
        demand=np.ones((n_days, n_c)),
        traffic=np.ones(n_days),
    )
    events: list[tuple[Any, ...]] = []
    if "gradual" in cfg.drifts:
        events += _gradual(cfg, curves)
    if "sudden" in cfg.drifts:
        events += _sudden(cfg, curves)
    if "seasonal" in cfg.drifts:
        events += _seasonal(cfg, curves)
    events.sort(key=lambda ev: ev[0])
    drift_events = pd.DataFrame(
        events, columns=["day", "kind", "category", "region", "magnitude", "description"]
    )
    drift_events["day"] = drift_events["day"].astype(int)
    drift_events["magnitude"] = drift_events["magnitude"].astype(float)
    return _timeline_table(curves), curves.traffic, drift_events


def _gradual(cfg: ShopConfig, curves: _Curves) -> list[tuple[Any, ...]]:
    """One region's taste moves linearly from one category to another."""
    s, e = cfg.gradual_start, cfg.gradual_end
    assert s is not None and e is not None  # make_config resolved the drift days
    frac = np.clip((np.arange(cfg.n_days) - s) / (e - s), 0.0, 1.0)
    r = REGIONS.index(cfg.gradual_region)
    curves.appeal[:, r, CATEGORIES.index(cfg.gradual_from)] -= cfg.gradual_amount * frac
    curves.appeal[:, r, CATEGORIES.index(cfg.gradual_to)] += cfg.gradual_amount * frac
    what = (
        f"users in region {cfg.gradual_region!r} move their taste from "
        f"{cfg.gradual_from} to {cfg.gradual_to}"
    )
    return [
        (
            s,
            "gradual_start",
            f"{cfg.gradual_from}->{cfg.gradual_to}",
            cfg.gradual_region,
            cfg.gradual_amount,
            f"{what} (starts; linear until day {e})",
        ),
        (
            e,
            "gradual_end",
            f"{cfg.gradual_from}->{cfg.gradual_to}",
            cfg.gradual_region,
            cfg.gradual_amount,
            f"{what} (complete)",
        ),
    ]


def _sudden(cfg: ShopConfig, curves: _Curves) -> list[tuple[Any, ...]]:
    """One category loses appeal overnight; buyers foresee part of it."""
    d, c = cfg.sudden_day, CATEGORIES.index(cfg.sudden_category)
    curves.appeal[d:, :, c] += cfg.sudden_appeal
    curves.surprise[d:, :, c] += (1.0 - cfg.sudden_awareness) * cfg.sudden_appeal
    curves.demand[d:, c] *= cfg.sudden_demand
    return [
        (
            d,
            "sudden",
            cfg.sudden_category,
            "all",
            cfg.sudden_appeal,
            f"{cfg.sudden_category} loses appeal overnight ({cfg.sudden_appeal:+.2f} "
            f"rating points; buyers foresee {cfg.sudden_awareness:.0%} of it; "
            f"demand x{cfg.sudden_demand:g})",
        )
    ]


def _seasonal(cfg: ShopConfig, curves: _Curves) -> list[tuple[Any, ...]]:
    """A holiday season lifts appeal, demand and traffic, then ends."""
    s, e = cfg.seasonal_start, cfg.seasonal_end
    cats = [CATEGORIES.index(c) for c in cfg.seasonal_categories]
    for c in cats:
        curves.appeal[s:e, :, c] += cfg.seasonal_appeal
        curves.demand[s:e, c] *= cfg.seasonal_demand
    curves.traffic[s:e] *= cfg.seasonal_traffic
    names = "+".join(cfg.seasonal_categories)
    return [
        (
            s,
            "seasonal_start",
            names,
            "all",
            cfg.seasonal_appeal,
            f"holiday season: {names} gain appeal ({cfg.seasonal_appeal:+.2f}) and demand "
            f"(x{cfg.seasonal_demand:g}); traffic x{cfg.seasonal_traffic:g}",
        ),
        (
            e,
            "seasonal_end",
            names,
            "all",
            -cfg.seasonal_appeal,
            "holiday season ends: appeal and demand return to normal",
        ),
    ]


def _timeline_table(curves: _Curves) -> pd.DataFrame:
    """The curves as ``shop.truth.timeline``: one row per day, region and category."""
    n_days, n_r, n_c = curves.appeal.shape
    dd, rr, cc = np.meshgrid(np.arange(n_days), np.arange(n_r), np.arange(n_c), indexing="ij")
    appeal, surprise = curves.appeal, curves.surprise
    return pd.DataFrame(
        {
            "day": dd.ravel(),
            "region": np.array(REGIONS)[rr.ravel()],
            "category": np.array(CATEGORIES)[cc.ravel()],
            "appeal": np.round(appeal.ravel(), 4),
            "expected_appeal": np.round((appeal - surprise).ravel(), 4),
            "demand": np.round(curves.demand[dd.ravel(), cc.ravel()], 4),
            "traffic": np.round(curves.traffic[dd.ravel()], 4),
        }
    )
