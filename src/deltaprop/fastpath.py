"""The training step with preallocated buffers: the same equations as ``Network``, no allocations.

``Network._forward`` / ``Network._backward`` are the readable reference: every
line allocates its result. Training calls them hundreds of times per epoch on
batches of the same shape, so :class:`Workspace` allocates every per-layer
array once (z^l / a^l, the dropout mask, delta^l, dW^l, db^l) and each step
writes into them with ``out=`` arguments and in-place operations. The
lecture's equations stay beside the lines that compute them:

    z^l = W^l a^{l-1} + b^l,   a^l = sigma(z^l)
    delta^L = sigma'(z^L) (.) nabla C(y)              (= y - t for the fused pairs)
    delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    dC/dW^l = delta^l (a^{l-1})^T,   dC/db^l = delta^l (averaged over the batch)

Two rearrangements, both exact in real arithmetic (``tests/test_fastpath.py``
checks them against the reference in float64):

- sigma'(z^l) is computed from a^l = sigma(z^l) alone (sigmoid a (1 - a),
  tanh 1 - a^2, ReLU-like 1[a > 0], which is 1[z > 0]), so z^l needs no
  buffer of its own: it is overwritten by a^l.
- The batch mean 1/n (and the example weights) multiply delta^L once; every
  delta^l is linear in delta^L, so dW^l and db^l come out already averaged,
  without a pass over the parameters to scale them.

Hidden activations other than the built-in ones fall back to the reference
path (:meth:`Workspace.for_network` returns None); any output activation and
loss work, through the registry's functions on the (small) output layer.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .activations import ACTIVATIONS, LEAKY_SLOPE
from .network import Network

__all__ = ["Workspace"]

Array = np.ndarray

#: Hidden activations with an in-place forward and derivative below.
IN_PLACE_HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")


def _sigmoid_in_place(z: Array) -> Array:
    # 1 / (1 + e^-z), the same operations as activations._sigmoid, without its new array;
    # e^-z overflowing to inf gives 1/inf = 0, the correctly rounded value.
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


class Workspace:
    """Buffers for training ``net`` on batches of at most ``batch_size`` examples.

    Build it with :meth:`for_network`; call :meth:`step` once per mini-batch.
    Arrays are in ``net.dtype`` and C-contiguous; a shorter last batch uses the
    first rows of each buffer.
    """

    def __init__(self, net: Network, batch_size: int, fused: bool = True) -> None:
        self.net, self.batch_size, self.fused = net, int(batch_size), fused
        dt, sizes, L = net.dtype, net.sizes, net.n_layers
        n = self.batch_size
        # a[l - 1] holds z^l and then, in place, sigma(z^l) (before the dropout mask).
        self.a = [np.empty((n, sizes[l]), dtype=dt) for l in range(1, L + 1)]
        # Where layer l has dropout: masks[l - 1] (0 or 1/(1 - p)) and the masked a^l.
        self.masks = [np.empty((n, sizes[l]), dtype=dt) if net.dropout[l - 1] > 0 else None for l in range(1, L + 1)]
        self.masked = [np.empty((n, sizes[l]), dtype=dt) if net.dropout[l - 1] > 0 else None for l in range(1, L + 1)]
        self.delta = [np.empty((n, sizes[l]), dtype=dt) for l in range(1, L + 1)]
        self.dW = [np.empty_like(W) for W in net.weights]
        self.db = [np.empty_like(b) for b in net.biases]
        widest = max(sizes[1:])
        self._scratch = np.empty(n * widest, dtype=dt)  # sigma'(z^l) of one layer
        self._bool = np.empty(n * widest, dtype=bool)  # 1[a^l > 0] and dropout keeps
        self._hidden = [act.name for act in net.hidden_activations]
        out, loss = net.output_activation, net.loss_function
        # delta^L = y - t where that is exact (see Network.output_delta).
        self._fused_output = fused and loss.fused_output == out.name and out is ACTIVATIONS[out.name]

    @classmethod
    def for_network(cls, net: Network, batch_size: int, fused: bool = True) -> "Workspace | None":
        """A workspace for ``net``, or None when its hidden activations need the reference path."""
        for act in net.hidden_activations:
            if act.name not in IN_PLACE_HIDDEN or act is not ACTIVATIONS[act.name]:
                return None
        return cls(net, batch_size, fused)

    def _rows(self, flat: Array, m: int, width: int) -> Array:
        return flat[: m * width].reshape(m, width)

    # ------------------------------------------------------------------ forward

    def _forward(self, X: Array, training: bool, rng: np.random.Generator) -> list[Array]:
        """Fill the buffers for batch X (m, N_0); return [a^0, a^1, ..., a^L] as views."""
        net, m = self.net, X.shape[0]
        L = net.n_layers
        acts = [X]
        self._dropped = [False] * L  # which layers applied their mask in this step
        for l in range(1, L + 1):
            W, b = net.weights[l - 1], net.biases[l - 1]
            z = self.a[l - 1][:m]
            np.matmul(acts[l - 1], W.T, out=z)
            z += b  # z^l = W^l a^{l-1} + b^l   (a row per example)
            if l == L:
                acts.append(self._output(z))
                break
            a = self._activate_in_place(self._hidden[l - 1], z, m)  # a^l = sigma(z^l)
            p = net.dropout[l - 1]
            if training and p > 0:
                # inverted dropout: keep with probability 1 - p, scale kept units by 1/(1 - p);
                # the same draws from rng as Network._forward.
                mask = self.masks[l - 1][:m]
                rng.random(dtype=net.dtype, out=mask)
                keep = self._rows(self._bool, m, mask.shape[1])
                np.greater_equal(mask, p, out=keep)
                np.multiply(keep, net.dtype.type(1 / (1 - p)), out=mask)
                a = np.multiply(a, mask, out=self.masked[l - 1][:m])
                self._dropped[l - 1] = True
            acts.append(a)
        return acts

    def _activate_in_place(self, name: str, z: Array, m: int) -> Array:
        if name == "sigmoid":
            _sigmoid_in_place(z)  # 1 / (1 + e^-z)
        elif name == "tanh":
            np.tanh(z, out=z)
        elif name == "relu":
            np.maximum(z, 0, out=z)  # max(0, z)
        elif name == "leaky_relu":
            slope_z = self._rows(self._scratch, m, z.shape[1])
            np.multiply(z, z.dtype.type(LEAKY_SLOPE), out=slope_z)
            np.maximum(z, slope_z, out=z)  # z if z > 0 else 0.01 z   (slope < 1)
        return z  # identity: a = z

    def _output(self, z: Array) -> Array:
        out = self.net.output_activation
        if self._fused_output and out.name == "softmax":
            # sigma(z)_i = e^{z_i - max z} / sum_j e^{z_j - max z}, in place
            np.subtract(z, z.max(axis=1, keepdims=True), out=z)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            return z
        if self._fused_output and out.name == "sigmoid":
            return _sigmoid_in_place(z)
        self._zL = z.copy()  # sigma'(z^L) of a general output activation needs z^L itself
        y = out.forward(z)
        z[...] = y
        return z

    # ------------------------------------------------------------------ backward

    def _backward(self, acts: list[Array], T: Array, w: Array | None) -> None:
        net, m = self.net, T.shape[0]
        L = net.n_layers
        y = acts[L]
        d = self.delta[L - 1][:m]
        if self._fused_output:
            np.subtract(y, T, out=d)  # delta^L = y - t   (sigma'(z^L) (.) nabla C(y), simplified)
        else:
            grad_y = net.loss_function.grad(y, T)  # nabla C(y)
            d[...] = net.output_activation.vjp(self._zL, y, grad_y)  # delta^L = sigma'(z^L) (.) nabla C(y)
        # 1/n of the batch mean (times the example weights) once, here; see the module docstring.
        if w is None:
            d *= net.dtype.type(1 / m)
        else:
            d *= (w * net.dtype.type(1 / m))[:, None]
        for l in range(L - 1, 0, -1):
            back = np.matmul(self.delta[l][:m], net.weights[l], out=self.delta[l - 1][:m])  # (W^{l+1})^T delta^{l+1}
            if self._dropped[l - 1]:
                back *= self.masks[l - 1][:m]  # dropped units pass no gradient
            self._times_derivative(self._hidden[l - 1], self.a[l - 1][:m], back)  # delta^l = sigma'(z^l) (.) back
        for l in range(1, L + 1):
            dl = self.delta[l - 1][:m]
            # dC/dw_ij^l = delta_i^l a_j^{l-1}, summed over the (already 1/n-scaled) rows: (delta^l)^T A^{l-1}
            np.matmul(dl.T, acts[l - 1], out=self.dW[l - 1])
            if net.l2:
                kernels.add_scaled(self.dW[l - 1], net.weights[l - 1], net.l2)  # + d/dW of lambda/2 ||W||^2
            np.sum(dl, axis=0, out=self.db[l - 1])  # dC/db_i^l = delta_i^l

    def _times_derivative(self, name: str, a: Array, g: Array) -> None:
        """g <- sigma'(z) (.) g in place, with sigma'(z) written in terms of a = sigma(z)."""
        m, width = a.shape
        if name == "identity":
            return  # sigma'(z) = 1
        if name in ("relu", "leaky_relu"):
            positive = self._rows(self._bool, m, width)
            np.greater(a, 0, out=positive)  # 1[z > 0] = 1[a > 0]
            if name == "relu":
                np.multiply(g, positive, out=g)  # sigma'(z) = 1[z > 0]
                return
            slope = self._rows(self._scratch, m, width)
            slope.fill(LEAKY_SLOPE)
            np.copyto(slope, 1, where=positive)  # sigma'(z) = 1 or 0.01
            g *= slope
            return
        s = self._rows(self._scratch, m, width)
        if name == "sigmoid":
            np.subtract(1, a, out=s)
            s *= a  # sigma'(z) = sigma(z) (1 - sigma(z))
        else:  # tanh
            np.multiply(a, a, out=s)
            np.subtract(1, s, out=s)  # sigma'(z) = 1 - tanh^2 z
        g *= s

    # ------------------------------------------------------------------ step

    def step(self, X: Array, T: Array, w: Array | None, rng: np.random.Generator, training: bool = True):
        """Forward and backward for one batch.

        Parameters
        ----------
        X : (m, N_0) inputs, T : (m, N_L) encoded targets, both ``net.dtype``, m <= batch_size.
        w : (m,) example weights normalised as in ``Network._backward``, or None.

        Returns
        -------
        (y, dW, db): the outputs a^L (m, N_L) and the gradients of C, lists of L
        arrays shaped like ``net.weights`` / ``net.biases``. All are views of
        this workspace's buffers, overwritten by the next step.
        """
        acts = self._forward(X, training, rng)
        self._backward(acts, T, w)
        return acts[-1], self.dW, self.db
