"""Transformers: attention from scratch, blocks, and encoder–decoder, GPT, BERT and ViT models.

Everything follows "Attention Is All You Need" (Vaswani et al., 2017) unless
a docstring says otherwise. The attention layer here is written with
``keras.ops`` so the arithmetic is visible; its weights have exactly the
layout of ``keras.layers.MultiHeadAttention``, so ``set_weights`` copies one
into the other (``tests/test_transformer.py`` proves they agree).

Masks follow the Keras convention: a boolean tensor where ``True`` means
"may attend" and ``False`` means "hidden".
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from dlarch import _checks
from dlarch.rnn import sample_with_temperature
from dlarch.seq2seq import NEG_INF

_positive_int = _checks.positive_int


def _heads(d_model, num_heads):
    d_model = _positive_int("d_model", d_model)
    num_heads = _positive_int("num_heads", num_heads)
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
    return d_model, num_heads


# --- attention -------------------------------------------------------------------------------


def scaled_dot_product_attention(query, key, value, mask=None):
    """softmax(Q Kᵀ / √d_k) V, the attention of Vaswani et al. (2017), eq. 1.

    Args:
        query: ``(..., T_q, d_k)``; key: ``(..., T_k, d_k)``; value: ``(..., T_k, d_v)``.
        mask: optional boolean, broadcastable to ``(..., T_q, T_k)``; ``False``
            entries get weight 0 (a row with no ``True`` attends uniformly).

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``; every row of
        ``weights`` sums to 1.
    """
    # Static shapes: a dimension unknown while tracing is None, never a tensor to compare.
    q_shape, k_shape, v_shape = (tuple(ops.convert_to_tensor(t).shape) for t in (query, key, value))
    if len(q_shape) < 2 or len(k_shape) != len(q_shape) or len(v_shape) != len(q_shape):
        raise ValueError(f"query, key and value must have the same rank ≥ 2, got shapes "
                         f"{q_shape}, {k_shape}, {v_shape}")
    if q_shape[-1] is not None and k_shape[-1] is not None and q_shape[-1] != k_shape[-1]:
        raise ValueError(f"query and key need the same last dimension d_k, got {q_shape[-1]} "
                         f"and {k_shape[-1]}")
    if k_shape[-2] is not None and v_shape[-2] is not None and k_shape[-2] != v_shape[-2]:
        raise ValueError(f"key and value need the same length T_k, got {k_shape[-2]} "
                         f"and {v_shape[-2]}")
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
    scores = scores / ops.sqrt(ops.cast(q_shape[-1], scores.dtype))
    if mask is not None:
        scores = ops.where(ops.cast(mask, "bool"), scores, ops.cast(NEG_INF, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


def causal_mask(length: int):
    """A ``(length, length)`` boolean mask: position i may attend to positions 0..i only."""
    length = _positive_int("length", length)
    return np.tril(np.ones((length, length), dtype=bool))


def padding_mask(ids, pad_id: int = 0):
    """``(batch, 1, T)`` boolean mask hiding padded keys (``ids == pad_id``) from every query."""
    return ops.expand_dims(ops.not_equal(ids, pad_id), axis=1)


@keras.saving.register_keras_serializable(package="dlarch")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention from scratch (Vaswani et al., 2017, §3.2.2).

    Each of ``num_heads`` heads projects the inputs to its own queries, keys
    and values, runs :func:`scaled_dot_product_attention`, and the heads are
    projected back to the query's width. Weight shapes and order match
    ``keras.layers.MultiHeadAttention``: query/key/value kernels
    ``(d_in, heads, key_dim)`` with biases ``(heads, key_dim)``, output kernel
    ``(heads, value_dim, d_out)`` with bias ``(d_out,)``.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.key_dim = _positive_int("key_dim", key_dim)
        self.value_dim = (self.key_dim if value_dim is None
                          else _positive_int("value_dim", value_dim))
        self.dropout = _checks.fraction("dropout", dropout)
        self.use_bias = bool(use_bias)
        self.attention_dropout = keras.layers.Dropout(self.dropout)

    def _projection(self, name, d_in, width):
        kernel = self.add_weight(name=f"{name}_kernel", shape=(d_in, self.num_heads, width),
                                 initializer="glorot_uniform")
        bias = (self.add_weight(name=f"{name}_bias", shape=(self.num_heads, width),
                                initializer="zeros") if self.use_bias else None)
        return kernel, bias

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self.d_out = query_shape[-1]
        self.wq, self.bq = self._projection("query", query_shape[-1], self.key_dim)
        self.wk, self.bk = self._projection("key", key_shape[-1], self.key_dim)
        self.wv, self.bv = self._projection("value", value_shape[-1], self.value_dim)
        self.wo = self.add_weight(name="output_kernel",
                                  shape=(self.num_heads, self.value_dim, self.d_out),
                                  initializer="glorot_uniform")
        self.bo = (self.add_weight(name="output_bias", shape=(self.d_out,), initializer="zeros")
                   if self.use_bias else None)

    @staticmethod
    def _project(x, kernel, bias):
        # (batch, T, d_in) x (d_in, heads, width) -> (batch, heads, T, width)
        y = ops.einsum("btd,dhw->bhtw", x, kernel)
        return y if bias is None else y + ops.expand_dims(bias, axis=1)

    def call(self, query, value, key=None, attention_mask=None, use_causal_mask=False,
             return_attention_scores=False, training=None):
        """Attend from ``query (B, T_q, d)`` to ``value`` (and ``key``, default ``value``).

        ``attention_mask`` is boolean, broadcastable to ``(B, T_q, T_k)``;
        ``use_causal_mask`` also hides future positions. Returns ``(B, T_q, d)``,
        and the weights ``(B, heads, T_q, T_k)`` when ``return_attention_scores``.
        """
        key = value if key is None else key
        q = self._project(query, self.wq, self.bq)
        k = self._project(key, self.wk, self.bk)
        v = self._project(value, self.wv, self.bv)
        mask = None if attention_mask is None else ops.cast(attention_mask, "bool")
        if use_causal_mask:
            t_q, t_k = ops.shape(query)[1], ops.shape(key)[1]
            causal = ops.greater_equal(ops.arange(t_q)[:, None], ops.arange(t_k)[None, :])
            mask = causal if mask is None else ops.logical_and(mask, causal)
        if mask is not None:
            mask = ops.expand_dims(mask, axis=-3)  # the same mask for every head
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        if self.dropout:
            # Keras drops attention weights after computing them; reuse ``weights`` for the output.
            context = ops.matmul(self.attention_dropout(weights, training=training), v)
        output = ops.einsum("bhtw,hwd->btd", context, self.wo)
        if self.bo is not None:
            output = output + self.bo
        return (output, weights) if return_attention_scores else output

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias}


# --- positions and embeddings ---------------------------------------------------------------


def positional_encoding(length: int, depth: int) -> np.ndarray:
    """Sinusoidal positions ``(length, depth)``: PE[p, 2i] = sin(p / 10000^(2i/depth)), PE[p, 2i+1] = cos(…)."""
    length, depth = _positive_int("length", length), _positive_int("depth", depth)
    if depth % 2:
        raise ValueError(f"depth must be even (sine/cosine pairs), got {depth}")
    positions = np.arange(length)[:, None]
    rates = 1.0 / 10000 ** (np.arange(0, depth, 2) / depth)
    encoding = np.zeros((length, depth), dtype="float32")
    encoding[:, 0::2] = np.sin(positions * rates)
    encoding[:, 1::2] = np.cos(positions * rates)
    return encoding


@keras.saving.register_keras_serializable(package="dlarch")
class PositionalEmbedding(keras.layers.Layer):
    """Token embedding scaled by √d_model plus the sinusoidal position encoding (§3.4–3.5)."""

    def __init__(self, vocab_size, max_length, d_model, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = _positive_int("vocab_size", vocab_size)
        self.max_length = _positive_int("max_length", max_length)
        self.d_model = _positive_int("d_model", d_model)
        self.embedding = keras.layers.Embedding(self.vocab_size, self.d_model)
        self.encoding = positional_encoding(self.max_length, self.d_model)

    def build(self, ids_shape):
        if ids_shape[-1] is not None and ids_shape[-1] > self.max_length:
            raise ValueError(f"sequences of length {ids_shape[-1]} exceed max_length "
                             f"{self.max_length}")
        self.embedding.build(ids_shape)

    def call(self, ids):
        length = ops.shape(ids)[-1]
        x = self.embedding(ids) * math.sqrt(self.d_model)
        return x + ops.convert_to_tensor(self.encoding)[None, :length, :]

    def compute_output_shape(self, ids_shape):
        return (*ids_shape, self.d_model)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size,
                "max_length": self.max_length, "d_model": self.d_model}


@keras.saving.register_keras_serializable(package="dlarch")
class PaddingMask(keras.layers.Layer):
    """Token ids ``(B, T)`` -> boolean mask ``(B, 1, T)`` that hides padding (see :func:`padding_mask`)."""

    def __init__(self, pad_id=0, **kwargs):
        super().__init__(**kwargs)
        self.pad_id = _checks.non_negative_int("pad_id", pad_id)

    def call(self, ids):
        return padding_mask(ids, self.pad_id)

    def compute_output_shape(self, ids_shape):
        return (ids_shape[0], 1, ids_shape[1])

    def compute_output_spec(self, ids):
        return keras.KerasTensor(self.compute_output_shape(ids.shape), dtype="bool")

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}


@keras.saving.register_keras_serializable(package="dlarch")
class PatchEmbedding(keras.layers.Layer):
    """Images -> a [class] token plus one embedded token per square patch (Dosovitskiy et al., 2021).

    The image is cut into non-overlapping ``patch_size``² patches, each patch
    flattened and projected by one ``Dense`` layer (the same as a ``Conv2D``
    with stride ``patch_size``), a learned [class] token is prepended and
    learned position embeddings are added. Output: ``(B, 1 + patches, d_model)``.
    """

    def __init__(self, patch_size, d_model, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = _positive_int("patch_size", patch_size)
        self.d_model = _positive_int("d_model", d_model)
        self.projection = keras.layers.Dense(self.d_model)

    def build(self, images_shape):
        _, height, width, channels = images_shape
        if height % self.patch_size or width % self.patch_size:
            raise ValueError(f"image size {height}×{width} is not divisible by patch_size "
                             f"{self.patch_size}")
        self.grid = (height // self.patch_size, width // self.patch_size)
        self.projection.build((None, self.patch_size * self.patch_size * channels))
        self.class_token = self.add_weight(name="class_token", shape=(1, 1, self.d_model),
                                           initializer="zeros")
        self.positions = self.add_weight(
            name="positions", shape=(1, 1 + self.grid[0] * self.grid[1], self.d_model),
            initializer=keras.initializers.RandomNormal(stddev=0.02))

    def patches(self, images):
        """``(B, H, W, C)`` -> ``(B, patches, p·p·C)``, patches in row-major order."""
        p, (rows, cols) = self.patch_size, self.grid
        channels = ops.shape(images)[-1]
        x = ops.reshape(images, (-1, rows, p, cols, p, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, rows * cols, p * p * channels))

    def call(self, images):
        tokens = self.projection(self.patches(images))
        cls = ops.repeat(self.class_token, ops.shape(tokens)[0], axis=0)
        return ops.concatenate([cls, tokens], axis=1) + self.positions

    def compute_output_shape(self, images_shape):
        _, height, width, _ = images_shape
        return (images_shape[0], 1 + (height // self.patch_size) * (width // self.patch_size),
                self.d_model)

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size, "d_model": self.d_model}


# --- blocks ----------------------------------------------------------------------------------


class _Block(keras.layers.Layer):
    """Shared parts of the encoder and decoder blocks: sizes, feed-forward, norms."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False,
                 activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.num_heads = _heads(d_model, num_heads)
        self.d_ff = _positive_int("d_ff", d_ff)
        self.dropout = _checks.fraction("dropout", dropout)
        self.norm_first = bool(norm_first)
        self.activation = activation
        self.ff_hidden = keras.layers.Dense(self.d_ff, activation=activation)
        self.ff_out = keras.layers.Dense(self.d_model)
        self.drop = keras.layers.Dropout(self.dropout)

    def _attention(self, name):
        return MultiHeadAttention(self.num_heads, self.d_model // self.num_heads,
                                  dropout=self.dropout, name=name)

    def _residual(self, x, norm, sublayer, training):
        """x + Dropout(sublayer(·)) with LayerNorm after (post-norm) or before (pre-norm)."""
        if self.norm_first:
            out, scores = sublayer(norm(x))
            return x + self.drop(out, training=training), scores
        out, scores = sublayer(x)
        return norm(x + self.drop(out, training=training)), scores

    def _feed_forward(self, x, norm, training):
        return self._residual(x, norm, lambda h: (self.ff_out(self.ff_hidden(h)), None),
                              training)[0]

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "num_heads": self.num_heads,
                "d_ff": self.d_ff, "dropout": self.dropout, "norm_first": self.norm_first,
                "activation": self.activation}


