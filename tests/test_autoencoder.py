"""Tests of dlarch.autoencoder: builders, noise, scores, and the VAE's loss terms."""

import keras
import numpy as np
import pytest
from keras import ops

from dlarch.neurons import value_and_gradients

from dlarch.autoencoder import (
    VAE,
    Sampling,
    bernoulli_reconstruction_loss,
    build_conv_autoencoder,
    build_decoder,
    build_dense_autoencoder,
    build_encoder,
    build_vae,
    corrupt,
    kl_divergence,
    plot_reconstructions,
    reconstruction_error,
)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")


# --------------------------------------------------------------------------- builders
@pytest.mark.parametrize("build, latent", [(build_dense_autoencoder, 7), (build_conv_autoencoder, 5)])
def test_autoencoder_shapes(build, latent, images):
    model = build(latent_dim=latent)
    assert model.predict(images, verbose=0).shape == images.shape
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    codes = encoder.predict(images, verbose=0)
    assert codes.shape == (8, latent)
    out = decoder.predict(codes, verbose=0)
    assert out.min() >= 0.0 and out.max() <= 1.0  # sigmoid pixels


def test_encoder_decoder_other_shapes():
    enc = build_encoder((32, 16, 3), 4, kind="conv", widths=(8, 8, 8))
    assert enc.output_shape == (None, 4)
    dec = build_decoder((32, 16, 3), 4, kind="conv", widths=(8, 8, 8))
    assert dec.output_shape == (None, 32, 16, 3)
    z_mean, z_log_var = build_encoder((12, 12, 1), 3, variational=True).outputs
    assert tuple(z_mean.shape) == tuple(z_log_var.shape) == (None, 3)


def test_dense_autoencoder_parameter_count():
    # 784*64+64 + 64*2+2 (encoder) + 2*64+64 + 64*784+784 (decoder)
    model = build_dense_autoencoder(latent_dim=2, widths=(64,))
    assert model.count_params() == (784 * 64 + 64) + (64 * 2 + 2) + (2 * 64 + 64) + (64 * 784 + 784)


@pytest.mark.parametrize("kwargs, message", [
    (dict(latent_dim=0), "latent_dim"),
    (dict(latent_dim=2.5), "latent_dim"),
    (dict(input_shape=(28, 28)), "input_shape"),
    (dict(widths=()), "widths"),
    (dict(widths=(64, -1)), "widths"),
])
def test_dense_builder_rejects_bad_args(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_dense_autoencoder(**kwargs)


def test_conv_builder_rejects_indivisible_shape_and_bad_kind():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*len\\(filters\\) = 4"):
        build_conv_autoencoder((30, 30, 1), filters=(8, 8))
    with pytest.raises(ValueError, match="kind must be one of"):
        build_encoder(kind="recurrent")


@pytest.mark.parametrize("build", [build_dense_autoencoder, build_conv_autoencoder])
def test_autoencoder_keras_round_trip(build, images, tmp_path):
    model = build(latent_dim=3)
    path = tmp_path / "ae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0),
                               atol=1e-6)
    assert loaded.get_layer("encoder").output_shape == (None, 3)


# --------------------------------------------------------------------------- noise and scores
def test_corrupt_levels_and_range(images):
    masked = corrupt(images, "masking", 0.3, seed=1)
    zeroed = (masked == 0) & (images != 0)
    assert abs(zeroed.mean() - 0.3) < 0.03
    assert np.all((masked == 0) | (masked == images))
    gaussian = corrupt(images, "gaussian", 0.2, seed=1)
    assert gaussian.min() >= 0 and gaussian.max() <= 1 and not np.allclose(gaussian, images)
    salt = corrupt(images, "salt_pepper", 1.0, seed=1)
    assert set(np.unique(salt)) <= {0.0, 1.0}
    np.testing.assert_array_equal(corrupt(images, seed=3), corrupt(images, seed=3))


