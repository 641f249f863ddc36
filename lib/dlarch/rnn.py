"""Recurrent networks from scratch: SimpleRNN, LSTM and GRU cells, BPTT gradients, sampling.

The three cells are written with ``keras.ops`` and plug into
``keras.layers.RNN``. They store their weights in the same layout as Keras's
own cells (``kernel``, ``recurrent_kernel``, ``bias``; gates concatenated in
Keras's order), so ``keras_layer.cell.set_weights(cell.get_weights())``
copies a from-scratch cell into ``keras.layers.SimpleRNN`` / ``LSTM`` /
``GRU`` and :func:`compare_with_keras` can prove they compute the same
numbers and the same gradients.

The functions that differentiate (``compare_with_keras``,
``input_gradient_norms``, ``train_recording_gradients``) take gradients with
the active backend's own mechanism — ``tf.GradientTape`` on TensorFlow (the
course's backend), ``jax.grad`` on JAX — because Keras 3 has no
backend-neutral gradient function
(:func:`dlarch.neurons.value_and_gradients`); both run the same Keras layers.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from dlarch import _checks
from dlarch.neurons import value_and_gradients

CELL_KINDS = ("simple", "lstm", "gru")
KERAS_LAYERS = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
                "gru": keras.layers.GRU}


class _Cell(keras.layers.Layer):
    """Shared weights of the three cells: input, recurrent and bias matrices."""

    gates = 1  # how many blocks of ``units`` columns the kernels hold

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)

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
        if not isinstance(reset_after, (bool, np.bool_)):
            raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = bool(reset_after)

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


def recurrent_layer(kind: str, units: int, *, scratch: bool = False, **kwargs):
    """A recurrent layer of ``kind`` ("simple", "lstm" or "gru").

    ``scratch=True`` wraps this module's cell in ``keras.layers.RNN``;
    otherwise the Keras layer is returned. Extra keyword arguments
    (``return_sequences``, ``name``, ...) go to the layer.
    """
    kind = _checks.one_of("kind", kind, CELL_KINDS)
    units = _checks.positive_int("units", units)
    if scratch:
        return keras.layers.RNN(CELLS[kind](units), **kwargs)
    return KERAS_LAYERS[kind](units, **kwargs)


def sequence_regressor(kind: str, units: int, length: int, features: int, outputs: int = 1,
                       *, name: str | None = None) -> keras.Model:
    """Input (length, features) -> one recurrent layer -> Dense(outputs) on the last state.

    Returns an uncompiled model whose outputs are raw, unsquashed numbers
    (regression values, or logits if a notebook trains it as a classifier).
    """
    length = _checks.positive_int("length", length)
    features = _checks.positive_int("features", features)
    outputs = _checks.positive_int("outputs", outputs)
    return keras.Sequential([
        keras.Input((length, features)),
        recurrent_layer(kind, units),
        keras.layers.Dense(outputs),
    ], name=name or f"{kind}_{units}")


def randomize_weights(layer, seed: int, scale: float = 0.5) -> None:
    """Overwrite every weight of ``layer`` (biases included) with N(0, scale²) draws.

    Equality tests must not rely on the default initialisation: its biases are
    zero (the LSTM forget bias one), and a bias added in the wrong place then
    changes nothing.
    """
    seed = _checks.non_negative_int("seed", seed)
    scale = _checks.positive_float("scale", scale)
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        variable.assign(rng.normal(scale=scale, size=tuple(variable.shape)).astype("float32"))


def _state_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


def compare_with_keras(scratch, reference, x, initial_state, *, seed: int = 0,
                       copy_weights: bool = True) -> dict:
    """Largest absolute differences between two recurrent layers, forward and backward.

    Copies the weights of ``scratch`` (a ``keras.layers.RNN`` around one of this
    module's cells) into ``reference`` (the Keras layer; ``copy_weights=False``
    leaves both as they are, to test that a difference is caught), runs both on ``x``
    from ``initial_state`` and differentiates the same random projection of
    their outputs. Returns ``{"output": .., "d/d kernel": .., ...}``: one entry
    for the output and one for the gradient of every weight, of the input and
    of every initial state. Gradients come from ``tf.GradientTape`` on
    TensorFlow and ``jax.grad`` on JAX.
    """
    x = ops.convert_to_tensor(_checks.array("x", x, ndim=3, dtype="float32", finite=True))
    states = [ops.convert_to_tensor(
                  _checks.array("initial_state", s, ndim=2, dtype="float32", finite=True))
              for s in _state_list(initial_state)]
    out_shape = tuple(scratch(x, initial_state=states).shape)
    reference(x, initial_state=states)   # builds the weights before they are copied
    if copy_weights:
        reference.cell.set_weights(scratch.cell.get_weights())
    projection = ops.convert_to_tensor(np.random.default_rng(seed).normal(size=out_shape), "float32")
    results = {}
    for tag, layer in (("scratch", scratch), ("reference", reference)):
        def loss_fn(x, *states):
            out = layer(x, initial_state=list(states))
            return ops.sum(out * projection), out

        weights = layer.cell.trainable_weights
        _, out, grads = value_and_gradients(loss_fn, [x, *states], weights)
        names = (["d/d x", *(f"d/d initial_state[{i}]" for i in range(len(states)))]
                 + [f"d/d {v.name}" for v in weights])
        results[tag] = {"output": ops.convert_to_numpy(out),
                        **{name: ops.convert_to_numpy(g) for name, g in zip(names, grads)}}
    mine, theirs = results["scratch"], results["reference"]
    if mine.keys() != theirs.keys():
        raise ValueError(f"the two layers hold different weights: {sorted(mine)} vs {sorted(theirs)}")
    return {name: float(np.abs(mine[name] - theirs[name]).max()) for name in mine}


def input_gradient_norms(fn, x) -> np.ndarray:
    """Norm of d(sum of fn(x))/d x_t for every step t, averaged over the batch.

    This is what backpropagation through time delivers to an input t steps
    before the end: entry ``k`` of the result is the gradient norm at
    distance ``k`` from the last step (k = 0 is the last input). Vanishing
    gradients show up as a fast decay with k, exploding ones as growth
    (Pascanu et al. 2013). Gradients from ``tf.GradientTape`` on TensorFlow,
    ``jax.grad`` on JAX.

    Args:
        fn: a recurrent layer, a model, or a function of x returning a loss
            (e.g. ``lambda x: keras.losses.mean_squared_error(y, model(x))``).
        x: inputs of shape (batch, T, d).
    """
    x = ops.convert_to_tensor(_checks.array("x", x, ndim=3, dtype="float32", finite=True))
    _, _, (grads,) = value_and_gradients(lambda x: (ops.sum(fn(x)), None), [x], [])  # (batch, T, d)
    norms = ops.convert_to_numpy(ops.mean(ops.norm(grads, axis=-1), axis=0))
    return norms[::-1]


def simple_rnn_states(x, kernel, recurrent_kernel, bias) -> np.ndarray:
    """Hidden states h_1..h_T of h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0, in NumPy.

    ``x`` has shape (T, d) (one sequence); returns shape (T, units).
    """
    x = _checks.array("x", x, ndim=2, dtype="float64", finite=True)
    w = _checks.array("kernel", kernel, ndim=2, dtype="float64", finite=True)
    u = _checks.array("recurrent_kernel", recurrent_kernel, ndim=2, dtype="float64", finite=True)
    b = _checks.array("bias", bias, ndim=1, dtype="float64", finite=True)
    if w.shape[0] != x.shape[1] or u.shape != (w.shape[1], w.shape[1]) or b.shape != (w.shape[1],):
        raise ValueError(f"shapes do not fit: x {x.shape}, kernel {w.shape}, "
                         f"recurrent_kernel {u.shape}, bias {b.shape}")
    h, states = np.zeros(w.shape[1]), []
    for x_t in x:
        h = np.tanh(x_t @ w + h @ u + b)
        states.append(h)
    return np.stack(states)


def bptt_jacobian(states, recurrent_kernel, t: int) -> np.ndarray:
    """∂h_T/∂h_t of a simple RNN by the chain rule: ∏_{k=t+1}^{T} diag(1 − h_k²) Uᵀ.

    ``states`` are h_1..h_T from :func:`simple_rnn_states` (row ``k - 1`` holds
    h_k) and ``t`` counts from 1. Entry (i, j) of the result is ∂h_T[i]/∂h_t[j],
    the layout of ``tape.jacobian(h_T, h_t)``. With row vectors,
    h_k = tanh(x_k W + h_{k-1} U + b) gives ∂h_k/∂h_{k-1} = diag(1 − h_k²) Uᵀ.
    """
    states = _checks.array("states", states, ndim=2, dtype="float64", finite=True)
    u = _checks.array("recurrent_kernel", recurrent_kernel, ndim=2, dtype="float64", finite=True)
    length = len(states)
    t = _checks.positive_int("t", t)
    if t > length:
        raise ValueError(f"t must be at most the sequence length {length}, got {t}")
    jacobian = np.eye(u.shape[0])
    for k in range(t + 1, length + 1):   # multiply the newest step on the left
        jacobian = np.diag(1.0 - states[k - 1] ** 2) @ u.T @ jacobian
    return jacobian


def clip_by_global_norm(grads, threshold: float):
    """Pascanu et al. (2013) clipping: rescale all gradients if their joint norm exceeds threshold.

    g <- g * threshold / ||g|| when ||g|| > threshold. Returns (clipped, norm
    before clipping). Same result as ``tf.clip_by_global_norm`` and Keras's
    ``global_clipnorm`` optimizer argument.
    """
    threshold = _checks.positive_float("threshold", threshold)
    norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))
    scale = ops.minimum(1.0, threshold / ops.maximum(norm, 1e-12))
    return [g * scale for g in grads], norm


def train_recording_gradients(model, x, y, *, steps: int, batch_size: int, learning_rate: float,
                              clip: float | None = None, seed: int = 0) -> dict:
    """Plain SGD on mean squared error, recording loss and gradient norm at every step.

    A short hand-written loop so the gradient norm before clipping is
    visible; ``clip`` applies :func:`clip_by_global_norm`. Targets of shape
    (n,) are read as (n, 1). Returns ``{"loss": [...], "grad_norm": [...]}``.
    Gradients from ``tf.GradientTape`` on TensorFlow, ``jax.grad`` on JAX.
    """
    x = _checks.array("x", x, dtype="float32", finite=True)
    y = _checks.array("y", y, ndim=(1, 2), dtype="float32", finite=True)
    if y.ndim == 1:
        y = y[:, None]   # (n,) against predictions (n, 1) would broadcast to (n, n)
    if len(y) != len(x):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    steps = _checks.positive_int("steps", steps)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if batch_size > len(x):
        raise ValueError(f"batch_size must be at most the {len(x)} examples, got {batch_size}")
    learning_rate = _checks.positive_float("learning_rate", learning_rate)
    if clip is not None:
        clip = _checks.positive_float("clip", clip)
    predicted_shape = tuple(model(x[:1]).shape[1:])
    if predicted_shape != y.shape[1:]:
        raise ValueError(f"y must have shape (n, {', '.join(map(str, predicted_shape))}) like the "
                         f"model's predictions, got {y.shape}")
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    weights = model.trainable_weights

    def loss_fn(x_batch, y_batch):
        return ops.mean(ops.square(model(x_batch, training=True) - y_batch)), None

    def gradient_step(x_batch, y_batch):
        loss, _, grads = value_and_gradients(loss_fn, [x_batch, y_batch], weights)
        grads = grads[2:]   # the weights' gradients, after those of the two inputs
        if clip is not None:
            grads, norm = clip_by_global_norm(grads, clip)
        else:
            norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))
        return loss, norm, grads

    if keras.backend.backend() == "tensorflow":   # one traced graph: the loop runs at graph speed
        import tensorflow as tf

        gradient_step = tf.function(gradient_step)
    log = {"loss": [], "grad_norm": []}
    for _ in range(steps):
        idx = rng.choice(len(x), batch_size, replace=False)
        loss, norm, grads = gradient_step(x[idx], y[idx])
        for w, g in zip(weights, grads):
            w.assign(w - learning_rate * g)
        log["loss"].append(float(loss))
        log["grad_norm"].append(float(norm))
    return log


def sample_with_temperature(logits, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one id per row from softmax(logits / temperature).

    Low temperatures sharpen the distribution towards the most likely id
    (greedy as T -> 0); T = 1 samples the model's own distribution; high
    temperatures flatten it towards uniform. ``logits`` has shape (vocab,) or
    (batch, vocab); ``-inf`` masks an id out. Returns an int array (batch,).
    """
    temperature = _checks.positive_float("temperature", temperature)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    logits = np.atleast_2d(_checks.array("logits", logits, ndim=(1, 2), dtype="float64"))
    if logits.shape[-1] == 0 or np.isnan(logits).any() or np.isposinf(logits).any():
        raise ValueError("logits must be a non-empty array of numbers or -inf, without NaN or +inf")
    top = logits.max(axis=-1, keepdims=True)
    if not np.isfinite(top).all():
        raise ValueError("logits must leave at least one id per row that is not -inf")
    probs = np.exp((logits - top) / temperature)
    probs /= probs.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(probs.shape[-1], p=p) for p in probs])


