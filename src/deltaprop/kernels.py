"""Fused element-wise kernels for the optimiser updates, compiled by Numba.

Why: the straightforward NumPy Adam step makes about ten passes over every
parameter, each allocating or streaming a full-size array; on a 784-1024-1024-10
network that costs more than the step's matrix products. One loop that reads
theta, g, m, v once and writes them once is about four times faster.

The kernels are serial (``parallel=False``): a second thread pool next to
OpenBLAS's makes the two fight over the same cores, which measured slower.
They do the same float operations in the same order as the NumPy reference
in :mod:`deltaprop.optimisers`, without fast-math, so both give the same bits.
Every array must be C-contiguous; callers pass ``ravel()`` views.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

__all__ = ["AVAILABLE", "adam_step", "momentum_step", "add_scaled", "fusable"]

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
    """Compile ``function`` with Numba on its first call (then cached on disk by Numba)."""

    def __init__(self, function) -> None:
        self.function, self.compiled = function, None

    def __call__(self, *args):
        if self.compiled is None:
            from numba import njit

            # error_model="numpy": x / 0 gives inf as in NumPy instead of a Python exception;
            # that check would otherwise stop LLVM from vectorising the loop.
            self.compiled = njit(cache=True, nogil=True, error_model="numpy")(self.function)
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
