"""Sequence to sequence: encoder–decoder RNNs, attention, greedy and beam search.

The encoder reads the source and the decoder writes the target one token at a
time (Sutskever et al., 2014; Cho et al., 2014). Without attention the decoder
sees the source only through the encoder's final state, a fixed-size context
vector. With attention it looks back at every encoder output at every step,
weighting them by an additive (Bahdanau et al., 2015) or dot-product (Luong et
al., 2015) score.

Decoding works with any Keras model that maps ``[source_ids (B, S),
target_in_ids (B, T)]`` to per-step logits ``(B, T, V)`` and is causal in the
target (step ``t`` only looks at target positions ``<= t``), so chapter 05's
Transformer is decoded and scored with the same functions.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import pandas as pd
from keras import layers, ops

from dlarch import _checks

ATTENTIONS = (None, "additive", "dot")
RNNS = ("gru", "lstm")

# The score given to hidden positions before a softmax: exp(-1e9 - max) is exactly 0 in
# float32, and unlike -inf it never turns a fully masked row into NaN. Chapter 05's
# Transformer uses the same constant.
NEG_INF = -1e9


def _masked_softmax(scores, mask):
    """Softmax over the last axis, giving zero weight where ``mask`` is False."""
    if mask is not None:
        mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)  # (B, 1, S)
        scores = ops.where(mask, scores, ops.full_like(scores, NEG_INF))
    return ops.softmax(scores, axis=-1)


@keras.saving.register_keras_serializable(package="dlarch")
class AdditiveAttention(layers.Layer):
    """Additive attention (Bahdanau et al., 2015).

    ``score(s_t, h_i) = v^T tanh(W_q s_t + W_k h_i)``; the weights are the
    softmax of the scores over source positions and the context is the
    weighted sum of the values ``h_i``.

    Args:
        units: size of the hidden layer inside the score.

    Call: ``layer(query (B, T, dq), values (B, S, dv), values_mask=None)``
    returns ``(context (B, T, dv), weights (B, T, S))``. ``values_mask``
    (B, S), True for real positions, is taken from the values' Keras mask
    when not given.
    """

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        self.query_dense = layers.Dense(self.units, use_bias=False, name="query_dense")
        self.key_dense = layers.Dense(self.units, use_bias=False, name="key_dense")
        self.score_dense = layers.Dense(1, use_bias=False, name="score_dense")

    def build(self, query_shape, values_shape, values_mask_shape=None):
        self.query_dense.build(query_shape)
        self.key_dense.build(values_shape)
        self.score_dense.build((None, None, None, self.units))

    def call(self, query, values, values_mask=None):
        q = ops.expand_dims(self.query_dense(query), 2)   # (B, T, 1, u)
        k = ops.expand_dims(self.key_dense(values), 1)    # (B, 1, S, u)
        scores = ops.squeeze(self.score_dense(ops.tanh(q + k)), -1)  # (B, T, S)
        weights = _masked_softmax(scores, values_mask)
        return ops.matmul(weights, values), weights

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="dlarch")
class DotAttention(layers.Layer):
    """Dot-product attention (Luong et al., 2015): ``score(s_t, h_i) = s_t · h_i``.

    Args:
        scale: multiply scores by ``1/sqrt(d)`` (the Transformer's choice).

    Call and returns as :class:`AdditiveAttention`; query and values must
    have the same last dimension.
    """

    def __init__(self, scale: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.scale = bool(_checks.one_of("scale", scale, (True, False)))

    def build(self, query_shape, values_shape, values_mask_shape=None):
        if query_shape[-1] is not None and values_shape[-1] is not None \
                and query_shape[-1] != values_shape[-1]:
            raise ValueError(
                f"dot attention needs query and values of the same size, got "
                f"{query_shape[-1]} and {values_shape[-1]}; use AdditiveAttention otherwise"
            )

    def call(self, query, values, values_mask=None):
        scores = ops.matmul(query, ops.transpose(values, (0, 2, 1)))  # (B, T, S)
        if self.scale:
            scores = scores / ops.sqrt(ops.cast(ops.shape(values)[-1], scores.dtype))
        weights = _masked_softmax(scores, values_mask)
        return ops.matmul(weights, values), weights

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _recurrent(rnn: str, units: int, name: str):
    cls = layers.GRU if rnn == "gru" else layers.LSTM
    return cls(units, return_sequences=True, return_state=True, name=name)


def build_seq2seq(source_vocab_size: int, target_vocab_size: int, *, units: int = 128,
                  embed_dim: int = 32, attention: str | None = None,
                  rnn: str = "gru") -> keras.Model:
    """An RNN encoder–decoder, uncompiled, whose outputs are logits.

    Without attention the decoder starts from the encoder's final state, its
    only view of the source (Sutskever et al., 2014; Cho et al., 2014). With
    ``attention`` each decoder output queries all encoder outputs and the
    prediction is made from ``tanh(W_c [context; decoder_output])``
    (Luong et al., 2015), with an ``"additive"`` (Bahdanau) or ``"dot"`` score.

    Under teacher forcing the whole target goes through in one call, but the
    decoder GRU/LSTM still runs its steps one after another; only the layers
    after it (attention, read-out) work on all steps at once.

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes (id 0 = padding;
            padded source positions are masked).
        units: size of the recurrent state.
        embed_dim: size of the character embeddings.
        attention: None, ``"additive"`` or ``"dot"``.
        rnn: ``"gru"`` or ``"lstm"``.

    Returns:
        An uncompiled model ``[source (B, S), target_in (B, T)] -> logits (B, T, V)``
        (compile it with ``SparseCategoricalCrossentropy(from_logits=True)``).
        With attention it has a layer named ``"attention"`` (see
        :func:`attention_weights`).
    """
    source_vocab_size = _checks.positive_int("source_vocab_size", source_vocab_size)
    target_vocab_size = _checks.positive_int("target_vocab_size", target_vocab_size)
    units = _checks.positive_int("units", units)
    embed_dim = _checks.positive_int("embed_dim", embed_dim)
    _checks.one_of("attention", attention, ATTENTIONS)
    _checks.one_of("rnn", rnn, RNNS)

    source = keras.Input((None,), dtype="int32", name="source")
    target_in = keras.Input((None,), dtype="int32", name="target_in")
    src = layers.Embedding(source_vocab_size, embed_dim, mask_zero=True,
                           name="source_embedding")(source)
    encoder_outputs, *state = _recurrent(rnn, units, "encoder")(src)
    tgt = layers.Embedding(target_vocab_size, embed_dim, name="target_embedding")(target_in)
    decoder_outputs, *_ = _recurrent(rnn, units, "decoder")(tgt, initial_state=state)
    features = decoder_outputs
    if attention is not None:
        layer = (AdditiveAttention(units, name="attention") if attention == "additive"
                 else DotAttention(name="attention"))
        context, _ = layer(decoder_outputs, encoder_outputs,
                           values_mask=ops.not_equal(source, 0))
        features = layers.Dense(units, activation="tanh", name="attentional")(
            layers.Concatenate(name="context_and_state")([context, decoder_outputs]))
    logits = layers.Dense(target_vocab_size, name="logits")(features)
    return keras.Model([source, target_in], logits,
                       name=f"seq2seq_{attention or 'fixed_context'}_{rnn}")


def log_softmax(logits) -> np.ndarray:
    """Log-probabilities (float64) from logits over the last axis."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def _forbid_specials(logp: np.ndarray, target_vocab) -> np.ndarray:
    """A decoder may not write padding or a start token: give them probability 0."""
    logp[..., [target_vocab.pad_id, target_vocab.start_id]] = -np.inf
    return logp


def _step_logits(model, x, y_in, t: int, batch_size: int) -> np.ndarray:
    logits = np.asarray(model.predict([x, y_in], batch_size=batch_size, verbose=0))
    if logits.ndim != 3:
        raise ValueError(f"the model must return per-step logits (B, T, V), got shape {logits.shape}")
    return logits[:, t]


def _source_vocab_size(model) -> int | None:
    """The source vocabulary size, read from a layer named ``source_embedding`` if there is one."""
    try:
        layer = model.get_layer("source_embedding")
    except ValueError:
        return None
    return getattr(layer, "input_dim", None) or getattr(layer, "vocab_size", None)


def _check_decode_args(model, x, target_vocab, max_length, batch_size):
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    x = _checks.array("x", x, ndim=2)
    if x.size == 0:
        raise ValueError(f"x must be a non-empty 2-D array of source ids, got shape {x.shape}")
    vocab_size = _source_vocab_size(model)
    if vocab_size is not None:
        x = _checks.token_ids("x", x, vocab_size)
    elif not np.issubdtype(x.dtype, np.integer) or x.min() < 0:
        raise ValueError(f"x must hold non-negative integer token ids, got dtype {x.dtype} "
                         f"and smallest value {x.min()!r}")
    x = x.astype(np.int32)
    if not all(hasattr(target_vocab, a) for a in ("decode", "start_id", "end_id", "pad_id")):
        raise ValueError(f"target_vocab must be a CharVocab, got {type(target_vocab).__name__}")
    max_length = _checks.positive_int("max_length", max_length)
    _checks.positive_int("batch_size", batch_size)
    return x, max_length


def greedy_decode(model, x, target_vocab, *, max_length: int,
                  batch_size: int = 1024) -> list[str]:
    """Decode by taking the most likely token at each step.

    Padding and start tokens are never written; decoding of an example is
    over once it writes the end token.

    Args:
        model: ``[source, target_in] -> per-step logits`` (see module doc).
        x: source ids ``(N, S)``, each in the model's source vocabulary.
        target_vocab: the target :class:`~dlarch.data.CharVocab`.
        max_length: decoding steps, i.e. the decoder input length; it comes
            from the task (``task.y_in.shape[1]``).

    Returns:
        ``N`` strings, each cut at the first end token.
    """
    x, max_length = _check_decode_args(model, x, target_vocab, max_length, batch_size)
    y = np.zeros((len(x), max_length + 1), dtype=np.int32)
    y[:, 0] = target_vocab.start_id
    for t in range(max_length):
        logp = log_softmax(_step_logits(model, x, y[:, :max_length], t, batch_size))
        y[:, t + 1] = _forbid_specials(logp, target_vocab).argmax(-1)
    return [target_vocab.decode(row) for row in y[:, 1:]]


def length_penalty(length, alpha: float):
    """GNMT's length penalty ``((5 + length) / 6) ** alpha`` (Wu et al., 2016, eq. 14).

    Beam search ranks hypotheses by ``log p / length_penalty``; ``alpha = 0``
    is the raw log-probability, larger ``alpha`` favours longer outputs.
    """
    return ((5.0 + np.asarray(length, dtype=np.float64)) / 6.0) ** alpha


def beam_search_decode(model, x, target_vocab, *, max_length: int, beam_width: int = 3,
                       alpha: float = 0.0, batch_size: int = 1024, return_beams: bool = False):
    """Decode keeping the ``beam_width`` best partial outputs at each step.

    A hypothesis's log-probability is the sum of its tokens' log-probabilities
    (the end token included); a beam that has produced the end token is
    finished and keeps it. Candidates are ranked by ``log p /
    length_penalty(length, alpha)`` (Wu et al., 2016): with ``alpha = 0``
    (the default) by ``log p`` itself, which favours short outputs because
    every token adds a negative term. As in :func:`greedy_decode`, padding and
    start tokens are never written. ``beam_width=1`` is greedy decoding.

    Args:
        model, x, target_vocab, max_length, batch_size: as :func:`greedy_decode`.
        beam_width: number of hypotheses kept per example.
        alpha: strength of the length penalty, ≥ 0.
        return_beams: also return every beam as ``(text, log_probability)``,
            best first by the penalised score.

    Returns:
        ``N`` best strings, or ``N`` lists of ``beam_width`` pairs when
        ``return_beams``.
    """
    x, max_length = _check_decode_args(model, x, target_vocab, max_length, batch_size)
    k = _checks.positive_int("beam_width", beam_width)
    alpha = _checks.non_negative_float("alpha", alpha)
    n = len(x)
    seqs = np.zeros((n, k, max_length + 1), dtype=np.int32)
    seqs[:, :, 0] = target_vocab.start_id
    scores = np.full((n, k), -np.inf)
    scores[:, 0] = 0.0  # one live hypothesis at the start, so beams don't repeat
    lengths = np.zeros((n, k), dtype=np.int64)
    finished = np.zeros((n, k), dtype=bool)
    x_rep = np.repeat(x, k, axis=0)
    rows = np.arange(n)[:, None]
    for t in range(max_length):
        out = _step_logits(model, x_rep, seqs[:, :, :max_length].reshape(n * k, -1), t, batch_size)
        logp = _forbid_specials(log_softmax(out), target_vocab).reshape(n, k, -1)
        vocab_size = logp.shape[-1]
        # A finished beam can only continue with padding, at no cost and no extra length.
        logp[finished] = -np.inf
        logp[finished, target_vocab.pad_id] = 0.0
        total = (scores[:, :, None] + logp).reshape(n, -1)
        new_length = np.where(finished, lengths, t + 1)[:, :, None]
        ranked = total / np.broadcast_to(length_penalty(new_length, alpha),
                                         logp.shape).reshape(n, -1)
        best = np.argsort(-ranked, axis=1, kind="stable")[:, :k]
        beam, token = best // vocab_size, best % vocab_size
        seqs = seqs[rows, beam]
        seqs[:, :, t + 1] = token
        lengths = np.where(finished[rows, beam], lengths[rows, beam], t + 1)
        finished = finished[rows, beam] | (token == target_vocab.end_id)
        scores = total[rows, best]
    texts = [[target_vocab.decode(seqs[i, j, 1:]) for j in range(k)] for i in range(n)]
    if return_beams:
        return [list(zip(texts[i], scores[i].tolist())) for i in range(n)]
    return [beams[0] for beams in texts]


def sequence_log_prob(model, x, target_vocab, texts, *, max_length: int,
                      batch_size: int = 1024) -> np.ndarray:
    """Teacher-forced log-probability of each output string (its end token included).

    A string of ``max_length`` characters has no room for the end token and
    is scored without it, as beam search scores it.
    """
    x, max_length = _check_decode_args(model, x, target_vocab, max_length, batch_size)
    texts = list(texts)
    if len(texts) != len(x):
        raise ValueError(f"got {len(texts)} texts for {len(x)} sources")
    y_in = decoder_inputs(texts, target_vocab, max_length)
    y_out = target_vocab.encode(texts, max_length + 1, end=True)[:, :max_length]
    logp = log_softmax(model.predict([x, y_in], batch_size=batch_size, verbose=0))
    picked = np.take_along_axis(logp, y_out[..., None], axis=-1)[..., 0]
    return np.where(y_out != target_vocab.pad_id, picked, 0.0).sum(-1)


def targets(task) -> list[str]:
    """The reference outputs of a :class:`~dlarch.data.Seq2SeqTask`."""
    return [target for _, target in task.pairs]


def _predictions(predictions, task) -> list[str]:
    refs = targets(task)
    predictions = list(predictions)
    if len(predictions) != len(refs):
        raise ValueError(f"got {len(predictions)} predictions for {len(refs)} examples")
    return predictions


def exact_match(model_or_predictions, task, *, max_length: int | None = None) -> float:
    """Fraction of examples whose whole output string is exactly right.

    Args:
        model_or_predictions: a model (decoded greedily on ``task.x``) or a
            list of predicted strings, one per example.
        task: the :class:`~dlarch.data.Seq2SeqTask` with the references.
        max_length: decoding steps for a model (default: ``task.y_in`` width).
    """
    if isinstance(model_or_predictions, keras.Model):
        length = task.y_in.shape[1] if max_length is None else max_length
        predictions = greedy_decode(model_or_predictions, task.x, task.target_vocab,
                                    max_length=length)
    else:
        predictions = _predictions(model_or_predictions, task)
    return float(np.mean([p == r for p, r in zip(predictions, targets(task))]))


def accuracy_by_length(predictions, task, bins) -> pd.DataFrame:
    """Exact-match accuracy per bin of source length (in characters).

    Args:
        predictions: one predicted string per example of ``task``.
        task: the :class:`~dlarch.data.Seq2SeqTask` with the references.
        bins: increasing bin edges; bin ``[a, b)`` holds sources of ``a`` to
            ``b - 1`` characters. They come from the task's range of lengths.

    Returns:
        One row per non-empty bin: ``length`` (the bin as ``"a–b"``, both
        ends included), ``low``, ``n`` examples and ``accuracy``.
    """
    predictions = _predictions(predictions, task)
    bins = [_checks.non_negative_int("bins", edge)
            for edge in _checks.array("bins", bins, ndim=1).tolist()]
    if len(bins) < 2 or any(high <= low for low, high in zip(bins, bins[1:])):
        raise ValueError(f"bins must be at least two increasing edges, got {bins!r}")
    lengths = np.array([len(source) for source, _ in task.pairs])
    correct = np.array([p == r for p, r in zip(predictions, targets(task))])
    rows = []
    for low, high in zip(bins, bins[1:]):
        inside = (lengths >= low) & (lengths < high)
        if inside.any():
            rows.append({"length": f"{low}–{high - 1}", "low": low, "n": int(inside.sum()),
                         "accuracy": float(correct[inside].mean())})
    return pd.DataFrame(rows)


def attention_weights(model, x, y_in) -> np.ndarray:
    """The attention weights ``(N, T, S)`` of a model built with attention."""
    try:
        layer = model.get_layer("attention")
    except ValueError:
        raise ValueError(f"model {model.name!r} has no layer named 'attention'; "
                         "build it with build_seq2seq(..., attention='additive' or 'dot')") from None
    probe = keras.Model(model.inputs, layer.output[1])
    return np.asarray(probe.predict([np.asarray(x), np.asarray(y_in)], verbose=0))


def decoder_inputs(texts, target_vocab, length: int) -> np.ndarray:
    """Teacher-forcing inputs (start token + text, cut to ``length``) for output strings."""
    length = _checks.positive_int("length", length)
    if isinstance(texts, str):
        raise ValueError(f"texts must be a list of strings, got the single string {texts!r}")
    return target_vocab.encode(list(texts), length + 1, start=True)[:, :length]


def plot_attention(weights, source: str, output: str, *, title: str, ax=None, colorbar=True):
    """Heatmap of one example's attention: output characters vs source characters.

    The colour bar (weights from 0 to 1) is drawn unless ``colorbar=False``.
    """
    import matplotlib.pyplot as plt

    weights = _checks.array("weights", weights, ndim=2)
    rows, cols = list(output) + ["</s>"], list(source)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.5))
    image = ax.imshow(weights[: len(rows), : len(cols)], cmap="viridis", vmin=0, vmax=1,
                      aspect="auto")
    ax.set_xticks(range(len(cols)), [c if c != " " else "␣" for c in cols])
    ax.set_yticks(range(len(rows)), rows)
    ax.set(title=title, xlabel="source character", ylabel="output character")
    if colorbar:
        fig.colorbar(image, ax=ax, label="attention weight", fraction=0.04, pad=0.02)
    return fig


class ExactMatch(keras.callbacks.Callback):
    """Greedy exact-match accuracy on a held-out (validation) task after each epoch.

    Adds ``val_exact_match`` to the logs, stops training once it reaches
    ``target`` (if given), and keeps the training wall time, without its own
    decoding time, in ``seconds_to_target`` (None until reached). Give it a
    validation split, never the test set.
    """

    def __init__(self, task, *, target: float | None = None, every: int = 1):
        super().__init__()
        if target is not None:
            target = _checks.fraction("target", target, high_inclusive=True)
        self.task, self.target = task, target
        self.every = _checks.positive_int("every", every)
        self.history, self.seconds_to_target, self.epoch_reached = [], None, None

    def on_train_begin(self, logs=None):
        self._train_seconds, self._start = 0.0, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self._train_seconds += time.perf_counter() - self._start
        if (epoch + 1) % self.every == 0:
            score = exact_match(self.model, self.task)
            self.history.append((epoch + 1, self._train_seconds, score))
            if logs is not None:
                logs["val_exact_match"] = score
            if self.target is not None and score >= self.target and self.seconds_to_target is None:
                self.seconds_to_target, self.epoch_reached = self._train_seconds, epoch + 1
                self.model.stop_training = True
        self._start = time.perf_counter()
