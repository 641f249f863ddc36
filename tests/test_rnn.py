"""Tests for dlarch.rnn (from-scratch cells = Keras layers) and the chapter 03 data generators."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlarch import rnn
from dlarch.data import (adding_problem, forecast_windows, load_imdb, majority_task,
                         next_step_windows, synthetic_series)
from dlarch.data.imdb import synthetic_reviews

ATOL = 1e-5
CASES = [("simple", {}), ("lstm", {}), ("gru", {"reset_after": True}),
         ("gru", {"reset_after": False})]
IDS = ["simple", "lstm", "gru-reset_after", "gru-reset_before"]


def _inputs(batch=3, steps=6, features=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype("float32")


def _pair(kind, kwargs, return_sequences, units=5):
    """A from-scratch RNN and the Keras layer, the Keras one holding the scratch weights."""
    x = _inputs()
    mine = keras.layers.RNN(rnn.CELLS[kind](units, **kwargs), return_sequences=return_sequences)
    ref = rnn.KERAS_LAYERS[kind](units, return_sequences=return_sequences, **kwargs)
    mine(x), ref(x)
    ref.cell.set_weights(mine.cell.get_weights())
    return x, mine, ref


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind,kwargs", CASES, ids=IDS)
def test_scratch_cell_equals_keras_layer(kind, kwargs, return_sequences):
    x, mine, ref = _pair(kind, kwargs, return_sequences)
    ours, theirs = np.asarray(mine(x)), np.asarray(ref(x))
    expected = (3, 6, 5) if return_sequences else (3, 5)
    assert ours.shape == theirs.shape == expected
    np.testing.assert_allclose(ours, theirs, atol=ATOL)


@pytest.mark.parametrize("kind,kwargs", CASES, ids=IDS)
def test_scratch_gradients_equal_keras(kind, kwargs):
    x, mine, ref = _pair(kind, kwargs, return_sequences=True)
    ours = rnn.input_gradient_norms(mine.__call__, x)
    theirs = rnn.input_gradient_norms(ref.__call__, x)
    np.testing.assert_allclose(ours, theirs, atol=ATOL)


def test_comparison_can_fail():
    x, mine, ref = _pair("lstm", {}, return_sequences=False)
    kernel = mine.cell.kernel
    kernel.assign(kernel + 0.1)
    assert np.abs(np.asarray(mine(x)) - np.asarray(ref(x))).max() > 1e-3


def test_weight_layout_matches_keras():
    for kind, kwargs in CASES:
        mine = rnn.CELLS[kind](7, **kwargs)
        ref = rnn.KERAS_LAYERS[kind](7, **kwargs).cell
        mine.build((None, 3)), ref.build((None, 3))
        assert [w.shape for w in mine.weights] == [w.shape for w in ref.weights]


def test_lstm_forget_bias_starts_at_one():
    cell = rnn.LSTMCell(4)
    cell.build((None, 2))
    np.testing.assert_array_equal(np.asarray(cell.bias), [0] * 4 + [1] * 4 + [0] * 8)


@pytest.mark.parametrize("kind,kwargs", CASES, ids=IDS)
def test_keras_round_trip(kind, kwargs, tmp_path):
    model = keras.Sequential([keras.Input((6, 4)),
                              keras.layers.RNN(rnn.CELLS[kind](5, **kwargs)),
                              keras.layers.Dense(1)])
    x = _inputs()
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    assert type(loaded.layers[0].cell) is rnn.CELLS[kind]
    if kind == "gru":
        assert loaded.layers[0].cell.reset_after == kwargs["reset_after"]


def test_recurrent_layer_and_regressor():
    assert isinstance(rnn.recurrent_layer("lstm", 3), keras.layers.LSTM)
    scratch = rnn.recurrent_layer("gru", 3, scratch=True, return_sequences=True)
    assert isinstance(scratch, keras.layers.RNN) and isinstance(scratch.cell, rnn.GRUCell)
    model = rnn.sequence_regressor("simple", 4, length=6, features=4, outputs=2)
    assert model(_inputs()).shape == (3, 2)
    assert model.count_params() == (4 * 4 + 4 * 4 + 4) + (4 * 2 + 2)


@pytest.mark.parametrize("call", [
    lambda: rnn.SimpleRNNCell(0),
    lambda: rnn.LSTMCell(2.5),
    lambda: rnn.GRUCell(3, reset_after="yes"),
    lambda: rnn.recurrent_layer("transformer", 3),
    lambda: rnn.sequence_regressor("lstm", 3, length=0, features=2),
    lambda: rnn.sample_with_temperature([0.0, 1.0], 0.0, np.random.default_rng(0)),
    lambda: rnn.clip_by_global_norm([np.ones(2)], -1.0),
    lambda: rnn.input_gradient_norms(keras.layers.SimpleRNN(2), np.zeros((2, 3))),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_vanishing_and_exploding_gradients_are_measured():
    x = _inputs(batch=8, steps=40, features=2) * 0.1
    norms = {}
    for gain in (0.5, 3.0):
        keras.utils.set_random_seed(0)
        layer = keras.layers.SimpleRNN(16, recurrent_initializer=keras.initializers.Orthogonal(gain))
        norms[gain] = rnn.input_gradient_norms(layer, x)
    assert norms[0.5].shape == (40,)
    assert norms[0.5][-1] < 1e-6 * norms[0.5][0]     # vanishes with distance
    assert norms[3.0][-1] > 1e3 * norms[3.0][0]      # explodes with distance


def test_clip_by_global_norm_matches_tensorflow():
    grads = [np.array([3.0, 4.0], "float32"), np.array([[12.0]], "float32")]  # norm 13
    clipped, norm = rnn.clip_by_global_norm(grads, 1.0)
    expected, tf_norm = tf.clip_by_global_norm(grads, 1.0)
    assert float(norm) == pytest.approx(13.0) == float(tf_norm)
    for a, b in zip(clipped, expected):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), atol=1e-6)
    unchanged, _ = rnn.clip_by_global_norm(grads, 100.0)
    np.testing.assert_allclose(np.asarray(unchanged[0]), grads[0])


def test_clipping_keeps_training_finite():
    x, y = adding_problem(64, 20, seed=0)
    logs = {}
    for clip in (None, 1.0):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.Input((20, 2)),
            keras.layers.SimpleRNN(8, recurrent_initializer=keras.initializers.Orthogonal(3.0)),
            keras.layers.Dense(1)])
        logs[clip] = rnn.train_recording_gradients(model, x, y, steps=15, batch_size=16,
                                                   learning_rate=0.5, clip=clip)
    assert len(logs[1.0]["loss"]) == 15 and np.all(np.isfinite(logs[1.0]["loss"]))
    assert not np.all(np.isfinite(logs[None]["loss"])) or max(logs[None]["loss"]) > 10


def test_sampling_temperature():
    rng = np.random.default_rng(0)
    logits = np.array([[0.0, 2.0, 1.0]] * 200)
    assert set(rnn.sample_with_temperature(logits, 1e-3, rng)) == {1}
    hot = rnn.sample_with_temperature(logits, 100.0, rng)
    assert len(set(hot)) == 3


@pytest.mark.parametrize("kind", rnn.KINDS)
@pytest.mark.parametrize("scratch", [False, True])
def test_generate_steps_agree_with_full_sequence(kind, scratch):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(12, 4),
                              rnn.recurrent_layer(kind, 6, scratch=scratch, return_sequences=True),
                              keras.layers.Dense(12)])
    prompt = np.array([3, 4, 5])
    greedy, warm = rnn.generate(model, prompt, 8, [1e-4, 1.0], seed=1)
    assert greedy.shape == warm.shape == (8,)
    seq = np.concatenate([prompt, greedy])
    logits = np.asarray(model(seq[None, :-1]))[0, len(prompt) - 1:]
    chosen = logits[np.arange(8), greedy]
    np.testing.assert_array_less(logits.max(-1) - chosen, 2e-3)  # greedy up to near-ties
    with pytest.raises(ValueError):
        rnn.generate(model, prompt, 5, [0.0])


def test_adding_problem():
    x, y = adding_problem(500, 30, seed=3)
    x2, y2 = adding_problem(500, 30, seed=3)
    np.testing.assert_array_equal(x, x2)
    assert x.shape == (500, 30, 2) and y.shape == (500, 1)
    marks = x[..., 1]
    assert np.all(marks[:, :15].sum(1) == 1) and np.all(marks[:, 15:].sum(1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(1), atol=1e-6)
    big_x, big_y = adding_problem(20000, 10, seed=0)
    assert np.mean((big_y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.01)
    with pytest.raises(ValueError):
        adding_problem(10, 1)


def test_majority_task():
    x, y = majority_task(50, 12, radius=1, seed=0)
    bits = x[..., 0].astype(int)
    padded = np.pad(bits, ((0, 0), (1, 1)))
    expected = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) >= 2
    np.testing.assert_array_equal(y[..., 0], expected)
    with pytest.raises(ValueError):
        majority_task(10, 5, radius=0)


def test_series_and_windows():
    s = synthetic_series(300, seed=1)
    np.testing.assert_array_equal(s, synthetic_series(300, seed=1))
    x, y = forecast_windows(s, window=24, horizon=6)
    assert x.shape == (271, 24, 1) and y.shape == (271, 6)
    np.testing.assert_array_equal(x[5, :, 0], s[5:29])
    np.testing.assert_array_equal(y[5], s[29:35])
    with pytest.raises(ValueError):
        forecast_windows(s[:10], window=8, horizon=5)
    ids = np.arange(11)
    xi, yi = next_step_windows(ids, 5)
    np.testing.assert_array_equal(xi, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(yi, xi + 1)


def test_imdb_offline_stand_in(monkeypatch, capsys):
    monkeypatch.setenv("DLARCH_OFFLINE", "1")
    data = load_imdb(num_words=1000, maxlen=50, n_synthetic=200)
    assert data.source == "synthetic" and "synthetic" in capsys.readouterr().out
    assert data.x_train.shape == (200, 50) and data.x_test.shape == (200, 50)
    assert data.x_train.max() < data.vocab_size == 1000
    assert 0.3 < data.y_train.mean() < 0.7
    x1, _ = synthetic_reviews(20, maxlen=40, vocab_size=500, seed=2)
    x2, _ = synthetic_reviews(20, maxlen=40, vocab_size=500, seed=2)
    np.testing.assert_array_equal(x1, x2)
    with pytest.raises(ValueError):
        load_imdb(maxlen=5)
