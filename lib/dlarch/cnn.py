"""Convolutional networks: convolution and pooling from scratch, output sizes,
parameter and FLOP counts, and builders for the classic architectures.

Every ``build_*`` function returns an *uncompiled* Keras functional model whose
outputs are *logits* (no softmax): the notebook compiles it, e.g. with
``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``. The models
are made only of built-in layers, so they save and load as ``.keras`` with no
custom objects.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from ._checks import array, fraction, non_negative_int, one_of, positive_int


def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    """LeNet-5 (LeCun et al., 1998), adapted to 28×28 inputs; uncompiled, outputs logits.

    conv 6@5×5 (same) → avg-pool → conv 16@5×5 → avg-pool → dense 120 → 84 →
    ``num_classes`` logits, with tanh. The 1998 network differs: it read 32×32
    images, its C3 connected each map to only some of S2's maps, its
    subsampling layers had a trainable weight and bias, its squashing function
    was a scaled tanh and its output layer was made of RBF units.
    """
    input_shape = _image_shape(input_shape, min_side=12)
    num_classes = positive_int("num_classes", num_classes, minimum=2)
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(6, 5, padding="same", activation="tanh", name="c1")(inputs)
    x = layers.AveragePooling2D(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="c3")(x)
    x = layers.AveragePooling2D(2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="tanh", name="c5")(x)
    x = layers.Dense(84, activation="tanh", name="f6")(x)
    return _classifier(x, num_classes, inputs, "lenet5")


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
    I = positive_int("input size I", I)
    F = positive_int("filter size F", F)
    S = positive_int("stride S", S)
    P = non_negative_int("padding P", P)
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
    I = positive_int("input size I", I)
    F = positive_int("filter size F", F)
    S = positive_int("stride S", S)
    if isinstance(padding, str):
        one_of("padding", padding, ("valid", "same"))
        if padding == "valid":
            return 0, 0
        total = max((-(-I // S) - 1) * S + F - I, 0)
        return total // 2, total - total // 2
    try:
        P = non_negative_int("padding", padding)
    except ValueError:
        raise ValueError(f"padding must be 'valid', 'same' or an integer ≥ 0, got {padding!r}") from None
    return P, P


def receptive_field(layers_fs):
    """Receptive field (pixels) of a stack of ``(F, S)`` conv/pool layers.

    Each layer widens the field by (F − 1) times the product of the strides
    before it: two stacked 3×3 convolutions see 5×5, three see 7×7
    (Simonyan & Zisserman, 2015).
    """
    if isinstance(layers_fs, (str, bytes)) or not np.iterable(layers_fs):
        raise ValueError(f"layers_fs must be a list of (F, S) pairs, got {layers_fs!r}")
    field, jump = 1, 1
    for item in layers_fs:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(f"each entry of layers_fs must be a pair (F, S), got {item!r}")
        F = positive_int("filter size F in layers_fs", item[0])
        S = positive_int("stride S in layers_fs", item[1])
        field += (F - 1) * jump
        jump *= S
    return field


# --------------------------------------------------------------------------
# Convolution and pooling from scratch (NumPy)
# --------------------------------------------------------------------------

def _pair(name, value):
    """A positive integer or a pair of them, as a pair of ``int``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
        return tuple(positive_int(name, v) for v in value)
    value = positive_int(name, value)
    return value, value


def _images(name, x):
    """``x`` as a numeric batch of images ``(N, H, W, C)``."""
    x = array(name, x, ndim=4)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {x.dtype}")
    if min(x.shape) < 1:
        raise ValueError(f"{name} must be a non-empty batch of images (N, H, W, C), got shape {x.shape}")
    return x


def _windows(x, size, strides, padding, fill):
    """Pad ``x`` with ``fill`` and yield ``(i, j, window)`` for every output position."""
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
    x = _images("x", x)
    kernel = array("kernel", kernel, ndim=4)
    if kernel.shape[2] != x.shape[3] or kernel.dtype.kind not in "biuf" or min(kernel.shape) < 1:
        raise ValueError(f"kernel must be numbers of shape (F_h, F_w, C={x.shape[3]}, K), "
                         f"got shape {kernel.shape}")
    if bias is not None:
        bias = array("bias", bias, ndim=1)
        if bias.shape != (kernel.shape[3],) or bias.dtype.kind not in "biuf":
            raise ValueError(f"bias must be numbers of shape ({kernel.shape[3]},), got shape {bias.shape}")
    strides = _pair("strides", strides)
    cells = list(_windows(x, kernel.shape[:2], strides, padding, 0.0))
    out = np.zeros((x.shape[0], cells[-1][0] + 1, cells[-1][1] + 1, kernel.shape[3]),
                   dtype=np.result_type(x, kernel))
    for i, j, window in cells:
        out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out = out + bias
    return out


