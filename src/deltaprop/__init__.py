"""deltaprop: feedforward networks trained by backpropagation, written like the lecture.

    z^l = W^l a^{l-1} + b^l,  a^l = sigma(z^l)
    delta^L = sigma'(z^L) (.) nabla C(y),  delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    dC/dw_ij^l = delta_i^l a_j^{l-1},  dC/db_i^l = delta_i^l
    theta <- theta - eta grad C(theta)
"""

from .activations import ACTIVATIONS
from .callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, ReduceLROnPlateau
from .data import load_dataset
from .explain import Explanation, explain  # deltaprop.explain(net, x, t): the function (the module stays importable)
from .gradcheck import GradcheckResult, gradcheck
from .io import load_model, save_model
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
    "EarlyStopping",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "CSVLogger",
    "ProgressBar",
    "load_dataset",
    "save_model",
    "load_model",
    "explain",
    "Explanation",
    "gradcheck",
    "GradcheckResult",
    "GD",
    "SGD",
    "Adam",
    "LBFGS",
    "DeltapropClassifier",
    "DeltapropRegressor",
]

_SKLEARN_ESTIMATORS = ("DeltapropClassifier", "DeltapropRegressor")


def __getattr__(name: str):
    # The scikit-learn estimators load on first use, so `import deltaprop` stays quick.
    if name in _SKLEARN_ESTIMATORS:
        from . import sklearn as _estimators

        return getattr(_estimators, name)
    raise AttributeError(f"module 'deltaprop' has no attribute {name!r}")
