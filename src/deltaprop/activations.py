"""Activation functions sigma and their derivatives sigma', one registry.

The protocol
------------
Every activation is one :class:`Activation` entry in ``ACTIVATIONS`` and provides

``forward(z) -> a``
    a = sigma(z), for z of shape (n_examples, N_l); the result has z's shape
    and dtype.
``derivative(z, a) -> sigma'(z)``
    the element-wise derivative, given both z and a = sigma(z) so that each
    function may use whichever is cheaper (sigmoid: a (1 - a)). Only for
    element-wise activations; ``None`` for softmax.
``vjp(z, a, g) -> sigma'(z) (.) g``
    the product of the Jacobian of sigma at z with a vector g (one row per
    example). For element-wise activations this is the lecture's
    ``sigma'(z) (.) g``; softmax, whose output i depends on every z_j,
    overrides it with its Jacobian-vector product a (.) (g - <a, g>).

Adding an activation is one entry in ``ACTIVATIONS``: its function and its
derivative side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS"]

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation function with its derivative.

    Attributes
    ----------
    name : str
    forward : callable, z -> a = sigma(z)
    derivative : callable (z, a) -> sigma'(z), or None for non-element-wise
        activations (softmax).
    jvp : callable (z, a, g) -> J_sigma(z) g, or None to use
        ``derivative(z, a) * g``.
    init : str
        Name of the default initialiser for a layer with this activation
        (Glorot for sigmoid-like, He for ReLU-like).
    elementwise : bool
        Whether a_i depends on z_i only.
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array] | None
    jvp_override: Callable[[Array, Array, Array], Array] | None = None
    init: str = "glorot_uniform"

    @property
    def elementwise(self) -> bool:
        return self.jvp_override is None

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        """Return sigma'(z) (.) g (the Jacobian of sigma at z times g), rows per example."""
        if self.jvp_override is not None:
            return self.jvp_override(z, a, g)
        return self.derivative(z, a) * g

    def __call__(self, z: Array) -> Array:
        return self.forward(z)

    def __reduce__(self):
        # Pickle a registry entry by name (its functions are lambdas, which pickle cannot store); one of the
        # user's by its fields, so that it is not swapped for the registry's of the same name.
        if ACTIVATIONS.get(self.name) is self:
            return (get_activation, (self.name,))
        return (type(self), tuple(getattr(self, f.name) for f in fields(self)))

    def __deepcopy__(self, memo):
        # Frozen, so a copy may be itself; rebuilding it by name (__reduce__) would swap an activation of
        # the user's own for the registry's of the same name (Network.astype deep-copies the network).
        return self


def _sigmoid(z: Array) -> Array:
    # 1 / (1 + e^-z), in place on one new array. For z below about -88 (float32) e^-z overflows
    # to inf and the result is 1/inf = 0, the correctly rounded value, so the warning is silenced.
    out = np.negative(z)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _softmax(z: Array) -> Array:
    # Subtracting the row maximum leaves softmax unchanged and keeps exp finite.
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def _softmax_jvp(z: Array, a: Array, g: Array) -> Array:
    # d a_i / d z_j = a_i (1[i=j] - a_j), so (J g)_i = a_i (g_i - sum_j a_j g_j).
    return a * (g - np.sum(a * g, axis=1, keepdims=True))


LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        # sigma(z) = 1 / (1 + e^-z),              sigma'(z) = sigma(z) (1 - sigma(z))
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a)),
        # sigma(z) = tanh z,                      sigma'(z) = 1 - tanh^2 z
        Activation("tanh", np.tanh, lambda z, a: 1 - a * a),
        # sigma(z) = max(0, z),                   sigma'(z) = 1[z > 0]
        Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype), init="he_normal"),
        # sigma(z) = z if z > 0 else 0.01 z,      sigma'(z) = 1 or 0.01
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, z * z.dtype.type(LEAKY_SLOPE)),
            lambda z, a: np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE)),
            init="he_normal",
        ),
        # sigma(z) = z,                           sigma'(z) = 1
        Activation("identity", lambda z: z.copy(), lambda z, a: np.ones_like(z)),
        # sigma(z) = e^z,                         sigma'(z) = e^z   (a positive output: Poisson regression's log link)
        Activation("exp", np.exp, lambda z, a: a.copy()),
        # sigma(z)_i = e^{z_i} / sum_j e^{z_j},   J = diag(a) - a a^T (not element-wise)
        Activation("softmax", _softmax, None, jvp_override=_softmax_jvp),
    ]
}

#: Names allowed for hidden layers (softmax couples the units of a layer and is an output only).
HIDDEN_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if a.elementwise)
#: Names allowed for the output layer L.
OUTPUT_ACTIVATIONS = tuple(ACTIVATIONS)

#: scikit-learn's names for the same functions.
ALIASES = {"logistic": "sigmoid"}


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Look up an activation by name (or pass one through).

    Raises
    ------
    ValueError naming ``argument``, the known names and the name given.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a name (str) such as 'sigmoid'; got {type(name).__name__} {name!r}")
    key = ALIASES.get(name, name)
    if key not in ACTIVATIONS:
        raise ValueError(f"{argument}: unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[key]
