"""scikit-learn estimators: drop-in replacements for ``MLPClassifier`` and ``MLPRegressor``.

Swap the import and keep your code::

    from sklearn.neural_network import MLPClassifier       # before
    from deltaprop import DeltapropClassifier as MLPClassifier   # after

Every parameter of scikit-learn's MLP keeps its name and meaning; deltaprop
adds ``dropout``, per-layer ``activation`` lists, ``loss``, ``class_weight``,
``callbacks``, ``dtype`` and the full-batch solver ``"gd"`` (the lecture's
theta <- theta - eta grad C(theta)). Training is deltaprop's backpropagation
(``deltaprop.training.fit``); this module only translates scikit-learn's
conventions:

- scikit-learn's ``alpha`` penalises (alpha / 2) ||W||^2 / n_batch, where
  n_batch is the number of examples (the sum of their weights, with
  ``sample_weight``) in the mini-batch. deltaprop's penalty is
  (lambda / 2) sum_l ||W^l||^2 added to the *mean* cost, so each batch gets
  lambda = alpha / n_batch (exactly for full-batch solvers; with weights and
  mini-batches, n_batch times the mean weight).
- ``learning_rate="invscaling"``/``"adaptive"`` and stopping on ``tol`` /
  ``n_iter_no_change`` (training loss, or validation score with
  ``early_stopping=True``, keeping the best weights) follow scikit-learn's
  rules epoch by epoch, in a callback.

Where deltaprop differs:

- ``sample_weight`` with mini-batches: deltaprop scales the weights to mean 1
  over the whole training set, so each batch's cost is sum w c / n_batch;
  scikit-learn divides each batch's by that batch's sum of weights. The two
  agree for full batches (lbfgs, gd) and where every batch weighs the same.
- Initial weights: deltaprop's initialisers (He for relu, Glorot for the
  others, zero biases; ``deltaprop.initialisers``), not scikit-learn's
  uniform ranges with random biases, so the same ``random_state`` starts
  elsewhere.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .activations import ACTIVATIONS, get_activation
from .activations import ALIASES as ACTIVATION_ALIASES
from .callbacks import Callback
from .losses import LOSSES, get_loss
from .network import Network, _as_list
from .optimisers import LBFGS, SCHEDULES, get_schedule, settings_of
from .training import INTERRUPTED, LBFGS_CONVERGED, check_callbacks
from .training import fit as train

__all__ = ["DeltapropClassifier", "DeltapropRegressor"]

# scikit-learn's three solvers, whose settings (momentum, nesterovs_momentum, beta_1, beta_2, epsilon, max_fun) the
# estimators take under scikit-learn's names, and the lecture's gd; deltaprop's other optimisers have settings
# scikit-learn's MLP has no parameter for (train them with Network.fit).
SOLVERS = ("sgd", "adam", "lbfgs", "gd")
STOCHASTIC = tuple(s for s in SOLVERS if s != "lbfgs")  # the solvers that step epoch by epoch and support partial_fit
SKLEARN_RATES = ("constant", "invscaling", "adaptive")
# scikit-learn's names for deltaprop's activations (out_activation_ uses them): the aliases read backwards.
SKLEARN_NAMES = {ours: theirs for theirs, ours in ACTIVATION_ALIASES.items()}
PREDICT_CHUNK = 4096  # rows densified at a time for sparse input


class _EncodedNetwork(Network):
    """A :class:`Network` whose targets arrive already encoded by the estimator.

    The estimator binarises labels itself (as scikit-learn does), so ``fit``
    receives T of shape (n, N_L) (the arrays in ``own_targets``) and must not
    treat a single 0/1 column as labels. Other y come from elsewhere (a
    callback such as ``GradientFlow(X, y)`` given the estimator's own y):
    the classifier's ``label_binarizer`` encodes its labels, of shape (n,) or
    (n, 1) as the estimator's ``fit`` takes them, as fit does. It is also
    picklable: activations and losses from the registries are stored by name.
    """

    #: The classifier's fitted LabelBinarizer (None for the regressor, whose 1-D y is T's one column).
    label_binarizer = None
    #: The targets the estimator encoded for the fit in progress (training and validation), used as given.
    own_targets: tuple = ()

    def encode_targets(self, y, *, remember: bool = False, classes=None):
        if classes is not None:  # (the estimator's own fit and partial_fit(classes=) set them)
            raise ValueError("classes: an estimator's network takes its classes from the estimator's fit or partial_fit")
        binarizer = self.label_binarizer
        # labels of the user's (a callback's), of one label per example; multi-label y is an indicator matrix, T as it is
        if binarizer is not None and not binarizer.y_type_.startswith("multilabel") and not any(y is t for t in self.own_targets):
            y = np.asarray(y)
            y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y  # a column, as fit takes it
            if y.ndim == 1:
                unknown = ~np.isin(y, binarizer.classes_)
                if unknown.any():
                    raise ValueError(f"y: expected labels among the classes {binarizer.classes_.tolist()}; "
                                     f"got {np.unique(y[unknown])[:10].tolist()}")
                y = binarizer.transform(y)
        return self.check_T(y, len(y), argument="y")

    def __getstate__(self):
        state = self.__dict__.copy()
        state["hidden_activations"] = [_by_name(a, ACTIVATIONS) for a in self.hidden_activations]
        state["output_activation"] = _by_name(self.output_activation, ACTIVATIONS)
        state["loss_function"] = _by_name(self.loss_function, LOSSES)
        state["activations"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.hidden_activations = [get_activation(a) for a in self.hidden_activations]
        self.output_activation = get_activation(self.output_activation)
        self.loss_function = get_loss(self.loss_function)
        self.activations = self.hidden_activations + [self.output_activation]


def _by_name(obj, registry):
    """The registry name of obj, or obj itself when it is a custom one (pickled as is)."""
    return obj.name if registry.get(obj.name) is obj else obj


class _SklearnRules(Callback):
    """scikit-learn's per-batch L2 scaling and per-epoch bookkeeping, learning rate and stopping.

    Updates the estimator's fitted attributes (``loss_curve_``, ``t_``,
    ``best_loss_``, ``validation_scores_``...) as the epochs end.
    """

    def __init__(self, est, alpha_per_example: float, stochastic: bool, validation=None) -> None:
        self.est = est
        self.alpha_per_example = alpha_per_example  # alpha / (mean example weight)
        self.stochastic = stochastic
        self.validation = validation  # (X_val, T_val, y_val, sample_weight_val) or None
        # scikit-learn's squared-error loss is the mean over the outputs too (its Poisson loss the sum): the data part of
        # deltaprop's cost divided by K outputs (its gradient, and so training, are the same)
        self.outputs = est.n_outputs_ if est._network.loss_function.name == "quadratic" and isinstance(est, RegressorMixin) else 1
        self.epoch_loss, self.epoch_seen = 0.0, 0  # scikit-learn's loss, summed over the epoch's examples
        self.n_epochs = 0
        self.stopped = False  # by scikit-learn's tol / n_iter_no_change rule
        # Whether a step has changed the parameters: an exception before it is a refusal (see _fit).
        # The stochastic solvers report each step in on_batch_end; L-BFGS each iteration in on_epoch_end.
        self.stepped = False

    def _set_l2(self, run, n_batch: int) -> None:
        run.net.l2 = self.alpha_per_example / n_batch

    def sklearn_loss(self, loss: float, cost: float) -> float:
        """scikit-learn's loss from deltaprop's: the data part ``cost`` over the outputs, plus the L2 term."""
        return loss if self.outputs == 1 else cost / self.outputs + (loss - cost)

    def on_epoch_begin(self, run, epoch: int) -> None:
        self._set_l2(run, run.batch_size)
        self.epoch_loss, self.epoch_seen = 0.0, 0

    def on_batch_end(self, run, batch: int, loss: float) -> None:
        self.stepped = True
        size = min(run.batch_size, run.n_train - batch * run.batch_size)
        self.epoch_loss += self.sklearn_loss(loss, run.batch_cost) * size
        self.epoch_seen += size
        lo = (batch + 1) * run.batch_size  # the next batch starts here
        # alpha / n_batch for the next batch; after the last, for a whole one again (the epoch's val_loss and
        # the network's l2 between fits are not those of a short last batch)
        self._set_l2(run, min(run.batch_size, run.n_train - lo) if lo < run.n_train else run.batch_size)

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        est = self.est
        self.stepped = True
        self.n_epochs += 1
        if self.outputs == 1:
            loss = float(logs["loss"])
        elif self.stochastic:  # (as logs["loss"]: the mean of the batches' losses, each weighed by its examples)
            loss = self.epoch_loss / self.epoch_seen
        else:  # L-BFGS: the whole set's cost at the parameters the network now has
            loss = self.sklearn_loss(float(logs["loss"]), float(logs["loss"]) - run.net.penalty())
        est.loss_curve_.append(loss)
        if not self.stochastic:
            return  # (scikit-learn prints nothing of its L-BFGS iterations)
        if est.verbose:  # scikit-learn's line, its loss (the validation score and any stop follow it)
            print(f"Iteration {self.n_epochs}, loss = {loss:.8f}")
        est.t_ += run.n_train
        if est.solver != "adam" and est.learning_rate in ("constant", "adaptive"):
            est._learning_rate = run.eta0  # a callback's cut of an earlier epoch (ReduceLROnPlateau) stays
        if self.validation is not None:
            self._after_validation(run, logs)
        else:
            # scikit-learn: count epochs whose loss is not below the best by tol
            loss = est.loss_curve_[-1]
            est._no_improvement_count = est._no_improvement_count + 1 if loss > est.best_loss_ - est.tol else 0
            est.best_loss_ = min(est.best_loss_, loss)
        if est.solver != "adam" and est.learning_rate == "invscaling":
            est._learning_rate = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.validation is not None else "Training loss"
            message = f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} consecutive epochs."
            if est.solver != "adam" and est.learning_rate == "adaptive" and est._learning_rate > 1e-6:
                est._learning_rate /= 5.0
                est._no_improvement_count = 0
                if est.verbose:
                    print(f"{message} Setting learning rate to {est._learning_rate:f}")
            else:
                if est.solver != "adam" and est.learning_rate == "adaptive":
                    message += " Learning rate too small."
                run.stop, run.stop_reason, self.stopped = True, message, True
                if est.verbose:
                    print(f"{message} Stopping.")
        if est.solver != "adam" and isinstance(est.learning_rate, str) and est.learning_rate in SKLEARN_RATES:
            run.eta0 = est._learning_rate

    def _after_validation(self, run, logs: dict) -> None:
        est = self.est
        Xv, _, yv, wv = self.validation
        # val_loss, like loss_curve_ and validation_scores_, weighs the held-out examples: C = sum_n w_n c_n / sum_n w_n;
        # on loss_curve_'s scale (the penalty is the network's now, as when val_loss was computed at the epoch's end)
        val_loss = float(logs["val_loss"])
        est.validation_loss_curve_.append(self.sklearn_loss(val_loss, val_loss - run.net.penalty()))
        score = est._score_on(Xv, yv, wv)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        est._no_improvement_count = est._no_improvement_count + 1 if score < est.best_validation_score_ + est.tol else 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_parameters = [p.copy() for p in run.net.parameters()]

    def on_train_end(self, run) -> None:
        best = getattr(self.est, "_best_parameters", None)
        if self.validation is not None and best is not None:
            for p, b in zip(run.net.parameters(), best):  # scikit-learn keeps the best validation weights
                p[...] = b


def _check_choice(name: str, value, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: expected one of {list(choices)}; got {value!r}")


def _check_number(name: str, value, low=None, high=None, *, low_open=False, high_open=False, integer=False) -> None:
    kinds = Integral if integer else Real
    ok = isinstance(value, kinds) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (low is None or (value > low if low_open else value >= low))
    ok = ok and (high is None or (value < high if high_open else value <= high))
    if not ok:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}, "
        hi = "inf)" if high is None else f"{high}{')' if high_open else ']'}"
        what = "an integer" if integer else "a number"
        raise ValueError(f"{name}: expected {what} in {lo or '(-inf, '}{hi}; got {value!r}")


def _same(a, b) -> bool:
    """Whether two parameter values are equal, lists, tuples and arrays alike."""
    def plain(v):
        v = v.tolist() if isinstance(v, np.ndarray) else v
        return [plain(x) for x in v] if isinstance(v, (list, tuple)) else v
    try:
        return bool(plain(a) == plain(b))
    except (TypeError, ValueError):
        return False


def _canonical(name: str, value, n_hidden: int):
    """An architecture parameter as the network it builds sees it: ``hidden_layer_sizes=5`` is (5,),
    ``activation="logistic"`` is ["sigmoid"] * n_hidden, ``dropout=0.1`` is [0.1] * n_hidden, ``loss="mse"``
    is "quadratic", ``dtype=np.float64`` is "float64"."""
    try:
        if name == "hidden_layer_sizes":
            return list(value) if hasattr(value, "__iter__") else [value]
        if name in ("activation", "dropout"):
            values = _as_list(value, n_hidden, name)
            return [ACTIVATION_ALIASES.get(v, v) if isinstance(v, str) else v for v in values]
        if name == "loss" and isinstance(value, str):
            return get_loss(value).name  # (every alias: squared_error and mse are quadratic)
        if name == "dtype" and value is not None:
            return np.dtype(value).name  # (a name: None == np.dtype("float64") is True in NumPy)
    except (TypeError, ValueError):
        pass  # (not a valid value: compared as given, and so found different)
    return value


def _checked_sample_weight(sample_weight, n: int):
    """sample_weight as float64 of shape (n,), or None; raises on bad weights."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight: expected numbers, one weight per row of X; got {sample_weight!r:.80}") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight: expected shape ({n},), one weight per row of X; got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight: expected finite weights >= 0; got negative, NaN or infinite weights")
    if w.sum() <= 0:
        raise ValueError("sample_weight: all weights are zero; expected at least one positive weight")
    return w


