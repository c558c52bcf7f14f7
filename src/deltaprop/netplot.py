"""A picture of the network on one example: the forward and the backward pass side by side.

Neurons are nodes, one column per layer (x = a^0 on the left, y = a^L on the
right). Edges are the weights w_ij^l: blue for w > 0, orange for w < 0, wider
and darker for larger |w| (scaled per layer). In the forward panel a node is
coloured by its activation a_i^l (x_j for the inputs): where the values have
both signs (tanh, standardised inputs) on a diverging scale centred at 0 (white;
brown below, blue-green above, as the edges' orange and blue), otherwise with
viridis from the smallest value to the largest. In the backward panel a node is coloured by its delta_i^l =
dC/dz_i^l on the same example, on one scale for all layers, so a vanishing
gradient shows as pale early layers. Wide layers show their first
``max_nodes`` units and say how many more there are. ``weight_scale``,
``value_range`` and ``delta_range`` fix the scales, so that pictures of one
network before and after training compare.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._figures import figure_path, new_figure, save_figure
from .explain import format_number
from .files import check_path
from .network import Network

__all__ = ["draw_network", "PANELS"]

PANELS = ("forward", "backward")
POSITIVE_EDGE = "#1f77b4"  # blue: w > 0
NEGATIVE_EDGE = "#ff7f0e"  # orange: w < 0


def draw_network(
    net: Network,
    x,
    t=None,
    path=None,
    *,
    panels=PANELS,
    max_nodes: int = 12,
    fused: bool = False,
    annotate: bool | None = None,
    weight_scale=None,
    value_range=None,
    delta_range=None,
):
    """Draw ``net`` on the example x (and target t) and optionally save it (.png, .svg or .pdf).

    Parameters
    ----------
    net : Network.
    x : array of shape (N_0,), one input.
    t : array of shape (N_L,) or a class label (as :func:`deltaprop.explain.explain` takes it); needed for the
        backward panel.
    path : str or os.PathLike, optional; where to write the picture (atomically; .png, .svg or .pdf).
    panels : sequence from ("forward", "backward"); default both, side by side.
    max_nodes : int >= 2, the most units drawn per layer.
    fused : bool, passed to :func:`deltaprop.explain.explain` (how delta^L is computed).
    annotate : bool, write the value beside each node; default when no layer is wider than 8.
    weight_scale : optional float > 0, or a sequence of L of them (one per layer l = 1..L): the |w| drawn at full
        width and colour (larger ones too). Default: each layer's own largest |w|.
    value_range : optional (lo, hi), lo < hi: the forward panel's colour scale (values beyond it take its end
        colours). Default: the smallest and largest value shown, made symmetric about 0 where they have both signs.
    delta_range : optional (lo, hi), lo < hi: the backward panel's colour scale. Default: (-m, m), m the largest
        |delta_i^l| shown.
        A scale with both signs has 0 in the middle (white). Give the same three to pictures of one network
        before and after training (``[abs(W).max() for W in net.weights]`` of the first, say) so that their
        widths and colours compare.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .explain import _check_example, explain

    if path is not None:
        path = figure_path(path)  # before the drawing, not after it
    panels = tuple([panels] if isinstance(panels, str) else panels)
    if not panels or any(p not in PANELS for p in panels):
        raise ValueError(f"panels: expected a non-empty selection from {PANELS}; got {panels!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral) or max_nodes < 2:
        raise ValueError(f"max_nodes: expected an integer >= 2; got {max_nodes!r}")
    weight_scale = _weight_scales(weight_scale, net.n_layers)
    ranges = {"forward": _range("value_range", value_range), "backward": _range("delta_range", delta_range)}
    if "backward" in panels and t is None:
        raise ValueError("t: the backward panel needs a target t; got None (pass t, or panels=('forward',))")
    saturated = False  # the backward panel's literal delta^L lost y - t (see explain's note)
    if t is None:
        X, _ = _check_example(net, x, np.eye(net.sizes[-1])[0])  # a target every loss takes; only x is used
        fp = net.forward(X)
        values = {"forward": [fp.a[l][0] for l in range(net.n_layers + 1)]}
    else:
        ex = explain(net, x, t, fused=fused)
        values = {
            "forward": [ex.x] + [tr.a for tr in ex.layers],
            "backward": [None] + [tr.delta for tr in ex.layers],
        }
        saturated = "backward" in panels and ex.exact_output_delta is not None
    if annotate is None:
        annotate = max(net.sizes) <= 8

    shown = [min(n, max_nodes) for n in net.sizes]
    height = max(3.5, 0.42 * max(shown) + 1.8)
    width_per_panel = max(5.0, 1.6 * len(net.sizes) + 2.0)
    fig = new_figure(width_per_panel * len(panels), height)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        _draw_panel(fig, ax, net, values[panel], panel, shown, annotate, weight_scale, ranges[panel])
    fig.suptitle(
        f"deltaprop network {net.sizes}: edges blue w > 0, orange w < 0, width ~ |w| "
        f"({'per layer' if weight_scale is None else 'on the scale given'})", fontsize=10
    )
    if saturated:
        fig.text(0.5, 0.01, f"Note: the output saturates in {net.dtype.name}: the literal delta^L drawn is not dC/dz^L; "
                 f"the exact delta^L is y - t (fused=True draws it)", ha="center", fontsize=8, color="0.3")
    fig.tight_layout(rect=(0, 0.04 if saturated else 0, 1, 0.95))
    if path is not None:
        save_figure(fig, path)
    return fig


def _weight_scales(weight_scale, L: int) -> list[float] | None:
    """``weight_scale`` as L numbers > 0 (one per layer), or None (each layer's own largest |w|)."""
    if weight_scale is None:
        return None
    if isinstance(weight_scale, Real) and not isinstance(weight_scale, bool):
        values = [weight_scale] * L  # one scale for every layer
    else:
        values = list(weight_scale) if isinstance(weight_scale, (list, tuple, np.ndarray)) else None
    if values is None or len(values) != L or not all(
            isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"weight_scale: expected a number > 0, or a sequence of L = {L} of them (one per layer); "
                         f"got {weight_scale!r:.80}")
    return [float(v) for v in values]


def _range(argument: str, given) -> tuple[float, float] | None:
    """``given`` as a colour scale (lo, hi) with lo < hi, or None (from the values drawn)."""
    if given is None:
        return None
    try:
        lo, hi = given
        ok = all(not isinstance(v, bool) and isinstance(v, Real) and np.isfinite(v) for v in (lo, hi)) and lo < hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{argument}: expected a pair (lo, hi) of finite numbers with lo < hi; got {given!r:.80}")
    return float(lo), float(hi)


def _colour_scale(values: np.ndarray, given, diverging: str, sequential: str):
    """The norm and colour map of a panel: ``given`` (lo, hi), or the values' own range. A range with both signs
    takes the diverging map with 0 at its middle (symmetric about 0 where it is the values'); one sign, the
    sequential map from lo to hi. Returns (norm, cmap, extend) with extend as the colour bar takes it."""
    from matplotlib import colors

    if given is None:
        lo, hi = float(values.min()), float(values.max())
        if lo < 0 < hi:
            lo, hi = -max(-lo, hi), max(-lo, hi)
    else:
        lo, hi = given
    below, above = bool((values < lo).any()), bool((values > hi).any())
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[below, above]
    if lo < 0 < hi:
        return colors.TwoSlopeNorm(0.0, lo, hi), diverging, extend
    return colors.Normalize(lo, hi if hi > lo else lo + 1), sequential, extend


def _node_positions(shown: list[int]) -> list[np.ndarray]:
    """y coordinates of the drawn nodes of each layer, centred on 0, top to bottom."""
    return [np.arange(n)[::-1] - (n - 1) / 2 for n in shown]


def _draw_panel(fig, ax, net: Network, values: list, panel: str, shown: list[int], annotate: bool,
                weight_scale: list | None, given_range) -> None:
    from matplotlib import colors
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection

    ys = _node_positions(shown)
    L = net.n_layers
    # Edges w_ij^l from unit j of layer l-1 to unit i of layer l.
    for l in range(1, L + 1):
        W = net.weights[l - 1][: shown[l], : shown[l - 1]]
        scale = weight_scale[l - 1] if weight_scale else float(np.max(np.abs(net.weights[l - 1]))) or 1.0
        segments, edge_colors, widths = [], [], []
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                strength = min(abs(float(W[i, j])) / scale, 1.0)  # (beyond a given scale: drawn as at it)
                segments.append([(l - 1, ys[l - 1][j]), (l, ys[l][i])])
                rgba = colors.to_rgba(POSITIVE_EDGE if W[i, j] > 0 else NEGATIVE_EDGE, alpha=0.15 + 0.75 * strength)
                edge_colors.append(rgba)
                widths.append(0.3 + 2.7 * strength)
        ax.add_collection(LineCollection(segments, colors=edge_colors, linewidths=widths, zorder=1))

    shown_values = np.concatenate([v[: shown[l]] for l, v in enumerate(values) if v is not None]).astype(np.float64)
    if panel == "forward":
        # both signs (tanh, standardised x): brown < 0 < blue-green, 0 white in the middle, as the edges' orange
        # w < 0 and blue w > 0; viridis from min to max put 0 mid-scale and a dead unit's 0 looked positive
        norm, cmap, extend = _colour_scale(shown_values, given_range, "BrBG", "viridis")
        title = r"Forward: $a^l = \sigma(W^l a^{l-1} + b^l)$, $a^0 = x$"
        label = r"activation $a_i^l$ ($x_j$ for the inputs)"
    else:
        m = float(np.max(np.abs(shown_values))) or 1.0
        norm, cmap, extend = _colour_scale(shown_values, given_range or (-m, m), "PiYG", "PiYG")
        title = r"Backward: $\delta^l = \partial C / \partial z^l$ (one scale for all layers)"
        label = r"$\delta_i^l$"
    mapper = ScalarMappable(norm=norm, cmap=cmap)

    for l, v in enumerate(values):
        n = shown[l]
        if v is None:  # the inputs have no delta
            face = ["#dddddd"] * n
        else:
            face = [mapper.to_rgba(float(val)) for val in v[:n]]
        ax.scatter(np.full(n, l), ys[l], s=260, c=face, edgecolors="black", linewidths=0.8, zorder=3)
        if annotate and v is not None:
            for y_pos, val in zip(ys[l], v[:n]):
                ax.annotate(format_number(val, net.dtype, 3), (l, y_pos), xytext=(0, 11), textcoords="offset points",
                            ha="center", fontsize=7, zorder=4)
        hidden = net.sizes[l] - n
        if hidden > 0:
            ax.annotate(f"+{hidden} more", (l, ys[l][-1]), xytext=(0, -16), textcoords="offset points",
                        ha="center", fontsize=7, color="dimgray")
    ax.set_xticks(range(L + 1))
    ax.set_xticklabels([f"x\n$N_0$={net.sizes[0]}"] + [f"layer {l}\n$N_{{{l}}}$={net.sizes[l]}" for l in range(1, L + 1)], fontsize=8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    top = max(shown) / 2 + 0.6
    ax.set_ylim(-top - 0.4, top)
    ax.set_xlim(-0.5, L + 0.5)
    ax.set_title(title, fontsize=9)
    fig.colorbar(mapper, ax=ax, fraction=0.04, pad=0.02, extend=extend).set_label(label, fontsize=8)
