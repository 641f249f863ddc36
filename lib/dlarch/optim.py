"""Chapter 08: optimisers, learning-rate schedules, validation and scaling out.

The optimisers here are the update rules of ``keras.optimizers`` written in
NumPy, so each line of the maths is visible; ``tests/test_optim.py`` runs the
same gradients through both and checks that the variables agree. The
schedules are ``keras.optimizers.schedules`` formulas in NumPy plus a
one-cycle schedule that Keras does not ship.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from . import _checks


# --- Optimisers from scratch ---------------------------------------------------

class Optimizer:
    """A from-scratch optimiser: ``step(params, grads)`` returns the updated params.

    State (momenta, running averages) is kept per parameter position, so call
    ``step`` with the parameters in the same order every time.
    """

    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = _checks.positive_float("learning_rate", learning_rate)
        self.iterations = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}

    def step(self, params, grads) -> list[np.ndarray]:
        """One update of every parameter with its gradient."""
        params = [np.asarray(p) for p in params]
        grads = [np.asarray(g, dtype=p.dtype) for p, g in zip(params, grads)]
        if len(params) != len(grads):
            raise ValueError(f"grads must match params one to one, got {len(grads)} for {len(params)}")
        for i, (p, g) in enumerate(zip(params, grads)):
            if p.shape != g.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}, its parameter has {p.shape}")
        self.iterations += 1
        return [self.update(i, p, g) for i, (p, g) in enumerate(zip(params, grads))]

    def slot(self, index: int, name: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """The state array ``name`` of parameter ``index``, created as ``fill`` on first use."""
        return self.state.setdefault(index, {}).setdefault(name, np.full_like(like, fill))

    def update(self, index: int, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def keras_twin(self) -> keras.optimizers.Optimizer:
        """The ``keras.optimizers`` object with the same hyperparameters."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, optionally with heavy-ball momentum (Polyak 1964) or
    Nesterov momentum (Nesterov 1983, in the form of Sutskever et al. 2013).

    ``v ← μ v − η g``; plain momentum steps ``θ ← θ + v``, Nesterov steps
    ``θ ← θ + μ v − η g`` (the gradient's effect after looking ahead).
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _checks.fraction("momentum", momentum)
        if not isinstance(nesterov, bool):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = nesterov

    def update(self, index, param, grad):
        lr = param.dtype.type(self.learning_rate)
        if self.momentum == 0:
            return param - lr * grad
        mu = param.dtype.type(self.momentum)
        velocity = self.slot(index, "velocity", param)
        velocity[...] = mu * velocity - lr * grad
        return param + (mu * velocity - lr * grad if self.nesterov else velocity)

    def keras_twin(self):
        return keras.optimizers.SGD(self.learning_rate, momentum=self.momentum, nesterov=self.nesterov)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): divide by the root of all past squared gradients.

    ``G ← G + g²``; ``θ ← θ − η g / √(G + ε)``. ``G`` starts at
    ``initial_accumulator_value`` as in Keras, so the first steps are not huge.
    """

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = _checks.non_negative_float(
            "initial_accumulator_value", initial_accumulator_value)
        self.epsilon = _checks.positive_float("epsilon", epsilon)

    def update(self, index, param, grad):
        acc = self.slot(index, "accumulator", param, self.initial_accumulator_value)
        acc += grad * grad
        lr, eps = param.dtype.type(self.learning_rate), param.dtype.type(self.epsilon)
        return param - lr * grad / np.sqrt(acc + eps)

    def keras_twin(self):
        return keras.optimizers.Adagrad(self.learning_rate, epsilon=self.epsilon,
                                        initial_accumulator_value=self.initial_accumulator_value)


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012): divide by a running root mean square.

    ``s ← ρ s + (1 − ρ) g²``; ``θ ← θ − η g / √(s + ε)``. Unlike Adagrad the
    average forgets, so the step size does not shrink for ever.
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _checks.fraction("rho", rho)
        self.epsilon = _checks.positive_float("epsilon", epsilon)

    def update(self, index, param, grad):
        rho = param.dtype.type(self.rho)
        square = self.slot(index, "mean_square", param)
        square[...] = rho * square + (1 - rho) * grad * grad
        lr, eps = param.dtype.type(self.learning_rate), param.dtype.type(self.epsilon)
        return param - lr * grad / np.sqrt(square + eps)

    def keras_twin(self):
        return keras.optimizers.RMSprop(self.learning_rate, rho=self.rho, epsilon=self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum on the gradient and RMSprop's scaling, bias-corrected.

    ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``, and with
    ``α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``: ``θ ← θ − α_t m / (√v + ε)``
    (the paper's "efficient" ordering, which Keras uses).
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _checks.fraction("beta_1", beta_1)
        self.beta_2 = _checks.fraction("beta_2", beta_2)
        self.epsilon = _checks.positive_float("epsilon", epsilon)

    def update(self, index, param, grad):
        dtype = param.dtype.type
        b1, b2, t = dtype(self.beta_1), dtype(self.beta_2), dtype(self.iterations)
        m = self.slot(index, "m", param)
        v = self.slot(index, "v", param)
        m += (grad - m) * (1 - b1)
        v += (grad * grad - v) * (1 - b2)
        alpha = dtype(self.learning_rate) * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return param - m * alpha / (np.sqrt(v) + dtype(self.epsilon))

    def keras_twin(self):
        return keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1, beta_2=self.beta_2,
                                     epsilon=self.epsilon)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.

    Before Adam's step every parameter shrinks by ``η λ θ``; the decay is not
    added to the gradient, so Adam's per-coordinate scaling does not weaken it.
    """

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, **adam):
        super().__init__(learning_rate, **adam)
        self.weight_decay = _checks.non_negative_float("weight_decay", weight_decay)

    def update(self, index, param, grad):
        dtype = param.dtype.type
        param = param - param * dtype(self.weight_decay) * dtype(self.learning_rate)
        return super().update(index, param, grad)

    def keras_twin(self):
        return keras.optimizers.AdamW(self.learning_rate, weight_decay=self.weight_decay,
                                      beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)


