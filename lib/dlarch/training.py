"""Recorded results, training histories and a compact progress display.

``record`` is how a notebook states a headline number: it prints the
measurement next to its target and appends it to ``_build/results.jsonl``,
which ``make bench`` turns into a table and checks.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ._checks import finite_float, fraction, one_of, positive_int

RESULTS_ENV = "DLARCH_RESULTS"
NOTEBOOK_ENV = "DLARCH_NOTEBOOK"
# Both "canonical" and "mirror" data are the published files, so one target serves both.
# The Debian/Ubuntu package ("system") holds the same published data, verified by hash.
TARGET_KEY = {"canonical": "canonical", "mirror": "canonical", "system": "canonical",
              "offline": "offline", "synthetic": "synthetic"}


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    target: float
    higher_is_better: bool
    source: str | None
    ok: bool
    notebook: str | None
    claim: bool = False

    def line(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        data = f", {self.source} data" if self.source else ""
        mark = "✓" if self.ok else "✗"
        if self.claim:
            mark += " claim held" if self.ok else " claim did not hold"
        return f"{self.name}: measured {self.value:.4g} (target {sign} {self.target:.4g}{data}) {mark}"


def results_path() -> Path | None:
    """``$DLARCH_RESULTS``, else ``_build/results.jsonl`` at the book's root.

    ``None`` outside the book (no ``_toc.yml`` above the current folder) when
    ``DLARCH_RESULTS`` is unset: results are then printed, not written.
    """
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists():
            return folder / "_build" / "results.jsonl"
    return None


def _target_for(target, source):
    if isinstance(target, dict):
        key = TARGET_KEY.get(source)
        if key not in target:
            raise ValueError(
                f"no target for {source!r} data; targets are given for {sorted(target)} "
                f"(source must be one of {sorted(TARGET_KEY)})"
            )
        return finite_float(f"target[{key!r}]", target[key])
    try:
        return finite_float("target", target)
    except ValueError:
        raise ValueError(
            f"target must be a finite number or a dict of numbers by data source, got {target!r}"
        ) from None


def record(name: str, value, target, *, source: str | None = None,
           higher_is_better: bool = True, claim: bool = False) -> Result:
    """Print ``value`` against its target and append it to the results file.

    A record is either a *target*, which the experiment must meet for the
    notebook to show what it teaches (``make bench`` fails on a miss), or a
    *claim* (``claim=True``): a statement from the literature or the source
    articles put to the test, whose outcome either way is a finding that the
    prose reports. A claim can fail exactly like a target; ``make bench``
    lists claims that did not hold apart from missed targets. Pair every claim
    with a target showing that the experiment itself worked (the baseline
    overfits, the teacher is accurate), so a broken run cannot pass as a finding.

    Args:
        name: a stable identifier, e.g. ``"ch01.mlp_digits.test_accuracy"``.
        value: the measured number.
        target: a number, or ``{"canonical": .., "offline": ..}`` keyed by
            data source; the one for ``source`` is checked.
        source: where the data came from (``ImageData.source``).
        higher_is_better: False for losses and times.
        claim: True for a claim under test, False for a target.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if source is not None:
        one_of("source", source, tuple(TARGET_KEY))
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"value must be a number, got {value!r}") from None
    goal = _target_for(target, source)
    # NaN or infinity is a failed measurement (a diverged run), never a pass.
    ok = math.isfinite(value) and (value >= goal if higher_is_better else value <= goal)
    if not isinstance(claim, bool):
        raise ValueError(f"claim must be True or False, got {claim!r}")
    result = Result(name, value, goal, higher_is_better, source, ok,
                    os.environ.get(NOTEBOOK_ENV), claim)
    print(result.line())  # printed first: a failed write must not lose the measurement
    path = results_path()
    if path is not None:
        row = {**asdict(result), "value": value if math.isfinite(value) else None,
               "time": time.time()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, allow_nan=False) + "\n")
    return result


