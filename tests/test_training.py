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
    with pytest.raises(ValueError, match="positive integer"):
        training.epochs_for(*args)
