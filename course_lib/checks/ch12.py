"""Self-checks for chapter 12, beyond accuracy (``solutions/12_beyond.ipynb``).

>>> import numpy as np
>>> def laplace_counts(counts, sensitivity, epsilon, seed=0):
...     rng = np.random.default_rng(seed)
...     counts = np.asarray(counts, dtype=float)
...     return counts + rng.laplace(0.0, sensitivity / epsilon, size=counts.shape)
>>> _ = check_12_1(laplace_counts)
Exercise 12.1 passed: laplace_counts gives the expected result on 5 cases.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from course_lib.checks._core import (
    Case,
    CheckFailed,
    CheckResult,
    passed,
    require_callable,
    run_cases,
)
from course_lib.responsible.privacy import clip_contributions
from course_lib.responsible.segments import segment_report

__all__ = ["check_12_1", "check_12_2", "check_12_3", "check_12_4"]


def _fail(exercise: str, message: str) -> NoReturn:
    """Raise CheckFailed with a free-form explanation (property checks, not one case)."""
    raise CheckFailed(f"Exercise {exercise} is not right yet: {message}")


def _as_float_array(value: Any, what: str, exercise: str, call: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        _fail(exercise, f"{call} returned {value!r}; {what}.")
    return arr


def check_12_1(laplace_counts: Callable[..., Any]) -> CheckResult:
    """Exercise 12.1: add Laplace(0, sensitivity / epsilon) noise to counts, seeded."""
    ex = "12.1"
    require_callable(ex, laplace_counts, "laplace_counts")
    for sens, eps in [(1.0, 1.0), (3.0, 0.5), (2.0, 4.0)]:
        _check_laplace_noise(laplace_counts, sens, eps)
    _check_laplace_seeding(laplace_counts)
    return passed(ex, getattr(laplace_counts, "__name__", "your function"), 5)


def _check_laplace_noise(laplace_counts: Callable[..., Any], sens: float, eps: float) -> None:
    """12.1 on many zero counts: one independent Laplace(0, sens / eps) draw per count."""
    ex, n = "12.1", 20_000
    call = f"laplace_counts(np.zeros({n}), sensitivity={sens}, epsilon={eps}, seed=0)"
    out = _as_float_array(
        laplace_counts(np.zeros(n), sens, eps, seed=0),
        "it should be an array of noisy counts",
        ex,
        call,
    )
    if out.shape != (n,):
        _fail(
            ex,
            f"{call} returned shape {out.shape}; expected ({n},), one noisy value per count.",
        )
    scale = sens / eps
    mad, sd = float(np.mean(np.abs(out))), float(np.std(out))
    if np.allclose(out, 0.0):
        _fail(ex, f"{call} returned the counts unchanged: add the noise.")
    if np.ptp(out) == 0.0:
        _fail(
            ex,
            f"{call} added the same noise value {out[0]:.3f} to every count: draw one "
            "independent value per count (rng.laplace(0, scale, size=counts.shape)).",
        )
    if abs(np.mean(out)) > 0.05 * scale + 0.02:
        _fail(ex, f"{call}: the noise has mean {np.mean(out):.3f}; Laplace noise is centred on 0.")
    if abs(mad / scale - 1) > 0.05:
        _fail(
            ex,
            f"{call}: mean |noise| is {mad:.3f}, expected about sensitivity / epsilon = "
            f"{scale:.3f}.{_laplace_scale_hint(mad, sd, sens, eps)}",
        )
    if abs(sd / (np.sqrt(2) * scale) - 1) > 0.06:
        _fail(
            ex,
            f"{call}: the noise has standard deviation {sd:.3f}; Laplace noise of scale "
            f"{scale:.3f} has sqrt(2) * scale = {np.sqrt(2) * scale:.3f}. Use rng.laplace.",
        )


def _laplace_scale_hint(mad: float, sd: float, sens: float, eps: float) -> str:
    """12.1: which wrong scale gives a mean |noise| of ``mad`` (and a deviation ``sd``)."""
    if abs(mad / (sens * eps) - 1) < 0.05:
        return " It looks like sensitivity * epsilon: the scale is sensitivity / epsilon."
    if abs(mad / (eps / sens) - 1) < 0.05:
        return " It looks like epsilon / sensitivity: the scale is sensitivity / epsilon."
    if abs(sd / (sens / eps) - 1) < 0.05:
        return (
            " Its standard deviation is the scale: Gaussian noise? Use "
            "rng.laplace(0, scale), whose mean |noise| is the scale."
        )
    return ""


def _check_laplace_seeding(laplace_counts: Callable[..., Any]) -> None:
    """12.1 on three counts: one seed, one noise; another seed, another; noise added."""
    ex = "12.1"
    counts = np.array([120.0, 45.0, 3.0])
    a, b = (np.asarray(laplace_counts(counts, 1.0, 1.0, seed=s), dtype=float) for s in (7, 7))
    c = np.asarray(laplace_counts(counts, 1.0, 1.0, seed=8), dtype=float)
    if not np.array_equal(a, b):
        _fail(
            ex,
            "two calls with seed=7 gave different results: build the generator from the seed "
            "(rng = np.random.default_rng(seed)) instead of using global randomness.",
        )
    if np.array_equal(a, c):
        _fail(ex, "seed=7 and seed=8 gave the same noise: use the seed argument.")
    if np.max(np.abs(a - counts)) > 30:
        _fail(
            ex,
            f"laplace_counts({counts.tolist()}, 1.0, 1.0) returned {a.tolist()}: the noise "
            "must be ADDED to the counts.",
        )


def _importance_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=20_000),
            "x2": rng.normal(size=20_000),
            "x3": rng.normal(size=20_000),
        }
    )
    y = 2.0 * df["x1"].to_numpy() + 0.5 * df["x3"].to_numpy() + rng.normal(0, 0.5, size=20_000)
    return df, y


def _predict(df: pd.DataFrame) -> np.ndarray:
    return 2.0 * df["x1"].to_numpy() + 0.5 * df["x3"].to_numpy()


def check_12_2(column_importance: Callable[..., Any]) -> CheckResult:
    """Exercise 12.2: permutation importance (RMSE increase) of one column."""
    ex = "12.2"
    require_callable(ex, column_importance, "column_importance")
    df, y = _importance_data()
    copy = df.copy()
    base = 0.5  # RMSE of _predict (the noise sd)
    # permuting x1: error 2 (x1 - x1') + e, var = 8 + 0.25; x3: 0.5 + 0.25
    expected = {"x2": 0.0, "x1": np.sqrt(8.25) - base, "x3": np.sqrt(0.75) - base}
    for col, value in expected.items():
        call = f"column_importance(predict, df, y, {col!r}, n_repeats=3, seed=0)"
        got = column_importance(_predict, df, y, col, n_repeats=3, seed=0)
        if not df.equals(copy):
            _fail(ex, f"{call} modified the caller's DataFrame: permute a copy (df.copy()).")
        try:
            got = float(got)
        except (TypeError, ValueError):
            _fail(ex, f"{call} returned {got!r}; expected one number (the mean RMSE increase).")
        if col == "x2" and abs(got) > 1e-9:
            hint = (
                " A ratio permuted / baseline gives 1 here: report the difference."
                if np.isclose(got, 1.0)
                else " Are you permuting y, or all columns?"
            )
            _fail(
                ex,
                f"{call} returned {got:.4f}, but predict never reads x2, so shuffling it "
                f"cannot change the error: expected 0.{hint}",
            )
        if abs(got - value) > 0.03:
            hint = ""
            if abs(got) < 1e-9:
                hint = (
                    " Shuffling changed nothing. If you assigned a shuffled pandas Series "
                    "(e.g. df[column].sample(frac=1)), pandas aligned it back on the index: "
                    "assign a NumPy array instead (.to_numpy())."
                )
            elif abs(got - (value + base) ** 2 + base**2) < 0.1:
                hint = " That is the increase of the MSE: take the square root (RMSE)."
            elif abs(got - (value + base) / base) < 0.1:
                hint = " That is a ratio permuted / baseline: report the difference."
            elif abs(got - (value + base)) < 0.03:
                hint = " That is the permuted RMSE itself: subtract the baseline RMSE."
            _fail(
                ex,
                f"{call} returned {got:.4f}, expected about {value:.4f} (the increase of "
                f"the RMSE over the unpermuted {base:.2f}).{hint}",
            )
    a = column_importance(_predict, df.iloc[:500], y[:500], "x1", n_repeats=2, seed=5)
    b = column_importance(_predict, df.iloc[:500], y[:500], "x1", n_repeats=2, seed=5)
    if not np.isclose(float(a), float(b)):
        _fail(
            ex,
            "two calls with seed=5 gave different results: permute with "
            "np.random.default_rng(seed).",
        )
    return passed(ex, getattr(column_importance, "__name__", "your function"), 4)


def _gap_reference(df: pd.DataFrame, y_true: str, y_pred: str, by: str) -> tuple[float, Hashable]:
    per = segment_report(df, y_true, y_pred, by=by)["rmse"]
    return float(per.max() - per.min()), per.idxmax()


def _gap_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    seg = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]
    noise_sd = pd.Series({"north": 0.5, "south": 1.2, "east": 0.7, "west": 0.6})[seg].to_numpy()
    truth = rng.uniform(1, 5, n)
    pred = truth + rng.normal(0, 1, n) * noise_sd + (seg == "east") * 0.3
    return pd.DataFrame(
        {
            "region": seg,
            "rating": truth,
            "pred": pred,
            "band": np.where(np.arange(n) % 3 == 0, "young", "old"),
        }
    )


def check_12_3(rmse_gap: Callable[..., Any]) -> CheckResult:
    """Exercise 12.3: the per-segment RMSE gap and the worst-served segment."""
    ex = "12.3"
    require_callable(ex, rmse_gap, "rmse_gap")
    df = _gap_data()
    cases: list[Case] = []
    for by in ["region", "band"]:
        gap, worst = _gap_reference(df, "rating", "pred", by)
        cases.append(
            Case(args=(df, "rating", "pred", by), expected=_expect_gap(gap, worst, df, by))
        )
    small = pd.DataFrame(
        {"seg": ["a", "a", "b", "b"], "y": [4.0, 2.0, 5.0, 1.0], "p": [4.0, 3.0, 3.0, 3.0]}
    )
    cases.append(
        Case(
            args=(small, "y", "p", "seg"),
            expected=_expect_gap(2.0 - np.sqrt(0.5), "b", small, "seg"),
        )
    )
    return run_cases(ex, rmse_gap, cases)


def _expect_gap(
    gap: float, worst: Hashable, df: pd.DataFrame, by: str
) -> Callable[[Any], str | None]:
    def judge(got: Any) -> str | None:
        if not isinstance(got, tuple) or len(got) != 2:
            return f"{got!r}: return a tuple (gap, worst_segment)"
        g, w = got
        try:
            g = float(g)
        except (TypeError, ValueError):
            return f"gap {g!r} is not a number"
        if not np.isclose(g, gap, rtol=1e-6, atol=1e-9):
            hint = ""
            col_t, col_p = _cols(df)
            err = df[col_p] - df[col_t]
            mse = (err**2).groupby(df[by]).mean()
            mae = err.abs().groupby(df[by]).mean()
            if np.isclose(g, mse.max() - mse.min()):
                hint = " (that is the gap of the MSE: take the square root per segment)"
            elif np.isclose(g, mae.max() - mae.min()):
                hint = " (that is the gap of the MAE: square, average, then take the root)"
            elif np.isclose(g, np.sqrt(mse).max() / np.sqrt(mse).min()):
                hint = " (that is a ratio: report max - min)"
            else:
                std = err.groupby(df[by]).std(ddof=0)
                std1 = err.groupby(df[by]).std()
                if np.isclose(g, std.max() - std.min()) or np.isclose(g, std1.max() - std1.min()):
                    hint = (
                        " (that is the gap of the standard deviation of the errors, which "
                        "ignores a segment's mean error: RMSE = sqrt(mean(error ** 2)))"
                    )
            return f"gap {g:.6f} instead of {gap:.6f}{hint}"
        if w != worst:
            return f"worst segment {w!r} instead of {worst!r} (the one with the LARGEST RMSE)"
        return None

    return judge


def _cols(df: pd.DataFrame) -> tuple[str, str]:
    return ("rating", "pred") if "rating" in df.columns else ("y", "p")


#: the public list of categories for check 12.4: fixed before the data, not sorted, and
#: "garden" has no purchase at all (its count is 0 and must still be released)
_PUBLIC_CATEGORIES = ["toys", "books", "garden", "home", "sports"]


def _purchases_12_4() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 3000
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 300, n),
            "timestamp": rng.permutation(n),
            "category": np.array(["books", "toys", "home", "sports"])[rng.integers(0, 4, n)],
        }
    )


def _clipped_counts(purchases: pd.DataFrame, categories: Sequence[str], m: int) -> pd.Series:
    kept = clip_contributions(purchases, "user_id", m, order_by="timestamp")
    return kept["category"].value_counts().reindex(categories, fill_value=0)


def _as_release(ex: str, got: Any, call: str, categories: Sequence[str]) -> pd.Series:
    """The student's release as a float Series in the order of ``categories``, or a failure."""
    if not isinstance(got, pd.Series):
        _fail(
            ex, f"{call} returned {type(got).__name__}; return a pandas Series indexed by category."
        )
    have = list(got.index)
    missing = [c for c in categories if c not in have]
    if missing:
        _fail(
            ex,
            f"{call} has categories {have} but the public list is {list(categories)}: "
            f"{missing} are missing. Release every category of the list, zeros included "
            "(e.g. value_counts().reindex(categories, fill_value=0)). A release that leaves "
            "out the categories nobody bought tells exactly that, and no noise can hide it: "
            "the set of released categories must not depend on the data.",
        )
    extra = [c for c in have if c not in categories]
    if extra or len(have) != len(categories):
        _fail(
            ex,
            f"{call} has categories {have}; release each category of the public list "
            f"{list(categories)} exactly once, and nothing else.",
        )
    try:
        return got.reindex(categories).astype(float)
    except (TypeError, ValueError):
        _fail(ex, f"{call} returned {got.to_dict()!r}; the values must be numbers (noisy counts).")


