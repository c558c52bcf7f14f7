"""Fused element-wise kernels for the training step and the optimiser updates, compiled by Numba.

Why: the straightforward NumPy Adam step makes about ten passes over every
parameter, each allocating or streaming a full-size array; on a 784-1024-1024-10
network that costs more than the step's matrix products. One loop that reads
theta, g, m, v once and writes them once is about four times faster. Likewise
for a hidden layer: z^l + b^l and sigma take one pass instead of two (NumPy's
broadcast add and ``maximum`` are each slower than the fused loop), and
sigma'(z^l) (.) g with dC/db^l = sum over the batch takes one pass instead of
three (a comparison, a multiply by a boolean array, a column sum).

The kernels are serial (``parallel=False``): a second thread pool next to
OpenBLAS's makes the two fight over the same cores. Measured on the 2-core
machine, Adam's share of an epoch: 784-512-256-10, 0.24 s serial against 3.3 s
with Numba's OpenMP threads; 784-1024-1024-10, 0.73 s against 1.02 s with its
workqueue threads; splitting each array between two Python threads, 0.26 s
against 0.40 s.
The optimiser kernels do the same float operations in the same order as the
NumPy reference in :mod:`deltaprop.optimisers`, without fast-math, so both give
the same bits; they take flat arrays (callers pass ``ravel()`` views). The
training step's kernels take 2-D arrays (one row per example) and agree with
the literal ``Network`` path to rounding: the hidden layers' element-wise
results bit for bit, their column sums in another order, and the output
layer's softmax (Numba's exp) and cost (log-sum-exp form) to an ulp or so
(``tests/test_fastpath.py``). Every array must be C-contiguous.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

__all__ = ["AVAILABLE", "adam_step", "momentum_step", "rmsprop_step", "add_scaled", "sum_of_squares", "fusable", "HIDDEN_KINDS", "bias_activation",
           "times_derivative", "softmax_cross_entropy"]

#: Whether Numba is installed (else callers use their NumPy code). It is a dependency; the
#: check only keeps deltaprop working where it cannot be installed. Numba itself is imported
#: on the first update, so that ``import deltaprop`` stays quick (it takes about 0.25 s).
AVAILABLE = importlib.util.find_spec("numba") is not None


def fusable(*arrays: np.ndarray) -> bool:
    """True when the kernels can run on these arrays: compiled, C-contiguous, one float dtype."""
    dtype = arrays[0].dtype
    return AVAILABLE and dtype in (np.float32, np.float64) and all(
        a.flags.c_contiguous and a.dtype == dtype for a in arrays
    )


class _jit:
    """Compile ``function`` with Numba on its first call (then cached on disk by Numba).

    ``reassociate=True`` lets LLVM reorder the additions of a sum (fast-math's "reassoc"), so that
    a reduction vectorises: only for a sum whose order does not matter to the caller.
    """

    def __init__(self, function, reassociate: bool = False) -> None:
        self.function, self.compiled, self.reassociate = function, None, reassociate

    def __call__(self, *args):
        if self.compiled is None:
            from numba import njit

            # error_model="numpy": x / 0 gives inf as in NumPy instead of a Python exception;
            # that check would otherwise stop LLVM from vectorising the loop.
            options = {"fastmath": {"reassoc"}} if self.reassociate else {}
            self.compiled = njit(cache=True, nogil=True, error_model="numpy", **options)(self.function)
        return self.compiled(*args)


@_jit
def _adam(theta, g, m, v, b1, one_minus_b1, b2, one_minus_b2, eps, eta_t):  # pragma: no cover - compiled
    for i in range(theta.size):
        m[i] = m[i] * b1 + g[i] * one_minus_b1  # m <- b1 m + (1 - b1) g
        v[i] = v[i] * b2 + (g[i] * g[i]) * one_minus_b2  # v <- b2 v + (1 - b2) g^2
        theta[i] -= (m[i] / (math.sqrt(v[i]) + eps)) * eta_t  # theta <- theta - eta_t m / (sqrt(v) + eps)


@_jit
def _momentum(theta, g, v, mu, eta, nesterov):  # pragma: no cover - compiled
    for i in range(theta.size):
        v[i] = v[i] * mu - eta * g[i]  # v <- mu v - eta g
        if nesterov:
            theta[i] += mu * v[i] - eta * g[i]  # theta <- theta + mu v - eta g
        else:
            theta[i] += v[i]  # theta <- theta + v


@_jit
def _rmsprop(theta, g, v, rho, one_minus_rho, eps, eta):  # pragma: no cover - compiled
    for i in range(theta.size):
        v[i] = v[i] * rho + (g[i] * g[i]) * one_minus_rho  # v <- rho v + (1 - rho) g^2
        theta[i] -= (g[i] / (math.sqrt(v[i]) + eps)) * eta  # theta <- theta - eta g / (sqrt(v) + eps)


def rmsprop_step(theta, g, v, rho: float, epsilon: float, eta: float) -> None:
    """One fused RMSprop update of ``theta`` and ``v`` in place (all flat, same float dtype)."""
    t = theta.dtype.type
    _rmsprop(theta, g, v, t(rho), t(1 - rho), t(epsilon), t(eta))


def adam_step(theta, g, m, v, beta_1: float, beta_2: float, epsilon: float, eta_t: float) -> None:
    """One fused Adam update of ``theta``, ``m`` and ``v`` in place (all flat, same float dtype)."""
    t = theta.dtype.type
    _adam(theta, g, m, v, t(beta_1), t(1 - beta_1), t(beta_2), t(1 - beta_2), t(epsilon), t(eta_t))


def momentum_step(theta, g, v, mu: float, eta: float, nesterov: bool) -> None:
    """One fused (Nesterov) momentum update of ``theta`` and ``v`` in place (all flat, same float dtype)."""
    t = theta.dtype.type
    _momentum(theta, g, v, t(mu), t(eta), bool(nesterov))


@_jit
def _add_scaled(y, x, alpha):  # pragma: no cover - compiled
    for i in range(y.size):
        y[i] += alpha * x[i]


def add_scaled(y, x, alpha: float) -> None:
    """y <- y + alpha x in place, in one pass without a temporary (NumPy when not fusable)."""
    if fusable(y, x):
        _add_scaled(y.ravel(), x.ravel(), y.dtype.type(alpha))
    else:
        y += y.dtype.type(alpha) * x


def _sum_of_squares(x):  # pragma: no cover - compiled
    # in float64, whose sum of a million float32 squares is exact to about 1e-16 of it in any order:
    # reassociated, so that the loop vectorises (0.2 ms for 1.9 million entries, against 1.5 ms in order)
    total = 0.0
    for i in range(x.size):
        xi = np.float64(x[i])
        total += xi * xi
    return total


_sum_of_squares = _jit(_sum_of_squares, reassociate=True)


def sum_of_squares(x) -> float:
    """sum_i x_i^2 over every entry of ``x``, accumulated in float64 in one pass (NumPy when not fusable)."""
    if fusable(x):
        return float(_sum_of_squares(x.ravel()))
    x64 = np.asarray(x).ravel().astype(np.float64)
    return float(np.dot(x64, x64))


# ---------------------------------------------------------------------- hidden layers of the training step
#
# The hidden activations these kernels know, as the integer ``kind`` they branch on (the branch is
# the same for every element, so the compiler moves it out of the loop). sigma'(z) is written in
# terms of a = sigma(z), which is what the training step keeps (see deltaprop.fastpath).
# Constants come in typed as the arrays (``one``, ``slope``): a Python literal such as 1 would
# promote a float32 expression to float64 and change its bits.
HIDDEN_KINDS = {"identity": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4}
_RELU, _LEAKY, _SIGMOID, _TANH = (HIDDEN_KINDS[k] for k in ("relu", "leaky_relu", "sigmoid", "tanh"))


@_jit
def _bias_activation(z, b, kind, slope):  # pragma: no cover - compiled
    zero = slope - slope
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            x = z[i, j] + b[j]  # z^l = W^l a^{l-1} + b^l   (W^l a^{l-1} is already in z)
            if kind == _RELU and x < 0:
                x = zero  # a^l = max(0, z^l); NaN stays NaN, as in np.maximum
            elif kind == _LEAKY and x < 0:
                x = x * slope  # a^l = z^l if z^l > 0 else slope z^l
            z[i, j] = x


@_jit
def _times_derivative(g, a, kind, one, slope, db):  # pragma: no cover - compiled
    zero = one - one
    column_sums = np.zeros(g.shape[1], dtype=g.dtype)  # its own array: the compiler then knows it aliases nothing
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            s = a[i, j]  # sigma(z^l); sigma'(z^l) written in terms of it:
            if kind == _RELU:
                d = one if s > 0 else zero  # 1[z > 0] = 1[a > 0]
            elif kind == _LEAKY:
                d = one if s > 0 else slope  # 1 or slope
            elif kind == _SIGMOID:
                d = (one - s) * s  # sigma(z) (1 - sigma(z))
            elif kind == _TANH:
                d = one - s * s  # 1 - tanh^2 z
            else:
                d = one  # identity
            x = g[i, j] * d  # delta^l = sigma'(z^l) (.) g
            g[i, j] = x
            column_sums[j] += x  # dC/db^l = sum over the batch of delta^l
    db[:] = column_sums


def bias_activation(z, b, kind: int, slope: float) -> None:
    """z <- sigma(z + b) in place, for ``kind`` identity, relu or leaky_relu (else only z + b).

    z : (m, N_l) C-contiguous, b : (N_l,), same float dtype.
    """
    _bias_activation(z, b, kind, z.dtype.type(slope))


def times_derivative(g, a, kind: int, slope: float, db) -> None:
    """g <- sigma'(z) (.) g in place, with sigma'(z) from a = sigma(z); db <- the column sums of the new g.

    g, a : (m, N_l) C-contiguous, db : (N_l,), same float dtype.
    """
    t = g.dtype.type
    _times_derivative(g, a, kind, t(1), t(slope), db)


# ---------------------------------------------------------------------- the output layer of the training step


@_jit
def _softmax_cross_entropy(z, b, T, weights, inv_m, d, db):  # pragma: no cover - compiled
    zero = inv_m - inv_m
    n_out = z.shape[1]
    column_sums = np.zeros(n_out, dtype=z.dtype)
    total = 0.0  # float64, as Network.cost_of accumulates
    correct = 0
    for i in range(z.shape[0]):
        row = z[i]  # W^L a^{L-1} of example i; then z^L, then z^L - max z^L, and last y = a^L
        top = row[0] + b[0]
        for k in range(n_out):
            row[k] += b[k]  # z^L = W^L a^{L-1} + b^L
            if row[k] > top:
                top = row[k]  # max z (a NaN never wins, but it makes the cost NaN below)
        norm = zero
        for k in range(n_out):
            row[k] -= top  # z_k - max z
            d[i, k] = math.exp(row[k])  # (d holds e^{z_k - max z} for a moment)
            norm += d[i, k]
        log_norm = math.log(norm)
        c = zero
        top_y = top_t = 0  # argmax y, argmax t: the first largest, as np.argmax
        for k in range(n_out):
            # c = -sum_k t_k log y_k with log y_k = (z_k - max z) - log sum_j e^{z_j - max z}, one log a row
            # (the loss's logit_cost: exact where y_k rounds to 0; a diverged row's NaN comes through)
            c += T[i, k] * (log_norm - row[k])
            row[k] = d[i, k] / norm  # y_k = e^{z_k - max z} / sum_j e^{z_j - max z}   (softmax)
            if row[k] > row[top_y]:
                top_y = k
            if T[i, k] > T[i, top_t]:
                top_t = k
        total += c * weights[i]
        correct += top_y == top_t
        scale = weights[i] * inv_m
        for k in range(n_out):
            x = (row[k] - T[i, k]) * scale  # delta^L = y - t, times w_n / m (see deltaprop.fastpath)
            d[i, k] = x
            column_sums[k] += x  # dC/db^L = sum over the batch of delta^L
    db[:] = column_sums
    return total / z.shape[0], correct


def softmax_cross_entropy(z, b, T, weights, d, db) -> tuple[float, int]:
    """The output layer of a softmax + cross-entropy network, forward and backward, in one pass.

    z : (m, N_L) holding W^L a^{L-1} on entry, sigma(z^L) = y on return; b : (N_L,);
    T : (m, N_L) encoded targets; weights : (m,) example weights (ones for none);
    d : (m, N_L) <- delta^L = (y - t) w_n / m;  db : (N_L,) <- its column sums. All one float dtype.

    Returns the mean weighted cost (1/m) sum_n w_n c(y_n, t_n) (a Python float, accumulated in
    float64) and how many rows have argmax y = argmax t.
    """
    t = z.dtype.type
    cost, correct = _softmax_cross_entropy(z, b, T, weights, t(1 / len(z)), d, db)
    return float(cost), int(correct)
