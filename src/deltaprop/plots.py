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
from .callbacks import Callback
from .checks import boolean, integer

__all__ = [
    "history_figure",
    "confusion_figure",
    "first_layer_figure",
    "plot_history",
    "plot_confusion",
    "plot_first_layer",
    "plot_training",
    "decision_figure",
    "plot_decision",
    "DecisionFrames",
]


def _history_dict(history) -> dict:
    return history.as_dict() if hasattr(history, "as_dict") else dict(history)


def _numbers(values) -> np.ndarray:
    """A history entry as float64, with None (NaN in a JSON history) as NaN: a gap in the curve."""
    return np.array([np.nan if v is None else v for v in values or []], dtype=np.float64)


#: What one point of a history is: ``fit`` records one per epoch, and for L-BFGS one per iteration.
STEPS = ("epoch", "iteration")


def _step_of(h: dict) -> str:
    """"iteration" for an L-BFGS history, which records no learning rate (NaN, null in JSON, every entry:
    the line search chooses each step), else "epoch"."""
    rates = _numbers(h.get("learning_rate"))
    return "iteration" if rates.size and np.all(np.isnan(rates)) else "epoch"


def history_figure(history, title: str | None = None, step: str | None = None):
    """Loss (left) and accuracy (right) per epoch, training and validation.

    ``history`` is a :class:`deltaprop.training.History` or its ``as_dict()``.
    The accuracy panel appears only when accuracy was recorded. Entries that are
    None or NaN (a diverged epoch; JSON writes NaN as null) leave a gap.
    ``step`` : what one point is, "epoch" or "iteration" (L-BFGS records one per iteration, each of which may
    evaluate the cost several times); by default "iteration" where the history's learning rates are all NaN
    (L-BFGS has none), else "epoch".
    """
    h = _history_dict(history)
    if not h.get("loss"):
        raise ValueError("history: expected at least one recorded epoch; got none")
    if step is None:
        step = _step_of(h)
    elif step not in STEPS:
        raise ValueError(f"step: expected one of {STEPS}; got {step!r}")
    has_acc = bool(h.get("accuracy") or h.get("val_accuracy"))
    fig = new_figure(11 if has_acc else 6, 4.2)
    panels = [("loss", "cost C (mean per example)", "Loss")] + ([("accuracy", "accuracy", "Accuracy")] if has_acc else [])
    for k, (key, ylabel, name) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, len(panels), k)
        for prefix, label, style in (("", "training", "-o"), ("val_", "validation", "-s")):
            values = _numbers(h.get(prefix + key))
            if values.size:
                ax.plot(range(1, len(values) + 1), values, style, markersize=3, label=label)
        ax.set_xlabel("L-BFGS iteration" if step == "iteration" else "epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{name} per {step}")
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


