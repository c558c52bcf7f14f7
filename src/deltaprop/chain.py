"""The lecture's chain-rule example: w -> x -> y -> z with x = f(w), y = f(x), z = f(y).

    dz/dw = dz/dy dy/dx dx/dw = f'(y) f'(x) f'(w) = f'(f(f(w))) f'(f(w)) f'(w)

The forward direction computes x, y, z ("for computing the cost"); the
backward direction starts from dz/dz = 1 and multiplies in one local
derivative per step ("for computing the gradient"), exactly as backprop does
layer by layer. A central finite difference (z(w + eps) - z(w - eps)) / (2 eps)
checks the result. f is any element-wise activation of deltaprop's registry;
everything is computed in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, get_activation

__all__ = ["chain_rule", "ChainRule"]


@dataclass
class ChainRule:
    """The result of :func:`chain_rule` (all floats, computed in float64).

    Attributes
    ----------
    f : name of the activation.   w : the input.
    x, y, z : f(w), f(x), f(y).
    df_w, df_x, df_y : f'(w), f'(x), f'(y), the local derivatives dx/dw, dy/dx, dz/dy.
    dz_dy, dz_dx, dz_dw : the running products of the backward direction.
    eps : the finite-difference step taken.   finite_difference : the central-difference estimate of dz/dw.
    """

    f: str
    w: float
    x: float
    y: float
    z: float
    df_w: float
    df_x: float
    df_y: float
    dz_dy: float
    dz_dx: float
    dz_dw: float
    eps: float
    finite_difference: float

    @property
    def abs_error(self) -> float:
        """|chain rule - finite difference|."""
        return abs(self.dz_dw - self.finite_difference)

    def to_text(self) -> str:
        """The forward and backward steps with their numbers, one per line."""
        r = repr
        lines = [
            f"Chain rule: w -> x -> y -> z with x = f(w), y = f(x), z = f(y), f = {self.f}",
            "",
            "Forward direction (computing the cost)",
            f"  w = {r(self.w)}",
            f"  x = f(w) = {r(self.x)}",
            f"  y = f(x) = {r(self.y)}",
            f"  z = f(y) = {r(self.z)}",
            "",
            "Backward direction (computing the gradient), one local derivative per step",
            "  dz/dz = 1",
            f"  dz/dy = f'(y) = {r(self.df_y)}",
            f"  dz/dx = dz/dy f'(x) = {r(self.dz_dy)} * {r(self.df_x)} = {r(self.dz_dx)}",
            f"  dz/dw = dz/dx f'(w) = {r(self.dz_dx)} * {r(self.df_w)} = {r(self.dz_dw)}",
            f"  so dz/dw = f'(y) f'(x) f'(w) = f'(f(f(w))) f'(f(w)) f'(w) = {r(self.dz_dw)}",
            "",
            "Check by finite differences",
            f"  (z(w + eps) - z(w - eps)) / (2 eps) = {r(self.finite_difference)}   (eps = {self.eps:g})",
            f"  |chain rule - finite difference| = {self.abs_error:.3g}",
        ]
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """The same steps as Markdown with LaTeX."""
        r = repr
        return "\n".join([
            f"# Chain rule, $f$ = {self.f}",
            "",
            r"$$w \to x \to y \to z, \qquad x = f(w),\; y = f(x),\; z = f(y)$$",
            "",
            f"$$w = {r(self.w)},\\quad x = {r(self.x)},\\quad y = {r(self.y)},\\quad z = {r(self.z)}$$",
            "",
            r"$$\frac{dz}{dw} = \frac{dz}{dy}\frac{dy}{dx}\frac{dx}{dw} = f'(y) f'(x) f'(w) = "
            f"({r(self.df_y)})({r(self.df_x)})({r(self.df_w)}) = {r(self.dz_dw)}$$",
            "",
            f"Central finite difference with $\\epsilon = {self.eps:g}$: ${r(self.finite_difference)}$ "
            f"(difference ${self.abs_error:.3g}$).",
            "",
        ])


def _scalar(f, v: float) -> float:
    return float(f.forward(np.array([[v]], dtype=np.float64))[0, 0])


def _slope(f, v: float) -> float:
    z = np.array([[v]], dtype=np.float64)
    return float(f.derivative(z, f.forward(z))[0, 0])


def chain_rule(f: str = "sigmoid", w: float = 0.5, *, eps: float = 1e-6) -> ChainRule:
    """Evaluate dz/dw for z = f(f(f(w))) by the chain rule and by central finite differences.

    Parameters
    ----------
    f : name of an element-wise activation (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``).
    w : float, the point.
    eps : float > 0, the finite-difference step, relative to |w| where |w| > 1 (the step taken is
        eps max(1, |w|): a fixed one would fall below the spacing of floats near a large w).

    Returns
    -------
    ChainRule with every intermediate value (float64).
    """
    act = get_activation(f, argument="f")
    if act.derivative is None:
        raise ValueError(f"f: expected an element-wise activation, one of {list(HIDDEN_ACTIVATIONS)}; got {act.name!r}")
    for name, value in (("w", w), ("eps", eps)):
        if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
            raise ValueError(f"{name}: expected a finite number; got {value!r}")
    if eps <= 0:
        raise ValueError(f"eps: expected a number > 0; got {eps!r}")
    w = float(w)
    x = _scalar(act, w)
    y = _scalar(act, x)
    z = _scalar(act, y)
    df_w, df_x, df_y = _slope(act, w), _slope(act, x), _slope(act, y)
    dz_dy = df_y  # dz/dy = f'(y)
    dz_dx = dz_dy * df_x  # dz/dx = dz/dy dy/dx
    dz_dw = dz_dx * df_w  # dz/dw = f'(y) f'(x) f'(w)

    def z_of(v: float) -> float:
        return _scalar(act, _scalar(act, _scalar(act, v)))

    step = eps * max(1.0, abs(w))
    fd = (z_of(w + step) - z_of(w - step)) / (2 * step)
    return ChainRule(act.name, w, x, y, z, df_w, df_x, df_y, dz_dy, dz_dx, dz_dw, float(step), fd)
