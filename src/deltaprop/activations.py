"""Activation functions sigma and their derivatives sigma', one registry.

The protocol
------------
Every activation is one :class:`Activation` entry in ``ACTIVATIONS`` and provides

``name``
    the key it is registered under (model files and checkpoints name it).
``forward(z) -> a``
    a = sigma(z), for z of shape (n_examples, N_l); the result has z's shape
    and dtype.
``derivative(z, a) -> sigma'(z)``
    the element-wise derivative, given both z and a = sigma(z) so that each
    function may use whichever is cheaper (sigmoid: a (1 - a)). Only for
    element-wise activations; ``None`` for softmax.
``vjp(z, a, g) -> J_sigma(z)^T g``
    the transposed Jacobian of sigma at z times a vector g = dC/da (one row
    per example): dC/dz_j = sum_i (da_i/dz_j) g_i, what backpropagation
    carries down. For element-wise activations the Jacobian is diagonal and
    this is the lecture's ``sigma'(z) (.) g``; softmax, whose output i
    depends on every z_j, gives it in ``vjp_override`` as
    a (.) (g - <a, g>).
``init``
    the name of the initialiser a layer with this activation starts from
    by default (Glorot for sigmoid-like, He for ReLU-like).
``kink``
    the z at which sigma is not differentiable (ReLU's 0), or ``None``;
    finite differences straddling it are not a test of sigma'.

Adding an activation is one entry in ``ACTIVATIONS`` (under a new name:
deltaprop's own entries cannot be replaced, see ``deltaprop.registry``): its
function and its derivative side by side. The tests check it against the test
oracle, which needs its formula written out again, independently, in
``tests/reference.py``. (``deltaprop.kernels`` has compiled loops for some
hidden activations, by name; any other takes the NumPy path through these
functions.)

``LEAKY_SLOPE``, leaky_relu's slope for z < 0, is a constant: the compiled
loops and the registry's function share it, and model files name only
"leaky_relu". Setting it raises; a leaky ReLU of another slope is an
activation of your own under a new name.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, fields
from numbers import Real
from typing import Callable

import numpy as np

from .registry import Registry

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "hidden_activations", "output_activations"]

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
    vjp_override : callable (z, a, g) -> J_sigma(z)^T g (the transposed
        Jacobian: dC/dz from g = dC/da), or None to use
        ``derivative(z, a) * g``. One of ``derivative`` and ``vjp_override``
        must be given.
    init : str
        Name of the default initialiser for a layer with this activation
        (Glorot for sigmoid-like, He for ReLU-like).
    kink : float or None
        Where sigma' jumps (ReLU-like: 0.0), else None.
    elementwise : bool (property)
        Whether a_i depends on z_i only (no ``vjp_override``).
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array] | None
    vjp_override: Callable[[Array, Array, Array], Array] | None = None
    init: str = "glorot_uniform"
    kink: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Activation name: expected a non-empty string; got {self.name!r}")
        for field in ("forward", "derivative", "vjp_override"):
            value = getattr(self, field)
            if value is not None and not callable(value):
                raise TypeError(f"Activation {self.name!r} {field}: expected a function or None; got {value!r}")
        if self.forward is None:
            raise TypeError(f"Activation {self.name!r} forward: expected a function z -> sigma(z); got None")
        if self.derivative is None and self.vjp_override is None:
            raise ValueError(f"Activation {self.name!r}: expected derivative (z, a) -> sigma'(z) or vjp_override "
                             "(z, a, g) -> J_sigma(z)^T g; got neither, so backpropagation could not pass through it")

    @property
    def elementwise(self) -> bool:
        return self.vjp_override is None

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        """Return dC/dz^l = J_sigma(z)^T g from g = dC/da^l: sigma'(z) (.) g for an element-wise sigma.

        z, a = sigma(z), g : arrays of shape (n, N_l), one row per example, of one float dtype.
        Returns an array of shape (n, N_l) and that dtype.
        """
        if self.vjp_override is not None:
            return self.vjp_override(z, a, g)
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


def _softmax_vjp(z: Array, a: Array, g: Array) -> Array:
    # d a_i / d z_j = a_i (1[i=j] - a_j), a symmetric J, so (J^T g)_j = (J g)_j = a_j (g_j - sum_i a_i g_i).
    return a * (g - np.sum(a * g, axis=1, keepdims=True))


#: leaky_relu's slope for z < 0: a constant, which the compiled loops (deltaprop.fastpath) share (see the module docstring)
LEAKY_SLOPE = 0.01


class _ActivationsModule(types.ModuleType):
    """This module, which refuses a new LEAKY_SLOPE: the compiled loops and model files would keep 0.01."""

    def __setattr__(self, name: str, value) -> None:
        if name == "LEAKY_SLOPE" and not (isinstance(value, Real) and value == LEAKY_SLOPE):  # (an array: refused too)
            raise AttributeError(
                f"LEAKY_SLOPE is a constant ({LEAKY_SLOPE}): deltaprop's leaky_relu, which the compiled training step "
                f"computes and model files store by name, has this slope; got LEAKY_SLOPE = {value!r}. For another slope "
                f"register an activation of your own under a new name: ACTIVATIONS['my_leaky_relu'] = "
                f"Activation('my_leaky_relu', forward, derivative, init='he_normal', kink=0.0)")
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ActivationsModule

ACTIVATIONS: dict[str, Activation] = Registry("ACTIVATIONS", {
    a.name: a
    for a in [
        # sigma(z) = 1 / (1 + e^-z),              sigma'(z) = sigma(z) (1 - sigma(z))
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a)),
        # sigma(z) = tanh z,                      sigma'(z) = 1 - tanh^2 z
        Activation("tanh", np.tanh, lambda z, a: 1 - a * a),
        # sigma(z) = max(0, z),                   sigma'(z) = 1[z > 0]
        Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype), init="he_normal", kink=0.0),
        # sigma(z) = z if z > 0 else 0.01 z,      sigma'(z) = 1 or 0.01
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, z * z.dtype.type(LEAKY_SLOPE)),
            lambda z, a: np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE)),
            init="he_normal",
            kink=0.0,
        ),
        # sigma(z) = z,                           sigma'(z) = 1
        Activation("identity", lambda z: z.copy(), lambda z, a: np.ones_like(z)),
        # sigma(z) = e^z,                         sigma'(z) = e^z   (a positive output: Poisson regression's log link)
        Activation("exp", np.exp, lambda z, a: a.copy()),
        # sigma(z)_i = e^{z_i} / sum_j e^{z_j},   J = diag(a) - a a^T (not element-wise)
        Activation("softmax", _softmax, None, vjp_override=_softmax_vjp),
    ]
}, "Activation({name!r}, forward, derivative)")


def hidden_activations() -> tuple[str, ...]:
    """The names allowed for hidden layers, read from ``ACTIVATIONS`` now (entries added later count):
    the element-wise ones (softmax couples the units of a layer and is an output only)."""
    return tuple(n for n, a in ACTIVATIONS.items() if a.elementwise)


def output_activations() -> tuple[str, ...]:
    """The names allowed for the output layer L: every entry of ``ACTIVATIONS``."""
    return tuple(ACTIVATIONS)


#: scikit-learn's names for the same functions.
ALIASES = {"logistic": "sigmoid"}


def get_activation(name: str | Activation, *, argument: str = "activation", hidden: bool = False) -> Activation:
    """Look up an activation by name (or pass one through).

    Raises
    ------
    ValueError naming ``argument``, the known names (with ``hidden``, those a hidden layer takes) and the
    name given.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a name (str) such as 'sigmoid'; got {type(name).__name__} {name!r}")
    key = ALIASES.get(name, name)
    if key not in ACTIVATIONS:
        known = sorted(hidden_activations() if hidden else ACTIVATIONS)
        raise ValueError(f"{argument}: unknown activation {name!r}; expected one of {known}{names_hint(name, known, ALIASES)}")
    return ACTIVATIONS[key]


def names_hint(name: str, known: list, aliases: dict) -> str:
    """What an unknown-name message adds: the aliases of the known names, and the name meant where it is
    close to one ("Logistic", "rleu")."""
    from .checks import did_you_mean

    others = [f"{alias!r} (= {key!r})" for alias, key in aliases.items() if key in known]
    hint = f", or {', '.join(others)}" if others else ""
    return hint + did_you_mean(name, [*known, *(a for a, key in aliases.items() if key in known)])