def check_12_4(private_category_counts: Callable[..., Any]) -> CheckResult:
    """Exercise 12.4: bound contributions, count every public category, add Laplace noise."""
    ex = "12.4"
    require_callable(ex, private_category_counts, "private_category_counts")
    purchases = _purchases_12_4()
    categories = list(_PUBLIC_CATEGORIES)
    originals = (purchases.copy(), list(categories))
    for m in (1, 3):
        _check_clipped_release(private_category_counts, purchases, categories, m, originals)
    _check_release_noise(private_category_counts, purchases, categories)
    return passed(ex, getattr(private_category_counts, "__name__", "your function"), 4)


def _check_clipped_release(
    private_category_counts: Callable[..., Any],
    purchases: pd.DataFrame,
    categories: list[str],
    m: int,
    originals: tuple[pd.DataFrame, list[str]],
) -> None:
    """12.4 with almost no noise (epsilon=1e6): the clipped counts, arguments untouched."""
    ex = "12.4"
    exact = _clipped_counts(purchases, categories, m)
    call = (
        f"private_category_counts(purchases, {categories}, max_per_user={m}, epsilon=1e6, seed=0)"
    )
    got = private_category_counts(purchases, categories, m, 1e6, seed=0)
    if not purchases.equals(originals[0]) or categories != originals[1]:
        _fail(ex, f"{call} modified the caller's arguments.")
    got = _as_release(ex, got, call, categories)
    if not np.allclose(got.to_numpy(), exact.to_numpy(dtype=float), atol=0.01):
        _fail(
            ex,
            f"{call} (almost no noise) returned {got.round(2).to_dict()}, expected the "
            f"clipped counts {exact.to_dict()}.{_clipping_hint(got, purchases, categories, m)}",
        )


