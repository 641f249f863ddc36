"""Chapter 01: activations, the neuron and the NumPy MLP equal their Keras counterparts."""

import keras
import numpy as np
import pytest

from dlarch.data import make_xor
from dlarch.neurons import (
    ACTIVATIONS,
    MLP,
    activation,
    neuron,
    numerical_gradients,
    softmax,
    value_and_gradients,
    weighted_sum,
)

# JAX computes in float32 unless jax_enable_x64 is set for the whole process.
FLOAT64 = keras.backend.backend() != "jax"

X = np.linspace(-6, 6, 241).astype(np.float32)
X = X[np.abs(X) > 1e-6]  # the kink of ReLU at 0 has no derivative; see test_kink_convention
KERAS_FN = {
    "linear": keras.activations.linear,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "relu": keras.activations.relu,
    "leaky_relu": keras.activations.leaky_relu,
    "gelu": lambda x: keras.activations.gelu(x, approximate=False),
}


@pytest.mark.parametrize("name", sorted(KERAS_FN))
def test_activation_equals_keras(name):
    ours = activation(name)(X)
    theirs = keras.ops.convert_to_numpy(KERAS_FN[name](keras.ops.convert_to_tensor(X)))
    assert ours.shape == X.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("name", sorted(KERAS_FN))
def test_derivative_equals_autodiff(name):
    _, _, (grad,) = value_and_gradients(lambda x: (keras.ops.sum(KERAS_FN[name](x)), None), [X])
    expected = keras.ops.convert_to_numpy(grad)
    np.testing.assert_allclose(activation(name).derivative(X), expected, atol=1e-5)


@pytest.mark.parametrize("name", sorted(KERAS_FN))
def test_derivative_equals_finite_difference(name):
    x, eps = X.astype(np.float64), 1e-6
    fd = (activation(name)(x + eps) - activation(name)(x - eps)) / (2 * eps)
    np.testing.assert_allclose(activation(name).derivative(x), fd, atol=1e-6)


def test_kink_convention():
    """At exactly 0 we take the left derivative, as TensorFlow does."""
    zero = np.zeros(1, np.float32)
    assert activation("relu").derivative(zero)[0] == 0.0
    assert activation("leaky_relu").derivative(zero)[0] == pytest.approx(0.2)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        out = activation("sigmoid")(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 1.0])


def test_softmax_equals_keras_and_sums_to_one():
    z = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32) * 10
    ours = softmax(z)
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(keras.activations.softmax(z)),
                               atol=1e-6)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-6)


def test_softmax_jacobian_equals_autodiff():
    dtype, atol = ("float64", 1e-10) if FLOAT64 else ("float32", 1e-6)
    z = np.random.default_rng(1).normal(size=(3, 4)).astype(dtype)
    rows = []   # row k of every example's Jacobian: the gradient of its k-th output
    for k in range(4):
        _, _, (row,) = value_and_gradients(
            lambda z: (keras.ops.sum(keras.activations.softmax(z)[:, k]), None), [z])
        rows.append(keras.ops.convert_to_numpy(row))
    expected = np.stack(rows, axis=1)
    ours = activation("softmax").derivative(z)
    assert ours.shape == (3, 4, 4)
    np.testing.assert_allclose(ours, expected, atol=atol)


def test_unknown_activation_names_it_and_lists_choices():
    with pytest.raises(ValueError, match=r"sigmoid.*gelu.*softmax.*got 'swish'"):
        activation("swish")


def test_neuron_worked_example():
    # z = 0.5*1 - 1*2 + 0.25*4 + 0.5 = 0.0, so sigmoid gives exactly 0.5
    assert weighted_sum([1, 2, 4], [0.5, -1, 0.25], 0.5) == pytest.approx(0.0)
    assert neuron([1, 2, 4], [0.5, -1, 0.25], 0.5, "sigmoid") == pytest.approx(0.5)
    assert neuron([[1, 2, 4], [2, 0, 0]], [0.5, -1, 0.25], 0.5, "relu").tolist() == [0.0, 1.5]


def test_neuron_equals_keras_dense_unit():
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(6, 3)), rng.normal(size=3), 0.3
    dense = keras.layers.Dense(1, activation="tanh")
    dense.build((None, 3))
    dense.set_weights([w[:, None].astype(np.float32), np.array([b], np.float32)])
    expected = keras.ops.convert_to_numpy(dense(x.astype(np.float32)))[:, 0]
    np.testing.assert_allclose(neuron(x, w, b, "tanh"), expected, atol=1e-5)