@keras.saving.register_keras_serializable(package="dlarch")
class EncoderBlock(_Block):
    """Self-attention then a position-wise feed-forward net, each with residual + LayerNorm.

    ``norm_first=False`` is the original post-norm block (Vaswani et al., 2017);
    ``True`` the pre-norm variant used by GPT-2 and ViT, easier to train deep.
    """

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False,
                 activation="relu", **kwargs):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first, activation, **kwargs)
        self.attention = self._attention("self_attention")
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-6)

    def build(self, x_shape):
        if x_shape[-1] != self.d_model:
            raise ValueError(f"inputs have width {x_shape[-1]} but d_model is {self.d_model}")
        self.attention.build(x_shape, x_shape)
        for layer in (self.norm1, self.norm2):
            layer.build(x_shape)
        self.ff_hidden.build(x_shape)
        self.ff_out.build((*x_shape[:-1], self.d_ff))

    def call(self, x, attention_mask=None, return_attention_scores=False, training=None):
        """``x (B, T, d_model)`` -> same shape; with scores ``(B, heads, T, T)`` if asked."""
        x, scores = self._residual(
            x, self.norm1,
            lambda h: self.attention(h, h, attention_mask=attention_mask,
                                     return_attention_scores=True, training=training),
            training)
        x = self._feed_forward(x, self.norm2, training)
        return (x, scores) if return_attention_scores else x

    def compute_output_spec(self, x, attention_mask=None, return_attention_scores=False,
                            training=None):
        out = keras.KerasTensor(x.shape, dtype=x.dtype)
        if not return_attention_scores:
            return out
        return out, keras.KerasTensor((x.shape[0], self.num_heads, x.shape[1], x.shape[1]))