def _pool(x, pool_size, strides, padding, fill, reduce):
    x = _images("x", x).astype(np.float64)
    pool_size = _pair("pool_size", pool_size)
    strides = pool_size if strides is None else _pair("strides", strides)
    if not isinstance(padding, str):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    one_of("padding", padding, ("valid", "same"))
    cells = list(_windows(x, pool_size, strides, padding, fill))
    # Which cells are real pixels (1) and which are padding (0), window by window.
    real = list(_windows(np.ones_like(x[:1, :, :, :1]), pool_size, strides, padding, 0.0))
    out = np.zeros((x.shape[0], cells[-1][0] + 1, cells[-1][1] + 1, x.shape[3]))
    for (i, j, window), (_, _, mask) in zip(cells, real):
        out[:, i, j, :] = reduce(window, mask.sum())
    return out.astype(np.float32)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling from scratch (= ``keras.layers.MaxPooling2D``): the largest value per window.

    ``strides`` defaults to ``pool_size``. As in TensorFlow's CPU kernel, each
    window starts from the lowest float32 and keeps a value only if it is
    larger: padding cells (and NaN pixels) are never the maximum, and a window
    with nothing else gives that lowest float32.
    """
    lowest = float(np.finfo(np.float32).min)
    return _pool(x, pool_size, strides, padding, lowest,
                 lambda window, n: np.where(np.isnan(window), lowest, window).max(axis=(1, 2), initial=lowest))


def average_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling from scratch (= ``keras.layers.AveragePooling2D``): the mean per window.

    As in Keras, padding cells are left out of the mean, not counted as zeros:
    padding adds 0 to the sum and the sum is divided by the number of real
    pixels in the window. A NaN pixel makes its windows NaN, as in Keras.
    """
    return _pool(x, pool_size, strides, padding, 0.0,
                 lambda window, n: window.sum(axis=(1, 2)) / n)


# --------------------------------------------------------------------------
# Parameter and multiply-add (FLOP) counts
# --------------------------------------------------------------------------

def dense_params(in_features, units, use_bias=True):
    """Weights of a dense layer: one per (input, unit) pair, plus one bias per unit."""
    in_features = positive_int("in_features", in_features)
    units = positive_int("units", units)
    return in_features * units + (units if _flag("use_bias", use_bias) else 0)


def conv2d_params(in_channels, filters, kernel_size, use_bias=True):
    """Weights of a convolution: F_h·F_w·C per filter, shared over every position."""
    in_channels = positive_int("in_channels", in_channels)
    filters = positive_int("filters", filters)
    fh, fw = _pair("kernel_size", kernel_size)
    return fh * fw * in_channels * filters + (filters if _flag("use_bias", use_bias) else 0)


def separable_conv2d_params(in_channels, filters, kernel_size, use_bias=True):
    """Weights of a depthwise-separable convolution (Howard et al., 2017; Chollet, 2017).

    One F×F filter per input channel (depthwise), then a 1×1 convolution
    mixing channels (pointwise): F²·C + C·K (+ K biases).
    """
    in_channels = positive_int("in_channels", in_channels)
    filters = positive_int("filters", filters)
    fh, fw = _pair("kernel_size", kernel_size)
    return fh * fw * in_channels + in_channels * filters + (filters if _flag("use_bias", use_bias) else 0)


def conv2d_flops(out_h, out_w, in_channels, filters, kernel_size):
    """Multiply-adds of a convolution: every output value costs F_h·F_w·C of them."""
    out_h, out_w = positive_int("out_h", out_h), positive_int("out_w", out_w)
    in_channels = positive_int("in_channels", in_channels)
    filters = positive_int("filters", filters)
    fh, fw = _pair("kernel_size", kernel_size)
    return out_h * out_w * filters * fh * fw * in_channels


