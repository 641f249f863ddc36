"""Tests for dlarch.transformer: from-scratch attention = Keras, masks, blocks, models, saving."""

import keras
import numpy as np
import pytest

from dlarch import transformer as T
from dlarch.data import CharVocab
from dlarch.data.palindromes import make_palindrome_task
from dlarch.neurons import value_and_gradients

ATOL = 1e-5


@pytest.fixture
def rng():
    keras.utils.set_random_seed(0)
    return np.random.default_rng(0)


def normal(rng, *shape):
    return rng.normal(size=shape).astype("float32")


def reference_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return weights @ v, weights


# --- scaled dot-product attention -------------------------------------------------------------


def test_scaled_dot_product_attention_matches_numpy(rng):
    q, k, v = normal(rng, 2, 3, 4), normal(rng, 2, 5, 4), normal(rng, 2, 5, 6)
    out, weights = T.scaled_dot_product_attention(q, k, v)
    ref_out, ref_weights = reference_attention(q, k, v)
    np.testing.assert_allclose(out, ref_out, atol=ATOL)
    np.testing.assert_allclose(weights, ref_weights, atol=ATOL)
    np.testing.assert_allclose(np.sum(weights, -1), 1.0, atol=ATOL)


def test_masked_positions_get_zero_weight(rng):
    q, k, v = normal(rng, 1, 3, 4), normal(rng, 1, 5, 4), normal(rng, 1, 5, 2)
    mask = np.array([[[True, True, False, True, False]]])
    out, weights = T.scaled_dot_product_attention(q, k, v, mask)
    weights = np.asarray(weights)
    assert np.all(weights[..., [2, 4]] == 0)
    np.testing.assert_allclose(out, reference_attention(q, k, v, mask)[0], atol=ATOL)
    # hidden keys cannot influence the output, whatever their values
    v2 = v.copy()
    v2[:, [2, 4]] = 100.0
    np.testing.assert_allclose(T.scaled_dot_product_attention(q, k, v2, mask)[0], out, atol=ATOL)


@pytest.mark.parametrize("shapes", [((1, 3, 4), (1, 5, 3), (1, 5, 2)),
                                    ((1, 3, 4), (1, 5, 4), (1, 6, 2)),
                                    ((3, 4), (1, 5, 4), (1, 5, 2))])
def test_attention_rejects_mismatched_shapes(rng, shapes):
    with pytest.raises(ValueError):
        T.scaled_dot_product_attention(*(normal(rng, *s) for s in shapes))


def test_causal_mask():
    mask = T.causal_mask(4)
    assert mask.shape == (4, 4) and mask.dtype == bool
    np.testing.assert_array_equal(mask, np.tril(np.ones((4, 4), bool)))
    assert mask[0].sum() == 1 and mask[3].sum() == 4
    with pytest.raises(ValueError, match="length"):
        T.causal_mask(0)


def test_padding_mask():
    mask = np.asarray(T.padding_mask(np.array([[5, 3, 0, 0], [4, 0, 0, 0]])))
    assert mask.shape == (2, 1, 4)
    np.testing.assert_array_equal(mask[:, 0], [[1, 1, 0, 0], [1, 0, 0, 0]])


# --- multi-head attention = keras.layers.MultiHeadAttention -----------------------------------