# --- Test surfaces --------------------------------------------------------------

def ill_conditioned_quadratic(condition: float = 25.0):
    """``f(x, y) = (x² + κ y²) / 2`` and its gradient: curvature ``κ`` times larger along y."""
    kappa = _checks.positive_float("condition", condition)

    def f(p):
        p = np.asarray(p, dtype=np.float64)
        return 0.5 * (p[..., 0] ** 2 + kappa * p[..., 1] ** 2)

    def grad(p):
        return np.array([p[0], kappa * p[1]], dtype=np.float64)

    return f, grad


def rosenbrock(a: float = 1.0, b: float = 100.0):
    """Rosenbrock's banana valley ``(a − x)² + b (y − x²)²`` and its gradient; minimum at (a, a²)."""
    a, b = _checks.finite_float("a", a), _checks.positive_float("b", b)

    def f(p):
        p = np.asarray(p, dtype=np.float64)
        return (a - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2

    def grad(p):
        x, y = p
        return np.array([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)])

    return f, grad


def descend(grad, start, optimizer: Optimizer, steps: int) -> np.ndarray:
    """The path ``(steps + 1, 2)`` of ``optimizer`` from ``start`` on a 2-D surface."""
    steps = _checks.positive_int("steps", steps)
    point = _checks.array("start", start, ndim=1).astype(np.float64)
    path = [point]
    for _ in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            (point,) = optimizer.step([point], [grad(point)])
        if not np.all(np.isfinite(point)):
            break  # diverged: keep the path up to here
        path.append(point)
    return np.array(path)


# --- Learning-rate range test ----------------------------------------------------

