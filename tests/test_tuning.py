"""KerasTuner on these pins: a tiny search must complete every trial.

KerasTuner imports ``tensorboard`` inside every trial; TensorFlow 2.21 no
longer installs it, and without it each trial is marked FAILED with only a
printed traceback while ``search()`` returns normally. These tests catch that.
"""

import keras
import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("int64")


def _build(hp):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(hp.Choice("units", [4, 8]), activation="relu"),
        keras.layers.Dense(2),
    ])
    model.compile(optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [1e-3, 1e-2])),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("tuner_class", [kt.GridSearch, kt.RandomSearch, kt.BayesianOptimization])
def test_a_tiny_search_completes_every_trial(tuner_class, tmp_path):
    tuner = tuner_class(_build, objective="val_accuracy", max_trials=3, seed=0,
                        directory=tmp_path, project_name="tiny", overwrite=True)
    x, y = _data()
    tuner.search(x, y, epochs=1, batch_size=16, validation_split=0.25, verbose=0)
    statuses = [trial.status for trial in tuner.oracle.trials.values()]
    assert statuses == ["COMPLETED"] * 3, (
        f"trial statuses {statuses}: a trial failed (is `tensorboard` installed? "
        "KerasTuner imports it in every trial)")
    assert tuner.get_best_models(1)[0] is not None


def test_tensorboard_is_importable():
    # The exact import KerasTuner performs in every trial.
    from tensorboard.plugins.hparams import api  # noqa: F401
