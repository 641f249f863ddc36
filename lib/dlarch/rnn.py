"""Recurrent networks from scratch: SimpleRNN, LSTM and GRU cells, BPTT gradients, sampling.

The three cells are written with ``keras.ops`` and plug into
``keras.layers.RNN``. They store their weights in the same layout as Keras's
own cells (``kernel``, ``recurrent_kernel``, ``bias``; gates concatenated in
Keras's order), so ``keras_layer.cell.set_weights(cell.get_weights())``
copies a from-scratch cell into ``keras.layers.SimpleRNN`` / ``LSTM`` /
``GRU`` and the tests can prove they compute the same numbers.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

KINDS = ("simple", "lstm", "gru")
KERAS_LAYERS = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
                "gru": keras.layers.GRU}


def _check_units(units) -> int:
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    return int(units)


class _Cell(keras.layers.Layer):
    """Shared weights of the three cells: input, recurrent and bias matrices."""

    gates = 1  # how many blocks of ``units`` columns the kernels hold

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_units(units)

    def _bias_initializer(self):
        return "zeros"

    def _bias_shape(self):
        return (self.gates * self.units,)

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], width), name="kernel",
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), name="recurrent_kernel",
                                                initializer="orthogonal")
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_initializer())

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="dlarch")
class SimpleRNNCell(_Cell):
    """Elman's recurrence h_t = tanh(x_t W + h_{t-1} U + b) (Elman 1990).

    Same weights and outputs as ``keras.layers.SimpleRNNCell``.
    """

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def call(self, inputs, states):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel)
                     + self.bias)
        return h, [h]


@keras.saving.register_keras_serializable(package="dlarch")
class LSTMCell(_Cell):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), with a forget gate.

    Gates in Keras's order i, f, c, o::

        i, f, o = sigmoid(.), g = tanh(.)      (each x_t W_k + h_{t-1} U_k + b_k)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The forget-gate bias starts at 1 (``unit_forget_bias``), as in Keras.
    """

    gates = 4

    @property
    def state_size(self):
        return [self.units, self.units]

    @property
    def output_size(self):
        return self.units

    def _bias_initializer(self):
        units = self.units

        def unit_forget_bias(shape, dtype=None):
            return ops.concatenate([ops.zeros((units,)), ops.ones((units,)),
                                    ops.zeros((2 * units,))])

        return unit_forget_bias

    def call(self, inputs, states):
        h_prev, c_prev = states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel) + self.bias
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c_prev + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]


@keras.saving.register_keras_serializable(package="dlarch")
class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al. 2014), update gate z and reset gate r.

    Gates in Keras's order z, r, h::

        z = sigmoid(x W_z + h U_z + b_z),  r = sigmoid(x W_r + h U_r + b_r)
        reset_after=False:  n = tanh(x W_h + (r * h) U_h + b_h)          (Cho et al.)
        reset_after=True:   n = tanh(x W_h + b_h + r * (h U_h + b'_h))    (cuDNN, Keras default)
        h_t = z * h_{t-1} + (1 - z) * n

    With ``reset_after=True`` the bias has shape (2, 3 units): input and
    recurrent biases, exactly like ``keras.layers.GRUCell``.
    """

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        if not isinstance(reset_after, bool):
            raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = reset_after

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        if self.reset_after:
            x_part = ops.matmul(inputs, self.kernel) + self.bias[0]
            h_part = ops.matmul(h_prev, self.recurrent_kernel) + self.bias[1]
        else:
            x_part = ops.matmul(inputs, self.kernel) + self.bias
            h_part = ops.matmul(h_prev, self.recurrent_kernel[:, : 2 * u])
        z = ops.sigmoid(x_part[:, :u] + h_part[:, :u])
        r = ops.sigmoid(x_part[:, u:2 * u] + h_part[:, u:2 * u])
        if self.reset_after:
            n = ops.tanh(x_part[:, 2 * u:] + r * h_part[:, 2 * u:])
        else:
            n = ops.tanh(x_part[:, 2 * u:] + ops.matmul(r * h_prev, self.recurrent_kernel[:, 2 * u:]))
        h = z * h_prev + (1.0 - z) * n
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


CELLS = {"simple": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell}


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def recurrent_layer(kind: str, units: int, *, scratch: bool = False, **kwargs):
    """A recurrent layer of ``kind`` ("simple", "lstm" or "gru").

    ``scratch=True`` wraps this module's cell in ``keras.layers.RNN``;
    otherwise the Keras layer is returned. Extra keyword arguments
    (``return_sequences``, ``name``, ...) go to the layer.
    """
    _check_kind(kind)
    _check_units(units)
    if scratch:
        return keras.layers.RNN(CELLS[kind](units), **kwargs)
    return KERAS_LAYERS[kind](units, **kwargs)


def sequence_regressor(kind: str, units: int, length: int, features: int, outputs: int = 1,
                       *, name: str | None = None) -> keras.Model:
    """Input (length, features) -> one recurrent layer -> Dense(outputs) on the last state."""
    for label, value in (("length", length), ("features", features), ("outputs", outputs)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    return keras.Sequential([
        keras.Input((length, features)),
        recurrent_layer(kind, units),
        keras.layers.Dense(outputs),
    ], name=name or f"{kind}_{units}")


def _require_tensorflow(what: str):
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            f"{what} uses tf.GradientTape and needs the TensorFlow backend; "
            f"the active Keras backend is {keras.backend.backend()!r}")
    import tensorflow as tf

    return tf


def input_gradient_norms(fn, x) -> np.ndarray:
    """Norm of d(sum of fn(x))/d x_t for every step t, averaged over the batch.

    This is what backpropagation through time delivers to an input t steps
    before the end: entry ``k`` of the result is the gradient norm at
    distance ``k`` from the last step (k = 0 is the last input). Vanishing
    gradients show up as a fast decay with k, exploding ones as growth
    (Pascanu et al. 2013). TensorFlow backend only.

    Args:
        fn: a recurrent layer, a model, or a function of x returning a loss
            (e.g. ``lambda x: keras.losses.mean_squared_error(y, model(x))``).
        x: inputs of shape (batch, T, d).
    """
    tf = _require_tensorflow("input_gradient_norms")
    x = np.asarray(x, dtype="float32")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, features), got {x.shape}")
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(fn(x))
    grads = tape.gradient(total, x)  # (batch, T, d)
    norms = tf.reduce_mean(tf.norm(grads, axis=-1), axis=0).numpy()
    return norms[::-1]


def clip_by_global_norm(grads, threshold: float):
    """Pascanu et al. (2013) clipping: rescale all gradients if their joint norm exceeds threshold.

    g <- g * threshold / ||g|| when ||g|| > threshold. Returns (clipped, norm
    before clipping). Same result as ``tf.clip_by_global_norm`` and Keras's
    ``global_clipnorm`` optimizer argument.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold!r}")
    norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))
    scale = ops.minimum(1.0, threshold / ops.maximum(norm, 1e-12))
    return [g * scale for g in grads], norm


