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

The element-wise work of a hidden layer runs in two compiled loops of
:mod:`deltaprop.kernels`: z^l + b^l and sigma in one pass (sigmoid and tanh
take NumPy's vectorised exp and tanh after it), sigma'(z^l) (.) g and the
column sums dC/db^l in another. For the registry's softmax with
cross-entropy, one more compiled loop does the whole output layer: z^L + b^L,
softmax, the cost, the correct count, delta^L = y - t and dC/db^L.

Two rearrangements, both exact in real arithmetic (``tests/test_fastpath.py``
checks them against the reference in float64):

- sigma'(z^l) is computed from a^l = sigma(z^l) alone (sigmoid a (1 - a),
  tanh 1 - a^2, ReLU-like 1[a > 0], which is 1[z > 0]), so z^l needs no
  buffer of its own: it is overwritten by a^l.
- The batch mean 1/n (and the example weights) multiply delta^L once; every
  delta^l is linear in delta^L, so dW^l and db^l come out already averaged,
  without a pass over the parameters to scale them.

Hidden activations other than those ``kernels.HIDDEN_KINDS`` names (deltaprop's
own entries, which cannot be replaced: see ``deltaprop.registry``) fall back to the reference
path (:meth:`Workspace.for_network` returns None), as does everything where
Numba is missing; any output activation and loss work, through the
registry's functions on the (small) output layer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels
from .activations import ACTIVATIONS, LEAKY_SLOPE  # (a constant: the activations module refuses another)
from .losses import LOSSES
from .network import Network, aligned_zeros, buffer_size, views_of

__all__ = ["Workspace", "Step"]

Array = np.ndarray


def _sigmoid_in_place(z: Array) -> Array:
    # 1 / (1 + e^-z), the same operations as activations._sigmoid, without its new array;
    # e^-z overflowing to inf gives 1/inf = 0, the correctly rounded value.
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