@keras.saving.register_keras_serializable(package="dlarch")
class DecoderBlock(_Block):
    """Causal self-attention, cross-attention to an encoder's output, feed-forward (§3.1).

    With ``cross_attention=False`` it is the block of a decoder-only model
    (GPT, Radford et al., 2018): causal self-attention and feed-forward only.
    The causal mask is always applied, so position t never sees t+1, t+2, ….
    """

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False,
                 activation="relu", cross_attention=True, **kwargs):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first, activation, **kwargs)
        self.cross_attention = bool(cross_attention)
        self.self_attention = self._attention("self_attention")
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.norm3 = keras.layers.LayerNormalization(epsilon=1e-6)
        if self.cross_attention:
            self.cross = self._attention("cross_attention")
            self.norm2 = keras.layers.LayerNormalization(epsilon=1e-6)

    def build(self, x_shape, context_shape=None):
        if x_shape[-1] != self.d_model:
            raise ValueError(f"inputs have width {x_shape[-1]} but d_model is {self.d_model}")
        if self.cross_attention and context_shape is None:
            raise ValueError("this DecoderBlock has cross_attention=True and needs a context")
        self.self_attention.build(x_shape, x_shape)
        self.norm1.build(x_shape)
        self.norm3.build(x_shape)
        if self.cross_attention:
            self.cross.build(x_shape, context_shape)
            self.norm2.build(x_shape)
        self.ff_hidden.build(x_shape)
        self.ff_out.build((*x_shape[:-1], self.d_ff))

    def call(self, x, context=None, context_mask=None, return_attention_scores=False,
             training=None):
        """``x (B, T, d)`` attends causally to itself, then to ``context (B, S, d)``.

        ``context_mask`` is boolean, broadcastable to ``(B, T, S)`` (e.g.
        :class:`PaddingMask` of the source). With ``return_attention_scores``
        returns ``(x, self_scores, cross_scores)`` (or ``(x, self_scores)``).
        """
        if self.cross_attention and context is None:
            raise ValueError("this DecoderBlock has cross_attention=True and needs a context")
        x, self_scores = self._residual(
            x, self.norm1,
            lambda h: self.self_attention(h, h, use_causal_mask=True,
                                          return_attention_scores=True, training=training),
            training)
        scores = (self_scores,)
        if self.cross_attention:
            x, cross_scores = self._residual(
                x, self.norm2,
                lambda h: self.cross(h, context, attention_mask=context_mask,
                                     return_attention_scores=True, training=training),
                training)
            scores += (cross_scores,)
        x = self._feed_forward(x, self.norm3, training)
        return (x, *scores) if return_attention_scores else x

    def compute_output_spec(self, x, context=None, context_mask=None,
                            return_attention_scores=False, training=None):
        out = keras.KerasTensor(x.shape, dtype=x.dtype)
        if not return_attention_scores:
            return out
        b, t = x.shape[0], x.shape[1]
        scores = (keras.KerasTensor((b, self.num_heads, t, t)),)
        if self.cross_attention:
            scores += (keras.KerasTensor((b, self.num_heads, t, context.shape[1])),)
        return (out, *scores)

    def get_config(self):
        return {**super().get_config(), "cross_attention": self.cross_attention}


