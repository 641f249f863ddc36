"""Tests of dlarch.gan: the players, the losses, the custom train_step, saving."""

import keras
import numpy as np
import pytest

from dlarch import gan


def _softplus(x):
    return np.log1p(np.exp(x))


# ----------------------------------------------------------------------------- builders
def test_dcgan_shapes():
    generator = gan.build_dcgan_generator(latent_dim=16, filters=8)
    discriminator = gan.build_dcgan_discriminator(filters=4)
    images = generator(np.zeros((3, 16), "float32"))
    assert images.shape == (3, 28, 28, 1)
    assert float(keras.ops.min(images)) >= 0.0 and float(keras.ops.max(images)) <= 1.0
    assert discriminator(images).shape == (3, 1)
    # the intermediate 7x7 and 14x14 maps of the DCGAN
    shapes = [tuple(layer.output.shape[1:]) for layer in generator.layers]
    assert (7, 7, 8) in shapes and (14, 14, 4) in shapes


def test_mlp_shapes():
    generator = gan.build_mlp_generator(latent_dim=4, hidden=8, output_dim=2)
    discriminator = gan.build_mlp_discriminator(input_dim=2, hidden=8)
    x = generator(np.zeros((5, 4), "float32"))
    assert x.shape == (5, 2)
    assert discriminator(x).shape == (5, 1)


@pytest.mark.parametrize("call", [
    lambda: gan.build_dcgan_generator(latent_dim=0),
    lambda: gan.build_dcgan_generator(filters=1),
    lambda: gan.build_dcgan_generator(latent_dim=2.5),
    lambda: gan.build_dcgan_discriminator(input_shape=(28, 28)),
    lambda: gan.build_dcgan_discriminator(dropout=1.0),
    lambda: gan.build_mlp_generator(hidden=-1),
    lambda: gan.build_mlp_discriminator(input_dim=True),
])
def test_builders_reject_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- losses
def test_losses_match_the_formulas():
    real = np.array([[2.0], [-1.0], [0.5]], "float32")
    fake = np.array([[-3.0], [0.0], [1.5]], "float32")
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    expected_d = np.mean(-np.log(d_real)) + np.mean(-np.log(1 - d_fake))
    np.testing.assert_allclose(float(gan.discriminator_loss(real, fake)), expected_d, rtol=1e-5)
    np.testing.assert_allclose(float(gan.generator_loss(fake)), np.mean(-np.log(d_fake)), rtol=1e-5)
    np.testing.assert_allclose(float(gan.generator_loss(fake, non_saturating=False)),
                               np.mean(np.log(1 - d_fake)), rtol=1e-5)


def test_discriminator_loss_equals_keras_binary_crossentropy():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 1)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = float(bce(np.ones_like(real), real)) + float(bce(np.zeros_like(fake), fake))
    np.testing.assert_allclose(float(gan.discriminator_loss(real, fake)), expected, atol=1e-5)


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    import tensorflow as tf

    logit = tf.Variable([[-6.0]])  # D is sure the sample is fake: D(G(z)) ~ 0.0025
    grads = {}
    for flag in (True, False):
        with tf.GradientTape() as tape:
            loss = gan.generator_loss(logit, non_saturating=flag)
        grads[flag] = abs(float(tape.gradient(loss, logit)[0, 0]))
    assert grads[False] < 0.01 < 0.99 < grads[True]


def test_generator_loss_rejects_bad_flag():
    with pytest.raises(ValueError, match="non_saturating"):
        gan.generator_loss(np.zeros((2, 1), "float32"), non_saturating="yes")


# ----------------------------------------------------------------------------- the game
def _small_gan(seed=0):
    keras.utils.set_random_seed(seed)
    model = gan.GAN(gan.build_mlp_generator(latent_dim=3, hidden=8),
                    gan.build_mlp_discriminator(hidden=8), latent_dim=3, seed=seed)
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    return model


def _weights(model):
    return [np.array(w) for w in model.weights]


def test_one_fit_step_updates_both_players_and_reports_metrics():
    model = _small_gan()
    before_g, before_d = _weights(model.generator), _weights(model.discriminator)
    real = np.random.default_rng(0).normal(4.0, 1.0, size=(16, 1)).astype("float32")
    history = model.fit(real, epochs=1, batch_size=16, verbose=0)
    after_g, after_d = _weights(model.generator), _weights(model.discriminator)
    assert all(not np.allclose(a, b) for a, b in zip(before_g, after_g))
    assert all(not np.allclose(a, b) for a, b in zip(before_d, after_d))
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v[0]) for v in history.history.values())