class _WriteThrough(list):
    """``coefs_`` / ``intercepts_``: views of the network's W^l (transposed) or b^l, in a list whose item
    assignment copies into them. In scikit-learn these lists hold the parameters themselves, so that
    ``est.coefs_[0] = W`` changes the model; replacing an item of a plain list of views would not."""

    def __init__(self, name: str, views: list) -> None:
        super().__init__(views)
        self.name = name

    def _checked(self, i: int, value) -> np.ndarray:
        symbol = f"(W^{i + 1})^T" if self.name == "coefs_" else f"b^{i + 1}"  # (list index i is layer i + 1)
        view, what = self[i], f"{self.name}[{i}] ({symbol})"
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: expected an array of numbers of shape {view.shape}; got {value!r:.60}") from None
        if array.shape != view.shape:
            raise ValueError(f"{what}: expected an array of shape {view.shape}; got shape {array.shape}")
        with np.errstate(over="ignore"):
            if not np.isfinite(array.astype(view.dtype)).all():
                raise ValueError(f"{what}: expected finite values within the range of {view.dtype.name}")
        return array

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):  # est.coefs_[1:] = [...]: as many arrays as the layers it names
            layers, arrays = range(len(self))[index], list(value)
            if len(arrays) != len(layers):
                raise ValueError(f"{self.name}[{index.start}:{index.stop}]: expected {len(layers)} arrays, one per layer; got {len(arrays)}")
            checked = [self._checked(i, a) for i, a in zip(layers, arrays)]
            for i, array in zip(layers, checked):
                self[i][...] = array
            return
        if not isinstance(index, Integral):
            raise TypeError(f"{self.name}: expected an integer index or a slice; got {index!r}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.name}: index {index} is beyond the {len(self)} layers' arrays (0..{len(self) - 1} "
                             f"for layers 1..{len(self)}, or -{len(self)}..-1 from the end)")
        i = range(len(self))[index]
        self[i][...] = self._checked(i, value)

    def assign_all(self, arrays) -> None:
        arrays = list(arrays)
        if len(arrays) != len(self):
            raise ValueError(f"{self.name}: expected {len(self)} arrays, one per layer; got {len(arrays)}")
        checked = [self._checked(i, a) for i, a in enumerate(arrays)]  # all checked before any is written
        for view, array in zip(self, checked):
            view[...] = array


