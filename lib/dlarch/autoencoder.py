"""Autoencoders: dense and convolutional, denoising, anomaly scores, and the VAE.

An autoencoder squeezes its input through a narrow *bottleneck* (the latent
vector) and is trained to reproduce the input from it
(Hinton & Salakhutdinov 2006). The pieces here:

* ``build_dense_autoencoder`` / ``build_conv_autoencoder``: encoder and
  decoder as two nested Keras models named ``"encoder"`` and ``"decoder"``;
* ``corrupt``: the input noise of a denoising autoencoder (Vincent et al. 2008);
* ``reconstruction_error``: one error per sample, the anomaly score;
* ``Sampling``, ``kl_divergence``, ``VAE`` and ``build_vae``: the variational
  autoencoder (Kingma & Welling 2014);
* ``plot_reconstructions``: rows of images (input, noisy, reconstructed, ...).

Builders return uncompiled models. Encoders output codes; decoders and
autoencoders output *pixel values in [0, 1]* through a sigmoid, not logits:
their output is an image that the notebooks show, score and feed onwards,
and Keras's binary cross-entropy on probabilities clips them for stability.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from dlarch import _checks

ENCODER_KINDS = ("dense", "conv")
NOISES = ("gaussian", "masking", "salt_pepper")


# --------------------------------------------------------------------------- validation
def _check_shape(shape, what: str) -> tuple:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ValueError(f"{what} must be (height, width, channels) of positive integers, got {shape!r}")
    return tuple(_checks.positive_int(what, d) for d in shape)


def _check_widths(widths, what: str) -> tuple:
    if not isinstance(widths, (tuple, list)) or not widths:
        raise ValueError(f"{what} must be a non-empty tuple of positive integers, got {widths!r}")
    return tuple(_checks.positive_int(what, w) for w in widths)


def _check_conv_shape(shape: tuple, filters: tuple) -> None:
    factor = 2 ** len(filters)
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"image height and width must be divisible by 2**len(filters) = {factor} "
            f"(each conv layer halves them), got {shape[:2]}"
        )


# --------------------------------------------------------------------------- builders
def _encoder_body(inputs, kind: str, widths: tuple):
    """Dense: flatten + Dense layers. Conv: stride-2 3x3 convolutions + flatten."""
    x = inputs
    if kind == "dense":
        x = layers.Flatten()(x)
        for units in widths:
            x = layers.Dense(units, activation="relu")(x)
        return x
    for filters in widths:
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    return layers.Flatten()(x)


def build_encoder(input_shape=(28, 28, 1), latent_dim: int = 32, *, kind: str = "dense",
                  widths=(256, 128), variational: bool = False, name: str = "encoder"):
    """Map an image to its latent vector (or, if ``variational``, to ``[z_mean, z_log_var]``); uncompiled.

    Args:
        kind: ``"dense"`` (``widths`` are layer sizes) or ``"conv"`` (``widths``
            are filter counts of stride-2 convolutions).
        variational: output the mean and log-variance of ``q(z|x)`` (two heads)
            instead of one code.
    """
    shape = _check_shape(input_shape, "input_shape")
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    kind, widths = _checks.one_of("kind", kind, ENCODER_KINDS), _check_widths(widths, "widths")
    if kind == "conv":
        _check_conv_shape(shape, widths)
    inputs = keras.Input(shape)
    features = _encoder_body(inputs, kind, widths)
    if variational:
        outputs = [layers.Dense(latent_dim, name="z_mean")(features),
                   layers.Dense(latent_dim, name="z_log_var")(features)]
    else:
        outputs = layers.Dense(latent_dim, name="latent")(features)
    return keras.Model(inputs, outputs, name=name)


def build_decoder(output_shape=(28, 28, 1), latent_dim: int = 32, *, kind: str = "dense",
                  widths=(128, 256), name: str = "decoder"):
    """Map a latent vector back to an image with pixels in [0, 1] (sigmoid output); uncompiled.

    ``widths`` run from the bottleneck outwards, e.g. the reverse of the encoder's.
    """
    shape = _check_shape(output_shape, "output_shape")
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    kind, widths = _checks.one_of("kind", kind, ENCODER_KINDS), _check_widths(widths, "widths")
    inputs = keras.Input((latent_dim,))
    x = inputs
    if kind == "dense":
        for units in widths:
            x = layers.Dense(units, activation="relu")(x)
        x = layers.Dense(math.prod(shape), activation="sigmoid")(x)
        outputs = layers.Reshape(shape)(x)
    else:
        _check_conv_shape(shape, widths)
        factor = 2 ** len(widths)
        small = (shape[0] // factor, shape[1] // factor, widths[0])
        x = layers.Dense(math.prod(small), activation="relu")(x)
        x = layers.Reshape(small)(x)
        for filters in widths:
            x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
        outputs = layers.Conv2D(shape[2], 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name=name)


def _autoencoder(input_shape, latent_dim, kind, widths, name):
    widths = _check_widths(widths, "widths")
    encoder = build_encoder(input_shape, latent_dim, kind=kind, widths=widths)
    decoder = build_decoder(input_shape, latent_dim, kind=kind, widths=widths[::-1])
    inputs = keras.Input(encoder.input_shape[1:])
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


def build_dense_autoencoder(input_shape=(28, 28, 1), latent_dim: int = 32, widths=(256, 128),
                            name: str = "dense_autoencoder"):
    """Fully connected autoencoder (Hinton & Salakhutdinov 2006): image -> code -> image in [0, 1].

    Uncompiled; the output is the sigmoid image, not logits.
    The encoder uses ``widths`` and the decoder mirrors them; get the halves
    with ``model.get_layer("encoder")`` and ``model.get_layer("decoder")``.
    """
    return _autoencoder(input_shape, latent_dim, "dense", widths, name)


def build_conv_autoencoder(input_shape=(28, 28, 1), latent_dim: int = 16, filters=(32, 64),
                           name: str = "conv_autoencoder"):
    """Convolutional autoencoder: stride-2 convolutions down, transposed convolutions up.

    Uncompiled; the output is the sigmoid image in [0, 1], not logits.
    Height and width must be divisible by ``2 ** len(filters)``.
    """
    return _autoencoder(input_shape, latent_dim, "conv", _check_widths(filters, "filters"), name)


# --------------------------------------------------------------------------- denoising and scores
def corrupt(x, noise: str = "gaussian", level: float = 0.5, seed: int = 0) -> np.ndarray:
    """A noisy copy of images ``x`` in [0, 1], clipped back to [0, 1] (Vincent et al. 2008).

    Args:
        noise: ``"gaussian"`` (add N(0, level²)), ``"masking"`` (set a fraction
            ``level`` of pixels to 0) or ``"salt_pepper"`` (set a fraction
            ``level`` of pixels to 0 or 1 at random).
        level: the standard deviation (gaussian, > 0) or the fraction of
            pixels (masking, salt_pepper, in (0, 1]).
    """
    noise = _checks.one_of("noise", noise, NOISES)
    if noise == "gaussian":
        level = _checks.positive_float("level", level)
    else:
        level = _checks.fraction("level", level, low_inclusive=False, high_inclusive=True)
    x = _checks.array("x", x, dtype=np.float32)
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    if noise == "gaussian":
        noisy = x + rng.normal(0.0, level, size=x.shape).astype(np.float32)
    else:
        hit = rng.random(x.shape) < level
        fill = 0.0 if noise == "masking" else rng.integers(0, 2, size=x.shape).astype(np.float32)
        noisy = np.where(hit, fill, x)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def reconstruction_error(model, x, *, batch_size: int = 256) -> np.ndarray:
    """Per-sample mean squared error between ``x`` and ``model.predict(x)``, shape ``(N,)``."""
    x = _checks.array("x", x, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch of samples, got shape {x.shape}")
    batch_size = _checks.positive_int("batch_size", batch_size)
    reconstructed = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if reconstructed.shape != x.shape:
        raise ValueError(f"model output shape {reconstructed.shape} differs from input shape {x.shape}")
    return ((reconstructed - x) ** 2).reshape(len(x), -1).mean(axis=1)


def plot_reconstructions(rows: dict, *, title: str, n: int = 10, xlabel: str = "test image"):
    """One labelled row of ``n`` images per entry of ``rows`` (e.g. original / reconstructed)."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("rows must map at least one row label to a batch of images")
    n = _checks.positive_int("n", n)
    batches = {label: np.asarray(images) for label, images in rows.items()}
    short = {label: len(b) for label, b in batches.items() if len(b) < n}
    if short:
        raise ValueError(f"every row needs at least n={n} images; these have fewer: {short}")
    fig, axes = plt.subplots(len(batches), n, figsize=(0.9 * n + 1.2, 0.95 * len(batches) + 0.5),
                             squeeze=False)
    for row, (label, images) in zip(axes, batches.items()):
        for ax, image in zip(row, images[:n]):
            ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(label, rotation=0, ha="right", va="center")
    axes[-1][n // 2].set_xlabel(xlabel)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- variational autoencoder
def kl_divergence(z_mean, z_log_var):
    """KL(q(z|x) ‖ N(0, I)) per sample for a diagonal Gaussian q (Kingma & Welling 2014, App. B).

    ``0.5 * Σ_j (exp(log σ²_j) + μ_j² − 1 − log σ²_j)``, summed over the last axis.
    """
    return 0.5 * ops.sum(ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var, axis=-1)


def bernoulli_reconstruction_loss(x, x_reconstructed):
    """−log p(x|z) per sample for Bernoulli pixels: binary cross-entropy summed over pixels."""
    eps = keras.config.epsilon()
    p = ops.clip(x_reconstructed, eps, 1.0 - eps)
    bce = -(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p))
    return ops.sum(ops.reshape(bce, (ops.shape(bce)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="dlarch")
class Sampling(layers.Layer):
    """The reparameterisation trick: ``z = μ + exp(½ log σ²) · ε`` with ``ε ~ N(0, I)``.

    Sampling this way keeps ``z`` differentiable in μ and log σ², so the
    encoder learns by backpropagation (Kingma & Welling 2014, §2.4).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else _checks.non_negative_int("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _check_vae_parts(encoder, decoder) -> None:
    """An encoder and a decoder that cannot form a VAE fail here, not later inside ``fit``."""
    if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
        raise ValueError("encoder and decoder must be keras.Model instances, got "
                         f"{type(encoder).__name__} and {type(decoder).__name__}")
    heads = [tuple(t.shape)[1:] for t in encoder.outputs]
    if len(heads) != 2 or heads[0] != heads[1] or len(heads[0]) != 1:
        raise ValueError(f"encoder must output [z_mean, z_log_var], two vectors of one size, "
                         f"got output shapes {heads}")
    code = tuple(decoder.input_shape)[1:]
    if code != heads[0]:
        raise ValueError(f"the decoder takes codes of shape {code} but the encoder's codes have "
                         f"shape {heads[0]}")
    image, rebuilt = tuple(encoder.input_shape)[1:], tuple(decoder.output_shape)[1:]
    if image != rebuilt:
        raise ValueError(f"the decoder outputs shape {rebuilt} but the encoder reads shape {image}")


@keras.saving.register_keras_serializable(package="dlarch")
class VAE(keras.Model):
    """Variational autoencoder (Kingma & Welling 2014) trained on the negative ELBO.

    ``call`` encodes to ``[z_mean, z_log_var]``, samples ``z`` with ``Sampling``,
    adds the KL term with ``add_loss`` and returns the decoded image.
    ``compute_loss`` returns reconstruction + ``beta`` · KL and logs both
    parts, so ``fit`` shows ``loss``, ``reconstruction_loss`` and ``kl_loss``.
    Compile with an optimizer only: ``vae.compile(optimizer="adam")``.

    Args:
        encoder: a model from ``x`` to ``[z_mean, z_log_var]``.
        decoder: a model from ``z`` to an image in [0, 1].
        beta: weight of the KL term (1 is the ELBO; other values give the β-VAE).
        seed: seed of the sampling noise.
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        _check_vae_parts(encoder, decoder)
        self.encoder, self.decoder = encoder, decoder
        self.beta = _checks.non_negative_float("beta", beta)
        self.seed = None if seed is None else _checks.non_negative_int("seed", seed)
        self.sampling = Sampling(seed, name="sampling")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape=None):
        # The encoder and decoder arrive built; the sampling layer has no weights.
        self.sampling.build(self.encoder.output_shape[0])
        self.built = True

    def call(self, x, training=False):
        z_mean, z_log_var = self.encoder(x, training=training)
        self.add_loss(ops.mean(kl_divergence(z_mean, z_log_var)))
        return self.decoder(self.sampling([z_mean, z_log_var]), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = ops.mean(bernoulli_reconstruction_loss(x, y_pred))
        kl = ops.sum(ops.stack(self.losses))  # the batch-mean KL added in ``call``
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.beta * kl

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


def build_vae(input_shape=(28, 28, 1), latent_dim: int = 2, *, kind: str = "dense",
              widths=(256, 128), beta: float = 1.0, seed: int | None = None) -> VAE:
    """A ``VAE`` whose encoder uses ``widths`` and whose decoder mirrors them; uncompiled.

    The decoder outputs Bernoulli means in [0, 1] (the VAE's loss needs them).
    """
    widths = _check_widths(widths, "widths")
    encoder = build_encoder(input_shape, latent_dim, kind=kind, widths=widths, variational=True)
    decoder = build_decoder(input_shape, latent_dim, kind=kind, widths=widths[::-1])
    vae = VAE(encoder, decoder, beta=beta, seed=seed, name="vae")
    vae.build((None, *encoder.input_shape[1:]))
    return vae