def twins(query, value, key=None, num_heads=2, key_dim=4, value_dim=None):
    """Our layer and Keras's, built on the same shapes and holding the same weights."""
    theirs = keras.layers.MultiHeadAttention(num_heads, key_dim, value_dim=value_dim)
    ours = T.MultiHeadAttention(num_heads, key_dim, value_dim=value_dim)
    theirs(query, value, key)
    ours(query, value, key)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    # random weights AND biases (Keras initialises biases to zero, which would hide bias bugs)
    rng = np.random.default_rng(7)
    theirs.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                        for w in theirs.get_weights()])
    assert all(np.abs(w).max() > 0 for w in theirs.get_weights())
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def assert_same(ours, theirs, *args, **kwargs):
    a, a_scores = ours(*args, return_attention_scores=True, **kwargs)
    b, b_scores = theirs(*args, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(a, b, atol=ATOL)
    np.testing.assert_allclose(a_scores, b_scores, atol=ATOL)


def test_self_attention_equals_keras(rng):
    x = normal(rng, 3, 6, 8)
    ours, theirs = twins(x, x)
    assert_same(ours, theirs, x, x)


@pytest.mark.tensorflow_only(reason="keras.layers.MultiHeadAttention fails on JAX when key and value widths differ")
def test_cross_attention_with_mask_equals_keras(rng):
    query, value, key = normal(rng, 2, 4, 8), normal(rng, 2, 7, 6), normal(rng, 2, 7, 5)
    ours, theirs = twins(query, value, key, num_heads=3, key_dim=5, value_dim=3)
    mask = rng.random((2, 4, 7)) > 0.4
    assert_same(ours, theirs, query, value, key, attention_mask=mask)
    # a padding mask (B, 1, S) broadcasts over the queries
    pad = np.ones((2, 1, 7), bool)
    pad[0, 0, 5:] = False
    assert_same(ours, theirs, query, value, key, attention_mask=np.repeat(pad, 4, axis=1))
    np.testing.assert_allclose(ours(query, value, key, attention_mask=pad),
                               theirs(query, value, key, attention_mask=np.repeat(pad, 4, 1)),
                               atol=ATOL)


def test_causal_self_attention_equals_keras(rng):
    x = normal(rng, 2, 5, 8)
    ours, theirs = twins(x, x)
    assert_same(ours, theirs, x, x, use_causal_mask=True)
    mask = rng.random((2, 5, 5)) > 0.3
    assert_same(ours, theirs, x, x, attention_mask=mask, use_causal_mask=True)
    _, scores = ours(x, x, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.asarray(scores), k=1) == 0)


def test_the_comparison_can_fail(rng):
    x = normal(rng, 2, 5, 8)
    ours, theirs = twins(x, x)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(ours(x, x, use_causal_mask=True), theirs(x, x), atol=ATOL)


def test_gradients_equal_keras(rng):
    x = normal(rng, 2, 5, 8)
    ours, theirs = twins(x, x)
    grads = []
    for layer in (ours, theirs):
        _, _, layer_grads = value_and_gradients(
            lambda x: (keras.ops.sum(layer(x, x, use_causal_mask=True) ** 2), None),
            [x], layer.trainable_weights)
        grads.append([keras.ops.convert_to_numpy(g) for g in layer_grads])
    assert len(grads[0]) == len(grads[1]) > 1
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, atol=1e-4)


BAD_COUNTS = [0, -1, 2.5, float("nan"), float("inf"), True, "4", None]
BAD_RATES = [-0.1, 1.0, 1.5, float("nan"), float("inf"), "0.1", None]


@pytest.mark.parametrize("name", ["num_heads", "key_dim", "value_dim"])
@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_multi_head_attention_rejects_bad_sizes(name, bad):
    if name == "value_dim" and bad is None:
        return  # None means "same as key_dim"
    kwargs = {"num_heads": 2, "key_dim": 4, name: bad}
    with pytest.raises(ValueError, match=name):
        T.MultiHeadAttention(**kwargs)


@pytest.mark.parametrize("bad", BAD_RATES)
def test_multi_head_attention_rejects_bad_dropout(bad):
    with pytest.raises(ValueError, match="dropout"):
        T.MultiHeadAttention(2, 4, dropout=bad)


# --- positions and embeddings ------------------------------------------------------------------


def test_positional_encoding_values():
    pe = T.positional_encoding(50, 16)
    assert pe.shape == (50, 16) and pe.dtype == np.float32
    np.testing.assert_allclose(pe[0], np.tile([0.0, 1.0], 8), atol=1e-7)
    np.testing.assert_allclose(pe[7, 0], np.sin(7.0), atol=1e-6)
    np.testing.assert_allclose(pe[7, 3], np.cos(7.0 / 10000 ** (2 / 16)), atol=1e-6)
    assert np.all(np.abs(pe) <= 1.0)
    for bad in [(0, 16), (10, 15), (10, -2)]:
        with pytest.raises(ValueError):
            T.positional_encoding(*bad)


def test_positional_embedding(rng):
    layer = T.PositionalEmbedding(10, 8, 16)
    ids = rng.integers(0, 10, (2, 5))
    out = np.asarray(layer(ids))
    assert out.shape == (2, 5, 16)
    table = layer.embedding.get_weights()[0]
    np.testing.assert_allclose(out, table[ids] * 4.0 + T.positional_encoding(8, 16)[:5], atol=ATOL)
    with pytest.raises(ValueError, match="max_length"):
        T.PositionalEmbedding(10, 4, 16)(rng.integers(0, 10, (2, 5)))