class _DeltapropMLP(BaseEstimator):
    """What the classifier and regressor share; see their docstrings."""

    #: The default of a parameter added since estimators were first pickled: one unpickled from
    #: before it has no such attribute, and get_params, clone and a warm fit would fail without it.
    clip_norm = None

    # ------------------------------------------------------------------ parameters

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, Integral) or s < 1:
                raise ValueError(f"hidden_layer_sizes: expected integers >= 1 (N_1, ..., N_(L-1)); got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _check_params(self) -> None:
        import collections.abc

        for name in ("hidden_layer_sizes", "activation", "dropout"):  # (per-layer lists; deepcopy failed on a generator)
            value = getattr(self, name)
            if isinstance(value, collections.abc.Iterator):
                raise TypeError(f"{name}: got a one-pass {type(value).__name__}, which the first fit would use up "
                                f"({value!r:.60}); give a list or tuple")
        self._hidden_sizes()
        _check_choice("solver", self.solver, SOLVERS)
        _check_number("alpha", self.alpha, 0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, Integral) or self.batch_size < 1:
                raise ValueError(f"batch_size: expected 'auto' (min(200, n_samples)) or an integer >= 1; got {self.batch_size!r}")
        if callable(self.learning_rate):
            get_schedule(self.learning_rate, argument="learning_rate")  # (eta0, epoch, n_epochs) -> eta
        else:
            _check_choice("learning_rate", self.learning_rate, SKLEARN_RATES + tuple(s for s in SCHEDULES if s != "constant"))
        _check_number("learning_rate_init", self.learning_rate_init, 0, low_open=True)
        _check_number("power_t", self.power_t, 0)
        _check_number("max_iter", self.max_iter, 1, integer=True)
        _check_number("tol", self.tol, 0)
        _check_number("momentum", self.momentum, 0, 1)
        # (0, 1) when early stopping holds examples out; 0 is fine otherwise
        _check_number("validation_fraction", self.validation_fraction, 0, 1, low_open=bool(self.early_stopping), high_open=True)
        _check_number("beta_1", self.beta_1, 0, 1, high_open=True)
        _check_number("beta_2", self.beta_2, 0, 1, high_open=True)
        _check_number("epsilon", self.epsilon, 0, low_open=True)
        if self.clip_norm is not None:
            _check_number("clip_norm", self.clip_norm, 0, low_open=True)
            if self.solver == "lbfgs":
                raise ValueError(f"clip_norm: solver 'lbfgs' chooses its own step length by a line search; got "
                                 f"clip_norm={self.clip_norm!r}. Use solver 'adam', 'sgd' or 'gd' to clip gradients, or clip_norm=None")
        if not (isinstance(self.n_iter_no_change, Real) and self.n_iter_no_change == np.inf):  # inf: never stop on tol
            if (isinstance(self.n_iter_no_change, bool) or not isinstance(self.n_iter_no_change, Integral)
                    or self.n_iter_no_change < 1):
                raise ValueError(f"n_iter_no_change: expected an integer >= 1 or np.inf (never stop on tol); got {self.n_iter_no_change!r}")
        _check_number("max_fun", self.max_fun, 1, integer=True)
        if isinstance(self.verbose, str) or not isinstance(self.verbose, (Integral, bool, np.bool_)):
            raise ValueError(f"verbose: expected True, False or an integer; got {self.verbose!r}")
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name}: expected True or False; got {getattr(self, name)!r}")
        try:
            dtype_ok = self.dtype is None or np.dtype(self.dtype) in (np.float32, np.float64)
        except TypeError:
            dtype_ok = False
        if not dtype_ok:
            raise ValueError(f"dtype: expected None (the dtype of X), 'float32' or 'float64'; got {self.dtype!r}")
        if self.callbacks is not None and (isinstance(self.callbacks, (str, bytes)) or not hasattr(self.callbacks, "__iter__")):
            raise TypeError(f"callbacks: expected a list of callback objects or None; got {type(self.callbacks).__name__} "
                            f"{self.callbacks!r:.40}")
        if self.callbacks is not None and iter(self.callbacks) is self.callbacks:  # a generator: read once, then empty
            raise TypeError(f"callbacks: expected a list of callback objects or None; got a {type(self.callbacks).__name__}, "
                            f"which can be read only once (make it a list)")
        # here, naming the index in the user's list (train's list starts with _SklearnRules)
        check_callbacks(list(self.callbacks or []))

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            float32 input trains in float32 (unless ``dtype`` says otherwise);
            anything else in float64. Sparse input stays sparse: each mini-batch
            is densified in turn (lbfgs densifies it whole).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (any type; an indicator matrix for multi-label), or
            real targets for the regressor.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the examples' costs, C = sum_n w_n c_n / sum_n w_n.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC:
            raise AttributeError(f"partial_fit is only available for the solvers {list(STOCHASTIC)}; got solver={self.solver!r}")
        return True

    def _fit(self, X, y, sample_weight, incremental: bool, classes=None):
        # Bad input is refused before any parameter changes (README), and a refused fit leaves the
        # estimator as it was: the model it had predicts as before, an unfitted one stays unfitted. The
        # checks set attributes as they go (validate_data's n_features_in_, the classes, a fresh network),
        # and train and the callbacks' on_train_begin check theirs after that, so keep the fitted state
        # and put it back when anything raises before the first step changed the parameters.
        fitted = self.__dict__.copy()
        # what a kept network changes in place before a step: l2, its history, and (L-BFGS's line search
        # tries points before its first iteration ends; on_train_end may restore best weights) its parameters
        kept = self.__dict__.get("_network")
        kept_state = None if kept is None else (kept.l2, kept.history, kept.classes_, [p.copy() for p in kept.parameters()])
        rules = None
        try:
            net, X, T, sample_weight, rules, options = self._prepare_fit(X, y, sample_weight, incremental, classes)
            # network_ predicts, scores and saves (ModelCheckpoint too) the estimator's labels, not 0..K-1
            net.classes_ = getattr(self, "classes_", None)
            validation = options["validation_data"]
            net.own_targets = (T,) if validation is None else (T, validation[1])
            try:
                history = train(net, X, T, **options)
            finally:
                net.own_targets = ()  # no reference kept to the data after the fit
        except BaseException:
            if rules is None or not rules.stepped:
                self.__dict__.clear()
                self.__dict__.update(fitted)
                if kept is not None:
                    kept.l2, kept.history, kept.classes_, saved = kept_state
                    for p, q in zip(kept.parameters(), saved):
                        p[...] = q
            else:
                self.n_iter_ = rules.n_epochs  # with loss_curve_ and t_, also when training raises
            raise
        self.n_iter_ = rules.n_epochs
        self._optimiser_state = history.optimiser_state
        if history.loss:
            self.loss_ = self.loss_curve_[-1]  # (the last epoch's, as scikit-learn's loss, see _SklearnRules)
        else:
            # L-BFGS stopped before its first iteration (a warm start at a minimum, a large tol: n_iter_ 0, as
            # in scikit-learn), or a callback stopped the run before its first epoch: the cost history.loss
            # would hold, the mean cost plus the L2 term, at the parameters as they are
            total = float(net.loss(X, T, sample_weight=sample_weight))
            self.loss_ = rules.sklearn_loss(total, total - net.penalty())
        # scikit-learn's warnings, in its words (code that filters them by message keeps working)
        if history.stop_reason.startswith(INTERRUPTED):
            warnings.warn("Training interrupted by user.")
        elif not incremental and not rules.stopped and self.n_iter_ >= self.max_iter and self.solver != "lbfgs":
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        elif self.solver == "lbfgs" and not rules.stopped and not history.stop_reason.startswith(LBFGS_CONVERGED):
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iteration(s) ({history.stop_reason}); "
                          f"max_iter={self.max_iter}, max_fun={self.max_fun}", ConvergenceWarning)
        return self

    def _prepare_fit(self, X, y, sample_weight, incremental: bool, classes):
        """Check everything and set up the network: (net, X, T, sample_weight, rules, train's options),
        X, T and sample_weight being the examples trained on (without the validation split)."""
        self._check_params()
        first_pass = not hasattr(self, "_network") or (not self.warm_start and not incremental)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if incremental and (callable(self.learning_rate) or self.learning_rate not in SKLEARN_RATES):
            # a schedule (eta0, epoch, n_epochs) -> eta would see epoch 0 of 1 on every call
            raise ValueError(
                f"learning_rate: the schedule {self.learning_rate!r} needs the epoch and the number of epochs, which "
                f"partial_fit does not know; expected one of {list(SKLEARN_RATES)} with partial_fit"
            )
        if not first_pass:
            self._check_same_architecture()
            # early_stopping, or the solver between lbfgs and an epoch-by-epoch one, changed between warm fits
            records = (self._stopping_on_validation, getattr(self, "_records_stochastic",  # (pickled before it was kept)
                                                                   self._stopping_on_validation or self.best_loss_ is not None))
            if records != (self.solver in STOCHASTIC and bool(self.early_stopping), self.solver in STOCHASTIC):
                self._start_stopping_records()
        X, T, y_labels = self._validate_input(X, y, incremental, first_pass, classes)
        sample_weight = self._weights_with_classes(_checked_sample_weight(sample_weight, X.shape[0]), y_labels, incremental)
        try:
            rs = check_random_state(self.random_state)
        except ValueError:
            raise ValueError(f"random_state: expected None, an integer or a numpy RandomState; got {self.random_state!r}") from None
        if first_pass:
            dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
            self._initialise(X.shape[1], T.shape[1], dtype, np.random.default_rng(rs.randint(np.iinfo(np.int32).max)))
        net = self._network
        # a DataFrame's column names go with the network, into its model files (save_model, ModelCheckpoint), by which
        # predict and evaluate match a CSV's columns; without them a file's columns in another order went by position
        names = getattr(self, "feature_names_in_", None)
        net.feature_names_in_ = None if names is None else np.asarray(names, dtype=object)
        if sample_weight is not None:  # beyond the dtype's range: named by its index in the user's array, before the split
            net._normalised_weights(sample_weight, len(sample_weight))
        settings = (self.solver, self.momentum, self.nesterovs_momentum, self.beta_1, self.beta_2, self.epsilon)
        if incremental and settings != getattr(self, "_optimiser_settings", settings):
            self._optimiser_state = None  # set_params changed the optimiser: start its memory afresh
        self._optimiser_settings = settings
        stochastic = self.solver in STOCHASTIC
        if not incremental:
            self._learning_rate = float(self.learning_rate_init)

        validation = None
        if stochastic and self.early_stopping:
            X, T, y_labels, sample_weight, validation = self._split_validation(X, T, y_labels, sample_weight, rs)
        n = X.shape[0]
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        if stochastic and self.solver != "gd":
            if self.batch_size == "auto":
                batch_size = min(200, n)
            else:
                if self.batch_size > n:
                    warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
                batch_size = int(np.clip(self.batch_size, 1, n))
        else:
            batch_size = n
        net.l2 = self.alpha / (mean_weight * batch_size)  # alpha / n_batch; the callback adjusts it per batch

        rules = _SklearnRules(self, self.alpha / mean_weight, stochastic, validation)
        options = dict(
            epochs=1 if incremental else self.max_iter,
            batch_size=batch_size,
            shuffle=bool(self.shuffle),  # checked above, NumPy's bools included
            sample_weight=sample_weight,
            callbacks=[rules, *(self.callbacks or [])],
            verbose=False,  # (_SklearnRules prints scikit-learn's lines)
            validation_data=None if validation is None else (validation[0], validation[1], validation[3]),  # X, T, w
        )
        if self.solver == "lbfgs":
            options.update(optimiser=LBFGS(max_fun=self.max_fun), tol=self.tol)
        else:
            schedule = self.learning_rate if (callable(self.learning_rate) or self.learning_rate in SCHEDULES) else "constant"
            solver_options = dict(momentum=self.momentum, nesterov=bool(self.nesterovs_momentum), beta_1=self.beta_1,
                                  beta_2=self.beta_2, epsilon=self.epsilon)
            options.update(
                optimiser=self.solver,
                # adam's: learning_rate_init, but a partial_fit goes on at its optimiser's (set_params changes it not,
                # as scikit-learn keeps the optimiser it made at the first call)
                learning_rate=self._learning_rate if self.solver != "adam" else (
                    None if incremental and getattr(self._optimiser_state, "learning_rate", None) is not None
                    else self.learning_rate_init),  # (a state pickled before it kept its rate: learning_rate_init)
                schedule=schedule,
                # as scikit-learn: the solver's own settings apply, the others' are ignored (fit refuses them)
                **{k: v for k, v in solver_options.items() if k in settings_of(self.solver)},
                clip_norm=self.clip_norm,
                tol=0.0 if self.solver == "gd" else None,  # gd stops by scikit-learn's rules instead
                optimiser_state=self._optimiser_state if incremental else None,
            )
        return net, X, T, sample_weight, rules, options

    #: What a warm or incremental fit must find unchanged in the fitted network.
    ARCHITECTURE = ("hidden_layer_sizes", "activation", "loss", "dropout", "dtype")

    def _check_same_architecture(self) -> None:
        n_hidden = len(self._network.sizes) - 2
        for name, fitted in self._architecture.items():
            now = getattr(self, name)
            if name == "dtype":  # None: the dtype of the first fit's X, which the network has
                now, fitted = (self._network.dtype.name if v is None else v for v in (now, fitted))
            if not _same(_canonical(name, now, n_hidden), _canonical(name, fitted, n_hidden)):
                raise ValueError(
                    f"{name}: warm_start and partial_fit continue the fitted network, built with {name}={fitted!r}; "
                    f"got {now!r}. Set warm_start=False (or call fit) to build a new one"
                )

    def _initialise(self, n_features: int, n_outputs: int, dtype, rng) -> None:
        """A fresh network and fresh fitted attributes (first fit, or fit without warm_start)."""
        output, loss = self._output_and_loss(n_outputs)
        sizes = [n_features, *self._hidden_sizes(), n_outputs]
        self._network = _EncodedNetwork(
            sizes, activation=self.activation, output=output, loss=loss, dropout=self.dropout, seed=rng, dtype=dtype
        )
        self._network.multilabel_ = getattr(self, "_multilabel", False)
        self._network.label_binarizer = getattr(self, "_binarizer", None)  # encodes a callback's labels as fit does
        self._architecture = {name: copy.deepcopy(getattr(self, name)) for name in self.ARCHITECTURE}
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes)
        self.out_activation_ = SKLEARN_NAMES.get(self._network.output_activation.name, self._network.output_activation.name)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._optimiser_state = None
        self._learning_rate = float(self.learning_rate_init)
        self._no_improvement_count = 0
        self._start_stopping_records()

    def _start_stopping_records(self) -> None:
        """The records scikit-learn's stopping rule keeps: on the validation split with early_stopping."""
        self._stopping_on_validation = self.solver in STOCHASTIC and bool(self.early_stopping)
        self._records_stochastic = self.solver in STOCHASTIC  # (L-BFGS keeps no best_loss_)
        self._best_parameters = None  # (those of an earlier early-stopping fit are not this one's best)
        if self._stopping_on_validation:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
            self.validation_loss_curve_ = []
        else:
            self.validation_scores_ = self.best_validation_score_ = self.validation_loss_curve_ = None
            self.best_loss_ = np.inf if self.solver in STOCHASTIC else None

    def _split_validation(self, X, T, y_labels, sample_weight, rs):
        # as scikit-learn: stratified for binary classification only
        stratify = y_labels if isinstance(self, ClassifierMixin) and self.n_outputs_ == 1 else None
        arrays = [X, T, y_labels] + ([] if sample_weight is None else [sample_weight])
        try:
            fraction = float(self.validation_fraction) if isinstance(self.validation_fraction, Real) else self.validation_fraction
            parts = train_test_split(*arrays, random_state=rs, test_size=fraction, stratify=stratify)
        except ValueError as exc:
            raise ValueError(f"validation_fraction: {self.validation_fraction} of {X.shape[0]} examples cannot be held out ({exc})") from None
        X_tr, X_val, T_tr, T_val, y_tr, y_val = parts[:6]
        w_tr, w_val = (parts[6], parts[7]) if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                f"validation_fraction: the validation set has {X_val.shape[0]} example(s); expected at least 2. "
                "Increase validation_fraction or the size of your data set."
            )
        if w_val is not None and not w_val.sum() > 0:  # its cost and score, sums weighted by w / sum w, are undefined
            raise ValueError(
                f"sample_weight: every example held out by validation_fraction={self.validation_fraction} has weight 0; "
                "expected at least one positive weight among them"
            )
        return X_tr, T_tr, y_tr, w_tr, (X_val, T_val, y_val, w_val)

    # ------------------------------------------------------------------ prediction

    def _outputs(self, X):
        """y = a^L of shape (n, N_L) for validated X, densifying sparse input a chunk at a time."""
        net = self._network
        if not hasattr(X, "toarray"):
            return net.predict_output(X)
        out = np.empty((X.shape[0], net.sizes[-1]), dtype=net.dtype)
        for lo in range(0, X.shape[0], PREDICT_CHUNK):
            out[lo : lo + PREDICT_CHUNK] = net.predict_output(X[lo : lo + PREDICT_CHUNK].toarray())
        return out

    def _forward(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)
        return self._outputs(X)

    # ------------------------------------------------------------------ parameters, both orientations

    @property
    def weights_(self) -> list:
        """W^l for l = 1..L, shape (N_l, N_{l-1}) (the lecture's orientation); the arrays themselves."""
        check_is_fitted(self)
        return self._network.weights

    @property
    def biases_(self) -> list:
        """b^l for l = 1..L, shape (N_l,)."""
        check_is_fitted(self)
        return self._network.biases

    @property
    def coefs_(self) -> list:
        """scikit-learn's orientation: ``coefs_[i]`` = (W^{i+1})^T, shape (N_i, N_{i+1}) (views).

        As in scikit-learn, ``est.coefs_[i] = array`` and ``est.coefs_ = [...]`` set the weights
        (copied into W^{i+1}, in the network's dtype).
        """
        return _WriteThrough("coefs_", [W.T for W in self.weights_])

    @coefs_.setter
    def coefs_(self, arrays) -> None:
        _WriteThrough("coefs_", [W.T for W in self.weights_]).assign_all(arrays)

    @property
    def intercepts_(self) -> list:
        """scikit-learn's name for the biases: ``intercepts_[i]`` = b^{i+1}, shape (N_{i+1},); settable as ``coefs_``."""
        return _WriteThrough("intercepts_", list(self.biases_))

    @intercepts_.setter
    def intercepts_(self, arrays) -> None:
        _WriteThrough("intercepts_", list(self.biases_)).assign_all(arrays)

    @property
    def network_(self) -> Network:
        """The trained :class:`deltaprop.Network`."""
        check_is_fitted(self)
        return self._network

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        N_1, ..., N_{L-1}: the sizes of the hidden layers.
    activation : str or sequence of str, default="relu"
        sigma of the hidden layers, one name for all or one per hidden layer:
        ``"logistic"`` (= ``"sigmoid"``), ``"tanh"``, ``"relu"``,
        ``"leaky_relu"``, ``"identity"``.
    solver : {"adam", "sgd", "lbfgs", "gd"}, default="adam"
        ``"gd"`` is deltaprop's full-batch gradient descent.
    alpha : float >= 0, default=1e-4
        L2 strength as in scikit-learn: penalty (alpha / 2) ||W||^2 / n_batch.
    batch_size : int or "auto", default="auto"
        Mini-batch size for sgd and adam; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        eta schedule for sgd and gd, as in scikit-learn (ignored by adam).
        deltaprop's schedules ("step", "cosine", "exponential" or a function
        (eta0, epoch, n_epochs) -> eta) work with every mini-batch solver.
    learning_rate_init : float > 0, default=1e-3
    power_t : float >= 0, default=0.5
        Exponent of ``invscaling``: eta = learning_rate_init / (t + 1)^power_t.
    max_iter : int >= 1, default=200
        Epochs for sgd/adam/gd, iterations for lbfgs.
    shuffle : bool, default=True
    random_state : int, RandomState or None
        Seeds the initial weights, shuffling, dropout and the validation split.
    tol : float >= 0, default=1e-4
        Improvement needed over ``n_iter_no_change`` epochs; lbfgs's gtol.
    verbose : bool, default=False
        Print scikit-learn's progress lines ("Iteration N, loss = ...", "Validation score: ..."
        with early_stopping; none for lbfgs, as in scikit-learn).
    warm_start : bool, default=False
        Start ``fit`` from the current weights (the optimiser restarts, as in
        scikit-learn; ``partial_fit`` keeps its state between calls).
    momentum : float in [0, 1], default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when the validation
        score stops improving and keep the best weights.
    validation_fraction : float in [0, 1), default=0.1
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
    epsilon : float > 0, default=1e-8
    n_iter_no_change : int >= 1 or np.inf (never stop on tol), default=10
    max_fun : int >= 1, default=15000
        Most cost evaluations for lbfgs.
    dropout : float or sequence of float in [0, 1), default=0
        Probability of dropping each hidden unit during training (one value
        for all hidden layers or one per hidden layer).
    clip_norm : float > 0 or None, default=None
        Scale each mini-batch gradient (all weights and biases together) down
        to this Euclidean length when it is longer (PyTorch's ``clip_grad_norm_``).
        Not for lbfgs.
    callbacks : list of deltaprop callbacks or None
        See :mod:`deltaprop.callbacks`; they get each epoch's logs.
    dtype : None, "float32" or "float64", default=None
        None follows X (float32 stays float32, everything else is float64).
"""

_ATTRIBUTES_DOC = """
    n_features_in_ : int
    feature_names_in_ : array of str, when X was a DataFrame with string column names.
    loss_ : float, the training cost C of the last epoch.
    loss_curve_ : list of float, C per epoch (per iteration for lbfgs), across warm starts.
    validation_loss_curve_ : list of float or None, the validation cost per epoch (early_stopping).
    validation_scores_, best_validation_score_ : the validation score per epoch
        and the best (early_stopping), as in scikit-learn.
    best_loss_ : float or None, the lowest training cost (stochastic solvers without early_stopping).
    weights_, biases_ : lists of L arrays: W^l of shape (N_l, N_{l-1}) and b^l of
        shape (N_l,), the lecture's orientation.
    coefs_, intercepts_ : scikit-learn's orientation, ``coefs_[i]`` of shape
        (N_i, N_{i+1}) (the transposes of ``weights_``), for code written for MLP.
    n_iter_ : int, epochs (lbfgs: iterations) run by the last call.
    t_ : int, training examples seen by the stochastic solvers.
    n_layers_ : int, L + 1 (scikit-learn counts the input layer).
    n_outputs_ : int, N_L.
    out_activation_ : str, the output activation's name as scikit-learn says it ("logistic", "softmax",
        "identity", "exp" for loss="poisson").
    network_ : deltaprop.Network, the trained network.
