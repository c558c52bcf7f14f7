"""deltaprop: feedforward networks trained by backpropagation, written like the lecture.

    z^l = W^l a^{l-1} + b^l,  a^l = sigma(z^l)
    delta^L = sigma'(z^L) (.) nabla C(y),  delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    dC/dw_ij^l = delta_i^l a_j^{l-1},  dC/db_i^l = delta_i^l
    theta <- theta - eta grad C(theta)
"""

from .activations import ACTIVATIONS
from .callbacks import Callback
from .explain import Explanation, explain  # deltaprop.explain(net, x, t): the function (the module stays importable)
from .gradcheck import GradcheckResult, gradcheck
from .losses import LOSSES
from .network import ForwardPass, Gradients, Network
from .optimisers import SGD, Adam, GD, LBFGS
from .training import DivergenceError, History, fit

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Network",
    "ForwardPass",
    "Gradients",
    "fit",
    "History",
    "DivergenceError",
    "Callback",
    "explain",
    "Explanation",
    "gradcheck",
    "GradcheckResult",
    "GD",
    "SGD",
    "Adam",
    "LBFGS",
]
