"""Neurons, activations and the multilayer perceptron, from scratch in NumPy.

Chapter 01 builds everything here by hand so the arithmetic is visible, and
the tests prove each piece computes the same numbers as Keras:

* :func:`neuron` — weighted sum plus bias, then an activation;
* the activations (sigmoid, tanh, ReLU, Leaky ReLU, GELU, softmax) and their
  derivatives, looked up by name with :func:`activation`;
* :class:`MLP` — a multilayer perceptron with a softmax output, trained by
  backpropagation (Rumelhart, Hinton & Williams 1986) and plain SGD;
  :meth:`MLP.to_keras` builds the equivalent ``keras.Sequential`` with the
  same weights;
* :func:`value_and_gradients` — the reference the hand-written derivatives
  are checked against: automatic differentiation by the Keras backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf

from ._checks import array, finite_float, non_negative_int, one_of, positive_float, positive_int

# ---------------------------------------------------------------- activations


def linear(x):
    """The identity: what a neuron computes with no activation."""
    return np.asarray(x)


def linear_derivative(x):
    return np.ones_like(np.asarray(x))


def sigmoid(x):
    """1 / (1 + e^-x), squashing to (0, 1); computed without overflow."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x):
    """σ(x)(1 − σ(x)); at most 0.25, at x = 0."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent, squashing to (−1, 1) and centred on 0."""
    return np.tanh(x)


def tanh_derivative(x):
    """1 − tanh(x)²; at most 1, at x = 0."""
    return 1 - np.tanh(x) ** 2


def relu(x):
    """max(0, x)."""
    return np.maximum(x, 0)


