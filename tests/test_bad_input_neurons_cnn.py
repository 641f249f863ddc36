"""Every public function of dlarch.neurons and dlarch.cnn × a table of bad values:
each raises ValueError naming the argument; valid NumPy scalars are accepted.

Add a row whenever a function or an argument is added.
"""

import keras
import numpy as np
import pytest

from dlarch import cnn, neurons

NAN, INF = float("nan"), float("inf")
X = np.zeros((1, 6, 6, 2), np.float32)
KERNEL = np.ones((3, 3, 2, 4), np.float32)


def _x(n=4, features=5):
    return np.zeros((n, features), np.float32)


def _labels(n=4):
    return np.zeros(n, np.int64)


MLP = neurons.MLP([5, 4, 3])

# (call that takes the bad value, the argument's name in the message, bad values)
SCALAR_INT = ["three", NAN, INF, 0, -1, 2.5, True]  # "positive integer" arguments
SCALAR_FLOAT = ["fast", NAN, INF, 0, -1.0, True]     # "positive number" arguments
CASES = {
    # dlarch.neurons
    "leaky_relu.negative_slope": (lambda v: neurons.leaky_relu(X, v), "negative_slope",
                                  ["steep", NAN, INF, None]),
    "activation.name": (lambda v: neurons.activation(v), "activation name", ["swish", 3, None]),
    "weighted_sum.x": (lambda v: neurons.weighted_sum(v, [1.0, 2.0], 0.0), "x",
                       ["ab", np.zeros(3), np.zeros((2, 2, 2)), object()]),
    "weighted_sum.w": (lambda v: neurons.weighted_sum([1.0, 2.0], v, 0.0), "w",
                       ["ab", np.zeros((2, 2)), object()]),
    "weighted_sum.b": (lambda v: neurons.weighted_sum([1.0, 2.0], [1.0, 2.0], v), "b",
                       ["one", NAN, INF, [0.0, 1.0], True]),
    "neuron.activation_name": (lambda v: neurons.neuron([1.0], [1.0], 0.0, v), "activation",
                               ["softmax", "swish"]),
    "glorot_uniform.fan_in": (lambda v: neurons.glorot_uniform(v, 3, np.random.default_rng(0)),
                              "fan_in", SCALAR_INT),
    "glorot_uniform.rng": (lambda v: neurons.glorot_uniform(3, 3, v), "rng", [0, None]),
    "MLP.layer_sizes": (lambda v: neurons.MLP(v), "layer_sizes",
                        ["5,3", [5], [5, NAN], [5, INF], [5, 0], [5, -3], [5, 2.5], [True, 3], 5]),
    "MLP.hidden_activation": (lambda v: neurons.MLP([5, 3], v), "activation", ["softmax", "swish"]),
    "MLP.seed": (lambda v: neurons.MLP([5, 3], seed=v), "seed", ["0", NAN, INF, -1, 2.5]),
    "MLP.dtype": (lambda v: neurons.MLP([5, 3], dtype=v), "dtype", ["float16", 32]),
    "MLP.forward.x": (lambda v: MLP.forward(v), "x",
                      ["ab", np.zeros((4, 3), np.float32), np.zeros(5, np.float32),
                       np.zeros((4, 5), np.int64), np.full((4, 5), np.nan, np.float32),
                       np.full((4, 5), np.inf, np.float32)]),
    "MLP.gradients.y": (lambda v: MLP.gradients(_x(), v), "y",
                        [np.zeros(3, np.int64), np.zeros(4, np.float32), np.array([0, 1, 2, 3]),
                         np.array([0, -1, 0, 0]), "abcd"]),
    "MLP.sgd_step.learning_rate": (lambda v: MLP.sgd_step(_x(), _labels(), v), "learning_rate",
                                   SCALAR_FLOAT),
    "MLP.fit.epochs": (lambda v: MLP.fit(_x(), _labels(), epochs=v), "epochs", SCALAR_INT),
    "MLP.fit.batch_size": (lambda v: MLP.fit(_x(), _labels(), epochs=1, batch_size=v), "batch_size",
                           SCALAR_INT),
    "MLP.fit.learning_rate": (lambda v: MLP.fit(_x(), _labels(), epochs=1, learning_rate=v),
                              "learning_rate", SCALAR_FLOAT),
    "MLP.fit.seed": (lambda v: MLP.fit(_x(), _labels(), epochs=1, seed=v), "seed", [NAN, -1, 2.5]),
    "MLP.fit.validation_data": (lambda v: MLP.fit(_x(), _labels(), epochs=1, validation_data=v),
                                "validation_data", [_x(), (_x(),), 3]),
    "numerical_gradients.mlp": (lambda v: neurons.numerical_gradients(v, _x(), _labels()), "mlp",
                                ["mlp", None]),
    "numerical_gradients.eps": (lambda v: neurons.numerical_gradients(MLP, _x(), _labels(), v), "eps",
                                SCALAR_FLOAT),
    # dlarch.cnn: sizes and counts
    "output_size.I": (lambda v: cnn.output_size(v, 3, 0, 1), "input size I", SCALAR_INT),
    "output_size.F": (lambda v: cnn.output_size(5, v, 0, 1), "filter size F", SCALAR_INT),
    "output_size.P": (lambda v: cnn.output_size(5, 3, v, 1), "padding P",
                      ["one", NAN, INF, -1, 2.5, True]),
    "output_size.S": (lambda v: cnn.output_size(5, 3, 0, v), "stride S", SCALAR_INT),
    "padding_amounts.I": (lambda v: cnn.padding_amounts(v, 3, 1, "same"), "input size I", SCALAR_INT),
    "padding_amounts.F": (lambda v: cnn.padding_amounts(5, v, 1, "same"), "filter size F", SCALAR_INT),
    "padding_amounts.S": (lambda v: cnn.padding_amounts(5, 3, v, "same"), "stride S", SCALAR_INT),
    "padding_amounts.padding": (lambda v: cnn.padding_amounts(5, 3, 1, v), "padding",
                                ["full", NAN, INF, -1, 2.5, True, None]),
    "receptive_field.layers_fs": (lambda v: cnn.receptive_field(v), "layers_fs",
                                  ["3,1", 3, [(3, 0)], [(NAN, 1)], [(3, INF)], [(-3, 1)], [(3,)],
                                   [(2.5, 1)]]),
    "dense_params.in_features": (lambda v: cnn.dense_params(v, 3), "in_features", SCALAR_INT),
    "dense_params.units": (lambda v: cnn.dense_params(3, v), "units", SCALAR_INT),
    "dense_params.use_bias": (lambda v: cnn.dense_params(3, 3, v), "use_bias", ["yes", 1, None]),
    "conv2d_params.in_channels": (lambda v: cnn.conv2d_params(v, 3, 3), "in_channels", SCALAR_INT),
    "conv2d_params.filters": (lambda v: cnn.conv2d_params(3, v, 3), "filters", SCALAR_INT),
    "conv2d_params.kernel_size": (lambda v: cnn.conv2d_params(3, 3, v), "kernel_size",
                                  SCALAR_INT + [(3, 3, 3), (3, 0)]),
    "separable_conv2d_params.in_channels": (lambda v: cnn.separable_conv2d_params(v, 3, 3),
                                            "in_channels", SCALAR_INT),
    "separable_conv2d_params.filters": (lambda v: cnn.separable_conv2d_params(3, v, 3), "filters",
                                        SCALAR_INT),
    "separable_conv2d_params.kernel_size": (lambda v: cnn.separable_conv2d_params(3, 3, v),
                                            "kernel_size", SCALAR_INT),
    "conv2d_flops.out_h": (lambda v: cnn.conv2d_flops(v, 4, 3, 3, 3), "out_h", SCALAR_INT),
    "conv2d_flops.out_w": (lambda v: cnn.conv2d_flops(4, v, 3, 3, 3), "out_w", SCALAR_INT),
    "conv2d_flops.in_channels": (lambda v: cnn.conv2d_flops(4, 4, v, 3, 3), "in_channels", SCALAR_INT),
    "conv2d_flops.filters": (lambda v: cnn.conv2d_flops(4, 4, 3, v, 3), "filters", SCALAR_INT),
    "conv2d_flops.kernel_size": (lambda v: cnn.conv2d_flops(4, 4, 3, 3, v), "kernel_size", SCALAR_INT),
    "separable_conv2d_flops.out_h": (lambda v: cnn.separable_conv2d_flops(v, 4, 3, 3, 3), "out_h",
                                     SCALAR_INT),
    "separable_conv2d_flops.filters": (lambda v: cnn.separable_conv2d_flops(4, 4, 3, v, 3), "filters",
                                       SCALAR_INT),
    "count_flops.model": (lambda v: cnn.count_flops(v), "model", ["lenet", None, 3]),
    # dlarch.cnn: convolution and pooling from scratch
    "conv2d.x": (lambda v: cnn.conv2d(v, KERNEL), "x",
                 ["image", X[0], np.zeros((1, 6, 6, 2, 1)), np.zeros((0, 6, 6, 2)), object()]),
    "conv2d.kernel": (lambda v: cnn.conv2d(X, v), "kernel",
                      ["k", np.ones((3, 3, 2)), np.ones((3, 3, 1, 4)), np.ones((0, 3, 2, 4))]),
    "conv2d.bias": (lambda v: cnn.conv2d(X, KERNEL, v), "bias",
                    ["b", np.ones(3), np.ones((4, 1))]),
    "conv2d.strides": (lambda v: cnn.conv2d(X, KERNEL, strides=v), "strides",
                       SCALAR_INT + [(1, 0), (1, 1, 1)]),
    "conv2d.padding": (lambda v: cnn.conv2d(X, KERNEL, padding=v), "padding",
                       ["full", NAN, INF, -1, 2.5, True]),
    "max_pool2d.x": (lambda v: cnn.max_pool2d(v), "x", ["image", X[0], object()]),
    "max_pool2d.pool_size": (lambda v: cnn.max_pool2d(X, v), "pool_size", SCALAR_INT + [(2, 0)]),
    "max_pool2d.strides": (lambda v: cnn.max_pool2d(X, 2, v), "strides", SCALAR_INT),
    "max_pool2d.padding": (lambda v: cnn.max_pool2d(X, 2, padding=v), "padding", ["full", 1, NAN]),
    "average_pool2d.x": (lambda v: cnn.average_pool2d(v), "x", ["image", X[0], object()]),
    "average_pool2d.pool_size": (lambda v: cnn.average_pool2d(X, v), "pool_size", SCALAR_INT),
    "average_pool2d.strides": (lambda v: cnn.average_pool2d(X, 2, v), "strides", SCALAR_INT),
    "average_pool2d.padding": (lambda v: cnn.average_pool2d(X, 2, padding=v), "padding",
                               ["full", 1, NAN]),
    # dlarch.cnn: builders and blocks
    "build_lenet5.input_shape": (lambda v: cnn.build_lenet5(input_shape=v), "input_shape",
                                 ["28x28", (28, 28), (8, 8, 1), (28, NAN, 1), (28, 28, 0),
                                  (28, -28, 1), (28.5, 28, 1), None]),
    "build_lenet5.num_classes": (lambda v: cnn.build_lenet5(num_classes=v), "num_classes",
                                 SCALAR_INT + [1]),
    "build_alexnet_style.input_shape": (lambda v: cnn.build_alexnet_style(input_shape=v),
                                        "input_shape", [(4, 4, 1), (28, 28, INF)]),
    "build_alexnet_style.num_classes": (lambda v: cnn.build_alexnet_style(num_classes=v),
                                        "num_classes", SCALAR_INT),
    "build_alexnet_style.dropout": (lambda v: cnn.build_alexnet_style(dropout=v), "dropout",
                                    ["half", NAN, INF, -0.1, 1.0, True]),
    "build_vgg.num_classes": (lambda v: cnn.build_vgg(num_classes=v), "num_classes", SCALAR_INT),
    "build_vgg.blocks": (lambda v: cnn.build_vgg(blocks=v), "blocks",
                         ["16,2", [], [16, 2], [(16,)]]),
    "build_vgg.blocks.filters": (lambda v: cnn.build_vgg(blocks=((v, 2),)), "filters", SCALAR_INT),
    "build_vgg.blocks.convs": (lambda v: cnn.build_vgg(blocks=((16, v),)), "convs", SCALAR_INT),
    "build_inception_net.num_classes": (lambda v: cnn.build_inception_net(num_classes=v),
                                        "num_classes", SCALAR_INT),
    "build_resnet.version": (lambda v: cnn.build_resnet(version=v), "version", [3, "1", NAN, 0]),
    "build_resnet.stages": (lambda v: cnn.build_resnet(stages=v), "stages",
                            ["16", [], [16, 0], [16, NAN], [16, -32], [16, 2.5]]),
    "build_resnet.blocks_per_stage": (lambda v: cnn.build_resnet(blocks_per_stage=v),
                                      "blocks_per_stage", SCALAR_INT),
    "build_resnet.num_classes": (lambda v: cnn.build_resnet(num_classes=v), "num_classes", SCALAR_INT),
    "build_mobilenet_style.num_classes": (lambda v: cnn.build_mobilenet_style(num_classes=v),
                                          "num_classes", SCALAR_INT),
    "build_plain_cnn.depth": (lambda v: cnn.build_plain_cnn(depth=v), "depth",
                              SCALAR_INT + [2, 7]),
    "build_plain_cnn.filters": (lambda v: cnn.build_plain_cnn(depth=4, filters=v), "filters",
                                SCALAR_INT),
    "build_residual_cnn.depth": (lambda v: cnn.build_residual_cnn(depth=v), "depth",
                                 SCALAR_INT + [2, 7]),
    "build_residual_cnn.version": (lambda v: cnn.build_residual_cnn(depth=4, version=v), "version",
                                   [3, "2", NAN]),
    "build_residual_cnn.num_classes": (lambda v: cnn.build_residual_cnn(depth=4, num_classes=v),
                                       "num_classes", SCALAR_INT),
    "vgg_block.filters": (lambda v: cnn.vgg_block(keras.Input((8, 8, 3)), v), "filters", SCALAR_INT),
    "vgg_block.convs": (lambda v: cnn.vgg_block(keras.Input((8, 8, 3)), 4, v), "convs", SCALAR_INT),
    "inception_module.f1": (lambda v: cnn.inception_module(keras.Input((8, 8, 3)), v, 2, 2, 2, 2, 2),
                            "f1", SCALAR_INT),
    "inception_module.pool_proj": (lambda v: cnn.inception_module(keras.Input((8, 8, 3)),
                                                                  2, 2, 2, 2, 2, v),
                                   "pool_proj", SCALAR_INT),
    "resnet_block_v1.filters": (lambda v: cnn.resnet_block_v1(keras.Input((8, 8, 3)), v), "filters",
                                SCALAR_INT),
    "resnet_block_v1.stride": (lambda v: cnn.resnet_block_v1(keras.Input((8, 8, 3)), 4, v), "stride",
                               SCALAR_INT),
    "resnet_block_v2.filters": (lambda v: cnn.resnet_block_v2(keras.Input((8, 8, 3)), v), "filters",
                                SCALAR_INT),
    "resnet_block_v2.stride": (lambda v: cnn.resnet_block_v2(keras.Input((8, 8, 3)), 4, v), "stride",
                               SCALAR_INT),
    "separable_block.filters": (lambda v: cnn.separable_block(keras.Input((8, 8, 3)), v), "filters",
                                SCALAR_INT),
    "separable_block.stride": (lambda v: cnn.separable_block(keras.Input((8, 8, 3)), 4, v), "stride",
                               SCALAR_INT),
    "feature_maps.model": (lambda v: cnn.feature_maps(v, ["c1"], np.zeros((1, 28, 28, 1))), "model",
                           ["lenet", None]),
    "feature_maps.layer_names": (lambda v: cnn.feature_maps(cnn.build_lenet5(), v,
                                                            np.zeros((1, 28, 28, 1))),
                                 "layer_names", ["c1", [], ["nope"], None]),
    "feature_maps.x": (lambda v: cnn.feature_maps(cnn.build_lenet5(), ["c1"], v), "x",
                       ["image", np.zeros((28, 28, 1)), object()]),
}