def _clipping_hint(got: pd.Series, purchases: pd.DataFrame, categories: list[str], m: int) -> str:
    """12.4: which wrong way of bounding the contributions gives the counts ``got``."""
    ordered = purchases.sort_values("timestamp", kind="mergesort")
    variants = {
        "total": purchases["category"].value_counts(),
        "per_cat": ordered.groupby(["user_id", "category"]).head(m)["category"].value_counts(),
        "latest": ordered.groupby("user_id").tail(m)["category"].value_counts(),
        "unsorted": purchases.groupby("user_id").head(m)["category"].value_counts(),
    }
    same = {
        k: np.allclose(
            got.to_numpy(),
            v.reindex(categories, fill_value=0).to_numpy(dtype=float),
            atol=0.01,
        )
        for k, v in variants.items()
    }
    if same["total"]:
        return " These are the unclipped counts: keep at most max_per_user rows per user."
    if same["per_cat"]:
        return (
            " You kept max_per_user rows per user AND category: the bound is per "
            "user over all categories (otherwise one user changes the counts by "
            "up to max_per_user in every category)."
        )
    if same["latest"]:
        return " You kept each user's LAST rows: keep the first ones by timestamp."
    if same["unsorted"]:
        return (
            " You kept each user's first rows in table order: sort by timestamp "
            "first (the rows are not in time order)."
        )
    return ""


