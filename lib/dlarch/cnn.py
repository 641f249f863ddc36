"""Convolutional networks: convolution and pooling from scratch, output sizes,
parameter and FLOP counts, and builders for the classic architectures.

Every builder returns a plain Keras functional model made only of built-in
layers, so it saves and loads as ``.keras`` with no custom objects.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from .training import EpochTimer


def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    """LeNet-5 (LeCun et al., 1998), adapted to 28×28 inputs; softmax probabilities out.

    conv 6@5×5 (same) → avg-pool → conv 16@5×5 → avg-pool → dense 120 → 84 →
    ``num_classes``, with tanh as in the paper. Returned compiled with Adam and
    sparse categorical cross-entropy (integer labels) and accuracy.
    """
    input_shape = _check_image_shape(input_shape, min_side=12)
    _check_positive_int(num_classes, "num_classes", minimum=2)
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(6, 5, padding="same", activation="tanh", name="c1")(inputs)
    x = layers.AveragePooling2D(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="c3")(x)
    x = layers.AveragePooling2D(2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="tanh", name="c5")(x)
    x = layers.Dense(84, activation="tanh", name="f6")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return _compiled(keras.Model(inputs, outputs, name="lenet5"))


# --------------------------------------------------------------------------
# Output size, padding, receptive field
# --------------------------------------------------------------------------

def output_size(I, F, P=0, S=1):
    """Side of a convolution or pooling output: ⌊(I + 2P − F)/S⌋ + 1.

    Args:
        I: input side (pixels), F: filter side, P: zero padding added on each
            side, S: stride.

    Raises:
        ValueError: if a size is not a positive integer, the padding is
            negative, or the filter does not fit in the padded input.
    """
    for value, name in ((I, "input size I"), (F, "filter size F"), (S, "stride S")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(P, bool) or not isinstance(P, int) or P < 0:
        raise ValueError(f"padding P must be a non-negative integer, got {P!r}")
    if F > I + 2 * P:
        raise ValueError(
            f"filter size F={F} is larger than the padded input I + 2P = {I} + 2·{P} = "
            f"{I + 2 * P}; the filter would not fit anywhere — use a smaller filter or more padding")
    return (I + 2 * P - F) // S + 1


def padding_amounts(I, F, S=1, padding="valid"):
    """Zero rows added (before, after) along one axis, as Keras/TensorFlow pad.

    ``"valid"`` adds none; ``"same"`` pads so the output has ⌈I/S⌉ entries,
    putting the odd extra row after; an integer P pads P on both sides.
    """
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((-(-I // S) - 1) * S + F - I, 0)
        return total // 2, total - total // 2
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        return padding, padding
    raise ValueError(f"padding must be 'valid', 'same' or a non-negative integer, got {padding!r}")


def receptive_field(layers_fs):
    """Receptive field (pixels) of a stack of ``(F, S)`` conv/pool layers.

    Each layer widens the field by (F − 1) times the product of the strides
    before it: two stacked 3×3 convolutions see 5×5, three see 7×7
    (Simonyan & Zisserman, 2015).
    """
    field, jump = 1, 1
    for item in layers_fs:
        if (not isinstance(item, (tuple, list)) or len(item) != 2
                or not all(isinstance(v, int) and v >= 1 for v in item)):
            raise ValueError(f"each layer must be a pair (F, S) of positive integers, got {item!r}")
        F, S = item
        field += (F - 1) * jump
        jump *= S
    return field


# --------------------------------------------------------------------------
# Convolution and pooling from scratch (NumPy)
# --------------------------------------------------------------------------

def _pair(value, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                 for v in pair):
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    return pair


def _images4d(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of images (N, H, W, C), got shape {x.shape}")
    return x


def _windows(x, size, strides, padding, fill):
    """Pad ``x`` and yield ``(i, j, window)`` for every output position."""
    (fh, fw), (sh, sw) = size, strides
    (top, bottom) = padding_amounts(x.shape[1], fh, sh, padding)
    (left, right) = padding_amounts(x.shape[2], fw, sw, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    out_h = output_size(x.shape[1] + top + bottom, fh, 0, sh)
    out_w = output_size(x.shape[2] + left + right, fw, 0, sw)
    for i in range(out_h):
        for j in range(out_w):
            yield i, j, padded[:, i * sh:i * sh + fh, j * sw:j * sw + fw, :]


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    """2-D convolution from scratch, the same computation as ``keras.layers.Conv2D``.

    Slides the kernel over the (padded) image; each output pixel is the sum
    of the window times the kernel, over height, width and input channels
    (LeCun et al., 1998).

    Args:
        x: images ``(N, H, W, C)``.
        kernel: ``(F_h, F_w, C, K)`` — K filters, each spanning all C channels.
        bias: ``(K,)`` or None.
        strides: int or pair. padding: ``"valid"``, ``"same"`` or an int P.

    Returns:
        feature maps ``(N, H_out, W_out, K)``.
    """
    x, kernel = _images4d(x), np.asarray(kernel)
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"kernel must be (F_h, F_w, C={x.shape[3]}, K), got shape {kernel.shape}")
    strides = _pair(strides, "strides")
    cells = list(_windows(x, kernel.shape[:2], strides, padding, 0.0))
    out = np.zeros((x.shape[0], cells[-1][0] + 1, cells[-1][1] + 1, kernel.shape[3]),
                   dtype=np.result_type(x, kernel))
    for i, j, window in cells:
        out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out = out + np.asarray(bias)
    return out


def _pool(x, pool_size, strides, padding, reduce):
    x = _images4d(x).astype(np.float64)
    pool_size = _pair(pool_size, "pool_size")
    strides = pool_size if strides is None else _pair(strides, "strides")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    cells = list(_windows(x, pool_size, strides, padding, np.nan))
    out = np.zeros((x.shape[0], cells[-1][0] + 1, cells[-1][1] + 1, x.shape[3]))
    for i, j, window in cells:
        out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out.astype(np.float32)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling from scratch (= ``keras.layers.MaxPooling2D``): the largest value per window.

    Padding cells are ignored (never the maximum); ``strides`` defaults to ``pool_size``.
    """
    return _pool(x, pool_size, strides, padding, np.nanmax)


