"""Chapter 10: the comparison builders, the sequence tasks, the step timer, sharpness."""

import keras
import numpy as np
import pytest

from dlarch import choosing
from dlarch.data import first_token_task, motif_task


def contains(row, motif):
    return any(list(row[i:i + len(motif)]) == list(motif) for i in range(len(row) - len(motif) + 1))


def test_motif_task_labels_are_true_and_balanced():
    x, y = motif_task(400, 12, seed=3)
    assert x.shape == (400, 12) and x.dtype == np.int32 and y.mean() == 0.5
    assert all(contains(row, (1, 2, 3)) == bool(label) for row, label in zip(x, y))
    again = motif_task(400, 12, seed=3)
    np.testing.assert_array_equal(x, again[0])


def test_motif_task_has_no_counting_shortcut():
    # Both classes hold the motif's tokens equally often: only their order differs.
    x, y = motif_task(4_000, 16, seed=0)
    counts = np.stack([(x == token).sum(axis=1) for token in range(8)], axis=1)
    gap = np.abs(counts[y == 1].mean(axis=0) - counts[y == 0].mean(axis=0))
    assert gap.max() < 0.1, gap


def test_first_token_task_depends_on_the_first_token_only():
    x, y = first_token_task(600, 20, vocab_size=8, seed=1)
    np.testing.assert_array_equal(y, (x[:, 0] >= 4).astype(int))
    assert y.mean() == 0.5
    # the rest of the sequence carries no information about the label
    assert abs(np.corrcoef(x[:, 1:].mean(axis=1), y)[0, 1]) < 0.15


@pytest.mark.parametrize("call,match", [
    (lambda: motif_task(0, 10), "n must be"),
    (lambda: motif_task(10, 2), "length must be an integer ≥ 3"),
    (lambda: motif_task(10, 10, motif=(1, 9)), "motif must be"),
    (lambda: motif_task(10, 10, motif=(2, 2)), "every order"),
    (lambda: first_token_task(10, 1), "length"),
    (lambda: first_token_task(10, 5, vocab_size=1), "vocab_size"),
    (lambda: choosing.build_sequence_classifier("rnn", 8, 10), "kind must be one of"),
    (lambda: choosing.build_sequence_classifier("gru", 8, 0), "length"),
    (lambda: choosing.build_mlp_classifier(num_classes=1), "num_classes"),
    (lambda: choosing.build_mlp_classifier(dropout=float("nan")), "dropout"),
    (lambda: choosing.sharpness(np.zeros((2, 2, 2))), "at least 3x3"),
    (lambda: choosing.sharpness(np.zeros((2, 5))), "rank"),
])
def test_bad_arguments_name_themselves(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("kind", choosing.SEQUENCE_KINDS)
def test_every_sequence_kind_returns_uncompiled_logits(kind):
    model = choosing.build_sequence_classifier(kind, np.int64(8), 20, width=8)
    assert not model.compiled
    out = model(np.zeros((3, 20), dtype="int32"))
    assert out.shape == (3, 2)
    # logits, not probabilities: rows need not sum to one
    assert not np.allclose(keras.ops.convert_to_numpy(keras.ops.sum(out, axis=-1)), 1.0)


def test_window_mlp_sees_only_the_window():
    model = choosing.build_sequence_classifier("window_mlp", 8, 20, width=8, window=5)
    x = np.random.default_rng(0).integers(0, 8, size=(4, 20)).astype("int32")
    changed = x.copy()
    changed[:, :15] = (changed[:, :15] + 1) % 8        # outside the last 5 tokens
    np.testing.assert_allclose(model(x), model(changed), atol=1e-6)
    changed[:, -1] = (changed[:, -1] + 1) % 8           # inside the window
    assert not np.allclose(model(x), model(changed))


def test_seconds_per_step_needs_a_compiled_model_and_excludes_tracing():
    model = choosing.build_mlp_classifier((4,), 2, widths=(8,))
    x, y = np.random.rand(32, 4).astype("float32"), np.arange(32) % 2
    with pytest.raises(ValueError, match="compiled"):
        choosing.seconds_per_step(model, x, y, steps=3)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    per_step, first = choosing.seconds_per_step(model, x, y, steps=5, batch_size=8)
    assert 0 < per_step < first
    with pytest.raises(ValueError, match="steps"):
        choosing.seconds_per_step(model, x, y, steps=1)


def test_sharpness_ranks_crisp_above_blurred():
    rng = np.random.default_rng(0)
    crisp = (rng.random((5, 16, 16, 1)) > 0.5).astype("float32")
    blurred = (crisp + np.roll(crisp, 1, axis=1) + np.roll(crisp, 1, axis=2)
               + np.roll(crisp, 1, axis=(1, 2))) / 4
    assert np.all(choosing.sharpness(crisp) > choosing.sharpness(blurred))
    assert np.allclose(choosing.sharpness(np.full((2, 8, 8), 0.3)), 0.0)


def test_vit_multiply_adds_match_the_model_it_describes():
    from dlarch.transformer import build_vit

    model = build_vit((28, 28, 1), 10, patch_size=7, d_model=64, d_ff=128, num_layers=2)
    tokens, patches = 17, 16
    per_token = per_patch = head = 0
    for weight in model.weights:
        if "kernel" not in weight.path:
            continue
        size = int(np.prod(weight.shape))
        if "patch_embedding" in weight.path:
            per_patch += size
        elif "encoder_" in weight.path:
            per_token += size            # every projection and feed-forward kernel, once per token
        else:
            head += size
    attention = 2 * 2 * tokens ** 2 * 64  # QK^T and the weighted sum, two blocks
    assert choosing.vit_multiply_adds() == patches * per_patch + tokens * per_token + attention + head
    with pytest.raises(ValueError, match="must divide"):
        choosing.vit_multiply_adds(patch_size=5)


def test_paired_difference_and_its_standard_error():
    rng = np.random.default_rng(0)
    a, b = rng.random(500) < 0.8, rng.random(500) < 0.7
    difference, se = choosing.paired_accuracy_difference(a, b)
    per_example = a.astype(float) - b.astype(float)
    assert difference == pytest.approx(a.mean() - b.mean())
    # the standard error of the mean of the per-example differences
    assert se == pytest.approx(per_example.std() / np.sqrt(500))
    # agreement everywhere: the floor of one disagreement, not zero
    assert choosing.paired_accuracy_difference(a, a) == (0.0, pytest.approx(1 / 500))
    with pytest.raises(ValueError, match="one length"):
        choosing.paired_accuracy_difference(a, b[:10])
    with pytest.raises(ValueError, match="correct_b must hold True/False or 0/1"):
        choosing.paired_accuracy_difference([1, 0], [0.5, 1])
