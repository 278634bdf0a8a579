"""Self-checks for chapter 07, purchase prediction.

TensorFlow is imported inside the check that needs it (7.4), never at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.checks._core import (
    Case,
    CheckResult,
    call_student,
    fail,
    passed,
    require_callable,
    run_cases,
)

__all__ = ["check_7_1", "check_7_2", "check_7_3", "check_7_4"]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return (float(p), float(r), float(f))


def check_7_1(precision_recall_f1: Callable[..., Any]) -> CheckResult:
    """``precision_recall_f1(tp, fp, fn) -> (precision, recall, f1)``; 0/0 counts as 0."""
    note = (
        "precision = tp/(tp+fp), recall = tp/(tp+fn), f1 = 2 P R/(P + R); "
        "a ratio with a zero denominator is 0.0"
    )
    cases = [
        Case(args=counts, expected=_prf(*counts), note=note)
        for counts in [(30, 10, 20), (12, 36, 4), (5, 0, 0), (7, 3, 0)]
    ]
    cases.append(
        Case(
            args=(0, 0, 5),
            expected=(0.0, 0.0, 0.0),
            note="the model flagged nothing: precision 0/0 is reported as 0.0, so is F1",
        )
    )
    cases.append(
        Case(
            args=(0, 4, 0),
            expected=(0.0, 0.0, 0.0),
            note="no buyers at all: recall 0/0 is reported as 0.0",
        )
    )

    def swapped(got: Any, case: Case) -> bool:
        p, r, f = _prf(*case.args)
        return np.allclose(np.asarray(got, dtype=float), [r, p, f])

    def arithmetic_f1(got: Any, case: Case) -> bool:
        p, r, _ = _prf(*case.args)
        return bool(np.isclose(float(got[2]), (p + r) / 2))

    def has_nan(got: Any, case: Case) -> bool:
        return bool(np.isnan(np.asarray(got, dtype=float)).any())

    return run_cases(
        "7.1",
        precision_recall_f1,
        cases,
        hints=[
            (
                swapped,
                (
                    "precision and recall are swapped: precision divides by what the model "
                    "flagged (tp + fp), recall by the real positives (tp + fn)"
                ),
            ),
            (arithmetic_f1, "F1 is the harmonic mean 2 P R / (P + R), not the arithmetic mean"),
            (has_nan, "a 0/0 gave NaN: return 0.0 when a denominator is 0"),
        ],
    )


def _auc_reference(y: ArrayLike, s: ArrayLike) -> float:
    labels = np.asarray(y)
    scores = np.asarray(s, dtype=float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    diff = pos[:, None] - neg[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def check_7_2(auc_by_ranking: Callable[..., Any]) -> CheckResult:
    """``auc_by_ranking(y_true, scores) -> float``: Mann-Whitney AUC, ties count 1/2."""
    rng = np.random.default_rng(72)
    y_big = (rng.random(300) < 0.2).astype(int)
    s_big = np.round(rng.normal(size=300) + 0.8 * y_big, 1)  # rounding makes ties
    cases = [
        Case(args=(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), expected=0.75),
        Case(
            args=(np.array([1, 0, 1, 0, 0]), np.array([0.9, 0.2, 0.6, 0.6, 0.1])),
            expected=_auc_reference([1, 0, 1, 0, 0], [0.9, 0.2, 0.6, 0.6, 0.1]),
            note="a tie between a positive and a negative counts one half",
        ),
        Case(
            args=(np.array([0, 1]), np.array([0.3, 0.3])),
            expected=0.5,
            note="all scores equal: the ranking says nothing, AUC 0.5",
        ),
        Case(args=(y_big, s_big), expected=_auc_reference(y_big, s_big)),
    ]

    def flipped(got: Any, case: Case) -> bool:
        return bool(np.isclose(float(got), 1.0 - _auc_reference(*case.args)))

    def ties_wrong(got: Any, case: Case) -> bool:
        y, s = case.args
        pos, neg = s[y == 1], s[y == 0]
        diff = pos[:, None] - neg[None, :]
        return bool(
            np.isclose(float(got), float(np.mean(diff > 0)))
            or np.isclose(float(got), float(np.mean(diff >= 0)))
        )

    def no_offset(got: Any, case: Case) -> bool:
        return float(got) > 1.0

    return run_cases(
        "7.2",
        auc_by_ranking,
        cases,
        hints=[
            (
                ties_wrong,
                (
                    "ties: a positive and a negative with the same score count 1/2, so give "
                    "tied scores their average rank"
                ),
            ),
            (
                flipped,
                (
                    "you got 1 - AUC: rank the scores in ascending order (the lowest score "
                    "gets rank 1) and sum the ranks of the positives"
                ),
            ),
            (
                no_offset,
                (
                    "an AUC is at most 1: subtract n_pos (n_pos + 1) / 2 from the rank sum "
                    "and divide by n_pos * n_neg"
                ),
            ),
        ],
    )


def check_7_3(class_weights: Callable[..., Any]) -> CheckResult:
    """``class_weights(y) -> {0: w0, 1: w1}`` with the balanced ``w_c = n / (2 n_c)``."""

    def ref(y: ArrayLike) -> dict[int, float]:
        labels = np.asarray(y)
        n, counts = len(labels), np.bincount(labels, minlength=2)
        return {0: float(n / (2 * counts[0])), 1: float(n / (2 * counts[1]))}

    rng = np.random.default_rng(73)
    ys = [np.array([0, 0, 0, 1]), np.array([1, 0, 1, 0]), (rng.random(1000) < 0.22).astype(int)]
    cases = [
        Case(
            args=(y,),
            expected=ref(y),
            note="w_c = n / (2 n_c): both classes get the same total weight n/2 and "
            "the average weight over the data is 1",
        )
        for y in ys
    ]

    def inverted(got: Any, case: Case) -> bool:
        y = case.args[0]
        counts = np.bincount(y, minlength=2)
        return np.allclose(
            [got[0], got[1]], [counts[0] / len(y), counts[1] / len(y)]
        ) or np.allclose([got[0], got[1]], [2 * counts[0] / len(y), 2 * counts[1] / len(y)])

    def unnormalised(got: Any, case: Case) -> bool:
        counts = np.bincount(case.args[0], minlength=2)
        return np.allclose([got[0], got[1]], 1.0 / counts)

    return run_cases(
        "7.3",
        class_weights,
        cases,
        hints=[
            (
                inverted,
                (
                    "the weights are upside down: the RARE class must get the LARGER weight, "
                    "n / (2 n_c), not n_c / n"
                ),
            ),
            (
                unnormalised,
                (
                    "1 / n_c has the right ratio but a tiny scale, which shrinks the loss and "
                    "with it the effective learning rate: multiply by n / 2"
                ),
            ),
        ],
    )


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", "") or "")


def check_7_4(build_article_purchase_model: Callable[..., Any]) -> CheckResult:
    """``build_article_purchase_model(n_features, seed) -> keras.Model``: n -> Dense 20 ReLU ->
    Dense 1 sigmoid, compiled with Adam and binary cross-entropy."""
    require_callable("7.4", build_article_purchase_model, "build_article_purchase_model")
    import keras

    call = "build_article_purchase_model(n_features=10, seed=0)"
    model = call_student("7.4", build_article_purchase_model, 10, seed=0, call=call)
    if not isinstance(model, keras.Model):
        fail("7.4", call, f"a {type(model).__name__}, not a keras.Model")
    _check_purchase_shapes(model, call)
    _check_purchase_layers(model, call, keras)
    _check_purchase_compiled(model, call)
    _check_purchase_outputs(model, build_article_purchase_model, call)
    return passed("7.4", "build_article_purchase_model", 1)


def _check_purchase_shapes(model: Any, call: str) -> None:
    """7.4: ten features in, one probability out."""
    if model.input_shape != (None, 10):
        fail(
            "7.4",
            call,
            f"a model whose input shape is {model.input_shape}",
            expected=(None, 10),
            got=model.input_shape,
            hint="start with keras.Input(shape=(n_features,))",
        )
    if model.output_shape != (None, 1):
        fail(
            "7.4",
            call,
            f"a model whose output shape is {model.output_shape}",
            expected=(None, 1),
            got=model.output_shape,
            hint="one output unit: the probability of a purchase",
        )


def _check_purchase_layers(model: Any, call: str, keras: Any) -> None:
    """7.4: Dense 20 ReLU, then Dense 1 sigmoid, 241 parameters."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    widths = [layer.units for layer in dense]
    if widths != [20, 1]:
        fail(
            "7.4",
            call,
            f"Dense layers of widths {widths}",
            expected=[20, 1],
            got=widths,
            hint="one hidden Dense(20, activation='relu'), then the output "
            "Dense(1, activation='sigmoid'): no more layers, no other width",
        )
    acts = [layer.activation.__name__ for layer in dense]
    if acts[0] != "relu":
        fail("7.4", call, f"a hidden layer with activation {acts[0]!r}", hint="use 'relu'")
    if acts[1] != "sigmoid":
        hint = (
            (
                "softmax over ONE unit always outputs 1.0 (it normalises the unit against "
                "itself); a single probability needs 'sigmoid'"
            )
            if acts[1] == "softmax"
            else "the output must be a probability in (0, 1): activation='sigmoid'"
        )
        fail("7.4", call, f"an output layer with activation {acts[1]!r}", hint=hint)
    if model.count_params() != 241:
        fail(
            "7.4",
            call,
            f"a model with {model.count_params()} parameters",
            expected=241,
            got=model.count_params(),
            hint="10*20 + 20 weights and biases in the hidden layer, 20 + 1 in the output",
        )