@pytest.mark.parametrize("args, match", [
    (([1, 2], [1, 2, 3], 0.0), r"shape \(3,\).*got shape \(2,\)"),
    (([1, 2], [[1, 2]], 0.0), r"1-D vector.*\(1, 2\)"),
    (([1, 2], [1, 2], [0.0, 1.0]), r"single number"),
])
def test_neuron_rejects_bad_shapes(args, match):
    with pytest.raises(ValueError, match=match):
        neuron(*args)


def test_neuron_rejects_softmax():
    with pytest.raises(ValueError, match="element-wise"):
        neuron([1.0], [1.0], 0.0, "softmax")


# ------------------------------------------------------------------------ MLP

def _batch(n=16, features=5, classes=3, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(dtype), rng.integers(0, classes, n)


def _random_biases(mlp, seed=7):
    """Give every bias a random non-zero value: at Keras's default (zero) biases a
    forward or backward pass that drops or misplaces a bias would still agree."""
    rng = np.random.default_rng(seed)
    mlp.biases = [rng.normal(0.0, 0.5, b.shape).astype(mlp.dtype) for b in mlp.biases]
    return mlp


def _forward_without_biases(mlp, x):
    """A planted bug: the MLP's forward pass with every bias left out."""
    act = activation(mlp.hidden_activation)
    for w in mlp.weights[:-1]:
        x = act(x @ w)
    return softmax(x @ mlp.weights[-1])


def _keras_forward(mlp, x):
    return keras.ops.convert_to_numpy(mlp.to_keras()(x))


def test_random_biases_expose_a_forward_pass_that_drops_them():
    x, _ = _batch()
    mlp = MLP([5, 7, 3], "tanh", seed=2)
    # At the default initialisation the buggy forward pass is indistinguishable from Keras ...
    np.testing.assert_allclose(_forward_without_biases(mlp, x), _keras_forward(mlp, x), atol=1e-6)
    # ... with random biases the same comparison fails by far more than its tolerance.
    _random_biases(mlp)
    gap = np.abs(_forward_without_biases(mlp, x) - _keras_forward(mlp, x)).max()
    assert gap > 1e-2


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "gelu", "leaky_relu"])
# float64 is held to 1e-8, not tighter: TensorFlow's float64 erf GELU differs from SciPy's by ~4e-9.
@pytest.mark.parametrize("dtype, atol", [("float32", 1e-5), ("float64", 1e-8)])
def test_mlp_gradients_equal_keras_autodiff(hidden, dtype, atol):
    if dtype == "float64" and not FLOAT64:
        pytest.skip("JAX computes in float32 unless jax_enable_x64 is set for the whole process")
    mlp = _random_biases(MLP([5, 7, 6, 3], hidden, seed=3, dtype=dtype))
    x, y = _batch(dtype=dtype)
    loss, grads = mlp.gradients(x, y)
    model = mlp.to_keras()
    keras_loss, _, keras_grads = value_and_gradients(
        lambda: (keras.losses.SparseCategoricalCrossentropy(dtype=dtype)(y, model(x)), None),
        [], model.trainable_variables)
    assert loss == pytest.approx(float(keras_loss), abs=atol)
    ours = [g for pair in grads for g in pair]
    assert len(ours) == len(keras_grads) == 6
    for mine, theirs in zip(ours, keras_grads):
        assert mine.shape == tuple(theirs.shape) and mine.dtype == np.dtype(dtype)
        np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(theirs), atol=atol)


def test_mlp_forward_equals_keras_predict():
    mlp = _random_biases(MLP([5, 8, 3], "relu", seed=1))
    x, _ = _batch()
    np.testing.assert_allclose(mlp.forward(x), _keras_forward(mlp, x), atol=1e-6)


def test_mlp_gradients_equal_finite_differences():
    mlp = _random_biases(MLP([4, 5, 3], "tanh", seed=4, dtype="float64"))
    x, y = _batch(n=10, features=4, dtype="float64")
    _, grads = mlp.gradients(x, y)
    for (dw, db), (nw, nb) in zip(grads, numerical_gradients(mlp, x, y)):
        np.testing.assert_allclose(dw, nw, atol=1e-8)
        np.testing.assert_allclose(db, nb, atol=1e-8)