def relu_derivative(x):
    """1 for x > 0, else 0 (0 at x = 0, as TensorFlow takes it)."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def leaky_relu(x, negative_slope: float = 0.2):
    """x for x > 0, else ``negative_slope * x`` (Keras's default slope 0.2)."""
    negative_slope = finite_float("negative_slope", negative_slope)
    x = np.asarray(x)
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_derivative(x, negative_slope: float = 0.2):
    """1 for x > 0, else ``negative_slope``."""
    negative_slope = finite_float("negative_slope", negative_slope)
    x = np.asarray(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype if x.dtype.kind == "f" else float)


def _normal_cdf(x):
    return 0.5 * (1 + erf(np.asarray(x) / np.sqrt(2)))


def gelu(x):
    """Exact GELU, x·Φ(x) with Φ the standard normal CDF (Hendrycks & Gimpel 2016).

    This is ``keras.activations.gelu(x, approximate=False)``, Keras's default.
    """
    x = np.asarray(x)
    return (x * _normal_cdf(x)).astype(x.dtype if x.dtype.kind == "f" else float)


def gelu_derivative(x):
    """Φ(x) + x·φ(x), with φ the standard normal density."""
    x = np.asarray(x)
    pdf = np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
    return (_normal_cdf(x) + x * pdf).astype(x.dtype if x.dtype.kind == "f" else float)


def softmax(x, axis: int = -1):
    """e^x / Σ e^x along ``axis``: turns scores into probabilities summing to 1."""
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))  # shifting leaves the result unchanged
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_derivative(x):
    """The Jacobian ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ) over the last axis, shape ``(..., n, n)``.

    Softmax mixes its inputs, so unlike the element-wise activations its
    derivative is a matrix, not one number per input.
    """
    s = softmax(x)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative.

    ``elementwise`` is False for softmax, whose ``derivative`` is a Jacobian.
    """

    name: str
    fn: Callable
    derivative: Callable
    elementwise: bool = True

    def __call__(self, x):
        return self.fn(x)


ACTIVATIONS = {
    a.name: a
    for a in (
        Activation("linear", linear, linear_derivative),
        Activation("sigmoid", sigmoid, sigmoid_derivative),
        Activation("tanh", tanh, tanh_derivative),
        Activation("relu", relu, relu_derivative),
        Activation("leaky_relu", leaky_relu, leaky_relu_derivative),
        Activation("gelu", gelu, gelu_derivative),
        Activation("softmax", softmax, softmax_derivative, elementwise=False),
    )
}


def activation(name: str) -> Activation:
    """The :class:`Activation` called ``name`` (one of ``ACTIVATIONS``)."""
    return ACTIVATIONS[one_of("activation name", name, ACTIVATIONS)]


# --------------------------------------------------------------------- neuron


def weighted_sum(x, w, b):
    """z = Σᵢ wᵢ xᵢ + b for one input ``(n,)`` or a batch ``(batch, n)``."""
    w = array("w", w, dtype=float)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D vector of weights, got shape {w.shape}")
    x = array("x", x, dtype=float)
    if x.ndim not in (1, 2) or x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"x must have shape ({w.shape[0]},) or (batch, {w.shape[0]}) to match "
            f"{w.shape[0]} weights, got shape {x.shape}"
        )
    b = finite_float("b (the neuron's bias, a single number)", b)
    return x @ w + b


def neuron(x, w, b, activation_name: str = "sigmoid"):
    """One artificial neuron: output = activation(w · x + b)."""
    act = activation(activation_name)
    if not act.elementwise:
        raise ValueError(
            f"a single neuron needs an element-wise activation, not {activation_name!r}"
        )
    return act(weighted_sum(x, w, b))


# ------------------------------------------------------------------------ MLP


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator, dtype="float32"):
    """Weights ~ U(−l, l), l = √(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


class MLP:
    """A multilayer perceptron in NumPy: dense hidden layers, softmax output.

    Trained with softmax cross-entropy, backpropagation (Rumelhart et al.
    1986) and stochastic gradient descent. Weights start Glorot-uniform,
    biases at zero, as in ``keras.layers.Dense``.

    Args:
        layer_sizes: units per layer, input first and classes last, e.g.
            ``[64, 32, 10]``; ``[2, 2]`` (no hidden layer) is multinomial
            logistic regression, a linear model.
        hidden_activation: name of an element-wise activation for the hidden
            layers (see ``ACTIVATIONS``).
        seed: seed of the initial weights.
        dtype: "float32" (as Keras) or "float64" (for exact gradient checks).
    """

    def __init__(self, layer_sizes, hidden_activation: str = "relu", seed: int = 0,
                 dtype: str = "float32"):
        allowed = "a list of at least 2 positive integers (inputs, ..., classes)"
        sizes = list(layer_sizes) if np.iterable(layer_sizes) and not isinstance(
            layer_sizes, (str, bytes)) else None
        if not sizes or len(sizes) < 2:
            raise ValueError(f"layer_sizes must be {allowed}, got {layer_sizes!r}")
        try:
            sizes = [positive_int("layer_sizes", n) for n in sizes]
        except ValueError:
            raise ValueError(f"layer_sizes must be {allowed}, got {layer_sizes!r}") from None
        if sizes[-1] < 2:
            raise ValueError(f"the output layer needs at least 2 classes, got {sizes[-1]}")
        act = activation(hidden_activation)
        if not act.elementwise:
            raise ValueError(
                f"hidden_activation must be element-wise, not {hidden_activation!r}; "
                "softmax belongs to the output layer"
            )
        one_of("dtype", dtype, ("float32", "float64"))
        seed = non_negative_int("seed", seed)
        self.layer_sizes = sizes
        self.hidden_activation = hidden_activation
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self.weights = [glorot_uniform(a, b, rng, dtype) for a, b in zip(sizes, sizes[1:])]
        self.biases = [np.zeros(b, dtype=dtype) for b in sizes[1:]]

    @property
    def n_params(self) -> int:
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    def __repr__(self) -> str:
        return (f"MLP(layer_sizes={self.layer_sizes}, hidden_activation="
                f"{self.hidden_activation!r}, params={self.n_params:,})")

    # -- validation
    def _check_x(self, x):
        x = array("x", x, finite=True)
        if x.dtype.kind != "f":
            raise ValueError(
                f"x must be a float array, got dtype {x.dtype}; use x.astype({str(self.dtype)!r})"
            )
        if x.ndim != 2 or x.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"x must have shape (batch, {self.layer_sizes[0]}), got shape {x.shape}"
                + ("; flatten images first, e.g. x.reshape(len(x), -1)" if x.ndim > 2 else "")
            )
        return x.astype(self.dtype, copy=False)

    def _check_y(self, y, n):
        y = array("y", y)
        if y.dtype.kind not in "iu":
            raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) to match x, got shape {y.shape}")
        k = self.layer_sizes[-1]
        if n and (y.min() < 0 or y.max() >= k):
            raise ValueError(f"y must hold labels in [0, {k - 1}], got range [{y.min()}, {y.max()}]")
        return y

    # -- forward and backward
    def _forward(self, x):
        """Pre-activations ``zs`` and activations ``activations`` (input first) of every layer."""
        act = activation(self.hidden_activation)
        activations, zs = [x], []
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ w + b
            zs.append(z)
            last = i == len(self.weights) - 1
            activations.append(softmax(z) if last else act(z).astype(self.dtype, copy=False))
        return zs, activations

    def forward(self, x):
        """Class probabilities ``(batch, classes)`` for inputs ``(batch, features)``."""
        return self._forward(self._check_x(x))[1][-1]

    def predict(self, x):
        """The most probable class of each input."""
        return np.argmax(self.forward(x), axis=1)

    def loss(self, x, y) -> float:
        """Mean softmax cross-entropy, −mean log p(true class)."""
        x = self._check_x(x)
        y = self._check_y(y, len(x))
        return float(_cross_entropy(self._forward(x)[1][-1], y))

    def accuracy(self, x, y) -> float:
        """Share of inputs whose most probable class is the label."""
        x = self._check_x(x)
        y = self._check_y(y, len(x))
        return float(np.mean(np.argmax(self._forward(x)[1][-1], axis=1) == y))

    def gradients(self, x, y):
        """Backpropagation: the loss and its gradient for every weight and bias.

        With P the softmax output and Y the one-hot labels of a batch of N,
        the output error is δ = (P − Y)/N; each layer then gives
        ∂L/∂W = Aᵀδ, ∂L/∂b = Σδ, and passes back δ ← (δWᵀ) ⊙ f′(z).

        Returns:
            ``(loss, [(dW1, db1), (dW2, db2), ...])``, input layer first.
        """
        x = self._check_x(x)
        y = self._check_y(y, len(x))
        zs, activations = self._forward(x)
        probs = activations[-1]
        delta = probs.copy()
        delta[np.arange(len(y)), y] -= 1
        delta /= len(y)
        derivative = activation(self.hidden_activation).derivative
        grads = []
        for layer in range(len(self.weights) - 1, -1, -1):
            grads.append((activations[layer].T @ delta, delta.sum(axis=0)))
            if layer:
                delta = (delta @ self.weights[layer].T) * derivative(zs[layer - 1])
        grads = [(dw.astype(self.dtype), db.astype(self.dtype)) for dw, db in grads[::-1]]
        return float(_cross_entropy(probs, y)), grads

    def sgd_step(self, x, y, learning_rate: float) -> float:
        """One step W ← W − η ∂L/∂W on a batch; returns the loss before the step."""
        learning_rate = positive_float("learning_rate", learning_rate)
        loss, grads = self.gradients(x, y)
        for i, (dw, db) in enumerate(grads):
            self.weights[i] = self.weights[i] - self.dtype.type(learning_rate) * dw
            self.biases[i] = self.biases[i] - self.dtype.type(learning_rate) * db
        return loss

    def fit(self, x, y, *, epochs: int, batch_size: int = 32, learning_rate: float = 0.1,
            shuffle: bool = True, seed: int = 0, validation_data=None) -> dict:
        """Mini-batch SGD for ``epochs`` passes over the data.

        With ``shuffle=False`` batches are taken in order, as
        ``keras.Model.fit(..., shuffle=False)`` does, so both can be compared
        step by step.

        Returns:
            A Keras-style history dict: per epoch ``loss`` and ``accuracy`` on
            the whole training set after the epoch, and ``val_loss`` /
            ``val_accuracy`` when ``validation_data=(x_val, y_val)`` is given.
        """
        epochs = positive_int("epochs", epochs)
        batch_size = positive_int("batch_size", batch_size)
        learning_rate = positive_float("learning_rate", learning_rate)
        seed = non_negative_int("seed", seed)
        x = self._check_x(x)
        y = self._check_y(y, len(x))
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError(f"validation_data must be a pair (x_val, y_val), "
                                 f"got {type(validation_data).__name__}")
            x_val = self._check_x(validation_data[0])
            y_val = self._check_y(validation_data[1], len(x_val))
        rng = np.random.default_rng(seed)
        history = {"loss": [], "accuracy": []}
        if validation_data is not None:
            history.update(val_loss=[], val_accuracy=[])
        for _ in range(epochs):
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                self.sgd_step(x[batch], y[batch], learning_rate)
            history["loss"].append(self.loss(x, y))
            history["accuracy"].append(self.accuracy(x, y))
            if validation_data is not None:
                history["val_loss"].append(self.loss(x_val, y_val))
                history["val_accuracy"].append(self.accuracy(x_val, y_val))
        return history

    # -- the same network in Keras
    def to_keras(self):
        """An equivalent ``keras.Sequential`` (Dense layers) holding copies of these weights.

        Its hidden layers use the Keras activation of the same name and its
        output layer a softmax, in this MLP's dtype; it is not compiled.
        """
        import keras

        layers = [keras.Input((self.layer_sizes[0],), dtype=str(self.dtype))]
        for i, n in enumerate(self.layer_sizes[1:]):
            last = i == len(self.layer_sizes) - 2
            layers.append(keras.layers.Dense(
                n, activation="softmax" if last else self.hidden_activation,
                dtype=str(self.dtype), name=f"dense_{i + 1}",
            ))
        model = keras.Sequential(layers, name="mlp")
        for layer, w, b in zip(model.layers, self.weights, self.biases):
            layer.set_weights([w.copy(), b.copy()])
        return model