def test_discriminator_step_alone_lowers_its_loss_on_fixed_samples():
    """Only D moves if G's learning rate is 0: D's loss on the data must fall."""
    keras.utils.set_random_seed(1)
    model = gan.GAN(gan.build_mlp_generator(latent_dim=3, hidden=8),
                    gan.build_mlp_discriminator(hidden=8), latent_dim=3)
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.SGD(0.0))
    real = np.random.default_rng(0).normal(4.0, 0.5, size=(256, 1)).astype("float32")
    g_before = _weights(model.generator)
    history = model.fit(real, epochs=5, batch_size=64, verbose=0)
    assert history.history["d_loss"][-1] < history.history["d_loss"][0]
    assert all(np.allclose(a, b) for a, b in zip(g_before, _weights(model.generator)))


def test_gan_validates_arguments():
    g, d = gan.build_mlp_generator(latent_dim=3), gan.build_mlp_discriminator()
    with pytest.raises(ValueError, match="latent_dim"):
        gan.GAN(g, d, latent_dim=4)
    with pytest.raises(ValueError, match="keras.Model"):
        gan.GAN(g, "discriminator", latent_dim=3)
    model = gan.GAN(g, d, latent_dim=3)
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="different"):
        model.compile(opt, opt)
    with pytest.raises(ValueError, match="d_optimizer"):
        model.compile("adam", keras.optimizers.Adam())


def test_sample_snapshots_follow_fixed_noise():
    model = _small_gan()
    noise = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    snaps = gan.SampleSnapshots(noise, epochs=[1, 2])
    real = np.random.default_rng(0).normal(size=(32, 1)).astype("float32")
    model.fit(real, epochs=2, batch_size=16, verbose=0, callbacks=[snaps])
    assert sorted(snaps.snapshots) == [1, 2] and snaps.snapshots[2].shape == (4, 1)
    np.testing.assert_allclose(snaps.snapshots[2], model.generator(noise), atol=1e-6)
    with pytest.raises(ValueError):
        gan.SampleSnapshots(noise, epochs=[0])


# ----------------------------------------------------------------------------- saving
@pytest.mark.parametrize("build", [
    lambda: gan.build_dcgan_generator(latent_dim=8, filters=4),
    lambda: gan.build_dcgan_discriminator(filters=4),
])
def test_players_keras_round_trip(build, tmp_path):
    model = build()
    x = np.random.default_rng(0).random((2, *model.input_shape[1:])).astype("float32")
    path = tmp_path / "player.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_gan_keras_round_trip(tmp_path):
    model = _small_gan()
    model.fit(np.ones((16, 1), "float32"), epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "gan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, gan.GAN) and loaded.latent_dim == 3
    noise = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(loaded(noise), model(noise), atol=1e-6)
    np.testing.assert_allclose(loaded.discriminator(np.ones((2, 1))),
                               model.discriminator(np.ones((2, 1))), atol=1e-6)


# ----------------------------------------------------------------------------- evaluation
class _FixedClassifier:
    """Stands in for a trained classifier: returns given probabilities."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, "float32")

    def predict(self, images, **kwargs):
        return self.probs[: len(images)]


def test_sample_quality_counts_confident_samples_and_classes():
    probs = np.full((100, 10), 0.005, "float32")
    probs[:, 0] = 0.955  # 100 confident "0"s ...
    probs[90:] = 0.1  # ... except 10 uniform (unconfident) rows
    probs[80:90] = 0.005
    probs[80:90, 3] = 0.955  # 10 confident "3"s
    quality = gan.sample_quality(_FixedClassifier(probs), np.zeros((100, 28, 28, 1)))
    assert quality.confident_share == pytest.approx(0.9)
    assert quality.counts.tolist() == [80, 0, 0, 10, 0, 0, 0, 0, 0, 0]
    assert quality.classes_present == 2
    assert quality.largest_share == pytest.approx(80 / 90)
    # a class needs min_share of the samples to count as present
    assert gan.sample_quality(_FixedClassifier(probs), np.zeros((100, 28, 28, 1)),
                              min_share=0.2).classes_present == 1


def test_generate_is_seeded():
    generator = gan.build_mlp_generator(latent_dim=3, hidden=4)
    a, b = gan.generate(generator, 5, seed=3), gan.generate(generator, 5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 1)
    with pytest.raises(ValueError):
        gan.generate(generator, 0)


@pytest.mark.parametrize("kwargs", [{"threshold": 1.0}, {"threshold": 0.0}, {"min_share": 1.5}])
def test_sample_quality_rejects_bad_arguments(kwargs):
    probs = np.full((4, 10), 0.1, "float32")
    with pytest.raises(ValueError):
        gan.sample_quality(_FixedClassifier(probs), np.zeros((4, 28, 28, 1)), **kwargs)


def test_sample_quality_rejects_logits():
    with pytest.raises(ValueError, match="softmax"):
        gan.sample_quality(_FixedClassifier(np.full((4, 10), 3.0)), np.zeros((4, 28, 28, 1)))
