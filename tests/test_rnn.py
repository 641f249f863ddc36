"""Tests for dlarch.rnn (from-scratch cells = Keras layers) and the chapter 03 data generators."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

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


def _initial_state(kind, batch=3, units=5, seed=1):
    """A non-zero initial state (h, and c for the LSTM)."""
    rng = np.random.default_rng(seed)
    count = 2 if kind == "lstm" else 1
    return [rng.normal(scale=0.5, size=(batch, units)).astype("float32") for _ in range(count)]


def _pair(kind, kwargs, return_sequences=True, units=5, cell=None):
    """A from-scratch RNN with random weights and biases, and the matching Keras layer."""
    cell = cell or rnn.CELLS[kind](units, **kwargs)
    mine = keras.layers.RNN(cell, return_sequences=return_sequences)
    ref = rnn.KERAS_LAYERS[kind](units, return_sequences=return_sequences, **kwargs)
    mine(_inputs(), initial_state=_initial_state(kind, units=units))
    rnn.randomize_weights(mine, seed=3)
    return mine, ref


class GRUCandidateBiasOutsideReset(rnn.GRUCell):
    """Planted bug: n = tanh(x W_h + b_h + r * (h U_h) + b'_h), the recurrent bias outside r."""

    def call(self, inputs, states):
        h_prev, u = states[0], self.units
        x_part = ops.matmul(inputs, self.kernel) + self.bias[0]
        h_part = ops.matmul(h_prev, self.recurrent_kernel)
        z = ops.sigmoid(x_part[:, :u] + h_part[:, :u] + self.bias[1, :u])
        r = ops.sigmoid(x_part[:, u:2 * u] + h_part[:, u:2 * u] + self.bias[1, u:2 * u])
        n = ops.tanh(x_part[:, 2 * u:] + r * h_part[:, 2 * u:] + self.bias[1, 2 * u:])
        h = z * h_prev + (1.0 - z) * n
        return h, [h]


class LSTMInputCandidateBiasSwapped(rnn.LSTMCell):
    """Planted bug: the input gate gets the candidate's bias block and vice versa."""

    def call(self, inputs, states):
        h_prev, c_prev = states
        b_i, b_f, b_g, b_o = ops.split(self.bias, 4)
        bias = ops.concatenate([b_g, b_f, b_i, b_o])
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel) + bias
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c_prev + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]


PLANTED = [("gru", {"reset_after": True}, GRUCandidateBiasOutsideReset),
           ("lstm", {}, LSTMInputCandidateBiasSwapped)]


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind,kwargs", CASES, ids=IDS)
def test_scratch_cell_equals_keras_output_and_every_gradient(kind, kwargs, return_sequences):
    mine, ref = _pair(kind, kwargs, return_sequences)
    diffs = rnn.compare_with_keras(mine, ref, _inputs(), _initial_state(kind))
    expected = {"output", "d/d kernel", "d/d recurrent_kernel", "d/d bias", "d/d x",
                *(f"d/d initial_state[{i}]" for i in range(len(_initial_state(kind))))}
    assert set(diffs) == expected
    assert max(diffs.values()) < ATOL, diffs
    for variable in mine.cell.weights:   # random, not the default zeros / ones
        assert np.abs(np.asarray(variable)).min() > 0 and np.std(np.asarray(variable)) > 0.1


@pytest.mark.parametrize("kind,kwargs,buggy", PLANTED, ids=["gru", "lstm"])
def test_planted_bias_bugs_are_caught(kind, kwargs, buggy):
    x, state = _inputs(), _initial_state(kind)
    mine, ref = _pair(kind, kwargs, cell=buggy(5, **kwargs))
    diffs = rnn.compare_with_keras(mine, ref, x, state)
    assert diffs["output"] > 1e-2 and diffs["d/d bias"] > 1e-2, diffs
    # Why the weights must be random: at Keras's default initialisation (zero biases, LSTM
    # forget bias 1) both bugs give exactly the same outputs; only the bias gradient differs.
    keras.utils.set_random_seed(0)
    default = keras.layers.RNN(buggy(5, **kwargs), return_sequences=True)
    diffs = rnn.compare_with_keras(default, ref, x, state)
    assert diffs["output"] < ATOL and diffs["d/d kernel"] < ATOL
    assert diffs["d/d bias"] > 1e-2, diffs