def test_patch_embedding_equals_strided_conv(rng):
    images = normal(rng, 2, 8, 12, 3)
    layer = T.PatchEmbedding(4, 5)
    out = np.asarray(layer(images))
    assert out.shape == (2, 1 + 2 * 3, 5)
    patches = np.asarray(layer.patches(images))
    np.testing.assert_allclose(patches[0, 4], images[0, 4:8, 4:8].reshape(-1))
    conv = keras.layers.Conv2D(5, 4, strides=4)
    conv(images)
    kernel, bias = layer.projection.get_weights()
    conv.set_weights([kernel.reshape(4, 4, 3, 5), bias])
    expected = np.asarray(conv(images)).reshape(2, 6, 5) + np.asarray(layer.positions)[:, 1:]
    np.testing.assert_allclose(out[:, 1:], expected, atol=ATOL)
    with pytest.raises(ValueError, match="divisible"):
        T.PatchEmbedding(5, 8)(images)


# --- blocks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_ignores_padding(rng, norm_first):
    block = T.EncoderBlock(8, 2, 16, dropout=0.0, norm_first=norm_first)
    x = normal(rng, 1, 4, 8)
    padded = np.concatenate([x, normal(rng, 1, 3, 8)], axis=1)
    mask = np.array([[[True] * 4 + [False] * 3]])
    y_padded, scores = block(padded, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(y_padded[:, :4], block(x), atol=ATOL)
    assert scores.shape == (1, 2, 7, 7)
    assert np.all(np.asarray(scores)[..., 4:] == 0)


def test_decoder_block_is_causal(rng):
    block = T.DecoderBlock(8, 2, 16, dropout=0.0)
    x, context = normal(rng, 1, 5, 8), normal(rng, 1, 6, 8)
    changed = x.copy()
    changed[:, 3:] += 10.0  # change the future of position 2
    a, b = np.asarray(block(x, context)), np.asarray(block(changed, context))
    np.testing.assert_allclose(a[:, :3], b[:, :3], atol=ATOL)
    assert not np.allclose(a[:, 3:], b[:, 3:])
    y, self_scores, cross_scores = block(x, context, return_attention_scores=True)
    assert y.shape == (1, 5, 8) and self_scores.shape == (1, 2, 5, 5)
    assert cross_scores.shape == (1, 2, 5, 6)


def test_blocks_reject_bad_arguments(rng):
    with pytest.raises(ValueError, match="divisible"):
        T.EncoderBlock(10, 3, 16)
    with pytest.raises(ValueError, match="d_ff"):
        T.DecoderBlock(8, 2, 0)
    with pytest.raises(ValueError, match="d_model"):
        T.EncoderBlock(8, 2, 16)(normal(rng, 1, 3, 6))
    with pytest.raises(ValueError, match="context"):
        T.DecoderBlock(8, 2, 16)(normal(rng, 1, 3, 8))
    gpt_block = T.DecoderBlock(8, 2, 16, cross_attention=False)
    assert gpt_block(normal(rng, 1, 3, 8)).shape == (1, 3, 8)


# --- models and saving -------------------------------------------------------------------------


def round_trip(model, inputs, tmp_path):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0),
                               model.predict(inputs, verbose=0), atol=ATOL)
    return loaded


def test_transformer_shapes_and_round_trip(rng, tmp_path):
    model = T.build_transformer(12, 9, 10, 6, d_model=16, num_heads=2, d_ff=32, num_layers=2)
    source, target = rng.integers(0, 12, (3, 10)), rng.integers(1, 9, (3, 6))
    assert model([source, target]).shape == (3, 6, 9)
    loaded = round_trip(model, [source, target], tmp_path)
    maps = T.attention_maps(loaded, [source, target])
    assert sorted(maps) == ["decoder_0/cross", "decoder_0/self", "decoder_1/cross",
                            "decoder_1/self", "encoder_0/self", "encoder_1/self"]
    assert maps["decoder_1/cross"].shape == (3, 2, 6, 10)