# --- models ----------------------------------------------------------------------------------


def _stack(d_model, num_heads, d_ff, num_layers, dropout):
    """The checked sizes of a stack of blocks: (d_model, num_heads, d_ff, num_layers, dropout)."""
    return (*_heads(d_model, num_heads), _positive_int("d_ff", d_ff),
            _positive_int("num_layers", num_layers), _checks.fraction("dropout", dropout))


def _num_classes(value):
    return _positive_int("num_classes", value, minimum=2)


def build_transformer(source_vocab_size, target_vocab_size, source_length, target_length, *,
                      d_model=64, num_heads=4, d_ff=128, num_layers=2, dropout=0.1,
                      name="transformer"):
    """The encoder–decoder Transformer (Vaswani et al., 2017) for sequence-to-sequence tasks.

    Inputs ``[source_ids (B, S), target_in_ids (B, T)]`` (0 is padding).
    Returns an uncompiled model whose output is next-token logits
    ``(B, T, target_vocab_size)`` under teacher forcing; output ``t`` never
    depends on target inputs after ``t``.
    """
    source_vocab_size = _positive_int("source_vocab_size", source_vocab_size)
    target_vocab_size = _positive_int("target_vocab_size", target_vocab_size)
    source_length = _positive_int("source_length", source_length)
    target_length = _positive_int("target_length", target_length)
    d_model, num_heads, d_ff, num_layers, dropout = _stack(d_model, num_heads, d_ff,
                                                           num_layers, dropout)
    source = keras.Input((source_length,), dtype="int32", name="source")
    target = keras.Input((target_length,), dtype="int32", name="target_in")
    source_mask = PaddingMask(name="source_mask")(source)
    memory = PositionalEmbedding(source_vocab_size, source_length, d_model,
                                 name="source_embedding")(source)
    memory = keras.layers.Dropout(dropout, name="source_dropout")(memory)
    for i in range(num_layers):
        memory, _ = EncoderBlock(d_model, num_heads, d_ff, dropout, name=f"encoder_{i}")(
            memory, attention_mask=source_mask, return_attention_scores=True)
    x = PositionalEmbedding(target_vocab_size, target_length, d_model,
                            name="target_embedding")(target)
    x = keras.layers.Dropout(dropout, name="target_dropout")(x)
    for i in range(num_layers):
        x, _, _ = DecoderBlock(d_model, num_heads, d_ff, dropout, name=f"decoder_{i}")(
            x, memory, context_mask=source_mask, return_attention_scores=True)
    logits = keras.layers.Dense(target_vocab_size, name="logits")(x)
    return keras.Model([source, target], logits, name=name)