@pytest.mark.parametrize("noise, level, message", [
    ("speckle", 0.5, "noise must be one of"),
    ("gaussian", 0.0, "level"),
    ("masking", 1.5, "level"),
])
def test_corrupt_rejects_bad_args(images, noise, level, message):
    with pytest.raises(ValueError, match=message):
        corrupt(images, noise, level)


def test_reconstruction_error_per_sample(images):
    identity = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Identity()])
    np.testing.assert_allclose(reconstruction_error(identity, images), np.zeros(8), atol=0)
    half = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(0.5)])
    expected = ((0.5 * images) ** 2).reshape(8, -1).mean(axis=1)
    np.testing.assert_allclose(reconstruction_error(half, images), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="non-empty batch"):
        reconstruction_error(identity, np.zeros((0, 28, 28, 1)))
    flat = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="differs from input shape"):
        reconstruction_error(flat, images)


def test_plot_reconstructions(images):
    import matplotlib.pyplot as plt

    fig = plot_reconstructions({"original": images, "noisy": images}, title="rows", n=4,
                               xlabel="step")
    assert fig._suptitle.get_text() == "rows" and len(fig.axes) == 8
    assert fig.axes[6].get_xlabel() == "step"
    assert fig.axes[0].get_ylabel() == "original" and fig.axes[4].get_ylabel() == "noisy"
    plt.close(fig)
    with pytest.raises(ValueError, match="at least n=10"):
        plot_reconstructions({"original": images}, title="rows", n=10)
    with pytest.raises(ValueError, match="at least one row"):
        plot_reconstructions({}, title="rows")


# --------------------------------------------------------------------------- VAE
def test_kl_matches_closed_form_of_univariate_gaussians():
    mean = np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.3]], dtype="float32")
    log_var = np.array([[0.0, 0.0], [np.log(4.0), 0.0], [-1.0, 2.0]], dtype="float32")
    sigma = np.exp(0.5 * log_var)
    # KL(N(m, s²) ‖ N(0, 1)) = log(1/s) + (s² + m²)/2 − 1/2, summed over the independent dims
    closed = (np.log(1.0 / sigma) + (sigma**2 + mean**2) / 2 - 0.5).sum(axis=1)
    got = ops.convert_to_numpy(kl_divergence(mean, log_var))
    np.testing.assert_allclose(got, closed, rtol=1e-5, atol=1e-6)
    assert got[0] == 0.0  # q equal to the prior
    np.testing.assert_allclose(got[1], np.log(0.5) + (4 + 1) / 2 - 0.5 + 2.0, rtol=1e-5)


def test_bernoulli_reconstruction_loss_is_summed_cross_entropy():
    x = np.array([[[1.0, 0.0], [1.0, 0.0]]], dtype="float32")
    p = np.array([[[0.9, 0.2], [0.5, 0.5]]], dtype="float32")
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.5) + np.log(0.5))
    np.testing.assert_allclose(ops.convert_to_numpy(bernoulli_reconstruction_loss(x, p)),
                               [expected], rtol=1e-5)


def test_sampling_shape_and_statistics():
    n = 20000
    mean = np.tile(np.array([[1.0, -2.0]], dtype="float32"), (n, 1))
    log_var = np.tile(np.array([[0.0, np.log(0.25)]], dtype="float32"), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=0)([mean, log_var]))
    assert z.shape == (n, 2)
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 0.5], atol=0.03)
    with pytest.raises(ValueError, match="seed"):
        Sampling(seed=-1)


def test_sampling_is_differentiable_in_mean_and_log_var():
    mean, log_var = np.array([[0.5, -0.5]], "float32"), np.array([[0.0, 1.0]], "float32")
    layer = Sampling(seed=3)

    def total(mean, log_var):
        z = layer([mean, log_var])
        return ops.sum(z), z

    _, z, grads = value_and_gradients(total, [mean, log_var])
    z, (d_mean, d_log_var) = ops.convert_to_numpy(z), [ops.convert_to_numpy(g) for g in grads]
    np.testing.assert_allclose(d_mean, [[1.0, 1.0]])  # dz/dμ = 1
    eps = (z - mean) / np.exp(0.5 * log_var)
    np.testing.assert_allclose(d_log_var, 0.5 * np.exp(0.5 * log_var) * eps, rtol=1e-5)


