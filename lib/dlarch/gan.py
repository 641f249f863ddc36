"""Generative adversarial networks: the two players, their losses, the game.

A generator ``G`` maps noise ``z`` to samples, a discriminator ``D`` outputs
the logit of "this sample is real"; they are trained against each other
(Goodfellow et al. 2014). ``GAN`` plays that game inside ``fit`` through a
custom ``train_step``; ``build_dcgan_generator`` / ``build_dcgan_discriminator``
are a small DCGAN (Radford et al. 2016) for 28x28 digits;
``sample_quality`` scores generated digits with a trained classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- losses
def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of ``D``: real samples labelled 1, generated ones 0.

    With ``D(x) = sigmoid(logit)`` this is
    ``-log D(x) - log(1 - D(G(z)))`` = ``softplus(-real) + softplus(fake)``,
    averaged over the batch (Goodfellow et al. 2014, eq. 1).
    """
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss(fake_logits, non_saturating: bool = True):
    """Loss of ``G`` on the discriminator's logits for generated samples.

    Args:
        fake_logits: ``D``'s logits on ``G(z)``.
        non_saturating: True (default) minimises ``-log D(G(z))`` =
            ``softplus(-logit)``, the variant Goodfellow et al. (2014)
            recommend; False minimises the minimax term ``log(1 - D(G(z)))`` =
            ``-softplus(logit)``, whose gradient vanishes when ``D`` wins.
    """
    if not isinstance(non_saturating, bool):
        raise ValueError(f"non_saturating must be True or False, got {non_saturating!r}")
    if non_saturating:
        return ops.mean(ops.softplus(-fake_logits))
    return -ops.mean(ops.softplus(fake_logits))


# --------------------------------------------------------------------------- players
def build_dcgan_generator(latent_dim: int = 64, filters: int = 64, name: str = "generator"):
    """DCGAN generator (Radford et al. 2016) for 28x28x1 images in [0, 1].

    ``z -> Dense -> 7x7xfilters -> Conv2DTranspose (14x14x filters/2) ->
    Conv2DTranspose (28x28x1, sigmoid)``, with batch normalisation and ReLU
    in between, as in the paper; the sigmoid (instead of the paper's tanh)
    keeps samples in the [0, 1] range of the course's images.
    """
    latent_dim = _positive_int("latent_dim", latent_dim)
    filters = _positive_int("filters", filters)
    if filters < 2:
        raise ValueError(f"filters must be at least 2 (the second block uses filters // 2), got {filters}")
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * filters, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, filters)),
        layers.Conv2DTranspose(filters // 2, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),
    ], name=name)


def build_dcgan_discriminator(input_shape=(28, 28, 1), filters: int = 32, dropout: float = 0.3,
                              name: str = "discriminator"):
    """DCGAN discriminator: two strided convolutions with LeakyReLU, one logit out.

    Strided convolutions replace pooling and LeakyReLU(0.2) replaces ReLU, as
    in Radford et al. (2016); the output is a logit (no sigmoid), which the
    losses of this module expect.
    """
    filters = _positive_int("filters", filters)
    if len(tuple(input_shape)) != 3 or any(int(d) < 4 for d in tuple(input_shape)[:2]):
        raise ValueError(f"input_shape must be (height, width, channels) with sides >= 4, "
                         f"got {input_shape!r}")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    return keras.Sequential([
        keras.Input(tuple(input_shape)),
        layers.Conv2D(filters, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(2 * filters, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Flatten(),
        layers.Dropout(dropout),
        layers.Dense(1),
    ], name=name)


def build_mlp_generator(latent_dim: int = 8, hidden: int = 32, output_dim: int = 1,
                        name: str = "generator"):
    """A small MLP generator for the 1-D toy GAN: ``z -> hidden -> hidden -> x``."""
    latent_dim = _positive_int("latent_dim", latent_dim)
    hidden = _positive_int("hidden", hidden)
    output_dim = _positive_int("output_dim", output_dim)
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(output_dim),
    ], name=name)