"""


class DeltapropClassifier(ClassifierMixin, _DeltapropMLP):
    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        clip_norm=None,
        loss="log_loss",
        class_weight=None,
        callbacks=None,
        dtype=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.loss = loss
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.dtype = dtype

    # -- labels

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, dtype=(np.float64, np.float32), reset=reset
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if classes is not None:
            classes = np.asarray(classes)
            if classes.ndim != 1 or len(classes) == 0:
                raise ValueError(f"classes: expected a 1-D array of all the class labels; got {classes.tolist()!r:.80}")
            try:
                np.unique(classes)
            except TypeError:
                raise ValueError(f"classes: expected labels of one kind, which can be sorted; got {classes.tolist()!r:.80}") from None
        if incremental and not hasattr(self, "_network"):  # the first partial_fit (or a retry of one that raised)
            if classes is None and not multilabel:
                raise ValueError("classes: expected the array of all classes on the first call to partial_fit; got None")
            if multilabel and classes is not None and len(classes) != y.shape[1]:
                raise ValueError(f"classes: expected one per column of the multi-label y ({y.shape[1]}); got {np.asarray(classes).tolist()}")
            if classes is not None and not multilabel and len(unseen := np.setdiff1d(unique_labels(y), classes)):
                raise ValueError(f"y: has classes not in classes={np.asarray(classes).tolist()}: {unseen.tolist()}")
            # an indicator matrix gives its own columns as the classes (as scikit-learn's MLP)
            self._binarizer = LabelBinarizer().fit(y if classes is None or multilabel else classes)
            self.classes_ = self._binarizer.classes_
        elif not hasattr(self, "classes_") or reset:
            self._binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._binarizer.classes_
        else:
            if incremental and classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise ValueError(
                    f"classes: expected the classes of the first call to partial_fit {self.classes_.tolist()} (or None); "
                    f"got {np.asarray(classes).tolist()}"
                )
            fitted_multilabel = self._binarizer.y_type_.startswith("multilabel")
            if multilabel != fitted_multilabel or (multilabel and y.shape[1] != len(self.classes_)):
                # (a label k would be read as "only column k present", and the model retrained on that)
                expected = (f"a multi-label indicator matrix of {len(self.classes_)} columns" if fitted_multilabel
                            else f"one label per example, among {self.classes_.tolist()}")
                got = f"an indicator matrix of shape {y.shape}" if multilabel else f"labels of shape {y.shape}"
                raise ValueError(f"y: the fitted model learns {expected}; got {got}. Set warm_start=False (or call "
                                 f"fit) to learn other targets")
            present = unique_labels(y)
            if self.warm_start and not incremental and set(present) != set(self.classes_):
                raise ValueError(
                    f"y: warm_start needs the classes of the previous fit {self.classes_.tolist()}; got {present.tolist()}"
                )
            if len(np.setdiff1d(present, self.classes_)):
                raise ValueError(f"y: has classes not in classes_ {self.classes_.tolist()}; got {present.tolist()}")
        self._multilabel = self._binarizer.y_type_.startswith("multilabel")
        return X, self._encode(y), y

    def _encode(self, y):
        """t of shape (n, K) float64 for labels y (n,), as LabelBinarizer's transform gives it: one-hot among
        ``classes_``, one column 1[y = classes_[1]] for two classes. Single labels are looked up directly: the
        transform checks y's type five times over, a third of a small partial_fit call."""
        classes = self.classes_
        if self._binarizer.y_type_.startswith("multilabel") or len(classes) < 2 or np.ndim(y) != 1:
            return self._binarizer.transform(y).astype(np.float64)
        index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)  # (classes_ sorted, as np.unique gives)
        if not np.all(classes[index] == y):  # (a label not among them: the transform's own handling)
            return self._binarizer.transform(y).astype(np.float64)
        if len(classes) == 2:
            return (index == 1).astype(np.float64)[:, None]
        T = np.zeros((len(y), len(classes)))
        T[np.arange(len(y)), index] = 1.0
        return T

    def _weights_with_classes(self, sample_weight, y, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError("class_weight: not supported for multi-label targets; use sample_weight")
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"class_weight: expected None, 'balanced' or a dict {{class: weight}}; got {self.class_weight!r}")
            if incremental:
                raise ValueError("class_weight: 'balanced' is not supported by partial_fit (the class counts are unknown); use a dict")
            # n / (n_classes * count of c), counting each example by its sample weight (as scikit-learn
            # does), so that an integer weight still equals repeating the example
            present, index = np.unique(y, return_inverse=True)
            counts = np.bincount(index, weights=sample_weight)
            # a class whose examples all weigh 0 keeps weight 0 (its examples count for nothing either way)
            balanced = np.divide(counts.sum(), len(present) * counts, out=np.zeros(len(counts)), where=counts > 0)
            per_class = dict(zip(present, balanced))
        elif isinstance(self.class_weight, dict):
            per_class = self.class_weight
            classes = set(self.classes_.tolist())
            unknown = [k for k in per_class if k not in classes]
            if unknown:  # a misspelt class would silently keep weight 1 (scikit-learn refuses it too)
                raise ValueError(f"class_weight: {unknown} are not classes; the classes are {self.classes_.tolist()}")
            for label, weight in per_class.items():  # (else float() failed bare, or "2" passed as 2.0)
                if isinstance(weight, bool) or not isinstance(weight, Real) or not (math.isfinite(weight) and weight >= 0):
                    raise ValueError(f"class_weight: expected a finite number >= 0 for each class; got {weight!r:.40} "
                                     f"for class {label!r}")
        else:
            raise ValueError(f"class_weight: expected None, 'balanced' or a dict {{class: weight}}; got {self.class_weight!r}")
        w = np.array([float(per_class.get(label, 1.0)) for label in y])
        if not w.any():
            raise ValueError(f"class_weight: gives every example weight 0 (got {self.class_weight!r:.80}); expected a "
                             f"weight > 0 for at least one class present in y")
        return _checked_sample_weight(w if sample_weight is None else w * sample_weight, len(y))

    def _output_and_loss(self, n_outputs: int):
        softmax = self._binarizer.y_type_ == "multiclass"
        if isinstance(self.loss, str) and self.loss == "log_loss":
            return ("softmax", "cross_entropy") if softmax else ("sigmoid", "binary_cross_entropy")
        loss = get_loss(self.loss, argument="loss")
        wanted = "softmax" if softmax else "sigmoid"
        if loss.outputs is not None and wanted not in loss.outputs:
            kind = "multiclass" if softmax else "binary and multi-label"
            raise ValueError(f"loss: {loss.name!r} needs output {loss.outputs[0]!r}, which does not fit {kind} targets")
        return wanted, loss

    def _score_on(self, X, y, sample_weight) -> float:
        return float(accuracy_score(y, self._labels(self._outputs(X)), sample_weight=sample_weight))

    # -- public API

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y), continuing the weights and the optimiser's state.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or an indicator matrix (multi-label)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array of all class labels; required on the first call
            (not for multi-label); later calls may repeat it, not change it.

        Returns
        -------
        self
        """
        if isinstance(classes, (set, frozenset)):  # (NumPy would make one object of the set)
            try:
                classes = sorted(classes)
            except TypeError:
                raise TypeError(f"classes: expected labels of one kind that can be ordered; got {classes!r:.80}") from None
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _labels(self, out):
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._binarizer.inverse_transform(out)

    def predict(self, X):
        """Class labels, shape (n_samples,), or an indicator matrix (n_samples, n_classes) for multi-label."""
        return self._labels(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes) in the order of ``classes_``
        (for multi-label, each label's own probability)."""
        out = self._forward(X)
        if self.n_outputs_ == 1:
            return np.hstack([1 - out, out])
        return out

    def predict_log_proba(self, X):
        """log of :meth:`predict_proba`, same shape."""
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(p, out=p)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class DeltapropRegressor(RegressorMixin, _DeltapropMLP):
    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        clip_norm=None,
        loss="squared_error",
        callbacks=None,
        dtype=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.loss = loss
        self.callbacks = callbacks
        self.dtype = dtype

    def _validate_input(self, X, y, incremental, reset, classes):
        if hasattr(y, "toarray"):
            raise ValueError(f"y: expected a dense array of regression targets; got a sparse {type(y).__name__} "
                             f"(pass y.toarray())")
        if hasattr(y, "__len__") and np.asarray(y).dtype.kind in "OUS":
            try:
                np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"y: expected real-valued regression targets; got {np.asarray(y)[:5]!r}...") from None
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
            dtype=(np.float64, np.float32), reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        T = y.reshape(len(y), -1).astype(np.float64)
        low = get_loss(self.loss, argument="loss").targets_at_least
        if low is not None and (below := y < low).any():  # here, by the user's index: fit sees the split and shuffle
            index = [int(i) for i in np.argwhere(below)[0]]
            raise ValueError(f"y: loss {self.loss!r} is defined for targets >= {low:g}; got {y[tuple(index)]} at "
                             f"{index} ({int(below.sum())} in all)")
        if not reset and T.shape[1] != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} target(s) per example as in the previous fit; got {T.shape[1]}")
        return X, T, y

    def _encode(self, y):
        return np.asarray(y, dtype=np.float64).reshape(len(y), -1)

    def _weights_with_classes(self, sample_weight, y, incremental):
        return sample_weight

    def _output_and_loss(self, n_outputs: int):
        loss = get_loss(self.loss, argument="loss")
        if loss.classification:
            others = " or ".join(repr("squared_error" if n == "quadratic" else n) for n, l in LOSSES.items() if not l.classification)
            given = self.loss if isinstance(self.loss, str) else loss.name
            also = "" if given == loss.name else f" ({loss.name!r})"
            raise ValueError(f"loss: {given!r}{also} is a classification loss; expected {others} for regression")
        return (loss.outputs[0] if loss.outputs is not None else "identity"), loss  # poisson: y = e^z, as scikit-learn

    def _score_on(self, X, y, sample_weight) -> float:
        return float(r2_score(y, self._predict_values(self._outputs(X)), sample_weight=sample_weight))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the weights and the optimiser's state.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _predict_values(self, out):
        return out.ravel() if out.shape[1] == 1 else out

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        return self._predict_values(self._forward(X))


