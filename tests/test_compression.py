"""Compression: pruning masks and schedule, int8 quantizer = Keras, LiteRT export,
distillation loss = keras.distillation, and the argument checks."""

import math

import keras
import numpy as np
import pytest

from dlarch import compression as cp

RNG = np.random.default_rng(0)


def dense_model(units=(8, 6), inputs=5, seed=0):
    """A small MLP with random (non-zero) weights and biases, logits out."""
    rng = np.random.default_rng(seed)
    x = keras.Input((inputs,))
    h = keras.layers.Dense(units[0], activation="relu", name="hidden")(x)
    out = keras.layers.Dense(units[1], name="output")(h)
    model = keras.Model(x, out)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


# ---------------------------------------------------------------- pruning

@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.5, 0.9, 0.99])
def test_mask_keeps_exactly_the_largest_weights(sparsity):
    w = RNG.normal(size=(20, 15))
    mask = cp.magnitude_mask(w, sparsity)
    kept = w.size - round(sparsity * w.size)
    assert mask.sum() == kept
    if 0 < kept < w.size:
        assert np.abs(w[mask]).min() > np.abs(w[~mask]).max()


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, math.nan, True, "0.5"])
def test_sparsity_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ValueError, match="sparsity"):
        cp.magnitude_mask(np.ones(4), bad)


def test_global_threshold_prunes_small_layers_harder():
    big, small = RNG.normal(size=(30, 10)), 0.1 * RNG.normal(size=(10, 10))
    layer = cp.pruning_masks([big, small], 0.5, scope="layer")
    assert [m.mean() for m in layer] == [0.5, 0.5]
    glob = cp.pruning_masks([big, small], 0.5, scope="global")
    assert sum(m.sum() for m in glob) == 200
    assert glob[1].mean() < 0.2 < glob[0].mean()
    with pytest.raises(ValueError, match="scope must be one of"):
        cp.pruning_masks([big], 0.5, scope="per-filter")


def test_polynomial_schedule_follows_zhu_and_gupta():
    s = [cp.polynomial_sparsity(t, 0.9, begin_step=10, end_step=110) for t in range(0, 130)]
    assert s[0] == s[10] == 0.0 and s[110] == s[129] == pytest.approx(0.9)
    assert s[60] == pytest.approx(0.9 - 0.9 * 0.5 ** 3)
    assert all(b >= a for a, b in zip(s, s[1:]))
    with pytest.raises(ValueError, match="end_step"):
        cp.polynomial_sparsity(5, 0.9, begin_step=10, end_step=10)


def test_callback_reaches_final_sparsity_and_pruned_weights_stay_zero():
    keras.utils.set_random_seed(0)
    model = dense_model(units=(16, 3), inputs=6)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = RNG.normal(size=(64, 6)).astype("float32")
    y = RNG.integers(0, 3, 64)
    pruning = cp.MagnitudePruning(["hidden", "output"], 0.75, begin_step=2, end_step=20,
                                  frequency=3)
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[pruning])  # 24 steps
    kernels = [model.get_layer(n).kernel.numpy() for n in ("hidden", "output")]
    for kernel in kernels:
        assert np.mean(kernel == 0) == pytest.approx(0.75, abs=1 / kernel.size)
    assert pruning.history[-1] == (20, pytest.approx(0.75))
    masks = [m.copy() for m in pruning.masks]
    before = model.get_layer("hidden").kernel.numpy().copy()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[pruning])  # Adam keeps pushing
    after = model.get_layer("hidden").kernel.numpy()
    assert np.all(after[~masks[0]] == 0) and np.all(pruning.masks[0] == masks[0])
    assert not np.allclose(after[masks[0]], before[masks[0]])  # the kept weights still learn


def test_callback_checks_its_arguments():
    with pytest.raises(ValueError, match="layer_names"):
        cp.MagnitudePruning("hidden", 0.5, end_step=10)
    with pytest.raises(ValueError, match="sparsity"):
        cp.MagnitudePruning(["hidden"], 1.0, end_step=10)
    with pytest.raises(ValueError, match="scope"):
        cp.MagnitudePruning(["hidden"], 0.5, end_step=10, scope="filter")