def test_gpt_sampling_and_round_trip(rng, tmp_path):
    vocab = CharVocab("abc ")
    model = T.build_gpt(len(vocab), 8, d_model=16, num_heads=2, d_ff=32, num_layers=1)
    ids = rng.integers(3, len(vocab), (2, 8))
    assert model(ids).shape == (2, 8, len(vocab))
    assert model(ids[:, :3]).shape == (2, 3, len(vocab))
    loaded = round_trip(model, ids, tmp_path)
    text = T.sample_text(loaded, vocab, "ab", 12, seed=1)
    assert len(text) == 14 and text.startswith("ab") and set(text) <= set("abc ")
    assert text == T.sample_text(loaded, vocab, "ab", 12, seed=1)
    for kwargs, match in [({"temperature": 0}, "temperature"),
                          ({"temperature": float("nan")}, "temperature"),
                          ({"max_length": 0}, "max_length"), ({"max_length": 9}, "max_length"),
                          ({"n_chars": 0}, "n_chars"), ({"prompt": ""}, "prompt"),
                          ({"prompt": ["ab"]}, "prompt"), ({"seed": -1}, "seed")]:
        with pytest.raises(ValueError, match=match):
            T.sample_text(loaded, vocab, **{"prompt": "ab", "n_chars": 3, **kwargs})
    with pytest.raises(ValueError, match="vocab"):
        T.sample_text(loaded, CharVocab("abcdefgh"), "ab", 3)
    assert len(T.sample_text(loaded, vocab, "ab", np.int64(3), temperature=np.float32(0.5),
                             max_length=np.int64(4))) == 5


def test_next_token_logits_equal_the_model_on_the_unpadded_context(rng):
    model = T.build_gpt(7, 10, d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.0)
    for length in (1, 4, 10):
        context = rng.integers(3, 7, length)
        expected = np.asarray(model(context[None], training=False))[0, -1]
        got = T.next_token_logits(model, context, 10, pad_id=0)
        np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match="context"):
        T.next_token_logits(model, np.arange(11) % 7, 10, pad_id=0)


def test_encoder_classifier_and_vit_round_trip(rng, tmp_path):
    clf = T.build_encoder_classifier(7, 9, 2, d_model=16, num_heads=2, d_ff=32, num_layers=1)
    ids = rng.integers(0, 7, (4, 9))
    assert clf(ids).shape == (4, 2)
    round_trip(clf, ids, tmp_path)
    vit = T.build_vit((8, 8, 1), 3, patch_size=4, d_model=16, num_heads=2, d_ff=32,
                      num_layers=1)
    images = normal(rng, 2, 8, 8, 1)
    assert vit(images).shape == (2, 3)
    loaded = round_trip(vit, images, tmp_path)
    assert T.attention_maps(loaded, images)["encoder_0/self"].shape == (2, 2, 5, 5)


def _gpt(rng):
    model = T.build_gpt(9, 8, d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.0)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def test_transformer_is_causal_in_the_target(rng):
    """Changing a future target token never changes an earlier output, through the whole model."""
    model = T.build_transformer(12, 9, 10, 6, d_model=16, num_heads=2, d_ff=32, num_layers=2,
                                dropout=0.0)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    source, target = rng.integers(1, 12, (3, 10)), rng.integers(1, 9, (3, 6))
    base = np.asarray(model([source, target]))
    for t in range(6):
        changed = target.copy()
        changed[:, t] = (changed[:, t] % 8) + 1  # another non-padding token
        out = np.asarray(model([source, changed]))
        np.testing.assert_allclose(out[:, :t], base[:, :t], atol=ATOL)
        assert not np.allclose(out[:, t:], base[:, t:], atol=ATOL)  # the change is seen from t on
    # ...while every output depends on every source token
    changed = source.copy()
    changed[:, -1] = (changed[:, -1] % 11) + 1
    assert not np.allclose(np.asarray(model([changed, target]))[:, 0], base[:, 0], atol=ATOL)


def test_gpt_is_causal(rng):
    model = _gpt(rng)
    ids = rng.integers(3, 9, (2, 8))
    base = np.asarray(model(ids))
    for t in range(8):
        changed = ids.copy()
        changed[:, t] = np.where(changed[:, t] == 3, 4, 3)
        out = np.asarray(model(changed))
        np.testing.assert_allclose(out[:, :t], base[:, :t], atol=ATOL)
        assert not np.allclose(out[:, t], base[:, t], atol=ATOL)
    # a prefix alone gives the same outputs as inside the longer window
    np.testing.assert_allclose(np.asarray(model(ids[:, :3])), base[:, :3], atol=ATOL)


def test_the_causality_check_can_fail(rng):
    """A bidirectional encoder is not causal, and the same comparison notices."""
    model = T.build_encoder_classifier(9, 8, 2, d_model=16, num_heads=2, d_ff=32,
                                       num_layers=1, dropout=0.0)
    mlm = T.build_masked_lm(9, 8, d_model=16, num_heads=2, d_ff=32, num_layers=1, dropout=0.0)
    ids = rng.integers(3, 9, (2, 8))
    changed = ids.copy()
    changed[:, -1] = np.where(changed[:, -1] == 3, 4, 3)
    assert not np.allclose(np.asarray(mlm(ids))[:, 0], np.asarray(mlm(changed))[:, 0], atol=ATOL)
    assert model(ids).shape == (2, 2)