def build_gpt(vocab_size, max_length, *, d_model=64, num_heads=4, d_ff=256, num_layers=2,
              dropout=0.1, name="gpt"):
    """A decoder-only character model (Radford et al., 2018; GPT-2's pre-norm, Radford et al., 2019).

    Pre-norm causal blocks with GELU, a final LayerNorm and a linear read-out.
    Returns an uncompiled model ``ids (B, T ≤ max_length) -> logits (B, T, vocab_size)``;
    the input length may vary up to ``max_length`` (handy for sampling).
    """
    vocab_size = _positive_int("vocab_size", vocab_size)
    max_length = _positive_int("max_length", max_length)
    d_model, num_heads, d_ff, num_layers, dropout = _stack(d_model, num_heads, d_ff,
                                                           num_layers, dropout)
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = PositionalEmbedding(vocab_size, max_length, d_model, name="embedding")(ids)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        x, _ = DecoderBlock(d_model, num_heads, d_ff, dropout, norm_first=True,
                            activation="gelu", cross_attention=False, name=f"decoder_{i}")(
            x, return_attention_scores=True)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    return keras.Model(ids, keras.layers.Dense(vocab_size, name="logits")(x), name=name)


@keras.saving.register_keras_serializable(package="dlarch")
class ClassToken(keras.layers.Layer):
    """``(B, T, d)`` -> ``(B, d)``: the hidden state at position 0, the [CLS] token (Devlin et al., 2019)."""

    def call(self, x):
        return x[:, 0, :]

    def compute_output_shape(self, x_shape):
        return (x_shape[0], x_shape[-1])


