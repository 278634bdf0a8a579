"""Self-checks for chapter 09, incremental updates (reservoir sampling, EWC, prequential loop).

NumPy only: none of these checks needs TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course_lib.checks._core import (
    CheckFailed, call_student, compare, describe, fail, passed, require_callable,
)

__all__ = ["check_9_1", "check_9_2", "check_9_3"]


# --------------------------------------------------------------------------- 9.1 reservoir

def _call(exercise: str, func, call: str, *args):
    return call_student(exercise, func, *args, call=call)


def check_9_1(reservoir_sample):
    """``reservoir_sample(stream, capacity, rng) -> np.ndarray``: a uniform sample (Algorithm R).

    Judged by properties, since the answer is random: the size, that the kept
    items come from the stream without repeats, that a short stream is kept
    whole, and that every position of a 10-item stream ends up in a 3-slot
    reservoir 30 % of the time (within 0.04) over 3000 seeded runs: old items
    as often as new ones.  (A correct answer misses the 0.04 band with
    probability below 1e-4; an off-by-one ``capacity / t`` is 0.08 away.)
    """
    require_callable("9.1", reservoir_sample, "reservoir_sample")
    short = np.arange(100, 104)
    call = "reservoir_sample(stream=array([100, 101, 102, 103]), capacity=6, rng)"
    got = _call("9.1", reservoir_sample, call, short.copy(), 6, np.random.default_rng(0))
    got = np.asarray(got)
    if got.shape != (4,) or sorted(got.tolist()) != short.tolist():
        fail("9.1", call, describe(got), expected=short, got=got,
             hint="while the reservoir is not full, every item goes in")
    stream = np.arange(10) * 10
    call = "reservoir_sample(stream=array([0, 10, ..., 90]), capacity=3, rng)"
    counts = np.zeros(10)
    n_runs = 3000
    for run in range(n_runs):
        values = stream.copy()
        got = np.asarray(_call("9.1", reservoir_sample, call, values, 3,
                               np.random.default_rng(run)))
        if not np.array_equal(values, stream):
            fail("9.1", call, "a sample but changed the stream in place",
                 hint="copy the first `capacity` items into a new array")
        if got.shape != (3,):
            fail("9.1", call, f"an array of shape {got.shape}", expected=(3,), got=got.shape,
                 hint="the reservoir holds exactly `capacity` items once the stream is longer")
        if not np.all(np.isin(got, stream)) or len(set(got.tolist())) != 3:
            fail("9.1", call, f"{describe(got)}: items repeated or not from the stream",
                 hint="each slot holds one stream item; a new item *replaces* a slot")
        counts[got // 10] += 1
    share = counts / n_runs
    old, new = share[0], share[-1]          # the first and the last item of the stream
    if np.max(np.abs(share - 0.3)) > 0.04:
        hint = ""
        if new > old + 0.04:
            hint = ("recent items are over-represented: item t (0-based) must be kept with "
                    "probability capacity / (t + 1), e.g. j = rng.integers(0, t + 1); keep it "
                    "only if j < capacity")
        elif old > new + 0.04:
            hint = ("early items are over-represented: a new item must sometimes replace one "
                    "(with probability capacity / (t + 1))")
        fail("9.1", call, "a sample that is not uniform over the stream: share of runs in which "
             "each position was kept = " + np.array2string(share, precision=2),
             expected=np.full(10, 0.3), got=share, hint=hint)
    return passed("9.1", getattr(reservoir_sample, "__name__", "reservoir_sample"), 2)


# --------------------------------------------------------------------------- 9.2 EWC

def _ewc_reference(weights, anchor, fisher, lam):
    penalty = 0.5 * lam * sum(float(np.sum(f * (w - a) ** 2))
                              for w, a, f in zip(weights, anchor, fisher))
    grads = [lam * f * (w - a) for w, a, f in zip(weights, anchor, fisher)]
    return penalty, grads


def check_9_2(ewc_penalty_and_grad):
    """``ewc_penalty_and_grad(weights, anchor, fisher, lam) -> (float, list of arrays)``."""
    require_callable("9.2", ewc_penalty_and_grad, "ewc_penalty_and_grad")
    rng = np.random.default_rng(9)
    cases = [
        ([np.array([1.0, 2.0])], [np.array([0.0, 2.0])], [np.array([3.0, 5.0])], 2.0),
        ([rng.normal(size=(3, 2)), rng.normal(size=4)], [rng.normal(size=(3, 2)),
         rng.normal(size=4)], [rng.uniform(0, 2, (3, 2)), rng.uniform(0, 2, 4)], 10.0),
        ([rng.normal(size=(2, 2))], [rng.normal(size=(2, 2))], [np.zeros((2, 2))], 5.0),
    ]
    for weights, anchor, fisher, lam in cases:
        call = (f"ewc_penalty_and_grad(weights=[{', '.join(str(w.shape) for w in weights)} "
                f"arrays], anchor, fisher, lam={lam})")
        copies = [[x.copy() for x in group] for group in (weights, anchor, fisher)]
        got = _call("9.2", ewc_penalty_and_grad, call, *copies, lam)
        for before, after in zip((weights, anchor, fisher), copies):
            if any(not np.array_equal(b, a) for b, a in zip(before, after)):
                fail("9.2", call, "an answer but changed its input arrays in place",
                     hint="build new arrays (lam * f * (w - a)) instead of using -= or *=")
        if not isinstance(got, tuple) or len(got) != 2:
            fail("9.2", call, f"{describe(got)}", hint="return a pair (penalty, grads)")
        penalty, grads = got
        exp_penalty, exp_grads = _ewc_reference(weights, anchor, fisher, lam)
        try:
            penalty = float(penalty)
        except (TypeError, ValueError):
            fail("9.2", call, f"a penalty of type {type(penalty).__name__}",
                 hint="the penalty is one number: sum over every array, then float(...)")
        if not np.isclose(penalty, exp_penalty, rtol=1e-6, atol=1e-12):
            hint = ""
            if np.isclose(penalty, 2 * exp_penalty, rtol=1e-6):
                hint = "the penalty has a factor 1/2: lam / 2 * sum F (w - w*)^2"
            elif np.isclose(penalty, exp_penalty / lam, rtol=1e-6):
                hint = "multiply by the strength lam"
            elif np.isclose(penalty, _ewc_reference(weights, anchor,
                                                    [np.ones_like(f) for f in fisher], lam)[0]):
                hint = "weight each squared difference by its Fisher value F"
            fail("9.2", call, "a penalty that is not lam/2 * sum F (w - w*)^2",
                 expected=exp_penalty, got=penalty, hint=hint)
        if not isinstance(grads, (list, tuple)) or len(grads) != len(exp_grads):
            fail("9.2", call, f"gradients {describe(grads)}",
                 hint="return one gradient array per weight array, in a list")
        for k, (g, e) in enumerate(zip(grads, exp_grads)):
            g = np.asarray(g, dtype=float)
            if g.shape != e.shape:
                fail("9.2", call, f"a gradient {k} of shape {g.shape}", expected=e.shape,
                     got=g.shape, hint="each gradient has the shape of its weight array")
            if not np.allclose(g, e, rtol=1e-6, atol=1e-12):
                hint = ""
                if np.allclose(g, 2 * e):
                    hint = ("the 1/2 of the penalty cancels the 2 of the square's derivative: "
                            "the gradient is lam * F * (w - w*)")
                elif np.allclose(g, e / 2):
                    hint = ("d/dw (w - w*)^2 = 2 (w - w*); with the penalty's 1/2 the gradient "
                            "is lam * F * (w - w*)")
                elif np.allclose(g, -e):
                    hint = "the sign: the gradient points away from the anchor, (w - w*)"
                fail("9.2", call, f"a wrong gradient for array {k}", expected=e, got=g, hint=hint)
    return passed("9.2", getattr(ewc_penalty_and_grad, "__name__", "ewc_penalty_and_grad"),
                  len(cases))


# --------------------------------------------------------------------------- 9.3 prequential

class _MeanTracker:
    """A toy strategy: predicts the mean of every rating it has learned from."""

    def __init__(self, start: float = 3.0):
        self.total, self.n, self.start = 0.0, 0, start
        self.log: list[str] = []

    def predict(self, batch):
        self.log.append("predict")
        value = self.total / self.n if self.n else self.start
        return np.full(len(batch["rating"]), value)

    def update(self, batch):
        self.log.append("update")
        self.total += float(np.sum(batch["rating"]))
        self.n += len(batch["rating"])
        return self


def _reference_loop(strategy, batches):
    out = []
    for batch in batches:
        y_pred = strategy.predict(batch)
        out.append(float(np.sqrt(np.mean((np.asarray(batch["rating"], float) - y_pred) ** 2))))
        strategy.update(batch)
    return np.array(out)


def check_9_3(prequential_rmse):
    """``prequential_rmse(strategy, batches) -> np.ndarray``: per-batch RMSE, predict then learn."""
    require_callable("9.3", prequential_rmse, "prequential_rmse")
    # DataFrames, like the batches of the lesson, so batch["rating"].to_numpy() works too
    batches = [pd.DataFrame({"rating": r}) for r in ([5.0, 4.0, 5.0], [1.0, 2.0],
                                                      [4.0, 4.0, 3.0, 5.0])]
    rng = np.random.default_rng(3)
    long = [pd.DataFrame({"rating": rng.integers(1, 6, size=n).astype(float)})
            for n in (4, 7, 2, 9, 5)]
    for data in (batches, long):
        expected = _reference_loop(_MeanTracker(), data)
        toy = _MeanTracker()
        call = f"prequential_rmse(mean-tracker strategy, {len(data)} batches)"
        got = _call("9.3", prequential_rmse, call, toy, data)
        n = len(data)
        if toy.log.count("update") != n:
            fail("9.3", call, f"after {toy.log.count('update')} calls of strategy.update",
                 expected=n, got=toy.log.count("update"),
                 hint="call strategy.update(batch) once per batch, after predicting it")
        if toy.log != ["predict", "update"] * n:
            fail("9.3", call, f"after calls in the order {toy.log}",
                 hint="predict a batch first, then learn from it: learning first lets the model "
                      "see the answers it is scored on")
        problem = _compare_array(expected, got)
        if problem:
            hint = ""
            arr = np.asarray(got, dtype=float) if _is_numeric(got) else None
            if arr is not None and arr.shape == expected.shape:
                mse = _reference_loop(_MeanTracker(), data) ** 2
                if np.allclose(arr, mse):
                    hint = "take the square root of the mean squared error"
            elif arr is not None and arr.ndim == 0:
                hint = "return one RMSE per batch (an array of len(batches)), not one number"
            fail("9.3", call, problem, expected=expected, got=got, hint=hint)
    return passed("9.3", getattr(prequential_rmse, "__name__", "prequential_rmse"), 2)


def _is_numeric(value) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _compare_array(expected: np.ndarray, got) -> str | None:
    return compare(expected, got, rtol=1e-6, atol=1e-9)
