"""Generative adversarial networks: the two players, their losses, the game.

A generator ``G`` maps noise ``z`` to samples, a discriminator ``D`` outputs
the logit of "this sample is real"; they are trained against each other
(Goodfellow et al. 2014). ``GAN`` plays that game inside ``fit`` through a
custom ``train_step``; ``build_dcgan_generator`` / ``build_dcgan_discriminator``
are a small DCGAN (Radford et al. 2016) for 28x28 digits and ``make_dcgan``
the course's recipe around them. Evaluation: ``train_judge`` and
``sample_quality`` score generated digits with a trained classifier,
``ring_of_gaussians`` and ``mode_coverage`` make mode collapse measurable on
the 2-D toy of Metz et al. (2017), and ``SampleTracker`` follows either score
during training. ``plot_game`` draws the losses and beliefs of a run.

Builders return uncompiled models. The discriminator outputs one *logit*
per sample; the generator outputs samples (images in [0, 1], or points).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from dlarch import _checks
from dlarch.neurons import value_and_gradients
from dlarch.training import epochs_for


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


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
    _check_flag("non_saturating", non_saturating)
    if non_saturating:
        return ops.mean(ops.softplus(-fake_logits))
    return -ops.mean(ops.softplus(fake_logits))


# --------------------------------------------------------------------------- players
def _image_shape(input_shape) -> tuple:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    shape = tuple(_checks.positive_int("input_shape", d) for d in input_shape)
    if min(shape[:2]) < 4:
        raise ValueError(f"input_shape must have height and width >= 4, got {input_shape!r}")
    return shape


def build_dcgan_generator(latent_dim: int = 64, filters: int = 64, name: str = "generator"):
    """DCGAN generator (Radford et al. 2016) for 28x28x1 images in [0, 1]; uncompiled.

    ``z -> Dense -> 7x7xfilters -> Conv2DTranspose (14x14x filters/2) ->
    Conv2DTranspose (28x28x1, sigmoid)``, with batch normalisation and ReLU
    in between, as in the paper; the sigmoid (instead of the paper's tanh)
    keeps samples in the [0, 1] range of the course's images.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    filters = _checks.positive_int("filters", filters, minimum=2)  # the second block has filters // 2
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


def build_dcgan_discriminator(input_shape=(28, 28, 1), filters: int = 16, dropout: float = 0.3,
                              hidden: int = 64, name: str = "discriminator"):
    """DCGAN discriminator: two strided convolutions with LeakyReLU, one hidden layer; one LOGIT out.

    Strided convolutions replace pooling and LeakyReLU(0.2) replaces ReLU, as
    in Radford et al. (2016); the output is a logit (no sigmoid), which the
    losses of this module expect; uncompiled. Two departures from the paper:
    no batch normalisation, dropout instead (batch statistics of all-real and
    all-generated batches let a batch-normalised discriminator tell the
    batches apart by their statistics); and a ``hidden`` layer before the
    logit. After two 4x4 stride-2 convolutions each feature sees a 10x10
    patch, so a logit linear in them only adds up position-wise patch scores
    and cannot relate distant parts of a digit; ``hidden`` LeakyReLU units
    over the whole map can. ``hidden=0`` leaves it out. ``filters`` (then
    twice as many) defaults to 16: on the 4,000 offline digits, 32 gave no
    consistently higher confident share (judged as in notebook 06/02, 8,750
    steps: higher for one seed, lower for another) and cost about 40 % more
    CPU time per step.
    """
    filters = _checks.positive_int("filters", filters)
    input_shape = _image_shape(input_shape)
    dropout = _checks.fraction("dropout", dropout)
    hidden = _checks.non_negative_int("hidden", hidden)
    stack = [
        keras.Input(input_shape),
        layers.Conv2D(filters, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(2 * filters, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Flatten(),
        layers.Dropout(dropout),
    ]
    if hidden:
        stack += [layers.Dense(hidden), layers.LeakyReLU(0.2)]
    return keras.Sequential(stack + [layers.Dense(1)], name=name)


def build_mlp_generator(latent_dim: int = 8, hidden: int = 32, output_dim: int = 1,
                        name: str = "generator"):
    """A small MLP generator for the toy GANs: ``z -> hidden -> hidden -> x``; uncompiled."""
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    hidden = _checks.positive_int("hidden", hidden)
    output_dim = _checks.positive_int("output_dim", output_dim)
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(output_dim),
    ], name=name)


def build_mlp_discriminator(input_dim: int = 1, hidden: int = 32, name: str = "discriminator"):
    """A small MLP discriminator for the toy GANs; uncompiled, one LOGIT out."""
    input_dim = _checks.positive_int("input_dim", input_dim)
    hidden = _checks.positive_int("hidden", hidden)
    return keras.Sequential([
        keras.Input((input_dim,)),
        layers.Dense(hidden),
        layers.LeakyReLU(0.2),
        layers.Dense(hidden),
        layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name=name)


# --------------------------------------------------------------------------- the game
def _check_players(generator, discriminator, latent_dim: int) -> None:
    """Players that cannot play together fail here, not later inside ``fit``."""
    if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
        raise ValueError("generator and discriminator must be keras.Model instances, got "
                         f"{type(generator).__name__} and {type(discriminator).__name__}")
    if not generator.inputs or not discriminator.inputs:
        raise ValueError("generator and discriminator must be built models with known input shapes")
    noise_shape = tuple(generator.input_shape)[1:]
    if noise_shape != (latent_dim,):
        raise ValueError(f"latent_dim={latent_dim} does not match the generator's input shape "
                         f"{noise_shape}")
    sample_shape = tuple(generator.output_shape)[1:]
    seen_shape = tuple(discriminator.input_shape)[1:]
    if sample_shape != seen_shape:
        raise ValueError(f"the generator's samples have shape {sample_shape} but the discriminator "
                         f"expects inputs of shape {seen_shape}")
    logit_shape = tuple(discriminator.output_shape)[1:]
    if logit_shape != (1,):
        raise ValueError(f"the discriminator must output one logit per sample, shape (1,), "
                         f"got {logit_shape}")


@keras.saving.register_keras_serializable(package="dlarch")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other by ``fit``.

    Each ``train_step`` takes a batch of real samples and makes one update of
    each player (Goodfellow et al. 2014, Algorithm 1 with k = 1):
    ``discriminator_step`` descends ``discriminator_loss`` on the real batch
    and a fresh generated batch, then ``generator_step`` descends
    ``generator_loss`` on another generated batch. Each step changes only its
    own player's trainable weights (the generator's batch-norm statistics do
    follow its forward pass in the discriminator step). ``fit`` reports
    ``d_loss``, ``g_loss`` and the mean beliefs ``d_real`` = D(x) and
    ``d_fake`` = D(G(z)). Calling the model on noise runs the generator.

    Gradients come from :func:`dlarch.neurons.value_and_gradients`
    (``tf.GradientTape`` on TensorFlow, ``jax.value_and_grad`` on JAX).
    ``keras.saving.save_model`` keeps both players' weights, not the
    optimizers: call ``compile`` again after ``keras.saving.load_model``.
    There is no test loss: ``evaluate`` raises; score samples instead
    (:func:`sample_quality`, :func:`mode_coverage`).

    Args:
        generator: a model from noise ``(latent_dim,)`` to samples.
        discriminator: a model from samples to one logit per sample.
        latent_dim: size of the noise vector; must match the generator input.
        seed: seed of the noise drawn during training.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        _check_players(generator, discriminator, self.latent_dim)
        self.seed = _checks.non_negative_int("seed", seed)
        self.generator, self.discriminator = generator, discriminator
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
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Their state must exist before fit's compiled step (on JAX) reads it.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        self.non_saturating = _check_flag("non_saturating", non_saturating)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def noise(self, batch_size):
        """Standard normal noise ``(batch_size, latent_dim)`` from the training seed."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)

    def _state(self):
        """Variables the steps update without differentiating: batch-norm statistics, seeds."""
        return (self.generator.non_trainable_variables + self.discriminator.non_trainable_variables
                + [self.noise_seed.state])

    def discriminator_step(self, real):
        """One update of D on ``real`` and as many generated samples; returns (loss, logits)."""
        def loss_fn():
            fake = self.generator(self.noise(ops.shape(real)[0]), training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            return discriminator_loss(real_logits, fake_logits), (real_logits, fake_logits)

        weights = self.discriminator.trainable_weights
        loss, (real_logits, fake_logits), grads = value_and_gradients(
            loss_fn, [], weights, state=self._state())
        self.d_optimizer.apply(grads, weights)
        return loss, real_logits, fake_logits

    def generator_step(self, batch_size):
        """One update of G through the (fixed) D on ``batch_size`` fresh samples; returns the loss."""
        def loss_fn():
            fake = self.generator(self.noise(batch_size), training=True)
            return generator_loss(self.discriminator(fake, training=True), self.non_saturating), None

        weights = self.generator.trainable_weights
        loss, _, grads = value_and_gradients(loss_fn, [], weights, state=self._state())
        self.g_optimizer.apply(grads, weights)
        return loss

    def play_round(self, data):
        """One round of the game on a batch of real samples: a D step, a G step, the metrics."""
        real = data[0] if isinstance(data, (tuple, list)) else data
        d_loss, real_logits, fake_logits = self.discriminator_step(real)
        g_loss = self.generator_step(ops.shape(real)[0])
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("d_real", ops.mean(ops.sigmoid(real_logits))),
                            ("d_fake", ops.mean(ops.sigmoid(fake_logits)))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, *args):
        """One round of the game. TensorFlow calls it with the batch; Keras's JAX trainer
        compiles a pure function of the model's state, so on JAX it gets ``(state, batch)``
        and plays the round on the state's values inside a ``keras.StatelessScope``."""
        if keras.backend.backend() != "jax":
            return self.play_round(*args)
        state, data = args
        trainable, non_trainable, optimizer_values, metrics = state
        groups = (self.trainable_variables, self.non_trainable_variables, self.metrics_variables)
        mapping = [pair for group, values in zip(groups, (trainable, non_trainable, metrics))
                   for pair in zip(group, values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self.play_round(data)
        new = [[scope.get_current_value(v) for v in group] for group in groups]
        return logs, (new[0], new[1], optimizer_values, new[2])

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError("a GAN has no test loss to evaluate; score its samples instead "
                                  "(gan.sample_quality, gan.mode_coverage)")

    @property
    def non_trainable_variables(self):
        """The players' and the noise's state; on JAX also both optimizers' variables, which
        must travel in the state that Keras's JAX trainer threads through its compiled step
        (it threads only ``self.optimizer``'s, and a GAN has two)."""
        variables = super().non_trainable_variables
        if keras.backend.backend() == "jax" and getattr(self, "d_optimizer", None) is not None:
            variables += self.d_optimizer.variables + self.g_optimizer.variables
        return variables

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


def make_dcgan(d_learning_rate: float = 2e-4, g_learning_rate: float = 2e-3, *,
               latent_dim: int = 64, generator_filters: int = 64, discriminator_filters: int = 16,
               dropout: float = 0.3, discriminator_hidden: int = 64, seed: int = 0,
               jit_compile: bool | str = "auto") -> GAN:
    """The course's DCGAN recipe for 28x28 digits, compiled and ready for ``fit``.

    Players from :func:`build_dcgan_generator` and
    :func:`build_dcgan_discriminator` initialised from ``seed`` (so runs that
    differ only in their learning rates start from the same weights), Adam
    with ``beta_1 = 0.5`` for each player (Radford et al. 2016), the
    non-saturating generator loss. ``discriminator_hidden`` is the
    discriminator's ``hidden`` width (0: a logit straight on the convolutions).
    ``jit_compile`` goes to ``compile``: ``True`` compiles each round with XLA.
    With TensorFlow, ``"auto"`` leaves XLA off on CPU-only machines, and Keras
    declines ``True`` (with a warning) when deterministic ops are on; with JAX
    it is always on.
    """
    d_learning_rate = _checks.positive_float("d_learning_rate", d_learning_rate)
    g_learning_rate = _checks.positive_float("g_learning_rate", g_learning_rate)
    seed = _checks.non_negative_int("seed", seed)
    if not (isinstance(jit_compile, (bool, np.bool_))
            or (isinstance(jit_compile, str) and jit_compile == "auto")):
        raise ValueError(f"jit_compile must be True, False or 'auto', got {jit_compile!r}")
    keras.utils.set_random_seed(seed)
    model = GAN(build_dcgan_generator(latent_dim, filters=generator_filters),
                build_dcgan_discriminator(filters=discriminator_filters, dropout=dropout,
                                          hidden=discriminator_hidden),
                latent_dim, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=0.5),
                  jit_compile=jit_compile)
    return model


def generate_samples(generator, n: int, seed: int = 0) -> np.ndarray:
    """``n`` samples of a GAN ``generator`` from seeded standard normal noise, as NumPy."""
    n = _checks.positive_int("n", n)
    seed = _checks.non_negative_int("seed", seed)
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return np.asarray(generator.predict(noise, batch_size=256, verbose=0))


def _generator_of(model):
    return model.generator if isinstance(model, GAN) else model


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
        self.noise = _checks.array("noise", noise, ndim=2, dtype="float32", finite=True)
        if len(self.noise) == 0:
            raise ValueError("noise must hold at least one noise vector, got shape "
                             f"{self.noise.shape}")
        self.epochs = sorted({_checks.positive_int("each epoch", e) for e in epochs})
        if not self.epochs:
            raise ValueError("epochs must name at least one epoch")
        self.snapshots = {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.snapshots[epoch + 1] = np.asarray(_generator_of(self.model)(self.noise, training=False))


class SampleTracker(keras.callbacks.Callback):
    """Score ``n`` generator samples every ``every`` epochs and after the last one.

    ``score`` maps a NumPy batch of samples to anything (a
    :class:`SampleQuality`, a :class:`ModeCoverage`, a number); the results
    are in ``scores``, the 1-based epochs in ``epochs``. The noise comes from
    ``seed``, the same at every epoch.
    """

    def __init__(self, score, every: int, n: int = 1000, seed: int = 1):
        super().__init__()
        if not callable(score):
            raise ValueError(f"score must be a callable taking a batch of samples, got {score!r}")
        self.score = score
        self.every = _checks.positive_int("every", every)
        self.n = _checks.positive_int("n", n)
        self.seed = _checks.non_negative_int("seed", seed)
        self.epochs, self.scores = [], []

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every == 0 or done == self.params.get("epochs"):
            self.epochs.append(done)
            self.scores.append(self.score(generate_samples(_generator_of(self.model), self.n,
                                                           seed=self.seed)))


def plot_game(histories, *, title: str):
    """Losses (left) and the discriminator's mean beliefs (right) of one or more GAN runs.

    ``histories`` is a History (or its dict) or ``label -> History``. Dotted
    lines mark the equilibrium: ``L_D = 2 log 2``, ``L_G = log 2``, ``D = 1/2``.
    """
    import matplotlib.pyplot as plt

    from dlarch.training import history_frame

    if not isinstance(histories, dict) or "d_loss" in histories:
        histories = {"": histories}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    for i, (label, history) in enumerate(histories.items()):
        frame = history_frame(history)
        prefix = f"{label}: " if label else ""
        ax1.plot(frame.index, frame["d_loss"], color=f"C{i}", label=f"{prefix}$L_D$")
        ax1.plot(frame.index, frame["g_loss"], color=f"C{i}", ls="--", label=f"{prefix}$L_G$")
        ax2.plot(frame.index, frame["d_real"], color=f"C{i}", ls="--", label=f"{prefix}D(x), real")
        ax2.plot(frame.index, frame["d_fake"], color=f"C{i}", label=f"{prefix}D(G(z)), generated")
    ax1.axhline(np.log(4), color="0.5", ls=":", lw=1, label="2 log 2 ($L_D$ at equilibrium)")
    ax1.axhline(np.log(2), color="0.7", ls=":", lw=1, label="log 2 ($L_G$ at equilibrium)")
    ax2.axhline(0.5, color="0.5", ls=":", lw=1, label="1/2")
    ax1.set(title="Losses of the two players", xlabel="epoch", ylabel="loss")
    ax2.set(title="Discriminator's mean belief 'real'", xlabel="epoch", ylabel="probability",
            ylim=(0, 1))
    for ax in (ax1, ax2):
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- evaluation: digits
def train_judge(x, y, *, steps: int, batch_size: int = 64, seed: int = 0):
    """LeNet-5 (``dlarch.cnn.build_lenet5``) trained for about ``steps`` updates: the judge.

    Compiled with Adam and sparse categorical cross-entropy on its logits
    (``from_logits=True``); returns the trained model, which outputs logits.
    """
    from dlarch.cnn import build_lenet5
    from dlarch.training import CompactProgress

    x = _checks.array("x", x, ndim=4, dtype="float32")
    y = _checks.array("y", y, ndim=1)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same non-zero number of examples, got {len(x)} "
                         f"and {len(y)}")
    batch_size = _checks.positive_int("batch_size", batch_size)
    epochs = epochs_for(_checks.positive_int("steps", steps), len(x), batch_size)
    keras.utils.set_random_seed(_checks.non_negative_int("seed", seed))
    judge = build_lenet5(input_shape=x.shape[1:], num_classes=int(y.max()) + 1)
    judge.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    judge.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0,
              callbacks=[CompactProgress(every=max(1, epochs // 3))])
    return judge


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
    """Score samples with a trained classifier that outputs LOGITS (softmax applied here).

    A sample counts as *confident* when its top probability is above
    ``threshold``; a class is *present* when at least ``min_share`` of the
    samples are confidently given to it (1% = 10 of 1,000: one stray sample
    does not make a class present). Returns a :class:`SampleQuality`.
    """
    images = _checks.array("images", images)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"images must be a non-empty batch, got shape {images.shape}")
    threshold = _checks.fraction("threshold", threshold, low_inclusive=False)
    min_share = _checks.fraction("min_share", min_share)
    logits = np.asarray(classifier.predict(images, batch_size=256, verbose=0), dtype="float64")
    if logits.ndim != 2 or len(logits) != len(images):
        raise ValueError(f"classifier must output one row of class logits per image, got shape "
                         f"{logits.shape} for {len(images)} images")
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    confident = probs.max(axis=1) > threshold
    counts = np.bincount(probs.argmax(axis=1)[confident], minlength=probs.shape[1])
    n = len(images)
    return SampleQuality(
        n=n,
        threshold=threshold,
        confident_share=float(confident.mean()),
        counts=counts,
        classes_present=int((counts >= max(1, min_share * n)).sum()),
        largest_share=float(counts.max() / max(1, counts.sum())),
    )


# --------------------------------------------------------------------------- evaluation: the ring
def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The ``modes`` centres, evenly spaced on a circle of ``radius``: shape ``(modes, 2)``."""
    modes = _checks.positive_int("modes", modes, minimum=2)
    radius = _checks.positive_float("radius", radius)
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_of_gaussians(n: int, *, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      seed: int = 0) -> np.ndarray:
    """``n`` points from an equal mixture of Gaussians on a ring, float32 ``(n, 2)``.

    The toy distribution on which Metz et al. (2017) show GAN mode collapse:
    each mode is an isotropic Gaussian of standard deviation ``std``.
    """
    n = _checks.positive_int("n", n)
    std = _checks.positive_float("std", std)
    centres = ring_centres(modes, radius)
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    points = centres[rng.integers(0, len(centres), n)] + std * rng.standard_normal((n, 2))
    return points.astype("float32")


@dataclass(frozen=True)
class ModeCoverage:
    """Which modes of the ring a batch of samples covers.

    ``counts``: samples within three standard deviations of each centre (the
    "high-quality" samples of Metz et al. 2017); ``modes_covered``: modes
    holding at least ``min_share`` of all samples; ``high_quality_share``: the
    share of samples near some centre.
    """

    n: int
    counts: np.ndarray
    modes_covered: int
    high_quality_share: float

    def line(self) -> str:
        return (f"{self.modes_covered}/{len(self.counts)} modes covered, "
                f"{self.high_quality_share:.1%} of {self.n} samples within 3 std of a mode")


def mode_coverage(samples, *, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                  min_share: float = 0.01) -> ModeCoverage:
    """Count the ring's modes that ``samples`` ``(n, 2)`` cover (see :class:`ModeCoverage`)."""
    samples = _checks.array("samples", samples, ndim=2, dtype="float64")
    if samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty (n, 2) array, got shape {samples.shape}")
    std = _checks.positive_float("std", std)
    min_share = _checks.fraction("min_share", min_share)
    distances = np.linalg.norm(samples[:, None, :] - ring_centres(modes, radius)[None], axis=2)
    near = distances.min(axis=1) < 3 * std  # NaN samples are near nothing
    counts = np.bincount(distances.argmin(axis=1)[near], minlength=distances.shape[1])
    return ModeCoverage(n=len(samples), counts=counts,
                        modes_covered=int((counts >= max(1, min_share * len(samples))).sum()),
                        high_quality_share=float(near.mean()))