class LearningRateRangeTest(keras.callbacks.Callback):
    """Smith (2017)'s range test: raise the learning rate exponentially every batch.

    Train for ``steps`` batches while the rate grows from ``min_lr`` to
    ``max_lr``; ``learning_rates`` and ``losses`` hold one value per batch.
    Training stops early once the loss passes ``stop_factor`` times its best.
    The optimiser must have a plain (not scheduled) learning rate.
    """

    def __init__(self, min_lr: float = 1e-5, max_lr: float = 10.0, steps: int = 100,
                 stop_factor: float = 4.0):
        super().__init__()
        self.min_lr = _checks.positive_float("min_lr", min_lr)
        self.max_lr = _checks.positive_float("max_lr", max_lr)
        if self.max_lr <= self.min_lr:
            raise ValueError(f"max_lr must exceed min_lr={min_lr}, got {max_lr!r}")
        self.steps = _checks.positive_int("steps", steps, minimum=2)
        self.stop_factor = _checks.positive_float("stop_factor", stop_factor)

    def rate(self, step: int) -> float:
        return self.min_lr * (self.max_lr / self.min_lr) ** (step / (self.steps - 1))

    def on_train_begin(self, logs=None):
        self.learning_rates, self.losses = [], []
        self.model.optimizer.learning_rate = self.rate(0)

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        self.learning_rates.append(float(self.model.optimizer.learning_rate))
        self.losses.append(loss)
        done = len(self.losses)
        best = min(self.losses)
        if done >= self.steps or not math.isfinite(loss) or loss > self.stop_factor * best:
            self.model.stop_training = True
            return
        self.model.optimizer.learning_rate = self.rate(done)


def suggest_learning_rate(learning_rates, losses, *, smoothing: float = 0.9,
                          skip_start: int = 10) -> float:
    """A tenth of the rate at which the smoothed range-test loss is lowest (Smith 2017).

    The loss Keras logs per batch is already a running mean over the epoch;
    ``smoothing`` adds an exponential average that ignores spikes. The first
    ``skip_start`` batches are not candidates (as in fastai's ``lr_find``):
    their average rests on a handful of batches, so one lucky first batch
    would otherwise make the smallest rate look best.
    """
    lrs = _checks.array("learning_rates", learning_rates, ndim=1)
    raw = _checks.array("losses", losses, ndim=1)
    if len(lrs) != len(raw) or len(lrs) < 2:
        raise ValueError(f"need two or more matching rates and losses, got {len(lrs)} and {len(raw)}")
    beta = _checks.fraction("smoothing", smoothing)
    skip_start = _checks.non_negative_int("skip_start", skip_start)
    if skip_start >= len(lrs):
        raise ValueError(f"skip_start={skip_start} leaves none of the {len(lrs)} rates to choose from")
    smooth, average = [], 0.0
    for i, loss in enumerate(raw, start=1):
        average = beta * average + (1 - beta) * loss
        smooth.append(average / (1 - beta ** i))
    return float(lrs[skip_start + int(np.nanargmin(smooth[skip_start:]))] / 10)


# --- Learning-rate schedules ------------------------------------------------------