def build_mlp_discriminator(input_dim: int = 1, hidden: int = 32, name: str = "discriminator"):
    """A small MLP discriminator for the 1-D toy GAN, one logit out."""
    input_dim = _positive_int("input_dim", input_dim)
    hidden = _positive_int("hidden", hidden)
    return keras.Sequential([
        keras.Input((input_dim,)),
        layers.Dense(hidden),
        layers.LeakyReLU(0.2),
        layers.Dense(hidden),
        layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name=name)


# --------------------------------------------------------------------------- the game
@keras.saving.register_keras_serializable(package="dlarch")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit``.

    Each ``train_step`` takes a batch of real samples and makes one update of
    each player (Goodfellow et al. 2014, Algorithm 1 with k = 1): ``D``
    descends ``discriminator_loss`` on the real batch and a fresh generated
    batch, then ``G`` descends ``generator_loss`` on another generated batch.
    It reports ``d_loss``, ``g_loss`` and the mean probabilities ``d_real`` =
    D(x) and ``d_fake`` = D(G(z)), so callbacks and ``CompactProgress`` see
    them like any metric. Calling the model on noise runs the generator.

    The ``train_step`` uses ``tf.GradientTape``: training is TensorFlow-only
    (the players themselves are plain Keras models and run on any backend).
    Saving keeps both players' weights, not the optimizers: call ``compile``
    again after ``keras.saving.load_model``.

    Args:
        generator: a model from noise ``(latent_dim,)`` to samples.
        discriminator: a model from samples to one logit per sample.
        latent_dim: size of the noise vector; must match the generator input.
        seed: seed of the noise drawn during training.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
            raise ValueError("generator and discriminator must be keras.Model instances, got "
                             f"{type(generator).__name__} and {type(discriminator).__name__}")
        self.latent_dim = _positive_int("latent_dim", latent_dim)
        expected = tuple(generator.input_shape)[1:] if generator.inputs else None
        if expected is not None and expected != (self.latent_dim,):
            raise ValueError(f"latent_dim={latent_dim} does not match the generator's input "
                             f"shape {expected}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.generator, self.discriminator, self.seed = generator, discriminator, int(seed)
        self.noise_seed = keras.random.SeedGenerator(self.seed)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss", "d_real", "d_fake")}
        self.built = generator.built and discriminator.built

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def compile(self, d_optimizer, g_optimizer, non_saturating: bool = True, **kwargs):
        """Set one optimizer per player and the generator's loss variant.

        Args:
            d_optimizer, g_optimizer: Keras optimizers (two instances: each
                keeps its own state).
            non_saturating: passed to :func:`generator_loss`.
        """
        for label, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise ValueError(f"{label} must be a keras optimizer instance, got {opt!r}")
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different optimizer instances")
        if not isinstance(non_saturating, bool):
            raise ValueError(f"non_saturating must be True or False, got {non_saturating!r}")
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.non_saturating = non_saturating

    @property
    def metrics(self):
        return list(self.trackers.values())

    def noise(self, batch_size):
        """Standard normal noise ``(batch_size, latent_dim)`` from the training seed."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)

    def train_step(self, data):
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(f"GAN.train_step needs the TensorFlow backend, not "
                               f"{keras.backend.backend()!r}")
        import tensorflow as tf

        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = ops.shape(real)[0]

        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(batch_size), training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
        d_weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(tape.gradient(d_loss, d_weights), d_weights)

        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(batch_size), training=True)
            g_loss = generator_loss(self.discriminator(fake, training=True), self.non_saturating)
        g_weights = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_loss, g_weights), g_weights)

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("d_real", ops.mean(ops.sigmoid(real_logits))),
                            ("d_fake", ops.mean(ops.sigmoid(fake_logits)))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    def get_compile_config(self):
        # Two optimizers do not fit Keras's one-optimizer compile config: compile after loading.
        return {}


def generate(generator, n: int, seed: int = 0):
    """``n`` samples of ``generator`` from seeded standard normal noise, as NumPy."""
    n = _positive_int("n", n)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return np.asarray(generator.predict(noise, batch_size=256, verbose=0))


class SampleSnapshots(keras.callbacks.Callback):
    """Generator samples on a fixed noise batch at chosen epochs.

    ``snapshots[epoch]`` holds the images after that epoch (1-based), so the
    same ``z`` can be followed through training (Radford et al. 2016, fig. 3).

    Args:
        noise: the fixed noise batch ``(n, latent_dim)``.
        epochs: the epochs to snapshot (1-based).
    """

    def __init__(self, noise, epochs):
        super().__init__()
        self.noise = np.asarray(noise, dtype="float32")
        if self.noise.ndim != 2 or len(self.noise) == 0:
            raise ValueError(f"noise must be a non-empty (n, latent_dim) array, got shape "
                             f"{self.noise.shape}")
        self.epochs = sorted({_positive_int("each epoch", e) for e in epochs})
        if not self.epochs:
            raise ValueError("epochs must name at least one epoch")
        self.snapshots = {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            generator = self.model.generator if isinstance(self.model, GAN) else self.model
            self.snapshots[epoch + 1] = np.asarray(generator(self.noise, training=False))


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class SampleQuality:
    """What a digit classifier says about a batch of samples.

    ``confident_share``: share of samples whose top class probability exceeds
    the threshold; ``counts``: confidently classified samples per class;
    ``classes_present``: classes holding at least ``min_share`` of all samples
    among the confident ones; ``largest_share``: the biggest class's share of
    the confident samples (1.0 = total mode collapse).
    """

    n: int
    threshold: float
    confident_share: float
    counts: np.ndarray
    classes_present: int
    largest_share: float

    def line(self) -> str:
        return (f"{self.n} samples: {self.confident_share:.1%} confident (p > {self.threshold}), "
                f"{self.classes_present}/{len(self.counts)} classes present, "
                f"largest class {self.largest_share:.1%} of confident samples")


def sample_quality(classifier, images, threshold: float = 0.9, min_share: float = 0.01):
    """Score samples with a trained classifier (softmax outputs).

    A sample counts as *confident* when its top probability is above
    ``threshold``; a class is *present* when at least ``min_share`` of the
    samples are confidently given to it (1% = 10 of 1,000: one stray sample
    does not make a class present). Returns a :class:`SampleQuality`.
    """
    images = np.asarray(images)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"images must be a non-empty batch, got shape {images.shape}")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    if not 0.0 <= float(min_share) < 1.0:
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    probs = np.asarray(classifier.predict(images, batch_size=256, verbose=0))
    if probs.ndim != 2 or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("classifier must output class probabilities (softmax), one row per image")
    confident = probs.max(axis=1) > threshold
    counts = np.bincount(probs.argmax(axis=1)[confident], minlength=probs.shape[1])
    n = len(images)
    return SampleQuality(
        n=n,
        threshold=float(threshold),
        confident_share=float(confident.mean()),
        counts=counts,
        classes_present=int((counts >= max(1, min_share * n)).sum()),
        largest_share=float(counts.max() / max(1, counts.sum())),
    )