def average_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling from scratch (= ``keras.layers.AveragePooling2D``): the mean per window.

    As in Keras, padding cells are left out of the mean, not counted as zeros.
    """
    return _pool(x, pool_size, strides, padding, np.nanmean)


# --------------------------------------------------------------------------
# Parameter and multiply-add (FLOP) counts
# --------------------------------------------------------------------------

def dense_params(in_features, units, use_bias=True):
    """Weights of a dense layer: one per (input, unit) pair, plus one bias per unit."""
    _check_positive_int(in_features, "in_features")
    _check_positive_int(units, "units")
    return in_features * units + (units if use_bias else 0)


def conv2d_params(in_channels, filters, kernel_size, use_bias=True):
    """Weights of a convolution: F_h·F_w·C per filter, shared over every position."""
    _check_positive_int(in_channels, "in_channels")
    _check_positive_int(filters, "filters")
    fh, fw = _pair(kernel_size, "kernel_size")
    return fh * fw * in_channels * filters + (filters if use_bias else 0)


def separable_conv2d_params(in_channels, filters, kernel_size, use_bias=True):
    """Weights of a depthwise-separable convolution (Howard et al., 2017; Chollet, 2017).

    One F×F filter per input channel (depthwise), then a 1×1 convolution
    mixing channels (pointwise): F²·C + C·K (+ K biases).
    """
    _check_positive_int(in_channels, "in_channels")
    _check_positive_int(filters, "filters")
    fh, fw = _pair(kernel_size, "kernel_size")
    return fh * fw * in_channels + in_channels * filters + (filters if use_bias else 0)


def conv2d_flops(out_h, out_w, in_channels, filters, kernel_size):
    """Multiply-adds of a convolution: every output value costs F_h·F_w·C of them."""
    for value, name in ((out_h, "out_h"), (out_w, "out_w"), (in_channels, "in_channels"),
                        (filters, "filters")):
        _check_positive_int(value, name)
    fh, fw = _pair(kernel_size, "kernel_size")
    return out_h * out_w * filters * fh * fw * in_channels


def separable_conv2d_flops(out_h, out_w, in_channels, filters, kernel_size):
    """Multiply-adds of a depthwise-separable convolution: H·W·C·(F² + K)."""
    for value, name in ((out_h, "out_h"), (out_w, "out_w"), (in_channels, "in_channels"),
                        (filters, "filters")):
        _check_positive_int(value, name)
    fh, fw = _pair(kernel_size, "kernel_size")
    return out_h * out_w * in_channels * (fh * fw + filters)


def count_flops(model):
    """Multiply-adds of one forward pass of one example through ``model``.

    Counts the layers that dominate the cost — Conv2D, DepthwiseConv2D,
    SeparableConv2D and Dense — from their kernel and output shapes; biases,
    activations, pooling and normalisation are left out.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_flops(layer)
            continue
        if not isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D,
                                  layers.SeparableConv2D, layers.Dense)):
            continue
        positions = int(np.prod(layer.output.shape[1:-1], dtype=np.int64))
        if isinstance(layer, layers.SeparableConv2D):
            kernels = (layer.depthwise_kernel.shape, layer.pointwise_kernel.shape)
            total += positions * sum(int(np.prod(shape)) for shape in kernels)
        else:
            # Conv2D kernel (F_h, F_w, C, K); depthwise (F_h, F_w, C, m); Dense (C, K):
            # each output position multiplies the whole kernel once.
            total += positions * int(np.prod(layer.kernel.shape))
    return int(total)


