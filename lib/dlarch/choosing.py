"""Chapter 10: the architectures side by side, on the same tasks and budgets.

Small builders that put each family of the book behind one interface
(``kind`` → an uncompiled model whose outputs are logits), a timer of
training steps, and the sharpness measure used to compare generators.
The mechanisms themselves live in their chapters' modules.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from . import _checks
from .transformer import EncoderBlock, PositionalEmbedding

SEQUENCE_KINDS = ("window_mlp", "cnn1d", "gru", "lstm", "transformer")


def build_mlp_classifier(input_shape=(28, 28, 1), num_classes=10, *, widths=(256, 128),
                         dropout=0.2, name="mlp"):
    """Flatten → Dense(ReLU) layers → logits: the baseline with no notion of space.

    Returns an uncompiled model ``(B, *input_shape) -> logits (B, num_classes)``.
    """
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    widths = tuple(_checks.positive_int("widths entry", w) for w in widths)
    dropout = _checks.fraction("dropout", dropout)
    inputs = keras.Input(tuple(input_shape))
    x = keras.layers.Flatten()(inputs)
    for i, width in enumerate(widths):
        x = keras.layers.Dense(width, activation="relu", name=f"dense_{i}")(x)
        x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def build_sequence_classifier(kind: str, vocab_size: int, length: int, *, width: int = 32,
                              window: int = 16, num_classes: int = 2, name: str | None = None):
    """One model of family ``kind`` for token sequences ``(B, length)`` → logits ``(B, num_classes)``.

    Kinds: ``window_mlp`` (an MLP over the last ``window`` tokens, one-hot),
    ``cnn1d`` (two valid 1-D convolutions, kernel 3, then global max pooling),
    ``gru`` / ``lstm`` (one recurrent layer of ``width`` units, last state),
    ``transformer`` (one encoder block, Vaswani et al. 2017, mean-pooled).
    Each embeds tokens in ``width`` features; they differ in how they
    connect positions — and the window MLP, which flattens its window into
    one dense layer, is several times larger than the others. Uncompiled.
    """
    kind = _checks.one_of("kind", kind, SEQUENCE_KINDS)
    vocab_size = _checks.positive_int("vocab_size", vocab_size, minimum=2)
    length = _checks.positive_int("length", length)
    width = _checks.positive_int("width", width)
    window = _checks.positive_int("window", window)
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    ids = keras.Input((length,), dtype="int32", name="ids")
    if kind == "window_mlp":
        seen = min(window, length)
        x = keras.layers.Lambda(lambda t: t[:, -seen:], output_shape=(seen,), name="window")(ids)
        x = keras.layers.Embedding(vocab_size, width)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(4 * width, activation="relu")(x)
    elif kind == "cnn1d":
        x = keras.layers.Embedding(vocab_size, width)(ids)
        # "valid": zero padding would mark where the sequence starts and ends, a
        # position cue that plain convolutions and global pooling otherwise lack.
        x = keras.layers.Conv1D(width, 3, activation="relu")(x)
        x = keras.layers.Conv1D(width, 3, activation="relu")(x)
        x = keras.layers.GlobalMaxPooling1D()(x)
    elif kind in ("gru", "lstm"):
        x = keras.layers.Embedding(vocab_size, width)(ids)
        layer = keras.layers.GRU if kind == "gru" else keras.layers.LSTM
        x = layer(width)(x)
    else:
        x = PositionalEmbedding(vocab_size, length, width)(ids)
        x = EncoderBlock(width, 4, 2 * width, dropout=0.0)(x, return_attention_scores=True)[0]
        x = keras.layers.GlobalAveragePooling1D()(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(ids, logits, name=name or kind)


def vit_multiply_adds(image_shape=(28, 28, 1), num_classes=10, *, patch_size=7, d_model=64,
                      d_ff=128, num_layers=2) -> int:
    """Multiply-adds of one image through :func:`dlarch.transformer.build_vit` with these sizes.

    Counted by hand because attention's two matrix products (QKᵀ and the
    weighted sum of values) live inside layers that a kernel-shape count does
    not see. Per block with ``T`` tokens of width ``d``: four ``d×d``
    projections (4·T·d²), the scores and the mix (2·T²·d), and the
    feed-forward net (2·T·d·d_ff); plus the patch projection and the head.
    Norms, softmax and biases are left out, as in :func:`dlarch.cnn.count_flops`.
    """
    height, width, channels = (_checks.positive_int("image_shape entry", v) for v in image_shape)
    patch_size = _checks.positive_int("patch_size", patch_size)
    if height % patch_size or width % patch_size:
        raise ValueError(f"patch_size {patch_size} must divide the image size {height}x{width}")
    d_model = _checks.positive_int("d_model", d_model)
    d_ff = _checks.positive_int("d_ff", d_ff)
    num_layers = _checks.positive_int("num_layers", num_layers)
    num_classes = _checks.positive_int("num_classes", num_classes, minimum=2)
    patches = (height // patch_size) * (width // patch_size)
    tokens = patches + 1                                    # the [class] token
    embed = patches * patch_size * patch_size * channels * d_model
    block = 4 * tokens * d_model ** 2 + 2 * tokens ** 2 * d_model + 2 * tokens * d_model * d_ff
    return int(embed + num_layers * block + d_model * num_classes)


def paired_accuracy_difference(correct_a, correct_b):
    """Accuracy of A minus accuracy of B on the same examples, and its standard error.

    ``correct_a`` and ``correct_b`` say, per example, whether each model was
    right. Because both are scored on the same examples, only the ``b``
    examples that only A got right and the ``c`` that only B got right carry
    noise: the paired (McNemar-style; McNemar, 1947) standard error is
    ``sqrt((b + c) - (b - c)**2 / N) / N``, the standard deviation of the
    per-example differences over ``sqrt(N)``. It is floored at one
    disagreement, so that two models that agree everywhere do not get a
    standard error of zero. Returns ``(difference, standard_error)``.
    """
    a, b = (_right_or_wrong(name, value) for name, value in
            (("correct_a", correct_a), ("correct_b", correct_b)))
    if len(a) != len(b) or not len(a):
        raise ValueError(f"correct_a and correct_b must be non-empty and of one length, "
                         f"got {len(a)} and {len(b)}")
    n = len(a)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    spread = max((only_a + only_b) - (only_a - only_b) ** 2 / n, 1.0)
    return (only_a - only_b) / n, float(np.sqrt(spread) / n)


def _right_or_wrong(name, value) -> np.ndarray:
    """``value`` as a 1-D boolean array; it must hold booleans or 0/1 only."""
    result = _checks.array(name, value, ndim=1)
    if not np.isin(result, (0, 1)).all():
        raise ValueError(f"{name} must hold True/False or 0/1 per example, "
                         f"got values {np.unique(result)[:5].tolist()}")
    return result.astype(bool)


def seconds_per_step(model, x, y, *, steps: int, batch_size: int = 64, seed: int = 0):
    """Train a compiled ``model`` for ``steps`` batches; wall seconds per step after the first.

    The first step traces and compiles the graph, so it is timed apart and
    left out: the result is the steady cost a longer run would pay.
    Returns ``(seconds_per_step, first_step_seconds)``.
    """
    steps = _checks.positive_int("steps", steps, minimum=2)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before it is timed")
    rng = np.random.default_rng(seed)
    batches = [rng.integers(0, len(x), size=batch_size) for _ in range(steps)]
    start = time.perf_counter()
    model.train_on_batch(x[batches[0]], y[batches[0]])
    first = time.perf_counter() - start
    start = time.perf_counter()
    for index in batches[1:]:
        model.train_on_batch(x[index], y[index])
    return (time.perf_counter() - start) / (steps - 1), first


def sharpness(images) -> np.ndarray:
    """Per-image variance of the discrete Laplacian: high for crisp edges, low for blur.

    A standard focus measure (Pech-Pacheco et al., 2000); images ``(N, H, W[, 1])``
    in [0, 1].
    """
    x = _checks.array("images", images, ndim=(3, 4), finite=True).astype(np.float64)
    if x.ndim == 4:
        if x.shape[-1] != 1:
            raise ValueError(f"images must have one channel, got shape {x.shape}")
        x = x[..., 0]
    if min(x.shape[1:]) < 3:
        raise ValueError(f"images must be at least 3x3, got shape {x.shape}")
    laplacian = (x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:]
                 - 4 * x[:, 1:-1, 1:-1])
    return laplacian.reshape(len(x), -1).var(axis=1)
