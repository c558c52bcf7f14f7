"""deltaprop: feedforward networks trained by backpropagation, written like the lecture.

    z^l = W^l a^{l-1} + b^l,  a^l = sigma(z^l)
    delta^L = sigma'(z^L) (.) nabla C(y),  delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    dC/dw_ij^l = delta_i^l a_j^{l-1},  dC/db_i^l = delta_i^l
    theta <- theta - eta grad C(theta)
"""

from .activations import ACTIVATIONS
from .callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, ReduceLROnPlateau
from .data import load_dataset
# explain and gradcheck are modules that can be called as their main function (see _callable_module):
# deltaprop.gradcheck(net, X, T) and deltaprop.gradcheck.numerical_gradient both work.
from . import explain, gradcheck
from .explain import Explanation
from .gradcheck import GradcheckResult
from .io import load_model, save_model
from .losses import LOSSES
from .network import ForwardPass, Gradients, Network
from .optimisers import SGD, Adam, AdamW, GD, LBFGS, RMSprop
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
    "AdamW",
    "RMSprop",
    "LBFGS",
    "DeltapropClassifier",
    "DeltapropRegressor",
]

_SKLEARN_ESTIMATORS = ("DeltapropClassifier", "DeltapropRegressor")


#: Modules that load on first use (deltaprop.gradflow.GradientFlow after a plain `import deltaprop`),
#: so that `import deltaprop` stays quick: matplotlib, SciPy and scikit-learn come with these.
_LAZY_MODULES = ("callbacks", "chain", "checkpoint", "cost", "gradflow", "initialisers", "kernels", "metrics", "netplot",
                 "optimisers", "plots", "sklearn")


def __getattr__(name: str):
    # The scikit-learn estimators load on first use, so `import deltaprop` stays quick.
    if name in _SKLEARN_ESTIMATORS:
        from . import sklearn as _estimators

        return getattr(_estimators, name)
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'deltaprop' has no attribute {name!r}")