# --------------------------------------------------------------------------
# Classic architectures
# --------------------------------------------------------------------------

def _classifier(x, num_classes, inputs, name):
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return _compiled(keras.Model(inputs, outputs, name=name))


def build_alexnet_style(input_shape=(28, 28, 1), num_classes=10, dropout=0.5):
    """AlexNet's recipe (Krizhevsky et al., 2012) scaled down to 28×28 images.

    A large first filter, five ReLU convolutions with max pooling, and two
    dense layers regularised by Dropout — with a few dozen channels instead
    of hundreds.
    """
    input_shape = _check_image_shape(input_shape, min_side=8)
    _check_positive_int(num_classes, "num_classes", minimum=2)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(24, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(48, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    for k, filters in enumerate((64, 64, 48), start=3):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{k}")(x)
    x = layers.MaxPooling2D(2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    for k in (6, 7):
        x = layers.Dense(128, activation="relu", name=f"fc{k}")(x)
        x = layers.Dropout(dropout, name=f"dropout{k}")(x)
    return _classifier(x, num_classes, inputs, "alexnet_style")


def vgg_block(x, filters, convs=2, name="vgg"):
    """A VGG block (Simonyan & Zisserman, 2015): ``convs`` 3×3 ReLU convolutions, then 2×2 max pooling."""
    _check_positive_int(filters, "filters")
    _check_positive_int(convs, "convs")
    for k in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{k + 1}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def build_vgg(input_shape=(28, 28, 1), num_classes=10, blocks=((16, 2), (32, 2))):
    """A small VGG-style net: ``blocks`` of (filters, convs), then a dense head."""
    input_shape = _check_image_shape(input_shape, min_side=2 ** len(blocks))
    _check_positive_int(num_classes, "num_classes", minimum=2)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for k, (filters, convs) in enumerate(blocks, start=1):
        x = vgg_block(x, filters, convs, name=f"block{k}")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="fc")(x)
    return _classifier(x, num_classes, inputs, "vgg")


def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, name="inception"):
    """GoogLeNet's Inception module (Szegedy et al., 2015).

    Four parallel branches — 1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max-pool → 1×1 —
    concatenated along channels. The 1×1 "reduce" convolutions shrink the
    channels before the expensive 3×3 and 5×5 filters.
    """
    for value, label in ((f1, "f1"), (f3_reduce, "f3_reduce"), (f3, "f3"),
                         (f5_reduce, "f5_reduce"), (f5, "f5"), (pool_proj, "pool_proj")):
        _check_positive_int(value, label)

    def conv(y, filters, size, suffix):
        return layers.Conv2D(filters, size, padding="same", activation="relu",
                             name=f"{name}_{suffix}")(y)

    b1 = conv(x, f1, 1, "1x1")
    b3 = conv(conv(x, f3_reduce, 1, "3x3_reduce"), f3, 3, "3x3")
    b5 = conv(conv(x, f5_reduce, 1, "5x5_reduce"), f5, 5, "5x5")
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    bp = conv(bp, pool_proj, 1, "pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


def build_inception_net(input_shape=(28, 28, 1), num_classes=10):
    """A small GoogLeNet-style net: a stem, two Inception modules, global average pooling."""
    input_shape = _check_image_shape(input_shape, min_side=4)
    _check_positive_int(num_classes, "num_classes", minimum=2)
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inputs)
    x = layers.MaxPooling2D(2, name="stem_pool")(x)
    x = inception_module(x, 16, 16, 24, 4, 8, 8, name="inception1")
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = inception_module(x, 24, 24, 32, 8, 16, 16, name="inception2")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return _classifier(x, num_classes, inputs, "inception_net")


def _bn(name):
    """Batch normalisation (Ioffe & Szegedy, 2015) whose running statistics settle within the
    few hundred steps of a small training run (momentum 0.9 rather than Keras's 0.99)."""
    return layers.BatchNormalization(momentum=0.9, name=name)


def _shortcut(x, filters, stride, name):
    """Identity, or a 1×1 projection when the shape changes (He et al., 2016a)."""
    if stride == 1 and x.shape[-1] == filters:
        return x
    return layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)


