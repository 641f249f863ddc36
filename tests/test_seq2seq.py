"""Tests for dlarch.seq2seq: attention layers, the encoder–decoder, decoding, scoring."""

import keras
import numpy as np
import pytest

from dlarch import seq2seq
from dlarch.data import make_date_task
from dlarch.seq2seq import AdditiveAttention, DotAttention


@pytest.fixture(scope="module")
def task():
    return make_date_task(12, seed=3)


@pytest.fixture(scope="module")
def models(task):
    """One small untrained model per attention kind (random weights decode to varied tokens)."""
    keras.utils.set_random_seed(0)
    return {att: seq2seq.build_seq2seq(len(task.source_vocab), len(task.target_vocab), units=16,
                                       embed_dim=8, attention=att)
            for att in seq2seq.ATTENTIONS}


def _max_length(task):
    return task.y_in.shape[1]


def _inputs(batch=2, t=3, s=5, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, t, d)).astype("float32"),
            rng.normal(size=(batch, s, d)).astype("float32"))


# --- attention layers -------------------------------------------------------------------

@pytest.mark.parametrize("layer", [AdditiveAttention(8), DotAttention(), DotAttention(scale=True)])
def test_attention_shapes_and_weights_sum_to_one(layer):
    query, values = _inputs()
    context, weights = layer(query, values)
    assert context.shape == (2, 3, 4) and weights.shape == (2, 3, 5)
    np.testing.assert_allclose(np.sum(weights, -1), 1.0, atol=1e-6)
    np.testing.assert_allclose(context, np.asarray(weights) @ values, atol=1e-5)


@pytest.mark.parametrize("layer", [AdditiveAttention(8), DotAttention()])
def test_attention_masks_padding(layer):
    query, values = _inputs()
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    context, weights = layer(query, values, values_mask=mask)
    weights = np.asarray(weights)
    assert np.all(weights[0, :, 3:] == 0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    # Changing padded values must not change anything.
    changed = values.copy()
    changed[0, 3:] = 100.0
    context2, _ = layer(query, changed, values_mask=mask)
    np.testing.assert_allclose(context, context2, atol=1e-5)


def test_dot_attention_equals_numpy_and_keras_attention():
    query, values = _inputs()
    scores = query @ values.transpose(0, 2, 1)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    context, weights = DotAttention()(query, values)
    np.testing.assert_allclose(weights, expected, atol=1e-5)
    keras_context = keras.layers.Attention()([query, values])
    np.testing.assert_allclose(context, keras_context, atol=1e-5)


def test_additive_attention_equals_numpy_and_keras_additive_attention():
    query, values = _inputs()
    layer = AdditiveAttention(4)
    context, weights = layer(query, values)
    wq, wk, v = (np.asarray(w) for w in (layer.query_dense.kernel, layer.key_dense.kernel,
                                        layer.score_dense.kernel))
    scores = np.tanh((query @ wq)[:, :, None] + (values @ wk)[:, None]) @ v  # (B, T, S, 1)
    scores = scores[..., 0]
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, atol=1e-5)
    # Keras's AdditiveAttention scores sum(scale * tanh(q + k)): the same with projected q, k.
    keras_layer = keras.layers.AdditiveAttention()
    keras_layer([query @ wq, values, values @ wk])
    keras_layer.scale.assign(v[:, 0])
    keras_context = keras_layer([query @ wq, values, values @ wk])
    np.testing.assert_allclose(context, keras_context, atol=1e-5)


