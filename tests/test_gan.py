"""Tests of dlarch.gan: the players, the losses, the custom train_step, saving."""

import keras
import numpy as np
import pytest

from dlarch import gan
from dlarch.neurons import value_and_gradients

# GAN's two training steps record tf.GradientTape; Keras's JAX trainer would need a stateless train_step.
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
    shapes = [tuple(layer.output.shape[1:]) for layer in discriminator.layers]
    assert (14, 14, 4) in shapes and (7, 7, 8) in shapes and (64,) in shapes


@pytest.mark.parametrize("hidden", [64, 0])
def test_dcgan_discriminator_judges_more_than_small_patches(hidden):
    """Two pixel blocks 13 pixels apart move the logit jointly through the hidden layer.

    Without it (``hidden=0``) each feature sees a 10x10 patch and the linear logit
    adds up patch scores: the interaction term is zero up to rounding.
    """
    keras.utils.set_random_seed(3)
    discriminator = gan.build_dcgan_discriminator(filters=4, hidden=hidden)
    x = np.random.default_rng(0).random((1, 28, 28, 1)).astype("float32")
    a, b = np.zeros_like(x), np.zeros_like(x)
    a[:, 2:6, 2:6], b[:, 18:22, 18:22] = 1.0, 1.0
    logit = lambda image: float(discriminator(image, training=False)[0, 0])
    interaction = abs(logit(x + a + b) - logit(x + a) - logit(x + b) + logit(x))
    effect = abs(logit(x + a) - logit(x))
    assert effect > 0
    if hidden:
        assert interaction > 0.01 * effect
    else:
        assert interaction < 1e-4 * effect + 1e-6


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
    logit = np.array([[-6.0]], "float32")  # D is sure the sample is fake: D(G(z)) ~ 0.0025
    grads = {}
    for flag in (True, False):
        _, _, (grad,) = value_and_gradients(
            lambda logit: (gan.generator_loss(logit, non_saturating=flag), None), [logit])
        grads[flag] = abs(float(keras.ops.convert_to_numpy(grad)[0, 0]))
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


def _seeds(model):
    """The GAN's seed states, the noise's and the dropout layer's: both must move every round."""
    return [np.asarray(v) for v in model.non_trainable_variables if "seed" in v.path]


def _tiny_dcgan(jit_compile, **kwargs):
    return gan.make_dcgan(latent_dim=4, generator_filters=4, discriminator_filters=4,
                          discriminator_hidden=4, seed=1, jit_compile=jit_compile, **kwargs)


