import json

import keras
import numpy as np
import pytest

from dlarch import training


def test_record_prints_checks_and_appends(tmp_path, capsys):
    ok = training.record("t.acc", 0.991, 0.99)
    bad = training.record("t.loss", 0.5, 0.4, higher_is_better=False)
    assert ok.ok and not bad.ok
    out = capsys.readouterr().out
    assert "t.acc: measured 0.991 (target ≥ 0.99) ✓" in out
    assert "t.loss: measured 0.5 (target ≤ 0.4) ✗" in out
    rows = [json.loads(l) for l in training.results_path().read_text().splitlines()]
    assert [r["name"] for r in rows] == ["t.acc", "t.loss"]


def test_a_claim_fails_like_a_target_and_is_read_back_as_a_claim(capsys):
    held = training.record("t.claim_a", 0.2, 0.1, claim=True)
    refuted = training.record("t.claim_b", 0.05, 0.1, claim=True)
    training.record("t.target", 0.5, 0.4)
    assert held.ok and not refuted.ok
    out = capsys.readouterr().out
    assert "t.claim_a: measured 0.2 (target ≥ 0.1) ✓ claim held" in out
    assert "t.claim_b: measured 0.05 (target ≥ 0.1) ✗ claim did not hold" in out
    frame = training.read_results().set_index("name")
    assert frame["claim"].to_dict() == {"t.claim_a": True, "t.claim_b": True, "t.target": False}
    with pytest.raises(ValueError, match="claim must be True or False"):
        training.record("t.x", 1.0, 0.5, claim="yes")


def test_results_written_before_claims_existed_read_as_targets(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"name": "a", "value": 1.0, "target": 0.5, "ok": True}) + "\n")
    assert training.read_results(path)["claim"].tolist() == [False]


def test_record_picks_the_target_of_the_data_source():
    targets = {"canonical": 0.988, "offline": 0.95}
    assert training.record("m", 0.96, targets, source="offline").ok
    assert not training.record("m", 0.96, targets, source="canonical").ok
    assert training.record("m", 0.96, targets, source="mirror").target == 0.988
    frame = training.read_results()
    assert len(frame) == 1 and frame.loc[0, "source"] == "mirror"


@pytest.mark.parametrize("kwargs,match", [
    (dict(name="", value=1, target=1), "name"),
    (dict(name="x", value=1, target="high"), "target"),
    (dict(name="x", value=1, target={"canonical": 1}, source="offline"), "no target for 'offline'"),
    (dict(name="x", value=1, target=1, source="web"), "source"),
])
def test_record_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.record(**kwargs)


def tiny_fit(callbacks, epochs=3):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.rand(16, 2).astype("float32")
    return model.fit(x, x[:, :1], epochs=epochs, verbose=0, validation_split=0.25,
                     callbacks=callbacks)


def test_history_frame_and_progress(capsys):
    timer = training.EpochTimer()
    history = tiny_fit([training.CompactProgress(every=2), timer])
    frame = training.history_frame(history)
    assert list(frame.index) == [1, 2, 3] and {"loss", "val_loss"} <= set(frame.columns)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" —")[0] for line in lines] == ["epoch 2/3", "epoch 3/3"]
    assert len(timer.seconds) == 3 and timer.mean > 0


def test_bad_progress_and_history():
    with pytest.raises(ValueError, match="every"):
        training.CompactProgress(every=0)
    with pytest.raises(ValueError, match="History"):
        training.history_frame({})


def test_epochs_for_keeps_the_number_of_updates():
    assert training.epochs_for(5_000, 4_000, 32) == 40          # 125 steps per epoch
    assert training.epochs_for(5_000, 60_000, 32) == 3          # 1,875 steps per epoch
    assert training.epochs_for(10, 60_000, 32) == 1             # never zero epochs
    assert training.epochs_for(100, 1_000, 64) == 6             # 16 steps, the last one partial