def separable_conv2d_flops(out_h, out_w, in_channels, filters, kernel_size):
    """Multiply-adds of a depthwise-separable convolution: H·W·C·(F² + K)."""
    out_h, out_w = positive_int("out_h", out_h), positive_int("out_w", out_w)
    in_channels = positive_int("in_channels", in_channels)
    filters = positive_int("filters", filters)
    fh, fw = _pair("kernel_size", kernel_size)
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
    """The head every builder shares: a Dense layer of ``num_classes`` logits, no softmax."""
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_alexnet_style(input_shape=(28, 28, 1), num_classes=10, dropout=0.5):
    """AlexNet's recipe (Krizhevsky et al., 2012) scaled down to 28×28 images; uncompiled, logits out.

    A large first filter, five ReLU convolutions with max pooling, and two
    dense layers regularised by Dropout — with a few dozen channels instead
    of hundreds.
    """
    input_shape = _image_shape(input_shape, min_side=8)
    num_classes = positive_int("num_classes", num_classes, minimum=2)
    dropout = fraction("dropout", dropout)
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
    filters = positive_int("filters", filters)
    convs = positive_int("convs", convs)
    for k in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{k + 1}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def build_vgg(input_shape=(28, 28, 1), num_classes=10, blocks=((16, 2), (32, 2))):
    """A small VGG-style net: ``blocks`` of (filters, convs), then a dense head; uncompiled, logits out."""
    if isinstance(blocks, (str, bytes)) or not np.iterable(blocks) or not len(blocks):
        raise ValueError(f"blocks must be a non-empty list of (filters, convs) pairs, got {blocks!r}")
    if not all(isinstance(b, (tuple, list)) and len(b) == 2 for b in blocks):
        raise ValueError(f"blocks must be a non-empty list of (filters, convs) pairs, got {blocks!r}")
    input_shape = _image_shape(input_shape, min_side=2 ** len(blocks))
    num_classes = positive_int("num_classes", num_classes, minimum=2)
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
    f1, f3_reduce, f3 = (positive_int(n, v) for n, v in
                         (("f1", f1), ("f3_reduce", f3_reduce), ("f3", f3)))
    f5_reduce, f5, pool_proj = (positive_int(n, v) for n, v in
                                (("f5_reduce", f5_reduce), ("f5", f5), ("pool_proj", pool_proj)))

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
    """A small GoogLeNet-style net: a stem, two Inception modules, global average pooling;
    uncompiled, logits out."""
    input_shape = _image_shape(input_shape, min_side=4)
    num_classes = positive_int("num_classes", num_classes, minimum=2)
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


def _projection(x, filters, stride, name, normalise):
    """The 1×1 strided projection shortcut used when the shape changes (He et al., 2016a).

    In v1 it is followed by batch normalisation, as in the paper and
    ``keras.applications.ResNet50``; in v2 it reads the already normalised input.
    """
    y = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
    return _bn(name=f"{name}_proj_bn")(y) if normalise else y


def _block_args(filters, stride):
    return positive_int("filters", filters), positive_int("stride", stride)


def resnet_block_v1(x, filters, stride=1, name="res"):
    """ResNet basic block v1 (He et al., 2016a): conv-BN-ReLU-conv-BN, add the shortcut, ReLU."""
    filters, stride = _block_args(filters, stride)
    same_shape = stride == 1 and x.shape[-1] == filters
    shortcut = x if same_shape else _projection(x, filters, stride, name, normalise=True)
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
    filters, stride = _block_args(filters, stride)
    pre = _bn(name=f"{name}_bn1")(x)
    pre = layers.ReLU(name=f"{name}_relu1")(pre)
    same_shape = stride == 1 and x.shape[-1] == filters
    shortcut = x if same_shape else _projection(pre, filters, stride, name, normalise=False)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(pre)
    y = _bn(name=f"{name}_bn2")(y)
    y = layers.ReLU(name=f"{name}_relu2")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([shortcut, y])


def build_resnet(input_shape=(28, 28, 1), num_classes=10, version=1, stages=(16, 32),
                 blocks_per_stage=1):
    """A small ResNet: a stem, ``blocks_per_stage`` basic blocks per stage, global pooling;
    uncompiled, logits out.

    ``stages`` gives the filters of each stage; each stage after the first
    halves the resolution. ``version=1`` uses post-activation blocks (He et
    al., 2016a), ``version=2`` pre-activation blocks (He et al., 2016b).
    """
    version = one_of("version", version, (1, 2))
    if isinstance(stages, (str, bytes)) or not np.iterable(stages) or not len(stages):
        raise ValueError(f"stages must be a non-empty list of filter counts, got {stages!r}")
    stages = [positive_int("stages", filters) for filters in stages]
    input_shape = _image_shape(input_shape, min_side=2 ** len(stages))
    num_classes = positive_int("num_classes", num_classes, minimum=2)
    blocks_per_stage = positive_int("blocks_per_stage", blocks_per_stage)
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
    filters, stride = _block_args(filters, stride)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=f"{name}_depthwise")(x)
    x = layers.ReLU(name=f"{name}_relu1")(_bn(name=f"{name}_bn1")(x))
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise")(x)
    return layers.ReLU(name=f"{name}_relu2")(_bn(name=f"{name}_bn2")(x))


