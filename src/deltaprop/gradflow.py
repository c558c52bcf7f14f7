"""Gradient flow: how fast each layer learns, recorded over training.

:class:`GradientFlow` is a training callback. Before training and after every
epoch it runs ``net.forward`` and ``net.backward`` on a fixed sample of the
training data (so the training loop needs no hook and its random stream is
untouched) and records, for every layer l = 1..L (entry ``[i][l - 1]`` of
the i-th record, taken after epoch ``epochs[i]``; the first, before training, is
at 0, or at the epoch a resumed run starts from),

- ``delta_norm[i][l - 1]``: the mean over the sample of ||delta^l||_2, the
  size of the backpropagated error at layer l;
- ``weight_grad_norm[i][l - 1]``: ||dC/dW^l||_F, how fast W^l moves under
  theta <- theta - eta grad C(theta).

With sigmoid on a deep network both shrink towards layer 1 (sigma' <= 1/4
multiplies delta once per layer on the way back: the vanishing gradient);
with ReLU and He initialisation they stay of the same order. ``plot(path)``
draws both on a log scale, one line per layer (exact zeros, a layer that no longer
learns, at 0 on a symmetric-log scale); ``summary()`` prints the last record's
numbers and since when a layer's gradient has been exactly 0.
"""

from __future__ import annotations

import textwrap
from numbers import Integral

import numpy as np

from ._figures import figure_path, new_figure, save_figure
from .callbacks import Callback

__all__ = ["GradientFlow"]


