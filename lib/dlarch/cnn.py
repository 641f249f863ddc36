"""Convolutional networks: convolution and pooling from scratch, output sizes,
parameter and FLOP counts, and builders for the classic architectures.

Every builder returns a plain Keras functional model made only of built-in
layers, so it saves and loads as ``.keras`` with no custom objects.
"""

from __future__ import annotations

import keras
from keras import layers


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
