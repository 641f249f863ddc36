"""Figures used across chapters: functions, training curves, image grids.

Every helper sets a title and axis labels, and returns the matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .training import history_frame


def plot_functions(functions: dict, x=None, *, title: str, xlabel: str = "x",
                   ylabel: str = "f(x)", ax=None):
    """Plot each ``name -> callable`` of ``functions`` over ``x`` on one axis."""
    if not functions:
        raise ValueError("functions must map at least one name to a callable")
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5, 3.5))
    for name, fn in functions.items():
        ax.plot(x, fn(x), label=name)
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(frameon=False)
    return fig


def plot_history(histories, metric: str = "loss", *, title: str | None = None,
                 ylabel: str | None = None, ax=None, validation: bool = True):
    """Training (solid) and validation (dashed) curves of one metric.

    ``histories`` is a History, or a dict ``label -> History`` to compare runs.
    """
    if not isinstance(histories, dict) or "history" in histories or all(
        isinstance(v, list) for v in histories.values()
    ):
        histories = {"": histories}
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.5, 3.5))
    for i, (label, history) in enumerate(histories.items()):
        frame = history_frame(history)
        if metric not in frame:
            raise ValueError(f"metric {metric!r} not in history; it has {list(frame.columns)}")
        color = f"C{i}"
        ax.plot(frame.index, frame[metric], color=color, label=f"{label} train".strip())
        if validation and f"val_{metric}" in frame:
            ax.plot(frame.index, frame[f"val_{metric}"], color=color, ls="--",
                    label=f"{label} validation".strip())
    ax.set(title=title or f"{metric} during training", xlabel="epoch", ylabel=ylabel or metric)
    ax.legend(frameon=False)
    return fig


def image_grid(images, labels=None, *, title: str, ncols: int = 10, cmap: str = "gray",
               size: float = 1.0):
    """Show images ``(N, H, W)`` or ``(N, H, W, C)`` in a grid, labels as captions."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, H, W[, C]) array, got shape {images.shape}")
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    ncols = min(ncols, len(images))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
