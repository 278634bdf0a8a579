"""Mutation tests: each chapter-11 check passes the solution and catches plausible mistakes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.checks import CheckFailed
from course_lib.checks.ch11 import check_11_1, check_11_2, check_11_3, check_11_4


def stable_softmax(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def window_counts(event_days, event_categories, day, window, n_categories):
    d = np.asarray(event_days, dtype=float)
    c = np.asarray(event_categories, dtype=int)
    keep = (d > day - window) & (d <= day)
    return np.bincount(c[keep], minlength=n_categories).astype(float)


def ndcg_at_k(recommended, relevant, k):
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(recommended[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(relevant))))
    return float(dcg / ideal)


def q_update(q, state, action, reward, next_state, done, alpha, gamma):
    new = np.array(q, dtype=float)
    target = reward if done else reward + gamma * new[next_state].max()
    new[state, action] += alpha * (target - new[state, action])
    return new


def _naive_softmax(logits, temperature=1.0):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(logits, dtype=float) / temperature)
        return e / e.sum()


def _times_t(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) * temperature
    return np.exp(z - z.max()) / np.exp(z - z.max()).sum()


def _ignores_t(logits, temperature=1.0):
    return stable_softmax(logits)


def _unnormalised(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    return np.exp(z - z.max())


def _window(how):
    def mutant(event_days, event_categories, day, window, n_categories):
        d = np.asarray(event_days, dtype=float)
        c = np.asarray(event_categories, dtype=int)
        keep = {
            "boundary": (d >= day - window) & (d <= day),
            "future": d > day - window,
            "all time": d <= day,
        }[how]
        return np.bincount(c[keep], minlength=n_categories).astype(float)

    return mutant


def _window_no_minlength(event_days, event_categories, day, window, n_categories):
    d = np.asarray(event_days, dtype=float)
    keep = (d > day - window) & (d <= day)
    return np.bincount(np.asarray(event_categories)[keep]).astype(float)


def _window_in_place(event_days, event_categories, day, window, n_categories):
    event_days[event_days <= day - window] = np.inf  # marks old events by overwriting
    keep = event_days <= day
    return np.bincount(event_categories[keep], minlength=n_categories).astype(float)


def _ndcg(how):
    def mutant(recommended, relevant, k):
        if how == "log2(i+1)":
            with np.errstate(divide="ignore"):
                dcg = sum(
                    1.0 / np.log2(i + 1) for i, it in enumerate(recommended[:k]) if it in relevant
                )
        else:
            dcg = sum(
                1.0 / math.log2(i + 2) for i, it in enumerate(recommended[:k]) if it in relevant
            )
        if how == "dcg":
            return float(dcg)
        n_ideal = {"ideal k": k, "ideal rel": len(relevant)}.get(how, min(k, len(relevant)))
        ideal = sum(1.0 / math.log2(i + 2) for i in range(n_ideal))
        return float(dcg / ideal)

    return mutant


def _q(how):
    def mutant(q, state, action, reward, next_state, done, alpha, gamma):
        new = np.array(q, dtype=float)
        if how == "ignore done":
            target = reward + gamma * new[next_state].max()
        elif how == "same action":
            target = reward if done else reward + gamma * new[next_state, action]
        elif how == "current state":
            target = reward if done else reward + gamma * new[state].max()
        else:
            target = reward if done else reward + gamma * new[next_state].max()
        if how == "no alpha":
            new[state, action] = target
        else:
            new[state, action] += alpha * (target - new[state, action])
        return new

    return mutant


def _q_in_place(q, state, action, reward, next_state, done, alpha, gamma):
    target = reward if done else reward + gamma * q[next_state].max()
    q[state, action] += alpha * (target - q[state, action])
    return q


def _min_softmax(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z - z.min())  # stable only when the spread is small
        return e / e.sum()


MUTANTS = {
    check_11_1: {
        "naive exp overflows": (_naive_softmax, "subtract the maximum"),
        "subtracts the minimum": (_min_softmax, "not the minimum"),
        "temperature multiplies": (_times_t, "divide the logits"),
        "temperature ignored": (_ignores_t, "temperature is ignored"),
        "not normalised": (_unnormalised, "sum to 1"),
    },
    check_11_2: {
        "keeps the event exactly window days old": (_window("boundary"), "has left the window"),
        "keeps future events": (_window("future"), "have not happened yet"),
        "window ignored": (_window("all time"), "window is ignored"),
        "no minlength": (_window_no_minlength, "minlength"),
        "in place": (_window_in_place, "changed its input array"),
    },
    check_11_3: {
        "log2(i + 1) with 0-based i": (_ndcg("log2(i+1)"), "log2\\(1\\) = 0"),
        "DCG, not normalised": (_ndcg("dcg"), "this is the DCG"),
        "ideal over k": (_ndcg("ideal k"), "min\\(k, len\\(relevant\\)\\)"),
        "ideal over all relevant": (_ndcg("ideal rel"), "at most k"),
    },
    check_11_4: {
        "terminal ignored": (_q("ignore done"), "session has ended"),
        "Q[s', a] instead of max": (_q("same action"), "best next action"),
        "bootstraps from the current state": (_q("current state"), "from next_state"),
        "no learning rate": (_q("no alpha"), "learning rate is missing"),
        "in place": (_q_in_place, "changed its input array"),
    },
}

SOLUTIONS = {
    check_11_1: stable_softmax,
    check_11_2: window_counts,
    check_11_3: ndcg_at_k,
    check_11_4: q_update,
}


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
def test_solution_passes(check, capsys):
    assert check(SOLUTIONS[check])
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, name",
    [(c, n) for c, ms in MUTANTS.items() for n in ms],
    ids=lambda x: x if isinstance(x, str) else x.__name__,
)
def test_mutant_fails_with_hint(check, name):
    mutant, hint = MUTANTS[check][name]
    with pytest.raises(CheckFailed, match=hint):
        check(mutant)


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
def test_untouched_stub_prints_not_started(check, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 11.x: ...")

    result = check(stub)
    assert not result and result.status == "not started"
    assert "not started yet" in capsys.readouterr().out