@pytest.mark.parametrize("layer", [AdditiveAttention(6, name="att"), DotAttention(scale=True)])
def test_attention_layer_keras_round_trip(layer, tmp_path):
    query_in, values_in = keras.Input((None, 4)), keras.Input((None, 4))
    context, weights = layer(query_in, values_in)
    model = keras.Model([query_in, values_in], [context, weights])
    query, values = _inputs()
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(model.predict([query, values], verbose=0),
                    loaded.predict([query, values], verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert type(loaded.layers[-1]) is type(layer)
    assert loaded.layers[-1].get_config() == layer.get_config()


def test_attention_layers_reject_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        AdditiveAttention(0)
    with pytest.raises(ValueError, match="scale"):
        DotAttention(scale="yes")
    with pytest.raises(ValueError, match="same size"):
        DotAttention()(np.zeros((1, 2, 3), "float32"), np.zeros((1, 4, 5), "float32"))


# --- the encoder–decoder ----------------------------------------------------------------

@pytest.mark.parametrize("attention", seq2seq.ATTENTIONS)
def test_model_output_shape(models, task, attention):
    logits = models[attention].predict([task.x, task.y_in], verbose=0)
    assert logits.shape == (len(task.x), task.y_in.shape[1], len(task.target_vocab))


def test_lstm_variant_builds_and_has_causal_decoder(task):
    model = seq2seq.build_seq2seq(len(task.source_vocab), len(task.target_vocab), units=8,
                                  embed_dim=4, attention="dot", rnn="lstm")
    y_changed = task.y_in.copy()
    y_changed[:, 5:] = 3
    a = model.predict([task.x, task.y_in], verbose=0)
    b = model.predict([task.x, y_changed], verbose=0)
    np.testing.assert_allclose(a[:, :5], b[:, :5], atol=1e-6)  # later inputs don't leak back
    assert not np.allclose(a[:, 5:], b[:, 5:])


def test_source_padding_does_not_change_output(models, task):
    """Masked source positions: extra padding columns change nothing."""
    wider = np.pad(task.x, ((0, 0), (0, 4)))
    for model in models.values():
        np.testing.assert_allclose(model.predict([task.x, task.y_in], verbose=0),
                                   model.predict([wider, task.y_in], verbose=0), atol=1e-5)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("attention", ["additive", "dot"])
def test_model_keras_round_trip(models, task, attention, tmp_path):
    model = models[attention]
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(model.predict([task.x, task.y_in], verbose=0),
                               loaded.predict([task.x, task.y_in], verbose=0), atol=1e-6)
    np.testing.assert_allclose(seq2seq.attention_weights(model, task.x, task.y_in),
                               seq2seq.attention_weights(loaded, task.x, task.y_in), atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"attention": "luong"}, "attention"), ({"rnn": "rnn"}, "rnn"), ({"units": 0}, "units"),
    ({"embed_dim": 2.5}, "embed_dim"), ({"units": float("nan")}, "units"),
])
def test_build_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        seq2seq.build_seq2seq(10, 10, **kwargs)
    with pytest.raises(ValueError, match="source_vocab_size"):
        seq2seq.build_seq2seq(0, 10)


# --- decoding and scoring ---------------------------------------------------------------

@pytest.mark.parametrize("attention", seq2seq.ATTENTIONS)
def test_beam_width_one_equals_greedy(models, task, attention):
    model = models[attention]
    greedy = seq2seq.greedy_decode(model, task.x, task.target_vocab, max_length=_max_length(task))
    beam = seq2seq.beam_search_decode(model, task.x, task.target_vocab, beam_width=1,
                                      max_length=_max_length(task))
    assert greedy == beam
    assert len(greedy) == len(task.x) and all(len(text) <= _max_length(task) for text in greedy)


def test_greedy_decoding_follows_the_model_step_by_step(models, task):
    """Feeding the greedy output back under teacher forcing reproduces it as the argmax."""
    model = models["additive"]
    greedy = seq2seq.greedy_decode(model, task.x, task.target_vocab, max_length=_max_length(task))
    y_in = seq2seq.decoder_inputs(greedy, task.target_vocab, _max_length(task))
    logits = model.predict([task.x, y_in], verbose=0)
    logits[..., [task.target_vocab.pad_id, task.target_vocab.start_id]] = -np.inf
    argmax = logits.argmax(-1)
    assert [task.target_vocab.decode(row) for row in argmax] == greedy


def test_beam_search_beams_are_sorted_and_never_worse_than_greedy(models, task):
    model = models["dot"]
    x = task.x[:6]
    beams = seq2seq.beam_search_decode(model, x, task.target_vocab, beam_width=4,
                                       max_length=_max_length(task), return_beams=True)
    greedy_score = seq2seq.beam_search_decode(model, x, task.target_vocab, beam_width=1,
                                              max_length=_max_length(task), return_beams=True)
    for example, (_, g_score) in zip(beams, (b[0] for b in greedy_score)):
        scores = [score for _, score in example]
        assert len(example) == 4 and scores == sorted(scores, reverse=True)
        assert scores[0] >= g_score - 1e-9
        assert len({text for text, _ in example}) == 4  # no duplicated hypotheses