def test_vae_logs_loss_components_that_add_up(images):
    vae = build_vae(latent_dim=2, widths=(16,), seed=0)
    vae.compile(optimizer="adam")
    logs = vae.fit(images, epochs=1, batch_size=8, verbose=0).history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(logs)
    np.testing.assert_allclose(logs["loss"][0], logs["reconstruction_loss"][0] + logs["kl_loss"][0],
                               rtol=1e-4)
    assert logs["kl_loss"][0] >= 0
    # The logged KL is the batch mean of the closed-form KL of the encoder's posterior,
    # so a model that dropped or mis-scaled the KL term fails here.
    ev = vae.evaluate(images, batch_size=len(images), verbose=0, return_dict=True)
    z_mean, z_log_var = vae.encoder(images, training=False)
    expected_kl = float(ops.convert_to_numpy(ops.mean(kl_divergence(z_mean, z_log_var))))
    assert ev["kl_loss"] > 0
    np.testing.assert_allclose(ev["kl_loss"], expected_kl, rtol=1e-5)
    np.testing.assert_allclose(ev["loss"], ev["reconstruction_loss"] + ev["kl_loss"], rtol=1e-4)
    vae_beta = build_vae(latent_dim=2, widths=(16,), beta=0.5, seed=0)
    vae_beta.compile(optimizer="adam")
    ev = vae_beta.evaluate(images, verbose=0, return_dict=True)
    np.testing.assert_allclose(ev["loss"], ev["reconstruction_loss"] + 0.5 * ev["kl_loss"], rtol=1e-4)


def test_vae_shapes_and_bad_args(images):
    vae = build_vae(latent_dim=3, kind="conv", widths=(4, 8), seed=0)
    assert vae.predict(images, verbose=0).shape == images.shape
    z_mean, z_log_var = vae.encoder.predict(images, verbose=0)
    assert z_mean.shape == z_log_var.shape == (8, 3)
    with pytest.raises(ValueError, match="beta"):
        build_vae(beta=-1.0)
    with pytest.raises(ValueError, match="latent_dim"):
        build_vae(latent_dim=0)


def test_vae_keras_round_trip(images, tmp_path):
    vae = build_vae(latent_dim=2, widths=(16,), beta=0.5, seed=7)
    vae.compile(optimizer="adam")
    vae.fit(images, epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VAE) and loaded.beta == 0.5 and loaded.seed == 7
    z = np.array([[0.0, 0.0], [1.0, -1.0]], dtype="float32")
    np.testing.assert_allclose(loaded.decoder.predict(z, verbose=0), vae.decoder.predict(z, verbose=0),
                               atol=1e-6)
    np.testing.assert_allclose(loaded.encoder.predict(images, verbose=0)[0],
                               vae.encoder.predict(images, verbose=0)[0], atol=1e-6)


def test_vae_loss_reduction_by_hand():
    """Reconstruction = cross-entropy SUMMED over pixels, AVERAGED over the batch, plus beta * KL."""
    vae = build_vae(input_shape=(2, 2, 1), latent_dim=2, widths=(3,), beta=0.5, seed=0)
    x = np.array([[[1, 0], [1, 1]], [[0, 0], [1, 0]], [[0, 1], [0, 0]]], "float32")[..., None]
    p = np.array([[[0.9, 0.2], [0.6, 0.7]], [[0.1, 0.3], [0.8, 0.4]], [[0.5, 0.5], [0.2, 0.05]]],
                 "float32")[..., None]
    vae(x)  # adds this batch's KL term with add_loss
    z_mean, z_log_var = (np.asarray(t, "float64") for t in vae.encoder(x))
    kl = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var).sum(axis=1).mean()
    cross_entropy = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    per_image = cross_entropy.reshape(3, -1).sum(axis=1)  # summed over the 4 pixels
    np.testing.assert_allclose(per_image[0], -(np.log(0.9) + np.log(0.8) + np.log(0.6) + np.log(0.7)),
                               rtol=1e-6)
    got = float(vae.compute_loss(x=x, y_pred=p))
    np.testing.assert_allclose(got, per_image.mean() + 0.5 * kl, rtol=1e-5)


