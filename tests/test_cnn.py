"""Tests of dlarch.cnn: from-scratch convolution and pooling equal Keras, sizes,
counts, and every builder's shapes and .keras round trip."""

import keras
import numpy as np
import pytest

from dlarch import cnn


def test_lenet5_outputs_probabilities_and_round_trips(tmp_path):
    model = cnn.build_lenet5()
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert model.count_params() == 61_706
    path = tmp_path / "lenet5.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), probs, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(input_shape=(8, 8, 1)), dict(input_shape=(28, 28)),
                                    dict(num_classes=1), dict(num_classes=2.5)])
def test_lenet5_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        cnn.build_lenet5(**kwargs)