def _check_release_noise(
    private_category_counts: Callable[..., Any], purchases: pd.DataFrame, categories: list[str]
) -> None:
    """12.4 over 400 seeds: noise scale = max_per_user / epsilon, on every category
    (the empty one too), and another seed gives other noise."""
    ex = "12.4"
    m, eps = 4, 0.5
    exact = _clipped_counts(purchases, categories, m).to_numpy(dtype=float)
    call = (
        f"private_category_counts(purchases, {categories}, max_per_user={m}, epsilon={eps}, seed=s)"
    )
    noisy = np.array(
        [
            _as_release(
                ex, private_category_counts(purchases, categories, m, eps, seed=s), call, categories
            ).to_numpy()
            for s in range(400)
        ]
    )
    empty = categories.index("garden")
    if np.allclose(noisy[:, empty], 0.0):
        _fail(
            ex,
            f"{call} for s = 0..399: the count of 'garden' (nobody bought any) is always "
            "exactly 0. Add noise to every category, zeros included: an exact 0 tells "
            "everyone that no customer bought there.",
        )
    mad = float(np.mean(np.abs(noisy - exact)))
    if abs(mad / (m / eps) - 1) > 0.08:
        hint = ""
        if abs(mad / (1 / eps) - 1) < 0.08:
            hint = (
                " That is sensitivity 1: after clipping, one user can change the counts by "
                "up to max_per_user, so the sensitivity is max_per_user."
            )
        _fail(
            ex,
            f"{call} for s = 0..399: mean |noise| {mad:.3f}, expected max_per_user / "
            f"epsilon = {m / eps:.3f}.{hint}",
        )
    if np.array_equal(noisy[0], noisy[1]):
        _fail(ex, "seed=0 and seed=1 gave the same noise: use the seed argument.")
