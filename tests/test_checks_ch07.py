"""Mutation tests for the chapter 07 checks: solutions pass, plausible mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailed, _core, check_7_1, check_7_2, check_7_3, check_7_4


def precision_recall_f1(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp > 0 else 0.0
    r = tp / (tp + fn) if tp + fn > 0 else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


def test_7_1_solution_passes():
    assert check_7_1(precision_recall_f1)


def _swapped(tp, fp, fn):
    p, r, f = precision_recall_f1(tp, fp, fn)
    return r, p, f


def _arithmetic(tp, fp, fn):
    p, r, _ = precision_recall_f1(tp, fp, fn)
    return p, r, (p + r) / 2


def _nan_on_zero(tp, fp, fn):
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.float64(tp) / (tp + fp)
        r = np.float64(tp) / (tp + fn)
        return p, r, 2 * p * r / (p + r)


@pytest.mark.parametrize(
    "wrong, hint", [(_swapped, "swapped"), (_arithmetic, "harmonic"), (_nan_on_zero, "0/0")]
)
def test_7_1_mistakes_fail_with_hints(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_7_1(wrong)


def test_7_1_crash_on_zero_division_is_explained():
    def crashes(tp, fp, fn):
        return tp / (tp + fp), tp / (tp + fn), 2 * tp / (2 * tp + fp + fn)

    with pytest.raises(CheckFailed, match="ZeroDivisionError"):
        check_7_1(crashes)


def auc_by_ranking(y_true, scores):
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    _, first, counts = np.unique(s[order], return_index=True, return_counts=True)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def test_7_2_solution_passes():
    assert check_7_2(auc_by_ranking)


def test_7_2_matches_course_metric():
    from course_lib.evaluation.metrics import roc_auc

    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.3).astype(int)
    s = np.round(rng.normal(size=500) + y, 1)
    assert np.isclose(auc_by_ranking(y, s), roc_auc(y, s))


def _ordinal_ranks(y_true, scores):  # ties broken by position
    y = np.asarray(y_true)
    ranks = np.empty(len(y))
    ranks[np.argsort(scores, kind="mergesort")] = np.arange(1, len(y) + 1)
    n_pos = int(y.sum())
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos)))


def _descending(y_true, scores):
    return auc_by_ranking(y_true, -np.asarray(scores, dtype=float))


def _no_offset(y_true, scores):
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    ranks = np.empty(len(s))
    order = np.argsort(s, kind="mergesort")
    _, first, counts = np.unique(s[order], return_index=True, return_counts=True)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    n_pos = int(y.sum())
    return float(ranks[y == 1].sum() / (n_pos * (len(y) - n_pos)))


def _strict_pairs(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    return float(np.mean(s[y == 1][:, None] > s[y == 0][None, :]))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_ordinal_ranks, "average rank"),
        (_descending, "1 - AUC"),
        (_no_offset, "at most 1"),
        (_strict_pairs, "ties"),
    ],
)
def test_7_2_mistakes_fail_with_hints(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_7_2(wrong)


def class_weights(y):
    y = np.asarray(y)
    counts = np.bincount(y, minlength=2)
    return {c: len(y) / (2 * counts[c]) for c in (0, 1)}


def test_7_3_solution_passes():
    assert check_7_3(class_weights)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda y: {c: np.mean(np.asarray(y) == c) for c in (0, 1)}, "upside down"),
        (lambda y: {c: 1.0 / np.sum(np.asarray(y) == c) for c in (0, 1)}, "tiny scale"),
        (
            lambda y: {0: 1.0, 1: float(np.sum(np.asarray(y) == 0) / np.sum(np.asarray(y) == 1))},
            None,
        ),
        (lambda y: [len(y) / (2 * np.sum(np.asarray(y) == c)) for c in (0, 1)], None),
    ],
)
def test_7_3_mistakes_fail(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_7_3(wrong)


def _model(
    n_features=10,
    seed=0,
    hidden=20,
    out="sigmoid",
    loss="binary_crossentropy",
    optimizer="adam",
    seeded=True,
):
    import keras

    init = (
        (lambda k: keras.initializers.GlorotUniform(seed=seed + k))
        if seeded
        else (lambda k: "glorot_uniform")
    )
    inputs = keras.Input(shape=(n_features,))
    h = keras.layers.Dense(hidden, activation="relu", kernel_initializer=init(0))(inputs)
    out_layer = keras.layers.Dense(1, activation=out, kernel_initializer=init(1))
    model = keras.Model(inputs, out_layer(h))
    opt = (
        keras.optimizers.Adam(learning_rate=1e-3)
        if optimizer == "adam"
        else keras.optimizers.SGD(learning_rate=1e-3)
    )
    model.compile(optimizer=opt, loss=loss)
    return model


def test_7_4_solution_passes():
    import keras

    assert check_7_4(_model)
    assert check_7_4(lambda n, seed=0: _model(n, seed, loss=keras.losses.BinaryCrossentropy()))


@pytest.mark.parametrize(
    "kwargs, hint",
    [
        ({"out": "softmax"}, "softmax over ONE unit"),
        ({"out": None}, "sigmoid"),
        ({"loss": "mse"}, "binary_crossentropy"),
        ({"loss": "categorical_crossentropy"}, "one-hot"),
        ({"hidden": 10}, "widths"),
        ({"optimizer": "sgd"}, "Adam"),
        ({"seeded": False}, "seeded initializer"),
    ],
)
def test_7_4_mistakes_fail(kwargs, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_7_4(lambda n, seed=0: _model(n, seed, **kwargs))


def test_7_4_not_a_model_fails():
    with pytest.raises(CheckFailed, match="not a keras.Model"):
        check_7_4(lambda n, seed=0: None)


@pytest.mark.parametrize("check", [check_7_1, check_7_2, check_7_3, check_7_4])
def test_untouched_stub_prints_not_started(check, capsys, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 7.1: ...")

    result = check(stub)  # Run All goes on: one line, a falsy result
    assert not result and "not started yet" in capsys.readouterr().out
    monkeypatch.setattr(_core, "GRADING", True)  # the grader sees it as not attempted
    with pytest.raises(NotImplementedError):
        check(stub)
