"""Tests of chapter 08's regularisation and transfer pieces in dlarch.optim.

From scratch = Keras: dropout and batch normalisation get the same random
weights, moving statistics and seeds as the Keras layers, and must give the
same outputs, moving-statistic updates and gradients of every variable.
"""

import keras
import numpy as np
import pandas as pd
import pytest

from dlarch import optim
from dlarch.neurons import value_and_gradients

RNG = np.random.default_rng(8)


def _gradients(layer, x, training):
    """The layer's output and the gradients of a weighted sum of it, on the active backend.

    The weighting is random but fixed, so that every output's gradient counts. Moving
    statistics and dropout seeds are passed as state: their updates are kept on JAX too.
    """
    weighting = np.random.default_rng(0).standard_normal(x.shape).astype("float32")

    def loss_fn(inputs):
        y = layer(inputs, training=training)
        return keras.ops.sum(y * weighting), y

    _, y, grads = value_and_gradients(loss_fn, [x], layer.trainable_variables,
                                      state=layer.non_trainable_variables)
    return keras.ops.convert_to_numpy(y), [keras.ops.convert_to_numpy(g) for g in grads]


# --- Dropout ---

@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("shape", [(4, 7), (2, 5, 5, 3)])
def test_dropout_matches_keras_in_training(rate, shape):
    x = RNG.standard_normal(shape).astype("float32")
    ours = optim.InvertedDropout(rate, seed=3)
    theirs = keras.layers.Dropout(rate, seed=3)
    for _ in range(2):  # the second call draws a new mask from the same seed stream
        y_ours, (gx_ours,) = _gradients(ours, x, training=True)
        y_theirs, (gx_theirs,) = _gradients(theirs, x, training=True)
        np.testing.assert_allclose(y_ours, y_theirs, atol=1e-5)
        np.testing.assert_allclose(gx_ours, gx_theirs, atol=1e-5)
    dropped = y_ours == 0
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(y_ours[~dropped], x[~dropped] / (1 - rate), rtol=1e-6)


def test_dropout_masks_change_between_calls_and_keep_the_mean():
    layer = optim.InvertedDropout(0.3, seed=0)
    ones = np.ones((200, 500), "float32")
    first = keras.ops.convert_to_numpy(layer(ones, training=True))
    second = keras.ops.convert_to_numpy(layer(ones, training=True))
    assert not np.array_equal(first == 0, second == 0)
    assert abs((first == 0).mean() - 0.3) < 0.01  # 100,000 draws: σ ≈ 0.0015
    assert abs(first.mean() - 1.0) < 0.02


