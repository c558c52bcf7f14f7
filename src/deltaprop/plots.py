"""Pictures of a training run (matplotlib, Agg, no display needed): curves, confusion matrix, W^1.

Each ``*_figure`` function returns a matplotlib Figure; each ``plot_*``
function writes it (atomically) as PNG, SVG or PDF, as the name's suffix says, and returns the path.
:func:`plot_training` writes all that apply into a directory.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._figures import figure_path, new_figure, save_figure
from .checks import integer

__all__ = [
    "history_figure",
    "confusion_figure",
    "first_layer_figure",
    "plot_history",
    "plot_confusion",
    "plot_first_layer",
    "plot_training",
]


def _history_dict(history) -> dict:
    return history.as_dict() if hasattr(history, "as_dict") else dict(history)


def _numbers(values) -> np.ndarray:
    """A history entry as float64, with None (NaN in a JSON history) as NaN: a gap in the curve."""
    return np.array([np.nan if v is None else v for v in values or []], dtype=np.float64)


def history_figure(history, title: str | None = None):
    """Loss (left) and accuracy (right) per epoch, training and validation.

    ``history`` is a :class:`deltaprop.training.History` or its ``as_dict()``.
    The accuracy panel appears only when accuracy was recorded. Entries that are
    None or NaN (a diverged epoch; JSON writes NaN as null) leave a gap.
    """
    h = _history_dict(history)
    if not h.get("loss"):
        raise ValueError("history: expected at least one recorded epoch; got none")
    has_acc = bool(h.get("accuracy") or h.get("val_accuracy"))
    fig = new_figure(11 if has_acc else 6, 4.2)
    panels = [("loss", "cost C (mean per example)", "Loss")] + ([("accuracy", "accuracy", "Accuracy")] if has_acc else [])
    for k, (key, ylabel, name) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), k)
        for prefix, label, style in (("", "training", "-o"), ("val_", "validation", "-s")):
            values = _numbers(h.get(prefix + key))
            if values.size:
                ax.plot(range(1, len(values) + 1), values, style, markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{name} per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
        losses = _numbers(h["loss"])
        losses = losses[np.isfinite(losses)]
        if key == "loss" and losses.size and losses.min() > 0 and losses.max() / losses.min() > 50:
            ax.set_yscale("log")  # the first epochs would flatten the rest
    fig.suptitle(title or "Training history")
    fig.tight_layout()
    return fig


#: The most class names written along each axis of the confusion matrix.
MAX_TICKS = 30


def confusion_figure(cm, class_names, title: str | None = None):
    """The confusion matrix: rows are true classes, columns predicted, cells the counts.

    cm : int array of shape (k, k); class_names : k labels. Past :data:`MAX_TICKS`
    classes only every step-th name is written, and past 20 the counts are left out.
    """
    cm = np.asarray(cm)
    k = len(class_names)
    if cm.shape != (k, k):
        raise ValueError(f"cm: expected shape ({k}, {k}) for {k} class names; got {cm.shape}")
    size = min(4 + 0.55 * k, 14)
    fig = new_figure(size + 1.5, size)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, label="examples")
    names = [str(n) for n in class_names]
    # At most MAX_TICKS names per axis (every step-th class): 100 names on one axis overlap into a black bar.
    step = math.ceil(k / MAX_TICKS) if k else 1
    ticks = list(range(0, k, step))
    shown = [names[i] for i in ticks]
    long_names = max(map(len, shown), default=0) > 2
    ax.set_xticks(ticks, shown, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(ticks, shown)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 20:  # counts stay legible up to here
        threshold = cm.max() / 2 if cm.size else 0
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9, color="white" if cm[i, j] > threshold else "black")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(title or f"Confusion matrix (accuracy {accuracy:.3f}, {cm.sum()} examples)")
    fig.tight_layout()
    return fig


def first_layer_figure(net, image_shape, max_units: int = 64, title: str | None = None):
    """The weights of the first ``max_units`` units of layer 1, each row w^1_i shown as an image.

    image_shape : (height, width) with height * width = N_0. Each unit has its
    own symmetric colour scale (red > 0, blue < 0), so the pattern it responds
    to is visible whatever its norm.
    """
    W = np.asarray(net.weights[0])  # W^1: (N_1, N_0)
    max_units = integer("max_units", max_units)
    try:
        h, w = image_shape
    except (TypeError, ValueError):
        raise ValueError(f"image_shape: expected a pair (height, width); got {image_shape!r}") from None
    h, w = integer("image_shape height", h), integer("image_shape width", w)
    if h * w != W.shape[1]:
        raise ValueError(f"image_shape: expected height * width = N_0 = {W.shape[1]}; got {tuple(image_shape)}")
    n = min(W.shape[0], max_units)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    fig = new_figure(1.3 * cols + 0.5, 1.3 * rows + 0.8)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        limit = float(np.abs(W[i]).max()) or 1.0
        ax.imshow(W[i].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"unit {i + 1}", fontsize=7)
    shown = f"first {n} of {W.shape[0]}" if n < W.shape[0] else f"all {n}"
    fig.suptitle(title or f"Layer 1 weights $w^1_i$ as {h}x{w} images ({shown} units; red > 0, blue < 0)")
    fig.tight_layout()
    return fig


def plot_history(history, path, title: str | None = None) -> Path:
    """Write :func:`history_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)  # (before the drawing)
    return save_figure(history_figure(history, title), path)


def plot_confusion(cm, class_names, path, title: str | None = None) -> Path:
    """Write :func:`confusion_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)
    return save_figure(confusion_figure(cm, class_names, title), path)


def plot_first_layer(net, image_shape, path, max_units: int = 64) -> Path:
    """Write :func:`first_layer_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)
    return save_figure(first_layer_figure(net, image_shape, max_units), path)


def plot_training(directory, *, history=None, net=None, cm=None, class_names=None, image_shape=None) -> list[Path]:
    """Write every picture the arguments allow into ``directory`` (created if needed).

    ``history.png`` from ``history``; ``confusion.png`` from ``cm`` and
    ``class_names``; ``first_layer.png`` from ``net`` when ``image_shape``
    is given. Returns the paths written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    if history is not None:
        written.append(plot_history(history, directory / "history.png"))
    if cm is not None and class_names is not None:
        written.append(plot_confusion(cm, class_names, directory / "confusion.png"))
    if net is not None and image_shape is not None:
        written.append(plot_first_layer(net, image_shape, directory / "first_layer.png"))
    return written
