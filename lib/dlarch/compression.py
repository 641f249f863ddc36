"""Model compression: magnitude pruning, int8 quantization, LiteRT export and
knowledge distillation, with the measurements (size, latency) that compare them.

Pruning is written here because no maintained pruning library works with
Keras 3: ``tensorflow-model-optimization`` needs the legacy ``tf_keras``
(it sets ``TF_USE_LEGACY_KERAS=1`` on import) and rejects Keras 3 models.
Quantization and distillation use Keras itself (``model.quantize``,
``model.export(format="litert")``, ``keras.distillation``); the from-scratch
versions here exist to be tested against them.
"""

from __future__ import annotations

import gzip
import statistics
import time
from pathlib import Path

import keras
import numpy as np

from . import _checks

PRUNING_SCOPES = ("layer", "global")
LITERT_MODES = ("float32", "dynamic", "float16", "int8")
INT8_MAX = 127


# --------------------------------------------------------------------------
# Magnitude pruning (Han et al. 2015; Zhu & Gupta 2017)
# --------------------------------------------------------------------------

def _sparsity(value):
    return _checks.fraction("sparsity", value)


def magnitude_mask(weights, sparsity):
    """Boolean mask that keeps the ``n − round(sparsity·n)`` largest ``|w|`` (Han et al. 2015).

    Ties are broken by position, so exactly that many entries are kept.
    """
    w = _checks.array("weights", weights)
    sparsity = _sparsity(sparsity)
    flat = np.abs(w).ravel()
    n_pruned = int(round(sparsity * flat.size))
    mask = np.ones(flat.size, dtype=bool)
    mask[np.argsort(flat, kind="stable")[:n_pruned]] = False
    return mask.reshape(w.shape)


def pruning_masks(weights, sparsity, scope="layer"):
    """Masks for a list of weight arrays: one threshold per array, or one for all.

    ``scope="layer"`` prunes every array to ``sparsity``; ``scope="global"``
    ranks all weights together, so layers with many small weights lose more.
    """
    scope = _checks.one_of("scope", scope, PRUNING_SCOPES)
    arrays = [_checks.array("weights", w) for w in weights]
    if scope == "layer":
        return [magnitude_mask(w, sparsity) for w in arrays]
    flat = magnitude_mask(np.concatenate([w.ravel() for w in arrays]), sparsity)
    bounds = np.cumsum([0] + [w.size for w in arrays])
    return [flat[a:b].reshape(w.shape) for a, b, w in zip(bounds[:-1], bounds[1:], arrays)]


def polynomial_sparsity(step, final_sparsity, begin_step, end_step, initial_sparsity=0.0,
                        power=3):
    """Zhu & Gupta's (2017) schedule: s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(t₁ − t₀))³.

    Sparsity rises fast at first, while there are many redundant weights, and
    slowly near the end; it is ``initial_sparsity`` before ``begin_step`` and
    ``final_sparsity`` from ``end_step`` on.
    """
    step = _checks.non_negative_int("step", step)
    final_sparsity, initial_sparsity = _sparsity(final_sparsity), _sparsity(initial_sparsity)
    begin_step = _checks.non_negative_int("begin_step", begin_step)
    end_step = _checks.positive_int("end_step", end_step, minimum=begin_step + 1)
    power = _checks.positive_int("power", power)
    progress = min(max((step - begin_step) / (end_step - begin_step), 0.0), 1.0)
    return final_sparsity + (initial_sparsity - final_sparsity) * (1.0 - progress) ** power


def sparsity_of(arrays):
    """Fraction of exact zeros over a list of arrays."""
    arrays = [np.asarray(a) for a in arrays]
    total = sum(a.size for a in arrays)
    return sum(int(np.sum(a == 0)) for a in arrays) / total if total else 0.0


