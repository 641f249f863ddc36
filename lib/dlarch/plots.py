"""Figures used across chapters: functions, training curves, image grids.

Every helper sets a title and axis labels, and returns the matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _checks
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
    ncols = min(_checks.positive_int("ncols", ncols), len(images))
    size = _checks.positive_float("size", size)
    if labels is not None and len(labels) < len(images):
        raise ValueError(f"labels must hold one caption per image ({len(images)}), got {len(labels)}")
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


def flow_diagram(boxes: dict, arrows, *, title: str, size=(8.0, 3.0)):
    """Labelled boxes joined by labelled arrows: a model's data flow or a training loop.

    Args:
        boxes: ``name -> (x, y, text)``, the centre of each box in axes
            fractions (0 to 1) and the text written in it.
        arrows: ``(start, end, label)`` triples of box names; ``label`` is
            written at the middle of the arrow ("" for none). A fourth item,
            if given, bends the arrow (matplotlib's ``arc3`` radius).
    """
    if not boxes:
        raise ValueError("boxes must map at least one name to (x, y, text)")
    fig, ax = plt.subplots(figsize=size)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    drawn = {}
    for name, spec in boxes.items():
        if len(spec) != 3:
            raise ValueError(f"box {name!r} must be (x, y, text), got {spec!r}")
        x, y, text = spec
        drawn[name] = ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3,
                              bbox=dict(boxstyle="round,pad=0.5", facecolor="#eef3fb",
                                        edgecolor="0.3"))
    fig.canvas.draw()  # the boxes need their sizes before arrows can be clipped to them
    for arrow in arrows:
        start, end, label, *bend = arrow
        missing = [name for name in (start, end) if name not in drawn]
        if missing:
            raise ValueError(f"arrow {arrow!r} names unknown boxes {missing}; boxes are {list(drawn)}")
        ax.annotate("", xy=boxes[end][:2], xytext=boxes[start][:2],
                    arrowprops=dict(arrowstyle="-|>", color="0.25", lw=1.2,
                                    connectionstyle=f"arc3,rad={bend[0] if bend else 0}",
                                    patchA=drawn[start].get_bbox_patch(),
                                    patchB=drawn[end].get_bbox_patch()))
        if label:
            # the middle of matplotlib's arc3 curve: half-way to its control point
            (x0, y0), (x1, y1) = boxes[start][:2], boxes[end][:2]
            rad = bend[0] if bend else 0.0
            width, height = ax.bbox.width, ax.bbox.height  # arc3 bends in display units
            ax.text((x0 + x1) / 2 + 0.5 * rad * (y1 - y0) * height / width,
                    (y0 + y1) / 2 - 0.5 * rad * (x1 - x0) * width / height,
                    label, ha="center", va="center", fontsize=8, color="0.2", zorder=4,
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none"))
    ax.set_title(title)
    return fig