def test_structured_pruning_equals_zeroing_the_dropped_units():
    model = dense_model(units=(8, 4))
    smaller = cp.prune_dense_units(model, "hidden", "output", keep=5)
    assert smaller.get_layer("hidden").kernel.shape == (5, 5)
    assert smaller.get_layer("output").kernel.shape == (5, 4)
    kernel = model.get_layer("hidden").kernel.numpy()
    dropped = np.argsort(-np.abs(kernel).sum(axis=0))[5:]
    out_kernel, out_bias = model.get_layer("output").get_weights()
    out_kernel[dropped] = 0  # the dropped units no longer reach the output
    model.get_layer("output").set_weights([out_kernel, out_bias])
    x = RNG.normal(size=(7, 5)).astype("float32")
    np.testing.assert_allclose(smaller.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="keep must be at most"):
        cp.prune_dense_units(model, "hidden", "output", keep=9)


# ---------------------------------------------------------------- quantization

def test_int8_quantizer_matches_what_keras_stores_and_computes():
    model = dense_model(units=(64, 4), inputs=1568)  # 100,352 weights: near-ties do occur
    layer = model.get_layer("hidden")
    layer.kernel.assign(RNG.uniform(-0.06, 0.06, size=(1568, 64)).astype("float32"))
    kernel, bias = (w.copy() for w in layer.get_weights())
    q, scale = cp.quantize_int8(kernel, axis=0)
    model.quantize("int8")
    np.testing.assert_array_equal(q, layer._kernel.numpy())
    # Keras stores the reciprocal: q = w · kernel_scale.
    np.testing.assert_allclose(1.0 / layer.kernel_scale.numpy(), scale, rtol=1e-5)
    assert np.all(np.abs(cp.dequantize_int8(q, scale) - kernel) <= scale / 2 * (1 + 1e-5))
    x = RNG.normal(size=(6, 1568)).astype("float32")
    expected = keras.ops.convert_to_numpy(layer(x))
    ours = np.maximum(cp.int8_dense(x, q, scale, bias), 0)  # the layer's relu
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_quantizer_rejects_bad_axis():
    with pytest.raises(ValueError, match="axis"):
        cp.quantize_int8(np.ones((3, 4)), axis=2)


def test_weight_bytes_shrinks_about_fourfold_under_int8():
    model = dense_model(units=(64, 10), inputs=128)
    before = cp.weight_bytes(model)
    model.quantize("int8")
    assert before / cp.weight_bytes(model) > 3.5


@pytest.mark.tensorflow_only(reason="LiteRT export needs the TensorFlow backend")
def test_litert_float32_equals_keras_and_int8_is_integer(tmp_path):
    model = dense_model(units=(16, 4), inputs=8)
    x = RNG.normal(size=(32, 8)).astype("float32")
    path = cp.export_litert(model, tmp_path / "m.tflite")
    lite = cp.LiteRTModel(path)
    np.testing.assert_allclose(lite.predict(x, batch_size=10), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    path8 = cp.export_litert(model, tmp_path / "m8.tflite", "int8", representative=x)
    lite8 = cp.LiteRTModel(path8)
    assert lite8.input["dtype"] == np.int8 and lite8.output["dtype"] == np.int8
    float_out, int8_out = model.predict(x, verbose=0), lite8.predict(x)
    assert np.mean(int8_out.argmax(1) == float_out.argmax(1)) >= 0.8
    # on average within one step of the int8 output grid
    assert np.abs(int8_out - float_out).mean() < lite8.output["quantization"][0]
    with pytest.raises(ValueError, match="mode must be one of"):
        cp.export_litert(model, tmp_path / "m.tflite", "int3")
    with pytest.raises(ValueError, match="representative"):
        cp.export_litert(model, tmp_path / "m.tflite", "int8")


def test_file_sizes_and_latency(tmp_path):
    zeros, noise = tmp_path / "zeros.bin", tmp_path / "noise.bin"
    zeros.write_bytes(bytes(10_000))
    noise.write_bytes(RNG.integers(0, 256, 10_000, dtype=np.uint8).tobytes())
    assert cp.file_sizes(zeros)[0] == 10_000 and cp.file_sizes(zeros)[1] < 200
    assert cp.file_sizes(noise)[1] > 9_000
    assert cp.latency_ms(lambda x: sum(x), [1, 2], repeats=3, warmup=1) > 0
    with pytest.raises(ValueError, match="path"):
        cp.file_sizes(tmp_path / "missing.bin")


def test_keras_file_without_optimizer_state_is_smaller(tmp_path):
    model = dense_model(units=(64, 10), inputs=400)
    model.compile(keras.optimizers.Adam(), "mse")
    model.fit(RNG.normal(size=(8, 400)), RNG.normal(size=(8, 10)), verbose=0)
    model.save(tmp_path / "trained.keras")
    with_state = cp.file_sizes(tmp_path / "trained.keras")[0]
    weights_only = cp.keras_file_sizes(model, tmp_path / "weights.keras")[0]
    assert with_state > 2.5 * weights_only  # weights + Adam's two moments
    reloaded = keras.saving.load_model(tmp_path / "weights.keras")
    x = RNG.normal(size=(3, 400)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ---------------------------------------------------------------- distillation

def logits_batch(seed, n=16, classes=10):
    rng = np.random.default_rng(seed)
    return (3 * rng.normal(size=(n, classes))).astype("float32")


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0, 8.0])
def test_soft_target_loss_equals_keras_logits_distillation(temperature):
    t, s = logits_batch(1), logits_batch(2)
    keras_loss = keras.distillation.LogitsDistillation(
        temperature=temperature, loss=keras.losses.KLDivergence())
    expected = float(keras_loss.compute_loss(t, s))
    assert cp.soft_target_loss(t, s, temperature) == pytest.approx(expected, rel=1e-5)