class MagnitudePruning(keras.callbacks.Callback):
    """Gradual magnitude pruning of the kernels of named layers, as a training callback.

    Every ``frequency`` steps between ``begin_step`` and ``end_step`` the masks
    are recomputed for the sparsity of :func:`polynomial_sparsity`; after
    every step the masks are applied, so a pruned weight is zero whenever
    the model is read, although the optimiser still sees its gradient
    (Zhu & Gupta 2017).
    """

    def __init__(self, layer_names, final_sparsity, *, begin_step=0, end_step, frequency=10,
                 scope="layer"):
        super().__init__()
        if isinstance(layer_names, str) or not layer_names:
            raise ValueError(f"layer_names must be a non-empty list of layer names, "
                             f"got {layer_names!r}")
        self.layer_names = list(layer_names)
        self.final_sparsity = _sparsity(final_sparsity)
        self.begin_step = _checks.non_negative_int("begin_step", begin_step)
        self.end_step = _checks.positive_int("end_step", end_step, minimum=self.begin_step + 1)
        self.frequency = _checks.positive_int("frequency", frequency)
        self.scope = _checks.one_of("scope", scope, PRUNING_SCOPES)
        self.step, self.masks, self.history = 0, None, []

    def on_train_begin(self, logs=None):
        self.kernels = [self.model.get_layer(name).kernel for name in self.layer_names]
        if self.masks is None:
            self.masks = [np.ones(k.shape, dtype=bool) for k in self.kernels]

    def target_sparsity(self):
        return polynomial_sparsity(min(self.step, self.end_step), self.final_sparsity,
                                   self.begin_step, self.end_step)

    def on_train_batch_end(self, batch, logs=None):
        # On JAX, fit keeps the weights in its own state during an epoch; reading
        # ``self.model`` makes Keras write them back into the variables read below.
        _ = self.model
        self.step += 1
        due = (self.step - self.begin_step) % self.frequency == 0 or self.step == self.end_step
        if self.begin_step <= self.step <= self.end_step and due:
            target = self.target_sparsity()
            self.masks = pruning_masks([k.numpy() for k in self.kernels], target, self.scope)
            self.history.append((self.step, target))
        self.apply_masks()

    def apply_masks(self):
        for kernel, mask in zip(self.kernels, self.masks):
            kernel.assign(kernel.numpy() * mask)


def prune_dense_units(model, layer_name, next_layer_name, keep):
    """Structured pruning: a copy of ``model`` whose Dense ``layer_name`` keeps ``keep`` units.

    Units are ranked by the L1 norm of their incoming weights (Li et al. 2017
    rank filters the same way); the matching rows of ``next_layer_name``'s
    kernel go too, so the smaller matrices really are smaller — unlike
    zeroed weights, this speeds up a dense kernel.
    """
    layer, after = model.get_layer(layer_name), model.get_layer(next_layer_name)
    for name, item in ((layer_name, layer), (next_layer_name, after)):
        if not isinstance(item, keras.layers.Dense):
            raise ValueError(f"{name!r} must name a Dense layer, got {type(item).__name__}")
    keep = _checks.positive_int("keep", keep)
    if keep > layer.units:
        raise ValueError(f"keep must be at most the {layer.units} units of {layer_name!r}, "
                         f"got {keep}")
    kernel, bias = layer.get_weights()
    kept = np.sort(np.argsort(-np.abs(kernel).sum(axis=0), kind="stable")[:keep])

    def clone(old):
        config = old.get_config()
        if old.name == layer_name:
            config["units"] = keep
        return old.__class__.from_config(config)

    smaller = keras.models.clone_model(model, clone_function=clone)
    for old, new in zip(model.layers, smaller.layers):
        weights = old.get_weights()
        if old.name == layer_name:
            weights = [kernel[:, kept], bias[kept]]
        elif old.name == next_layer_name:
            weights = [weights[0][kept, :], *weights[1:]]
        new.set_weights(weights)
    return smaller


