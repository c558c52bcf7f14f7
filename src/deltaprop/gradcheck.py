"""Gradient checking: backpropagation's gradient against central finite differences.

    dC/dtheta_k  ~=  (C(theta + eps e_k) - C(theta - eps e_k)) / (2 eps)

for every weight and bias, on a float64 copy of the network (float32 finite
differences are mostly rounding noise). This is the "naive direct computation
of the gradient with respect to each weight individually" the lecture
contrasts with backpropagation: 2P cost evaluations for P parameters, so use
it on small networks and batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import real
from .network import Network

__all__ = ["gradcheck", "GradcheckResult", "numerical_gradient", "relative_error"]


@dataclass
class GradcheckResult:
    """The relative error of backpropagation's gradient per layer l = 1..L.

    Attributes
    ----------
    weight_errors : list of L floats, the relative error of dC/dW^l (see :func:`relative_error`).
    bias_errors : list of L floats, the same for b^l.
    max_error : float, the largest of all.
    """

    weight_errors: list[float]
    bias_errors: list[float]

    @property
    def max_error(self) -> float:
        return max(self.weight_errors + self.bias_errors)

    def passed(self, tolerance: float = 1e-6) -> bool:
        return self.max_error < tolerance

    def __str__(self) -> str:
        rows = [f"layer {l}: W {w:.2e}  b {b:.2e}" for l, (w, b) in enumerate(zip(self.weight_errors, self.bias_errors), 1)]
        return "\n".join(rows + [f"max relative error {self.max_error:.2e}"])


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / (||a|| + ||n||) over one layer's array (0 when both are 0).

    Measured over the whole array rather than entry by entry: entries whose
    true gradient is 0 (inputs that are always 0, say) carry only the
    finite-difference rounding noise (~1e-10), which an entry-wise ratio
    would blow up to O(1).
    """
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator > 0 else 0.0


def numerical_gradient(net: Network, X, T, *, eps: float = 1e-6, sample_weight=None) -> tuple[list, list]:
    """Central-difference estimates of dC/dW^l and dC/db^l, lists from layer 1 to L (float64)."""
    net = net.astype(np.float64)
    X = net.check_X(X)
    T = net.check_T(T, len(X))
    dW, db = [], []
    for group, out in ((net.weights, dW), (net.biases, db)):
        for p in group:
            g = np.empty_like(p)
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                c_plus = net.loss(X, T, sample_weight=sample_weight)
                flat[k] = original - eps
                c_minus = net.loss(X, T, sample_weight=sample_weight)
                flat[k] = original
                gflat[k] = (c_plus - c_minus) / (2 * eps)
            out.append(g)
    return dW, db


def gradcheck(net: Network, X, T, *, eps: float = 1e-6, sample_weight=None, fused: bool = True) -> GradcheckResult:
    """Compare ``net.backward`` with central finite differences, on a float64 copy of ``net``.

    Dropout is not applied (the check is of the deterministic cost C(theta)).

    Parameters
    ----------
    net : Network (any dtype; it is not changed).
    X : array of shape (n, N_0).
    T : encoded targets of shape (n, N_L) (see ``Network.encode_targets``).
    eps : float, the finite-difference step.

    Returns
    -------
    GradcheckResult with the largest relative error per layer.
    """
    eps = real("eps", eps, 0, 1, low_open=True, high_open=True, what="a finite-difference step")
    net64 = net.astype(np.float64)
    X64 = net64.check_X(X)
    T64 = net64.check_T(T, len(X64))
    analytic = net64.backward(net64.forward(X64), T64, sample_weight=sample_weight, fused=fused)
    num_W, num_b = numerical_gradient(net64, X64, T64, eps=eps, sample_weight=sample_weight)
    return GradcheckResult(
        weight_errors=[relative_error(a, n) for a, n in zip(analytic.dW, num_W)],
        bias_errors=[relative_error(a, n) for a, n in zip(analytic.db, num_b)],
    )