def _classifier_head(x, num_classes, dropout):
    x = ClassToken(name="class_token_state")(x)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    return keras.layers.Dense(num_classes, name="logits")(x)


def _text_encoder(vocab_size, length, d_model, num_heads, d_ff, num_layers, dropout):
    """ids -> (ids input, per-position states) of a post-norm encoder (BERT's body)."""
    vocab_size = _positive_int("vocab_size", vocab_size)
    length = _positive_int("length", length)
    d_model, num_heads, d_ff, num_layers, dropout = _stack(d_model, num_heads, d_ff,
                                                           num_layers, dropout)
    ids = keras.Input((length,), dtype="int32", name="ids")
    mask = PaddingMask(name="mask")(ids)
    x = PositionalEmbedding(vocab_size, length, d_model, name="embedding")(ids)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        x, _ = EncoderBlock(d_model, num_heads, d_ff, dropout, name=f"encoder_{i}")(
            x, attention_mask=mask, return_attention_scores=True)
    return ids, x


def build_encoder_classifier(vocab_size, length, num_classes, *, d_model=64, num_heads=4,
                             d_ff=128, num_layers=2, dropout=0.1, name="encoder_classifier"):
    """An encoder-only (BERT-style, Devlin et al., 2019) sequence classifier.

    Inputs ``ids (B, length)`` whose position 0 holds a [CLS] token and 0 is
    padding; the last block's state at [CLS] feeds a linear layer. Returns an
    uncompiled model whose output is logits ``(B, num_classes)``. Its
    ``embedding`` and ``encoder_i`` layers match :func:`build_masked_lm`'s, so
    pre-trained weights can be copied in with :func:`copy_weights`.
    """
    num_classes = _num_classes(num_classes)
    ids, x = _text_encoder(vocab_size, length, d_model, num_heads, d_ff, num_layers, dropout)
    return keras.Model(ids, _classifier_head(x, num_classes, dropout), name=name)


