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
draws both on a log scale, one line per layer.
"""

from __future__ import annotations

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

    def _check_recorded(self) -> None:
        if not self.epochs:
            raise ValueError("GradientFlow: nothing recorded yet; pass it to fit(..., callbacks=[flow]) first")

    def summary(self) -> str:
        """One line per layer: the mean norms and their ratio to the last layer's."""
        d, g = self.mean_delta_norm(), self.mean_weight_grad_norm()
        rows = ["layer  mean ||delta^l||  mean ||dC/dW^l||  relative to layer L"]
        for l in range(1, len(d) + 1):  # (each number under its heading: widths 16, 16 and 19)
            rows.append(f"{l:>5}  {d[l - 1]:>16.3e}  {g[l - 1]:>16.3e}  {g[l - 1] / g[-1]:>19.3g}")
        return "\n".join(rows)

    def plot(self, path, title: str | None = None):
        """Draw ||delta^l|| and ||dC/dW^l|| against the epoch, one line per layer l, to ``path`` (.png, .svg or .pdf).

        Returns the matplotlib Figure.
        """
        self._check_recorded()
        path = figure_path(path)  # (before the drawing)
        import matplotlib
        from matplotlib.ticker import MaxNLocator

        deltas, grads = np.array(self.delta_norm), np.array(self.weight_grad_norm)
        L = deltas.shape[1]
        fig = new_figure(11, 4.2)
        axes = fig.subplots(1, 2)
        colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, L))
        for ax, values, label in (
            (axes[0], deltas, r"mean $\Vert\delta^l\Vert_2$ (backpropagated error)"),
            (axes[1], grads, r"$\Vert\partial C / \partial W^l\Vert_F$ (speed of learning)"),
        ):
            for l in range(1, L + 1):
                name = f"layer {l}" + (" (output)" if l == L else "")
                ax.plot(self.epochs, values[:, l - 1], marker="o", markersize=3, color=colours[l - 1], label=name)
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch (first point: before training)")
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
        axes[1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.suptitle(title or "Gradient flow per layer l = 1..L (smaller: that layer learns more slowly)", fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.94))
        save_figure(fig, path)
        return fig