# --------------------------------------------------------------------------
# Symmetric per-channel int8 quantization (Jacob et al. 2018)
# --------------------------------------------------------------------------

def quantize_int8(weights, axis=0):
    """Symmetric int8 quantization with one scale per slice, reducing over ``axis``.

    ``scale = max|w| / 127`` over ``axis`` and ``q = round(w / scale)`` in
    [−127, 127], so ``w ≈ q · scale``. For a Dense kernel (inputs, units),
    ``axis=0`` gives one scale per output unit, as ``model.quantize("int8")``
    does. As in Keras, ``w`` is multiplied by ``127 / (max|w| + ε)`` in
    float32 (ε = ``keras.config.epsilon()`` keeps an all-zero channel finite),
    so the integers agree bit for bit even where ``w / scale`` ends in .5.

    Returns:
        ``(q, scale)``: int8 array shaped like ``weights`` and float32 scales
        with ``axis`` removed.
    """
    w = _checks.array("weights", weights).astype(np.float32)
    if w.ndim == 0:
        raise ValueError("weights must have at least one dimension, got a scalar")
    axis = _checks.one_of("axis", axis, tuple(range(-w.ndim, w.ndim)))
    inverse = np.float32(INT8_MAX) / (np.max(np.abs(w), axis=axis, keepdims=True)
                                      + np.float32(keras.config.epsilon()))
    q = np.clip(np.round(w * inverse), -INT8_MAX, INT8_MAX).astype(np.int8)
    return q, np.squeeze(1.0 / inverse, axis=axis).astype(np.float32)


def dequantize_int8(q, scale, axis=0):
    """``q · scale`` with ``scale`` broadcast back along ``axis`` (inverse of :func:`quantize_int8`)."""
    q = _checks.array("q", q)
    return q.astype(np.float32) * np.expand_dims(np.asarray(scale, np.float32), axis)


def int8_dense(x, q, scale, bias=None):
    """A Dense layer's int8 path: inputs quantized per row, integer matmul, rescale.

    The same computation as a Keras Dense after ``model.quantize("int8")``:
    ``(q_x · q_w) · s_x · s_w + b`` with the integer product in int32.
    """
    x = _checks.array("x", x, ndim=2).astype(np.float32)
    q_x, s_x = quantize_int8(x, axis=-1)
    y = (q_x.astype(np.int32) @ np.asarray(q, np.int32)).astype(np.float32)
    y = y * s_x[:, None] * np.asarray(scale, np.float32)[None, :]
    return y if bias is None else y + np.asarray(bias, np.float32)


def weight_bytes(model):
    """Bytes of all the model's variables as stored (int8 weights count one byte each)."""
    return int(sum(np.asarray(v.numpy()).nbytes for v in model.weights))


# --------------------------------------------------------------------------
# LiteRT export and inference
# --------------------------------------------------------------------------

def export_litert(model, path, mode="float32", representative=None):
    """Write ``model`` as a ``.tflite`` file with post-training quantization ``mode``.

    ``float32``: no quantization. ``dynamic``: int8 weights, float activations.
    ``float16``: float16 weights. ``int8``: full integer, weights and
    activations, calibrated on ``representative`` images (Jacob et al. 2018),
    with int8 input and output.
    """
    import tensorflow as tf

    mode = _checks.one_of("mode", mode, LITERT_MODES)
    path = Path(path)
    if path.suffix != ".tflite":
        raise ValueError(f"path must end with .tflite, got {str(path)!r}")
    options = {}
    if mode != "float32":
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    if mode == "int8":
        if representative is None:
            raise ValueError("representative must be a batch of images when mode='int8', got None")
        images = _checks.array("representative", representative).astype(np.float32)

        def calibration():
            for image in images:
                yield [image[None]]

        options.update(representative_dataset=calibration,
                       target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
                       inference_input_type=tf.int8, inference_output_type=tf.int8)
    model.export(str(path), format="litert", verbose=False, **options)
    return path