class GradientFlow(Callback):
    """Record per-layer norms of delta^l and dC/dW^l during ``fit``.

    Parameters
    ----------
    X : array of shape (n, N_0), the examples to measure on (usually the training data).
        If None, the validation data given to ``fit`` are used.
    y : labels (n,) or targets (n, N_L) for X, as passed to ``fit`` (also the
        ``fit`` of DeltapropClassifier / DeltapropRegressor).
    n_examples : int >= 1, how many examples of X (a fixed random subset) to use.
    seed : int, chooses that subset.

    Attributes
    ----------
    epochs : list of int; the first is before training (0, or on a resumed run
        the epochs its checkpoint had done), e is after epoch e.
    delta_norm : list of arrays of shape (L,), float64; entry l - 1 is layer l.
    weight_grad_norm : list of arrays of shape (L,), float64.

    Example
    -------
    >>> flow = GradientFlow(X_train, y_train)
    >>> net.fit(X_train, y_train, callbacks=[flow])
    >>> flow.plot("gradient-flow.png")
    """

    def __init__(self, X=None, y=None, *, n_examples: int = 500, seed: int = 0) -> None:
        if (X is None) != (y is None):
            raise ValueError("X, y: give both the examples and their labels/targets, or neither (to use the validation data)")
        if isinstance(n_examples, bool) or not isinstance(n_examples, Integral) or n_examples < 1:
            raise ValueError(f"n_examples: expected an integer >= 1; got {n_examples!r}")
        self.X, self.y = X, y
        self.n_examples = int(n_examples)
        self.seed = seed
        self.epochs: list[int] = []
        self.delta_norm: list[np.ndarray] = []
        self.weight_grad_norm: list[np.ndarray] = []
        self._sample = None

    # ------------------------------------------------------------------ callback hooks

    def on_train_begin(self, run) -> None:
        net = run.net
        if self.X is None:
            if run.val_data is None:
                raise ValueError("X: GradientFlow needs examples: pass GradientFlow(X, y), or give fit validation data")
            X, T = run.val_data
        else:
            try:  # (named as GradientFlow's: "X: expected 3 features" read as if fit's own X were wrong)
                X = net.check_X(self.X, argument="X")
                T = net.encode_targets(self.y)  # fit has set the classes by now
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"GradientFlow's {exc}") from None
        if X.shape[0] > self.n_examples:  # (X.shape: fit's validation X may be a SciPy sparse matrix)
            keep = np.sort(np.random.default_rng(self.seed).choice(X.shape[0], self.n_examples, replace=False))
            X, T = X[keep], T[keep]
        self._sample = (X, T)
        self.epochs, self.delta_norm, self.weight_grad_norm = [], [], []
        self._record(net, run.first_epoch)  # before training: 0, or where a resumed run continues

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        self._record(run.net, epoch + 1)

    def _record(self, net, epoch: int) -> None:
        X, T = self._sample
        grads = net.backward(net.forward(X), T)
        self.epochs.append(epoch)
        self.delta_norm.append(np.array([np.linalg.norm(d.astype(np.float64), axis=1).mean() for d in grads.delta]))
        self.weight_grad_norm.append(np.array([np.linalg.norm(g.astype(np.float64)) for g in grads.dW]))

    # ------------------------------------------------------------------ results

    def mean_delta_norm(self) -> np.ndarray:
        """Per layer, shape (L,): ||delta^l|| averaged over all recorded epochs."""
        self._check_recorded()
        return np.mean(self.delta_norm, axis=0)

    def mean_weight_grad_norm(self) -> np.ndarray:
        """Per layer, shape (L,): ||dC/dW^l||_F averaged over all recorded epochs."""
        self._check_recorded()
        return np.mean(self.weight_grad_norm, axis=0)

    def zero_gradient_since(self) -> list[int | None]:
        """Per layer l = 1..L (entry l - 1): the epoch from which ||dC/dW^l|| has been exactly 0 in every record up
        to the last, or None where the last record's is not 0.

        An exact 0 is a layer that no longer learns: delta^l = 0 on every example (with ReLU: every unit of
        layer l has z <= 0, a dead layer) or a^{l-1} = 0 (the layer below is dead), since dC/dW^l = sum over
        the examples of delta^l (a^{l-1})^T.
        """
        self._check_recorded()
        grads = np.array(self.weight_grad_norm)  # (records, L)
        since: list[int | None] = []
        for column in grads.T:
            nonzero = np.flatnonzero(column != 0)
            if nonzero.size and nonzero[-1] == len(column) - 1:
                since.append(None)  # the last record learns
            else:  # the first record of the run of zeros that ends the recording
                since.append(self.epochs[nonzero[-1] + 1 if nonzero.size else 0])
        return since

    def _check_recorded(self) -> None:
        if not self.epochs:
            raise ValueError("GradientFlow: nothing recorded yet; pass it to fit(..., callbacks=[flow]) first")

    def summary(self) -> str:
        """One line per layer: the last record's norms, ||dC/dW^l|| relative to layer L's (in that record), the mean
        ||dC/dW^l|| over all records, and the epoch since which ||dC/dW^l|| has been exactly 0.

        The ratio is of the last record, not of the means: an early blow-up would dominate a mean, and a layer
        whose gradient is 0 now learns not at all, whatever it did before. It is "-" where layer L's is 0.
        """
        self._check_recorded()
        d, g = self.delta_norm[-1], self.weight_grad_norm[-1]
        mean, since = self.mean_weight_grad_norm(), self.zero_gradient_since()
        last, first = self.epochs[-1], self.epochs[0]
        rows = [f"gradient flow after epoch {last} (mean: over the {len(self.epochs)} records, epochs {first}..{last})",
                "layer  ||delta^l||  ||dC/dW^l||  vs layer L  mean ||dC/dW^l||  zero since"]
        for l in range(1, len(d) + 1):  # (each entry under its heading: widths 11, 11, 10, 16 and 10)
            # relative speed of learning, ||dC/dW^l|| / ||dC/dW^L||: no number when layer L's is 0 (0/0 or x/0)
            ratio = f"{g[l - 1] / g[-1]:.3g}" if g[-1] != 0 and np.isfinite(g[-1]) else "-"
            zero = "-" if since[l - 1] is None else f"epoch {since[l - 1]}"
            rows.append(f"{l:>5}  {d[l - 1]:>11.3e}  {g[l - 1]:>11.3e}  {ratio:>10}  {mean[l - 1]:>16.3e}  {zero:>10}")
        dead = [l for l, s in enumerate(since, start=1) if s is not None]
        if dead:
            which = "every layer" if len(dead) == len(since) else "layer" + ("s " if len(dead) > 1 else " ") + \
                ", ".join(map(str, dead))
            rows += textwrap.wrap(f"{which}: ||dC/dW^l|| exactly 0 in every record since the epoch shown: W^l no "
                                  "longer changes (delta^l = 0 on every example, dead ReLUs say, or a^(l-1) = 0)", 80,
                                  break_on_hyphens=False)
        return "\n".join(rows)

    def plot(self, path, title: str | None = None):
        """Draw ||delta^l|| and ||dC/dW^l|| against the epoch, one line per layer l, to ``path`` (.png, .svg or .pdf).

        The y axes are logarithmic; a panel with a value of exactly 0 (a layer that passes no gradient: dead
        ReLUs) is drawn on a symmetric-log axis instead, linear from 0 up to its smallest positive value, so
        the zeros show (at 0, marked x) rather than vanishing off a log axis. Returns the matplotlib Figure.
        """
        self._check_recorded()
        path = figure_path(path)  # (before the drawing)
        import matplotlib
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        deltas, grads = np.array(self.delta_norm), np.array(self.weight_grad_norm)
        L = deltas.shape[1]
        epochs = np.array(self.epochs)
        fig = new_figure(11, 4.2)
        axes = fig.subplots(1, 2)
        colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, L))
        any_zero = False
        for ax, values, label in (
            (axes[0], deltas, r"mean $\Vert\delta^l\Vert_2$ (backpropagated error)"),
            (axes[1], grads, r"$\Vert\partial C / \partial W^l\Vert_F$ (speed of learning)"),
        ):
            for l in range(1, L + 1):
                name = f"layer {l}" + (" (output)" if l == L else "")
                ax.plot(epochs, values[:, l - 1], marker="o", markersize=3, color=colours[l - 1], label=name)
                zero = values[:, l - 1] == 0
                if zero.any():  # (marked apart: several layers at 0 lie on one another)
                    ax.plot(epochs[zero], values[zero, l - 1], "x", markersize=7, color=colours[l - 1])
            if (values == 0).any():
                any_zero = True
                positive = values[np.isfinite(values) & (values > 0)]  # (an inf, a blown-up record, sets no limit)
                if positive.size:
                    # linear in [0, linthresh], logarithmic above: 0 gets a place, the smallest positive value its
                    # decade; the top a decade mark above the largest (a tick beside the highest line)
                    linthresh = 10.0 ** np.floor(np.log10(positive.min()))
                    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
                    top = positive.max()
                    ax.set_ylim(-0.1 * linthresh, max(10.0 ** np.ceil(np.log10(top)), 1.3 * top))
                else:  # every value 0: nothing to take logarithms of
                    ax.set_ylim(-0.1, 1)
                ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
            else:
                ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch (first point: before training)")
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
        handles, labels = axes[1].get_legend_handles_labels()
        if any_zero:
            handles.append(Line2D([], [], linestyle="", marker="x", color="0.3"))
            labels.append("exactly 0: no gradient\n(axis linear below the\nsmallest positive value)")
        axes[1].legend(handles, labels, fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(title or "Gradient flow per layer l = 1..L (smaller: that layer learns more slowly)", fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.94))
        save_figure(fig, path)
        return fig
