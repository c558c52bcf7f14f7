"""Cost functions C(y, t) and their gradients grad_y C, one registry.

The protocol
------------
Every loss is one :class:`Loss` entry in ``LOSSES`` and provides, for network
outputs y = a^L and targets t, both of shape (n_examples, N_L):

``cost(y, t) -> c``
    the cost of each example, shape (n_examples,). The network's cost
    C(theta) is the mean of these (plus the L2 term, see ``Network.loss``).
``grad(y, t) -> grad_y C``
    dc/dy for each example, shape (n_examples, N_L): the lecture's
    ``nabla C(y)`` that starts the backward pass,
    delta^L = sigma'(z^L) (.) nabla C(y).
``outputs``
    the output activations the loss is defined for (``None``: any).
``fused_output``
    the output activation for which delta^L simplifies to y - t (softmax with
    cross-entropy, sigmoid with binary cross-entropy, exp with poisson), or ``None``. The
    network may take that shortcut for speed; the literal path
    sigma'(z^L) (.) nabla C(y) stays available and a test proves they agree.
``logit_cost(z, t) -> c`` (with ``fused_output``, else ``None``)
    the same per-example cost written in z^L for that output activation,
    c(sigma(z), t). Where y rounds to exactly 0 or 1 (a confident output:
    z = 17 in float32) ``cost`` can only floor log y; this form stays exact,
    so the cost keeps matching its gradient y - t. The network uses it
    whenever it has z^L.
``targets_at_least``, ``targets_at_most``
    the smallest and largest target value the cost is defined for
    (poisson: 0 and None; the cross-entropies: 0 and 1), or ``None``; the
    network refuses targets outside them.
``classification``
    whether the outputs are class probabilities and 0/1 targets mean
    classes (``predict_proba``, labels, accuracy).
``formula``, ``latex``
    the per-example cost written out, as plain text and as LaTeX, for
    ``deltaprop explain`` (``None``: it names the loss instead).

Adding a loss is one entry in ``LOSSES`` (under a new name: deltaprop's own
entries cannot be replaced, see ``deltaprop.registry``): its cost and gradient
side by side. The tests check it against the test oracle, which needs its cost
and gradient written out again, independently, in ``tests/reference.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from .registry import Registry

__all__ = ["Loss", "LOSSES", "get_loss"]

Array = np.ndarray


def _xlogy(x: Array, y: Array) -> Array:
    # x log y element-wise, 0 where x = 0 (its limit, as the Poisson deviance takes t log t at t = 0); SciPy's
    # xlogy, whose import cost a third of deltaprop's
    x = np.asarray(x)  # (the loss's callables take t as a list or a number too)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, x.dtype.type(0), x * np.log(y))


def _floor(y: Array) -> Array:
    # log(0) = -inf: keep probabilities at least the smallest normal number of their dtype.
    return np.maximum(y, np.finfo(y.dtype).tiny)


def _log_softmax(z: Array) -> Array:
    # log y_k = z_k - log sum_j e^{z_j}, with the largest z subtracted first so that no e^z overflows
    shifted = z - np.max(z, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _poisson_grad(y: Array, t: Array) -> Array:
    # dc/dy = 1 - t / y. Where y underflowed to 0 and t > 0 the quotient would overflow to inf and the literal
    # delta^L = sigma'(z) (.) dc/dy = 0 * inf a NaN; held at the dtype's largest number it is 0, the saturated
    # output's lost delta (as sigmoid's), which the fused y - t keeps.
    with np.errstate(over="ignore"):
        return np.maximum(1 - t / _floor(y), np.finfo(y.dtype).min)


def _poisson_logit_cost(z: Array, t: Array) -> Array:
    # c = sum_i e^{z_i} - t_i z_i + t_i log t_i - t_i: its terms are each about t (counts of thousands) and cancel to
    # about (y - t)^2 / t, so in float32 the sum is rounding noise there, even negative. Summed in float64 and
    # rounded once, each cost is >= 0 and right to the dtype's precision.
    z64, t64 = z.astype(np.float64), t.astype(np.float64)
    with np.errstate(over="ignore"):  # (a diverged e^z is inf in either dtype: the training loop says so)
        return np.sum(np.exp(z64) - t64 * z64 + _xlogy(t64, t64) - t64, axis=1).astype(z.dtype, copy=False)


def _softplus(z: Array) -> Array:
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), which neither overflows nor loses small values
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


@dataclass(frozen=True)
class Loss:
    """One cost function with its gradient with respect to the output y.

    Attributes
    ----------
    name : str
    cost : callable (y, t) -> per-example costs, shape (n,)
    grad : callable (y, t) -> dc/dy, shape (n, N_L)
    outputs : tuple of str or None
        Output activations this loss accepts; None accepts any.
    fused_output : str or None
        Output activation with which delta^L = y - t exactly.
    logit_cost : callable (z, t) -> per-example costs, shape (n,), or None
        ``cost(fused_output(z), t)`` computed from z^L (see the module docstring).
    targets_at_least, targets_at_most : float or None
        The smallest and largest target the cost is defined for (None: no bound).
    classification : bool
        Whether outputs are class probabilities (0/1 or one-hot targets, labels).
    formula, latex : str or None
        The per-example cost c(y, t) as text and as LaTeX, for explanations.
    """

    name: str
    cost: Callable[[Array, Array], Array]
    grad: Callable[[Array, Array], Array]
    outputs: tuple[str, ...] | None = None
    fused_output: str | None = None
    logit_cost: Callable[[Array, Array], Array] | None = None
    targets_at_least: float | None = None
    targets_at_most: float | None = None
    classification: bool = False
    formula: str | None = None
    latex: str | None = None

    def __reduce__(self):
        # Pickle a registry entry by name (its functions are lambdas, which pickle cannot store); one of the
        # user's by its fields, as Activation.__reduce__.
        if LOSSES.get(self.name) is self:
            return (get_loss, (self.name,))
        return (type(self), tuple(getattr(self, f.name) for f in fields(self)))

    def __deepcopy__(self, memo):
        return self  # frozen: as Activation.__deepcopy__, a loss of the user's own stays itself


LOSSES: dict[str, Loss] = Registry("LOSSES", {
    l.name: l
    for l in [
        # c = 1/2 ||y - t||^2 (the lecture's),      dc/dy = y - t
        Loss(
            "quadratic",
            lambda y, t: 0.5 * np.sum((y - t) ** 2, axis=1),
            lambda y, t: y - t,
            formula="C = 1/2 ||y - t||^2",
            latex=r"C = \tfrac12 \lVert y - t \rVert^2",
        ),
        # c = sum_i [t_i log(t_i / y_i) - t_i + y_i] (half the Poisson deviance; 0 at y = t),  dc/dy_i = 1 - t_i / y_i
        # for counts or rates t_i >= 0 predicted by y = e^z (scikit-learn's MLPRegressor(loss="poisson"));
        # with y = e^z: c = sum_i e^{z_i} - t_i z_i + t_i log t_i - t_i, exact where e^z underflows to 0
        Loss(
            "poisson",
            lambda y, t: np.sum(_xlogy(t, t / _floor(y)) - t + y, axis=1),
            _poisson_grad,
            outputs=("exp",),
            fused_output="exp",
            logit_cost=_poisson_logit_cost,
            targets_at_least=0.0,
            formula="C = sum_i [t_i log(t_i / y_i) - t_i + y_i]",
            latex=r"C = \sum_i \big[t_i \log(t_i / y_i) - t_i + y_i\big]",
        ),
        # c = -sum_i t_i log y_i,                   dc/dy_i = -t_i / y_i
        # with y = softmax(z): c = -sum_i t_i (z_i - log sum_j e^{z_j})
        Loss(
            "cross_entropy",
            lambda y, t: -np.sum(t * np.log(_floor(y)), axis=1),
            lambda y, t: -t / _floor(y),
            outputs=("softmax",),
            fused_output="softmax",
            logit_cost=lambda z, t: -np.sum(t * _log_softmax(z), axis=1),
            targets_at_least=0.0,
            targets_at_most=1.0,
            classification=True,
            formula="C = -sum_i t_i log y_i",
            latex=r"C = -\sum_i t_i \log y_i",
        ),
        # c = -sum_i [t_i log y_i + (1-t_i) log(1-y_i)],  dc/dy_i = (y_i - t_i) / (y_i (1 - y_i))
        # with y = sigmoid(z): log y = -log(1 + e^-z), log(1 - y) = -log(1 + e^z), so c = sum_i log(1 + e^{z_i}) - t_i z_i
        Loss(
            "binary_cross_entropy",
            lambda y, t: -np.sum(t * np.log(_floor(y)) + (1 - t) * np.log(_floor(1 - y)), axis=1),
            lambda y, t: (y - t) / _floor(y * (1 - y)),
            outputs=("sigmoid",),
            fused_output="sigmoid",
            logit_cost=lambda z, t: np.sum(_softplus(z) - t * z, axis=1),
            targets_at_least=0.0,
            targets_at_most=1.0,
            classification=True,
            formula="C = -sum_i [t_i log y_i + (1 - t_i) log(1 - y_i)]",
            latex=r"C = -\sum_i \big[t_i \log y_i + (1 - t_i)\log(1 - y_i)\big]",
        ),
    ]
}, "Loss({name!r}, cost, grad)")

#: Other names users of peer tools type for the same losses.
ALIASES = {
    "mse": "quadratic",
    "squared_error": "quadratic",
    "log_loss": "cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "binary_crossentropy": "binary_cross_entropy",
}


def get_loss(name: str | Loss, *, argument: str = "loss") -> Loss:
    """Look up a loss by name (or pass one through).

    Raises
    ------
    ValueError naming ``argument``, the known names and the name given.
    """
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a name (str) such as 'quadratic'; got {type(name).__name__} {name!r}")
    key = ALIASES.get(name, name)
    if key not in LOSSES:
        from .activations import names_hint

        raise ValueError(f"{argument}: unknown loss {name!r}; expected one of {sorted(LOSSES)}{names_hint(name, sorted(LOSSES), ALIASES)}")
    return LOSSES[key]