def test_builders_return_uncompiled_logit_models(rng):
    for model in (T.build_transformer(12, 9, 10, 6, d_model=16, num_heads=2, d_ff=32),
                  _gpt(rng), T.build_encoder_classifier(7, 9, 2, d_model=16, num_heads=2),
                  T.build_masked_lm(7, 9, d_model=16, num_heads=2),
                  T.build_vit((8, 8, 1), 3, patch_size=4, d_model=16, num_heads=2)):
        assert not model.compiled
        assert model.layers[-1].get_config().get("activation") in (None, "linear")


def test_mask_tokens_follows_bert(rng):
    ids = np.concatenate([np.ones((2000, 1), int), rng.integers(3, 9, (2000, 12))], axis=1)
    ids[:, -2:] = 0  # padding
    inputs, targets, weights = T.mask_tokens(ids, mask_id=9, vocab_size=10, rate=0.15,
                                             protected=(0, 1), seed=0)
    np.testing.assert_array_equal(targets, ids)
    picked = weights == 1.0
    assert not picked[:, 0].any() and not picked[:, -2:].any()  # [CLS] and padding never picked
    assert abs(picked[:, 1:-2].mean() - 0.15) < 0.01
    np.testing.assert_array_equal(inputs[~picked], ids[~picked])  # the rest is untouched
    share_masked = np.mean(inputs[picked] == 9)
    share_kept = np.mean(inputs[picked] == ids[picked])
    assert abs(share_masked - 0.8) < 0.03 and 0.08 < share_kept < 0.16  # 10 % + random hits
    for kwargs, match in [({"mask_id": 10}, "mask_id"), ({"rate": 0.0}, "rate"),
                          ({"rate": float("nan")}, "rate"),
                          ({"vocab_size": 5, "mask_id": 4}, "ids")]:
        with pytest.raises(ValueError, match=match):
            T.mask_tokens(ids, **{"mask_id": 9, "vocab_size": 10, **kwargs})


def test_copy_weights_moves_the_pretrained_encoder(rng):
    kwargs = dict(d_model=16, num_heads=2, d_ff=32, num_layers=1, dropout=0.0)
    mlm, clf = T.build_masked_lm(9, 8, **kwargs), T.build_encoder_classifier(9, 8, 2, **kwargs)
    names = T.copy_weights(mlm, clf, ["embedding", "encoder_0"])
    assert names == ["embedding", "encoder_0"]
    for name in names:
        for a, b in zip(mlm.get_layer(name).get_weights(), clf.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="logits"):
        T.copy_weights(mlm, clf, ["logits"])


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="num_layers"):
        T.build_transformer(10, 10, 8, 8, num_layers=0)
    with pytest.raises(ValueError, match="num_classes"):
        T.build_encoder_classifier(10, 8, 1)
    with pytest.raises(ValueError, match="image_shape"):
        T.build_vit((28, 28), 10)
    with pytest.raises(ValueError, match="no EncoderBlock"):
        T.attention_maps(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]),
                         np.zeros((1, 3)))


def test_layers_survive_get_config():
    for layer in (T.MultiHeadAttention(2, 4, value_dim=3, dropout=0.1),
                  T.PositionalEmbedding(10, 8, 16), T.PaddingMask(pad_id=2),
                  T.PatchEmbedding(4, 8), T.EncoderBlock(8, 2, 16, norm_first=True),
                  T.DecoderBlock(8, 2, 16, cross_attention=False), T.ClassToken()):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


# --- the palindrome task -----------------------------------------------------------------------


def test_palindrome_task():
    task = make_palindrome_task(400, length=10, seed=3)
    assert task.x.shape == (400, 11) and np.all(task.x[:, 0] == task.vocab.start_id)
    assert 0.4 < task.y.mean() < 0.6
    for text, label in zip(task.texts, task.y):
        assert len(text) == 10 and (text == text[::-1]) == bool(label)
    # both classes have palindromic character counts (all even for even length): only order
    # separates them
    from collections import Counter
    assert all(all(c % 2 == 0 for c in Counter(t).values()) for t in task.texts)
    assert make_palindrome_task(50, seed=3).texts == make_palindrome_task(50, seed=3).texts
    for bad in [dict(n=0), dict(n=5, length=3), dict(n=5, alphabet="aa")]:
        with pytest.raises(ValueError):
            make_palindrome_task(**bad)


