"""Tests of chapter 10's loop: preprocess (cleaning), the gate, the rollback rule, the pipeline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from course_lib.continual import (
    DROP_REASONS,
    FineTune,
    ModelRegistry,
    RollbackRule,
    UpdatePipeline,
    ValidationGate,
    corrupt_batch,
    label_shift,
    preprocess,
    split_recent,
)
from course_lib.core.roles import RatingEstimator
from course_lib.models import MatrixFactorization


def ratings(n=60, seed=0, start=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": rng.integers(1, 20, n),
            "item_id": rng.integers(1, 10, n),
            "rating": rng.integers(1, 6, n).astype(float),
            "timestamp": start + np.arange(n) * 100,
            "day": (start + np.arange(n) * 100) // 1000,
        },
        index=pd.RangeIndex(start, start + n),
    )


USERS = pd.DataFrame(index=pd.Index(range(1, 20), name="user_id"))
ITEMS = pd.DataFrame(index=pd.Index(range(1, 10), name="item_id"))


# --------------------------------------------------------------------------- preprocess
def test_preprocess_drops_each_kind_once_and_keeps_order_and_index():
    df = ratings()
    raw = corrupt_batch(df, seed=1, duplicates=0.1, missing=0.05, out_of_range=0.05)
    shuffled = raw.sample(frac=1.0, random_state=0)
    clean, report = preprocess(shuffled, USERS, ITEMS)
    n_bad = round(0.05 * len(df))
    assert report.n_in == len(raw) and report.n_out == len(df) - 2 * n_bad
    assert set(report.dropped) == set(DROP_REASONS)
    assert report.n_dropped + report.n_out == report.n_in
    assert report.reordered and clean["timestamp"].is_monotonic_increasing
    assert clean.index.is_unique
    assert (clean["rating"] == df.loc[clean.index, "rating"]).all()
    assert set(report.dropped_rows["reason"]) <= set(DROP_REASONS)
    assert len(report.dropped_rows) == report.n_dropped


def test_preprocess_missing_ids_rating_range_and_rerating():
    df = pd.DataFrame(
        {
            "user_id": [1, np.nan, 2, 2, 3, 3],
            "item_id": [1, 1, 2, 2, 1, 1],
            "rating": [5.0, 4.0, 3.0, 3.0, 0.5, 4.0],
            "timestamp": [1, 2, 3, 3, 4, 9],
        }
    )
    clean, report = preprocess(df, rating_range=(0.5, 5))
    assert report.dropped == {
        "missing_id": 1,
        "missing_rating": 0,
        "out_of_range": 0,
        "duplicate": 1,
    }
    # user 3 rated item 1 twice at different times: both kept; ids back to int
    assert clean["user_id"].tolist() == [1, 2, 3, 3]
    assert clean["user_id"].dtype == np.int64
    assert preprocess(df)[1].dropped["out_of_range"] == 1
    assert df["user_id"].isna().sum() == 1, "the input is not modified"


def test_preprocess_unknown_ids_flagged_or_dropped():
    df = ratings(20)
    df.loc[df.index[:3], "user_id"] = 999
    clean, report = preprocess(df, USERS, ITEMS)
    assert report.flagged == {"unknown_user": 3, "unknown_item": 0} and len(clean) == 20
    clean, report = preprocess(df, USERS, ITEMS, unknown="drop")
    assert len(clean) == 17 and report.dropped["unknown_user"] == 3


def test_preprocess_errors_name_the_argument():
    with pytest.raises(
        ValueError,
        match=r"preprocess\(batch=DataFrame of shape \(1, 2\)\): "
        r"batch must be a DataFrame with the column\(s\) \['rating'\]",
    ):
        preprocess(pd.DataFrame({"user_id": [1], "item_id": [1]}))
    with pytest.raises(TypeError, match=r"preprocess\(batch=\[1, 2, 3\]\): batch must be a pandas"):
        preprocess([1, 2, 3])
    with pytest.raises(ValueError, match="preprocess.unknown='ignore'.: unknown must be one of"):
        preprocess(ratings(5), unknown="ignore")
    with pytest.raises(ValueError, match="rating_range=.5, 1."):
        preprocess(ratings(5), rating_range=(5, 1))
    with pytest.raises(TypeError, match=r"users=\[1, 2\]\): users must be a pandas.*shop.users"):
        preprocess(ratings(5), users=[1, 2])


def test_corrupt_batch_is_deterministic_and_flips():
    df = ratings(50)
    kw = dict(flipped=0.2, duplicates=0, missing=0, out_of_range=0)
    a, b = corrupt_batch(df, seed=3, **kw), corrupt_batch(df, seed=3, **kw)
    pd.testing.assert_frame_equal(a, b)
    flipped = (a["rating"] + df["rating"]) == 6
    changed = a["rating"] != df["rating"]
    assert flipped.sum() >= 10  # 10 flipped rows (plus any 3 left as 3 by chance)
    assert (changed <= flipped).all() and changed.sum() == (flipped & (df["rating"] != 3)).sum()
    with pytest.raises(ValueError, match="flipped=1.5"):
        corrupt_batch(df, flipped=1.5)


# --------------------------------------------------------------------------- gate
class Const:
    """A RatingEstimator that predicts one number."""

    def __init__(self, value):
        self.value = value

    def fit(self, df):
        return self

    def partial_fit(self, df):
        return self

    def predict(self, df):
        return np.full(len(df), self.value, dtype=float)

    def clone(self):
        return Const(self.value)

    def copy(self):
        return Const(self.value)


def test_const_plays_the_role():
    assert isinstance(Const(3.0), RatingEstimator)


def test_gate_accepts_better_and_rejects_worse_or_guard_regression():
    gate = ValidationGate(tolerance=0.02, guard_tolerance=0.05)
    assert gate.decide(0.90, 0.91).accepted
    assert gate.decide(0.92, 0.90).accepted  # exactly at the tolerance
    assert not gate.decide(0.93, 0.90).accepted
    d = gate.decide(0.80, 0.90, guard=(1.10, 1.00))
    assert not d.accepted and "guard: candidate 1.100 > production 1.000" in str(d)
    assert gate.decide(0.80, 0.90, guard=(1.04, 1.00))
    assert ValidationGate(guard_tolerance=float("inf")).decide(0.8, 0.9, guard=(9, 1)).accepted


def test_gate_rejects_nan_and_too_small_slices():
    gate = ValidationGate()
    assert not gate.decide(float("nan"), 0.9).accepted
    assert not gate.decide(0.8, 0.9, guard=(float("nan"), 1.0)).accepted
    recent, guard = ratings(40), ratings(40, seed=1)
    d = gate.evaluate(Const(np.nan), Const(3.0), recent, guard)
    assert not d and "NaN" in d.reasons[0]
    assert not gate.evaluate(Const(3.0), Const(3.0), recent.iloc[:5])
    assert gate.evaluate(Const(3.0), Const(3.0), recent, guard).accepted


def test_gate_evaluate_scores_both_slices():
    recent = ratings(40)
    recent["rating"] = 4.0
    guard = recent.copy()
    guard["rating"] = 2.0
    d = ValidationGate(0.02, 0.05).evaluate(Const(4.0), Const(3.0), recent, guard)
    assert d.metrics["candidate_recent_rmse"] == 0.0 and d.metrics["production_recent_rmse"] == 1.0
    assert d.metrics["candidate_guard_rmse"] == 2.0 and not d.accepted  # forgot the old world


def test_gate_argument_errors():
    with pytest.raises(ValueError, match="tolerance=-0.1"):
        ValidationGate(tolerance=-0.1)
    with pytest.raises(ValueError, match="min_rows=0"):
        ValidationGate(min_rows=0)
    with pytest.raises(
        TypeError,
        match=r"ValidationGate.evaluate\(candidate=<object.*\): "
        "candidate must be a RatingEstimator",
    ):
        ValidationGate().evaluate(object(), Const(3), ratings(20))
    with pytest.raises(TypeError, match=r"evaluate\(recent=\[1, 2\]\): recent must be a pandas"):
        ValidationGate().evaluate(Const(3), Const(3), [1, 2])


def test_split_recent_holds_out_the_newest_rows():
    df = ratings(10).sample(frac=1.0, random_state=0)  # arrives shuffled
    train, recent = split_recent(df, frac=0.3)
    assert len(recent) == 3 and len(train) == 7
    assert recent["timestamp"].min() > train["timestamp"].max()
    assert sorted(recent.index) == [7, 8, 9]
    no_time = pd.DataFrame({"rating": [1.0, 2.0, 3.0, 4.0]})
    assert split_recent(no_time, 0.5)[1]["rating"].tolist() == [3.0, 4.0]
    with pytest.raises(ValueError, match="frac=1.5"):
        split_recent(df, 1.5)
    with pytest.raises(TypeError, match=r"split_recent\(batch=\[1, 2\]\)"):
        split_recent([1, 2], 0.2)


def test_label_shift_sees_flipped_stars_but_not_a_resample():
    rng = np.random.default_rng(0)
    stars = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], size=4000, p=[0.03, 0.1, 0.23, 0.3, 0.34])
    ref, new = pd.DataFrame({"rating": stars[:2000]}), pd.DataFrame({"rating": stars[2000:]})
    assert label_shift(ref, new) < 0.02
    flipped = new.assign(rating=6 - new["rating"])
    assert label_shift(ref, flipped) > 1.0
    quarter = new.copy()
    quarter.iloc[:500, 0] = 6 - quarter.iloc[:500, 0]
    assert 0.02 < label_shift(ref, quarter) < label_shift(ref, flipped)
    with pytest.raises(
        ValueError,
        match=r"label_shift\(reference=.*must be a DataFrame with the "
        r"column\(s\) \['rating'\]",
    ):
        label_shift(pd.DataFrame(), new)
    with pytest.raises(ValueError, match=r"label_shift\(batch=.*batch must be non-empty"):
        label_shift(new, new.iloc[:0])


def test_gate_label_check():
    gate = ValidationGate(0.02, 0.05, max_label_psi=0.25)
    d = gate.decide(0.80, 0.90, label_psi=1.4)
    assert not d and "labels: PSI 1.400 > 0.25" in str(d) and d.metrics["label_psi"] == 1.4
    assert gate.decide(0.80, 0.90, label_psi=0.25).accepted  # <= at the threshold
    assert not gate.decide(0.80, 0.90, label_psi=float("nan")).accepted
    assert gate.decide(0.80, 0.90).accepted and "label_psi" not in gate.decide(0.8, 0.9).metrics
    assert ValidationGate(max_label_psi=float("inf")).decide(0.8, 0.9, label_psi=9).accepted
    recent = ratings(40)
    assert not gate.evaluate(Const(3.0), Const(3.0), recent, label_psi=0.5)
    with pytest.raises(ValueError, match="max_label_psi=-1"):
        ValidationGate(max_label_psi=-1)


# --------------------------------------------------------------------------- rollback rule
def test_rollback_rule():
    rule = RollbackRule(tolerance=0.05)
    assert rule.decide(1.2, 1.0).rollback
    assert not rule.decide(1.04, 1.0).rollback
    drift = rule.decide(1.5, 1.48, pre_deploy_rmse=1.0)
    assert not drift.rollback and "data changed" in drift.reason
    assert rule.decide(float("nan"), 1.0).rollback
    with pytest.raises(ValueError, match="tolerance='a'"):
        RollbackRule(tolerance="a")


# --------------------------------------------------------------------------- the loop (numpy)
class SavableMF(MatrixFactorization):
    """MatrixFactorization (SGD) plus the save(path) the registry needs."""

    def save(self, path):
        path.mkdir()
        (path / "mf.json").write_text(json.dumps({"mu": self.mu_}))


def stream(n_batches=6, per=80, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_batches):
        u = rng.integers(1, 20, per)
        i = rng.integers(1, 10, per)
        r = np.clip(np.round(3 + 0.15 * (u % 5) - 0.2 * (i % 3) + rng.normal(0, 0.4, per)), 1, 5)
        ts = k * 7 * 86400 + np.arange(per) * 600
        out.append(
            pd.DataFrame(
                {
                    "user_id": u,
                    "item_id": i,
                    "rating": r.astype(float),
                    "timestamp": ts,
                    "day": ts // 86400,
                },
                index=pd.RangeIndex(k * per, (k + 1) * per),
            )
        )
    return out


def mf_pipeline(tmp_path, **kwargs):
    batches = stream()
    model = SavableMF(
        n_factors=2, solver="sgd", epochs=10, batch_size=16, learning_rate=0.02, seed=0
    )
    model.fit(batches[0])
    pipe = UpdatePipeline(
        ModelRegistry(tmp_path / "reg"),
        FineTune(epochs=3, batch_size=16),
        users=USERS,
        items=ITEMS,
        seed=0,
        **kwargs,
    )
    pipe.start(model, batches[0])
    return pipe, batches[1:]


def test_pipeline_registers_every_candidate_and_logs_every_step(tmp_path):
    pipe, batches = mf_pipeline(tmp_path, gate=ValidationGate(0.05, 0.1))
    log = pipe.run(batches)
    reg = pipe.registry
    assert len(log) == len(batches) and len(reg.versions()) == len(batches) + 1
    assert log["accepted"].any()
    for row in log.itertuples():
        meta = reg.meta(row.candidate_version)
        assert meta["accepted"] == row.accepted and meta["parent"] == row.live_version
        assert "candidate_recent_rmse" in meta["metrics"]
    promoted = [v for v, a in zip(log["candidate_version"], log["accepted"], strict=True) if a]
    assert reg.history == ["v0001"] + promoted
    assert {"preprocess", "monitor", "update", "gate", "register", "deploy"} <= set(
        pipe.events["step"]
    )
    assert not any(p.name.startswith(".tmp") for p in (tmp_path / "reg" / "versions").iterdir())


def test_pipeline_is_deterministic(tmp_path):
    a = mf_pipeline(tmp_path / "a")[0]
    b_pipe, batches = mf_pipeline(tmp_path / "b")
    a.run(batches)
    b_pipe.run(batches)
    cols = ["live_rmse", "candidate_recent_rmse", "accepted", "production_after"]
    pd.testing.assert_frame_equal(a.log[cols], b_pipe.log[cols])


def test_bad_learning_rate_is_rejected_by_the_gate(tmp_path):
    pipe, batches = mf_pipeline(tmp_path)
    before = pipe.production_version
    with np.errstate(all="ignore"):  # the diverging SGD overflows to NaN on purpose
        row = pipe.process(
            batches[0], strategy=FineTune(epochs=3, batch_size=16, learning_rate=5.0)
        )
    assert "NaN" in row["reasons"]
    assert not row["accepted"] and pipe.production_version == before
    assert pipe.registry.meta(row["candidate_version"])["accepted"] is False


def test_flipped_labels_are_rejected_or_rolled_back(tmp_path):
    # guard off: the flipped batch may be deployed, then the rollback must catch it
    pipe, batches = mf_pipeline(
        tmp_path, gate=ValidationGate(0.05, float("inf")), rollback_rule=RollbackRule(0.05)
    )
    pipe.process(batches[0])
    eager = FineTune(epochs=20, batch_size=16)  # learns the flipped labels thoroughly
    flipped = pipe.process(
        corrupt_batch(batches[1], seed=0, flipped=1.0, duplicates=0, missing=0, out_of_range=0),
        strategy=eager,
    )
    nxt = pipe.process(batches[2])
    assert flipped["accepted"], "this test is about the rollback: the guard is off"
    if flipped["accepted"]:
        assert nxt["rolled_back"] and nxt["rollback_to"] == flipped["live_version"]
        assert flipped["candidate_version"] not in pipe.registry.history
        assert 1 not in pipe.lineage.batches  # its rows were forgotten
    else:
        assert pipe.production_version != flipped["candidate_version"]


def test_label_check_rejects_flipped_skewed_stars_with_the_guard_off(tmp_path):
    pipe, batches = mf_pipeline(tmp_path, gate=ValidationGate(0.05, float("inf")))
    row = pipe.process(batches[0])
    assert row["label_psi"] < 0.1
    skewed = batches[1].copy()
    skewed["rating"] = np.where(np.arange(len(skewed)) % 4 == 0, 3.0, 5.0)  # mostly 5 stars
    pipe.process(skewed)
    flipped = pipe.process(skewed.assign(rating=6 - skewed["rating"]))
    assert flipped["label_psi"] > 1.0 and not flipped["accepted"]
    assert "labels: PSI" in flipped["reasons"]


def test_segment_monitoring_sees_a_drift_in_one_segment(tmp_path):
    items = pd.DataFrame(
        {"category": ["a" if i < 3 else "b" for i in range(1, 10)]},
        index=pd.Index(range(1, 10), name="item_id"),
    )
    pipe, batches = mf_pipeline(
        tmp_path, segment_by="category", segment_tolerance=0.3, level_batches=2
    )
    pipe.items = items
    for b in batches[:2]:
        pipe.process(b)
    drifted = batches[2].copy()
    in_a = drifted["item_id"] < 3
    drifted.loc[in_a, "rating"] = np.clip(drifted.loc[in_a, "rating"] - 2.0, 1, 5)
    row = pipe.process(drifted)
    seg = pipe.segment_log
    assert set(seg["segment"]) == {"a", "b"} and len(seg) == 2 * 3
    assert row["segment_alarms"] == "a"
    last = seg[seg["batch"] == 2].set_index("segment")
    assert last.loc["a", "alarm"] and not last.loc["b", "alarm"]
    assert last["n"].sum() == row["n_clean"]
    bad, _ = mf_pipeline(tmp_path / "bad", segment_by="colour")
    with pytest.raises(ValueError, match="segment_by='colour'.*no such column"):
        bad.process(batches[0])


def test_rollback_restores_the_previous_version(tmp_path):
    class Bad(FineTune):
        def _update(self, batch):
            self.model_.set_weights([w + 3.0 for w in self.model_.get_weights()])
            return len(batch)

    always = ValidationGate(float("inf"), float("inf"))
    pipe, batches = mf_pipeline(tmp_path, gate=always, rollback_rule=RollbackRule(0.05))
    pipe.process(batches[0])
    good = pipe.production_version
    bad = pipe.process(batches[1], strategy=Bad(epochs=1))
    assert bad["accepted"] and pipe.production_version == bad["candidate_version"]
    row = pipe.process(batches[2])
    assert row["rolled_back"] and row["rollback_to"] == good
    assert row["live_rmse"] > row["previous_rmse"] + 0.05
    assert "rollback" in set(pipe.events["step"])
    mark = pipe.registry.rolled_back[bad["candidate_version"]]  # the registry remembers why
    assert mark["to"] == good and "worse by" in mark["reason"]


def test_pipeline_argument_errors(tmp_path):
    reg = ModelRegistry(tmp_path / "r")
    with pytest.raises(
        TypeError,
        match=r"UpdatePipeline\(registry='nope'\): registry must be a "
        "ModelRegistry",
    ):
        UpdatePipeline("nope", FineTune())
    with pytest.raises(
        TypeError,
        match=r"UpdatePipeline\(strategy='fine-tune'\): strategy must "
        r"be an? UpdateStrategy \(predict, start, update\), got str; "
        r"pass e.g. FineTune\(\) or Replay\(\)",
    ):
        UpdatePipeline(reg, "fine-tune")
    with pytest.raises(TypeError, match=r"detector=3\): detector must be a DriftDetector"):
        UpdatePipeline(reg, FineTune(), detector=3)
    with pytest.raises(
        TypeError,
        match=r"UpdatePipeline.start\(model=3\): model must be a "
        r"RatingEstimator \(clone, copy, fit, partial_fit, predict\), got int; "
        "e.g. a RatingModel or a MatrixFactorization",
    ):
        UpdatePipeline(reg, FineTune()).start(3, ratings(10))
    with pytest.raises(ValueError, match="holdout_frac=1.5"):
        UpdatePipeline(reg, FineTune(), holdout_frac=1.5)
    with pytest.raises(RuntimeError, match="call start"):
        UpdatePipeline(reg, FineTune()).process(ratings(10))
    started = FineTune()
    started.model_ = object()
    with pytest.raises(ValueError, match="unstarted strategy"):
        UpdatePipeline(reg, started)


def test_empty_clean_batch_is_skipped(tmp_path):
    pipe, batches = mf_pipeline(tmp_path)
    junk = batches[0].assign(rating=np.nan)
    row = pipe.process(junk)
    assert row["n_clean"] == 0 and row["candidate_version"] is None
    assert len(pipe.registry.versions()) == 1


# --------------------------------------------------------------------------- end to end (Keras)
@pytest.mark.slow
def test_end_to_end_on_a_tiny_shop(tmp_path):
    from course_lib.data import iter_batches, simulate
    from course_lib.models import RatingModel

    shop = simulate("sudden", seed=3, n_days=42, n_users=500, n_items=80)
    r = shop.ratings
    history = r[r["day"] < 14]
    model = RatingModel(shop.users, shop.items, embedding_dim=4, hidden=(8,), seed=0)
    model.fit(history, epochs=5, batch_size=64)
    assert isinstance(model, RatingEstimator)
    pipe = UpdatePipeline(
        ModelRegistry(tmp_path / "reg"),
        FineTune(epochs=2, batch_size=64),
        users=shop.users,
        items=shop.items,
        gate=ValidationGate(0.05, 0.1, min_rows=5),
        seed=0,
    )
    pipe.start(model, history)
    batches = list(iter_batches(r[r["day"] >= 14], by="week"))
    for k, b in enumerate(batches):
        if k == 1:
            row = pipe.process(
                corrupt_batch(b, seed=k),
                strategy=FineTune(epochs=2, batch_size=64, learning_rate=1.0),
            )
            assert not row["accepted"], row["reasons"]
        else:
            pipe.process(corrupt_batch(b, seed=k))
    log = pipe.log
    assert len(log) == len(batches) and log["live_rmse"].notna().all()
    assert (log["n_dropped"] > 0).all()
    loaded = pipe.registry.load(loader=RatingModel.load)
    np.testing.assert_allclose(
        loaded.predict(batches[-1]), pipe.production_model.predict(batches[-1]), atol=1e-6
    )