def step_decay(step, boundaries, values) -> np.ndarray:
    """Piecewise constant: ``values[i]`` until ``boundaries[i]`` (= Keras ``PiecewiseConstantDecay``)."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"values needs one more entry than boundaries, got {len(values)} "
                         f"values for {len(boundaries)} boundaries")
    step = np.asarray(step)
    return np.asarray(values, dtype=np.float64)[np.searchsorted(boundaries, step, side="left")]


def exponential_decay(step, initial_learning_rate: float, decay_steps: int, decay_rate: float) -> np.ndarray:
    """``η₀ · rate^(step / decay_steps)`` (= Keras ``ExponentialDecay``)."""
    _checks.positive_float("initial_learning_rate", initial_learning_rate)
    _checks.positive_int("decay_steps", decay_steps)
    _checks.positive_float("decay_rate", decay_rate)
    return initial_learning_rate * decay_rate ** (np.asarray(step, dtype=np.float64) / decay_steps)


def cosine_with_warmup(step, peak_learning_rate: float, decay_steps: int, warmup_steps: int,
                       initial_learning_rate: float = 0.0, alpha: float = 0.0) -> np.ndarray:
    """Linear warm-up to the peak, then a half cosine down to ``alpha`` × peak
    (Loshchilov & Hutter 2017; = Keras ``CosineDecay(..., warmup_target=peak)``)."""
    peak = _checks.positive_float("peak_learning_rate", peak_learning_rate)
    decay_steps = _checks.positive_int("decay_steps", decay_steps)
    warmup_steps = _checks.non_negative_int("warmup_steps", warmup_steps)
    start = _checks.non_negative_float("initial_learning_rate", initial_learning_rate)
    alpha = _checks.fraction("alpha", alpha, high_inclusive=True)
    step = np.asarray(step, dtype=np.float64)
    warm = start + (peak - start) * step / max(warmup_steps, 1)
    done = np.clip(step - warmup_steps, 0, decay_steps) / decay_steps
    cosine = peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * done)) + alpha)
    return np.where(step < warmup_steps, warm, cosine)


@keras.saving.register_keras_serializable(package="dlarch")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle schedule (Smith 2018; Smith & Topin 2019), which Keras does not ship.

    The rate rises linearly from ``max_lr / div_factor`` to ``max_lr`` over the
    first ``warmup_fraction`` of ``total_steps``, then follows a half cosine down
    to ``max_lr / (div_factor · final_div_factor)``: a large rate in the middle
    of training, an annealed one at the end. After ``total_steps`` it stays at
    the final rate.
    """

    def __init__(self, max_lr: float, total_steps: int, warmup_fraction: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4):
        self.max_lr = _checks.positive_float("max_lr", max_lr)
        self.total_steps = _checks.positive_int("total_steps", total_steps, minimum=2)
        self.warmup_fraction = _checks.fraction("warmup_fraction", warmup_fraction,
                                                low_inclusive=False)
        self.div_factor = _checks.positive_float("div_factor", div_factor)
        self.final_div_factor = _checks.positive_float("final_div_factor", final_div_factor)

    @property
    def warmup_steps(self) -> float:
        return self.warmup_fraction * self.total_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor
        warmup = self.warmup_steps
        rising = start + (self.max_lr - start) * step / warmup
        done = keras.ops.clip((step - warmup) / (self.total_steps - warmup), 0.0, 1.0)
        falling = end + (self.max_lr - end) * 0.5 * (1.0 + keras.ops.cos(math.pi * done))
        return keras.ops.where(step < warmup, rising, falling)

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps,
                "warmup_fraction": self.warmup_fraction, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor}


def schedule_values(schedule, steps: int) -> np.ndarray:
    """A Keras schedule evaluated at steps ``0 … steps − 1``, as a NumPy array."""
    steps = _checks.positive_int("steps", steps)
    return np.array([float(schedule(s)) for s in range(steps)])


# --- Validation and ensembles -----------------------------------------------------

def average_logits(models, x, *, batch_size: int = 512) -> np.ndarray:
    """The ensemble's logits: the mean of each model's logits on ``x``."""
    models = list(models)
    if not models:
        raise ValueError("models must hold at least one model")
    return np.mean([m.predict(x, batch_size=batch_size, verbose=0) for m in models], axis=0)


def accuracy_from_logits(logits, labels) -> float:
    """The fraction of rows whose largest logit is at the true label."""
    logits = _checks.array("logits", logits, ndim=2)
    labels = _checks.array("labels", labels, ndim=1)
    if len(logits) != len(labels):
        raise ValueError(f"labels must have one entry per row of logits, got {len(labels)} for {len(logits)}")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


# --- Scaling out (TensorFlow only) --------------------------------------------------

def split_cpu(n_devices: int = 2) -> list:
    """Split the CPU into ``n_devices`` logical devices for ``tf.distribute`` (TensorFlow only).

    Must run before TensorFlow executes its first operation; later, the
    runtime is fixed and this raises a ``RuntimeError`` saying so.
    """
    import tensorflow as tf

    n_devices = _checks.positive_int("n_devices", n_devices)
    cpu = tf.config.list_physical_devices("CPU")[0]  # listing logical devices would initialise them
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n_devices)])
    except RuntimeError as error:
        logical = tf.config.list_logical_devices("CPU")
        if len(logical) == n_devices:  # already split this way: nothing to do
            return logical
        raise RuntimeError(
            f"cannot split the CPU into {n_devices} devices: TensorFlow has already run an "
            "operation in this process. Call split_cpu first (e.g. restart the kernel)."
        ) from error
    return tf.config.list_logical_devices("CPU")