def _nested_stateless_scope(mapping):
    """``keras.StatelessScope(mapping)`` whose other variables read the enclosing scope's values.

    Keras's own scope falls back to a variable's stored value instead, which a
    stateless train step (Keras's JAX trainer) has emptied; Keras has no
    nested variant, hence this one.
    """
    import keras

    class NestedStatelessScope(keras.StatelessScope):
        def get_current_value(self, variable):
            value = super().get_current_value(variable)
            outer = getattr(self, "original_scope", None)   # set on entering
            if value is None and outer is not None:
                return outer.get_current_value(variable)
            return value

    return NestedStatelessScope(state_mapping=mapping)


def value_and_gradients(loss_fn, inputs, weights=(), state=()):
    """Automatic differentiation on the active Keras backend.

    ``loss_fn(*inputs)`` returns ``(scalar loss, aux)``; the result is
    ``(loss, aux, gradients)`` with one gradient per input, then one per Keras
    variable in ``weights``. ``state`` lists variables that ``loss_fn`` updates
    rather than differentiates (batch normalisation's moving statistics, a
    dropout layer's seed): their updates are kept on every backend. Keras 3
    has no backend-neutral gradient function, so this calls each backend's
    own: ``tf.GradientTape`` on TensorFlow, ``jax.value_and_grad`` on JAX (of
    a pure function of the inputs, the weights' values and the state's values,
    which ``keras.StatelessScope`` substitutes for the variables; the state's
    new values are written back afterwards, and any other variable update made
    inside ``loss_fn`` is dropped). Inside an enclosing ``StatelessScope`` (a
    stateless train step) every other variable reads that scope's value. Other
    backends raise ``NotImplementedError``.
    """
    import keras

    inputs, weights, state = list(inputs), list(weights), list(state)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = [tf.convert_to_tensor(x) for x in inputs]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss, aux = loss_fn(*inputs)
        return loss, aux, tape.gradient(loss, inputs + weights)
    if backend == "jax":
        import jax

        state_values = [v.value for v in state]

        def pure(input_values, weight_values):
            mapping = list(zip(weights, weight_values)) + list(zip(state, state_values))
            with _nested_stateless_scope(mapping) as scope:
                loss, aux = loss_fn(*input_values)
                updated = [scope.get_current_value(v) for v in state]
            return loss, (aux, updated)

        (loss, (aux, updated)), (d_inputs, d_weights) = jax.value_and_grad(
            pure, argnums=(0, 1), has_aux=True)(
            [keras.ops.convert_to_tensor(x) for x in inputs], [w.value for w in weights])
        for variable, value in zip(state, updated):
            variable.assign(value)
        return loss, aux, list(d_inputs) + list(d_weights)
    raise NotImplementedError(f"value_and_gradients is written for the tensorflow and jax "
                              f"backends, not {backend}")


def _cross_entropy(probs, y):
    eps = np.finfo(probs.dtype).tiny
    return -np.mean(np.log(probs[np.arange(len(y)), y] + eps))


def numerical_gradients(mlp: MLP, x, y, eps: float = 1e-6):
    """Central finite differences (L(θ+ε) − L(θ−ε)) / 2ε of every parameter.

    Slow (two forward passes per parameter): for checking :meth:`MLP.gradients`
    on small networks. Use a float64 MLP, or the rounding error swamps ε.

    Returns:
        ``[(dW1, db1), ...]`` shaped like :meth:`MLP.gradients`.
    """
    if not isinstance(mlp, MLP):
        raise ValueError(f"mlp must be an MLP, got {type(mlp).__name__}")
    eps = positive_float("eps", eps)
    grads = []
    for params in zip(mlp.weights, mlp.biases):
        pair = []
        for p in params:
            g = np.zeros_like(p, dtype=np.float64)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = mlp.loss(x, y)
                p[idx] = old - eps
                down = mlp.loss(x, y)
                p[idx] = old
                g[idx] = (up - down) / (2 * eps)
            pair.append(g)
        grads.append(tuple(pair))
    return grads
