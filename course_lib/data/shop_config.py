"""The knobs of the ShopSim simulator: categories, regions, scenarios and :class:`ShopConfig`.

Explained in chapter 05 (``notebooks/05_shop_data.ipynb``).  A *scenario*
switches drifts on (``seasonal``, ``sudden``, ``gradual``, ``all`` or none:
``stable``); every other knob is a field of :class:`ShopConfig`, which
:func:`make_config` checks and completes (drift days left as ``None`` are
placed at fixed fractions of ``n_days``).  :func:`course_lib.data.shop.simulate`
runs the world a config describes.

Examples
--------
>>> cfg = make_config("sudden", seed=1, n_days=90)
>>> cfg.drifts, cfg.sudden_day
(('sudden',), 50)
>>> CATEGORIES[:3]
('electronics', 'fashion', 'home')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.core.validation import (
    ArgumentTypeError,
    argument_error,
    check_choice,
    check_int,
    check_number,
)

__all__ = [
    "BASE_CATEGORY_SHARE",
    "CATEGORIES",
    "REGIONS",
    "EDUCATION_LEVELS",
    "SCENARIOS",
    "DEFAULT_SEED",
    "START_DATE",
    "ShopConfig",
    "make_config",
]

CATEGORIES = ("electronics", "fashion", "home", "sports", "books", "beauty", "toys", "grocery")
REGIONS = ("north", "south", "east", "west")
EDUCATION_LEVELS = ("secondary", "bachelor", "master", "doctorate")  # users.education = 0..3
DEFAULT_SEED = 2024
START_DATE = "2024-07-01"  # day 0, 00:00 UTC; day 144 = 22 Nov, day 176 = 24 Dec
_START_TS = 1719792000  # 2024-07-01T00:00:00Z in Unix seconds
_DRIFTS = ("gradual", "sudden", "seasonal")
SCENARIOS = {
    "stable": (),
    "seasonal": ("seasonal",),
    "sudden": ("sudden",),
    "gradual": ("gradual",),
    "all": _DRIFTS,
}

# Category-level constants (order of CATEGORIES).
# BASE_CATEGORY_SHARE: how often each category is browsed before tastes, demand and
# drift act on it; part of the documented truth (datasets/README.md), read-only.
BASE_CATEGORY_SHARE = np.array([0.15, 0.18, 0.13, 0.11, 0.10, 0.11, 0.08, 0.14])
BASE_CATEGORY_SHARE.setflags(write=False)


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
    initial_user_frac: float = 0.5  # users present on day 0; the rest arrive
    initial_item_frac: float = 0.7  # items on sale on day 0; the rest launch later
    views_per_user_day: float = 0.65  # mean logged views per signed-up user and day
    rating_prob: float = 0.8  # P(rating | purchase)
    rating_noise: float = 0.95  # sd of eps in rating = round(mu + eps)
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
    sudden_awareness: float = 0.25  # share of the drop customers anticipate when choosing
    # drift: holiday season
    seasonal_start: int | None = None
    seasonal_end: int | None = None
    seasonal_categories: tuple[str, ...] = ("toys", "electronics")
    seasonal_appeal: float = 0.8
    seasonal_demand: float = 2.0
    seasonal_traffic: float = 1.3

    @property
    def drifts(self) -> tuple[str, ...]:
        """The drift kinds switched on by the scenario."""
        return SCENARIOS[self.scenario]


_WHERE = "simulate"  # make_config checks the arguments of simulate()
_FRACTIONS = ("initial_user_frac", "initial_item_frac", "rating_prob", "sudden_awareness")
_POSITIVE = (
    "views_per_user_day",
    "rating_noise",
    "sudden_demand",
    "seasonal_demand",
    "seasonal_traffic",
)
_SIGNED = ("gradual_amount", "sudden_appeal", "seasonal_appeal")


def make_config(scenario: str = "all", seed: int = DEFAULT_SEED, **overrides: Any) -> ShopConfig:
    """Validate ``scenario``, ``seed`` and overrides; resolve the drift days.

    Parameters
    ----------
    scenario : {'stable', 'seasonal', 'sudden', 'gradual', 'all'}
    seed : int
        A non-negative int.
    **overrides
        Fields of :class:`ShopConfig`.

    Returns
    -------
    ShopConfig
        With every drift day set.

    Examples
    --------
    >>> make_config("sudden", n_days=90).sudden_day
    50
    >>> make_config("weird")
    Traceback (most recent call last):
    ...
    ValueError: simulate(scenario='weird'): scenario must be one of 'stable', 'seasonal', ...
    """
    check_choice(scenario, "scenario", _WHERE, SCENARIOS)
    check_int(seed, "seed", _WHERE, minimum=0, fix=f"pass e.g. seed={DEFAULT_SEED}")
    names = {f.name for f in dataclasses.fields(ShopConfig)} - {"scenario", "seed"}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise argument_error(
            _WHERE,
            unknown[0],
            overrides[unknown[0]],
            f"a knob of ShopConfig, but {unknown} are unknown override(s)",
            f"the knobs are {sorted(names)}",
            exc=ArgumentTypeError,
        )
    cfg = ShopConfig(scenario=scenario, seed=int(seed), **overrides)
    _check_knobs(cfg)
    return dataclasses.replace(cfg, **_drift_days(cfg))


def _check_knobs(cfg: ShopConfig) -> None:
    """Check every knob except the drift days, in the one message style."""
    for name in ("n_users", "n_items", "latent_dim"):
        check_int(getattr(cfg, name), name, _WHERE, minimum=1)
    check_int(
        cfg.n_days, "n_days", _WHERE, minimum=14, fix="simulate at least 14 days so drift fits in"
    )
    for name in _FRACTIONS:
        check_number(
            getattr(cfg, name),
            name,
            _WHERE,
            low=0,
            high=1,
            low_inclusive=name == "sudden_awareness",
        )
    for name in _POSITIVE:
        check_number(getattr(cfg, name), name, _WHERE, low=0, low_inclusive=False)
    for name in _SIGNED:
        check_number(getattr(cfg, name), name, _WHERE)
    for name in ("sudden_category", "gradual_from", "gradual_to"):
        check_choice(getattr(cfg, name), name, _WHERE, CATEGORIES)
    for category in cfg.seasonal_categories:
        check_choice(
            category,
            "seasonal_categories",
            _WHERE,
            CATEGORIES,
            fix=f"every entry must be a category; got {cfg.seasonal_categories!r}",
        )
    check_choice(cfg.gradual_region, "gradual_region", _WHERE, REGIONS)


def _drift_days(cfg: ShopConfig) -> dict[str, Any]:
    """The drift days, defaults filled in at fixed fractions of ``n_days``, checked."""
    n = cfg.n_days
    defaults = {
        "gradual_start": round(n * 2 / 9),
        "gradual_end": round(n * 0.47),
        "sudden_day": round(n * 5 / 9),
        "seasonal_start": round(n * 0.8),
        "seasonal_end": min(n - 1, round(n * 0.98)),
    }
    resolved = {k: (v if getattr(cfg, k) is None else getattr(cfg, k)) for k, v in defaults.items()}
    for name, value in resolved.items():
        resolved[name] = check_int(
            value,
            name,
            _WHERE,
            minimum=1,
            maximum=n - 1,
            fix="a drift day lies inside the simulated days",
        )
    for a, b in (("gradual_start", "gradual_end"), ("seasonal_start", "seasonal_end")):
        if resolved[a] >= resolved[b]:
            raise argument_error(
                _WHERE,
                a,
                resolved[a],
                f"smaller than {b}={resolved[b]}",
                "a drift ends after it starts",
            )
    return resolved