class LiteRTModel:
    """A ``.tflite`` file run by the ``ai-edge-litert`` interpreter on float inputs.

    Integer inputs and outputs are (de)quantized with the file's own scale and
    zero point, so ``predict`` takes and returns floats whatever the mode.
    """

    def __init__(self, path, num_threads=1):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path),
                                       num_threads=_checks.positive_int("num_threads", num_threads))
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch = None

    def _resize(self, batch):
        if batch != self.batch:
            shape = [batch, *self.input["shape"][1:]]
            self.interpreter.resize_tensor_input(self.input["index"], shape)
            self.interpreter.allocate_tensors()
            self.batch = batch

    def __call__(self, x):
        """Outputs for one batch ``x``."""
        x = np.asarray(x, np.float32)
        self._resize(len(x))
        scale, zero = self.input["quantization"]
        if self.input["dtype"] != np.float32:
            info = np.iinfo(self.input["dtype"])
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        self.interpreter.set_tensor(self.input["index"], x.astype(self.input["dtype"]))
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.output["index"])
        scale, zero = self.output["quantization"]
        if self.output["dtype"] != np.float32:
            y = (y.astype(np.float32) - zero) * scale
        return y.astype(np.float32)

    def predict(self, x, batch_size=256):
        """Outputs for all of ``x``, in batches."""
        batch_size = _checks.positive_int("batch_size", batch_size)
        return np.concatenate([self(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


# --------------------------------------------------------------------------
# Measuring: size on disk and latency
# --------------------------------------------------------------------------

def file_sizes(path):
    """``(bytes, gzipped bytes)`` of a file or of all files in a folder.

    Gzip finds the runs of zeros that pruning leaves, so its size is the one
    that shows sparsity (Han et al. 2016 compress pruned weights the same way).
    """
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if not files or not all(f.exists() for f in files):
        raise ValueError(f"path must be an existing file or a non-empty folder, got {str(path)!r}")
    data = b"".join(f.read_bytes() for f in files)
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def keras_file_sizes(model, path):
    """``(bytes, gzipped bytes)`` of ``model`` saved as ``.keras`` with its weights only.

    A trained model's own ``save`` also writes the optimiser's state (Adam's
    two moments triple the file); a fresh copy from the model's config, with
    the same weights, has none.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path must end with .keras, got {str(path)!r}")
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)
    return file_sizes(path)


def latency_ms(predict, x, *, repeats=20, warmup=3):
    """Median wall-clock milliseconds of ``predict(x)`` over ``repeats`` calls after ``warmup``."""
    repeats = _checks.positive_int("repeats", repeats)
    warmup = _checks.non_negative_int("warmup", warmup)
    for _ in range(warmup):
        predict(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(x)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def keras_predictor(model):
    """A function that runs ``model`` as a traced graph (how a server runs it), returning NumPy."""
    import tensorflow as tf

    graph = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return lambda x: graph(tf.constant(x)).numpy()


# --------------------------------------------------------------------------
# Knowledge distillation (Hinton et al. 2015)
# --------------------------------------------------------------------------

def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _logits_pair(teacher_logits, student_logits):
    t = _checks.array("teacher_logits", teacher_logits, ndim=2).astype(np.float64)
    s = _checks.array("student_logits", student_logits, ndim=2).astype(np.float64)
    if t.shape != s.shape:
        raise ValueError(f"teacher_logits and student_logits must have the same shape, "
                         f"got {t.shape} and {s.shape}")
    return t, s


def soft_target_loss(teacher_logits, student_logits, temperature):
    """T² · KL(softmax(t/T) ‖ softmax(s/T)), averaged over the batch (Hinton et al. 2015).

    Dividing logits by T > 1 softens both distributions, so the small
    probabilities the teacher gives wrong classes carry signal; T² keeps the
    gradients' size independent of T.
    """
    t, s = _logits_pair(teacher_logits, student_logits)
    temperature = _checks.positive_float("temperature", temperature)
    p, q = _softmax(t / temperature), _softmax(s / temperature)
    kl = np.sum(p * (np.log(p) - np.log(q)), axis=-1)
    return float(temperature ** 2 * kl.mean())


def distillation_loss(labels, teacher_logits, student_logits, *, temperature,
                      student_loss_weight=0.5):
    """w · CE(labels, s) + (1 − w) · T² · KL(softmax(t/T) ‖ softmax(s/T)).

    The hard-label cross-entropy is on the student's plain logits; ``w`` is
    ``keras.distillation.Distiller``'s ``student_loss_weight``.
    """
    t, s = _logits_pair(teacher_logits, student_logits)
    labels = _checks.token_ids("labels", labels, s.shape[1])
    weight = _checks.fraction("student_loss_weight", student_loss_weight, high_inclusive=True)
    log_q = np.log(_softmax(s))
    hard = float(-log_q[np.arange(len(s)), labels].mean())
    return weight * hard + (1.0 - weight) * soft_target_loss(t, s, temperature)


def _output_shape(model, name):
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) != 1:
        raise ValueError(f"{name} must be a functional or Sequential model with one output "
                         f"(built, with an Input), got {type(model).__name__}")
    return tuple(outputs[0].shape)


def build_student(filters=(8, 16), units=32, *, input_shape=(28, 28, 1), num_classes=10):
    """A VGG-style student for distillation; uncompiled, logits out.

    One 3×3 ReLU convolution and 2×2 max pooling per entry of ``filters``,
    then a ReLU dense layer of ``units`` and a dense layer of logits (no
    softmax). The defaults halve every width of
    ``cnn.build_vgg(blocks=((16, 1), (32, 1)))`` — 8 and 16 filters, 32 units
    instead of 64 — which leaves about a quarter of its parameters: a student
    of the teacher's own family, as in Hinton et al. (2015).
    """
    if isinstance(filters, (str, bytes)) or not np.iterable(filters) or not len(filters):
        raise ValueError(f"filters must be a non-empty list of positive ints, got {filters!r}")
    filters = [_checks.positive_int("filters", f) for f in filters]
    units = _checks.positive_int("units", units)
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    layers = [keras.Input(tuple(input_shape))]
    for k, f in enumerate(filters, start=1):
        layers += [keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{k}"),
                   keras.layers.MaxPooling2D(2, name=f"pool{k}")]
    layers += [keras.layers.Flatten(name="flatten"),
               keras.layers.Dense(units, activation="relu", name="fc"),
               keras.layers.Dense(num_classes, name="logits")]
    return keras.Sequential(layers, name="student")


def build_distiller(teacher, student, *, temperature, student_loss_weight=0.5):
    """A ``keras.distillation.Distiller`` with the KL loss that really applies T.

    ``LogitsDistillation(loss="kl_divergence")`` — its default — turns the
    string into a plain function, which is applied to the raw scaled logits
    with no softmax and no T²; only a ``keras.losses.KLDivergence()``
    instance takes the softmax path. Both models must output logits of the
    same shape. The result still needs ``compile``.
    """
    temperature = _checks.positive_float("temperature", temperature)
    weight = _checks.fraction("student_loss_weight", student_loss_weight, high_inclusive=True)
    shapes = [_output_shape(model, name) for model, name in ((teacher, "teacher"),
                                                             (student, "student"))]
    if shapes[0] != shapes[1]:
        raise ValueError(f"teacher and student must output the same shape of logits, "
                         f"got {shapes[0]} and {shapes[1]}")
    loss = keras.distillation.LogitsDistillation(temperature=temperature,
                                                 loss=keras.losses.KLDivergence())
    return keras.distillation.Distiller(teacher=teacher, student=student,
                                        distillation_losses=loss,
                                        student_loss_weight=weight)

