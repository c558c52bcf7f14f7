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

import textwrap
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from .activations import get_activation, hidden_activations
from .checks import integer

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
    eps : the finite-difference step taken, eps_given max(1, |w|).   finite_difference : the central-difference
        estimate of dz/dw.
    eps_given : the eps asked for (relative to |w| where |w| > 1).
    notes : sentences on what makes the two disagree: a kink of f (relu, leaky_relu at 0) at or within the step
        of w, x or y, or a value that overflows float64 (inf, nan).
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
    eps_given: float | None = None
    notes: list[str] = field(default_factory=list)

    def _step(self) -> str:
        # the step taken, not the eps given: they differ where |w| > 1
        if self.eps_given is None:
            return f"step = {self.eps:g}"
        return f"step = eps * max(1, |w|) = {self.eps_given:g} * {max(1.0, abs(self.w)):g} = {self.eps:g}"

    def _step_latex(self) -> str:
        from .explain import latex_number

        if self.eps_given is None:
            return f"step $h = {latex_number(f'{self.eps:g}')}$"
        return (f"step $h = \\epsilon \\max(1, |w|) = {latex_number(f'{self.eps_given:g}')} \\cdot "
                f"{latex_number(f'{max(1.0, abs(self.w)):g}')} = {latex_number(f'{self.eps:g}')}$")

    @property
    def abs_error(self) -> float:
        """|chain rule - finite difference|."""
        return abs(self.dz_dw - self.finite_difference)

    def to_text(self, precision: int | None = None) -> str:
        """The forward and backward steps with their numbers, one per line (exact, or to ``precision`` significant
        digits)."""
        r = _formatter(precision)
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
            f"  {self._step()}",  # (its own line: beside the estimate, it ran to 110 columns)
            f"  (z(w + step) - z(w - step)) / (2 step) = {r(self.finite_difference)}",
            f"  |chain rule - finite difference| = {self.abs_error:.3g}",
        ]
        lines = [part for line in lines for part in _fit(line)]
        lines += [part for note in self.notes
                  for part in textwrap.wrap(f"note: {note}", WIDTH, initial_indent="  ", subsequent_indent="    ",
                                             break_long_words=False, break_on_hyphens=False)]  # (not in "1e-07")
        return "\n".join(lines) + "\n"

    def to_markdown(self, precision: int | None = None) -> str:
        """The same steps as Markdown with LaTeX (exact, or to ``precision`` significant digits)."""
        from .explain import latex_number  # ("1e-06" in LaTeX math renders as "1e - 06")

        digits = _formatter(precision)

        def r(value) -> str:
            return latex_number(digits(value))

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
            f"Central finite difference with {self._step_latex()}: ${r(self.finite_difference)}$ "
            f"(difference ${latex_number(f'{self.abs_error:.3g}')}$).",
            "",
            *[line for note in self.notes for line in (f"Note: {note}", "")],
        ])


#: The columns a printout keeps to (a terminal's), where its numbers allow.
WIDTH = 80


def _fit(line: str) -> list[str]:
    """``line`` as it is, or, where it is wider than :data:`WIDTH`, broken before its last " = " into a second
    line whose "=" sits under the first one's: "  dz/dx = dz/dy f'(x) = a * b" over "        = c"."""
    at = line.rfind(" = ")
    first = line.find(" = ")
    if len(line) <= WIDTH or at <= first:
        return [line]
    return [line[:at], " " * (first + 1) + line[at + 1 :]]


def _formatter(precision: int | None):
    """repr (every digit: the exact float), or ``precision`` significant digits."""
    if precision is None:
        return repr
    precision = integer("precision", precision)
    return lambda v: f"{v:.{precision}g}"


def _scalar(f, v: float) -> float:
    return float(f.forward(np.array([[v]], dtype=np.float64))[0, 0])


def _slope(f, v: float) -> float:
    z = np.array([[v]], dtype=np.float64)
    return float(f.derivative(z, f.forward(z))[0, 0])


def chain_rule(f: str = "sigmoid", w: float = 0.5, *, eps: float = 1e-6) -> ChainRule:
    """Evaluate dz/dw for z = f(f(f(w))) by the chain rule and by central finite differences.

    Parameters
    ----------
    f : name of an element-wise activation (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``, ``exp``).
    w : float, the point.
    eps : float > 0, the finite-difference step, relative to |w| where |w| > 1 (the step taken is
        eps max(1, |w|): a fixed one would fall below the spacing of floats near a large w).

    Returns
    -------
    ChainRule with every intermediate value (float64).
    """
    act = get_activation(f, argument="f", hidden=True)
    if act.derivative is None:
        raise ValueError(f"f: expected an element-wise activation, one of {list(hidden_activations())}; got {act.name!r}")
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
    result = ChainRule(act.name, w, x, y, z, df_w, df_x, df_y, dz_dy, dz_dx, dz_dw, float(step), fd, float(eps))
    result.notes = _notes(act, result)
    return result


def _notes(act, r: ChainRule) -> list[str]:
    """Why the chain rule and the finite difference may disagree: said, not left as an unexplained number."""
    notes = []
    kink = act.kink  # where sigma' jumps (the code takes one side's slope there), or None
    if kink is not None:
        # w, x, y with the values the finite difference moves them to: a kink inside that range is straddled
        lo, hi = r.w - r.eps, r.w + r.eps
        at, near = [], []
        for name, value in (("w", r.w), ("x", r.x), ("y", r.y)):
            # (a range that stays on one side, [0, 0] for relu of w < 0 included, has one slope throughout)
            if value == kink and lo != hi:
                at.append(f"{name} = {value!r}")
            elif min(lo, hi) < kink < max(lo, hi):
                near.append(f"{name} = {value!r}")
            lo, hi = _scalar(act, lo), _scalar(act, hi)
        if at:
            notes.append(f"{', '.join(at)}: at {act.name}'s kink at {kink:g}, where it has no derivative; the chain rule "
                         f"takes f'({kink:g}) = {_slope(act, kink):g} (as backprop does), while the finite difference "
                         "mixes the slopes of both sides, so the two may disagree.")
        if near:
            notes.append(f"{', '.join(near)}: within the finite difference's step of {act.name}'s kink at {kink:g}; the "
                         "chain rule's slope is exact there, while the finite difference crosses the kink and mixes "
                         "the slopes of both sides, so the two may disagree.")
    values = {"x": r.x, "y": r.y, "z": r.z, "f'(w)": r.df_w, "f'(x)": r.df_x, "f'(y)": r.df_y, "dz/dw": r.dz_dw,
              "the finite difference": r.finite_difference}
    bad = [f"{name} = {value!r}" for name, value in values.items() if not np.isfinite(value)]
    if bad:
        notes.append(f"{', '.join(bad)}: a value overflowed float64 (largest {np.finfo(np.float64).max:.3g}), and inf "
                     "and nan compare with nothing; take a smaller |w|.")
    return notes
