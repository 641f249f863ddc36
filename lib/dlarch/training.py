"""Recorded results, training histories and a compact progress display.

``record`` is how a notebook states a headline number: it prints the
measurement next to its target and appends it to ``_build/results.jsonl``,
which ``make bench`` turns into a table and checks.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import pandas as pd

RESULTS_ENV = "DLARCH_RESULTS"
NOTEBOOK_ENV = "DLARCH_NOTEBOOK"
# Both "canonical" and "mirror" data are the published files, so one target serves both.
TARGET_KEY = {"canonical": "canonical", "mirror": "canonical", "offline": "offline",
              "synthetic": "synthetic"}


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    target: float
    higher_is_better: bool
    source: str | None
    ok: bool
    notebook: str | None

    def line(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        data = f", {self.source} data" if self.source else ""
        mark = "✓" if self.ok else "✗"
        return f"{self.name}: measured {self.value:.4g} (target {sign} {self.target:.4g}{data}) {mark}"


def results_path() -> Path:
    """``$DLARCH_RESULTS``, else ``_build/results.jsonl`` at the book's root."""
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists():
            return folder / "_build" / "results.jsonl"
    return here / "_build" / "results.jsonl"


def _target_for(target, source):
    if isinstance(target, dict):
        key = TARGET_KEY.get(source)
        if key not in target:
            raise ValueError(
                f"no target for {source!r} data; targets are given for {sorted(target)} "
                f"(source must be one of {sorted(TARGET_KEY)})"
            )
        return float(target[key])
    if isinstance(target, (int, float)):
        return float(target)
    raise ValueError(f"target must be a number or a dict of numbers by data source, got {target!r}")


def record(name: str, value, target, *, source: str | None = None,
           higher_is_better: bool = True) -> Result:
    """Print ``value`` against its target and append it to the results file.

    Args:
        name: a stable identifier, e.g. ``"ch01.mlp_digits.test_accuracy"``.
        value: the measured number.
        target: a number, or ``{"canonical": .., "offline": ..}`` keyed by
            data source; the one for ``source`` is checked.
        source: where the data came from (``ImageData.source``).
        higher_is_better: False for losses and times.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if source is not None and source not in TARGET_KEY:
        raise ValueError(f"source must be one of {sorted(TARGET_KEY)}, got {source!r}")
    value = float(value)
    goal = _target_for(target, source)
    ok = value >= goal if higher_is_better else value <= goal
    result = Result(name, value, goal, higher_is_better, source, ok,
                    os.environ.get(NOTEBOOK_ENV))
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({**asdict(result), "time": time.time()}) + "\n")
    print(result.line())
    return result


def read_results(path: Path | None = None) -> pd.DataFrame:
    """The results file as a DataFrame, keeping the latest row per name."""
    path = Path(path) if path else results_path()
    if not path.exists():
        return pd.DataFrame(columns=["name", "value", "target", "source", "ok", "notebook"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    frame = pd.DataFrame(rows)
    return frame.drop_duplicates("name", keep="last").reset_index(drop=True)


def history_frame(history) -> pd.DataFrame:
    """A Keras ``History`` (or its ``.history`` dict) as a DataFrame indexed by epoch."""
    data = getattr(history, "history", history)
    if not isinstance(data, dict) or not data:
        raise ValueError("expected a keras History or a non-empty dict of per-epoch lists")
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def epochs_for(updates: int, n_examples: int, batch_size: int) -> int:
    """Epochs that give about ``updates`` gradient steps on ``n_examples`` (at least 1).

    A budget in updates keeps a notebook's run time the same whether it trains on
    the 4,000 offline digits or the 60,000 canonical ones: more data means fewer
    passes over it, not more time.
    """
    for name, value in (("updates", updates), ("n_examples", n_examples), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    steps_per_epoch = -(-n_examples // batch_size)  # the last, partial batch is a step too
    return max(1, round(updates / steps_per_epoch))


class CompactProgress(keras.callbacks.Callback):
    """One short line every ``every`` epochs; use with ``fit(..., verbose=0)``.

    Keras's own bars write carriage returns that render as walls of text on
    a static site; this prints plain lines instead.
    """

    def __init__(self, every: int = 1, digits: int = 4):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.every, self.digits = every, digits

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.epochs = self.params.get("epochs", 0)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every and done != self.epochs:
            return
        metrics = " · ".join(f"{k} {v:.{self.digits}f}" for k, v in (logs or {}).items()
                             if isinstance(v, (int, float)) or hasattr(v, "__float__"))
        print(f"epoch {done}/{self.epochs} — {metrics} — {time.perf_counter() - self.start:.1f}s")


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch, in ``self.seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    @property
    def mean(self) -> float:
        """Mean seconds per epoch, leaving out the first (graph tracing) when possible."""
        steady = self.seconds[1:] or self.seconds
        return sum(steady) / len(steady) if steady else float("nan")