@pytest.mark.parametrize("kind,kwargs", CASES, ids=IDS)
def test_comparison_can_fail_on_every_weight_and_bias_block(kind, kwargs):
    """A 0.1 change in any gate block of any weight, every bias row included, is caught."""
    x, state = _inputs(), _initial_state(kind)
    mine, ref = _pair(kind, kwargs)
    rnn.compare_with_keras(mine, ref, x, state)   # copies the weights across
    for variable in mine.cell.weights:
        original = np.asarray(variable).copy()
        width = original.shape[-1] // rnn.CELLS[kind].gates
        rows = list(np.ndindex(original.shape[:-1])) if variable.name == "bias" else [(0,)]
        for index in rows:   # both rows of the (2, 3u) GRU bias; the first row of a kernel
            for column in range(0, original.shape[-1], width):   # the first unit of each gate
                changed = original.copy()
                changed[index + (column,)] += 0.1
                variable.assign(changed)
                diffs = rnn.compare_with_keras(mine, ref, x, state, copy_weights=False)
                assert diffs["output"] > 1e-4, (variable.name, index, column)
        variable.assign(original)
    assert max(rnn.compare_with_keras(mine, ref, x, state, copy_weights=False).values()) < ATOL


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


def _tiny_model(units=3, length=4):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((length, 2)), keras.layers.SimpleRNN(units),
                             keras.layers.Dense(1)])


def _char_model(vocab=12):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(vocab, 4),
                             keras.layers.GRU(6, return_sequences=True), keras.layers.Dense(vocab)])


NAN, INF = float("nan"), float("inf")
RNG = np.random.default_rng(0)
X4 = np.zeros((8, 4, 2), "float32")
Y4 = np.zeros((8, 1), "float32")

