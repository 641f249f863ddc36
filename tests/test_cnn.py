"""Tests of dlarch.cnn: from-scratch convolution and pooling equal Keras, sizes,
counts, and every builder's contract (uncompiled, logits out), shapes and .keras round trip."""

import keras
import numpy as np
import pytest

from dlarch import cnn


def test_lenet5_is_uncompiled_outputs_logits_and_round_trips(tmp_path):
    model = cnn.build_lenet5()
    assert not model.compiled
    assert model.get_layer("logits").activation is keras.activations.linear
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    logits = model.predict(x, verbose=0)
    assert logits.shape == (3, 10)
    assert not np.allclose(logits.sum(axis=1), 1.0, atol=1e-3)  # not probabilities
    assert model.count_params() == 61_706
    path = tmp_path / "lenet5.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), logits, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(input_shape=(8, 8, 1)), dict(input_shape=(28, 28)),
                                    dict(num_classes=1), dict(num_classes=2.5)])
def test_lenet5_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        cnn.build_lenet5(**kwargs)


RNG = np.random.default_rng(42)

CONV_CASES = [  # (H, W, C, K, kernel, strides, padding)
    (5, 5, 1, 1, 3, 1, "valid"),
    (5, 5, 1, 2, 3, 1, "same"),
    (7, 6, 3, 4, 3, 2, "valid"),
    (7, 6, 3, 4, 3, 2, "same"),
    (8, 8, 2, 3, 5, 1, "same"),
    (9, 7, 4, 2, (3, 2), (2, 3), "same"),
    (6, 6, 3, 5, 1, 1, "valid"),
    (10, 10, 2, 1, 4, 3, "same"),
]


@pytest.mark.parametrize("h,w,c,k,size,strides,padding", CONV_CASES)
def test_conv2d_matches_keras(h, w, c, k, size, strides, padding):
    x = RNG.standard_normal((2, h, w, c)).astype("float32")
    # A random (non-zero) bias, so that a dropped or misapplied bias fails the test.
    layer = keras.layers.Conv2D(k, size, strides=strides, padding=padding,
                                bias_initializer="random_normal")
    expected = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = (keras.ops.convert_to_numpy(v) for v in layer.weights)
    assert np.abs(bias).min() > 0
    ours = cnn.conv2d(x, kernel, bias, strides=strides, padding=padding)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize("P", [0, 1, 2])
def test_conv2d_integer_padding_matches_zero_padding_then_keras(P):
    x = RNG.standard_normal((1, 6, 6, 2)).astype("float32")
    kernel = RNG.standard_normal((3, 3, 2, 3)).astype("float32")
    layer = keras.layers.Conv2D(3, 3, use_bias=False)
    layer.build((None, 6 + 2 * P, 6 + 2 * P, 2))
    layer.set_weights([kernel])
    expected = keras.ops.convert_to_numpy(layer(keras.layers.ZeroPadding2D(P)(x)))
    np.testing.assert_allclose(cnn.conv2d(x, kernel, padding=P), expected, atol=1e-5)


POOL_CASES = [  # (H, W, C, pool, strides, padding)
    (4, 4, 1, 2, None, "valid"),
    (5, 5, 3, 2, None, "valid"),
    (5, 5, 3, 2, None, "same"),
    (7, 6, 2, 3, 2, "same"),
    (7, 6, 2, 3, 1, "valid"),
    (9, 8, 4, (2, 3), (1, 2), "same"),
]


@pytest.mark.parametrize("h,w,c,pool,strides,padding", POOL_CASES)
@pytest.mark.parametrize("ours,theirs", [(cnn.max_pool2d, keras.layers.MaxPooling2D),
                                         (cnn.average_pool2d, keras.layers.AveragePooling2D)])
