"""Gradient checking: backpropagation's gradient against central finite differences.

    dC/dtheta_k  ~=  (C(theta + eps e_k) - C(theta - eps e_k)) / (2 eps)

for every weight and bias, on a float64 copy of the network (float32 finite
differences are mostly rounding noise). This is the "naive direct computation
of the gradient with respect to each weight individually" the lecture
contrasts with backpropagation: 2P cost evaluations for P parameters, so use
it on small networks and batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._callable_module import make_callable
from .checks import boolean, real
from .network import Network, check_network

__all__ = ["gradcheck", "GradcheckResult", "numerical_gradient", "relative_error", "entry_error"]


@dataclass
class GradcheckResult:
    """How far backpropagation's gradient is from finite differences, per layer l = 1..L.

    Attributes
    ----------
    weight_errors : list of L floats, the relative error of dC/dW^l over the whole
        array (see :func:`relative_error`): a systematic mistake shows here.
    bias_errors : list of L floats, the same for b^l.
    weight_entry_errors : list of L floats, the worst single entry of dC/dW^l
        against the layer's largest (see :func:`entry_error`): one wrong weight in
        a large layer, which the whole-array error dilutes by about sqrt(N_l N_{l-1}),
        shows here.
    bias_entry_errors : list of L floats, the same for b^l.
    max_error : float, the largest of all.
    noise : float, a bound on the finite differences' rounding noise of one entry,
        4 x 2.2e-16 |C| / eps (0 when not computed): what finite differences cannot resolve.
    within_noise : names ("W^1", "b^2") of the arrays whose difference from the finite
        differences is their rounding noise, measured by a second pass at 10 eps (backprop
        agrees with that pass, whose noise is ten times smaller), though their relative error
        may exceed a tolerance: gradients so small (vanishing, or near a minimum) that finite
        differences agree with them as far as they can tell. :meth:`passed` lets them pass.
    unresolved : names of the arrays whose gradients, backpropagation's and the finite
        differences' together, are below ``atol`` or the noise bound: zero, or too small to
        check at all (their errors read 0).
    at_kink : {name: (left out, of)} for the arrays some of whose entries were left out of their errors
        because moving that parameter by +-eps moves a unit's z^l across a kink of its activation
        (relu's at 0, say: a unit with z^l = 0, as zero biases and a zero input give): the
        finite difference then averages the slopes of both sides, while sigma' takes one of
        them (as backprop does everywhere), so it checks nothing there. An array all of whose
        entries straddle a kink reads "at a kink" (its errors read 0).
    tolerance : float, what :meth:`passed` and the printout hold the errors to by default.
    dtype : the dtype of the network that was checked (the check itself runs on a float64 copy).
    """

    weight_errors: list[float]
    bias_errors: list[float]
    weight_entry_errors: list[float] = field(default_factory=list)
    bias_entry_errors: list[float] = field(default_factory=list)
    noise: float = 0.0
    within_noise: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    at_kink: dict[str, tuple[int, int]] = field(default_factory=dict)
    tolerance: float = 1e-6
    dtype: str = "float64"

    @property
    def max_error(self) -> float:
        return max(self.weight_errors + self.bias_errors + self.weight_entry_errors + self.bias_entry_errors)

    def _named_errors(self) -> list[tuple[str, float]]:
        L = len(self.weight_errors)
        named = [(f"W^{l + 1}", self.weight_errors[l]) for l in range(L)] + [(f"b^{l + 1}", self.bias_errors[l]) for l in range(L)]
        named += [(f"W^{l + 1}", e) for l, e in enumerate(self.weight_entry_errors)]
        return named + [(f"b^{l + 1}", e) for l, e in enumerate(self.bias_entry_errors)]

    def failures(self, tolerance: float | None = None) -> list[str]:
        """The names ("W^1", "b^2") of the arrays with an error of ``tolerance`` (default: ``self.tolerance``)
        or more that is not within the finite-difference noise, in layer order."""
        tolerance = self.tolerance if tolerance is None else tolerance
        failed = [name for name, error in self._named_errors() if not error < tolerance and name not in self.within_noise]
        return sorted(set(failed), key=lambda name: (int(name[2:]), name[0] == "b"))

    def passed(self, tolerance: float | None = None) -> bool:
        """Every array's errors below ``tolerance`` (default: ``self.tolerance``, 1e-6), or its difference
        within the finite-difference noise."""
        return not self.failures(tolerance)

    def _cell(self, name: str, error: float) -> str:
        left_out, of = self.at_kink.get(name, (0, 1))
        if left_out == of:
            return "at a kink"
        if name in self.unresolved:
            return "below resolution"
        return f"{error:.2e}" + ("*" if name in self.within_noise else "") + ("\u2020" if name in self.at_kink else "")

    def __str__(self) -> str:
        pairs = list(enumerate(zip(self.weight_errors, self.bias_errors), 1))
        # (what each number is: the rows alone read as errors of something unsaid)
        rows = ["relative errors, a = backpropagation's dC/dW^l or dC/db^l, n = the finite differences':",
                "whole array, ||a - n|| / (||a|| + ||n||):"]
        rows += [f"layer {l}: W {self._cell(f'W^{l}', w)}  b {self._cell(f'b^{l}', b)}" for l, (w, b) in pairs]
        if self.weight_entry_errors:
            rows.append("worst entry, max_k |a_k - n_k| / (max_k |a_k| + max_k |n_k|):")
        rows += [f"layer {l}: worst entry of W {self._cell(f'W^{l}', w)}  of b {self._cell(f'b^{l}', b)}"
                 for l, (w, b) in enumerate(zip(self.weight_entry_errors, self.bias_entry_errors), 1)]
        rows.append(f"max relative error {self.max_error:.2e}")
        if self.dtype != "float64":
            rows.append(f"(checked on a float64 copy of this {self.dtype} network: the errors are of the equations, "
                        f"not of {self.dtype} rounding)")
        if self.within_noise:
            rows.append(f"* {', '.join(self.within_noise)}: the difference is the finite differences' rounding noise "
                        f"(measured at 10 eps, where backprop agrees ten times closer): they agree as far as finite "
                        f"differences can tell")
        if self.unresolved:
            rows.append(f"below resolution: {', '.join(self.unresolved)}: the gradient is 0 or below what finite "
                        f"differences resolve (about {self.noise:.1e} per entry), so it is not checked")
        if self.at_kink:
            counts = ", ".join(f"{name} ({left_out} of {of} {'entry' if of == 1 else 'entries'})"
                               for name, (left_out, of) in self.at_kink.items())
            rows.append(f"\u2020 {counts}: moving these parameters by +-eps moves a unit's z^l across a kink of its "
                        f"activation (relu's at 0: a unit with z^l = 0), where sigma' has no value to check (backprop "
                        f"takes one side's slope, finite differences average both): left out of the errors")
        failed = self.failures()
        names = [f"{kind}^{l}" for l in range(1, len(self.weight_errors) + 1) for kind in "Wb"]
        unchecked = set(self.unresolved) | {name for name, (left_out, of) in self.at_kink.items() if left_out == of}
        if failed:
            rows.append(f"FAILED: {', '.join(failed)} at or above {self.tolerance:g}")
        elif unchecked >= set(names):
            rows.append("nothing was checked: every array is below what finite differences resolve, or at a kink "
                        "(try other examples, or more of them)")
        else:
            rows.append(f"passed: every error below {self.tolerance:g}" + (" or marked" if self.within_noise else ""))
        return "\n".join(rows)


def relative_error(analytic: np.ndarray, numeric: np.ndarray, atol: float = 0.0) -> float:
    """||a - n|| / (||a|| + ||n||) over one layer's array (0 when ||a|| + ||n|| <= atol): a Python float,
    for two arrays of the same shape.

    Measured over the whole array rather than entry by entry: entries whose
    true gradient is 0 (inputs that are always 0, say) carry only the
    finite-difference rounding noise (~1e-10), which an entry-wise ratio
    would blow up to O(1). ``atol`` does the same for a whole array whose
    gradient is 0 (at a minimum): its finite differences are that noise alone.
    """
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator > atol else 0.0


def entry_error(analytic: np.ndarray, numeric: np.ndarray, atol: float = 0.0) -> float:
    """max_k |a_k - n_k| / (max_k |a_k| + max_k |n_k|) over one layer's array (0 when that
    denominator is <= atol): a Python float, for two arrays of the same shape.

    The worst entry, measured against the layer's largest entry rather than its
    own size, for the same reason as :func:`relative_error`: a zero gradient's
    rounding noise stays small next to the layer's scale.
    """
    denominator = np.max(np.abs(analytic), initial=0.0) + np.max(np.abs(numeric), initial=0.0)
    return float(np.max(np.abs(analytic - numeric)) / denominator) if denominator > atol else 0.0


def numerical_gradient(net: Network, X, T, *, eps: float = 1e-6, sample_weight=None) -> tuple[list, list]:
    """Central-difference estimates of dC/dW^l and dC/db^l on a float64 copy of ``net``: for X (n, N_0) and
    encoded targets T (n, N_L), two lists from layer 1 to L of float64 arrays shaped as W^l (N_l, N_{l-1})
    and b^l (N_l,)."""
    net = net.astype(np.float64)
    X = net.check_X(X)
    T = net.check_T(T, len(X))
    dW = [_finite_differences(net, p, X, T, eps, sample_weight)[0] for p in net.weights]
    db = [_finite_differences(net, p, X, T, eps, sample_weight)[0] for p in net.biases]
    return dW, db


def _cost_and_sides(net: Network, X, T, w) -> tuple[float, list[np.ndarray]]:
    """C(theta), as ``Network.loss`` computes it (``w`` normalised as it does), and from the same forward
    pass, for every layer whose activation has a kink, which side of it each unit's z^l is on (True: above)."""
    fp = net.forward(X)
    cost = net.cost_of(fp.output, T, w, z=fp.z[net.n_layers - 1]) + net.penalty()
    return cost, [z > act.kink for z, act in zip(fp.z, net.activations) if act.kink is not None]