# (argument named in the message, call): every call must raise ValueError naming the argument.
BAD_INPUTS = [
    ("units", lambda: rnn.SimpleRNNCell(0)),
    ("units", lambda: rnn.LSTMCell(2.5)),
    ("units", lambda: rnn.GRUCell(True)),
    ("units", lambda: rnn.GRUCell(-3)),
    ("reset_after", lambda: rnn.GRUCell(3, reset_after="yes")),
    ("reset_after", lambda: rnn.GRUCell(3, reset_after=1)),
    ("kind", lambda: rnn.recurrent_layer("transformer", 3)),
    ("kind", lambda: rnn.recurrent_layer(["lstm"], 3)),
    ("units", lambda: rnn.recurrent_layer("lstm", NAN)),
    ("length", lambda: rnn.sequence_regressor("lstm", 3, length=0, features=2)),
    ("features", lambda: rnn.sequence_regressor("lstm", 3, length=4, features=-1)),
    ("outputs", lambda: rnn.sequence_regressor("lstm", 3, length=4, features=2, outputs=1.0)),
    ("scale", lambda: rnn.randomize_weights(keras.layers.Dense(2), seed=0, scale=NAN)),
    ("seed", lambda: rnn.randomize_weights(keras.layers.Dense(2), seed=-1)),
    ("temperature", lambda: rnn.sample_with_temperature([0.0, 1.0], 0.0, RNG)),
    ("temperature", lambda: rnn.sample_with_temperature([0.0, 1.0], NAN, RNG)),
    ("temperature", lambda: rnn.sample_with_temperature([0.0, 1.0], INF, RNG)),
    ("temperature", lambda: rnn.sample_with_temperature([0.0, 1.0], -1.0, RNG)),
    ("logits", lambda: rnn.sample_with_temperature([0.0, NAN], 1.0, RNG)),
    ("logits", lambda: rnn.sample_with_temperature([[[0.0]]], 1.0, RNG)),
    ("logits", lambda: rnn.sample_with_temperature([-INF, -INF], 1.0, RNG)),
    ("rng", lambda: rnn.sample_with_temperature([0.0, 1.0], 1.0, 0)),
    ("threshold", lambda: rnn.clip_by_global_norm([np.ones(2)], -1.0)),
    ("threshold", lambda: rnn.clip_by_global_norm([np.ones(2)], NAN)),
    ("x", lambda: rnn.input_gradient_norms(keras.layers.SimpleRNN(2), np.zeros((2, 3)))),
    ("x", lambda: rnn.input_gradient_norms(keras.layers.SimpleRNN(2), np.full((1, 2, 1), NAN))),
    ("initial_state", lambda: rnn.compare_with_keras(
        keras.layers.RNN(rnn.SimpleRNNCell(2)), keras.layers.SimpleRNN(2), X4, np.zeros(2))),
    ("learning_rate", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, Y4, steps=1, batch_size=2, learning_rate=NAN)),
    ("learning_rate", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, Y4, steps=1, batch_size=2, learning_rate=0)),
    ("clip", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, Y4, steps=1, batch_size=2, learning_rate=0.1, clip=NAN)),
    ("steps", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, Y4, steps=0, batch_size=2, learning_rate=0.1)),
    ("batch_size", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, Y4, steps=1, batch_size=9, learning_rate=0.1)),
    ("y", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, np.zeros((8, 2)), steps=1, batch_size=2, learning_rate=0.1)),
    ("y", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, np.zeros((7, 1)), steps=1, batch_size=2, learning_rate=0.1)),
    ("y", lambda: rnn.train_recording_gradients(
        _tiny_model(), X4, np.full((8, 1), NAN), steps=1, batch_size=2, learning_rate=0.1)),
    ("prompt_ids", lambda: rnn.generate_text(_char_model(), [3, -1], 2, [1.0])),
    ("prompt_ids", lambda: rnn.generate_text(_char_model(), [3, 12], 2, [1.0])),
    ("prompt_ids", lambda: rnn.generate_text(_char_model(), [], 2, [1.0])),
    ("prompt_ids", lambda: rnn.generate_text(_char_model(), [0.5], 2, [1.0])),
    ("length", lambda: rnn.generate_text(_char_model(), [3], 0, [1.0])),
    ("temperatures", lambda: rnn.generate_text(_char_model(), [3], 2, [1.0, NAN])),
    ("temperatures", lambda: rnn.generate_text(_char_model(), [3], 2, [])),
    ("model", lambda: rnn.generate_text(keras.Sequential([
        keras.Input((None,), dtype="int32"), keras.layers.Embedding(5, 2), keras.layers.Dense(5)]),
        [1], 2, [1.0])),
    ("t", lambda: rnn.bptt_jacobian(np.zeros((3, 2)), np.eye(2), 4)),
    ("t", lambda: rnn.bptt_jacobian(np.zeros((3, 2)), np.eye(2), 0)),
    ("states", lambda: rnn.bptt_jacobian(np.zeros(3), np.eye(2), 1)),
    ("recurrent_kernel", lambda: rnn.simple_rnn_states(np.zeros((3, 2)), np.zeros((2, 4)),
                                                      np.zeros((3, 4)), np.zeros(4))),
]


@pytest.mark.parametrize("argument,call", BAD_INPUTS,
                         ids=[f"{i}-{name}" for i, (name, _) in enumerate(BAD_INPUTS)])
def test_bad_input_raises_value_error_naming_the_argument(argument, call):
    with pytest.raises(ValueError, match=argument):
        call()


