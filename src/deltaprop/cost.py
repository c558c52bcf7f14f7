"""What backpropagation saves: its cost against one-weight-at-a-time differentiation.

The lecture: backpropagation computes the gradient "efficiently, unlike a naive
direct computation of the gradient with respect to each weight
individually". The naive way perturbs each of the P parameters in turn,

    dC/dtheta_k ~= (C(theta + eps e_k) - C(theta - eps e_k)) / (2 eps),

which costs 2P evaluations of C(theta), each a full forward pass; backprop
gets all P derivatives from one forward and one backward pass, a small
constant number of forward passes whatever P is.

:func:`measure_cost` times both on networks of growing width (float64, a
fixed batch), stopping the naive side before a run would exceed a time
budget (predicted from the measured time of one cost evaluation).
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from ._figures import figure_path, new_figure, save_figure
from .checks import seed as check_seed
from .gradcheck import numerical_gradient
from .network import Network

__all__ = ["measure_cost", "CostRow", "CostResult"]

DEFAULT_WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)


@dataclass
class CostRow:
    """Timings for one network (seconds, float).

    Attributes
    ----------
    width : int, the width w of the network [w, w, w, n_outputs].
    P : int, its number of parameters (weights and biases).
    evaluation_s : time of one evaluation of C(theta) (a forward pass and the cost).
    backprop_s : time of the full gradient by backpropagation (forward + backward).
    naive_s : time of the full gradient by 2P finite-difference evaluations, or None if skipped.
    naive_predicted_s : 2P * evaluation_s, the prediction used to decide whether to run it.
    max_abs_difference : largest |backprop - finite difference| over all P derivatives, or None.
    """

    width: int
    P: int
    evaluation_s: float
    backprop_s: float
    naive_s: float | None
    naive_predicted_s: float
    max_abs_difference: float | None

    @property
    def backprop_in_evaluations(self) -> float:
        """Backprop's time in units of one cost evaluation (about constant in P)."""
        return self.backprop_s / self.evaluation_s

    @property
    def naive_in_evaluations(self) -> float | None:
        """The naive way's time in units of one cost evaluation (about 2P)."""
        return None if self.naive_s is None else self.naive_s / self.evaluation_s