@pytest.mark.parametrize("args", [(0, 10, 2), (10, 0, 2), (10, 10, 0), (1.5, 10, 2), (True, 10, 2)])
def test_epochs_for_rejects_bad_arguments(args):
    with pytest.raises(ValueError, match=r"(updates|n_examples|batch_size) must be an integer ≥ 1"):
        training.epochs_for(*args)


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_record_never_passes_a_diverged_value(value, capsys):
    # inf ≥ 1 would "pass" a higher-is-better target: a diverged run must fail anyway
    result = training.record("t.acc", value, 1.0, higher_is_better=True)
    assert not result.ok and "✗" in capsys.readouterr().out
    line = training.results_path().read_text().splitlines()[-1]
    assert json.loads(line)["value"] is None            # standard JSON: no NaN/Infinity tokens
    assert "NaN" not in line and "Infinity" not in line


@pytest.mark.parametrize("target", [float("nan"), float("inf"), {"canonical": float("nan")}])
def test_record_rejects_non_finite_targets(target):
    with pytest.raises(ValueError, match="target"):
        training.record("x", 1.0, target, source="canonical")


def test_record_accepts_numpy_values():
    assert training.record("x", np.float32(0.5), np.float64(0.4)).ok


def test_record_prints_before_a_failed_write(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLARCH_RESULTS", str(tmp_path))  # a folder: the write must fail
    with pytest.raises(OSError):
        training.record("t.acc", 0.9, 0.5)
    assert "t.acc: measured 0.9" in capsys.readouterr().out


def test_record_outside_the_book_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DLARCH_RESULTS")
    monkeypatch.chdir(tmp_path)
    assert training.results_path() is None
    assert training.record("t.acc", 0.9, 0.5).ok
    assert not (tmp_path / "_build").exists()
    assert training.read_results().empty


def test_epoch_timer_clocks_and_errors():
    timer = training.EpochTimer(clock="cpu")
    with pytest.raises(RuntimeError, match="no epoch has been timed"):
        timer.mean
    tiny_fit([timer], epochs=2)
    assert len(timer.seconds) == 2 and timer.mean >= 0
    with pytest.raises(ValueError, match="clock must be one of 'wall', 'cpu'"):
        training.EpochTimer(clock="gpu")


def test_split_validation_holds_out_a_shuffled_part():
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    (x_fit, y_fit), (x_val, y_val) = training.split_validation(x, y, 0.2, seed=1)
    assert len(x_val) == 10 and len(x_fit) == 40
    assert set(y_fit) | set(y_val) == set(range(50)) and not set(y_fit) & set(y_val)
    np.testing.assert_array_equal(x_val[:, 0] // 2, y_val)        # pairs stay together
    assert sorted(y_val) != list(range(10))                       # shuffled, not the head
    for bad in (0, 1, float("nan"), -0.1):
        with pytest.raises(ValueError, match="validation_fraction"):
            training.split_validation(x, y, bad)
    with pytest.raises(ValueError, match="same length"):
        training.split_validation(x, y[:3], 0.2)


def test_split_validation_takes_a_count_and_can_stratify():
    x, y = np.zeros((60, 4, 4, 1)), np.repeat([0, 1, 2], 20)
    (xt, yt), (xv, yv) = training.split_validation(x, y, n_validation=15, stratify=True, seed=1)
    assert len(xt) == 45 and np.bincount(yv).tolist() == [5, 5, 5]
    assert np.bincount(yt).tolist() == [15, 15, 15]
    (_, _), (_, y_plain) = training.split_validation(x, y, n_validation=15, seed=1)
    assert len(y_plain) == 15
    for bad in (0, 60, 2.5):
        with pytest.raises(ValueError, match="n_validation"):
            training.split_validation(x, y, n_validation=bad)
    with pytest.raises(ValueError, match="not both"):
        training.split_validation(x, y, 0.2, n_validation=10)


def test_train_and_measure_validates_on_training_data_and_tests_once():
    class Tiny:
        x_train = np.random.default_rng(0).random((40, 4, 4, 1)).astype("float32")
        y_train = np.arange(40) % 2
        x_test, y_test = x_train[:8], y_train[:8]

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="compiled"):
        training.train_and_measure(model, Tiny, epochs=1)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    result = training.train_and_measure(model, Tiny, epochs=2, batch_size=8, validation_fraction=0.25)
    assert result["parameters"] == 34 and result["flops"] == 32
    assert 0 <= result["val_accuracy"] <= 1 and 0 <= result["test_accuracy"] <= 1
    assert len(result["history"].history["val_loss"]) == 2
