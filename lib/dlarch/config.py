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

import numpy as np

PROFILES = ("book", "smoke", "full")
PROFILE_ENV = "DLARCH_PROFILE"
OFFLINE_ENV = "DLARCH_OFFLINE"


class Profile:
    """The active run profile; ``pick`` chooses a value per profile."""

    def __init__(self, name: str):
        if name not in PROFILES:
            raise ValueError(
                f"unknown profile {name!r}; {PROFILE_ENV} must be one of {', '.join(PROFILES)}"
            )
        self.name = name

    def pick(self, *, book, smoke, full=None):
        """Return the value for the active profile (``full`` defaults to ``book``)."""
        if self.name == "smoke":
            return smoke
        if self.name == "full" and full is not None:
            return full
        return book

    @property
    def is_smoke(self) -> bool:
        return self.name == "smoke"

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
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
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


def environment_report() -> str:
    """One line: profile, Keras backend and version, TensorFlow version, device."""
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
    return " | ".join(parts)


def setup(seed: int = 0) -> Profile:
    """Seed everything, print the environment line and return the profile."""
    profile = current_profile()
    seed_everything(seed)
    print(environment_report())
    return profile