@dataclass
class CostResult:
    """The rows of :func:`measure_cost` and the budget that stopped the naive side."""

    rows: list[CostRow]
    budget_s: float
    n_examples: int
    notes: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        """A table: one row per network, growing P, in 80 columns (the prose above it wrapped to them)."""
        head = (f"{'P':>7} {'width':>5} {'C(theta)':>8} {'backprop':>9} {'= evals':>7} {'naive':>10} {'= evals':>7} "
                f"{'naive/bp':>8} {'max |diff|':>10}")
        prose = [
            f"Full gradient of C(theta) on {self.n_examples} examples (float64): backpropagation against "
            "one-weight-at-a-time central differences",
            "(C(theta): the time of one evaluation of C(theta). = evals: the time in evaluations of C(theta). "
            "Backpropagation is a forward and a backward pass, two or three evaluations' work, near 1 on small "
            "networks where each call's fixed cost dominates; the naive gradient takes 2P. naive/bp: the naive "
            "time over backpropagation's.)",
        ]
        lines = [part for text in prose for part in textwrap.wrap(text, 80, break_on_hyphens=False)]
        lines += [head, "-" * len(head)]
        for r in self.rows:
            if r.naive_s is None:
                naive = f"(~{r.naive_predicted_s:.3g}s) skip"
                rest = ""
            else:
                naive = f"{r.naive_s:.3g}s"
                rest = f" {r.naive_in_evaluations:>7.0f} {r.naive_s / r.backprop_s:>8.0f} {r.max_abs_difference:>10.1e}"
            lines.append(
                f"{r.P:>7} {r.width:>5} {_duration(r.evaluation_s):>8} {_duration(r.backprop_s):>9} "
                f"{r.backprop_in_evaluations:>7.1f} {naive:>10}{rest}"
            )
        lines += [f"naive side stopped before any run predicted to exceed {self.budget_s:g}s"] + self.notes
        return "\n".join(lines) + "\n"

    def plot(self, path):
        """Both timings against P on log-log axes, to ``path`` (.png, .svg or .pdf); returns the Figure."""
        path = figure_path(path)  # (before the drawing)
        fig = new_figure(7.5, 5)
        ax = fig.subplots()
        P = np.array([r.P for r in self.rows], dtype=float)
        ax.plot(P, [r.backprop_s for r in self.rows], "o-", color="tab:blue", label="backpropagation (1 forward + 1 backward)")
        ax.plot(P, [r.evaluation_s for r in self.rows], ":", color="gray", label=r"one evaluation of $C(\theta)$")
        done = [r for r in self.rows if r.naive_s is not None]
        if done:
            ax.plot([r.P for r in done], [r.naive_s for r in done], "s-", color="tab:red",
                    label="naive: 2P evaluations, one weight at a time")
        skipped = [r for r in self.rows if r.naive_s is None]
        if skipped:
            ax.plot([r.P for r in skipped], [r.naive_predicted_s for r in skipped], "s--", color="tab:red",
                    markerfacecolor="none", label=f"naive, predicted (over the {self.budget_s:g}s budget)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("P, number of parameters")
        ax.set_ylabel("seconds for the full gradient")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("Backpropagation costs a few forward passes; naive differentiation costs 2P", fontsize=10)
        fig.tight_layout()
        save_figure(fig, path)
        return fig


def _duration(seconds: float) -> str:
    """A time in us, ms or s, whichever keeps it short, to 0.1us, 0.01ms or 1ms: "115.9us", "59.86ms", "1.234s"
    (a column of us alone ran to "152023.3us")."""
    if seconds < 999.95e-6:
        return f"{seconds * 1e6:.1f}us"
    if seconds < 999.995e-3:
        return f"{seconds * 1e3:.2f}ms"
    return f"{seconds:.3f}s"


def _seconds(fn, min_total: float = 0.02, rounds: int = 3) -> float:
    """The best over ``rounds`` of the mean time of ``fn`` over enough calls to last ``min_total`` seconds."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    calls = max(1, int(min_total / max(once, 1e-7)))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def measure_cost(
    widths=DEFAULT_WIDTHS,
    *,
    budget_s: float = 2.0,
    n_examples: int = 32,
    n_outputs: int = 10,
    seed: int = 0,
    eps: float = 1e-6,
) -> CostResult:
    """Time the full gradient by backpropagation and by naive finite differences.

    Parameters
    ----------
    widths : increasing ints >= 1; network w is [w, w, w, n_outputs] (sigmoid, softmax +
        cross-entropy), so P grows about as 2 w^2.
    budget_s : float > 0; a naive run predicted (2P evaluations) to take longer is skipped,
        and so are all larger ones.
    n_examples : int >= 1, the batch the cost is measured on.

    Returns
    -------
    CostResult (``to_text()`` for the table, ``plot(path)`` for the log-log picture).
    """
    widths = list(widths)
    if not widths or any(isinstance(w, bool) or not isinstance(w, Integral) or w < 1 for w in widths):
        raise ValueError(f"widths: expected a non-empty sequence of integers >= 1; got {widths!r}")
    if isinstance(budget_s, bool) or not isinstance(budget_s, Real) or not budget_s > 0:
        raise ValueError(f"budget_s: expected a number of seconds > 0; got {budget_s!r}")
    if isinstance(n_examples, bool) or not isinstance(n_examples, Integral) or n_examples < 1:
        raise ValueError(f"n_examples: expected an integer >= 1; got {n_examples!r}")
    seed = check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    rows: list[CostRow] = []
    naive_stopped = False
    for width in sorted(widths):
        net = Network([width, width, width, n_outputs], seed=seed, dtype="float64")
        X = rng.random((n_examples, width))
        T = np.eye(n_outputs)[rng.integers(0, n_outputs, n_examples)]
        evaluation = _seconds(lambda: net.loss(X, T))
        backprop = _seconds(lambda: net.backward(net.forward(X), T))
        P = net.n_parameters
        predicted = 2 * P * evaluation
        naive = difference = None
        if not naive_stopped and predicted <= budget_s:
            start = time.perf_counter()
            num_W, num_b = numerical_gradient(net, X, T, eps=eps)
            naive = time.perf_counter() - start
            g = net.backward(net.forward(X), T)
            difference = max(float(np.max(np.abs(a - n))) for a, n in zip(g.dW + g.db, num_W + num_b))
        else:
            naive_stopped = True
        rows.append(CostRow(width, P, evaluation, backprop, naive, predicted, difference))
    return CostResult(rows, float(budget_s), int(n_examples))