def test_numpy_scalars_are_accepted():
    assert rnn.LSTMCell(np.int64(3)).units == 3
    assert rnn.GRUCell(np.int32(2), reset_after=np.bool_(False)).reset_after is False
    layer = rnn.recurrent_layer("gru", np.int64(3))
    assert layer.units == 3
    model = rnn.sequence_regressor("simple", np.int64(2), np.int64(4), np.int32(2), np.int16(1))
    assert model.output_shape == (None, 1)
    assert rnn.sample_with_temperature([0.0, 5.0], np.float32(1e-3), RNG)[0] == 1
    _, norm = rnn.clip_by_global_norm([np.ones(4, "float32")], np.float64(1.0))
    assert float(norm) == pytest.approx(2.0)
    log = rnn.train_recording_gradients(_tiny_model(), X4, Y4, steps=np.int64(2),
                                        batch_size=np.int32(2), learning_rate=np.float32(0.1))
    assert len(log["loss"]) == 2
    assert rnn.generate_text(_char_model(), np.array([3, 4]), np.int64(2),
                             [np.float32(1.0)])[0].shape == (2,)


def test_one_dimensional_targets_train_like_a_column():
    """(n,) targets against (n, 1) predictions must not broadcast to an (n, n) loss."""
    x, y = adding_problem(64, 6, seed=0)
    logs = {}
    for shape in ("column", "flat"):
        model = _tiny_model(length=6)
        target = y if shape == "column" else y[:, 0]
        logs[shape] = rnn.train_recording_gradients(model, x, target, steps=3, batch_size=16,
                                                    learning_rate=0.1)
    np.testing.assert_allclose(logs["flat"]["loss"], logs["column"]["loss"], rtol=1e-6)
    first = np.random.default_rng(0).choice(64, 16, replace=False)
    expected = np.mean((np.asarray(_tiny_model(length=6)(x[first])) - y[first]) ** 2)
    assert logs["flat"]["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_bptt_jacobian_by_hand_equals_gradient_tape():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3))
    w, u, b = rng.normal(scale=0.6, size=(3, 4)), rng.normal(scale=0.6, size=(4, 4)), rng.normal(size=4)
    states = rnn.simple_rnn_states(x, w, u, b)
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    layer.build((None, None, 3))
    layer.cell.set_weights([w, u, b])
    np.testing.assert_allclose(np.asarray(layer(x[None].astype("float32")))[0], states, atol=1e-5)
    t = 2
    h_t = tf.Variable(states[t - 1][None].astype("float64"))
    with tf.GradientTape() as tape:   # run the last T - t steps from h_t
        h = h_t
        for k in range(t, len(x)):
            h = tf.tanh(x[k][None] @ w + h @ u + b)
    by_tape = tape.jacobian(h, h_t).numpy()[0, :, 0, :]
    np.testing.assert_allclose(rnn.bptt_jacobian(states, u, t), by_tape, atol=1e-10)
    assert np.abs(rnn.bptt_jacobian(states, u.T, t) - by_tape).max() > 1e-2   # Uᵀ vs U matters
    np.testing.assert_array_equal(rnn.bptt_jacobian(states, u, len(x)), np.eye(4))


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


@pytest.mark.parametrize("kind", rnn.CELL_KINDS)
@pytest.mark.parametrize("scratch", [False, True])
def test_generate_steps_agree_with_full_sequence(kind, scratch):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(12, 4),
                              rnn.recurrent_layer(kind, 6, scratch=scratch, return_sequences=True),
                              keras.layers.Dense(12)])
    prompt = np.array([3, 4, 5])
    greedy, warm = rnn.generate_text(model, prompt, 8, [1e-4, 1.0], seed=1)
    assert greedy.shape == warm.shape == (8,)
    seq = np.concatenate([prompt, greedy])
    logits = np.asarray(model(seq[None, :-1]))[0, len(prompt) - 1:]
    chosen = logits[np.arange(8), greedy]
    np.testing.assert_array_less(logits.max(-1) - chosen, 2e-3)  # greedy up to near-ties
    with pytest.raises(ValueError):
        rnn.generate_text(model, prompt, 5, [0.0])


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