def _initial_states(layer, batch: int):
    return [ops.zeros((batch, size)) for size in _state_list(layer.cell.state_size)]


def generate_text(model, prompt_ids, length: int, temperatures, *, seed: int = 0):
    """Continue ``prompt_ids`` by ``length`` ids once per temperature, all in one batch.

    ``model`` is a ``keras.Sequential`` of per-step layers (``Embedding``,
    ``Dense``, ...) and recurrent layers (``keras.layers.RNN`` and its
    subclasses SimpleRNN/LSTM/GRU) that maps ids (batch, T) to next-id logits
    (batch, T, vocab). Generation runs one step at a time through each
    recurrent layer's cell, carrying its state, so every new id costs one
    cell step instead of a pass over the whole history. Returns one id
    array per temperature (prompt excluded).
    """
    length = _checks.positive_int("length", length)
    temperatures = [_checks.positive_float("temperatures", t) for t in temperatures]
    if not temperatures:
        raise ValueError("temperatures must hold at least one value, got an empty sequence")
    layers = list(model.layers)
    if not any(isinstance(layer, keras.layers.RNN) for layer in layers):
        raise ValueError("model must contain a recurrent layer (keras.layers.RNN or a subclass)")
    if any(isinstance(layer, keras.layers.Bidirectional) for layer in layers):
        raise ValueError("a bidirectional model needs the future, so it cannot generate step by step")
    vocab_size = int(model.output_shape[-1])
    prompt = _checks.token_ids("prompt_ids", prompt_ids, vocab_size)
    if prompt.ndim != 1 or len(prompt) == 0:
        raise ValueError(f"prompt_ids must be a non-empty 1-D sequence, got shape {prompt.shape}")
    batch = len(temperatures)
    states = {layer.name: _initial_states(layer, batch)
              for layer in layers if isinstance(layer, keras.layers.RNN)}

    def step(tokens):
        h = ops.convert_to_tensor(tokens)
        for layer in layers:
            if isinstance(layer, keras.layers.RNN):
                h, new = layer.cell(h, states[layer.name])
                states[layer.name] = _state_list(new)
            else:
                h = layer(h)
        return ops.convert_to_numpy(h)

    for token in prompt:
        logits = step(np.full((batch,), token, dtype="int32"))
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    out = []
    for _ in range(length):
        nxt = np.array([sample_with_temperature(row, t, rng)[0]
                        for row, t in zip(logits, temperatures)], dtype="int32")
        out.append(nxt)
        logits = step(nxt)
    return list(np.stack(out, axis=1))