# --- bad input: a table per public function ------------------------------------------------------


@pytest.mark.parametrize("builder, sizes", [
    (T.build_transformer, ["source_vocab_size", "target_vocab_size", "source_length",
                           "target_length", "d_ff", "num_layers", "num_heads", "d_model"]),
    (T.build_gpt, ["vocab_size", "max_length", "d_ff", "num_layers", "num_heads", "d_model"]),
    (T.build_encoder_classifier, ["vocab_size", "length", "d_ff", "num_layers", "num_heads",
                                  "d_model"]),
    (T.build_masked_lm, ["vocab_size", "length", "d_ff", "num_layers", "num_heads", "d_model"]),
])
@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_text_builders_reject_bad_sizes(builder, sizes, bad):
    valid = {"source_vocab_size": 10, "target_vocab_size": 10, "source_length": 8,
             "target_length": 8, "vocab_size": 10, "max_length": 8, "length": 8,
             "num_classes": 2}
    import inspect
    params = inspect.signature(builder).parameters
    positional = {k: v for k, v in valid.items() if k in params}
    for name in sizes:
        kwargs = {**positional, "d_model": 8, "num_heads": 2, name: bad}
        with pytest.raises(ValueError, match=name):
            builder(**kwargs)


@pytest.mark.parametrize("bad", BAD_RATES)
def test_builders_reject_bad_dropout(bad):
    with pytest.raises(ValueError, match="dropout"):
        T.build_gpt(10, 8, d_model=8, num_heads=2, dropout=bad)
    with pytest.raises(ValueError, match="dropout"):
        T.build_vit((8, 8, 1), 3, patch_size=4, d_model=8, num_heads=2, dropout=bad)


@pytest.mark.parametrize("bad", [1, 0, 2.5, float("nan"), True, "2"])
def test_classifiers_reject_bad_num_classes(bad):
    with pytest.raises(ValueError, match="num_classes"):
        T.build_encoder_classifier(10, 8, bad, d_model=8, num_heads=2)
    with pytest.raises(ValueError, match="num_classes"):
        T.build_vit((8, 8, 1), bad, patch_size=4, d_model=8, num_heads=2)


@pytest.mark.parametrize("bad", [(28, 28), "28x28", (28, 0, 1), (28, 28, float("nan")), 28])
def test_vit_rejects_bad_image_shape(bad):
    with pytest.raises(ValueError, match="image_shape"):
        T.build_vit(bad, 10)


@pytest.mark.parametrize("call, match", [
    (lambda: T.positional_encoding(float("nan"), 8), "length"),
    (lambda: T.positional_encoding(8, True), "depth"),
    (lambda: T.causal_mask(2.0), "length"),
    (lambda: T.PositionalEmbedding(0, 8, 8), "vocab_size"),
    (lambda: T.PositionalEmbedding(10, float("inf"), 8), "max_length"),
    (lambda: T.PaddingMask(pad_id=-1), "pad_id"),
    (lambda: T.PaddingMask(pad_id=0.5), "pad_id"),
    (lambda: T.PatchEmbedding(0, 8), "patch_size"),
    (lambda: T.PatchEmbedding(4, float("nan")), "d_model"),
    (lambda: T.EncoderBlock(8, 2, 16, dropout=float("nan")), "dropout"),
    (lambda: T.DecoderBlock(8, 0, 16), "num_heads"),
    (lambda: T.EncoderBlock(8.0, 2, 16), "d_model"),
])
def test_layers_reject_bad_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_numpy_scalars_are_accepted():
    layer = T.MultiHeadAttention(np.int64(2), np.int32(4), value_dim=np.int64(3),
                                 dropout=np.float32(0.1))
    assert (layer.num_heads, layer.key_dim, layer.value_dim) == (2, 4, 3)
    assert isinstance(layer.dropout, float)
    block = T.EncoderBlock(np.int64(8), np.int64(2), np.int64(16), dropout=np.float64(0.0))
    assert block.d_model == 8 and type(block.d_model) is int
    model = T.build_gpt(np.int64(9), np.int64(8), d_model=np.int64(16), num_heads=np.int64(2),
                        d_ff=np.int64(32), num_layers=np.int64(1), dropout=np.float32(0.0))
    assert model(np.zeros((1, 3), "int32")).shape == (1, 3, 9)
    assert T.positional_encoding(np.int64(4), np.int64(8)).shape == (4, 8)