def _tiny_classifier(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(5)])


def mirrored_vs_single_device(*, seed: int = 0, steps: int = 8, global_batch: int = 64,
                              strategy=None) -> dict:
    """Train one small model with ``MirroredStrategy`` and once on one device (TensorFlow only).

    Both start from the same random weights and see the same global batches
    in the same order, with plain SGD. Returns the number of replicas, the
    largest weight change and the largest absolute difference between the two
    final weight sets. Call :func:`split_cpu` first, or there is only one
    replica. Pass the process's ``strategy`` if it has one: two mirrored
    strategies over the same devices can clash in their collective operations.
    """
    import tensorflow as tf

    steps = _checks.positive_int("steps", steps)
    global_batch = _checks.positive_int("global_batch", global_batch)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps * global_batch, 20)).astype("float32")
    y = rng.integers(0, 5, size=steps * global_batch)
    start = [w.copy() for w in _tiny_classifier(seed).get_weights()]

    def train(strategy):
        with strategy.scope():
            model = _tiny_classifier(seed)
            model.set_weights(start)
            model.compile(optimizer=keras.optimizers.SGD(0.1),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=global_batch, epochs=1, shuffle=False, verbose=0)
        return model.get_weights()

    if strategy is None:
        strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    mirrored = train(strategy)
    single = train(tf.distribute.OneDeviceStrategy("/cpu:0"))
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(single, start))
    return {"replicas": int(strategy.num_replicas_in_sync),
            "max_abs_difference": max(float(np.max(np.abs(a - b))) for a, b in zip(mirrored, single)),
            "max_weight_change": moved}


def matmul_gflops(size: int = 1024, repeats: int = 10) -> float:
    """Measured float32 matrix-multiply rate of the default device, in GFLOP/s.

    Times ``repeats`` products of two ``size × size`` matrices (``2 n³``
    floating-point operations each) after one warm-up product.
    """
    size = _checks.positive_int("size", size)
    repeats = _checks.positive_int("repeats", repeats)
    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.normal(size=(size, size)).astype("float32"))
    b = keras.ops.convert_to_tensor(rng.normal(size=(size, size)).astype("float32"))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        c = keras.ops.matmul(a, b)
    keras.ops.convert_to_numpy(c)
    seconds = time.perf_counter() - start
    return 2 * size ** 3 * repeats / seconds / 1e9


# --- Regularisation layers ---

# Dropout and batch normalisation written out, so the lesson can show each line of the
# mechanism; ``tests/test_regularization.py`` loads the same random weights into these and
# into the Keras layers and compares outputs, moving statistics and gradients.


