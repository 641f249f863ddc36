"""Chapter 08 library: from-scratch optimisers and schedules = Keras, and their checks."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from dlarch import optim

SCRATCH = {
    "sgd": lambda: optim.SGD(0.05),
    "momentum": lambda: optim.SGD(0.05, momentum=0.9),
    "nesterov": lambda: optim.SGD(0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda: optim.Adagrad(0.1, initial_accumulator_value=0.2),
    "rmsprop": lambda: optim.RMSprop(0.01, rho=0.8),
    "adam": lambda: optim.Adam(0.01, beta_1=0.8, beta_2=0.95),
    "adamw": lambda: optim.AdamW(0.01, weight_decay=0.1, beta_1=0.8, beta_2=0.95),
}


def run_both(scratch, steps=6, seed=0):
    """Feed the same random gradients to the scratch optimiser and its Keras twin."""
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
    grads = [[rng.normal(size=p.shape).astype("float32") for p in start] for _ in range(steps)]
    variables = [keras.Variable(p.copy()) for p in start]
    twin = scratch.keras_twin()
    params = [p.copy() for p in start]
    for g in grads:
        twin.apply(g, variables)
        params = scratch.step(params, g)
    return start, params, [keras.ops.convert_to_numpy(v) for v in variables]


@pytest.mark.parametrize("name", SCRATCH)
def test_scratch_optimizer_matches_keras(name):
    start, ours, theirs = run_both(SCRATCH[name]())
    for a, b, s in zip(ours, theirs, start):
        assert a.dtype == np.float32
        assert not np.allclose(a, s), "the variables should have moved"
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_wrong_rule_is_caught():
    """The comparison can fail: Nesterov and plain momentum differ after the first step."""
    start, ours, _ = run_both(optim.SGD(0.05, momentum=0.9))
    _, _, nesterov = run_both(optim.SGD(0.05, momentum=0.9, nesterov=True))
    assert max(np.max(np.abs(a - b)) for a, b in zip(ours, nesterov)) > 1e-3


def test_adamw_decay_is_decoupled():
    """With a zero gradient Adam stays put while AdamW shrinks weights by (1 - lr·wd) per step."""
    p = [np.ones(3, dtype="float32")]
    zero = [np.zeros(3, dtype="float32")]
    assert np.allclose(optim.Adam(0.1).step(p, zero)[0], 1.0)
    np.testing.assert_allclose(optim.AdamW(0.1, weight_decay=0.5).step(p, zero)[0], 0.95, rtol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: optim.SGD(0.0), "learning_rate"),
    (lambda: optim.SGD(0.1, momentum=1.5), "momentum"),
    (lambda: optim.SGD(0.1, nesterov="yes"), "nesterov"),
    (lambda: optim.Adam(float("nan")), "learning_rate"),
    (lambda: optim.RMSprop(rho=-0.1), "rho"),
    (lambda: optim.AdamW(weight_decay=-1), "weight_decay"),
    (lambda: optim.SGD(0.1).step([np.ones(2)], [np.ones(3)]), "grads"),
    (lambda: optim.OneCycle(0.1, total_steps=1), "total_steps"),
    (lambda: optim.OneCycle(-0.1, total_steps=10), "max_lr"),
    (lambda: optim.LearningRateRangeTest(min_lr=1.0, max_lr=0.1), "max_lr"),
    (lambda: optim.step_decay(3, [10, 20], [0.1, 0.01]), "values"),
    (lambda: optim.descend(lambda p: p, [1.0, 1.0], optim.SGD(0.1), steps=0), "steps"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_descend_reaches_the_quadratic_minimum_and_stops_on_divergence():
    f, grad = optim.ill_conditioned_quadratic(10.0)
    path = optim.descend(grad, [1.0, 1.0], optim.SGD(0.05), steps=500)
    assert f(path[-1]) < 1e-8
    exploding = optim.descend(grad, [1.0, 1.0], optim.SGD(1.0), steps=2000)  # lr > 2/κ diverges
    assert np.all(np.isfinite(exploding)) and f(exploding[-1]) > 1e10


def test_rosenbrock_gradient_matches_finite_differences():
    f, grad = optim.rosenbrock()
    p, h = np.array([-0.7, 0.4]), 1e-6
    numeric = [(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(grad(p), numeric, rtol=1e-6)
    assert f(np.array([1.0, 1.0])) == 0


def test_schedules_match_keras():
    steps = np.arange(0, 300)
    keras_step = keras.optimizers.schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    keras_exp = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=50, decay_rate=0.5)
    keras_cos = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=250, warmup_target=0.1,
                                                       warmup_steps=50, alpha=0.05)
    pairs = [
        (optim.step_decay(steps, [100, 200], [0.1, 0.01, 0.001]), keras_step),
        (optim.exponential_decay(steps, 0.1, 50, 0.5), keras_exp),
        (optim.cosine_with_warmup(steps, 0.1, decay_steps=250, warmup_steps=50, alpha=0.05), keras_cos),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, optim.schedule_values(theirs, len(steps)), rtol=1e-5, atol=1e-8)


def test_one_cycle_shape_and_endpoints():
    sched = optim.OneCycle(0.1, total_steps=100, warmup_fraction=0.3, div_factor=10, final_div_factor=100)
    lr = optim.schedule_values(sched, 120)
    assert lr[0] == pytest.approx(0.01, rel=1e-6)
    assert lr.max() == pytest.approx(0.1, rel=1e-5) and int(np.argmax(lr)) == 30
    assert np.all(np.diff(lr[:30]) > 0) and np.all(np.diff(lr[30:100]) <= 1e-9)
    assert lr[100] == pytest.approx(1e-4, rel=1e-4) and lr[-1] == pytest.approx(1e-4, rel=1e-4)
    # a NumPy reference of the falling half
    t = (np.arange(30, 100) - 30) / 70
    np.testing.assert_allclose(lr[30:100], 1e-4 + (0.1 - 1e-4) * 0.5 * (1 + np.cos(np.pi * t)),
                               rtol=1e-5, atol=1e-8)


def test_one_cycle_survives_serialisation(tmp_path):
    sched = optim.OneCycle(0.05, total_steps=40, warmup_fraction=0.25)
    again = optim.OneCycle.from_config(sched.get_config())
    np.testing.assert_allclose(optim.schedule_values(again, 50), optim.schedule_values(sched, 50))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(sched), loss="mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    restored = loaded.optimizer.learning_rate if not hasattr(loaded.optimizer, "_learning_rate") \
        else loaded.optimizer._learning_rate
    assert isinstance(restored, optim.OneCycle) and restored.get_config() == sched.get_config()


def test_range_test_raises_the_rate_and_stops_on_blow_up():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1))).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    finder = optim.LearningRateRangeTest(min_lr=1e-4, max_lr=10.0, steps=200)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[finder])
    lrs = np.array(finder.learning_rates)
    assert np.all(np.diff(lrs) > 0) and lrs[0] == pytest.approx(1e-4, rel=1e-5)
    assert len(lrs) < 200, "SGD on this problem diverges before 10, so the test must stop early"
    best = optim.suggest_learning_rate(finder.learning_rates, finder.losses)
    assert 1e-5 < best < 1.0


def test_suggested_rate_skips_the_first_batches():
    lrs = np.geomspace(1e-4, 1.0, 30)
    losses = np.r_[0.5, np.linspace(2.0, 1.0, 24), [1.5, 3, 6, 12, 24]]  # a lucky first batch
    assert optim.suggest_learning_rate(lrs, losses, skip_start=0) == pytest.approx(1e-5)
    assert optim.suggest_learning_rate(lrs, losses, skip_start=10) > 1e-3
    for bad in (-1, 30, 2.5):
        with pytest.raises(ValueError, match="skip_start"):
            optim.suggest_learning_rate(lrs, losses, skip_start=bad)


def test_ensemble_logits_and_accuracy():
    class Fixed:
        def __init__(self, out):
            self.out = out

        def predict(self, x, **kw):
            return self.out

    a, b = np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 4.0], [0.0, 3.0]])
    mean = optim.average_logits([Fixed(a), Fixed(b)], None)
    np.testing.assert_allclose(mean, [[1.0, 2.0], [0.0, 2.0]])
    assert optim.accuracy_from_logits(mean, np.array([1, 0])) == 0.5


@pytest.mark.tensorflow_only(reason="tf.distribute is TensorFlow only")
def test_mirrored_strategy_matches_one_device():
    """Two logical CPUs need a fresh process: the split must precede any TensorFlow op."""
    code = ("import json; from dlarch import optim; optim.split_cpu(2); "
            "print(json.dumps(optim.mirrored_vs_single_device(seed=0, steps=6, global_batch=32)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["max_weight_change"] > 1e-2, "training should move the weights"
    assert result["max_abs_difference"] < 1e-5


def test_matmul_rate_is_positive():
    assert optim.matmul_gflops(size=128, repeats=2) > 0