def _finite_differences(net: Network, p: np.ndarray, X, T, eps: float, sample_weight) -> tuple[np.ndarray, np.ndarray]:
    """dC/dp by central differences, for one parameter array ``p`` of the float64 ``net`` (restored after),
    and a boolean array of p's shape: where moving that entry by +-eps moved a unit across a kink."""
    w = None if sample_weight is None else net._normalised_weights(sample_weight, len(X))
    _, sides = _cost_and_sides(net, X, T, w)
    g, straddles = np.empty_like(p), np.zeros(p.shape, dtype=bool)
    flat, gflat, sflat = p.reshape(-1), g.reshape(-1), straddles.reshape(-1)
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original + eps
        c_plus, sides_plus = _cost_and_sides(net, X, T, w)
        flat[k] = original - eps
        c_minus, sides_minus = _cost_and_sides(net, X, T, w)
        flat[k] = original
        gflat[k] = (c_plus - c_minus) / (2 * eps)
        sflat[k] = any(np.any(s != s_plus) or np.any(s != s_minus) for s, s_plus, s_minus in zip(sides, sides_plus, sides_minus))
    return g, straddles


#: An array whose error exceeds this has its finite differences' noise measured (a second pass at 10 eps)
#: before the error may count as noise: the noise modelled from |C| is only a bound, and near a minimum C is
#: small while the terms it is computed from are not.
REMEASURE_ABOVE = 1e-7


