"""The XOR problem: the smallest task no linear model can solve.

Minsky & Papert (1969) used it to show the limits of the single-layer
perceptron. ``make_xor`` is a deterministic generator: the four corners of
the unit square labelled ``x1 XOR x2``, optionally as noisy clouds.
"""

from __future__ import annotations

import numpy as np

from .. import _checks

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
LABELS = np.array([0, 1, 1, 0], dtype=np.int64)


def make_xor(n_per_corner: int = 1, noise: float = 0.0, seed: int = 0):
    """XOR points and labels (source "synthetic").

    Args:
        n_per_corner: points drawn around each corner; 1 with ``noise=0``
            gives exactly the four rows of the truth table.
        noise: standard deviation of Gaussian jitter added to each point.
        seed: seed of the jitter.

    Returns:
        ``(x, y)``: float32 points ``(4 * n_per_corner, 2)`` and int64 labels.
    """
    n_per_corner = _checks.positive_int("n_per_corner", n_per_corner)
    noise = _checks.non_negative_float("noise", noise)
    rng = np.random.default_rng(seed)
    x = np.repeat(CORNERS, n_per_corner, axis=0)
    y = np.repeat(LABELS, n_per_corner)
    x = x + rng.normal(0.0, noise, size=x.shape).astype(np.float32) if noise else x.copy()
    return x.astype(np.float32), y