def build_masked_lm(vocab_size, length, *, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                    dropout=0.1, name="masked_lm"):
    """The same encoder with a per-position read-out, for masked-token pre-training (BERT).

    Returns an uncompiled model ``ids (B, length) -> logits (B, length, vocab_size)``;
    train it on :func:`mask_tokens` output. (BERT's head adds a dense layer and
    ties the read-out to the embedding; one linear layer suffices here.)
    """
    ids, x = _text_encoder(vocab_size, length, d_model, num_heads, d_ff, num_layers, dropout)
    return keras.Model(ids, keras.layers.Dense(vocab_size, name="mlm_logits")(x), name=name)


def mask_tokens(ids, *, mask_id, vocab_size, rate=0.15, protected=(0,), seed=0):
    """BERT's masking (Devlin et al., 2019, §3.1): pick ``rate`` of the tokens to predict.

    Of the picked positions 80 % become ``mask_id``, 10 % a random token
    (never a protected one or the mask) and 10 % stay as they are. Positions
    whose id is in ``protected`` (padding, [CLS]) are never picked.

    Returns:
        ``(inputs, targets, weights)``: the corrupted ids, the original ids, and
        1.0 at picked positions, 0.0 elsewhere (use as ``sample_weight``).
    """
    vocab_size = _positive_int("vocab_size", vocab_size)
    mask_id = _checks.non_negative_int("mask_id", mask_id)
    if mask_id >= vocab_size:
        raise ValueError(f"mask_id must be below vocab_size {vocab_size}, got {mask_id}")
    ids = _checks.token_ids("ids", _checks.array("ids", ids, ndim=2), vocab_size)
    rate = _checks.fraction("rate", rate, low_inclusive=False)
    protected = [_checks.non_negative_int("protected", p) for p in protected]
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    picked = (rng.random(ids.shape) < rate) & ~np.isin(ids, protected)
    roll = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[picked & (roll < 0.8)] = mask_id
    swap = picked & (roll >= 0.8) & (roll < 0.9)
    ordinary = np.setdiff1d(np.arange(vocab_size), [*protected, mask_id])
    inputs[swap] = rng.choice(ordinary, size=int(swap.sum()))
    return inputs.astype("int32"), ids.astype("int32"), picked.astype("float32")


def copy_weights(source, target, names) -> list[str]:
    """Copy the weights of the layers called ``names`` from model ``source`` into ``target``."""
    copied = []
    for name in names:
        try:
            target.get_layer(name).set_weights(source.get_layer(name).get_weights())
        except ValueError as error:
            raise ValueError(f"cannot copy layer {name!r}: {error}") from None
        copied.append(name)
    return copied


def build_vit(image_shape, num_classes, *, patch_size=7, d_model=64, num_heads=4, d_ff=128,
              num_layers=2, dropout=0.1, name="vit"):
    """A Vision Transformer (Dosovitskiy et al., 2021): patches -> pre-norm encoder -> [class] logits.

    Returns an uncompiled model ``images (B, H, W, C) -> logits (B, num_classes)``.
    """
    if isinstance(image_shape, (str, bytes)) or not hasattr(image_shape, "__len__") \
            or len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}")
    image_shape = tuple(_positive_int(f"image_shape {arg}", value)
                        for arg, value in zip(("height", "width", "channels"), image_shape))
    num_classes = _num_classes(num_classes)
    d_model, num_heads, d_ff, num_layers, dropout = _stack(d_model, num_heads, d_ff,
                                                           num_layers, dropout)
    images = keras.Input(image_shape, name="images")
    x = PatchEmbedding(patch_size, d_model, name="patch_embedding")(images)
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        x, _ = EncoderBlock(d_model, num_heads, d_ff, dropout, norm_first=True,
                            activation="gelu", name=f"encoder_{i}")(
            x, return_attention_scores=True)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    return keras.Model(images, _classifier_head(x, num_classes, dropout), name=name)


