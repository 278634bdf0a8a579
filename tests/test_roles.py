"""Every class that plays one of the course's roles satisfies its Protocol (core/roles.py).

The classes are found, not listed by hand: any public class of course_lib with
``fit`` and ``predict`` must be a RatingEstimator, any with ``drift_detected`` a
DriftDetector, and so on; each needs a factory below, so a new class cannot slip
past these tests.  Beyond the method names, the tests check what the role
promises: ``fit`` starts from scratch, ``partial_fit`` continues, ``clone`` is
unfitted, ``update`` returns ``self``.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

from course_lib.core.roles import BanditPolicy, DriftDetector, RatingEstimator, UpdateStrategy

LAYERS = ["foundations", "data", "evaluation", "models", "continual", "recsys", "responsible"]


def _public_classes() -> dict[str, type]:
    out = {}
    for layer in LAYERS:
        package = importlib.import_module(f"course_lib.{layer}")
        for name in package.__all__:
            obj = getattr(package, name)
            if (
                inspect.isclass(obj)
                and not inspect.isabstract(obj)
                and obj.__module__.startswith("course_lib")
            ):
                out[name] = obj
    return out


CLASSES = _public_classes()


def _plays(cls: type, *methods: str) -> bool:
    return all(hasattr(cls, m) for m in methods)


def _is_base(cls: type) -> bool:
    return cls.__name__.startswith("Base") or cls.__name__ in {"Strategy"}


ESTIMATORS = sorted(
    n
    for n, c in CLASSES.items()
    if _plays(c, "fit", "predict") and not _plays(c, "start") and not _is_base(c)
)
STRATEGIES = sorted(
    n for n, c in CLASSES.items() if _plays(c, "start", "update", "predict") and not _is_base(c)
)
DETECTORS = sorted(
    n for n, c in CLASSES.items() if _plays(c, "drift_detected", "update") and not _is_base(c)
)
POLICIES = sorted(
    n for n, c in CLASSES.items() if _plays(c, "select", "update") and not _is_base(c)
)


# ----------------------------------------------------------------- small data
def _ratings(seed: int, n: int = 300, n_users: int = 15, n_items: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n_users, n)
    i = rng.integers(0, n_items, n)
    r = np.clip(np.round(3 + 0.08 * u - 0.05 * i + rng.normal(0, 0.7, n)), 1, 5)
    return pd.DataFrame(
        {
            "user_id": u,
            "item_id": i,
            "rating": r.astype(float),
            "timestamp": np.sort(rng.integers(0, 86_400 * 30, n)),
            "day": np.sort(rng.integers(0, 30, n)),
        }
    )


def _tables(n_users: int = 15, n_items: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    users = pd.DataFrame({"user_id": np.arange(n_users)})
    items = pd.DataFrame({"item_id": np.arange(n_items)})
    return users, items


def make_estimator(name: str):
    cls = CLASSES[name]
    if name == "RatingModel":
        users, items = _tables()
        return cls(users, items, embedding_dim=2, hidden=(4,), seed=0)
    if name == "MatrixFactorization":
        return cls(n_factors=3, seed=0)
    return cls()


ESTIMATOR_CASES = [
    pytest.param(n, marks=pytest.mark.slow) if n == "RatingModel" else n for n in ESTIMATORS
]
if "MatrixFactorization" in ESTIMATORS:
    ESTIMATOR_CASES.append("MatrixFactorization-sgd")


def _make(case: str):
    if case == "MatrixFactorization-sgd":
        return CLASSES["MatrixFactorization"](n_factors=3, solver="sgd", seed=0)
    return make_estimator(case)


def test_the_roles_are_found():
    assert {"GlobalMean", "BiasBaseline"} <= set(ESTIMATORS)
    assert {"PageHinkley", "DDM", "ADWIN", "KSWIN"} <= set(DETECTORS)
    assert {"FineTune", "Replay", "EWC", "Static", "FullRetrain"} <= set(STRATEGIES)
    assert {"EpsilonGreedy", "UCB1", "ThompsonSampling"} <= set(POLICIES)


@pytest.mark.parametrize("case", ESTIMATOR_CASES)
def test_rating_estimators(case):
    a, b = _ratings(0), _ratings(1)
    model = _make(case)
    assert isinstance(model, RatingEstimator)
    assert model.fit(a) is model
    pred = model.predict(b)
    assert pred.shape == (len(b),) and np.all(np.isfinite(pred))
    # fit starts from scratch: fitting on a then b equals fitting a fresh copy on b
    model.fit(b)
    fresh = _make(case).fit(b)
    np.testing.assert_allclose(model.predict(b), fresh.predict(b), rtol=1e-5, atol=1e-5)
    # partial_fit continues: from the a-model it ends elsewhere than a fresh fit on b
    cont = _make(case).fit(a)
    assert cont.partial_fit(b) is cont
    assert np.all(np.isfinite(cont.predict(b)))
    assert not np.allclose(cont.predict(b), fresh.predict(b), rtol=1e-4, atol=1e-4), (
        "partial_fit forgot what fit learned"
    )
    # copy: everything learned so far, independent of the original
    trained = model.copy()
    assert trained is not model
    np.testing.assert_allclose(trained.predict(b), model.predict(b), rtol=1e-6, atol=1e-6)
    trained.partial_fit(a)
    np.testing.assert_allclose(model.predict(b), fresh.predict(b), rtol=1e-5, atol=1e-5)
    # clone: same settings, nothing learned
    twin = model.clone()
    assert type(twin) is type(model) and twin is not model
    np.testing.assert_allclose(twin.fit(b).predict(b), fresh.predict(b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", DETECTORS)
def test_drift_detectors(name):
    detector = CLASSES[name]()
    assert isinstance(detector, DriftDetector)
    rng = np.random.default_rng(0)
    if name == "DDM":  # DDM watches a stream of 0/1 errors
        stream = np.concatenate([rng.random(500) < 0.1, rng.random(500) < 0.6]).astype(float)
    else:
        stream = np.concatenate([rng.normal(0, 1, 500), rng.normal(4, 1, 500)])
    alarms = [t for t, x in enumerate(stream) if detector.update(float(x)).drift_detected]
    assert any(500 <= t < 700 for t in alarms), f"{name} missed the change: alarms {alarms[:5]}"
    detector.reset()
    assert detector.drift_detected is False
    again = [t for t, x in enumerate(stream) if detector.update(float(x)).drift_detected]
    if "seed" not in inspect.signature(CLASSES[name]).parameters:
        assert again == alarms, "reset() must forget everything"  # (a seeded one draws anew)
    else:
        assert any(500 <= t < 700 for t in again)


@pytest.mark.parametrize("name", POLICIES)
def test_bandit_policies(name):
    policy = CLASSES[name](n_arms=3, seed=0)
    assert isinstance(policy, BanditPolicy)
    rng = np.random.default_rng(12345)  # not the policy's seed: its draws would match ours
    probs = np.array([0.1, 0.2, 0.8])
    picks = []
    for _ in range(1000):
        arm = policy.select()
        assert isinstance(arm, (int, np.integer)) and 0 <= arm < 3
        assert policy.update(arm, float(rng.random() < probs[arm])) is policy
        picks.append(arm)
    assert np.mean(np.array(picks[-500:]) == 2) > 0.5, f"{name} did not learn the best arm"


def make_strategy(name: str):
    cls = CLASSES[name]
    if name == "WarmStartALS":
        return cls(), CLASSES["MatrixFactorization"](n_factors=3, seed=0)
    users, items = _tables()
    return cls(), CLASSES["RatingModel"](users, items, embedding_dim=2, hidden=(4,), seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", STRATEGIES)
def test_update_strategies(name):
    strategy, model = make_strategy(name)
    assert isinstance(strategy, UpdateStrategy)
    assert isinstance(strategy.name, str) and strategy.name
    history, batch = _ratings(0), _ratings(1, n=60)
    assert (
        strategy.start(model.fit(history) if name == "WarmStartALS" else model, history) is strategy
    )
    before = strategy.predict(batch)
    assert strategy.update(batch) is strategy
    after = strategy.predict(batch)
    assert before.shape == after.shape == (len(batch),)
    if name != "Static":
        assert not np.allclose(before, after), f"{name}.update changed nothing"


FAST_MODELS = [n for n in ESTIMATOR_CASES if n != "RatingModel" and not hasattr(n, "values")]
#: WarmStartALS is the ALS-only strategy; Static never trains.
GENERIC_STRATEGIES = [n for n in STRATEGIES if n not in {"WarmStartALS", "EWC"}]


@pytest.mark.parametrize("model_case", FAST_MODELS)
@pytest.mark.parametrize("name", GENERIC_STRATEGIES)
def test_every_strategy_works_with_every_fast_estimator(name, model_case):
    """Strategies pass a model only the training settings it takes (a baseline has no epochs)."""
    strategy = CLASSES[name]()
    history, batch = _ratings(0), _ratings(1, n=60)
    model = _make(model_case).fit(history)
    assert strategy.start(model, history) is strategy
    assert strategy.update(batch) is strategy
    pred = strategy.predict(batch)
    assert pred.shape == (len(batch),) and np.all(np.isfinite(pred))