def test_fit_plays_the_same_rounds_as_steps_called_one_by_one():
    """fit's compiled step (a pure function of the model's state on JAX) must carry both
    optimizers' moments, the batch-norm statistics and the noise and dropout seeds from
    one round to the next exactly as the eager steps do."""
    real = np.random.default_rng(0).uniform(size=(24, 28, 28, 1)).astype("float32")
    fresh, by_fit, by_hand = (gan.make_dcgan(latent_dim=4, generator_filters=4,
                                             discriminator_filters=2, seed=5) for _ in range(3))
    by_fit.fit(real, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for batch in np.split(real, 3):
        by_hand.discriminator_step(batch)
        by_hand.generator_step(8)
    for player in ("generator", "discriminator"):
        fitted, stepped = getattr(by_fit, player), getattr(by_hand, player)
        assert len(fitted.non_trainable_weights) == (2 * 2 if player == "generator" else 0)
        for a, b in zip(fitted.weights, stepped.weights):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    for name in ("d_optimizer", "g_optimizer"):
        assert int(getattr(by_fit, name).iterations) == int(getattr(by_hand, name).iterations) == 3
    assert len(_seeds(fresh)) == 2
    for start, fitted, stepped in zip(_seeds(fresh), _seeds(by_fit), _seeds(by_hand)):
        assert not np.array_equal(start, fitted) and np.array_equal(fitted, stepped)


def test_evaluate_says_a_gan_has_no_test_loss_and_leaves_the_model_usable():
    model = _small_gan()
    with pytest.raises(NotImplementedError, match="sample_quality"):
        model.evaluate(np.ones((16, 1), "float32"), verbose=0)
    assert np.asarray(model(np.zeros((2, 3), "float32"))).shape == (2, 1)


def _trainable(model):
    return [np.array(w) for w in model.trainable_weights]


def _fast_gan():
    """Both learning rates large, so that any cross-update would show."""
    keras.utils.set_random_seed(2)
    model = gan.GAN(gan.build_mlp_generator(latent_dim=3, hidden=8),
                    gan.build_mlp_discriminator(hidden=8), latent_dim=3)
    model.compile(keras.optimizers.Adam(0.1), keras.optimizers.Adam(0.1))
    return model


def test_generator_step_changes_only_the_generator():
    model = _fast_gan()
    g_before, d_before = _trainable(model.generator), _trainable(model.discriminator)
    model.generator_step(16)
    assert all(not np.allclose(a, b) for a, b in zip(g_before, _trainable(model.generator)))
    assert all(np.array_equal(a, b) for a, b in zip(d_before, _trainable(model.discriminator)))


def test_discriminator_step_changes_only_the_discriminator():
    model = _fast_gan()
    real = np.random.default_rng(0).normal(4.0, 0.5, size=(16, 1)).astype("float32")
    g_before, d_before = _trainable(model.generator), _trainable(model.discriminator)
    model.discriminator_step(real)
    assert all(not np.allclose(a, b) for a, b in zip(d_before, _trainable(model.discriminator)))
    assert all(np.array_equal(a, b) for a, b in zip(g_before, _trainable(model.generator)))


def test_discriminator_steps_alone_lower_its_loss():
    """With the generator never updated, D's own steps must lower D's loss."""
    model = _fast_gan()
    model.d_optimizer.learning_rate.assign(1e-2)
    real = np.random.default_rng(0).normal(4.0, 0.5, size=(64, 1)).astype("float32")
    losses = [float(model.discriminator_step(real)[0]) for _ in range(30)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_gan_rejects_players_that_do_not_fit():
    with pytest.raises(ValueError, match="discriminator expects inputs of shape"):
        gan.GAN(gan.build_mlp_generator(latent_dim=3, output_dim=2),
                gan.build_mlp_discriminator(input_dim=1), latent_dim=3)
    two_logits = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="one logit"):
        gan.GAN(gan.build_mlp_generator(latent_dim=3), two_logits, latent_dim=3)


def test_make_dcgan_is_compiled_and_seeded():
    a, b = gan.make_dcgan(latent_dim=8, seed=3), gan.make_dcgan(latent_dim=8, seed=3)
    assert float(a.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(a.g_optimizer.learning_rate) == pytest.approx(2e-3)
    for x, y in zip(a.generator.weights + a.discriminator.weights,
                    b.generator.weights + b.discriminator.weights):
        np.testing.assert_array_equal(np.array(x), np.array(y))


def test_make_dcgan_with_xla_plays_the_same_round():
    """jit_compile=True changes how a round runs, not what it computes. (XLA may draw other
    random numbers from the same seed, so both models get the same fixed noise here.)"""
    real = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    plain, xla = _tiny_dcgan(False, dropout=0.0), _tiny_dcgan(True, dropout=0.0)
    assert xla.jit_compile and not plain.jit_compile
    fixed = np.random.default_rng(1).standard_normal((4, 4)).astype("float32")
    for model in (plain, xla):
        model.noise = lambda batch_size: keras.ops.convert_to_tensor(fixed[:batch_size])
        model.fit(real, epochs=2, batch_size=4, verbose=0, shuffle=False)
    for x, y in zip(plain.generator.weights + plain.discriminator.weights,
                    xla.generator.weights + xla.discriminator.weights):
        np.testing.assert_allclose(np.array(x), np.array(y), rtol=1e-4, atol=1e-5)


def test_make_dcgan_with_xla_moves_the_noise_and_dropout_seeds_every_round():
    real = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    fresh, plain, xla = _tiny_dcgan(False), _tiny_dcgan(False), _tiny_dcgan(True)
    assert len(_seeds(xla)) == 2
    for model in (plain, xla):
        model.fit(real, epochs=2, batch_size=4, verbose=0, shuffle=False)
    for start, by_plain, by_xla in zip(_seeds(fresh), _seeds(plain), _seeds(xla)):
        assert not np.array_equal(start, by_xla)
        np.testing.assert_array_equal(by_plain, by_xla)


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
    lambda: gan.build_dcgan_discriminator(filters=4, hidden=0),
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
    """Stands in for a trained classifier: returns given logits."""

    def __init__(self, logits):
        self.logits = np.asarray(logits, "float32")

    def predict(self, images, **kwargs):
        return self.logits[: len(images)]


def test_sample_quality_counts_confident_samples_and_classes():
    probs = np.full((100, 10), 0.005, "float32")
    probs[:, 0] = 0.955  # 100 confident "0"s ...
    probs[90:] = 0.1  # ... except 10 uniform (unconfident) rows
    probs[80:90] = 0.005
    probs[80:90, 3] = 0.955  # 10 confident "3"s
    logits = np.log(probs) + 3.0  # the judge outputs logits; softmax gives probs back
    quality = gan.sample_quality(_FixedClassifier(logits), np.zeros((100, 28, 28, 1)))
    assert quality.confident_share == pytest.approx(0.9)
    assert quality.counts.tolist() == [80, 0, 0, 10, 0, 0, 0, 0, 0, 0]
    assert quality.classes_present == 2
    assert quality.largest_share == pytest.approx(80 / 90)
    # a class needs min_share of the samples to count as present
    assert gan.sample_quality(_FixedClassifier(logits), np.zeros((100, 28, 28, 1)),
                              min_share=0.2).classes_present == 1


def test_generate_samples_is_seeded():
    generator = gan.build_mlp_generator(latent_dim=3, hidden=4)
    a, b = gan.generate_samples(generator, 5, seed=3), gan.generate_samples(generator, 5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 1)
    with pytest.raises(ValueError):
        gan.generate_samples(generator, 0)


@pytest.mark.parametrize("kwargs", [{"threshold": 1.0}, {"threshold": 0.0}, {"min_share": 1.5}])
def test_sample_quality_rejects_bad_arguments(kwargs):
    probs = np.full((4, 10), 0.1, "float32")
    with pytest.raises(ValueError):
        gan.sample_quality(_FixedClassifier(probs), np.zeros((4, 28, 28, 1)), **kwargs)


def test_sample_quality_applies_softmax_to_logits():
    # logits (4, 0, 0, ...) give p = e^4 / (e^4 + 9) = 0.858 < 0.9: not confident;
    # logits (6, 0, ...) give 0.978: confident. Probabilities passed as logits would never be.
    logits = np.zeros((4, 10), "float32")
    logits[:2, 2] = 4.0
    logits[2:, 5] = 6.0
    quality = gan.sample_quality(_FixedClassifier(logits), np.zeros((4, 28, 28, 1)))
    assert quality.confident_share == pytest.approx(0.5)
    assert quality.counts.tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 0, 0]


def test_sample_quality_rejects_wrong_output_shape():
    with pytest.raises(ValueError, match="logits"):
        gan.sample_quality(_FixedClassifier(np.zeros((4,))), np.zeros((4, 28, 28, 1)))


# ----------------------------------------------------------------------------- the ring and trackers
def test_ring_samples_cover_every_mode_and_a_collapsed_batch_does_not():
    points = gan.ring_of_gaussians(4000, modes=8, radius=2.0, std=0.05, seed=0)
    full = gan.mode_coverage(points)
    assert full.modes_covered == 8 and full.high_quality_share > 0.98
    # the same points, but only those nearest the first three centres
    nearest = np.linalg.norm(points[:, None] - gan.ring_centres()[None], axis=2).argmin(axis=1)
    collapsed = gan.mode_coverage(points[nearest < 3])
    assert collapsed.modes_covered == 3 and collapsed.counts[3:].sum() == 0
    # points between modes are near none of them
    assert gan.mode_coverage(np.zeros((10, 2))).high_quality_share == 0.0


def test_mode_coverage_counts_by_hand():
    centres = gan.ring_centres(4, radius=1.0)  # (1,0), (0,1), (-1,0), (0,-1)
    samples = np.array([[1.0, 0.0], [1.1, 0.0], [0.0, 1.05], [0.5, 0.5]])
    coverage = gan.mode_coverage(samples, modes=4, radius=1.0, std=0.05, min_share=0.3)
    np.testing.assert_allclose(centres[1], [0.0, 1.0], atol=1e-12)
    # (1.1, 0) is 0.1 < 3 * 0.05 from (1, 0); (0.5, 0.5) is 0.71 from every centre
    assert coverage.counts.tolist() == [2, 1, 0, 0]
    assert coverage.modes_covered == 1  # 2/4 >= 0.3, 1/4 < 0.3
    assert coverage.high_quality_share == pytest.approx(0.75)


def test_sample_tracker_scores_at_chosen_epochs_and_the_last():
    model = _small_gan()
    tracker = gan.SampleTracker(lambda samples: samples.shape, every=2, n=7)
    model.fit(np.ones((16, 1), "float32"), epochs=3, batch_size=16, verbose=0, callbacks=[tracker])
    assert tracker.epochs == [2, 3] and tracker.scores == [(7, 1), (7, 1)]


def test_plot_game_labels_both_panels():
    import matplotlib

    matplotlib.use("Agg")
    history = {"d_loss": [1.2, 1.3], "g_loss": [0.8, 0.7], "d_real": [0.6, 0.5], "d_fake": [0.4, 0.5]}
    fig = gan.plot_game({"a": history, "b": history}, title="Two runs")
    assert fig._suptitle.get_text() == "Two runs"
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert len(fig.axes[0].lines) == 2 * 2 + 2  # two runs x two losses + two equilibrium lines
    assert len(gan.plot_game(history, title="one").axes[0].lines) == 4


# ----------------------------------------------------------------------------- bad input
_G, _D = gan.build_mlp_generator(latent_dim=2), gan.build_mlp_discriminator()
BAD_CALLS = [
    ("latent_dim", lambda v: gan.build_dcgan_generator(latent_dim=v), [0, -1, 2.5, np.nan, True, "8"]),
    ("filters", lambda v: gan.build_dcgan_generator(filters=v), [1, 0, np.inf]),
    ("filters", lambda v: gan.build_dcgan_discriminator(filters=v), [0, 1.5]),
    ("dropout", lambda v: gan.build_dcgan_discriminator(dropout=v), [1.0, -0.1, np.nan]),
    ("hidden", lambda v: gan.build_dcgan_discriminator(hidden=v), [-1, 2.5]),
    ("input_shape", lambda v: gan.build_dcgan_discriminator(input_shape=v), [(28, 28), (2, 2, 1), (28, -1, 1), 28]),
    ("hidden", lambda v: gan.build_mlp_generator(hidden=v), [0, np.nan]),
    ("output_dim", lambda v: gan.build_mlp_generator(output_dim=v), [0]),
    ("input_dim", lambda v: gan.build_mlp_discriminator(input_dim=v), [True, 0]),
    ("latent_dim", lambda v: gan.GAN(_G, _D, latent_dim=v), [3, 0, np.nan]),
    ("seed", lambda v: gan.GAN(_G, _D, latent_dim=2, seed=v), [-1, 0.5, np.nan]),
    ("d_learning_rate", lambda v: gan.make_dcgan(d_learning_rate=v), [0, -1e-3, np.nan, np.inf]),
    ("g_learning_rate", lambda v: gan.make_dcgan(g_learning_rate=v), [0, np.nan]),
    ("hidden", lambda v: gan.make_dcgan(discriminator_hidden=v), [-2, 0.5]),
    ("jit_compile", lambda v: gan.make_dcgan(jit_compile=v), ["yes", None, np.nan, 1, np.zeros(2)]),
    ("n", lambda v: gan.generate_samples(_G, v), [0, -3, 2.0, np.nan]),
    ("seed", lambda v: gan.generate_samples(_G, 3, seed=v), [-1, np.nan]),
    ("noise", lambda v: gan.SampleSnapshots(v, epochs=[1]), [np.zeros(3), [[np.nan, 0.0]]]),
    ("every", lambda v: gan.SampleTracker(len, every=v), [0, np.nan]),
    ("score", lambda v: gan.SampleTracker(v, every=1), [None, 3]),
    ("threshold", lambda v: gan.sample_quality(_FixedClassifier(np.zeros((2, 10))), np.zeros((2, 4, 4, 1)), threshold=v),
     [0.0, 1.0, np.nan]),
    ("min_share", lambda v: gan.sample_quality(_FixedClassifier(np.zeros((2, 10))), np.zeros((2, 4, 4, 1)), min_share=v),
     [1.5, -0.1, np.nan]),
    ("modes", lambda v: gan.ring_of_gaussians(10, modes=v), [1, 0, np.nan]),
    ("std", lambda v: gan.ring_of_gaussians(10, std=v), [0, -1.0, np.nan]),
    ("radius", lambda v: gan.ring_centres(radius=v), [0, np.inf]),
    ("samples", lambda v: gan.mode_coverage(v), [np.zeros((4, 3)), np.zeros(4)]),
    ("steps", lambda v: gan.train_judge(np.zeros((4, 28, 28, 1)), np.zeros(4, int), steps=v), [0, np.nan]),
    ("x", lambda v: gan.train_judge(v, np.zeros(4, int), steps=1), [np.zeros((4, 28, 28))]),
]


@pytest.mark.parametrize("name, call, value", [
    (name, call, value) for name, call, values in BAD_CALLS for value in values])
def test_bad_input_names_the_argument(name, call, value):
    with pytest.raises(ValueError, match=name):
        call(value)


@pytest.mark.parametrize("call", [
    lambda: gan.build_dcgan_generator(latent_dim=np.int64(8), filters=np.int32(4)),
    lambda: gan.build_dcgan_discriminator(filters=np.int64(4), dropout=np.float32(0.25)),
    lambda: gan.build_dcgan_discriminator(filters=4, hidden=np.int64(0)),
    lambda: gan.generate_samples(_G, np.int64(3), seed=np.int64(1)),
    lambda: gan.ring_of_gaussians(np.int64(5), std=np.float32(0.1), seed=np.uint8(2)),
    lambda: gan.mode_coverage(np.zeros((3, 2)), min_share=np.float64(0.1)),
])
def test_numpy_scalars_are_accepted(call):
    call()