DeltapropClassifier.__doc__ = (
    """A multi-layer perceptron classifier trained by deltaprop's backpropagation;
    a drop-in replacement for ``sklearn.neural_network.MLPClassifier``.

    Binary targets get one sigmoid output unit, multiclass targets a softmax
    layer with cross-entropy, multi-label indicator matrices one sigmoid unit
    per label with binary cross-entropy (as in scikit-learn). Labels may be
    of any type (strings, integers).
"""
    + _PARAMETERS_DOC
    + """    loss : "log_loss" or a deltaprop loss name (e.g. "quadratic"), default="log_loss"
    class_weight : dict {class: weight}, "balanced" or None
        Multiplies each example's weight by its class's weight.

    Attributes
    ----------
    classes_ : array of the class labels.
"""
    + _ATTRIBUTES_DOC
)

DeltapropRegressor.__doc__ = (
    """A multi-layer perceptron regressor trained by deltaprop's backpropagation;
    a drop-in replacement for ``sklearn.neural_network.MLPRegressor``.

    The output layer is the identity with the quadratic cost 1/2 ||y - t||^2,
    summed over the K outputs (with ``loss="poisson"``, y = e^z with half the
    Poisson deviance). ``loss_``, ``loss_curve_``, ``best_loss_`` and
    ``validation_loss_curve_`` are scikit-learn's: that cost divided by K, plus
    the L2 term, so that ``tol`` stops multi-output training where
    scikit-learn's does (the gradient is the same in both); ``verbose`` prints
    ``loss_curve_``, as scikit-learn does. Multi-output targets work.
"""
    + _PARAMETERS_DOC
    + """    loss : "squared_error" (= deltaprop's "quadratic") or "poisson", default="squared_error"
        "poisson": half the Poisson deviance with y = e^z, for targets >= 0
        (counts, rates), as scikit-learn's.

    Attributes
    ----------
"""
    + _ATTRIBUTES_DOC
)