def test_pooling_matches_keras(h, w, c, pool, strides, padding, ours, theirs):
    x = RNG.standard_normal((2, h, w, c)).astype("float32") - 3.0  # negatives: padding must not win
    expected = keras.ops.convert_to_numpy(theirs(pool, strides=strides, padding=padding)(x))
    got = ours(x, pool, strides=strides, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("ours,theirs", [
    pytest.param(cnn.max_pool2d, keras.layers.MaxPooling2D, marks=pytest.mark.tensorflow_only(
        reason="max_pool2d follows TensorFlow's max-pooling kernel, which passes over NaN; "
               "XLA's (JAX) propagates it")),
    (cnn.average_pool2d, keras.layers.AveragePooling2D)])
def test_pooling_treats_nan_and_padding_as_keras(padding, ours, theirs):
    """Average pooling propagates a NaN pixel to its windows; TensorFlow's max pooling
    passes over it; a window holding only NaN and padding gives the lowest float32."""
    x = RNG.standard_normal((2, 5, 5, 2)).astype("float32")
    x[0, 1, 1, 0] = np.nan
    x[1, 4, 4, 1] = np.nan  # alone in its window when "same" pads 5 → 6
    expected = keras.ops.convert_to_numpy(theirs(2, padding=padding)(x))
    got = ours(x, 2, padding=padding)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    if theirs is keras.layers.AveragePooling2D:
        assert np.isnan(got[0, 0, 0, 0])


def test_conv2d_and_pooling_reject_bad_input():
    x = np.zeros((1, 5, 5, 2), "float32")
    with pytest.raises(ValueError, match="kernel must be"):
        cnn.conv2d(x, np.zeros((3, 3, 1, 4)))
    with pytest.raises(ValueError, match="x must have rank 4"):
        cnn.conv2d(x[0], np.zeros((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="padding must be"):
        cnn.conv2d(x, np.zeros((3, 3, 2, 4)), padding="full")
    with pytest.raises(ValueError, match="larger than the padded input"):
        cnn.conv2d(x, np.zeros((7, 7, 2, 4)))
    with pytest.raises(ValueError, match="strides"):
        cnn.max_pool2d(x, 2, strides=0)
    with pytest.raises(ValueError, match="padding must be"):
        cnn.average_pool2d(x, 2, padding=1)


def test_output_size_worked_example():
    assert cnn.output_size(5, 3, 1, 1) == 5
    assert cnn.output_size(5, 3, 0, 1) == 3
    assert cnn.output_size(7, 3, 0, 2) == 3


def test_output_size_agrees_with_keras_for_many_combinations():
    checked = 0
    for I in (5, 7, 8, 13, 28):
        for F in (1, 2, 3, 5):
            for P in (0, 1, 2):
                for S in (1, 2, 3):
                    if F > I + 2 * P:
                        continue
                    net = keras.Sequential([keras.Input((I, I, 1)), keras.layers.ZeroPadding2D(P),
                                            keras.layers.Conv2D(1, F, strides=S)])
                    assert net.output_shape[1:3] == (cnn.output_size(I, F, P, S),) * 2, (I, F, P, S)
                    checked += 1
    assert checked > 150


@pytest.mark.parametrize("I,F,S", [(5, 3, 1), (7, 3, 2), (28, 5, 1), (9, 4, 3)])
def test_keras_same_padding_is_the_formula_with_padding_amounts(I, F, S):
    before, after = cnn.padding_amounts(I, F, S, "same")
    layer = keras.layers.Conv2D(1, F, strides=S, padding="same")
    assert layer.compute_output_shape((None, I, I, 1))[1] == (I + before + after - F) // S + 1
    assert (I + before + after - F) // S + 1 == -(-I // S)


@pytest.mark.parametrize("args,message", [
    ((3, 5, 0, 1), "larger than the padded input"),
    ((5, 3, 0, 0), "stride S must be an integer ≥ 1"),
    ((5, 3, -1, 1), "padding P must be an integer ≥ 0"),
    ((0, 3, 1, 1), "input size I"),
    ((5, 2.5, 0, 1), "filter size F"),
])
def test_output_size_explains_impossible_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        cnn.output_size(*args)


@pytest.mark.parametrize("args,name", [
    ((5, 3, 0, "same"), "stride S"),
    ((-5, 3, 1, "same"), "input size I"),
    ((5, -3, 1, "same"), "filter size F"),
    ((5, 3, 1, -1), "padding"),
    ((5, 3, 1, "full"), "padding"),
])
def test_padding_amounts_rejects_zero_stride_and_negative_sizes(args, name):
    with pytest.raises(ValueError, match=name):
        cnn.padding_amounts(*args)


def test_receptive_field_of_stacked_3x3_and_by_impulse():
    assert cnn.receptive_field([(3, 1)] * 2) == 5
    assert cnn.receptive_field([(3, 1)] * 3) == 7
    assert cnn.receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16
    impulse = np.zeros((1, 15, 15, 1))
    impulse[0, 7, 7, 0] = 1.0
    y = impulse
    for _ in range(3):
        y = cnn.conv2d(y, np.ones((3, 3, 1, 1)), padding="same")
    assert np.count_nonzero(y[0, 7, :, 0]) == cnn.receptive_field([(3, 1)] * 3)
    with pytest.raises(ValueError):
        cnn.receptive_field([(3, 0)])


def test_weight_sharing_counts_match_keras():
    conv = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(6, 5, padding="same")])
    dense = keras.Sequential([keras.Input((28 * 28,)), keras.layers.Dense(28 * 28 * 6)])
    assert conv.count_params() == cnn.conv2d_params(1, 6, 5) == 156
    assert dense.count_params() == cnn.dense_params(28 * 28, 28 * 28 * 6)
    with pytest.raises(ValueError, match="in_channels"):
        cnn.conv2d_params(0, 6, 5)


def test_inception_reduction_saving_matches_keras():
    inp = keras.Input((28, 28, 192))
    direct = keras.Model(inp, keras.layers.Conv2D(32, 5, padding="same")(inp))
    reduced = keras.Model(inp, keras.layers.Conv2D(32, 5, padding="same")(
        keras.layers.Conv2D(16, 1)(inp)))
    assert direct.count_params() == cnn.conv2d_params(192, 32, 5)
    assert reduced.count_params() == cnn.conv2d_params(192, 16, 1) + cnn.conv2d_params(16, 32, 5)
    assert cnn.count_flops(direct) == cnn.conv2d_flops(28, 28, 192, 32, 5) == 120_422_400
    assert cnn.count_flops(reduced) == (cnn.conv2d_flops(28, 28, 192, 16, 1)
                                        + cnn.conv2d_flops(28, 28, 16, 32, 5))


@pytest.mark.parametrize("c,k,stride", [(32, 64, 1), (16, 16, 2), (3, 8, 1)])
def test_separable_counts_match_keras(c, k, stride):
    inp = keras.Input((14, 14, c))
    sep = keras.Model(inp, keras.layers.SeparableConv2D(k, 3, strides=stride, padding="same")(inp))
    std = keras.Model(inp, keras.layers.Conv2D(k, 3, strides=stride, padding="same")(inp))
    out = -(-14 // stride)
    assert sep.count_params() == cnn.separable_conv2d_params(c, k, 3)
    assert std.count_params() == cnn.conv2d_params(c, k, 3)
    assert cnn.count_flops(sep) == cnn.separable_conv2d_flops(out, out, c, k, 3)
    assert cnn.count_flops(std) == cnn.conv2d_flops(out, out, c, k, 3)
    assert cnn.separable_conv2d_flops(out, out, c, k, 3) < cnn.conv2d_flops(out, out, c, k, 3)


def test_count_flops_of_lenet5_by_hand():
    by_hand = (28 * 28 * 6 * 25 * 1 + 10 * 10 * 16 * 25 * 6 + 400 * 120 + 120 * 84 + 84 * 10)
    assert cnn.count_flops(cnn.build_lenet5()) == by_hand
    with pytest.raises(ValueError, match="keras.Model"):
        cnn.count_flops("lenet")


BUILDERS = {
    "lenet5": cnn.build_lenet5,
    "alexnet_style": cnn.build_alexnet_style,
    "vgg": cnn.build_vgg,
    "inception_net": cnn.build_inception_net,
    "resnet_v1": lambda: cnn.build_resnet(version=1),
    "resnet_v2": lambda: cnn.build_resnet(version=2, blocks_per_stage=2),
    "mobilenet_style": cnn.build_mobilenet_style,
    "plain_cnn": lambda: cnn.build_plain_cnn(depth=6),
    "residual_cnn": lambda: cnn.build_residual_cnn(depth=6),
    "residual_cnn_v2": lambda: cnn.build_residual_cnn(depth=6, version=2),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_builders_are_uncompiled_output_logits_and_round_trip(name, tmp_path):
    model = BUILDERS[name]()
    assert not model.compiled
    head = model.get_layer("logits")
    assert head.activation is keras.activations.linear and model.outputs[0] is head.output
    x = RNG.random((2, 28, 28, 1), dtype=np.float32)
    logits = model.predict(x, verbose=0)
    assert logits.shape == (2, 10)
    assert cnn.count_flops(model) > 0
    model.save(tmp_path / f"{name}.keras")
    loaded = keras.saving.load_model(tmp_path / f"{name}.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), logits, atol=1e-5)


def test_plain_and_residual_nets_have_same_depth_and_parameters():
    plain, residual = cnn.build_plain_cnn(depth=8), cnn.build_residual_cnn(depth=8)
    pre_activation = cnn.build_residual_cnn(depth=8, version=2)
    assert plain.count_params() == residual.count_params() == pre_activation.count_params()
    nets = (plain, residual, pre_activation)
    convs = [sum(isinstance(l, keras.layers.Conv2D) for l in m.layers) for m in nets]
    assert convs == [7, 7, 7]
    assert [sum(isinstance(l, keras.layers.Add) for l in m.layers) for m in nets] == [0, 3, 3]
    # v2: nothing after the addition, the next pair starts with BN; v1: ReLU after the addition.
    assert pre_activation.get_layer("layer2a_bn").input is pre_activation.get_layer("layer1_add").output
    assert residual.get_layer("layer2a_conv").input is residual.get_layer("layer1_out").output
    with pytest.raises(ValueError, match="even integer"):
        cnn.build_plain_cnn(depth=7)


def test_blocks_shapes_and_parameter_counts():
    inp = keras.Input((14, 14, 16))
    out = cnn.inception_module(inp, 8, 8, 16, 4, 8, 8, name="m")
    assert out.shape[1:] == (14, 14, 8 + 16 + 8 + 8)
    module = keras.Model(inp, out)
    assert module.count_params() == (cnn.conv2d_params(16, 8, 1) + cnn.conv2d_params(16, 8, 1)
                                     + cnn.conv2d_params(8, 16, 3) + cnn.conv2d_params(16, 4, 1)
                                     + cnn.conv2d_params(4, 8, 5) + cnn.conv2d_params(16, 8, 1))
    for block in (cnn.resnet_block_v1, cnn.resnet_block_v2):
        assert block(inp, 32, stride=2, name="r").shape[1:] == (7, 7, 32)
        assert block(inp, 16, name="s").shape[1:] == (14, 14, 16)
    assert cnn.separable_block(inp, 32, stride=2).shape[1:] == (7, 7, 32)
    assert cnn.vgg_block(inp, 8, convs=3).shape[1:] == (7, 7, 8)
    with pytest.raises(ValueError, match="version"):
        cnn.build_resnet(version=3)


def test_resnet_v2_is_pre_activation():
    model = cnn.build_resnet(version=2, blocks_per_stage=2)
    names = [l.name for l in model.layers]
    assert names.index("stage1_block1_bn1") < names.index("stage1_block1_conv1")
    # nothing after the addition: the next block's BN reads the sum directly
    assert model.get_layer("stage1_block2_bn1").input is model.get_layer("stage1_block1_add").output
    v1 = cnn.build_resnet(version=1, blocks_per_stage=2)
    assert v1.get_layer("stage1_block2_conv1").input is v1.get_layer("stage1_block1_out").output


def test_resnet_v1_projection_shortcut_is_batch_normalised_as_in_keras_applications():
    v1, v2 = cnn.build_resnet(version=1), cnn.build_resnet(version=2)
    # v1 (He et al. 2016a, keras.applications.ResNet50): 1×1 conv then BN on the shortcut.
    assert v1.get_layer("stage2_block1_proj_bn").input is v1.get_layer("stage2_block1_proj").output
    assert v1.get_layer("stage2_block1_add").input[0] is v1.get_layer("stage2_block1_proj_bn").output
    # v2 (He et al. 2016b, keras.applications.ResNet50V2): the projection reads the
    # pre-activated input and is added without BN.
    assert "stage2_block1_proj_bn" not in [l.name for l in v2.layers]
    assert v2.get_layer("stage2_block1_proj").input is v2.get_layer("stage2_block1_relu1").output


def test_feature_maps():
    x = RNG.random((8, 28, 28, 1), dtype=np.float32)
    model = cnn.build_lenet5()
    maps = cnn.feature_maps(model, ["c1", "c3"], x)
    assert maps["c1"].shape == (8, 28, 28, 6) and maps["c3"].shape == (8, 10, 10, 16)
    with pytest.raises(ValueError, match="unknown"):
        cnn.feature_maps(model, ["nope"], x)