def _within_measured_noise(net, p, analytic, numeric, X, T, eps, sample_weight, kept) -> bool:
    """Whether backprop's gradient agrees with the finite differences at 10 eps where those at ``eps`` are
    rounding noise: the noise shrinks tenfold with the step (truncation error grows a hundredfold), so a right
    gradient is about 10 times closer to the second pass than to the first, and a wrong one is as far from both.

    Entry by entry, against the noise at ``eps`` measured as |n(eps) - n(10 eps)|: its own, or (as two noisy
    values can nearly cancel) the array's 90th percentile; backprop must be within 0.3 of it of the second
    pass (its noise is about 0.1 of it). Truncation error, which grows with the step, counts as no noise:
    it leaves the second pass as far from backprop as the spread, and so above 0.3 of it.
    ``analytic`` and ``numeric`` hold the entries of ``p`` where ``kept`` is True (those clear of a kink).
    """
    if 10 * eps >= 0.01:  # (a step that large measures curvature, not rounding)
        return False
    coarse = _finite_differences(net, p, X, T, 10 * eps, sample_weight)[0][kept]
    spread = np.abs(numeric - coarse)
    scale = np.maximum(spread, np.quantile(spread, 0.9))
    return bool(np.all(np.abs(analytic - coarse) <= 0.3 * scale))


#: The finite differences' rounding noise per entry, in units of 2.2e-16 |C| / eps: C(theta +- eps e_k)
#: each rounded to its last bit. Measured: 0.8-1.3 units on digits networks of 2 to 14 layers; 4 leaves a margin.
COST_ROUNDING = 4