class Step(NamedTuple):
    """What one training step gives back (see :meth:`Workspace.step`)."""

    output: Array  #: a^L = y, shape (m, N_L)
    dW: list  #: dC/dW^l for l = 1..L, shaped like ``net.weights``
    db: list  #: dC/db^l for l = 1..L, shaped like ``net.biases``
    cost: float  #: the batch's mean cost (1/m) sum_n w_n c(y_n, t_n), without the L2 term
    correct: int | None  #: correctly classified examples, when asked for


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
        # a[l - 1] holds W^l a^{l-1}, then in place z^l and sigma(z^l) (before the dropout mask);
        # for l = L, y = a^L too, except with an output activation of the general path (a new array).
        self.a = [np.empty((n, sizes[l]), dtype=dt) for l in range(1, L + 1)]
        # Where layer l has dropout: masks[l - 1] (0 or 1/(1 - p)) and the masked a^l.
        self.masks = [np.empty((n, sizes[l]), dtype=dt) if net.dropout[l - 1] > 0 else None for l in range(1, L + 1)]
        self.masked = [np.empty((n, sizes[l]), dtype=dt) if net.dropout[l - 1] > 0 else None for l in range(1, L + 1)]
        self.delta = [np.empty((n, sizes[l]), dtype=dt) for l in range(1, L + 1)]
        # dC/dW^l and dC/db^l are views of one buffer laid out as net.parameter_buffer() (its gaps stay 0)
        shapes = [p.shape for p in net.parameters()]
        self.grad = aligned_zeros(buffer_size(shapes, dt), dt)
        pieces = views_of(self.grad, shapes)
        self.dW, self.db = pieces[0::2], pieces[1::2]
        self._keep = np.empty(n * max(sizes[1:]), dtype=bool)  # which units dropout keeps, one layer at a time
        self._hidden = [act.name for act in net.hidden_activations]
        out, loss = net.output_activation, net.loss_function
        # delta^L = y - t where that is exact (see Network.output_delta; fit gives softmax one-hot rows only).
        self._fused_output = net.takes_fused_output(fused)
        # The registry's softmax + cross-entropy, classifying by argmax: one compiled kernel does the output layer.
        self._softmax_cross_entropy = (
            self._fused_output and out.name == "softmax" and loss is LOSSES["cross_entropy"]
            and sizes[-1] > 1 and not net.multilabel_
        )
        self._logit_cost = net.has_logit_cost()
        self._ones = np.ones(n, dtype=dt)  # the example weights when there are none

    @classmethod
    def for_network(cls, net: Network, batch_size: int, fused: bool = True) -> "Workspace | None":
        """A workspace for ``net``, or None when it needs the reference path (an activation of
        its own, a dtype other than float32/float64, or no Numba)."""
        if not kernels.AVAILABLE or net.dtype not in (np.float32, np.float64):
            return None
        for act in net.hidden_activations:
            if act.name not in kernels.HIDDEN_KINDS or act is not ACTIVATIONS[act.name]:
                return None
        return cls(net, batch_size, fused)

    def _rows(self, flat: Array, m: int, width: int) -> Array:
        return flat[: m * width].reshape(m, width)

    # ------------------------------------------------------------------ forward

    def _forward(self, X: Array, training: bool, rng: np.random.Generator) -> tuple[list[Array], Array]:
        """Fill the buffers for batch X (m, N_0).

        Returns [a^0, a^1, ..., a^{L-1}] as views, and W^L a^{L-1} (m, N_L): the
        output layer's bias and activation come with its delta in :meth:`_output_layer`.
        """
        net, m = self.net, X.shape[0]
        L = net.n_layers
        acts = [X]
        self._dropped = [False] * L  # which layers applied their mask in this step
        for l in range(1, L):
            z = self.a[l - 1][:m]
            np.matmul(acts[l - 1], net.weights[l - 1].T, out=z)  # W^l a^{l-1}   (a row per example)
            a = self._activate(self._hidden[l - 1], z, net.biases[l - 1])  # z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l)
            p = net.dropout[l - 1]
            if training and p > 0:
                # inverted dropout: keep with probability 1 - p, scale kept units by 1/(1 - p);
                # the same draws from rng as Network._forward.
                mask = self.masks[l - 1][:m]
                rng.random(dtype=net.dtype, out=mask)
                keep = self._rows(self._keep, m, mask.shape[1])
                np.greater_equal(mask, p, out=keep)
                np.multiply(keep, net.dtype.type(1 / (1 - p)), out=mask)
                a = np.multiply(a, mask, out=self.masked[l - 1][:m])
                self._dropped[l - 1] = True
            acts.append(a)
        return acts, np.matmul(acts[L - 1], net.weights[L - 1].T, out=self.a[L - 1][:m])  # W^L a^{L-1}

    def _activate(self, name: str, z: Array, b: Array) -> Array:
        """z <- sigma(z + b) in place (z holds W^l a^{l-1} on entry)."""
        kernels.bias_activation(z, b, kernels.HIDDEN_KINDS[name], LEAKY_SLOPE)  # identity, relu, leaky_relu
        if name == "sigmoid":
            _sigmoid_in_place(z)  # 1 / (1 + e^-z)
        elif name == "tanh":
            np.tanh(z, out=z)
        return z

    # ------------------------------------------------------------------ output layer

    def _output_layer(self, z: Array, T: Array, w: Array | None, count_correct: bool) -> tuple[Array, float, int | None]:
        """From z = W^L a^{L-1}: y = a^L, delta^L (times w_n / m) and dC/db^L into the buffers.

        Returns y (m, N_L), the batch's mean cost (1/m) sum_n w_n c(y_n, t_n) and, if
        ``count_correct``, how many examples it classifies correctly.
        """
        net, m, L = self.net, T.shape[0], self.net.n_layers
        d, db, b = self.delta[L - 1][:m], self.db[L - 1], net.biases[L - 1]
        if self._softmax_cross_entropy:  # all of the below, for this pair, in one compiled pass
            cost, correct = kernels.softmax_cross_entropy(z, b, T, self._ones[:m] if w is None else w, d, db)
            return z, cost, (correct if count_correct else None)
        z += b  # z^L = W^L a^{L-1} + b^L
        # the cost from z^L where the loss has that form (see Network.cost_of), before z becomes y in place
        cost = net.cost_of(None, T, w, z=z) if self._logit_cost else None
        out = net.output_activation
        if self._fused_output:
            if out.name == "softmax":
                # y_i = e^{z_i - max z} / sum_j e^{z_j - max z}, in place
                np.subtract(z, z.max(axis=1, keepdims=True), out=z)
                np.exp(z, out=z)
                y = np.divide(z, z.sum(axis=1, keepdims=True), out=z)
            elif out.name == "sigmoid":
                y = _sigmoid_in_place(z)
            else:
                y = out.forward(z)  # (exp: a new array; z^L is still needed by nothing after the cost)
            np.subtract(y, T, out=d)  # delta^L = y - t   (sigma'(z^L) (.) nabla C(y), simplified)
        else:
            y = out.forward(z)
            grad_y = net.loss_function.grad(y, T)  # nabla C(y)
            d[...] = out.vjp(z, y, grad_y)  # delta^L = sigma'(z^L) (.) nabla C(y)
        # 1/n of the batch mean (times the example weights) once, here; see the module docstring.
        if w is None:
            d *= net.dtype.type(1 / m)
        else:
            d *= (w * net.dtype.type(1 / m))[:, None]
        np.sum(d, axis=0, out=db)  # dC/db_i^L = delta_i^L
        if cost is None:
            cost = net.cost_of(y, T, w)
        return y, cost, (net.count_correct(y, T) if count_correct else None)

    # ------------------------------------------------------------------ backward

    def _backward(self, acts: list[Array], m: int) -> None:
        """delta^l for l = L-1 .. 1 from delta^L, then every dC/dW^l (and dC/db^l of the hidden layers)."""
        net, L = self.net, self.net.n_layers
        for l in range(L - 1, 0, -1):
            back = np.matmul(self.delta[l][:m], net.weights[l], out=self.delta[l - 1][:m])  # (W^{l+1})^T delta^{l+1}
            if self._dropped[l - 1]:
                back *= self.masks[l - 1][:m]  # dropped units pass no gradient
            # delta^l = sigma'(z^l) (.) back, and dC/db_i^l = delta_i^l summed over the batch, in one pass
            kind = kernels.HIDDEN_KINDS[self._hidden[l - 1]]
            kernels.times_derivative(back, self.a[l - 1][:m], kind, LEAKY_SLOPE, self.db[l - 1])
        for l in range(1, L + 1):
            dl = self.delta[l - 1][:m]
            # dC/dw_ij^l = delta_i^l a_j^{l-1}, summed over the (already 1/n-scaled) rows: (delta^l)^T A^{l-1}
            np.matmul(dl.T, acts[l - 1], out=self.dW[l - 1])
            if net.l2:
                kernels.add_scaled(self.dW[l - 1], net.weights[l - 1], net.l2)  # + d/dW of lambda/2 ||W||^2

    # ------------------------------------------------------------------ step

    def step(self, X: Array, T: Array, w: Array | None, rng: np.random.Generator, training: bool = True,
             count_correct: bool = False) -> Step:
        """Forward and backward for one batch.

        Parameters
        ----------
        X : (m, N_0) inputs, T : (m, N_L) encoded targets, both ``net.dtype``, m <= batch_size.
        w : (m,) example weights normalised as in ``Network._backward``, or None.
        count_correct : whether to count the correctly classified examples.

        Returns
        -------
        :class:`Step`. Its arrays are (except a general output activation's y) views of this
        workspace's buffers, overwritten by the next step.
        """
        acts, zL = self._forward(X, training, rng)
        y, cost, correct = self._output_layer(zL, T, w, count_correct)
        self._backward(acts, len(X))
        return Step(y, self.dW, self.db, cost, correct)