def confusion_figure(cm, class_names, title: str | None = None, examples: str | None = None):
    """The confusion matrix: rows are true classes, columns predicted, cells the counts.

    cm : int array of shape (k, k); class_names : k labels. Past :data:`MAX_TICKS`
    classes only every step-th name is written, and past 20 the counts are left out.
    examples : which examples cm counts, for the title ("test": "of the 360 test examples"); None says nothing.
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
    default = (f"Confusion matrix of the {cm.sum()} {examples} examples (accuracy {accuracy:.3f})" if examples
               else f"Confusion matrix (accuracy {accuracy:.3f}, {cm.sum()} examples)")
    ax.set_title(title or default)
    fig.tight_layout()
    return fig


def first_layer_figure(net, image_shape, max_units: int = 64, title: str | None = None, class_names=None):
    """The weights of the first ``max_units`` units of layer 1, each row w^1_i shown as an image.

    image_shape : (height, width) with height * width = N_0. Each unit has its
    own symmetric colour scale (red > 0, blue < 0), so the pattern it responds
    to is visible whatever its norm.
    class_names : optional names of the network's classes (in ``net.classes_`` order). Used only where layer 1
    is the output layer (no hidden layer): each unit is then a class's template and its picture is titled
    with that class's name (one name per unit; or two for a single sigmoid unit, which is P(second class)).
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
    output_layer = len(net.weights) == 1
    names = None
    if class_names is not None and output_layer:
        # (a number alone, digits' "3", reads as a class's name as "class 3")
        given = [f"class {c}" if str(c).lstrip("-").isdigit() else str(c) for c in class_names]
        if len(given) == W.shape[0]:
            names = given
        elif W.shape[0] == 1 and len(given) == 2:  # (one sigmoid unit: its output is P(second class))
            names = [f"{given[1]} (vs {given[0]})"]
        else:
            raise ValueError(f"class_names: expected one name per output unit, {W.shape[0]}"
                             + (" (or two for the single unit)" if W.shape[0] == 1 else "")
                             + f"; got {len(given)}")
    n = min(W.shape[0], max_units)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    fig = new_figure(max(1.3 * cols + 0.5, 4.0), 1.3 * rows + 0.8)  # (at least 4 inches: room for the title)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        limit = float(np.abs(W[i]).max()) or 1.0
        ax.imshow(W[i].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(names[i] if names else f"unit {i + 1}", fontsize=7)
    shown = f"first {n} of {W.shape[0]} units" if n < W.shape[0] else ("1 unit" if n == 1 else f"all {n} units")
    which = "Layer 1 (output) weights $w^1_i$" if output_layer else "Layer 1 weights $w^1_i$"
    per_class = ", one per class" if names and len(class_names) == W.shape[0] else ""
    text = title or f"{which} as {h}x{w} images{per_class} ({shown}; red > 0, blue < 0)"
    suptitle = fig.suptitle(text, fontsize=10)
    fig.tight_layout()
    _fit_title(fig, suptitle, text)
    return fig


def _fit_title(fig, suptitle, text: str) -> None:
    """Break ``text`` into lines until the figure's title fits its width (a narrow figure clipped it at both
    edges), then lay the figure out again below it. Breaks first before the last "(", then after the commas
    before it, so that a colour key such as "(... red > 0, blue < 0)" stays on a line of its own."""
    import textwrap

    renderer = fig.canvas.get_renderer()
    limit = 0.96 * fig.bbox.width

    def fits() -> bool:
        return suptitle.get_window_extent(renderer).width <= limit

    if fits():
        return
    at = text.rfind(" (")  # (the last parenthesis: the key)
    head, key = (text, "") if at < 0 else (text[:at], "\n" + text[at + 1 :])
    first = head + key
    for candidate in (first, head.replace(", ", ",\n") + key, head.replace(", ", ",\n") + key.replace("; ", ";\n")):
        suptitle.set_text(candidate)
        if fits():
            break
    else:  # each of those lines wrapped in turn, narrower until it fits
        parts = first.splitlines()
        width = max(map(len, parts))
        while not fits() and width > 10:
            width = int(width * 0.85)
            suptitle.set_text("\n".join(line for part in parts for line in textwrap.wrap(part, width)))
    fig.tight_layout()  # (room for the lines the title now takes)


def plot_history(history, path, title: str | None = None, step: str | None = None) -> Path:
    """Write :func:`history_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)  # (before the drawing)
    return save_figure(history_figure(history, title, step), path)


def plot_confusion(cm, class_names, path, title: str | None = None, examples: str | None = None) -> Path:
    """Write :func:`confusion_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)
    return save_figure(confusion_figure(cm, class_names, title, examples), path)


def plot_first_layer(net, image_shape, path, max_units: int = 64, class_names=None) -> Path:
    """Write :func:`first_layer_figure` to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)
    return save_figure(first_layer_figure(net, image_shape, max_units, class_names=class_names), path)


def plot_training(directory, *, history=None, net=None, cm=None, class_names=None, image_shape=None,
                  data=None, cm_examples: str | None = None) -> list[Path]:
    """Write every picture the arguments allow into ``directory`` (created if needed).

    ``history.png`` from ``history``; ``confusion.png`` from ``cm`` and
    ``class_names`` (``cm_examples``: which examples cm counts, "test" say, for its title);
    ``first_layer.png`` from ``net`` when ``image_shape`` is given (its units titled with
    ``class_names`` where layer 1 is the output layer); ``decision.png`` (:func:`decision_figure`)
    from a classifier ``net`` of two inputs and ``data``, the :class:`deltaprop.data.Dataset`
    it was trained on (its points drawn in their own units, unscaled by
    ``data.scaling``; ``class_names`` in the order of ``net.classes_``).
    Returns the paths written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    if history is not None:
        written.append(plot_history(history, directory / "history.png"))
    if cm is not None and class_names is not None:
        written.append(plot_confusion(cm, class_names, directory / "confusion.png", examples=cm_examples))
    if net is not None and image_shape is not None:  # (the class names title layer 1's units where it is the output)
        written.append(plot_first_layer(net, image_shape, directory / "first_layer.png", class_names=class_names))
    if (net is not None and data is not None and net.sizes[0] == data.n_features == 2 and net.is_classifier
            and not getattr(net, "multilabel_", False)):
        raw = data.scaling.unscaled64  # (the points as the data gave them: x = x' / factor + shift)
        test = {} if data.X_test is None else {"X_test": raw(data.X_test), "y_test": data.y_test}
        written.append(plot_decision(net, raw(data.X_train), data.y_train, directory / "decision.png", scaling=data.scaling,
                                     class_names=class_names, feature_names=data.feature_names, **test))
    return written


# ---------------------------------------------------------------------- decision regions (two inputs)

#: TensorFlow Playground's colours: orange for class 0 (its -1), blue for class 1 (its +1); more classes take tab10's.
PLANE_COLOURS = ("#f59322", "#0877bd")
#: The most units of layer 1 that decision_figure draws a small map of, one each (Playground's per-neuron maps).
MAX_UNIT_PANELS = 16


def _plane_colormap():
    """Orange (0) through white (1/2) to blue (1): P(class 1), diverging at 1/2, as Playground shades its plane."""
    from matplotlib.colors import LinearSegmentedColormap

    # (an odd number of entries: the middle one, 1/2, is white itself)
    return LinearSegmentedColormap.from_list("deltaprop_plane", [PLANE_COLOURS[0], "#ffffff", PLANE_COLOURS[1]], N=255)


def _class_colours(k: int) -> list:
    """k colours: Playground's two, or tab10's (tab20's past 10 classes, then repeating)."""
    if k <= 2:
        return list(PLANE_COLOURS[:k])
    from matplotlib import colormaps

    cmap = colormaps["tab10" if k <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(k)]


def _plane_points_checked(X, argument: str) -> np.ndarray:
    """X as float64 points (n, 2), or the error naming ``argument``."""
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected numbers; got an array of dtype {X.dtype}")
    if X.ndim != 2 or X.shape[1] != 2 or len(X) < 1:
        raise ValueError(f"{argument}: expected points in the plane, shape (n, 2) with n >= 1; got shape {X.shape}")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError(f"{argument}: expected finite numbers; got NaN or infinity")
    return X


def _class_index(net, y, n: int, argument: str) -> np.ndarray:
    """The position of each label of y (n,) among the network's classes, or the error naming ``argument``."""
    classes = np.asarray(net.classes_)
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{argument}: expected one label per point, shape ({n},); got shape {y.shape}")
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[index] != y
    if unknown.any():
        raise ValueError(f"{argument}: expected labels among the network's classes {classes.tolist()[:20]}; got "
                         f"{y[unknown][0]!r}")
    return index


def decision_figure(net, X, y, *, X_test=None, y_test=None, scaling=None, grid: int = 200, class_names=None,
                    feature_names=None, hidden_units: bool = True, title: str | None = None):
    """The predicted class over the input plane of a classifier of two inputs, with the points on top.

    TensorFlow Playground's view. ``net``: a Network, or a fitted :class:`deltaprop.sklearn.DeltapropClassifier`
    (its ``network_``). ``X`` (n, 2) and ``y`` (n,): the training points, in the units to draw
    (the data as the user gave them), coloured by their true class; ``X_test``/``y_test`` likewise, outlined
    in black. ``scaling`` (a :class:`deltaprop.data.Scaling`, or None for none) maps those units to the
    network's inputs: each point of a ``grid`` x ``grid`` lattice over the points' range is scaled by it and
    classified by ``net.predict``. For two classes the plane is shaded by P(class 1) (``predict_proba``; the
    outputs, clipped to [0, 1], for a cost that gives no probabilities), orange below 1/2, white at 1/2, blue
    above, with the boundary P = 1/2 drawn; for more classes each region takes its class's colour, paler where
    the largest probability is lower. ``class_names`` (one per class of ``net.classes_``) and
    ``feature_names`` (two) label the legend and the axes. With ``hidden_units`` and a first layer of at most
    :data:`MAX_UNIT_PANELS` units, a small map per unit shows a^1_i = sigma(W^1 x + b^1)_i over the same plane
    (orange < 0 < blue, white at 0, each on its own scale).

    Returns a matplotlib Figure: ``axes[0]`` is the plane, whose first image holds P(class 1) of shape
    (grid, grid) (two classes; the class's position in ``net.classes_`` for more), row i at the lattice's
    i-th x_2, column j at its j-th x_1 (the image's extent puts each pixel's centre on its lattice point).
    """
    from matplotlib.lines import Line2D

    from .network import Network

    net = getattr(net, "network_", net)  # (a fitted DeltapropClassifier: its network, which takes X as given)
    if not isinstance(net, Network):
        raise TypeError(f"net: expected a deltaprop Network or a fitted DeltapropClassifier; got {type(net).__name__}")
    if not net.is_classifier or getattr(net, "multilabel_", False):
        raise ValueError(f"net: expected a classifier of single labels (decision regions are classes); got {net!r}")
    if net.sizes[0] != 2:
        raise ValueError(f"net: expected a network of two inputs (N_0 = 2), whose inputs are a plane; got N_0 = {net.sizes[0]}")
    grid = integer("grid", grid, 2)
    hidden_units = boolean("hidden_units", hidden_units)
    classes = np.asarray(net.classes_ if net.classes_ is not None else np.arange(max(net.sizes[-1], 2)))
    if net.classes_ is None:  # (a network fitted on one-hot targets, not labels: its classes are its outputs' positions)
        net = net.copy()
        net.classes_ = classes
    k = len(classes)
    names = [str(c) for c in (class_names if class_names is not None else classes.tolist())]
    if len(names) != k:
        raise ValueError(f"class_names: expected one name per class of the network, {k}; got {len(names)}")
    X = _plane_points_checked(X, "X")
    index = _class_index(net, y, len(X), "y")
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test, y_test: give both the test points and their labels, or neither")
    parts = [(X, index, "white")]
    if X_test is not None:
        X_test = _plane_points_checked(X_test, "X_test")
        parts.append((X_test, _class_index(net, y_test, len(X_test), "y_test"), "black"))
    axis_names = ["$x_1$", "$x_2$"] if feature_names is None else [str(n) for n in feature_names]
    if len(axis_names) != 2:
        raise ValueError(f"feature_names: expected the two inputs' names; got {len(axis_names)}")
    to_inputs = (lambda P: np.asarray(P, dtype=np.float64)) if scaling is None else scaling.apply

    # the lattice: the points' range and a tenth of it beyond each side
    points = np.vstack([p for p, _, _ in parts])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.where(high > low, 0.1 * (high - low), 1.0)
    low, high = low - pad, high + pad
    xs, ys = np.linspace(low[0], high[0], grid), np.linspace(low[1], high[1], grid)
    G = np.column_stack([np.tile(xs, grid), np.repeat(ys, grid)])  # row i * grid + j is the point (xs[j], ys[i])
    inputs = to_inputs(G)
    predicted = np.searchsorted(classes, net.predict(inputs))  # the class predict gives, by its position
    if net.loss_function.classification:
        P = net.predict_proba(inputs).astype(np.float64)  # (grid^2, k)
    else:  # (the quadratic cost on classes: outputs, not probabilities, read as predict reads them)
        out = net.predict_output(inputs).astype(np.float64)
        if out.shape[1] <= 2:  # one output against 1/2; two: (1 + y_2 - y_1) / 2, above 1/2 where y_2 wins
            score = out[:, 0] if out.shape[1] == 1 else (1 + out[:, 1] - out[:, 0]) / 2
            P = np.column_stack([1 - score, score])
        else:
            P = out
        P = np.clip(P, 0, 1)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    extent = (xs[0] - dx / 2, xs[-1] + dx / 2, ys[0] - dy / 2, ys[-1] + dy / 2)  # pixel centres on the lattice

    n_units = net.sizes[1] if net.n_layers >= 2 else 0
    panels = n_units if hidden_units and 1 <= n_units <= MAX_UNIT_PANELS else 0
    panel_rows = min(panels, 4)  # columns of four maps beside the plane, as Playground stacks a layer's units
    panel_cols = math.ceil(panels / 4)
    span = high - low
    aspect = "equal" if max(span) / min(span) < 1.6 else "auto"  # one unit along both axes (circles look round)
    # the plane's width: its height (about 4.6 inches) times its shape, plus its labels and colour bar
    width = 4.6 * (span[0] / span[1] if aspect == "equal" else 1.4) + 2.2
    fig = new_figure(width + 1.5 * panel_cols, 6.2)
    spec = fig.add_gridspec(max(panel_rows, 1), 1 + panel_cols, width_ratios=[width] + [1.5] * panel_cols)
    ax = fig.add_subplot(spec[:, 0])
    ax.set_aspect(aspect, adjustable="box")
    if k == 2:
        p1 = P[:, 1]
        is1 = predicted == 1
        # rounding may leave P(class 1) a hair on the other side of 1/2 from predict's choice: the picture follows predict
        p1 = np.where(is1, np.maximum(p1, np.nextafter(0.5, 1.0)), np.minimum(p1, 0.5)).reshape(grid, grid)
        image = ax.imshow(p1, origin="lower", extent=extent, cmap=_plane_colormap(), vmin=0.0, vmax=1.0, alpha=0.55,
                          interpolation="bilinear", aspect=aspect)
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        # (a bar of the plane's own height, however its aspect shrinks it)
        bar_ax = make_axes_locatable(ax).append_axes("right", size="4%", pad=0.12)
        bar = fig.colorbar(image, cax=bar_ax, ticks=[0, 0.25, 0.5, 0.75, 1])
        bar.set_label(f"P(class {names[1]})" if net.loss_function.classification
                      else f"class {names[1]}'s output, not a probability" if net.sizes[-1] == 1
                      else "(1 + y_2 - y_1) / 2 of the outputs, not a probability")
        if p1.min() < 0.5 < p1.max():  # the boundary, where the predicted class changes
            ax.contour(xs, ys, p1, levels=[0.5], colors="#333333", linewidths=1.5)
    else:
        from matplotlib.colors import BoundaryNorm, ListedColormap

        colours = _class_colours(k)
        # paler where the network is less sure: the largest probability from 1/k (a guess) to 1 (certain)
        sure = np.clip((P.max(axis=1) - 1 / k) / (1 - 1 / k), 0, 1).reshape(grid, grid)
        ax.imshow(predicted.reshape(grid, grid), origin="lower", extent=extent, cmap=ListedColormap(colours),
                  norm=BoundaryNorm(np.arange(k + 1) - 0.5, k), alpha=0.15 + 0.4 * sure, interpolation="nearest",
                  aspect=aspect)
        for c in np.unique(predicted):  # the boundaries: where P(c) - the largest other P crosses 0 around c's region
            if 0 < np.mean(predicted == c) < 1:
                margin = P[:, c] - np.delete(P, c, axis=1).max(axis=1)
                ax.contour(xs, ys, margin.reshape(grid, grid), levels=[0.0], colors="#333333", linewidths=1.2)
    colours = _class_colours(k)
    for part, (points_, idx, edge) in enumerate(parts):
        ax.scatter(points_[:, 0], points_[:, 1], c=[colours[i] for i in idx], s=22 if part else 18,
                   edgecolors=edge, linewidths=1.0 if part else 0.6, zorder=3)
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=colours[i], markeredgecolor="white",
                      markersize=7, label=f"class {names[i]}") for i in range(k)]
    if X_test is not None:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#bbbbbb", markeredgecolor="black",
                              markersize=7, label="test point"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=min(len(handles), 4), fontsize=8,
              frameon=False)  # (below the plane: no point hidden)
    scores = [f"training accuracy {net.score(to_inputs(X), classes[index]):.3f}"]
    if X_test is not None:
        scores.append(f"test {net.score(to_inputs(X_test), classes[parts[1][1]]):.3f}")
    sizes = "-".join(map(str, net.sizes))
    ax.set_title(title or f"Predicted class of the {sizes} network\n{', '.join(scores)}", fontsize=11)

    if panels:
        # a^1 = sigma(W^1 x + b^1) at every lattice point x (the inputs as the network sees them)
        W1, b1 = np.asarray(net.weights[0], dtype=np.float64), np.asarray(net.biases[0], dtype=np.float64)
        a1 = net.activations[0].forward(np.asarray(inputs, dtype=np.float64) @ W1.T + b1)
        for i in range(panels):
            unit_ax = fig.add_subplot(spec[i // panel_cols, 1 + i % panel_cols])
            limit = float(np.abs(a1[:, i]).max()) or 1.0
            unit_ax.imshow(a1[:, i].reshape(grid, grid), origin="lower", extent=extent, cmap=_plane_colormap(),
                           vmin=-limit, vmax=limit, interpolation="bilinear", aspect=aspect)
            unit_ax.set_xticks([])
            unit_ax.set_yticks([])
            unit_ax.set_title(f"$a^1_{{{i + 1}}}$", fontsize=8, pad=2)
        fig.text(0.99, 0.01, f"layer 1 ({net.activations[0].name}): orange < 0 < blue", ha="right", va="bottom",
                 fontsize=7, color="#555555")
    fig.tight_layout()
    return fig


def plot_decision(net, X, y, path, **options) -> Path:
    """Write :func:`decision_figure` (``options`` are its keywords) to ``path`` (.png, .svg or .pdf)."""
    path = figure_path(path)
    return save_figure(decision_figure(net, X, y, **options), path)


class DecisionFrames(Callback):
    """A callback that writes :func:`decision_figure` every ``every`` epochs: how the regions form.

    ``directory``/decision-0000.png before the first epoch, then decision-0005.png after epoch 5 (``every=5``)
    and so on, each titled with its epoch; ``suffix`` ".svg" or ".pdf" writes those formats. ``X``, ``y`` and
    ``options`` are decision_figure's (``scaling=``, ``X_test=``, ...). Frames make an animation, e.g.
    ``convert -delay 20 frames/decision-*.png regions.gif`` (ImageMagick).
    """

    def __init__(self, directory, X, y, *, every: int = 10, suffix: str = ".png", **options) -> None:
        self.every = integer("every", every)
        self.directory = Path(directory)
        figure_path(self.directory / f"decision-0000{suffix}", "suffix")  # (a wrong suffix refused now, not mid-run)
        self.suffix, self.X, self.y, self.options = suffix, X, y, options
        self.written: list[Path] = []

    def _frame(self, net, epoch: int) -> None:
        fig = decision_figure(net, self.X, self.y, **self.options)
        ax = fig.axes[0]
        ax.set_title(f"Epoch {epoch}: {ax.get_title()}", fontsize=ax.title.get_fontsize())
        self.directory.mkdir(parents=True, exist_ok=True)
        self.written.append(save_figure(fig, self.directory / f"decision-{epoch:04d}{self.suffix}"))

    def on_train_begin(self, run) -> None:
        self._frame(run.net, run.first_epoch)  # before training (0, or where a resumed run goes on)

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        if (epoch + 1) % self.every == 0:
            self._frame(run.net, epoch + 1)