def test_default_string_loss_is_a_trap():
    """LogitsDistillation's default loss="kl_divergence" skips the softmax and T²."""
    t, s, temperature = logits_batch(3), logits_batch(4), 4.0
    default = float(keras.distillation.LogitsDistillation(temperature=temperature)
                    .compute_loss(t, s))
    correct = cp.soft_target_loss(t, s, temperature)
    assert default != pytest.approx(correct, rel=0.05)
    # What it computes instead: the KL formula on raw scaled logits, clipped to [ε, 1].
    raw = keras.ops.convert_to_numpy(
        keras.losses.kl_divergence(t / temperature, s / temperature)).mean()
    assert default == pytest.approx(float(raw), rel=1e-5)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_distillation_loss_equals_keras_distiller(weight):
    keras.utils.set_random_seed(0)
    teacher, student = dense_model(units=(8, 5), seed=1), dense_model(units=(4, 5), seed=2)
    distiller = cp.build_distiller(teacher, student, temperature=3.0, student_loss_weight=weight)
    distiller.compile(optimizer="adam",
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = RNG.normal(size=(12, 5)).astype("float32")
    y = RNG.integers(0, 5, 12)
    expected = float(distiller.compute_loss(x=x, y=y, y_pred=student(x), training=False))
    ours = cp.distillation_loss(y, teacher.predict(x, verbose=0), student.predict(x, verbose=0),
                                temperature=3.0, student_loss_weight=weight)
    assert ours == pytest.approx(expected, rel=1e-5)


def test_distillation_checks_temperature_and_output_shapes():
    t, s = logits_batch(5), logits_batch(6)
    for bad in (0, -1.0, math.nan):
        with pytest.raises(ValueError, match="temperature"):
            cp.soft_target_loss(t, s, bad)
    with pytest.raises(ValueError, match="same shape"):
        cp.soft_target_loss(t, s[:, :5], 2.0)
    with pytest.raises(ValueError, match="same shape of logits"):
        cp.build_distiller(dense_model(units=(8, 5)), dense_model(units=(8, 3)), temperature=2.0)
    with pytest.raises(ValueError, match="temperature"):
        cp.build_distiller(dense_model(), dense_model(), temperature=0.0)



def test_student_halves_every_width_of_the_teacher():
    from dlarch import cnn

    teacher = cnn.build_vgg(blocks=((16, 1), (32, 1)))
    student = cp.build_student()
    assert getattr(student, "optimizer", None) is None  # uncompiled
    assert [student.get_layer(n).filters for n in ("conv1", "conv2")] == [8, 16]
    assert student.get_layer("fc").units == 32
    logits = student.get_layer("logits")
    assert logits.units == 10 and logits.activation is keras.activations.linear
    assert student.outputs[0].shape == teacher.outputs[0].shape
    assert 0.2 < student.count_params() / teacher.count_params() < 0.3


@pytest.mark.parametrize("kwargs, name", [({"filters": ()}, "filters"),
                                          ({"filters": (8, 0)}, "filters"),
                                          ({"filters": "8"}, "filters"),
                                          ({"units": 0}, "units"),
                                          ({"num_classes": 1}, "num_classes")])
def test_student_rejects_bad_widths(kwargs, name):
    with pytest.raises(ValueError, match=name):
        cp.build_student(**kwargs)
