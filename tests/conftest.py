import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for tests/reference.py

from deltaprop.activations import ACTIVATIONS, hidden_activations, output_activations  # noqa: E402
from deltaprop.losses import LOSSES  # noqa: E402

# Read from the registries, so that an entry added there is gradient-checked, checked against the oracle and trained by
# the tests that take these lists, with no second edit here; the oracle (tests/reference.py) needs its formula written
# out independently, and raises KeyError until it has it. (test_fastpath checks the compiled hidden activations,
# kernels.HIDDEN_KINDS, and that any other falls back to the reference path.)
HIDDEN = [n for n in hidden_activations() if n != "exp"]  # (exp: test_an_exp_hidden_layer_..., its own range)
# outputs tried with a loss that takes any (the quadratic cost): all but those with a kink (relu-like: finite
# differences would straddle it by chance)
ANY_OUTPUT = tuple(n for n in output_activations() if ACTIVATIONS[n].kink is None)
# (output activation, loss) pairings the library accepts
PAIRINGS = [(out, name) for name, loss in LOSSES.items() for out in (loss.outputs or ANY_OUTPUT)]


def targets_for(loss, output, n, n_out, rng):
    """Random valid targets for a loss, read from its entry: one-hot (classes of a softmax-like output), 0/1
    indicators (other classification), counts (targets >= 0) or reals."""
    entry = LOSSES[loss]
    if entry.classification and not ACTIVATIONS[output].elementwise:
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    if entry.classification:
        return rng.integers(0, 2, (n, n_out)).astype(float)
    low, high = entry.targets_at_least, entry.targets_at_most
    if low is not None and high is not None:  # a bounded range
        return rng.uniform(low, high, (n, n_out))
    if low is not None:  # counts, 0 among them
        return low + rng.poisson(1.5, (n, n_out)).astype(float)
    if high is not None:
        return high - rng.poisson(1.5, (n, n_out)).astype(float)
    return rng.normal(size=(n, n_out))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