def test_dropout_is_the_identity_at_inference():
    x = RNG.standard_normal((3, 4)).astype("float32")
    for layer in (optim.InvertedDropout(0.5, seed=1), keras.layers.Dropout(0.5, seed=1)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5", True])
def test_dropout_rejects_bad_rates(rate):
    with pytest.raises(ValueError, match="rate"):
        optim.InvertedDropout(rate)


# --- Batch normalisation ---

def _random_batch_norm_pair(shape, momentum=0.9, epsilon=1e-3):
    features = shape[-1]
    ours = optim.BatchNorm(momentum=momentum, epsilon=epsilon)
    theirs = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    for layer in (ours, theirs):
        layer.build((None, *shape[1:]))
    # Random gamma, beta and moving statistics (never the default ones, zeros, ones).
    weights = [RNG.uniform(0.5, 1.5, features), RNG.standard_normal(features),
               RNG.standard_normal(features), RNG.uniform(0.5, 2.0, features)]
    weights = [w.astype("float32") for w in weights]
    for layer in (ours, theirs):
        layer.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("shape", [(16, 5), (4, 6, 6, 3)])
def test_batch_norm_matches_keras_in_training(shape):
    ours, theirs = _random_batch_norm_pair(shape)
    x = (RNG.standard_normal(shape) * 3 + 2).astype("float32")
    y_ours, grads_ours = _gradients(ours, x, training=True)
    y_theirs, grads_theirs = _gradients(theirs, x, training=True)
    np.testing.assert_allclose(y_ours, y_theirs, atol=1e-5)
    assert len(grads_ours) == len(grads_theirs) == 3  # input, gamma, beta
    for g_ours, g_theirs in zip(grads_ours, grads_theirs):
        np.testing.assert_allclose(g_ours, g_theirs, atol=1e-4, rtol=1e-5)
    # Both updated their moving statistics from the batch, the same way.
    for v_ours, v_theirs in zip(ours.non_trainable_weights, theirs.non_trainable_weights):
        np.testing.assert_allclose(v_ours.numpy(), v_theirs.numpy(), atol=1e-6)
    # In training the output is normalised by the batch itself: its mean per feature is beta.
    axes = tuple(range(len(shape) - 1))
    assert np.allclose(y_ours.mean(axis=axes), ours.beta.numpy(), atol=1e-4)


def test_batch_norm_moving_statistics_follow_the_formula():
    ours, _ = _random_batch_norm_pair((32, 4), momentum=0.8)
    before = [v.numpy().copy() for v in ours.non_trainable_weights]
    x = RNG.standard_normal((32, 4)).astype("float32") * 2 + 1
    ours(x, training=True)
    np.testing.assert_allclose(ours.moving_mean.numpy(), 0.8 * before[0] + 0.2 * x.mean(0), atol=1e-6)
    np.testing.assert_allclose(ours.moving_variance.numpy(), 0.8 * before[1] + 0.2 * x.var(0),
                               atol=1e-5)


@pytest.mark.parametrize("shape", [(16, 5), (4, 6, 6, 3)])
def test_batch_norm_matches_keras_at_inference(shape):
    ours, theirs = _random_batch_norm_pair(shape)
    x = RNG.standard_normal(shape).astype("float32")
    y_ours, grads_ours = _gradients(ours, x, training=False)
    y_theirs, grads_theirs = _gradients(theirs, x, training=False)
    np.testing.assert_allclose(y_ours, y_theirs, atol=1e-5)
    for g_ours, g_theirs in zip(grads_ours, grads_theirs):
        np.testing.assert_allclose(g_ours, g_theirs, atol=1e-5)
    # Inference uses the moving statistics and leaves them alone.
    mean, variance = ours.moving_mean.numpy(), ours.moving_variance.numpy()
    expected = ours.gamma.numpy() * (x - mean) / np.sqrt(variance + 1e-3) + ours.beta.numpy()
    np.testing.assert_allclose(y_ours, expected, atol=1e-5)
    np.testing.assert_array_equal(ours.moving_mean.numpy(), mean)


@pytest.mark.parametrize("kwargs", [dict(momentum=1.0), dict(momentum=-0.5), dict(epsilon=0),
                                    dict(epsilon=float("inf"))])
def test_batch_norm_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        optim.BatchNorm(**kwargs)


def test_scratch_layers_round_trip(tmp_path):
    inputs = keras.Input((6,))
    outputs = optim.InvertedDropout(0.25, seed=2)(optim.BatchNorm(momentum=0.9)(inputs))
    model = keras.Model(inputs, outputs)
    model.layers[1].set_weights([RNG.standard_normal(6).astype("float32") for _ in range(3)]
                                + [RNG.uniform(0.5, 2, 6).astype("float32")])
    x = RNG.standard_normal((3, 6)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.layers[2].get_config()["rate"] == 0.25


# --- The overfitting MLP and its cures ---

def test_mlp_classifier_outputs_logits_and_adds_what_is_asked():
    plain = optim.build_mlp_classifier(width=16, depth=2)
    x = RNG.random((5, 28, 28, 1), dtype=np.float32)
    logits = plain.predict(x, verbose=0)
    assert logits.shape == (5, 10)
    assert not np.allclose(logits.sum(axis=1), 1.0)  # logits, not probabilities
    assert not plain.compiled
    cured = optim.build_mlp_classifier(
        width=16, depth=2, l2=1e-3, dropout=0.5, batch_norm=True,
        augmentation=[keras.layers.RandomTranslation(0.1, 0.1)])
    kinds = [type(layer).__name__ for layer in cured.layers]
    assert kinds.count("BatchNormalization") == 2 and kinds.count("Dropout") == 2
    assert "RandomTranslation" in kinds
    assert len(cured.losses) == 2  # one weight penalty per hidden kernel
    assert len(plain.losses) == 0


@pytest.mark.parametrize("kwargs", [dict(num_classes=1), dict(width=0), dict(depth=1.5),
                                    dict(l1=-1.0), dict(l2=float("nan")), dict(dropout=1.0),
                                    dict(batch_norm="yes"), dict(augmentation=["flip"])])
def test_mlp_classifier_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        optim.build_mlp_classifier(**kwargs)


def test_accuracy_gap_measures_train_minus_validation():
    model = optim.build_mlp_classifier((4,), 2, width=8, depth=1)
    x = RNG.standard_normal((40, 4)).astype("float32")
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    # Labels that agree with the model on all training rows and on half of the validation rows.
    y_val = predicted[20:].copy()
    y_val[:10] = 1 - y_val[:10]
    scores = optim.accuracy_gap(model, (x[:20], predicted[:20]), (x[20:], y_val))
    assert scores == {"train_accuracy": 1.0, "validation_accuracy": 0.5, "gap": 0.5}
    with pytest.raises(ValueError, match="labels"):
        optim.accuracy_gap(model, (x[:20], predicted[:10]), (x[20:], y_val))


def test_accuracy_in_batches_equals_accuracy_of_predict():
    model = optim.build_mlp_classifier((4,), 3, width=8, depth=1, dropout=0.5)
    x = RNG.standard_normal((41, 4)).astype("float32")
    y = RNG.integers(0, 3, 41)
    expected = np.mean(model.predict(x, verbose=0).argmax(axis=1) == y)  # inference: no dropout
    assert optim.accuracy(model, x, y, batch_size=4) == pytest.approx(expected)
    with pytest.raises(ValueError, match="batch_size"):
        optim.accuracy(model, x, y, batch_size=0)


# --- KerasTuner trial table ---

class _Trial:
    def __init__(self, trial_id, score, status="COMPLETED", **values):
        self.trial_id, self.score, self.status = trial_id, score, status
        self.hyperparameters = type("HP", (), {"values": values})()


class _Tuner:
    def __init__(self, trials, direction="max"):
        objective = type("Objective", (), {"direction": direction})()
        self.oracle = type("Oracle", (), {"trials": {t.trial_id: t for t in trials},
                                          "objective": objective})()


def test_trial_table_orders_trials_and_tracks_the_best_so_far():
    trials = [_Trial(str(i), s, units=u) for i, (s, u) in enumerate(
        [(0.5, 8), (0.7, 16), (0.6, 32), (0.2, 8), (0.9, 16), (0.8, 32), (0.1, 8), (0.3, 8),
         (0.4, 8), (0.95, 64), (0.0, 4)])]
    table = optim.trial_table(_Tuner(list(reversed(trials))))
    assert isinstance(table, pd.DataFrame)
    assert table["trial"].tolist() == list(range(1, 12))  # "10" sorts after "9", not after "1"
    assert table["score"].tolist()[:3] == [0.5, 0.7, 0.6]
    assert table["best_so_far"].tolist() == [0.5, 0.7, 0.7, 0.7, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95]
    assert table["units"].tolist()[:2] == [8, 16]
    lowest = optim.trial_table(_Tuner(trials[:3], direction="min"))
    assert lowest["best_so_far"].tolist() == [0.5, 0.5, 0.5]


def test_trial_table_refuses_failed_or_missing_trials():
    with pytest.raises(RuntimeError, match="tensorboard"):
        optim.trial_table(_Tuner([_Trial("0", 0.5), _Trial("1", None, status="FAILED")]))
    with pytest.raises(RuntimeError, match="no trials"):
        optim.trial_table(_Tuner([]))
    with pytest.raises(ValueError, match="tuner"):
        optim.trial_table(object())


# --- Transfer learning ---

def test_feature_cnn_head_and_classifier_share_layers():
    features = optim.build_feature_cnn(filters=(4, 8))
    x = RNG.random((3, 28, 28, 1), dtype=np.float32)
    assert features.predict(x, verbose=0).shape == (3, 7 * 7 * 8)  # two poolings: 28 -> 14 -> 7
    head = optim.build_head(7 * 7 * 8, 5, units=16)
    model = optim.build_classifier_on(features, head)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               head.predict(features.predict(x, verbose=0), verbose=0), atol=1e-5)
    assert not model.compiled
    assert model.get_layer("features") is features  # the same layers, so freezing them is visible
    assert model.get_layer("head") is head
    features.trainable = False
    assert len(model.trainable_weights) == 4  # only the head's two kernels and two biases


def test_frozen_features_do_not_change_in_training():
    features = optim.build_feature_cnn(filters=(4,))
    model = optim.build_classifier_on(features, optim.build_head(14 * 14 * 4, 3, units=8))
    features.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [w.copy() for w in features.get_weights()]
    head_before = model.get_layer("head").get_weights()[0].copy()
    model.fit(RNG.random((8, 28, 28, 1), dtype=np.float32), RNG.integers(0, 3, 8), epochs=2,
              verbose=0)
    for old, new in zip(before, features.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(model.get_layer("head").get_weights()[0], head_before)


def test_copy_model_copies_weights_not_variables():
    features = optim.build_feature_cnn(filters=(4,))
    twin = optim.copy_model(features)
    x = RNG.random((2, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), features.predict(x, verbose=0))
    twin.get_layer("conv_0").kernel.assign(np.zeros(twin.get_layer("conv_0").kernel.shape))
    assert not np.allclose(features.get_layer("conv_0").kernel.numpy(), 0)


@pytest.mark.parametrize("kwargs", [dict(filters=()), dict(filters=(8, 0)), dict(filters="32")])
def test_feature_cnn_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        optim.build_feature_cnn(**kwargs)


@pytest.mark.parametrize("args, kwargs, name", [((0, 5), {}, "n_features"), ((8, 1), {}, "num_classes"),
                                                ((8, 5), dict(units=0), "units")])
def test_head_rejects_bad_arguments(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        optim.build_head(*args, **kwargs)


def test_classifier_on_rejects_bad_arguments():
    features = optim.build_feature_cnn(filters=(2,))
    with pytest.raises(ValueError, match="features"):
        optim.build_classifier_on("not a model", optim.build_head(392, 3))
    with pytest.raises(ValueError, match="head"):
        optim.build_classifier_on(features, "not a model")
    with pytest.raises(ValueError, match="head must take"):
        optim.build_classifier_on(features, optim.build_head(10, 3))
    with pytest.raises(ValueError, match="model"):
        optim.copy_model("not a model")