def train_recording_gradients(model, x, y, *, steps: int, batch_size: int, learning_rate: float,
                              clip: float | None = None, seed: int = 0) -> dict:
    """Plain SGD on mean squared error, recording loss and gradient norm at every step.

    A short hand-written loop (TensorFlow backend) so the gradient norm
    before clipping is visible; ``clip`` applies :func:`clip_by_global_norm`.
    Returns ``{"loss": [...], "grad_norm": [...]}``.
    """
    tf = _require_tensorflow("train_recording_gradients")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not isinstance(batch_size, int) or not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must be an integer in 1..{len(x)}, got {batch_size!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be None or positive, got {clip!r}")
    rng = np.random.default_rng(seed)
    weights = model.trainable_weights
    log = {"loss": [], "grad_norm": []}
    for _ in range(steps):
        idx = rng.choice(len(x), batch_size, replace=False)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x[idx], training=True) - y[idx]))
        grads = tape.gradient(loss, weights)
        if clip is not None:
            grads, norm = clip_by_global_norm(grads, clip)
        else:
            norm = tf.linalg.global_norm(grads)
        for w, g in zip(weights, grads):
            w.assign_sub(learning_rate * g)
        log["loss"].append(float(loss))
        log["grad_norm"].append(float(norm))
    return log


def sample_with_temperature(logits, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one id per row from softmax(logits / temperature).

    Low temperatures sharpen the distribution towards the most likely id
    (greedy as T -> 0); T = 1 samples the model's own distribution; high
    temperatures flatten it towards uniform.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    logits = np.atleast_2d(np.asarray(logits, dtype="float64")) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(probs.shape[-1], p=p) for p in probs])


def _initial_states(layer, batch: int):
    sizes = layer.cell.state_size
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
    return [ops.zeros((batch, size)) for size in sizes]


def generate(model, prompt_ids, length: int, temperatures, *, seed: int = 0):
    """Continue ``prompt_ids`` by ``length`` ids once per temperature, all in one batch.

    ``model`` is a ``keras.Sequential`` of per-step layers (``Embedding``,
    ``Dense``, ...) and recurrent layers (``keras.layers.RNN`` and its
    subclasses SimpleRNN/LSTM/GRU) that maps ids (batch, T) to next-id logits
    (batch, T, vocab). Generation runs one step at a time through each
    recurrent layer's cell, carrying its state, so every new id costs one
    cell step instead of a pass over the whole history. Returns one id
    array per temperature (prompt excluded).
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    temperatures = list(temperatures)
    if not temperatures:
        raise ValueError("temperatures must hold at least one value")
    for t in temperatures:
        if not t > 0:
            raise ValueError(f"every temperature must be positive, got {t!r}")
    prompt = np.asarray(prompt_ids, dtype="int32")
    if prompt.ndim != 1 or len(prompt) == 0:
        raise ValueError(f"prompt_ids must be a non-empty 1-D sequence, got shape {prompt.shape}")
    layers = list(model.layers)
    if not any(isinstance(layer, keras.layers.RNN) for layer in layers):
        raise ValueError("model must contain a recurrent layer (keras.layers.RNN or a subclass)")
    if any(isinstance(layer, keras.layers.Bidirectional) for layer in layers):
        raise ValueError("a bidirectional model needs the future, so it cannot generate step by step")
    batch = len(temperatures)
    states = {layer.name: _initial_states(layer, batch)
              for layer in layers if isinstance(layer, keras.layers.RNN)}

    def step(tokens):
        h = ops.convert_to_tensor(tokens)
        for layer in layers:
            if isinstance(layer, keras.layers.RNN):
                h, new = layer.cell(h, states[layer.name])
                states[layer.name] = list(new) if isinstance(new, (list, tuple)) else [new]
            else:
                h = layer(h)
        return ops.convert_to_numpy(h)

    for token in prompt:
        logits = step(np.full((batch,), token, dtype="int32"))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(length):
        nxt = np.array([sample_with_temperature(row, t, rng)[0]
                        for row, t in zip(logits, temperatures)], dtype="int32")
        out.append(nxt)
        logits = step(nxt)
    return list(np.stack(out, axis=1))