def build_mobilenet_style(input_shape=(28, 28, 1), num_classes=10):
    """A small MobileNet-style net: a standard stem, then depthwise-separable blocks;
    uncompiled, logits out."""
    input_shape = _image_shape(input_shape, min_side=8)
    num_classes = positive_int("num_classes", num_classes, minimum=2)
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


def _bn_relu_conv(x, filters, name):
    x = layers.ReLU(name=f"{name}_relu")(_bn(name=f"{name}_bn")(x))
    return layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)


def _deep_net(input_shape, num_classes, depth, filters, residual, version=1):
    input_shape = _image_shape(input_shape, min_side=2)
    num_classes = positive_int("num_classes", num_classes, minimum=2)
    filters = positive_int("filters", filters)
    depth = positive_int("depth", depth, minimum=4)
    if depth % 2:
        raise ValueError(f"depth must be an even integer ≥ 4 (stem + pairs of convs + "
                         f"classifier), got {depth!r}")
    version = one_of("version", version, (1, 2))
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    if not (residual and version == 2):
        x = layers.ReLU(name="stem_relu")(_bn(name="stem_bn")(x))
    for k in range(1, (depth - 2) // 2 + 1):
        if residual and version == 2:
            y = _bn_relu_conv(_bn_relu_conv(x, filters, f"layer{k}a"), filters, f"layer{k}b")
            x = layers.Add(name=f"layer{k}_add")([x, y])
            continue
        y = _conv_bn_relu(x, filters, f"layer{k}a")
        y = _conv_bn_relu(y, filters, f"layer{k}b", relu=not residual)
        x = layers.ReLU(name=f"layer{k}_out")(layers.Add(name=f"layer{k}_add")([x, y])) if residual else y
    if residual and version == 2:
        x = layers.ReLU(name="final_relu")(_bn(name="final_bn")(x))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    kind = f"residual_v{version}" if residual else "plain"
    return _classifier(x, num_classes, inputs, f"{kind}_cnn_{depth}")


def build_plain_cnn(input_shape=(28, 28, 1), num_classes=10, depth=20, filters=16):
    """A plain stack of ``depth`` weight layers: a stride-2 stem, (depth − 2) 3×3
    conv-BN-ReLU layers, and a dense classifier — no shortcuts. Uncompiled, logits out."""
    return _deep_net(input_shape, num_classes, depth, filters, residual=False)


def build_residual_cnn(input_shape=(28, 28, 1), num_classes=10, depth=20, filters=16, version=1):
    """The plain net of :func:`build_plain_cnn` with an identity shortcut around every pair of
    convolutions: same depth, same weights. Uncompiled, logits out.

    ``version=1`` arranges each pair as ResNet's post-activation block (He et
    al., 2016a: conv-BN-ReLU-conv-BN, add, ReLU); ``version=2`` as the
    pre-activation block (He et al., 2016b: BN-ReLU-conv-BN-ReLU-conv, add),
    with one BN-ReLU before the pooling.
    """
    return _deep_net(input_shape, num_classes, depth, filters, residual=True, version=version)


# --------------------------------------------------------------------------
# Inspecting
# --------------------------------------------------------------------------

def feature_maps(model, layer_names, x):
    """The outputs of the named layers of ``model`` for images ``x``, as a dict of arrays."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if isinstance(layer_names, str) or not np.iterable(layer_names):
        raise ValueError(f"layer_names must be a list of layer names, got {layer_names!r}")
    layer_names = list(layer_names)
    names = [layer.name for layer in model.layers]
    missing = [n for n in layer_names if n not in names]
    if missing or not layer_names:
        raise ValueError(f"layer_names must name layers of the model; unknown: {missing}, "
                         f"available: {names}")
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in layer_names])
    outputs = probe.predict(_images("x", x), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return dict(zip(layer_names, outputs))


def _flag(name, value):
    """``value`` if it is a plain ``bool`` (or NumPy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _image_shape(input_shape, min_side=1):
    """``input_shape`` as (H, W, C) of ints, with H, W ≥ ``min_side``; else ValueError."""
    allowed = (f"(height, width, channels) of positive integers with height and width "
               f"≥ {min_side}")
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be {allowed}, got {input_shape!r}")
    try:
        shape = tuple(positive_int("input_shape", side) for side in input_shape)
    except ValueError:
        raise ValueError(f"input_shape must be {allowed}, got {input_shape!r}") from None
    if min(shape[:2]) < min_side:
        raise ValueError(f"input_shape must be {allowed}, got {input_shape!r}")
    return shape