def _check_purchase_compiled(model: Any, call: str) -> None:
    """7.4: compiled with Adam and the binary cross-entropy."""
    if model.optimizer is None or model.loss is None:
        fail(
            "7.4",
            call,
            "an uncompiled model",
            hint="model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), "
            "loss='binary_crossentropy')",
        )
    name = _loss_name(model.loss)
    if name not in ("binary_crossentropy", "BinaryCrossentropy"):
        hint = (
            (
                "categorical cross-entropy needs one-hot targets over several classes; with "
                "one sigmoid output use binary cross-entropy"
            )
            if "categorical" in name
            else "a probability is trained with loss='binary_crossentropy'"
        )
        fail("7.4", call, f"a model compiled with loss {name or model.loss!r}", hint=hint)
    if type(model.optimizer).__name__ != "Adam":
        fail(
            "7.4",
            call,
            f"a model compiled with {type(model.optimizer).__name__}",
            hint="the model is compiled with another optimizer than Adam; use "
            "keras.optimizers.Adam(learning_rate=1e-3)",
        )


def _check_purchase_outputs(model: Any, build: Callable[..., Any], call: str) -> None:
    """7.4: probabilities in (0, 1), and the same initial weights for the same seed."""
    x = np.random.default_rng(0).normal(size=(5, 10)).astype("float32")
    p = np.asarray(model(x)).ravel()
    if not np.all((p > 0) & (p < 1)):
        fail("7.4", call, "outputs outside (0, 1)", got=p)
    w_a = [w.copy() for w in build(10, seed=0).get_weights()]
    w_b = build(10, seed=0).get_weights()
    if not all(np.array_equal(a, b) for a, b in zip(w_a, w_b, strict=False)):
        fail(
            "7.4",
            call,
            "different initial weights for the same seed",
            hint="give each Dense a seeded initializer, e.g. "
            "kernel_initializer=keras.initializers.GlorotUniform(seed=seed)",
        )
