"""An example-at-a-time implementation of the lecture's equations: the test oracle.

Written as plainly as the lecture, with column vectors and explicit loops over
examples, independent of deltaprop's batched code (it uses only the network's
parameters, its activation/loss *names*, and formulas written out here).
An activation or loss added to deltaprop's registries needs its formula here
too, written again from its definition: the tests that read the registries
raise KeyError (:func:`unknown`) until it is.
"""

import numpy as np


def unknown(kind, name):
    """The KeyError for an activation or loss this oracle has no formula for."""
    return KeyError(f"tests/reference.py has no formula for the {kind} {name!r}: write it out here, independently of "
                    f"deltaprop's code (this is the test oracle)")


def sigma(name, z):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "identity":
        return z.copy()
    if name == "exp":
        return np.exp(z)
    if name == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    raise unknown("activation", name)


def jacobian(name, z):
    """d a / d z as a full matrix (diagonal for element-wise activations)."""
    a = sigma(name, z)
    if name == "softmax":
        return np.diag(a) - np.outer(a, a)
    if name == "sigmoid":
        d = a * (1 - a)
    elif name == "tanh":
        d = 1 - a**2
    elif name == "relu":
        d = (z > 0).astype(float)
    elif name == "leaky_relu":
        d = np.where(z > 0, 1.0, 0.01)
    elif name == "exp":
        d = np.exp(z)
    elif name == "identity":
        d = np.ones_like(z)
    else:
        raise unknown("activation", name)
    return np.diag(d)


def grad_cost(loss, y, t):
    """nabla C(y) for one example."""
    if loss == "quadratic":
        return y - t
    if loss == "cross_entropy":
        return -t / y
    if loss == "binary_cross_entropy":
        return (y - t) / (y * (1 - y))
    if loss == "poisson":
        return 1 - t / y
    raise unknown("loss", loss)


def cost(loss, y, t):
    if loss == "quadratic":
        return 0.5 * np.sum((y - t) ** 2)
    if loss == "cross_entropy":
        return -np.sum(t * np.log(y))
    if loss == "poisson":  # half the Poisson deviance, t log(t / y) - t + y (0 log 0 = 0)
        return np.sum(np.where(t > 0, t * np.log(np.where(t > 0, t, 1) / y), 0.0) - t + y)
    if loss == "binary_cross_entropy":
        return -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y))
    raise unknown("loss", loss)


def backprop_one_example(weights, biases, names, loss, x, t, masks=None):
    """delta^l, dC/dW^l, dC/db^l for one example (lists indexed 1..L; index 0 unused)."""
    L = len(weights)
    W = [None] + list(weights)  # W[l] is W^l
    b = [None] + list(biases)
    a = {0: x}
    z = {}
    for l in range(1, L + 1):
        z[l] = W[l] @ a[l - 1] + b[l]  # z^l = W^l a^{l-1} + b^l
        a[l] = sigma(names[l - 1], z[l])  # a^l = sigma(z^l)
        if masks is not None and masks[l - 1] is not None:
            a[l] = a[l] * masks[l - 1]
    delta = {}
    # delta^L = sigma'(z^L) (.) nabla C(y): for softmax sigma' is the Jacobian matrix
    delta[L] = jacobian(names[L - 1], z[L]).T @ grad_cost(loss, a[L], t)
    for l in range(L - 1, 0, -1):
        back = W[l + 1].T @ delta[l + 1]  # (W^{l+1})^T delta^{l+1}
        if masks is not None and masks[l - 1] is not None:
            back = back * masks[l - 1]
        delta[l] = np.diag(jacobian(names[l - 1], z[l])) * back  # sigma'(z^l) (.) ...
    dW = {l: np.zeros_like(W[l]) for l in range(1, L + 1)}
    for l in range(1, L + 1):
        for i in range(W[l].shape[0]):
            for j in range(W[l].shape[1]):
                dW[l][i, j] = delta[l][i] * a[l - 1][j]  # dC/dw_ij^l = delta_i^l a_j^{l-1}
    db = {l: delta[l].copy() for l in range(1, L + 1)}  # dC/db_i^l = delta_i^l
    return delta, dW, db, cost(loss, a[L], t)


def backprop_batch(net, X, T, masks=None, sample_weight=None):
    """Average the one-example gradients over a batch, as C = mean of the costs."""
    names = [act.name for act in net.activations]
    L = net.n_layers
    n = len(X)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float) * n / np.sum(sample_weight)
    deltas = [np.zeros((n, net.sizes[l])) for l in range(1, L + 1)]
    dW = [np.zeros(Wl.shape) for Wl in net.weights]
    db = [np.zeros(bl.shape) for bl in net.biases]
    for k in range(n):
        row_masks = None if masks is None else [None if m is None else m[k] for m in masks]
        d, gW, gb, _ = backprop_one_example(net.weights, net.biases, names, net.loss_function.name, X[k], T[k], row_masks)
        for l in range(1, L + 1):
            deltas[l - 1][k] = w[k] * d[l]
            dW[l - 1] += w[k] * gW[l] / n
            db[l - 1] += w[k] * gb[l] / n
    for l in range(L):
        dW[l] += net.l2 * net.weights[l]
    return deltas, dW, db