@keras.saving.register_keras_serializable(package="dlarch")
class InvertedDropout(keras.layers.Layer):
    """Dropout (Srivastava et al. 2014) with inverted scaling.

    In training each value is kept with probability ``1 - rate`` and the kept
    values are divided by ``1 - rate``, so every activation keeps its expected
    value and inference is the identity. The mask comes from one uniform draw
    of a seeded ``keras.random.SeedGenerator``, kept where the draw is
    ``>= rate`` on TensorFlow (``tf.nn.experimental.stateless_dropout``'s rule)
    and ``< 1 - rate`` on JAX (``jax.random.bernoulli``'s): both keep with
    probability ``1 - rate``, and following each backend's rule makes equal
    seeds give the masks ``keras.layers.Dropout`` draws.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _checks.fraction("rate", rate)
        self.seed = None if seed is None else _checks.non_negative_int("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        draw = keras.random.uniform(keras.ops.shape(inputs), seed=self.seed_generator,
                                    dtype=inputs.dtype)
        kept = draw < 1.0 - self.rate if keras.backend.backend() == "jax" else draw >= self.rate
        keep = keras.ops.cast(kept, inputs.dtype)
        return inputs * (1.0 / (1.0 - self.rate)) * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="dlarch")
class BatchNorm(keras.layers.Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over the last axis.

    Training: normalise with the mean and (biased) variance of the batch over
    every axis but the last, then scale by ``gamma`` and shift by ``beta``;
    update ``moving = momentum * moving + (1 - momentum) * batch``. Inference:
    normalise with the moving averages instead. Same variables, order and
    defaults as ``keras.layers.BatchNormalization`` (momentum 0.99, epsilon 1e-3).
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.momentum = _checks.fraction("momentum", momentum)
        self.epsilon = _checks.positive_float("epsilon", epsilon)

    def build(self, input_shape):
        features = (input_shape[-1],)
        self.gamma = self.add_weight(shape=features, initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=features, initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(shape=features, initializer="zeros",
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=features, initializer="ones",
                                               trainable=False, name="moving_variance")

    def call(self, inputs, training=False):
        if training:
            axes = tuple(range(len(inputs.shape) - 1))
            mean = keras.ops.mean(inputs, axis=axes)
            variance = keras.ops.var(inputs, axis=axes)
            m = self.momentum
            self.moving_mean.assign(m * self.moving_mean + (1.0 - m) * mean)
            self.moving_variance.assign(m * self.moving_variance + (1.0 - m) * variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalised = (inputs - mean) / keras.ops.sqrt(variance + self.epsilon)
        return self.gamma * normalised + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


def build_mlp_classifier(input_shape=(28, 28, 1), num_classes: int = 10, *, width: int = 512,
                         depth: int = 2, l1: float = 0.0, l2: float = 0.0,
                         dropout: float = 0.0, batch_norm: bool = False,
                         augmentation=(), seed: int = 0) -> keras.Model:
    """A wide multilayer perceptron that overfits a small training set, with optional cures.

    ``augmentation`` (Keras preprocessing layers, active in training only) runs
    on the images before they are flattened; every hidden ``Dense`` gets an L1/L2
    weight penalty when ``l1``/``l2`` > 0, then batch normalisation
    (Ioffe & Szegedy 2015) when ``batch_norm``, ReLU, and dropout
    (Srivastava et al. 2014) when ``dropout`` > 0. Returns an *uncompiled* model
    whose outputs are *logits*.
    """
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    width = _checks.positive_int("width", width)
    depth = _checks.positive_int("depth", depth)
    l1 = _checks.non_negative_float("l1", l1)
    l2 = _checks.non_negative_float("l2", l2)
    dropout = _checks.fraction("dropout", dropout)
    if not isinstance(batch_norm, bool):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
    augmentation = tuple(augmentation)
    for layer in augmentation:
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(f"augmentation must hold Keras layers, got {layer!r}")
    penalty = keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None
    inputs = keras.Input(input_shape)
    x = inputs
    for layer in augmentation:
        x = layer(x)
    x = keras.layers.Flatten()(x)
    for i in range(depth):
        x = keras.layers.Dense(width, use_bias=not batch_norm, kernel_regularizer=penalty,
                               name=f"dense_{i}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=seed + i, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="mlp_classifier")


def accuracy(model, x, y, *, batch_size: int = 1024, name: str = "y") -> float:
    """The fraction of ``x`` whose largest logit (in inference mode) is the label ``y``.

    Calls the model directly in batches rather than through ``predict``, which
    compiles a new function for every model and warns when a notebook scores many.
    """
    y = _checks.array(name, y, ndim=1)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if len(x) != len(y):
        raise ValueError(f"{name} has {len(y)} labels for {len(x)} inputs")
    hits = 0
    for start in range(0, len(y), batch_size):
        logits = keras.ops.convert_to_numpy(model(x[start:start + batch_size], training=False))
        hits += int(np.sum(np.argmax(logits, axis=-1) == y[start:start + batch_size]))
    return hits / len(y) if len(y) else float("nan")


def accuracy_gap(model, train, validation, *, batch_size: int = 1024) -> dict:
    """Train and validation accuracy in inference mode, and their gap (train − validation).

    ``train`` and ``validation`` are ``(x, y)`` pairs with integer labels. The
    training accuracy is measured afresh, not read from ``fit``'s running
    metric, which dropout and augmentation lower during training.
    """
    scores = {f"{name}_accuracy": accuracy(model, *pair, batch_size=batch_size, name=f"{name} labels")
              for name, pair in (("train", train), ("validation", validation))}
    scores["gap"] = scores["train_accuracy"] - scores["validation_accuracy"]
    return scores


# --- Hyperparameter search ---

def trial_table(tuner) -> "pd.DataFrame":
    """A finished KerasTuner search as one row per trial, in the order they ran.

    Columns: ``trial`` (1, 2, ...), ``score`` (the objective), ``best_so_far``
    (the best score up to that trial, for the objective's direction) and one
    column per hyperparameter. Raises ``RuntimeError`` if any trial did not
    complete — KerasTuner only prints the traceback of a failed trial (for
    instance when ``tensorboard``, which it imports in every trial, is missing).
    """
    import pandas as pd

    oracle = getattr(tuner, "oracle", None)
    if oracle is None or not hasattr(oracle, "trials"):
        raise ValueError(f"tuner must be a KerasTuner tuner, got {type(tuner).__name__}")
    trials = sorted(oracle.trials.values(), key=lambda t: int(t.trial_id))
    if not trials:
        raise RuntimeError("the tuner ran no trials; call tuner.search(...) first")
    failed = [t.trial_id for t in trials if t.status != "COMPLETED"]
    if failed:
        raise RuntimeError(
            f"trials {failed} did not complete (statuses "
            f"{sorted({t.status for t in trials if t.status != 'COMPLETED'})}); see the "
            "tracebacks printed by the search. If they name `tensorboard`, install it.")
    higher = oracle.objective.direction == "max"
    rows = [{"trial": i, "score": float(t.score), **t.hyperparameters.values}
            for i, t in enumerate(trials, start=1)]
    table = pd.DataFrame(rows)
    best = table["score"].cummax() if higher else table["score"].cummin()
    table.insert(2, "best_so_far", best)
    return table


# --- Transfer learning ---

def build_feature_cnn(input_shape=(28, 28, 1), *, filters=(32, 64),
                      name: str = "features") -> keras.Model:
    """Conv–pool blocks, flattened: the reusable part of a small image classifier.

    Returns an uncompiled model from images to flattened feature maps. These are
    the layers worth copying to a new task: Yosinski et al. (2014) measured that
    the lower layers of a network are general and the top ones specific to the
    classes it was trained on, so the dense layers go in the head
    (:func:`build_head`), which each task learns anew.
    """
    filters = tuple(filters) if isinstance(filters, (tuple, list)) else filters
    if not isinstance(filters, tuple) or not filters:
        raise ValueError(f"filters must be a non-empty tuple of positive integers, got {filters!r}")
    filters = tuple(_checks.positive_int("filters", f) for f in filters)
    inputs = keras.Input(input_shape)
    x = inputs
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv_{i}")(x)
        x = keras.layers.MaxPooling2D(name=f"pool_{i}")(x)
    outputs = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, outputs, name=name)


def build_head(n_features: int, num_classes: int, *, units: int = 64,
               name: str = "head") -> keras.Model:
    """A dense ReLU layer of ``units`` and a dense output: an uncompiled model from features to logits."""
    n_features = _checks.positive_int("n_features", n_features)
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    units = _checks.positive_int("units", units)
    inputs = keras.Input((n_features,))
    x = keras.layers.Dense(units, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_classifier_on(features: keras.Model, head: keras.Model, *,
                        name: str = "classifier") -> keras.Model:
    """Images through ``features`` then ``head``: an uncompiled model whose outputs are logits.

    The two models' layers are shared, not copied, so setting
    ``features.trainable`` freezes or unfreezes them inside the classifier.
    """
    for arg, model in (("features", features), ("head", head)):
        if not isinstance(model, keras.Model):
            raise ValueError(f"{arg} must be a keras.Model, got {type(model).__name__}")
    if features.output_shape[1:] != head.input_shape[1:]:
        raise ValueError(f"head must take the features' output shape {features.output_shape[1:]}, "
                         f"got a head taking {head.input_shape[1:]}")
    inputs = keras.Input(features.input_shape[1:])
    return keras.Model(inputs, head(features(inputs)), name=name)


def copy_model(model: keras.Model) -> keras.Model:
    """A new model of the same architecture holding a copy of ``model``'s weights."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone
