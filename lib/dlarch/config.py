"""Run profile, seeding and environment checks, read in one place.

The profile decides how much work a notebook does:

* ``book`` (default): what the site shows, a few minutes per notebook on a
  2-core CPU;
* ``smoke``: tiny data and one short epoch, so tests prove every code path;
* ``full``: full datasets and schedules, for readers with a GPU.

Notebooks state their sizes in one visible line::

    EPOCHS = profile.pick(book=10, smoke=1, full=30)
"""

from __future__ import annotations

import os
import platform
import random
import sys

import numpy as np

from ._checks import non_negative_int

PROFILES = ("book", "smoke", "full")
PROFILE_ENV = "DLARCH_PROFILE"
OFFLINE_ENV = "DLARCH_OFFLINE"
DETERMINISTIC_ENV = "DLARCH_DETERMINISTIC"
_NOT_GIVEN = object()  # ``full=None`` is a real choice ("all the data"), so "absent" needs its own marker


class Profile:
    """The active run profile; ``pick`` chooses a value per profile."""

    def __init__(self, name: str):
        if name not in PROFILES:
            raise ValueError(
                f"unknown profile {name!r}; {PROFILE_ENV} must be one of {', '.join(PROFILES)}"
            )
        self.name = name

    def pick(self, *, book, smoke, full=_NOT_GIVEN):
        """Return the value for the active profile.

        ``full`` defaults to ``book`` when not given; ``full=None`` returns
        ``None`` (notebooks use it to mean "all the data").
        """
        if self.name == "smoke":
            return smoke
        if self.name == "full" and full is not _NOT_GIVEN:
            return full
        return book

    def __repr__(self) -> str:
        return f"Profile({self.name!r})"


def current_profile() -> Profile:
    """The profile named by ``DLARCH_PROFILE`` (``book`` when unset)."""
    return Profile(os.environ.get(PROFILE_ENV, "book").strip().lower() or "book")


def offline() -> bool:
    """True when ``DLARCH_OFFLINE`` asks the data loaders not to use the network."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def check_keras():
    """Raise a clear error unless Keras 3 (not legacy tf.keras 2) is in use."""
    if os.environ.get("TF_USE_LEGACY_KERAS", "").strip().lower() in ("1", "true", "yes"):
        raise RuntimeError(
            "TF_USE_LEGACY_KERAS is set, which swaps in Keras 2; this course needs Keras 3. "
            "Unset it (e.g. `del os.environ['TF_USE_LEGACY_KERAS']`) and restart the kernel."
        )
    import keras

    major = int(keras.__version__.split(".")[0])
    if major < 3:
        raise RuntimeError(
            f"Keras {keras.__version__} is installed; this course needs Keras 3 "
            "(`pip install 'keras>=3'`)."
        )
    return keras


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and the Keras backend; return the seed."""
    seed = non_negative_int("seed", seed)
    keras = check_keras()
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(int(seed))
    return int(seed)


def device_name() -> str:
    """The accelerator Keras will use: a GPU's name, or ``CPU (<processor>)``."""
    keras = check_keras()
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"GPU ({details.get('device_name', gpus[0].name)})"
        elif backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if gpus:
                return f"GPU ({gpus[0].device_kind})"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU ({torch.cuda.get_device_name(0)})"
    except Exception:  # a broken driver should not stop the report
        pass
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def full_precision_matmuls() -> str:
    """Make float32 matrix products full float32 precision on every device.

    GPUs default to reduced-precision float32 matmuls — TensorFlow and PyTorch
    use TF32 (10-bit mantissa) on Ampere and newer, JAX uses bfloat16 passes —
    which break the book's from-scratch = Keras checks at 1e-5. On a CPU the
    setting changes nothing. Returns a short description for the report.
    """
    backend = check_keras().backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
        return "float32 matmuls full (TF32 off)"
    if backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
        return "float32 matmuls full (jax precision highest)"
    if backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        return "float32 matmuls full (TF32 off)"
    return f"float32 matmul precision left to the {backend} backend"


def deterministic_requested() -> bool:
    """True when ``DLARCH_DETERMINISTIC`` asks for deterministic GPU kernels."""
    return os.environ.get(DETERMINISTIC_ENV, "").strip().lower() in ("1", "true", "yes")


def enable_determinism() -> str:
    """Ask the backend for deterministic kernels (slower on GPUs); describe what applies.

    TensorFlow: ``tf.config.experimental.enable_op_determinism()``. JAX reads
    ``XLA_FLAGS=--xla_gpu_deterministic_ops=true`` only before it starts, so
    the flag is set here and takes effect if JAX has not yet run.
    """
    backend = check_keras().backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        return "deterministic ops on"
    if backend == "jax":
        flag = "--xla_gpu_deterministic_ops=true"
        if flag not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
        return "deterministic ops requested (XLA_FLAGS, before JAX starts)"
    if backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
        return "deterministic algorithms on"
    return f"determinism left to the {backend} backend"


def environment_report(precision: str | None = None, determinism: str | None = None) -> str:
    """One line: profile, Keras backend and version, TensorFlow version, device, precision."""
    keras = check_keras()
    parts = [
        f"profile={current_profile().name}",
        f"keras={keras.__version__} ({keras.backend.backend()})",
    ]
    try:
        import tensorflow as tf

        parts.append(f"tensorflow={tf.__version__}")
    except ImportError:
        parts.append("tensorflow=absent")
    parts.append(f"device={device_name()}")
    if precision:
        parts.append(precision)
    parts.append(determinism or "deterministic ops off (set DLARCH_DETERMINISTIC=1 for on)")
    return " | ".join(parts)


def plain_numpy_scalars() -> bool:
    """In IPython, show NumPy scalars as the Python numbers they hold.

    Under NumPy 2 a scalar's text is ``np.float64(0.83)``. myst-nb formats a
    glued value from that text, so ``{glue:text}`name:.3f``` fails on it
    ("Failed to format text/plain data"); a plain ``0.83`` formats. Returns
    whether a formatter was registered (False outside IPython).
    """
    ipython = sys.modules.get("IPython")  # loaded when running under IPython; not a dependency
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    plain = shell.display_formatter.formatters["text/plain"]
    # Each concrete type: IPython stops at the first class in the MRO with its own __repr__.
    kinds = (np.float16, np.float32, np.float64, np.longdouble, np.int8, np.int16, np.int32,
             np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)
    for kind in kinds:
        plain.for_type(kind, lambda value, printer, cycle: printer.text(repr(value.item())))
    return True


def setup(seed: int = 0, *, deterministic: bool | None = None) -> Profile:
    """Seed everything, set full-precision matmuls, print the environment line, return the profile.

    In a notebook it also shows NumPy scalars as plain numbers, so glued
    values take format specs.

    ``deterministic`` (default: ``DLARCH_DETERMINISTIC``) also asks for
    deterministic kernels, which matters on GPUs only.
    """
    profile = current_profile()
    seed_everything(seed)
    precision = full_precision_matmuls()
    if deterministic is None:
        deterministic = deterministic_requested()
    determinism = enable_determinism() if deterministic else None
    plain_numpy_scalars()
    print(environment_report(precision, determinism))
    return profile
