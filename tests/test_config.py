import keras
import numpy as np
import pytest

from dlarch import config


def test_default_profile_is_book(monkeypatch):
    monkeypatch.delenv("DLARCH_PROFILE", raising=False)
    assert config.current_profile().name == "book"


@pytest.mark.parametrize("name,expected", [("book", 10), ("smoke", 1), ("full", 30)])
def test_pick_follows_the_profile(monkeypatch, name, expected):
    monkeypatch.setenv("DLARCH_PROFILE", name)
    assert config.current_profile().pick(book=10, smoke=1, full=30) == expected


def test_full_defaults_to_book():
    assert config.Profile("full").pick(book=10, smoke=1) == 10


def test_unknown_profile_names_the_allowed_ones(monkeypatch):
    monkeypatch.setenv("DLARCH_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"'fast'.*book, smoke, full"):
        config.current_profile()


def test_seeding_makes_keras_reproducible():
    config.seed_everything(3)
    a = keras.random.normal((4,)), np.random.rand(2)
    config.seed_everything(3)
    b = keras.random.normal((4,)), np.random.rand(2)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(a[0]), keras.ops.convert_to_numpy(b[0]))
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        config.seed_everything(seed)


def test_environment_report_names_versions_and_device():
    line = config.environment_report()
    assert f"keras={keras.__version__}" in line
    assert "tensorflow=" in line and "device=" in line and "profile=" in line


def test_legacy_keras_is_refused(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS"):
        config.check_keras()


def test_old_keras_is_refused(monkeypatch):
    monkeypatch.setattr(keras, "__version__", "2.15.0")
    with pytest.raises(RuntimeError, match="needs Keras 3"):
        config.check_keras()


def test_offline_flag(monkeypatch):
    monkeypatch.setenv("DLARCH_OFFLINE", "1")
    assert config.offline()
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    assert not config.offline()


def test_full_defaults_to_book_but_none_means_all():
    # None is a real choice (notebooks use it for "all the data"), not "not given".
    assert config.Profile("full").pick(book=4000, smoke=64, full=None) is None
    assert config.Profile("book").pick(book=4000, smoke=64, full=None) == 4000


def test_seed_accepts_numpy_integers():
    assert config.seed_everything(np.int64(5)) == 5


def _reduced_precision_on_and_check():
    """Switch the active backend to reduced-precision float32 matmuls; return a check of the setting."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(True)
        return lambda: not tf.config.experimental.tensor_float_32_execution_enabled()
    if backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "bfloat16")
        return lambda: jax.config.jax_default_matmul_precision == "highest"
    pytest.skip(f"no precision check written for the {backend} backend")


def test_setup_turns_off_reduced_precision_matmuls(capsys):
    full_precision = _reduced_precision_on_and_check()
    assert not full_precision()
    config.setup(seed=0, deterministic=False)
    assert full_precision()
    line = capsys.readouterr().out
    assert "float32 matmuls full" in line and "deterministic ops off" in line
    assert f"({keras.backend.backend()})" in line


def test_deterministic_setup_in_a_fresh_process():
    # Op determinism cannot be switched off again in a process, so try it in a child.
    import subprocess
    import sys

    if keras.backend.backend() == "tensorflow":
        check = ("from tensorflow.python.framework import config as c;"
                 "assert c.is_op_determinism_enabled()")
        said = "deterministic ops on"
    else:  # JAX reads the XLA flag when it starts its GPU backend
        check = "import os; assert '--xla_gpu_deterministic_ops=true' in os.environ['XLA_FLAGS']"
        said = "deterministic ops requested"
    code = f"from dlarch import config; config.setup(seed=1, deterministic=True); {check}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert said in done.stdout


def test_setup_shows_numpy_scalars_as_plain_numbers_in_ipython():
    # myst-nb formats a glued value from its text/plain; "np.float64(0.5)" cannot take ":.3f".
    from IPython.core.interactiveshell import InteractiveShell

    assert config.plain_numpy_scalars() is False  # no IPython shell here
    shell = InteractiveShell.instance()
    try:
        text = lambda value: shell.display_formatter.format(value)[0]["text/plain"]
        assert text(np.float64(0.5)) == "np.float64(0.5)"
        config.setup(seed=0)
        assert [text(np.float64(0.5)), text(np.float32(0.25)), text(np.int64(3)), text(np.bool_(True))] \
            == ["0.5", "0.25", "3", "True"]
        assert text(np.array([0.5])) == "array([0.5])"  # arrays keep their own repr
    finally:
        InteractiveShell.clear_instance()
