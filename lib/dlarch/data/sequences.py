"""Synthetic sequence tasks for recurrent networks, each a deterministic generator with a seed.

* :func:`adding_problem` — Hochreiter & Schmidhuber's (1997) long-dependency
  test: add the two marked numbers of a long sequence.
* :func:`majority_task` — tag every step with the majority bit of its
  neighbourhood, which needs the *future* as well as the past
  (a task for bidirectional RNNs).
* :func:`synthetic_series` and :func:`forecast_windows` — a documented
  seasonal time series (the controlled counterpart of the real
  :func:`~dlarch.data.load_co2`) and its sliding windows.
* :func:`next_step_windows` — (input, target-shifted-by-one) windows of a
  token sequence, for language models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


def adding_problem(n: int, length: int, seed: int = 0):
    """The adding problem: x is (n, length, 2), y is (n, 1).

    Channel 0 holds numbers drawn uniformly from [0, 1]; channel 1 marks two
    steps with 1, one in the first half and one in the second half. The
    target is the sum of the two marked numbers. A model that ignores the
    input and always predicts the mean (1.0) scores a mean squared error of
    Var(U1 + U2) = 1/6 ≈ 0.167; solving the task means carrying the first
    marked number across up to ``length`` steps.
    """
    n = _checks.positive_int("n", n)
    length = _checks.positive_int("length", length, minimum=2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length)).astype("float32")
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    marks = np.zeros((n, length), dtype="float32")
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None].astype("float32")
    return x, y


ADDING_BASELINE_MSE = 1.0 / 6.0  # always predicting 1.0, the mean of the target


def majority_task(n: int, length: int, radius: int = 1, seed: int = 0):
    """Tag each step with the majority bit of its window [t - radius, t + radius].

    x: (n, length, 1) random bits as float32; y: (n, length, 1) int labels.
    Bits outside the sequence count as 0. A left-to-right (causal) model
    never sees the ``radius`` future bits of the window, so it must guess
    whenever they decide the vote; a bidirectional model sees them all.
    """
    n = _checks.positive_int("n", n)
    length = _checks.positive_int("length", length)
    radius = _checks.positive_int("radius", radius)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, length))
    padded = np.pad(bits, ((0, 0), (radius, radius)))
    width = 2 * radius + 1
    sums = sum(padded[:, k:k + length] for k in range(width))
    y = (sums > radius).astype("int32")
    return bits[..., None].astype("float32"), y[..., None]


@dataclass(frozen=True)
class SeriesSpec:
    """The recipe of :func:`synthetic_series` (printed so readers know what they model)."""

    period: int = 24          # one "day" of hourly readings
    amplitude: float = 3.0    # daily swing
    weekly: float = 1.0       # a slower cycle of 7 periods
    trend: float = 0.002      # drift per step
    ar: float = 0.9           # AR(1) coefficient of the weather-like noise
    noise: float = 0.5        # innovation standard deviation

    def __post_init__(self):
        _checks.positive_int("period", self.period, minimum=2)
        for name in ("amplitude", "weekly", "trend"):
            _checks.finite_float(name, getattr(self, name))
        _checks.fraction("ar", self.ar)  # in [0, 1): a stable AR(1) process
        _checks.non_negative_float("noise", self.noise)


def synthetic_series(n_steps: int, seed: int = 0, spec: SeriesSpec = SeriesSpec()) -> np.ndarray:
    """A documented synthetic "hourly load" series of ``n_steps`` float32 values.

    s_t = 10 + trend·t + amplitude·sin(2πt/period) + weekly·sin(2πt/(7·period)) + e_t,
    e_t = ar·e_{t-1} + noise·N(0, 1). The AR(1) noise is persistent, so the
    recent past carries information the seasonal terms do not.
    """
    n_steps = _checks.positive_int("n_steps", n_steps, minimum=2)
    if not isinstance(spec, SeriesSpec):
        raise ValueError(f"spec must be a SeriesSpec, got {type(spec).__name__}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    shocks = rng.normal(0.0, spec.noise, size=n_steps)
    e = np.zeros(n_steps)
    for k in range(1, n_steps):
        e[k] = spec.ar * e[k - 1] + shocks[k]
    s = (10.0 + spec.trend * t + spec.amplitude * np.sin(2 * np.pi * t / spec.period)
         + spec.weekly * np.sin(2 * np.pi * t / (7 * spec.period)) + e)
    return s.astype("float32")


def forecast_windows(series, window: int, horizon: int):
    """Sliding windows: x (n, window, 1) of past values, y (n, horizon) of the next values."""
    series = _checks.array("series", series, ndim=1, dtype="float32", finite=True)
    window = _checks.positive_int("window", window)
    horizon = _checks.positive_int("horizon", horizon)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(f"series of length {len(series)} is too short for window {window} "
                         f"+ horizon {horizon}")
    idx = np.arange(n)[:, None]
    x = series[idx + np.arange(window)][..., None]
    y = series[idx + window + np.arange(horizon)]
    return x, y


def next_step_windows(ids, length: int):
    """Cut a token sequence into non-overlapping windows: x = ids[t:t+L], y = ids[t+1:t+L+1]."""
    ids = _checks.array("ids", ids, ndim=1)
    length = _checks.positive_int("length", length)
    n = (len(ids) - 1) // length
    if n < 1:
        raise ValueError(f"{len(ids)} ids are too few for windows of length {length}")
    x = ids[: n * length].reshape(n, length)
    y = ids[1: n * length + 1].reshape(n, length)
    return x, y