def test_beam_scores_are_teacher_forced_log_probabilities(models, task):
    """Rescoring: each beam's score is the log-probability the model gives its tokens."""
    model, x = models["additive"], task.x[:5]
    beams = seq2seq.beam_search_decode(model, x, task.target_vocab, beam_width=4,
                                       max_length=_max_length(task), return_beams=True)
    for j in range(4):
        texts = [example[j][0] for example in beams]
        rescored = seq2seq.sequence_log_prob(model, x, task.target_vocab, texts,
                                             max_length=_max_length(task))
        np.testing.assert_allclose([example[j][1] for example in beams], rescored, atol=1e-5)


def _tiny_problem(seed=0):
    """A random-weight model over a 2-letter target vocabulary and every output it can write."""
    import itertools

    from dlarch.data import CharVocab

    vocab = CharVocab("ab")  # ids: pad 0, start 1, end 2, a 3, b 4
    keras.utils.set_random_seed(seed)
    model = seq2seq.build_seq2seq(6, len(vocab), units=8, embed_dim=4, attention="dot")
    rng = np.random.default_rng(seed)
    model.set_weights([2.0 * rng.normal(size=w.shape).astype("float32")
                       for w in model.get_weights()])  # random weights and biases, sharp logits
    max_length = 4
    hypotheses = []  # token lists: up to 3 letters then </s>, or 4 letters cut off
    for n in range(max_length + 1):
        for letters in itertools.product([3, 4], repeat=n):
            hypotheses.append(list(letters) + ([vocab.end_id] if n < max_length else []))
    return vocab, model, max_length, hypotheses