# --- using trained models --------------------------------------------------------------------


def attention_maps(model, inputs, batch_size=256):
    """Every attention map of ``model``'s blocks for ``inputs``, by name.

    Returns a dict ``"<block>/self"`` (and ``"<block>/cross"`` for decoder
    blocks with cross-attention) -> array ``(N, heads, T_q, T_k)``.
    """
    batch_size = _positive_int("batch_size", batch_size)
    names, outputs = [], []
    for layer in model.layers:
        if isinstance(layer, (EncoderBlock, DecoderBlock)):
            out = layer.output
            if not isinstance(out, (tuple, list)):
                raise ValueError(f"block {layer.name!r} was not built with "
                                 "return_attention_scores=True")
            kinds = ("self", "cross")[: len(out) - 1]
            names += [f"{layer.name}/{kind}" for kind in kinds]
            outputs += list(out[1:])
    if not outputs:
        raise ValueError(f"model {model.name!r} has no EncoderBlock or DecoderBlock layers")
    probe = keras.Model(model.inputs, outputs)
    values = probe.predict(inputs, batch_size=batch_size, verbose=0)
    values = values if isinstance(values, (list, tuple)) else [values]
    return dict(zip(names, (np.asarray(v) for v in values)))


def next_token_logits(model, context, max_length: int, pad_id: int) -> np.ndarray:
    """The logits a causal character model gives the token after ``context``.

    ``context`` (at most ``max_length`` ids) is written into a window of
    ``max_length`` ids padded on the right with ``pad_id``, and the logits are
    read at its last real position. Causal attention keeps the padding from
    changing them, and every call has the same shape, so Keras compiles the
    forward pass once (``predict_on_batch``) instead of running it op by op for
    each new length: the same numbers, several times faster.
    """
    context = np.asarray(context, dtype="int32")
    if not 1 <= len(context) <= max_length:
        raise ValueError(f"context must hold 1 to {max_length} ids, got {len(context)}")
    window = np.full((1, max_length), pad_id, dtype="int32")
    window[0, :len(context)] = context
    return np.asarray(model.predict_on_batch(window))[0, len(context) - 1]


def sample_text(model, vocab, prompt, n_chars, *, temperature=0.8, max_length=None, seed=0):
    """Continue ``prompt`` by ``n_chars`` characters sampled from a character model.

    Each step feeds the last ``max_length`` characters (default and upper
    limit: the model's embedding length) to :func:`next_token_logits`, so the
    model must be causal (:func:`build_gpt`), and samples from
    softmax(logits / temperature) with :func:`dlarch.rnn.sample_with_temperature`;
    the vocabulary's padding, start and end ids are never sampled.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"prompt must be a non-empty string, got {prompt!r}")
    n_chars = _positive_int("n_chars", n_chars)
    temperature = _checks.positive_float("temperature", temperature)
    limit = model.get_layer("embedding").max_length
    max_length = limit if max_length is None else _positive_int("max_length", max_length)
    if max_length > limit:
        raise ValueError(f"max_length must be at most the model's length {limit}, got {max_length}")
    vocab_size = model.output_shape[-1]
    if len(vocab) > vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens but the model predicts {vocab_size}")
    ids = list(_checks.token_ids("prompt", vocab.encode([prompt], len(prompt))[0], vocab_size))
    never = [vocab.pad_id, vocab.start_id, vocab.end_id]
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    for _ in range(n_chars):
        logits = next_token_logits(model, ids[-max_length:], max_length,
                                   vocab.pad_id).astype("float64")
        logits[never] = -np.inf
        ids.append(int(sample_with_temperature(logits, temperature, rng)[0]))
    return vocab.decode(ids)
