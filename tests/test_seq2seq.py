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
    ({"embed_dim": 2.5}, "embed_dim"), ({"learning_rate": -1.0}, "learning_rate"),
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
    greedy = seq2seq.greedy_decode(model, task.x, task.target_vocab)
    beam = seq2seq.beam_search_decode(model, task.x, task.target_vocab, beam_width=1)
    assert greedy == beam
    assert len(greedy) == len(task.x) and all(len(text) <= 11 for text in greedy)


def test_greedy_decoding_follows_the_model_step_by_step(models, task):
    """Feeding the greedy output back under teacher forcing reproduces it as the argmax."""
    model = models["additive"]
    greedy = seq2seq.greedy_decode(model, task.x, task.target_vocab)
    y_in = seq2seq.decoder_inputs(greedy, task.target_vocab)
    logits = model.predict([task.x, y_in], verbose=0)
    logits[..., [task.target_vocab.pad_id, task.target_vocab.start_id]] = -np.inf
    argmax = logits.argmax(-1)
    assert [task.target_vocab.decode(row) for row in argmax] == greedy


def test_beam_search_beams_are_sorted_and_never_worse_than_greedy(models, task):
    model = models["dot"]
    x = task.x[:6]
    beams = seq2seq.beam_search_decode(model, x, task.target_vocab, beam_width=4,
                                       return_beams=True)
    greedy_score = seq2seq.beam_search_decode(model, x, task.target_vocab, beam_width=1,
                                              return_beams=True)
    for example, (_, g_score) in zip(beams, (b[0] for b in greedy_score)):
        scores = [score for _, score in example]
        assert len(example) == 4 and scores == sorted(scores, reverse=True)
        assert scores[0] >= g_score - 1e-9
        assert len({text for text, _ in example}) == 4  # no duplicated hypotheses


def test_decoders_reject_bad_arguments(models, task):
    model = models[None]
    with pytest.raises(ValueError, match="beam_width"):
        seq2seq.beam_search_decode(model, task.x, task.target_vocab, beam_width=0)
    with pytest.raises(ValueError, match="max_length"):
        seq2seq.greedy_decode(model, task.x, task.target_vocab, max_length=0)
    with pytest.raises(ValueError, match="x must be"):
        seq2seq.greedy_decode(model, task.x[0], task.target_vocab)
    with pytest.raises(ValueError, match="target_vocab"):
        seq2seq.greedy_decode(model, task.x, "0123456789-")
    with pytest.raises(ValueError, match="no layer named 'attention'"):
        seq2seq.attention_weights(model, task.x, task.y_in)


def test_exact_match_and_accuracy_by_length(task):
    refs = seq2seq.targets(task)
    assert seq2seq.exact_match(refs, task) == 1.0
    wrong = ["0000-00-00"] * 3 + refs[3:]
    assert seq2seq.exact_match(wrong, task) == pytest.approx(1 - 3 / len(refs))
    table = seq2seq.accuracy_by_length(wrong, task)
    assert table["n"].sum() == len(refs)
    assert (table["accuracy"] * table["n"]).sum() == pytest.approx(len(refs) - 3)
    with pytest.raises(ValueError, match="predictions"):
        seq2seq.exact_match(refs[:-1], task)
    with pytest.raises(ValueError, match="bins"):
        seq2seq.accuracy_by_length(refs, task, bins=(10, 5))


def test_exact_match_callback_stops_at_target(task):
    model = seq2seq.build_seq2seq(len(task.source_vocab), len(task.target_vocab), units=8,
                                  embed_dim=4)
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
