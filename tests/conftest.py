import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for tests/reference.py

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]  # (and exp: test_an_exp_hidden_layer_...)
# (output activation, loss) pairings the library accepts
PAIRINGS = [
    ("identity", "quadratic"),
    ("sigmoid", "quadratic"),
    ("tanh", "quadratic"),
    ("softmax", "quadratic"),
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
    ("exp", "poisson"),
    ("exp", "quadratic"),
]


def targets_for(loss, output, n, n_out, rng):
    """Random valid targets for a loss: one-hot, 0/1 indicators or reals."""
    if loss == "cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n, n_out)).astype(float)
    if loss == "poisson":  # counts, 0 among them
        return rng.poisson(1.5, (n, n_out)).astype(float)
    return rng.normal(size=(n, n_out))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
