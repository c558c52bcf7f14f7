"""Initial weights theta^0, one registry.

The protocol
------------
An initialiser is a function ``init(rng, n_out, n_in, dtype) -> W`` returning
the weight matrix W^l of a layer, of the lecture's shape (N_l, N_{l-1}) =
(n_out, n_in) and the given dtype, drawn from the ``numpy.random.Generator``
``rng``. Biases start at zero. Adding one is one entry in ``INITIALISERS`` under a new
name (deltaprop's own cannot be replaced, see ``deltaprop.registry``).

The default follows the layer's activation (``Activation.init``): Glorot for
sigmoid and tanh (keeps the variance of z^l near that of a^{l-1} when sigma
is near-linear at 0), He for ReLU-like activations (which zero half of
their inputs, so the variance is doubled).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .checks import did_you_mean
from .registry import Registry

__all__ = ["INITIALISERS", "get_initialiser"]

Initialiser = Callable[[np.random.Generator, int, int, np.dtype], np.ndarray]


INITIALISERS: dict[str, Initialiser] = Registry("INITIALISERS", {
    # U(-sqrt(6 / (N_in + N_out)), +sqrt(...)): Glorot & Bengio 2010
    "glorot_uniform": lambda rng, o, i, dt: rng.uniform(-1, 1, size=(o, i)).astype(dt)
    * dt.type(np.sqrt(6.0 / (i + o))),
    # N(0, 2 / (N_in + N_out))
    "glorot_normal": lambda rng, o, i, dt: (rng.standard_normal((o, i)) * np.sqrt(2.0 / (i + o))).astype(dt),
    # N(0, 2 / N_in): He et al. 2015, for ReLU
    "he_normal": lambda rng, o, i, dt: (rng.standard_normal((o, i)) * np.sqrt(2.0 / i)).astype(dt),
    # U(-sqrt(6 / N_in), +sqrt(6 / N_in))
    "he_uniform": lambda rng, o, i, dt: rng.uniform(-1, 1, size=(o, i)).astype(dt) * dt.type(np.sqrt(6.0 / i)),
    # N(0, 1 / N_in): LeCun
    "lecun_normal": lambda rng, o, i, dt: (rng.standard_normal((o, i)) * np.sqrt(1.0 / i)).astype(dt),
    # N(0, 1): Nielsen's network.py, which saturates sigmoid units in wide layers
    "standard_normal": lambda rng, o, i, dt: rng.standard_normal((o, i)).astype(dt),
}, "a function (rng, n_out, n_in, dtype) -> W")


def get_initialiser(name: str, *, argument: str = "init") -> Initialiser:
    """Look up an initialiser by name.

    Raises
    ------
    ValueError naming ``argument``, the known names and the name given.
    """
    if callable(name):
        return name
    if not isinstance(name, str) or name not in INITIALISERS:
        raise ValueError(f"{argument}: unknown initialiser {name!r}; expected one of {sorted(INITIALISERS)}"
                         f"{did_you_mean(name, INITIALISERS)}")
    return INITIALISERS[name]