def test_sgd_matches_keras_sgd_step_by_step():
    mlp = _random_biases(MLP([5, 8, 3], "relu", seed=5))
    x, y = _batch(n=40)
    model = mlp.to_keras()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    mlp.fit(x, y, epochs=3, batch_size=8, learning_rate=0.1, shuffle=False)
    model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for mine, theirs in zip(mlp.weights + mlp.biases,
                            model.get_weights()[::2] + model.get_weights()[1::2]):
        np.testing.assert_allclose(mine, theirs, atol=1e-5)


def test_xor_linear_fails_hidden_layer_succeeds():
    x, y = make_xor()
    linear = MLP([2, 2], seed=0)
    linear.fit(x, y, epochs=500, batch_size=4, learning_rate=0.5)
    deep = MLP([2, 8, 2], "tanh", seed=0)
    deep.fit(x, y, epochs=2000, batch_size=4, learning_rate=0.5)
    assert linear.accuracy(x, y) <= 0.75
    assert deep.accuracy(x, y) == 1.0


def test_fit_history_and_learning():
    mlp = MLP([5, 16, 3], seed=0)
    x, y = _batch(n=60)
    history = mlp.fit(x, y, epochs=30, learning_rate=0.2, validation_data=(x, y))
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 30 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]


def test_mlp_keras_round_trip(tmp_path):
    mlp = _random_biases(MLP([5, 4, 3], "gelu", seed=0))
    x, _ = _batch()
    path = tmp_path / "mlp.keras"
    mlp.to_keras().save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x)), mlp.forward(x), atol=1e-6)


@pytest.mark.parametrize("x, match", [
    (np.zeros((4, 3), np.float32), r"shape \(batch, 5\), got shape \(4, 3\)"),
    (np.zeros((4, 5, 1), np.float32), r"got shape \(4, 5, 1\); flatten"),
    (np.zeros(5, np.float32), r"got shape \(5,\)"),
    (np.zeros((4, 5), np.int64), r"float array, got dtype int64"),
])
def test_mlp_rejects_bad_inputs(x, match):
    with pytest.raises(ValueError, match=match):
        MLP([5, 4, 3]).forward(x)


@pytest.mark.parametrize("y, match", [
    (np.zeros(3, np.int64), r"shape \(4,\) to match x, got shape \(3,\)"),
    (np.zeros(4, np.float32), r"integer class labels, got dtype float32"),
    (np.array([0, 1, 2, 3]), r"\[0, 2\], got range \[0, 3\]"),
])
def test_mlp_rejects_bad_labels(y, match):
    with pytest.raises(ValueError, match=match):
        MLP([5, 4, 3]).gradients(np.zeros((4, 5), np.float32), y)


@pytest.mark.parametrize("kwargs, match", [
    ({"layer_sizes": [5]}, "at least 2 positive integers"),
    ({"layer_sizes": [5, 0, 3]}, "at least 2 positive integers"),
    ({"layer_sizes": [5, 1]}, "at least 2 classes"),
    ({"layer_sizes": [5, 3], "hidden_activation": "softmax"}, "element-wise"),
    ({"layer_sizes": [5, 3], "hidden_activation": "swish"}, "activation name .* got 'swish'"),
    ({"layer_sizes": [5, 3], "dtype": "float16"}, "'float16'"),
])
def test_mlp_rejects_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs must be an integer ≥ 1, got 0"),
    ({"epochs": 1, "batch_size": 2.5}, "batch_size must be an integer ≥ 1, got 2.5"),
    ({"epochs": 1, "learning_rate": -1}, "learning_rate must be a finite number > 0, got -1"),
    ({"epochs": 1, "learning_rate": float("nan")}, "learning_rate must be a finite number > 0, got nan"),
])
def test_fit_rejects_bad_settings(kwargs, match):
    x, y = _batch(features=5)
    with pytest.raises(ValueError, match=match):
        MLP([5, 3]).fit(x, y, **kwargs)


def test_every_activation_is_listed():
    assert list(ACTIVATIONS) == ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "gelu",
                                 "softmax"]


def test_make_xor():
    x, y = make_xor()
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    xc, yc = make_xor(n_per_corner=25, noise=0.1, seed=1)
    assert xc.shape == (100, 2) and xc.dtype == np.float32 and np.bincount(yc).tolist() == [50, 50]
    np.testing.assert_array_equal(xc, make_xor(n_per_corner=25, noise=0.1, seed=1)[0])
    with pytest.raises(ValueError, match="n_per_corner"):
        make_xor(n_per_corner=0)
    with pytest.raises(ValueError, match="noise"):
        make_xor(noise=-1)