def _brute_force_scores(model, source, vocab, max_length, hypotheses):
    """Sum of log-softmax of every hypothesis's tokens, computed here in NumPy."""
    y_in = np.zeros((len(hypotheses), max_length), dtype=np.int32)
    for row, tokens in enumerate(hypotheses):
        inputs = ([vocab.start_id] + tokens)[:max_length]  # teacher forcing: shifted by one
        y_in[row, : len(inputs)] = inputs
    logits = model.predict([np.repeat(source, len(hypotheses), 0), y_in], verbose=0)
    logits = logits.astype(np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    texts = [vocab.decode(tokens) for tokens in hypotheses]
    scores = [sum(logp[row, t, tok] for t, tok in enumerate(tokens))
              for row, tokens in enumerate(hypotheses)]
    return dict(zip(texts, scores))


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_search_equals_brute_force_on_a_tiny_vocabulary(alpha):
    vocab, model, max_length, hypotheses = _tiny_problem()
    lengths = {vocab.decode(h): len(h) for h in hypotheses}
    for source in (np.array([[3, 4, 5, 0]]), np.array([[5, 5, 1, 2]])):
        truth = _brute_force_scores(model, source, vocab, max_length, hypotheses)
        assert len(truth) == len(hypotheses) == 31
        # A beam as wide as the number of hypotheses is an exhaustive search.
        beams = seq2seq.beam_search_decode(model, source, vocab, beam_width=31, alpha=alpha,
                                           max_length=max_length, return_beams=True)[0]
        found = {text: score for text, score in beams if np.isfinite(score)}
        assert sorted(found) == sorted(truth)
        for text, score in found.items():
            assert score == pytest.approx(truth[text], abs=1e-5)
        ranked = {t: s / ((5 + lengths[t]) / 6) ** alpha for t, s in truth.items()}  # GNMT, eq. 14
        assert beams[0][0] == max(ranked, key=ranked.get)
        # ...and every beam is in its place in the ranking by penalised score
        order = [text for text, score in beams if np.isfinite(score)]
        assert order == sorted(ranked, key=lambda t: -ranked[t])
        # A narrow beam scores its outputs the same way and cannot beat the exhaustive best.
        narrow = seq2seq.beam_search_decode(model, source, vocab, beam_width=2, alpha=alpha,
                                            max_length=max_length, return_beams=True)[0]
        for text, score in narrow:
            assert score == pytest.approx(truth[text], abs=1e-5)
        assert ranked[narrow[0][0]] <= ranked[beams[0][0]] + 1e-9


def test_length_penalty_follows_gnmt():
    assert seq2seq.length_penalty(1, 0.0) == 1.0
    assert seq2seq.length_penalty(1, 1.0) == 1.0
    assert seq2seq.length_penalty(7, 0.6) == pytest.approx((12 / 6) ** 0.6)
    # Dividing a negative log-probability by a growing penalty favours longer outputs.
    assert -2.0 / seq2seq.length_penalty(10, 1.0) > -1.5 / seq2seq.length_penalty(2, 1.0)


def test_builder_returns_an_uncompiled_logit_model(models, task):
    model = models["dot"]
    assert not model.compiled and getattr(model, "optimizer", None) is None
    logits = model.predict([task.x, task.y_in], verbose=0)
    assert logits.min() < 0  # logits, not probabilities
    assert not np.allclose(logits.sum(-1), 1.0)


def test_attention_weights_needs_an_attention_layer(models, task):
    with pytest.raises(ValueError, match="no layer named 'attention'"):
        seq2seq.attention_weights(models[None], task.x, task.y_in)


def test_exact_match_and_accuracy_by_length(task):
    refs = seq2seq.targets(task)
    assert seq2seq.exact_match(refs, task) == 1.0
    wrong = ["0000-00-00"] * 3 + refs[3:]
    assert seq2seq.exact_match(wrong, task) == pytest.approx(1 - 3 / len(refs))
    table = seq2seq.accuracy_by_length(wrong, task, bins=(0, 12, 20, 33))
    assert table["n"].sum() == len(refs)
    assert (table["accuracy"] * table["n"]).sum() == pytest.approx(len(refs) - 3)
    with pytest.raises(ValueError, match="predictions"):
        seq2seq.exact_match(refs[:-1], task)
    with pytest.raises(ValueError, match="bins"):
        seq2seq.accuracy_by_length(refs, task, bins=(10, 5))


def test_exact_match_callback_stops_at_target(task):
    model = seq2seq.build_seq2seq(len(task.source_vocab), len(task.target_vocab), units=8,
                                  embed_dim=4)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    callback = seq2seq.ExactMatch(task, target=0.0)  # every score reaches 0, so training stops at once
    history = model.fit([task.x, task.y_in], task.y_out, epochs=3, verbose=0,
                        callbacks=[callback])
    assert len(history.history["loss"]) == 1 and callback.epoch_reached == 1
    assert callback.seconds_to_target > 0 and "val_exact_match" in history.history
    with pytest.raises(ValueError, match="target"):
        seq2seq.ExactMatch(task, target=1.5)


# --- the copy task ----------------------------------------------------------------------

def test_copy_task_layout_and_determinism():
    from dlarch.data.copying import make_copy_task

    task = make_copy_task(50, min_length=3, max_length=7, seed=2)
    assert task.x.shape == (50, 7) and task.y_in.shape == task.y_out.shape == (50, 8)
    assert all(src == tgt and 3 <= len(src) <= 7 and src.isdigit() for src, tgt in task.pairs)
    assert [task.target_vocab.decode(row) for row in task.y_out] == seq2seq.targets(task)
    assert make_copy_task(50, 3, 7, seed=2).pairs == task.pairs
    assert make_copy_task(10, 3, 7, seed=2).pairs == task.pairs[:10]
    assert make_copy_task(50, 3, 7, seed=3).pairs != task.pairs
    for bad in ({"n": 0}, {"n": 5, "min_length": 0}, {"n": 5, "min_length": 8, "max_length": 7}):
        with pytest.raises(ValueError):
            make_copy_task(**bad)


# --- bad input: every public function, a table of bad values ---------------------------------

BAD_COUNTS = [0, -1, 2.5, float("nan"), float("inf"), True, "8", None]


@pytest.mark.parametrize("name", ["source_vocab_size", "target_vocab_size", "units", "embed_dim"])
@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_build_seq2seq_rejects_bad_sizes(name, bad):
    kwargs = {"source_vocab_size": 10, "target_vocab_size": 10, "units": 4, "embed_dim": 4,
              name: bad}
    with pytest.raises(ValueError, match=name):
        seq2seq.build_seq2seq(**kwargs)


@pytest.mark.parametrize("kwargs", [{"attention": "luong"}, {"attention": 1},
                                    {"rnn": "rnn"}, {"rnn": None}])
def test_build_seq2seq_rejects_bad_choices(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        seq2seq.build_seq2seq(10, 10, **kwargs)


@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_attention_layers_reject_bad_values(bad):
    with pytest.raises(ValueError, match="units"):
        AdditiveAttention(bad)


@pytest.mark.parametrize("bad", ["yes", 1.5, None, float("nan")])
def test_dot_attention_rejects_bad_scale(bad):
    with pytest.raises(ValueError, match="scale"):
        DotAttention(scale=bad)


def _bad_decode_calls(task):
    x = task.x
    too_big = x.copy()
    too_big[0, 0] = len(task.source_vocab)
    negative = x.copy()
    negative[0, 0] = -1
    return [
        ("x", {"x": x[0]}), ("x", {"x": x[:0]}), ("x", {"x": too_big}), ("x", {"x": negative}),
        ("x", {"x": x + 0.5}), ("x", {"x": np.where(x == 3, np.nan, x)}), ("x", {"x": "abc"}),
        ("target_vocab", {"target_vocab": "0123456789-"}),
        ("max_length", {"max_length": 0}), ("max_length", {"max_length": float("nan")}),
        ("max_length", {"max_length": 2.5}), ("max_length", {"max_length": None}),
        ("batch_size", {"batch_size": 0}), ("batch_size", {"batch_size": True}),
        ("model", {"model": "a model"}),
    ]


@pytest.mark.parametrize("decoder", ["greedy_decode", "beam_search_decode"])
@pytest.mark.parametrize("case", range(15))
def test_decoders_reject_bad_input(models, task, decoder, case):
    name, bad = _bad_decode_calls(task)[case]
    kwargs = {"model": models["dot"], "x": task.x, "target_vocab": task.target_vocab,
              "max_length": _max_length(task), **bad}
    with pytest.raises(ValueError, match=name):
        getattr(seq2seq, decoder)(kwargs.pop("model"), kwargs.pop("x"), kwargs.pop("target_vocab"),
                                  **kwargs)


@pytest.mark.parametrize("name, bad", [("beam_width", 0), ("beam_width", 1.5),
                                       ("beam_width", float("nan")), ("alpha", -0.5),
                                       ("alpha", float("nan")), ("alpha", float("inf")),
                                       ("alpha", "1")])
def test_beam_search_rejects_bad_width_and_alpha(models, task, name, bad):
    with pytest.raises(ValueError, match=name):
        seq2seq.beam_search_decode(models["dot"], task.x, task.target_vocab,
                                   max_length=_max_length(task), **{name: bad})


@pytest.mark.parametrize("call, match", [
    (lambda t: seq2seq.decoder_inputs(["1998-03-03"], t.target_vocab, 0), "length"),
    (lambda t: seq2seq.decoder_inputs("1998-03-03", t.target_vocab, 11), "texts"),
    (lambda t: seq2seq.accuracy_by_length(seq2seq.targets(t), t, bins=(0, 2.5, 40)), "bins"),
    (lambda t: seq2seq.accuracy_by_length(seq2seq.targets(t), t, bins=(-1, 40)), "bins"),
    (lambda t: seq2seq.accuracy_by_length(seq2seq.targets(t), t, bins=[[0, 40]]), "bins"),
    (lambda t: seq2seq.accuracy_by_length(seq2seq.targets(t), t, bins=(5,)), "bins"),
    (lambda t: seq2seq.ExactMatch(t, target=1.5), "target"),
    (lambda t: seq2seq.ExactMatch(t, target=float("nan")), "target"),
    (lambda t: seq2seq.ExactMatch(t, every=0), "every"),
    (lambda t: seq2seq.plot_attention(np.zeros(3), "ab", "c", title="x"), "weights"),
])
def test_helpers_reject_bad_input(task, call, match):
    with pytest.raises(ValueError, match=match):
        call(task)


def test_sequence_log_prob_checks_its_texts(models, task):
    with pytest.raises(ValueError, match="texts"):
        seq2seq.sequence_log_prob(models["dot"], task.x, task.target_vocab, ["1998-03-03"],
                                  max_length=_max_length(task))


def test_numpy_scalars_are_accepted(task):
    model = seq2seq.build_seq2seq(np.int64(len(task.source_vocab)),
                                  np.int32(len(task.target_vocab)), units=np.int64(4),
                                  embed_dim=np.int16(4), attention="additive")
    assert AdditiveAttention(np.int64(4)).units == 4 and DotAttention(np.bool_(True)).scale
    out = seq2seq.beam_search_decode(model, task.x[:2], task.target_vocab,
                                     max_length=np.int64(3), beam_width=np.int64(2),
                                     alpha=np.float32(0.5), batch_size=np.int32(8))
    assert len(out) == 2
    assert seq2seq.greedy_decode(model, task.x[:2], task.target_vocab, max_length=np.int64(3))
    callback = seq2seq.ExactMatch(task, target=np.float32(0.5), every=np.int64(2))
    assert callback.target == 0.5 and callback.every == 2
    assert len(seq2seq.accuracy_by_length(seq2seq.targets(task), task,
                                          bins=np.array([0, 20, 40]))) >= 1