def gradcheck(net: Network, X, T, *, eps: float = 1e-6, sample_weight=None, fused: bool = True,
              atol: float = 1e-9, tolerance: float = 1e-6) -> GradcheckResult:
    """Compare ``net.backward`` with central finite differences, on a float64 copy of ``net``.

    Dropout is not applied (the check is of the deterministic cost C(theta)).

    Parameters
    ----------
    net : Network (any dtype; it is not changed).
    X : array of shape (n, N_0).
    T : encoded targets of shape (n, N_L) (see ``Network.encode_targets``).
    eps : float, the finite-difference step.
    sample_weight : array of shape (n,), optional; weights of the examples' costs.
    fused : bool, default True: check the gradient as ``fit`` takes it, with the exact y - t
        for a loss's own output (see ``Network.output_delta``). ``fused=False`` checks the
        literal sigma'(z^L) (.) nabla C(y) instead, and so the loss's ``grad`` and the output's
        sigma', which y - t never calls: give it for a loss or output activation of your own.
        (What is checked is ``Network.backward``; ``fit``'s compiled kernels are proved equal
        to it by ``tests/test_fastpath.py``.)
    atol : float >= 0: an array whose analytic and numerical gradients together are at most
        this large counts as a zero gradient, checked: at a minimum the gradient is 0 and the
        finite differences are rounding noise (about 1e-13 with the default eps), whose
        relative error would be 1. Larger gradients are compared in relative terms.
    tolerance : float > 0, what the result's printout and :meth:`GradcheckResult.passed` hold
        the errors to (default 1e-6).

    Finite differences carry rounding noise of 1 to 2 times 2.2e-16 |C| / eps per entry, more
    near a minimum, where C is small but the terms it is computed from are not: a layer whose
    gradient is not much larger (a vanishing gradient deep in a sigmoid network, a model near
    its minimum) cannot be checked to 1e-6. Where an array's error exceeds the noise modelled
    from |C|, its noise is measured by a second pass at 10 eps (noise shrinks tenfold, a wrong
    gradient does not). Such layers are named in the result (``within_noise``, ``unresolved``)
    and marked in its printout rather than failed or reported as exact. So are the entries whose
    finite difference crosses a kink of an activation (``at_kink``), left out of the errors.

    Returns
    -------
    GradcheckResult with the relative error per layer, over each array and of its worst entry.
    """
    check_network(net)
    fused = boolean("fused", fused)
    eps = real("eps", eps, 0, 1, low_open=True, high_open=True, what="a finite-difference step")
    atol = real("atol", atol, 0, what="an absolute tolerance")
    tolerance = real("tolerance", tolerance, 0, low_open=True, what="the largest relative error that passes")
    net64 = net.astype(np.float64)
    X64 = net64.check_X(X)
    T64 = net64.check_T(T, len(X64))
    analytic = net64.backward(net64.forward(X64), T64, sample_weight=sample_weight, fused=fused)
    # (C(theta + eps e_k) - C(theta - eps e_k)) / (2 eps), each C rounded: see COST_ROUNDING
    noise = COST_ROUNDING * np.finfo(np.float64).eps * abs(float(net64.loss(X64, T64, sample_weight=sample_weight))) / eps
    errors = {"W": ([], []), "b": ([], [])}  # (whole-array errors, worst-entry errors) per kind, layers 1..L
    within, unresolved, at_kink = [], [], {}
    for l, (a_W, a_b) in enumerate(zip(analytic.dW, analytic.db), start=1):
        for kind, a, p in (("W", a_W, net64.weights[l - 1]), ("b", a_b, net64.biases[l - 1])):
            name = f"{kind}^{l}"
            n, straddles = _finite_differences(net64, p, X64, T64, eps, sample_weight)
            if straddles.any():  # (entries whose finite difference crosses a kink: nothing there to compare)
                at_kink[name] = (int(straddles.sum()), straddles.size)
            a, n = a[~straddles], n[~straddles]  # (flat: the errors are over all entries, in any order)
            if not a.size:  # (every entry at a kink)
                errors[kind][0].append(0.0)
                errors[kind][1].append(0.0)
                continue
            if np.linalg.norm(a) + np.linalg.norm(n) <= atol or np.max(np.abs(a)) + np.max(np.abs(n)) <= noise:
                unresolved.append(name)  # zero, or below what finite differences resolve: nothing to compare
                errors[kind][0].append(0.0)
                errors[kind][1].append(0.0)
                continue
            # (the noise modelled from |C| is a bound, often 5-20 times the real one: measured before it excuses)
            if max(relative_error(a, n), entry_error(a, n)) > REMEASURE_ABOVE and _within_measured_noise(
                    net64, p, a, n, X64, T64, eps, sample_weight, ~straddles):
                within.append(name)
            errors[kind][0].append(relative_error(a, n))
            errors[kind][1].append(entry_error(a, n))
    return GradcheckResult(weight_errors=errors["W"][0], bias_errors=errors["b"][0], weight_entry_errors=errors["W"][1],
                           bias_entry_errors=errors["b"][1], noise=noise, within_noise=within, unresolved=unresolved,
                           at_kink=at_kink, tolerance=tolerance, dtype=np.dtype(net.dtype).name)


make_callable(__name__, gradcheck)  # deltaprop.gradcheck(net, X, T) is gradcheck(net, X, T); the module stays the module
