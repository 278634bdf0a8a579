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


def decayed_update(counts, last_day, day, category, half_life, weight=1.0):
    new = np.asarray(counts, dtype=float) * 0.5 ** ((day - last_day) / half_life)
    new[category] += weight
    return new


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


def _decay(how):
    def mutant(counts, last_day, day, category, half_life, weight=1.0):
        c = np.asarray(counts, dtype=float)
        t = day - last_day
        if how == "none":
            new = c.copy()
        elif how == "exp":
            new = c * np.exp(-t / half_life)
        elif how == "times":
            new = c * 0.5 ** (t * half_life)
        else:
            new = c * 0.5 ** (t / half_life)
        new[category] += 1.0 if how == "no weight" else weight
        if how == "decay new":
            new = (c + weight * np.eye(len(c))[category]) * 0.5 ** (t / half_life)
        return new
    return mutant


def _in_place_decay(counts, last_day, day, category, half_life, weight=1.0):
    counts *= 0.5 ** ((day - last_day) / half_life)
    counts[category] += weight
    return counts


def _ndcg(how):
    def mutant(recommended, relevant, k):
        if how == "log2(i+1)":
            with np.errstate(divide="ignore"):
                dcg = sum(1.0 / np.log2(i + 1) for i, it in enumerate(recommended[:k])
                          if it in relevant)
        else:
            dcg = sum(1.0 / math.log2(i + 2) for i, it in enumerate(recommended[:k])
                      if it in relevant)
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
        e = np.exp(z - z.min())              # stable only when the spread is small
        return e / e.sum()


def _set_decay(counts, last_day, day, category, half_life, weight=1.0):
    new = np.asarray(counts, dtype=float) * 0.5 ** ((day - last_day) / half_life)
    new[category] = weight
    return new


MUTANTS = {
    check_11_1: {
        "naive exp overflows": (_naive_softmax, "subtract the maximum"),
        "subtracts the minimum": (_min_softmax, "not the minimum"),
        "temperature multiplies": (_times_t, "divide the logits"),
        "temperature ignored": (_ignores_t, "temperature is ignored"),
        "not normalised": (_unnormalised, "sum to 1"),
    },
    check_11_2: {
        "no decay": (_decay("none"), "not decayed"),
        "exp instead of half-life": (_decay("exp"), "time constant"),
        "elapsed times half-life": (_decay("times"), "divide the elapsed time"),
        "new event decayed too": (_decay("decay new"), "full weight"),
        "weight ignored": (_decay("no weight"), "weight"),
        "weight overwrites the count": (_set_decay, "ADD the weight"),
        "in place": (_in_place_decay, "changed its input array"),
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

SOLUTIONS = {check_11_1: stable_softmax, check_11_2: decayed_update, check_11_3: ndcg_at_k,
             check_11_4: q_update}


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
def test_solution_passes(check, capsys):
    assert check(SOLUTIONS[check])
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("check, name", [(c, n) for c, ms in MUTANTS.items() for n in ms],
                         ids=lambda x: x if isinstance(x, str) else x.__name__)
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
