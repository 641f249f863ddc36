"""Two binary sequence tasks that separate local patterns from long-range dependencies.

* ``motif_task``: does the sequence contain a short motif (e.g. ``1 2 3``)
  anywhere? The evidence is *local* — three neighbouring tokens — but may sit
  at any position.
* ``first_token_task``: is the first token in the upper half of the
  vocabulary? The evidence sits ``length − 1`` steps before the end, a
  *long-range* dependency for a model that reads to the end.

Both are deterministic given the seed, balanced (half positives), and
documented as what they are: synthetic tasks for chapter 10's comparison.
"""

from __future__ import annotations

import numpy as np

from .._checks import positive_int


def _occurrences(row: np.ndarray, patterns) -> np.ndarray:
    """Start positions where any of ``patterns`` (equal lengths) occurs in ``row``."""
    windows = np.lib.stride_tricks.sliding_window_view(row, len(patterns[0]))
    return np.flatnonzero(np.any([np.all(windows == p, axis=1) for p in patterns], axis=0))


def motif_task(n: int, length: int, *, vocab_size: int = 8, motif=(1, 2, 3), seed: int = 0):
    """``n`` token sequences of ``length``; label 1 when ``motif`` occurs contiguously.

    Positives get the motif written at a uniformly random position; negatives
    get a *decoy* — the motif's tokens in another order — written the same way,
    so both classes hold the same tokens equally often and only their order
    tells them apart (no counting shortcut). In both classes a row is redrawn
    until the planted pattern is the only occurrence of the motif or a decoy,
    so neither class is filtered differently. Returns ``(x int32 (n, length), y int32 (n,))``.
    """
    n = positive_int("n", n)
    vocab_size = positive_int("vocab_size", vocab_size, minimum=2)
    motif = np.asarray(motif, dtype=np.int32)
    if motif.ndim != 1 or motif.size < 2 or motif.min() < 0 or motif.max() >= vocab_size:
        raise ValueError(f"motif must be two or more token ids in [0, {vocab_size}), "
                         f"got {motif.tolist()!r}")
    decoys = [d for d in (motif[::-1], np.roll(motif, 1)) if not np.array_equal(d, motif)]
    if not decoys:
        raise ValueError(f"motif must not read the same in every order, got {motif.tolist()!r}")
    length = positive_int("length", length, minimum=len(motif))
    rng = np.random.default_rng(seed)
    x = np.empty((n, length), dtype=np.int32)
    y = (np.arange(n) % 2).astype(np.int32)
    rng.shuffle(y)
    patterns = [motif, *decoys]
    for i in range(n):
        planted = motif if y[i] else decoys[int(rng.integers(len(decoys)))]
        while True:
            row = rng.integers(0, vocab_size, size=length, dtype=np.int32)
            start = int(rng.integers(0, length - len(motif) + 1))
            row[start:start + len(motif)] = planted
            if _occurrences(row, patterns).tolist() == [start]:
                break
        x[i] = row
    return x, y


def first_token_task(n: int, length: int, *, vocab_size: int = 8, seed: int = 0):
    """``n`` token sequences of ``length``; label 1 when the FIRST token is in the upper half.

    Every later token is noise, so a model that reads left to right must carry
    one fact across ``length − 1`` steps, and one that looks only at the end
    cannot know it. Returns ``(x int32 (n, length), y int32 (n,))``, half positive.
    """
    n = positive_int("n", n)
    length = positive_int("length", length, minimum=2)
    vocab_size = positive_int("vocab_size", vocab_size, minimum=2)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, size=(n, length), dtype=np.int32)
    y = (np.arange(n) % 2).astype(np.int32)
    rng.shuffle(y)
    half = vocab_size // 2
    x[:, 0] = np.where(y == 1, rng.integers(half, vocab_size, size=n),
                       rng.integers(0, half, size=n)).astype(np.int32)
    return x, y