def _case_id(key, value) -> str:
    """A test id that is the same in every process (pytest-xdist workers compare them)."""
    return f"{key}=<object>" if type(value) is object else f"{key}={value!r}"


BAD = [pytest.param(call, name, value, id=_case_id(key, value))
       for key, (call, name, values) in CASES.items() for value in values]


@pytest.mark.parametrize("call,name,value", BAD)
def test_bad_value_raises_value_error_naming_the_argument(call, name, value):
    with pytest.raises(ValueError, match=name):
        call(value)


# Valid NumPy scalars are accepted and give the same result as plain Python numbers.
GOOD = [
    (lambda v: cnn.output_size(v, 3, 1, 1), np.int64(5), 5),
    (lambda v: cnn.output_size(28, 5, np.int32(v), np.uint8(1)), np.int16(2), 2),
    (lambda v: cnn.padding_amounts(v, 3, np.int64(2), "same"), np.int64(7), 7),
    (lambda v: cnn.padding_amounts(7, 3, 1, v), np.int64(1), 1),
    (lambda v: cnn.receptive_field([(v, np.int64(1))] * 2), np.int32(3), 3),
    (lambda v: cnn.conv2d_params(v, 6, np.int64(5)), np.int64(1), 1),
    (lambda v: cnn.conv2d_params(1, 6, 5, use_bias=v), np.bool_(True), True),
    (lambda v: cnn.dense_params(v, np.uint16(10)), np.int64(84), 84),
    (lambda v: cnn.conv2d_flops(v, v, 1, 6, 5), np.int64(28), 28),
    (lambda v: cnn.conv2d(X, KERNEL, strides=v).shape, np.int64(2), 2),
    (lambda v: cnn.max_pool2d(X, v).shape, np.int64(2), 2),
    (lambda v: cnn.average_pool2d(X, (v, v)).shape, np.int32(3), 3),
    (lambda v: cnn.build_lenet5(input_shape=(v, v, np.int64(1))).output_shape, np.int64(28), 28),
    (lambda v: cnn.build_alexnet_style(dropout=v).count_params(), np.float32(0.5), 0.5),
    (lambda v: cnn.build_resnet(num_classes=v).output_shape, np.int64(10), 10),
    (lambda v: cnn.build_plain_cnn(depth=v).count_params(), np.int64(6), 6),
    (lambda v: neurons.weighted_sum([1.0, 2.0], [0.5, 0.25], v), np.float32(0.5), 0.5),
    (lambda v: neurons.leaky_relu(np.array([-1.0]), v), np.float64(0.1), 0.1),
    (lambda v: neurons.MLP([v, np.int32(4), 3]).n_params, np.int64(5), 5),
    (lambda v: neurons.MLP([5, 3], seed=v).weights[0], np.int64(3), 3),
    (lambda v: neurons.MLP([5, 3]).fit(_x(), _labels(), epochs=v, batch_size=v)["loss"],
     np.int64(2), 2),
    (lambda v: neurons.MLP([5, 3]).fit(_x(), _labels(), epochs=1, learning_rate=v)["loss"],
     np.float32(0.25), 0.25),
]


@pytest.mark.parametrize("call,numpy_value,python_value", GOOD,
                         ids=[f"{type(g[1]).__name__}-{i}" for i, g in enumerate(GOOD)])
def test_numpy_scalars_are_accepted(call, numpy_value, python_value):
    ours, plain = call(numpy_value), call(python_value)
    if isinstance(ours, keras.Model):
        return
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(plain, dtype=float),
                               rtol=1e-6)