def resnet_block_v1(x, filters, stride=1, name="res"):
    """ResNet basic block v1 (He et al., 2016a): conv-BN-ReLU-conv-BN, add the shortcut, ReLU."""
    _check_positive_int(filters, "filters")
    _check_positive_int(stride, "stride")
    shortcut = _shortcut(x, filters, stride, name)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = _bn(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = _bn(name=f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet_block_v2(x, filters, stride=1, name="res"):
    """ResNet basic block v2, pre-activation (He et al., 2016b): BN-ReLU-conv-BN-ReLU-conv, add.

    Nothing follows the addition, so the shortcut is a clean identity path
    from block to block.
    """
    _check_positive_int(filters, "filters")
    _check_positive_int(stride, "stride")
    pre = _bn(name=f"{name}_bn1")(x)
    pre = layers.ReLU(name=f"{name}_relu1")(pre)
    shortcut = x if (stride == 1 and x.shape[-1] == filters) else _shortcut(pre, filters, stride, name)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(pre)
    y = _bn(name=f"{name}_bn2")(y)
    y = layers.ReLU(name=f"{name}_relu2")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([shortcut, y])


def build_resnet(input_shape=(28, 28, 1), num_classes=10, version=1, stages=(16, 32),
                 blocks_per_stage=1):
    """A small ResNet: a stem, ``blocks_per_stage`` basic blocks per stage, global pooling.

    ``version=1`` uses post-activation blocks (He et al., 2016a), ``version=2``
    pre-activation blocks (He et al., 2016b). Each stage after the first
    halves the resolution.
    """
    if version not in (1, 2):
        raise ValueError(f"version must be 1 or 2, got {version!r}")
    input_shape = _check_image_shape(input_shape, min_side=2 ** len(stages))
    _check_positive_int(num_classes, "num_classes", minimum=2)
    _check_positive_int(blocks_per_stage, "blocks_per_stage")
    block = resnet_block_v1 if version == 1 else resnet_block_v2
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(stages[0], 3, strides=2, padding="same", use_bias=False, name="stem")(inputs)
    if version == 1:
        x = layers.ReLU(name="stem_relu")(_bn(name="stem_bn")(x))
    for s, filters in enumerate(stages, start=1):
        for b in range(1, blocks_per_stage + 1):
            stride = 2 if (s > 1 and b == 1) else 1
            x = block(x, filters, stride, name=f"stage{s}_block{b}")
    if version == 2:
        x = layers.ReLU(name="final_relu")(_bn(name="final_bn")(x))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return _classifier(x, num_classes, inputs, f"resnet_v{version}")


def separable_block(x, filters, stride=1, name="sep"):
    """MobileNet's depthwise-separable block (Howard et al., 2017).

    3×3 depthwise convolution (one filter per channel) → BN → ReLU, then a
    1×1 pointwise convolution mixing channels → BN → ReLU.
    """
    _check_positive_int(filters, "filters")
    _check_positive_int(stride, "stride")
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=f"{name}_depthwise")(x)
    x = layers.ReLU(name=f"{name}_relu1")(_bn(name=f"{name}_bn1")(x))
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise")(x)
    return layers.ReLU(name=f"{name}_relu2")(_bn(name=f"{name}_bn2")(x))


def build_mobilenet_style(input_shape=(28, 28, 1), num_classes=10):
    """A small MobileNet-style net: a standard stem, then depthwise-separable blocks."""
    input_shape = _check_image_shape(input_shape, min_side=8)
    _check_positive_int(num_classes, "num_classes", minimum=2)
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="stem")(inputs)
    x = layers.ReLU(name="stem_relu")(_bn(name="stem_bn")(x))
    for k, (filters, stride) in enumerate(((32, 1), (64, 2), (64, 1), (128, 2)), start=1):
        x = separable_block(x, filters, stride, name=f"sep{k}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return _classifier(x, num_classes, inputs, "mobilenet_style")


# --------------------------------------------------------------------------
# Degradation experiment: plain vs residual nets of equal depth
# --------------------------------------------------------------------------

def _conv_bn_relu(x, filters, name, relu=True):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = _bn(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _deep_net(input_shape, num_classes, depth, filters, residual):
    input_shape = _check_image_shape(input_shape, min_side=2)
    _check_positive_int(num_classes, "num_classes", minimum=2)
    _check_positive_int(filters, "filters")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 4 or depth % 2:
        raise ValueError(f"depth must be an even integer ≥ 4 (stem + pairs of convs + "
                         f"classifier), got {depth!r}")
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.ReLU(name="stem_relu")(_bn(name="stem_bn")(x))
    for k in range(1, (depth - 2) // 2 + 1):
        y = _conv_bn_relu(x, filters, f"layer{k}a")
        y = _conv_bn_relu(y, filters, f"layer{k}b", relu=not residual)
        x = layers.ReLU(name=f"layer{k}_out")(layers.Add(name=f"layer{k}_add")([x, y])) if residual else y
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    kind = "residual" if residual else "plain"
    return _classifier(x, num_classes, inputs, f"{kind}_cnn_{depth}")


def build_plain_cnn(input_shape=(28, 28, 1), num_classes=10, depth=20, filters=16):
    """A plain stack of ``depth`` weight layers: a stride-2 stem, (depth − 2) 3×3
    conv-BN-ReLU layers, and a softmax classifier — no shortcuts."""
    return _deep_net(input_shape, num_classes, depth, filters, residual=False)


def build_residual_cnn(input_shape=(28, 28, 1), num_classes=10, depth=20, filters=16):
    """The plain net of :func:`build_plain_cnn` with an identity shortcut around every pair of
    convolutions (He et al., 2016a): same depth, same parameters."""
    return _deep_net(input_shape, num_classes, depth, filters, residual=True)


# --------------------------------------------------------------------------
# Inspecting and measuring
# --------------------------------------------------------------------------

def feature_maps(model, layer_names, x):
    """The outputs of the named layers of ``model`` for images ``x``, as a dict of arrays."""
    names = [layer.name for layer in model.layers]
    missing = [n for n in layer_names if n not in names]
    if missing or not layer_names:
        raise ValueError(f"layer_names must name layers of the model; unknown: {missing}, "
                         f"available: {names}")
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in layer_names])
    outputs = probe.predict(_images4d(x), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return dict(zip(layer_names, outputs))


def train_and_measure(model, data, epochs, batch_size=64, callbacks=()):
    """Fit ``model`` on ``data`` (an ImageData) and measure it.

    Returns a dict: ``parameters``, ``flops`` (multiply-adds per image),
    ``seconds_per_epoch`` (mean after the first epoch), ``test_accuracy`` and
    the Keras ``history``.
    """
    _check_positive_int(epochs, "epochs")
    timer = EpochTimer()
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=batch_size,
                        validation_data=(data.x_test, data.y_test), verbose=0,
                        callbacks=[timer, *callbacks])
    _, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    return {"parameters": model.count_params(), "flops": count_flops(model),
            "seconds_per_epoch": timer.mean, "test_accuracy": float(accuracy),
            "history": history}


def _compiled(model, learning_rate=1e-3):
    """Compile ``model`` for integer-label classification with Adam."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _check_positive_int(value, name, minimum=1):
    """Raise ValueError unless ``value`` is an int ≥ ``minimum``; return it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return value


def _check_image_shape(input_shape, min_side=1):
    """Raise ValueError unless ``input_shape`` is (H, W, C) with H, W ≥ ``min_side``."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if (shape is None or len(shape) != 3
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)
            or min(shape[:2]) < min_side):
        raise ValueError(
            f"input_shape must be (height, width, channels) of positive integers with "
            f"height and width ≥ {min_side}, got {input_shape!r}")
    return shape