def test_vae_rejects_parts_that_do_not_fit():
    encoder = build_encoder((28, 28, 1), 2, widths=(8,), variational=True)
    with pytest.raises(ValueError, match="decoder takes codes of shape"):
        VAE(encoder, build_decoder((28, 28, 1), 3, widths=(8,)))
    with pytest.raises(ValueError, match="decoder outputs shape"):
        VAE(encoder, build_decoder((12, 12, 1), 2, widths=(8,)))
    with pytest.raises(ValueError, match="z_mean, z_log_var"):
        VAE(build_encoder((28, 28, 1), 2, widths=(8,)), build_decoder((28, 28, 1), 2, widths=(8,)))
    with pytest.raises(ValueError, match="keras.Model"):
        VAE("encoder", build_decoder((28, 28, 1), 2, widths=(8,)))


# --------------------------------------------------------------------------- bad input
_IMAGES = np.zeros((2, 28, 28, 1), "float32")
_IDENTITY = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Identity()])
BAD_CALLS = [
    ("latent_dim", lambda v: build_dense_autoencoder(latent_dim=v), [0, -2, 2.5, np.nan, True]),
    ("widths", lambda v: build_dense_autoencoder(widths=v), [(), (0,), (np.nan,), 64]),
    ("input_shape", lambda v: build_dense_autoencoder(input_shape=v), [(28, 28), (28, 0, 1), (28, np.nan, 1)]),
    ("filters|divisible", lambda v: build_conv_autoencoder(filters=v), [(8, 8, 8), ()]),
    ("kind", lambda v: build_encoder(kind=v), ["rnn", None, 3]),
    ("output_shape", lambda v: build_decoder(output_shape=v), [(28,), (0, 28, 1)]),
    ("noise", lambda v: corrupt(_IMAGES, noise=v), ["speckle", None]),
    ("level", lambda v: corrupt(_IMAGES, "gaussian", v), [0.0, -0.1, np.nan, np.inf]),
    ("level", lambda v: corrupt(_IMAGES, "masking", v), [0.0, 1.5, np.nan]),
    ("seed", lambda v: corrupt(_IMAGES, seed=v), [-1, 0.5, np.nan]),
    ("batch_size", lambda v: reconstruction_error(_IDENTITY, _IMAGES, batch_size=v), [0, np.nan]),
    ("n", lambda v: plot_reconstructions({"a": _IMAGES}, title="t", n=v), [0, 1.5]),
    ("seed", lambda v: Sampling(seed=v), [-1, np.nan, 1.5]),
    ("beta", lambda v: build_vae(widths=(8,), beta=v), [-1.0, np.nan, np.inf, "1"]),
]


@pytest.mark.parametrize("name, call, value", [
    (name, call, value) for name, call, values in BAD_CALLS for value in values])
def test_bad_input_names_the_argument(name, call, value):
    with pytest.raises(ValueError, match=name):
        call(value)


@pytest.mark.parametrize("call", [
    lambda: build_dense_autoencoder(latent_dim=np.int64(3), widths=(np.int32(8),)),
    lambda: corrupt(_IMAGES, "gaussian", np.float32(0.3), seed=np.int64(2)),
    lambda: corrupt(_IMAGES, "masking", np.float64(1.0)),
    lambda: build_vae(latent_dim=np.int64(2), widths=(8,), beta=np.float32(0.5), seed=np.int64(1)),
])
def test_numpy_scalars_are_accepted(call):
    call()