def read_results(path: Path | None = None) -> pd.DataFrame:
    """The results file as a DataFrame, keeping the latest row per name."""
    path = Path(path) if path else results_path()
    if path is None or not path.exists():
        return pd.DataFrame(columns=["name", "value", "target", "source", "ok", "notebook", "claim"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    frame = pd.DataFrame(rows)
    # Files written before claims existed hold targets only.
    frame["claim"] = frame["claim"].fillna(False).astype(bool) if "claim" in frame else False
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
    updates = positive_int("updates", updates)
    n_examples = positive_int("n_examples", n_examples)
    batch_size = positive_int("batch_size", batch_size)
    steps_per_epoch = -(-n_examples // batch_size)  # the last, partial batch is a step too
    return max(1, round(updates / steps_per_epoch))


class CompactProgress(keras.callbacks.Callback):
    """One short line every ``every`` epochs; use with ``fit(..., verbose=0)``.

    Keras's own bars write carriage returns that render as walls of text on
    a static site; this prints plain lines instead.
    """

    def __init__(self, every: int = 1, digits: int = 4):
        super().__init__()
        self.every = positive_int("every", every)
        self.digits = positive_int("digits", digits)

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


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class EpochTimer(keras.callbacks.Callback):
    """Seconds of every epoch, in ``self.seconds``, on the chosen clock.

    ``clock="wall"`` (default) measures elapsed time, which is what
    parallel hardware shortens; ``clock="cpu"`` measures CPU time summed over
    all threads of this process, i.e. the total work, which parallelism does
    not reduce.
    """

    def __init__(self, clock: str = "wall"):
        super().__init__()
        self.clock = one_of("clock", clock, tuple(CLOCKS))
        self.seconds: list[float] = []

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = CLOCKS[self.clock]()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(CLOCKS[self.clock]() - self._start)

    @property
    def mean(self) -> float:
        """Mean seconds per epoch, leaving out the first (graph tracing) when there are two or more."""
        if not self.seconds:
            raise RuntimeError("EpochTimer.mean: no epoch has been timed yet; pass the timer "
                               "to model.fit(callbacks=[...]) first")
        steady = self.seconds[1:] or self.seconds
        return sum(steady) / len(steady)


def split_validation(x, y, validation_fraction: float | None = None, *,
                     n_validation: int | None = None, stratify: bool = False, seed: int = 0):
    """A shuffled hold-out split of training data: ``(x_fit, y_fit), (x_val, y_val)``.

    Give the held-out size as ``validation_fraction`` (default 0.1) or as a
    count, ``n_validation``, not both. ``stratify=True`` keeps every class's
    share the same in both parts (scikit-learn's ``train_test_split``), which
    matters when the validation set is small. The test set never serves as
    validation data: it is touched once, at the end.
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x and y must have the same length, got {n} and {len(y)}")
    if n_validation is not None:
        if validation_fraction is not None:
            raise ValueError("give validation_fraction or n_validation, not both; "
                             f"got {validation_fraction!r} and {n_validation!r}")
        n_val = positive_int("n_validation", n_validation)
        if n_val >= n:
            raise ValueError(f"n_validation must be below the {n} examples, got {n_val}")
    else:
        validation_fraction = fraction("validation_fraction",
                                       0.1 if validation_fraction is None else validation_fraction,
                                       low_inclusive=False)
        n_val = max(1, int(round(n * validation_fraction)))
        if n_val >= n:
            raise ValueError(f"validation_fraction={validation_fraction} leaves no training "
                             f"data of {n} examples")
    if stratify:
        from sklearn.model_selection import train_test_split

        x_fit, x_val, y_fit, y_val = train_test_split(x, y, test_size=n_val, stratify=y,
                                                      random_state=seed)
        return (x_fit, y_fit), (x_val, y_val)
    order = np.random.default_rng(seed).permutation(n)
    fit, val = order[n_val:], order[:n_val]
    return (x[fit], y[fit]), (x[val], y[val])


def train_and_measure(model, data, epochs, batch_size=64, callbacks=(),
                      validation_fraction=0.1, seed=0):
    """Fit a compiled classifier on ``data`` (an ImageData) and measure it.

    A ``validation_fraction`` of the training images is held out for the
    curves; the test set is evaluated once, after training. Returns a dict:
    ``parameters``, ``flops`` (multiply-adds per image), ``seconds_per_epoch``
    (wall clock, mean after the first epoch), ``val_accuracy`` (last epoch),
    ``test_accuracy`` and the Keras ``history``.
    """
    from .cnn import count_flops  # cnn imports this module; import at call time

    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled first (builders return uncompiled logit models: "
                         "compile with a from_logits=True loss and an accuracy metric)")
    (x_fit, y_fit), (x_val, y_val) = split_validation(
        data.x_train, data.y_train, validation_fraction, seed=seed)
    timer = EpochTimer()
    history = model.fit(x_fit, y_fit, epochs=epochs, batch_size=batch_size,
                        validation_data=(x_val, y_val), verbose=0,
                        callbacks=[timer, *callbacks])
    _, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    return {"parameters": model.count_params(), "flops": count_flops(model),
            "seconds_per_epoch": timer.mean,
            "val_accuracy": float(history.history["val_accuracy"][-1]),
            "test_accuracy": float(accuracy), "history": history}
