"""Training: gradient descent and its relatives over the examples, with callbacks.

The lecture's algorithm::

    Initialization: start at theta^0
    while (theta^{i+1} != theta^i)
        compute the gradients at theta^i              (backpropagation)
        theta^{i+1} <- theta^i - eta grad C(theta^i)

``optimiser="gd"`` is exactly that on the whole data set, stopping when no
parameter changes by more than ``tol`` or after ``epochs`` steps. ``sgd`` and
``adam`` take the same step on shuffled mini-batches; ``lbfgs`` hands
deltaprop's exact gradient to SciPy's L-BFGS.

Callbacks: any object with some of the methods of :class:`deltaprop.callbacks.Callback`, whose
module states the protocol; each gets the :class:`Run`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from . import kernels
from .callbacks import Callback
from .checks import boolean, integer, real
from .fastpath import Workspace
from .files import writable_path
from .network import Network, aligned_zeros, check_network, joined, parameter_name, views_of, weights_fit_dtype
from .optimisers import (LBFGS, OPTIMISERS, SCHEDULES, apply_update, default_learning_rate, full_batch_optimisers,
                         get_optimiser, get_schedule, is_elementwise, is_registry_optimiser, optimiser_name, records_settings,
                         schedule_description, settings_of)

__all__ = ["fit", "History", "Run", "DivergenceError", "OptimiserState"]

Array = np.ndarray

#: How History.stop_reason starts when SciPy's L-BFGS reports convergence (status 0).
LBFGS_CONVERGED = "L-BFGS converged"
#: Epochs when neither fit's caller nor the optimiser (``default_epochs``) says.
DEFAULT_EPOCHS = 10
#: fit's keyword arguments that set a registry optimiser's field of the same name.
FIT_SETTINGS = ("momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho", "weight_decay")


class DivergenceError(FloatingPointError, ValueError):
    """The cost became NaN or infinite; the network was left at its last finite parameters.

    A ValueError too, as scikit-learn's MLP raises for non-finite weights: code that catches that
    catches this.

    Attributes
    ----------
    reason : str, what became non-finite and when ("the cost became nan in epoch 3 (batch 7)").
    learning_rate : float or None, the learning rate of that epoch (None for L-BFGS).
    """

    def __init__(self, reason: str, learning_rate: float | None = None, kept_epoch: int | None = None) -> None:
        message = reason
        if learning_rate is not None:
            message += (f"; try a smaller learning rate than {learning_rate:g}. The network keeps its "
                        f"parameters from the start of epoch {kept_epoch}.")
        super().__init__(message)
        self.reason, self.learning_rate = reason, learning_rate


@dataclass
class History:
    """What happened in each epoch of ``fit``.

    Attributes
    ----------
    loss : list of float, the training cost C of each epoch (mean over its
        mini-batches, L2 term included).
    accuracy : list of float, training accuracy per epoch (classification).
    val_loss, val_accuracy : list of float, on the validation data, if any
        (val_loss weighs its examples as loss does, by their sample weights).
    learning_rate : list of float, eta used in each epoch.
    time : list of float, seconds per epoch.
    metrics : dict, ``{"val_<name>": list of float}`` for each of fit's ``metrics``.
    stop_reason : str, why training ended.
    optimiser_state : OptimiserState or None, the optimiser's memory at the
        end (pass it to ``fit(optimiser_state=...)`` to continue training).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    stop_reason: str = ""
    optimiser_state: "OptimiserState | None" = field(default=None, repr=False)

    #: The quantities every run may record (fit's ``metrics`` add their own keys, in ``metrics``).
    KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time")

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"metrics": {}} | state)  # (a history pickled before metrics has none)

    def keys(self) -> tuple[str, ...]:
        """Every key this history has values under: ``KEYS`` and those of fit's metrics."""
        return self.KEYS + tuple(self.metrics)

    def values(self, key: str) -> list[float]:
        """The per-epoch values of ``key`` (one of :meth:`keys`)."""
        return getattr(self, key) if key in self.KEYS else self.metrics.get(key, [])

    @classmethod
    def from_dict(cls, saved: dict, epochs: int | None = None) -> "History":
        """A history from :meth:`as_dict`'s lists (the first ``epochs`` of each, where given), without its stop_reason."""
        lists = {k: list(v)[:epochs] for k, v in saved.items() if k != "stop_reason" and isinstance(v, list)}
        return cls(**{k: lists.pop(k, []) for k in cls.KEYS}, metrics=lists)

    @property
    def epochs(self) -> int:
        """The number of completed epochs (for ``gd``, steps)."""
        return len(self.loss)

    def last(self) -> dict[str, float]:
        """The latest value of each recorded quantity."""
        return {k: self.values(k)[-1] for k in self.keys() if self.values(k)}

    def as_dict(self) -> dict:
        """Every key's list (fit's metrics beside the others) and the stop_reason, as JSON values."""
        return {k: list(self.values(k)) for k in self.keys()} | {"stop_reason": self.stop_reason}


@dataclass
class OptimiserState:
    """A mini-batch optimiser with its memory (velocities, Adam moments) and step count.

    ``fit`` leaves one in ``History.optimiser_state``; passing it back as
    ``fit(optimiser_state=...)`` continues where that run stopped (incremental
    training, warm starts) instead of starting the optimiser afresh.
    ``states[k]`` belongs to ``net.parameters()[k]``.
    """

    optimiser: object
    states: list
    step: int = 0
    #: The base learning rate eta0 the run ended with (after any ReduceLROnPlateau cut); fit continues with it.
    learning_rate: float | None = None


@dataclass
class Run:
    """The state of a training run that callbacks see and may change."""

    net: Network
    optimiser: object
    states: list
    history: History
    epochs: int
    eta0: float | None
    n_train: int
    batch_size: int
    rng: np.random.Generator
    epoch: int = 0
    step: int = 0
    stop: bool = False
    stop_reason: str = ""
    val_data: tuple | None = None  #: (X_val, T_val), the validation examples and their encoded targets
    #: The validation examples' weights w_n, normalised to mean 1 (None: all 1), so val_loss = sum w c / sum w.
    val_weights: np.ndarray | None = None
    first_epoch: int = 0
    split_seed: int | None = None
    checkpoint_path: object = None
    checkpoint_every: int = 1
    #: gd only: the largest change of any parameter in the last step (the tol test), saved in checkpoints.
    last_change: float | None = None
    #: The base learning rate of the run's first epoch, before any ReduceLROnPlateau (None for L-BFGS).
    first_eta0: float | None = None
    #: The data part C of the last mini-batch's cost (its loss less the L2 term): for callbacks that weigh them apart.
    batch_cost: float | None = None
    #: fit's clip_norm: a longer gradient is scaled to this length before each update (None: not clipped).
    clip_norm: float | None = None
    #: The optimiser settings given to fit (a registry optimiser's): a resumed run refuses other values.
    explicit_options: dict = field(default_factory=dict)
    #: The callbacks of this fit, and what a resumed run's checkpoint kept of them ({key: {name: array}}).
    callbacks: list = field(default_factory=list)
    callback_arrays: dict = field(default_factory=dict)
    callbacks_warned: set = field(default_factory=set)  #: callbacks whose arrays checkpoints left out
    #: What checkpoints record for a resumed run to be checked against (None when not recorded): the
    #: batch_size and validation_fraction given to fit, the data's fingerprint and fit's checkpoint_info.
    batch_size_given: int | None = None
    validation_fraction: float | None = None
    data_fingerprint: dict | None = None
    checkpoint_info: dict | None = None
    #: fit's shuffle and its schedule's name ("function" for one of the caller's): checkpoints record them.
    shuffle: bool | None = None
    schedule_name: str | None = None
    #: The exception training raised, for ``on_train_end`` (None while it runs and when it ends normally).
    error: BaseException | None = None
    #: fit's metrics: {name: metric(y_true, y_pred) -> float}, measured on the validation data each epoch.
    metrics: dict = field(default_factory=dict)

    def recorded_keys(self) -> list[str]:
        """The history keys every epoch of this run records (what a callback may monitor)."""
        classify = self.net.is_classifier
        validation = ["val_loss"] + (["val_accuracy"] if classify else []) if self.val_data is not None else []
        validation += [f"val_{name}" for name in self.metrics] if self.val_data is not None else []
        return ["loss"] + (["accuracy"] if classify else []) + validation + ["learning_rate", "time"]


def _evaluate(net: Network, X: Array, T: Array, w: Array | None = None, metrics: dict | None = None) -> tuple:
    """The validation cost (weighted by w, mean 1, where given) with the L2 term, the (unweighted) accuracy, and
    {"val_<name>": metric(y_true, y_pred)} for each of ``metrics`` (unweighted, as the accuracy)."""
    y, zL = net.output_and_logits(X)
    loss = net.cost_of(y, T, w, z=zL) + net.penalty()
    acc = net.count_correct(y, T) / X.shape[0] if net.is_classifier else None
    values = {}
    if metrics:
        # labels as predict gives them (classes, 0/1 indicators, or the outputs of a regression), the true ones read
        # from the encoded targets T as predict reads outputs: each one-hot row (or 0/1) is its class
        y_true, y_pred = net.labels_of_outputs(T), net.labels_of_outputs(y)
        for name, metric in metrics.items():
            try:
                value = metric(y_true, y_pred)
            except Exception as exc:  # (which metric, said: a bare ZeroDivisionError names none)
                raise ValueError(f"metrics[{name!r}]: {name}(y_true, y_pred) raised {type(exc).__name__}: {exc}") from exc
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise ValueError(f"metrics[{name!r}]: expected a finite number from {name}(y_true, y_pred); got {value!r:.60}")
            values[f"val_{name}"] = float(value)
    return loss, acc, values


def check_callbacks(callbacks: list) -> None:
    """Refuse an entry that is no callback object, naming its index ``callbacks[i]``."""
    for i, cb in enumerate(callbacks):
        if isinstance(cb, type):
            raise TypeError(f"callbacks[{i}]: expected a callback object; got the class {cb.__name__} (make one: {cb.__name__}(...))")
        if not any(callable(getattr(cb, event, None)) for event in CALLBACK_EVENTS):
            raise TypeError(f"callbacks[{i}]: expected an object with any of the methods {', '.join(CALLBACK_EVENTS)} "
                            f"(see deltaprop.callbacks); got {type(cb).__name__} {cb!r:.60}")


class Recorded(NamedTuple):
    """What fit was given that ``_setup`` checks an optimiser_state or a resumed checkpoint against."""

    optimiser: object  #: the optimiser as given (a name or an object)
    learning_rate_given: bool
    shuffle: bool
    schedule_name: str
    metrics: dict


def _checked_metrics(metrics, validation: bool) -> dict:
    """fit's ``metrics`` as a dict of names (history keys val_<name> of their own) and functions, or an error."""
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics: expected a dict {{name: metric(y_true, y_pred)}}; got {type(metrics).__name__} {metrics!r:.60}")
    for name, metric in metrics.items():
        if not (isinstance(name, str) and name.isidentifier()) or f"val_{name}" in History.KEYS:
            taken = f" (val_{name} is already recorded)" if isinstance(name, str) and f"val_{name}" in History.KEYS else ""
            raise ValueError(f"metrics: expected names such as 'f1' (recorded as val_f1){taken}; got {name!r}")
        if not callable(metric):
            raise TypeError(f"metrics[{name!r}]: expected a function metric(y_true, y_pred) -> float; got {metric!r:.60}")
    if metrics and not validation:
        raise ValueError(f"metrics: measured on the validation data, which this fit has none of; got metrics "
                         f"{list(metrics)}. Give validation_data or validation_fraction")
    return dict(metrics)


def _schedule_name(schedule) -> str:
    """What a checkpoint records of fit's schedule function: a registry schedule's or a schedule maker's description
    ("cosine(eta_min=0.0)", for "cosine" and cosine() alike), else its key in SCHEDULES (one added there), else
    "function" (one of the caller's, not compared)."""
    from .optimisers import schedule_name  # (here: schedule_name is a parameter's name in this module too)

    return schedule_name(schedule) or "function"


def _refuse_same_outputs(checkpoint, resume, callbacks: list) -> None:
    """Refuse a checkpoint, ModelCheckpoint or CSVLogger file that is another's, or the resumed checkpoint
    (fit may write its checkpoint where it resumes from: the run goes on in it)."""
    from .callbacks import CSVLogger, ModelCheckpoint
    from .files import refuse_same_files

    files = [(f"callbacks[{i}] ({type(cb).__name__} path)", cb.path) for i, cb in enumerate(callbacks)
             if isinstance(cb, CSVLogger) or (isinstance(cb, ModelCheckpoint) and "{" not in cb.path)]
    resumed = resume if isinstance(resume, (str, os.PathLike)) else None
    refuse_same_files(files, [("resume", resumed)])
    refuse_same_files([("checkpoint", checkpoint), *files])


def _validation_triple(validation_data) -> tuple:
    """(X_val, y_val, sample_weight_val or None) from the pair or triple given as ``validation_data``."""
    try:
        Xv, yv, *rest = validation_data
    except (TypeError, ValueError):
        rest = [None, None]
    if len(rest) > 1:
        raise ValueError(f"validation_data: expected a pair (X_val, y_val) or a triple (X_val, y_val, sample_weight_val); "
                         f"got {type(validation_data).__name__} {validation_data!r:.60}")
    return Xv, yv, (rest[0] if rest else None)


def _split_validation(X, T, w, fraction, rng):
    n = X.shape[0]
    n_val = int(round(n * fraction))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(f"validation_fraction: {fraction} of {n} examples leaves an empty training or validation set")
    perm = rng.permutation(n)
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    w_val = None
    if w is not None:
        w, w_val = w[train], w[val]
        for part, where in ((w, "left for training"), (w_val, "held out for validation")):
            if not part.sum() > 0:
                raise ValueError(f"sample_weight: every example {where} by validation_fraction={fraction} has weight 0; "
                                 f"expected a positive weight among them")
        # each part's weights mean 1 again: C = sum w c / sum w over it
        w, w_val = (part * part.dtype.type(len(part) / part.sum()) for part in (w, w_val))
    return X[train], T[train], w, (X[val], T[val]), w_val


def fit(
    net: Network,
    X,
    y,
    *,
    optimiser=None,
    learning_rate: float | None = None,
    epochs: int | None = None,
    batch_size: int = 200,
    schedule="constant",
    momentum: float | None = None,
    nesterov: bool | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
    epsilon: float | None = None,
    rho: float | None = None,
    weight_decay: float | None = None,
    clip_norm: float | None = None,
    tol: float | None = None,
    shuffle: bool = True,
    sample_weight=None,
    validation_data: tuple | None = None,
    validation_fraction: float = 0.0,
    callbacks=(),
    metrics: dict | None = None,
    verbose: bool = False,
    fused: bool = True,
    optimiser_state: OptimiserState | None = None,
    checkpoint=None,
    checkpoint_every: int = 1,
    resume=None,
    catch_interrupt: bool = True,
    checkpoint_info: dict | None = None,
    classes=None,
) -> History:
    """Train ``net`` on (X, y) by backpropagation.

    Parameters
    ----------
    X : array of shape (n, N_0), or a SciPy sparse matrix: kept sparse, each mini-batch
        densified in turn (the same numbers as the dense X; L-BFGS densifies it whole).
    y : labels of shape (n,), or targets of shape (n, N_L) (one-hot,
        multi-label indicators or real values); see ``Network.encode_targets``.
        Training continues from the network's parameters, and a network that has
        classes (from an earlier fit or a model file) keeps them: y's labels must
        be among them (a new Network learns other classes).
    optimiser : "gd", "sgd", "adam", "adamw", "rmsprop", "lbfgs" or an optimiser
        object (see ``deltaprop.optimisers``; ``AdamW(weight_decay=...)``).
        Default: "adam", or with ``optimiser_state`` that state's optimiser; with ``resume``, the checkpoint's.
    learning_rate : float > 0, eta (default: gd 0.5, sgd 0.01, adam, adamw and
        rmsprop 0.001; with ``optimiser_state``, the base rate that run ended
        with; with ``resume``, the checkpoint's). Not for lbfgs.
    epochs : int >= 1, passes over the data (for gd and lbfgs: iterations,
        default 1000 and 200; otherwise 10).
    batch_size : int >= 1, examples per mini-batch (capped at n); ignored by
        gd and lbfgs, which use every example in every step.
    schedule : "constant", "step", "cosine", "exponential" or a function
        (eta0, epoch, n_epochs) -> eta. Not for lbfgs.
    momentum, nesterov : for sgd (default 0.9, False).   beta_1, beta_2, epsilon :
        for adam and adamw (default 0.9, 0.999, 1e-8; epsilon for rmsprop too).
        rho : for rmsprop (default 0.9).   weight_decay : for adamw, lambda (default 0.01).
        None (the default): the optimiser's own default. A setting the named
        optimiser lacks (momentum for adam), or any beside an optimiser object
        (which carries its own), is refused.
    clip_norm : float > 0, optional. Before each update, a gradient grad C(theta)
        (all W^l and b^l together) longer than this is scaled down to this
        Euclidean length (PyTorch's ``clip_grad_norm_``, Keras's
        ``global_clipnorm``). Not for lbfgs. gd's ``tol`` test looks at the
        unclipped step.
    tol : float >= 0, optional. gd stops once no parameter changed by more
        than tol in a step (default 1e-6); lbfgs passes it as SciPy's gtol. The
        mini-batch optimisers refuse it: stop them with ``EarlyStopping``.
    shuffle : bool, reshuffle the examples every epoch (from the network's seed).
    sample_weight : array of shape (n,), optional, weights of the examples' costs.
    validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), optional;
        val_loss weighs the examples by sample_weight_val where given (and, with
        validation_fraction, by the held-out part of sample_weight).
    validation_fraction : float in [0, 1): hold this share of (X, y) out for
        validation instead, drawn at random at the network's first such fit;
        later fits on the same data hold out the same examples
        (``net.validation_seed``).
    callbacks : sequence of callbacks (see module docstring).
    metrics : dict, optional, ``{name: metric}``: each epoch, ``metric(y_true, y_pred)``
        (scikit-learn's order, e.g. ``lambda t, p: f1_score(t, p, average="macro")``)
        on the validation data, recorded as ``val_<name>`` in ``History.metrics``
        and the callbacks' logs, where EarlyStopping, ReduceLROnPlateau (give their
        ``mode``), CSVLogger and checkpoints see it. y_true and y_pred are what
        ``predict`` gives: class labels (0/1 indicators for multi-label) or outputs.
        Needs validation_data or validation_fraction.
    verbose : bool, print one line per epoch.
    fused : bool, take the y - t shortcut for delta^L where it is exact.
    optimiser_state : OptimiserState, optional, from a previous
        ``History.optimiser_state`` of this network: continue with that
        optimiser, its memory, step count and base learning rate (as PyTorch's
        ``load_state_dict``). Settings given here (momentum, beta_1, ...,
        learning_rate) replace the state's; ``optimiser``, if given, must name
        the state's optimiser (or be an object of its class). The schedule
        starts again from epoch 0. Not for lbfgs.
    checkpoint : path, optional. Write the whole training state (parameters,
        optimiser memory, epoch, random state, history) there atomically every
        ``checkpoint_every`` epochs, after the last one, and when interrupted
        (see ``deltaprop.checkpoint``); ``checkpoint_every=0``: only when
        interrupted. Not for lbfgs.
    resume : path or ``checkpoint.Checkpoint``, optional. Continue the run
        saved there: call ``fit`` with the same data and options; the run
        ends with exactly the parameters of the same run never interrupted.
        Another network, optimiser, optimiser setting given here (momentum, ...;
        those left out are the checkpoint's, as are the optimiser and learning
        rate), batch_size (but for gd), validation_fraction, clip_norm,
        learning_rate, shuffle, schedule, metrics or other data (X and y, checked
        by a fingerprint) than the checkpoint records is refused, as is
        optimiser_state beside resume. An optimiser of your own (a subclass of a
        registry one too) is the object passed here.
    catch_interrupt : bool, default True. The first Ctrl-C (SIGINT) stops
        after the current mini-batch, puts back the parameters of the last
        completed epoch and writes the checkpoint; a second exits at once.
        Only in the main thread.
    checkpoint_info : dict of JSON values, optional. The caller's own record
        of the run, stored in every checkpoint (``Checkpoint.info``); fit
        neither reads nor checks it.
    classes : array of shape (N_L,) (2 for one sigmoid output), optional: every class
        label, for labels y that lack some (scikit-learn's ``partial_fit(classes=)``).
        Without it a new network's classes are y's; whole-number labels that show
        fewer classes than N_L are taken as output indices 0..N_L-1.

    Returns
    -------
    History (also stored as ``net.history``).

    Raises
    ------
    ValueError / TypeError on bad input, before any parameter changes.
    DivergenceError when the cost becomes NaN or infinite; the network is
    left at the parameters it had at the start of that epoch.
    """
    check_network(net)
    rng = net.rng
    if optimiser_state is not None and not isinstance(optimiser_state, OptimiserState):
        raise TypeError(f"optimiser_state: expected the OptimiserState of a previous run (History.optimiser_state); got {optimiser_state!r:.80}")
    if resume is not None and optimiser_state is not None:
        raise ValueError("optimiser_state: a resumed run continues the optimiser its checkpoint kept; got both resume and "
                         "optimiser_state. Leave optimiser_state out")
    resume_path = resume
    if optimiser is None:  # the state's (or checkpoint's) optimiser by its registry name: settings given here apply to it
        saved = None if optimiser_state is None else optimiser_state.optimiser
        # (one whose settings are not its fields goes on as the object itself: its name would give its defaults)
        optimiser = "adam" if saved is None else (saved.name if records_settings(saved) else saved)
        if resume is not None:
            resume = _resumed_checkpoint(resume)  # (read once: _setup takes it as it is)
            name = resume.optimiser["name"]
            if resume.optimiser.get("own", name not in OPTIMISERS):
                raise ValueError(f"optimiser: the checkpoint's run used an optimiser of its own named {name!r}, whose "
                                 f"settings a checkpoint does not record; pass that optimiser object to resume it")
            optimiser = name
    requested = optimiser  # (a name or an object, as given: optimiser_state is checked against it)
    explicit = {}  # the optimiser's settings the caller chose: a resumed run refuses others than its checkpoint's
    given = {k: v for k, v in zip(FIT_SETTINGS, (momentum, nesterov, beta_1, beta_2, epsilon, rho, weight_decay), strict=True) if v is not None}
    if isinstance(optimiser, str) and optimiser in OPTIMISERS:
        # sgd has momentum and nesterov; adam beta_1, beta_2 and epsilon; adamw weight_decay too; rmsprop rho and
        # epsilon. One it lacks
        # would be ignored silently
        settings = settings_of(optimiser)
        for key, value in given.items():
            if key not in settings:
                takes = [s for s in settings if s in FIT_SETTINGS]  # (the others are set on an object: LBFGS(max_fun=...))
                raise ValueError(f"{key}: optimiser {optimiser!r} has no such setting (fit takes for it: "
                                 f"{', '.join(takes) or 'none'}); got {key}={value!r}. Leave {key} out, "
                                 f"or choose an optimiser that has it")
        explicit = given
        optimiser = get_optimiser(optimiser, **explicit)
    else:
        if given and not isinstance(optimiser, str):
            key, value = next(iter(given.items()))
            raise ValueError(f"{key}: an optimiser object carries its own settings; got {key}={value!r} beside "
                             f"optimiser={optimiser!r}. Set it on the object ({type(optimiser).__name__}({key}=...))")
        optimiser = get_optimiser(optimiser)
        if is_registry_optimiser(optimiser) and dataclasses.is_dataclass(optimiser):
            explicit = dataclasses.asdict(optimiser)

    lbfgs = isinstance(optimiser, LBFGS)  # (runs inside SciPy: no checkpoints, dropout, clipping or learning rate)
    learning_rate_given = learning_rate is not None  # (a resumed run refuses another than its checkpoint's)
    if lbfgs:
        for argument, value, unset in (("learning_rate", learning_rate, None), ("schedule", schedule, "constant")):
            if not (value is unset or (isinstance(value, str) and value == unset)):
                raise ValueError(f"{argument}: 'lbfgs' chooses its own step length by a line search and has no learning "
                                 f"rate to set or schedule; got {argument}={value!r:.60}. Leave {argument} out with lbfgs")
    if learning_rate is None and optimiser_state is not None and not lbfgs:
        learning_rate = optimiser_state.learning_rate  # (None in a state of before it was kept)
    if learning_rate is None:
        learning_rate = default_learning_rate(optimiser)
    if learning_rate is not None:  # None for lbfgs, which has no learning rate
        learning_rate = real("learning_rate", learning_rate, 0, low_open=True, what="a finite number")
    if lbfgs and any(net.dropout):
        raise ValueError(
            f"optimiser: 'lbfgs' needs a cost C(theta) that does not change between evaluations; the network "
            f"drops units at random (dropout={net.dropout[:-1]}). Use 'adam' or 'sgd', or a network with dropout=0"
        )
    if lbfgs:
        for argument, value in (("checkpoint", checkpoint), ("resume", resume_path), ("optimiser_state", optimiser_state)):
            if value is not None:
                raise ValueError(
                    f"{argument}: 'lbfgs' runs inside SciPy, which cannot be stopped and continued exactly; "
                    f"got {argument}={value!r:.60}. Use 'adam' or 'sgd' to checkpoint and resume, or leave {argument} out"
                )
    if epochs is None:
        epochs = getattr(optimiser, "default_epochs", DEFAULT_EPOCHS)
    epochs = integer("epochs", epochs)
    batch_size = integer("batch_size", batch_size)
    schedule = get_schedule(schedule)
    checkpoint_every = integer("checkpoint_every", checkpoint_every, minimum=0)
    if tol is not None:
        tol = real("tol", tol, 0)
        if not lbfgs and not getattr(optimiser, "full_batch", False):
            raise ValueError(f"tol: only the whole-set optimisers ({', '.join(full_batch_optimisers())}) stop on tol; got "
                             f"tol={tol:g} with optimiser {optimiser_name(optimiser)!r}. To stop "
                             f"when the cost no longer improves, use callbacks=[EarlyStopping(monitor='loss', min_delta=...)]")
    if clip_norm is not None:
        clip_norm = real("clip_norm", clip_norm, 0, low_open=True, what="a finite number")
        if lbfgs:
            raise ValueError(f"clip_norm: 'lbfgs' chooses its own step length by a line search; got clip_norm={clip_norm:g}. "
                             f"Use 'gd', 'sgd' or 'adam' to clip gradients, or leave clip_norm out")
    shuffle, fused, catch_interrupt = boolean("shuffle", shuffle), boolean("fused", fused), boolean("catch_interrupt", catch_interrupt)
    if isinstance(verbose, str) or not isinstance(verbose, Integral):  # verbose=1 as in Keras and scikit-learn
        raise TypeError(f"verbose: expected True, False or an integer; got {verbose!r}")
    verbose = bool(verbose)
    validation_fraction = real("validation_fraction", 0 if validation_fraction is None else validation_fraction, 0, 1, high_open=True)
    if validation_fraction and validation_data is not None:
        raise ValueError(
            f"validation_fraction: give validation_data or validation_fraction, not both; "
            f"got validation_fraction={validation_fraction:g} with validation_data"
        )
    if callbacks is None:
        callbacks = ()
    if any(hasattr(callbacks, event) for event in CALLBACK_EVENTS) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"callbacks: expected a list of callbacks; got {type(callbacks).__name__} (wrap a single one: [callback])")
    callbacks = list(callbacks)
    check_callbacks(callbacks)
    metrics = _checked_metrics(metrics, validation_data is not None or bool(validation_fraction))
    if checkpoint is not None:
        writable_path(checkpoint, "checkpoint")  # now, not after the first epoch
    _refuse_same_outputs(checkpoint, resume_path, callbacks)
    if checkpoint_info is not None:
        try:
            as_json = isinstance(checkpoint_info, dict) and json.loads(json.dumps(checkpoint_info, allow_nan=False)) == checkpoint_info
        except (TypeError, ValueError):
            as_json = False
        if not as_json:
            raise TypeError(f"checkpoint_info: expected a dict of JSON values (text keys; text, numbers, lists, dicts); "
                            f"got {checkpoint_info!r:.80}")

    net.check_parameters()  # (replaced by the user: the network's shapes and dtype)
    # a SciPy sparse X stays sparse (CSR): the mini-batch steps densify one batch at a time; L-BFGS takes it whole
    X = net.check_X(X, sparse=True)
    if hasattr(X, "toarray") and isinstance(optimiser, LBFGS):
        X = X.toarray()
    n = X.shape[0]
    y = y if hasattr(y, "__len__") else np.asarray(y)
    if np.ndim(y) == 0 or len(y) != n:
        raise ValueError(f"y: expected {n} labels or targets, one per row of X; got {'a scalar' if np.ndim(y) == 0 else f'{len(y)}'}")
    from .callbacks import PrintProgress  # callbacks builds on this module

    callbacks = list(callbacks) + ([PrintProgress()] if verbose else [])

    def notify(event: str, *args) -> None:
        for cb in callbacks:
            method = getattr(cb, event, None)
            if method is not None:
                method(run, *args)

    # What the setup changes before training starts (classes, the random state, net.history), put back
    # if it raises, as when a callback refuses the run in on_train_begin.
    before = (net.classes_, net.multilabel_, rng.bit_generator.state, net.history, getattr(net, "validation_seed", None))
    params_before = [p.copy() for p in net.parameters()] if resume is not None else None  # resuming writes them
    begun = []  # the callbacks whose on_train_begin has run: each gets its on_train_end, even on a refusal
    try:
        run, X, T, w = _setup(net, X, y, rng, optimiser, learning_rate, epochs, batch_size, sample_weight,
                              validation_data, validation_fraction, optimiser_state, checkpoint, checkpoint_every, resume,
                              checkpoint_info, clip_norm, explicit,
                              Recorded(requested, learning_rate_given, shuffle, _schedule_name(schedule), metrics), classes)
        net.history = run.history
        run.callbacks = callbacks
        if not isinstance(run.optimiser, LBFGS):  # a schedule that fails at epoch 4 is refused now, not then
            for epoch in _epochs_to_try(run.first_epoch, run.epochs):
                _scheduled(schedule, run.eta0, epoch, run.epochs)
        for cb in callbacks:
            if getattr(cb, "on_train_begin", None) is not None:
                cb.on_train_begin(run)
            begun.append(cb)
        _restore_callback_arrays(run, callbacks)
    except BaseException as exc:
        if begun:
            run.error = exc
        for cb in begun:  # a progress bar started by one stops when a later one refuses the run
            if getattr(cb, "on_train_end", None) is not None:
                with contextlib.suppress(Exception):  # the refusal is the error to report
                    cb.on_train_end(run)
        net.classes_, net.multilabel_, rng.bit_generator.state, net.history, net.validation_seed = before
        for p, saved in zip(net.parameters(), params_before or ()):
            p[...] = saved
        raise
    optimiser = run.optimiser
    try:
        with _interrupts_stop(run, catch_interrupt):
            if isinstance(optimiser, LBFGS):
                _fit_lbfgs(run, X, T, w, tol, fused, notify)
            else:
                _fit_steps(run, X, T, w, schedule, bool(getattr(optimiser, "full_batch", False)), (1e-6 if tol is None else tol), shuffle, fused, notify)
    except BaseException as exc:
        # Divergence, a second Ctrl-C, a failing callback: every callback still ends (a live progress
        # bar gives the terminal its cursor back); the original exception is the one raised.
        run.error = exc
        for cb in callbacks:
            with contextlib.suppress(Exception):
                getattr(cb, "on_train_end", lambda run: None)(run)
        raise
    history = run.history
    failed = []  # every callback ends (EarlyStopping restores, a progress bar stops) before the first error is raised
    for cb in callbacks:
        if getattr(cb, "on_train_end", None) is not None:
            try:
                cb.on_train_end(run)
            except Exception as exc:
                failed.append(exc)
    if failed:
        raise failed[0]
    if not isinstance(optimiser, LBFGS):
        history.optimiser_state = OptimiserState(run.optimiser, run.states, run.step, run.eta0)
    return history


def _setup(net, X, y, rng, optimiser, learning_rate, epochs, batch_size, sample_weight, validation_data,
           validation_fraction, optimiser_state, checkpoint, checkpoint_every, resume, checkpoint_info=None, clip_norm=None,
           explicit_options=None, recorded: Recorded | None = None, classes=None):
    """Targets, weights, validation data, optimiser state and the Run; raises before any parameter changes."""
    n = X.shape[0]
    ck = fingerprint = None
    if resume is not None:
        ck = _resumed_checkpoint(resume)
        if ck.config != net.config():
            differ = [f"{key} {ck.config.get(key)!r} (the network's: {net.config().get(key)!r})"
                      for key in sorted(set(ck.config) | set(net.config())) if ck.config.get(key) != net.config().get(key)]
            raise ValueError(f"resume: the checkpoint's network differs from this one in {'; '.join(differ)}; a resumed "
                             f"run needs the network of the run it continues")
        # the labels are encoded with the classes of the run continued (fit's `classes`, if given, must be they)
        net.classes_ = None if ck.classes is None else np.asarray(ck.classes)
        net.multilabel_ = ck.multilabel
    T = net.encode_targets(y, remember=True, classes=classes)
    w = None if sample_weight is None else net._normalised_weights(sample_weight, n)
    full_batch = bool(getattr(optimiser, "full_batch", False))  # (gd and lbfgs: every step sees every example)
    split_seed = None
    val = val_weights = None
    if validation_data is not None:
        Xv, yv, wv = _validation_triple(validation_data)
        Xv = net.check_X(Xv, "validation_data X", sparse=True)  # (its cost is measured a block of rows at a time)
        if np.ndim(yv) == 0 or len(yv) != Xv.shape[0]:
            raise ValueError(f"validation_data: expected {Xv.shape[0]} labels or targets, one per row of X_val; got {np.shape(yv)}")
        try:
            val = (Xv, net.encode_targets(yv))
        except (ValueError, TypeError) as exc:  # "y: ..." would blame the training labels
            raise type(exc)(f"validation_data (y_val): {str(exc).removeprefix('y: ')}") from None
        if wv is not None:
            try:
                val_weights = net._normalised_weights(wv, Xv.shape[0])
            except (ValueError, TypeError) as exc:  # "sample_weight: ..." is about the training examples' weights
                message = str(exc).removeprefix("sample_weight: ").replace("sample_weight[", "sample_weight_val[")
                raise type(exc)(f"validation_data (sample_weight_val): {message}") from None
    if checkpoint is not None:
        from .io import check_storable

        check_storable(net, "checkpoint", "a checkpoint")
    if checkpoint is not None or resume is not None:  # what a resumed run must be given again
        from .checkpoint import data_fingerprint

        weights = None if sample_weight is None else _weights_to_fingerprint(sample_weight, net.dtype)
        fingerprint = data_fingerprint(X, y, weights, None if val is None else (Xv, yv, val_weights))
    if validation_fraction and validation_data is None:
        # The split draws from its own seed, saved in checkpoints, so that a resumed run holds out the same
        # examples, and kept by the network, so that the next fit does too (as Keras's validation_split, the
        # last rows, does): a new split each time would train on the examples the last one validated on.
        if ck is not None:
            split_seed = ck.split_seed
        elif getattr(net, "validation_seed", None) is not None:
            split_seed = net.validation_seed
        else:
            split_seed = int(rng.integers(2**63))
        net.validation_seed = split_seed
        X, T, w, val, val_weights = _split_validation(X, T, w, validation_fraction, np.random.default_rng(split_seed))
        n = X.shape[0]

    requested_batch_size = batch_size
    batch_size = n if full_batch else min(batch_size, n)
    continued = optimiser_state is not None and not isinstance(optimiser, LBFGS)
    if continued:  # (first: its optimiser's states, not a fresh one's made in vain, at every partial_fit call)
        optimiser = _continued_optimiser(optimiser_state, optimiser, recorded.optimiser, explicit_options or {})
    states = [] if isinstance(optimiser, LBFGS) else _initial_states(optimiser, net)
    step = 0
    if continued:
        given = [tuple(np.shape(a) for a in s) for s in optimiser_state.states]
        wanted = [tuple(a.shape for a in s) for s in states]
        # (an SGD state without momentum holds no arrays: a momentum given now starts its velocity at 0, as
        # PyTorch's momentum buffer starts on its first step; one set to 0 now drops the velocity kept)
        if len(given) != len(wanted) or any(g and w and g != w for g, w in zip(given, wanted)):
            raise ValueError("optimiser_state: expected the state of this network's optimiser (one entry per W^l and b^l); "
                             "its shapes differ: it belongs to another network")
        step = optimiser_state.step
        _copy_states(states, optimiser_state.states)
    history = History()
    run = Run(net, optimiser, states, history, epochs, learning_rate, n, batch_size, rng, val_data=val, step=step)
    run.val_weights = val_weights
    run.split_seed, run.checkpoint_path, run.checkpoint_every = split_seed, checkpoint, checkpoint_every
    run.batch_size_given, run.validation_fraction = requested_batch_size, validation_fraction
    run.data_fingerprint, run.checkpoint_info = fingerprint, checkpoint_info
    run.first_eta0, run.clip_norm, run.explicit_options = run.eta0, clip_norm, explicit_options or {}
    if recorded is not None:
        run.shuffle, run.schedule_name, run.metrics = recorded.shuffle, recorded.schedule_name, recorded.metrics
    if ck is not None:
        _restore(run, ck, full_batch, recorded)
    return run, X, T, w


def _resumed_checkpoint(resume):
    """The Checkpoint of fit's ``resume`` (a path, or a Checkpoint as it is), its errors naming resume."""
    from .checkpoint import Checkpoint, load_checkpoint

    try:
        return resume if isinstance(resume, Checkpoint) else load_checkpoint(resume)
    except (OSError, ValueError, TypeError) as exc:  # ("checkpoint: ..." would blame fit's checkpoint argument)
        raise type(exc)(f"resume: {exc}") from None


def _continued_optimiser(state: OptimiserState, optimiser, requested, explicit: dict):
    """The optimiser that continues ``state``: of the same kind as the state's, with its settings except
    those given to fit (``explicit``); an object given to fit is used as it is."""
    saved = state.optimiser
    name, saved_name = optimiser_name(optimiser), optimiser_name(saved)
    if name != saved_name or type(optimiser) is not type(saved):
        also = repr(saved_name) if is_registry_optimiser(saved) else f"a {type(saved).__name__} object"
        raise ValueError(f"optimiser_state: it is the state of optimiser {saved_name!r} ({type(saved).__name__}); got "
                         f"optimiser={name!r} ({type(optimiser).__name__}). Leave optimiser out (or give {also}) "
                         f"to continue that run, or leave optimiser_state out to start {name!r} afresh")
    if isinstance(requested, str) and dataclasses.is_dataclass(saved):  # the state's settings, but those given here
        return dataclasses.replace(saved, **explicit)
    if isinstance(requested, str):  # (no dataclass: its settings are the state's object's, which the name would drop)
        return saved
    return optimiser


def _check_resumed_options(ck, batch_size: int, validation_fraction: float, full_batch: bool, fingerprint: dict,
                           clip_norm: float | None = None) -> None:
    """Refuse options that contradict what the checkpoint records (older files record less: fewer checks)."""
    from .checkpoint import FINGERPRINT_DATA, describe_data

    again = "a resumed run needs the options and data of the run it continues"
    if ck.clip_norm != clip_norm:  # (files before clip_norm: runs that never clipped)
        saved = "no clip_norm" if ck.clip_norm is None else f"clip_norm={ck.clip_norm:g}"
        raise ValueError(f"clip_norm: the checkpoint's run was trained with {saved}; got {clip_norm}; {again}")
    if ck.batch_size is not None and ck.batch_size != batch_size and not full_batch:  # (gd uses every example)
        raise ValueError(f"batch_size: the checkpoint's run was trained with batch_size={ck.batch_size}; got {batch_size}; {again}")
    if ck.validation_fraction is not None and ck.validation_fraction != validation_fraction:
        raise ValueError(f"validation_fraction: the checkpoint's run held out validation_fraction={ck.validation_fraction:g}; "
                         f"got {validation_fraction:g}; {again}")
    if (ck.split_seed is not None) != bool(validation_fraction):  # what even the oldest files tell
        held = "held out a validation_fraction" if ck.split_seed is not None else "held out no validation_fraction"
        raise ValueError(f"validation_fraction: the checkpoint's run {held}; got {validation_fraction:g}; {again}")
    if ck.data is None:
        return
    if any(ck.data[key] != fingerprint[key] for key in FINGERPRINT_DATA):
        raise ValueError(f"X, y: expected the training data of the checkpoint's run ({describe_data(ck.data)}); "
                         f"got {describe_data(fingerprint)}; {again}")
    for key, argument in (("sample_weight_crc32", "sample_weight"), ("validation_crc32", "validation_data")):
        if key in ck.data and ck.data[key] != fingerprint[key]:  # (files of 2026-11-28 have no such key)
            saved = f"no {argument}" if ck.data[key] is None else f"another {argument}"
            given = f"no {argument}" if fingerprint[key] is None else f"{argument} of CRC-32 {fingerprint[key]:08x}"
            raise ValueError(f"{argument}: the checkpoint's run was trained with {saved}; got {given}; {again}")


def _check_resumed_schedule(ck, learning_rate: float | None, shuffle: bool, schedule_name: str, full_batch: bool) -> None:
    """Refuse a learning rate given to fit (None: none given), a shuffle or a schedule other than the checkpoint's
    (older files record no shuffle or schedule)."""
    again = "a resumed run needs the options and data of the run it continues"
    rates = ck.history.get("learning_rate") or []  # (files before first_eta0: every registry schedule starts at eta0)
    first = ck.first_eta0 if ck.first_eta0 is not None else (rates[0] if rates else ck.eta0)
    if learning_rate is not None and first is not None and learning_rate != first:
        raise ValueError(f"learning_rate: the checkpoint's run started at learning_rate={first:g}; got {learning_rate:g} "
                         f"(leave learning_rate out to take the checkpoint's); {again}")
    if ck.shuffle is not None and ck.shuffle != shuffle and not full_batch:  # (gd never shuffles)
        raise ValueError(f"shuffle: the checkpoint's run was trained with shuffle={ck.shuffle}; got {shuffle}; {again}")
    # (files naming it "cosine"; one added to SCHEDULES is recorded by its key)
    saved = (schedule_description(SCHEDULES[ck.schedule]) or ck.schedule) if ck.schedule in SCHEDULES else ck.schedule
    if saved not in (None, "function") and saved != schedule_name:  # ("function": the caller's, which nothing can compare)
        def said(name):
            if name == "function":
                return "a schedule function of its own"
            if name in SCHEDULES and schedule_description(SCHEDULES[name]) is None:  # one added to the registry
                return f"the schedule SCHEDULES[{name!r}]"
            return name  # what a schedule made here computes

        raise ValueError(f"schedule: the checkpoint's run was trained with {said(saved)}; got {said(schedule_name)}; {again}")


INTERRUPTED = "interrupted"
#: The methods a callback may have: those of deltaprop.callbacks.Callback.
CALLBACK_EVENTS = tuple(name for name in vars(Callback) if name.startswith("on_"))


@contextlib.contextmanager
def _interrupts_stop(run: Run, active: bool):
    """While training: the first SIGINT asks the loop to stop after this batch, a second one exits at once."""
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if run.stop and run.stop_reason == INTERRUPTED:
            raise KeyboardInterrupt
        run.stop, run.stop_reason = True, INTERRUPTED

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _restore_callback_arrays(run: Run, callbacks: list) -> None:
    """Give each callback of a resumed run what the same callback kept in the checkpoint: by class and order,
    else any entry of its class that the callback takes (``restore_arrays`` returns anything but False)."""
    from .checkpoint import callback_keys

    saved, run.callback_arrays = run.callback_arrays, {}  # (not held for the whole run)
    keyed = [(key, callback) for key, callback in callback_keys(callbacks) if hasattr(callback, "restore_arrays")]
    for key, callback in keyed:  # first the entry of the same class and order, then another of its class
        same_class = [key] + [k for k in saved if k.split(".")[0] == key.split(".")[0] and k != key]
        for k in same_class:
            if k in saved and callback.restore_arrays(run, {name: np.array(a) for name, a in saved[k].items()}) is not False:
                del saved[k]
                break


def _initial_states(optimiser, net: Network) -> list[tuple]:
    """``optimiser.init`` for every W^l and b^l, in the order of ``net.parameters()``.

    For an ``elementwise`` optimiser of a network whose W^l and b^l are views of one buffer
    (``Network.parameter_buffer``), each kind of state (a velocity, Adam's m or v) is one buffer
    laid out alike, and ``states[k]`` holds views of it, so that one update call can take every
    parameter at once (see ``_whole_update``).
    """
    theta = joined(net.parameters())  # None where an entry was replaced: trained in place, array by array
    if theta is None or not is_elementwise(optimiser):
        return [optimiser.init(p) for p in net.parameters()]
    kinds = []
    for initial in optimiser.init(theta):
        kinds.append(aligned_zeros(theta.size, theta.dtype))  # aligned as theta is
        kinds[-1][...] = initial
    shapes = [p.shape for p in net.parameters()]
    pieces = [views_of(vector, shapes) for vector in kinds]
    return [tuple(piece[k] for piece in pieces) for k in range(len(shapes))]


def _copy_states(states: list[tuple], saved: list[tuple]) -> None:
    """Copy saved optimiser states into ``states`` in place (keeping any views of one vector)."""
    for state, values in zip(states, saved):
        for a, b in zip(state, values):
            a[...] = b


def _whole_update(optimiser, params: list[Array], grad: Array | None, states: list[tuple]) -> tuple | None:
    """(theta, grad, state) as whole buffers for ``apply_update``, or None where the update goes
    array by array: an optimiser not ``elementwise``, or pieces that are not views of one buffer."""
    if grad is None or not is_elementwise(optimiser):
        return None
    theta = joined(params)
    state = tuple(joined([s[j] for s in states]) for j in range(len(states[0])))
    if theta is None or any(vector is None for vector in state):
        return None
    return theta, grad, state


def _weights_to_fingerprint(sample_weight, dtype) -> Array:
    """The sample weights as a checkpoint's fingerprint takes them: in the network's dtype where they lie in its
    normal range (as checkpoints always have), else in float64 (1e39 and 2e39, or 1e-46 and 2e-46, are other
    weights for a float32 network too: training keeps their ratios)."""
    w = np.asarray(sample_weight, dtype=np.float64)
    return w.astype(dtype) if weights_fit_dtype(w, dtype) else w  # (the rule by which fit normalises them)


def _restore(run: Run, ck, full_batch: bool = False, recorded: Recorded | None = None) -> None:
    """Put a checkpoint's parameters, optimiser memory, counters, random state and history into ``run``."""
    from .optimisers import get_optimiser

    net = run.net
    for k, (p, saved) in enumerate(zip(net.parameters(), ck.params)):
        if saved.shape != p.shape or saved.dtype != p.dtype:
            raise ValueError(f"resume: {parameter_name(k)} of the checkpoint has {saved.shape} {saved.dtype}; expected "
                             f"{p.shape} {p.dtype}")
    if run.epochs < ck.epochs_done:
        raise ValueError(f"epochs: the checkpoint's run has done {ck.epochs_done} epochs; got {run.epochs}. "
                         f"epochs is the run's total: give {ck.epochs_done} or more")
    saved_name = ck.optimiser["name"]
    if saved_name != optimiser_name(run.optimiser):
        raise ValueError(f"resume: the checkpoint was trained with optimiser {saved_name!r}; got {optimiser_name(run.optimiser)!r}")
    # A registry optimiser gets the checkpoint's settings back (those given to this fit must be the same); an
    # object of the user's own (not of a registry class, its settings unknown to us) is the one passed to this fit,
    # as is one of a registry class that is no dataclass (records_settings: its settings are not recorded either).
    own = ck.optimiser.get("own", saved_name not in OPTIMISERS)
    if own and records_settings(run.optimiser):
        raise ValueError(f"resume: the checkpoint's run used an optimiser of its own named {saved_name!r}; "
                         f"pass that optimiser object, not the registry's {saved_name!r}")
    if not own and not is_registry_optimiser(run.optimiser):
        raise ValueError(f"resume: the checkpoint's run used the registry's {saved_name!r}; got an optimiser of "
                         f"your own, {type(run.optimiser).__name__}")
    if not own:
        for key, value in run.explicit_options.items():
            saved = ck.optimiser["options"].get(key, value)
            if saved != value:
                raise ValueError(f"{key}: the checkpoint's run was trained with {key}={saved!r}; got {value!r}; "
                                 f"a resumed run needs the options and data of the run it continues")
    # (a checkpoint written before records_settings recorded a registry class that is no dataclass as not own:
    # its options {} would rebuild the defaults, so the object passed goes on there too)
    rebuilt = not own and records_settings(run.optimiser)
    optimiser = get_optimiser(saved_name, **ck.optimiser["options"]) if rebuilt else run.optimiser
    if [tuple(np.shape(a) for a in s) for s in ck.optimiser_states] != [tuple(a.shape for a in s) for s in run.states]:
        raise ValueError("resume: the checkpoint's optimiser state does not fit this optimiser")
    _check_resumed_options(ck, run.batch_size_given, run.validation_fraction, full_batch, run.data_fingerprint, run.clip_norm)
    if recorded is not None:
        _check_resumed_schedule(ck, run.eta0 if recorded.learning_rate_given else None, recorded.shuffle,
                                recorded.schedule_name, full_batch)
        measured = sorted(k for k in ck.history if k not in History.KEYS and k != "stop_reason")
        if ck.epochs_done and measured != sorted(f"val_{name}" for name in recorded.metrics):
            raise ValueError(f"metrics: the checkpoint's run measured {[k.removeprefix('val_') for k in measured]}; got "
                             f"{list(recorded.metrics)}; a resumed run needs the options and data of the run it continues")
    # every check passed: only now change the network
    for p, saved in zip(net.parameters(), ck.params):
        p[...] = saved
    run.optimiser = optimiser
    _copy_states(run.states, ck.optimiser_states)
    net.classes_ = None if ck.classes is None else np.asarray(ck.classes)
    net.multilabel_ = ck.multilabel
    run.step, run.first_epoch, run.eta0, run.last_change = ck.step, ck.epochs_done, ck.eta0, ck.last_change
    rates = ck.history.get("learning_rate") or []  # (files before first_eta0: every registry schedule starts at eta0)
    run.first_eta0 = ck.first_eta0 if ck.first_eta0 is not None else (rates[0] if rates else ck.eta0)
    run.callback_arrays = ck.callback_arrays
    run.rng.bit_generator.state = ck.rng_state
    run.history = History.from_dict(ck.history)


def _snapshot(run: Run) -> tuple:
    return (
        [p.copy() for p in run.net.parameters()],
        [tuple(a.copy() for a in s) for s in run.states],
        run.step,
        run.rng.bit_generator.state,
        run.eta0,  # (a callback's ReduceLROnPlateau cut at the end of an epoch belongs to that epoch)
    )


def _put_back(run: Run, snapshot: tuple) -> None:
    params, states, step, rng_state, eta0 = snapshot
    for p, saved in zip(run.net.parameters(), params):
        p[...] = saved
    for s, saved in zip(run.states, states):
        for a, b in zip(s, saved):
            a[...] = b
    run.step = step
    run.rng.bit_generator.state = rng_state
    run.eta0 = eta0


def _save_checkpoint_of(run: Run, snapshot: tuple, epochs_done: int) -> None:
    """Checkpoint the state of ``snapshot``, taken at the start of epoch ``epochs_done`` (from 0), and the
    history before it, leaving ``run`` as it is: a resumed run then does that whole epoch, as the
    uninterrupted run would, instead of skipping the part a callback's stop left undone."""
    if run.checkpoint_path is None:
        return
    now, history = _snapshot(run), run.history
    _put_back(run, snapshot)
    run.history = History.from_dict(history.as_dict(), epochs_done)
    try:
        _save_checkpoint(run, epochs_done)
    finally:
        _put_back(run, now)
        run.history = history


def _save_checkpoint(run: Run, epochs_done: int) -> None:
    if run.checkpoint_path is not None:
        from .checkpoint import save_checkpoint

        save_checkpoint(run.checkpoint_path, run, epochs_done)


def _record_epoch(run: Run, epoch: int, loss: float, correct: int | None, eta, seconds: float, notify, seen: int | None = None) -> None:
    """Append this epoch's entries to the history; ``seen`` examples (all by default) gave loss and accuracy."""
    h, net = run.history, run.net
    if run.val_data is not None:  # (first: a metric that raises leaves the history's lists as long as each other)
        vl, va, measured = _evaluate(net, *run.val_data, run.val_weights, run.metrics)
    h.loss.append(loss)
    if correct is not None:
        h.accuracy.append(correct / (seen or run.n_train))
    if run.val_data is not None:
        h.val_loss.append(vl)
        if va is not None:
            h.val_accuracy.append(va)
        for key, value in measured.items():
            h.metrics.setdefault(key, []).append(value)
    h.learning_rate.append(eta if eta is not None else float("nan"))
    h.time.append(seconds)
    notify("on_epoch_end", epoch, h.last())
    if run.eta0 is not None:  # (a cut by a callback, before a checkpoint writes it)
        run.eta0 = _base_rate(run.eta0)


def clip_gradient(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale the gradient [dC/dW^1, dC/db^1, ...] in place to Euclidean norm ``max_norm`` where it is longer.

    ||g|| = sqrt(sum over every W^l and b^l of the squares of its entries), summed in float64;
    g <- g * max_norm / ||g|| when ||g|| > max_norm. Returns ||g|| before clipping.
    """
    norm = math.sqrt(sum(kernels.sum_of_squares(g) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= g.dtype.type(max_norm / norm)
    return norm


def _epochs_to_try(first: int, end: int, every_up_to: int = 100_000) -> list[int]:
    """The epochs whose learning rate fit tries before training: each of the first ``every_up_to`` (0.1 s), then
    those 2^k further on and the last (a decay that underflows to 0 does so by the last epoch), so that
    epochs=10**9 with early stopping starts at once."""
    epochs = list(range(first, min(end, first + every_up_to)))
    step = every_up_to
    while first + step < end:
        epochs.append(first + step)
        step *= 2
    return epochs + ([end - 1] if end - 1 >= first + every_up_to else [])


def _base_rate(eta0) -> float:
    """``run.eta0`` as a float, or ValueError when a callback set it to anything but a finite number > 0."""
    if isinstance(eta0, bool) or not isinstance(eta0, Real) or not (math.isfinite(eta0) and eta0 > 0):
        raise ValueError(f"run.eta0: expected the base learning rate, a finite number > 0 (callbacks may change it); got {eta0!r:.60}")
    return float(eta0)  # (a NumPy float32 from a callback: checkpoints write it as JSON)


def _scheduled(schedule, eta0: float, epoch: int, n_epochs: int) -> float:
    """The schedule's eta for this epoch, or ValueError when it is not a finite number > 0."""
    eta0 = _base_rate(eta0)
    eta = schedule(eta0, epoch, n_epochs)
    if isinstance(eta, bool) or not isinstance(eta, Real) or not (math.isfinite(eta) and eta > 0):
        raise ValueError(
            f"schedule: expected a finite learning rate > 0 for every epoch; got {eta!r} for epoch {epoch + 1} "
            f"(from eta0={eta0:g})"
        )
    return float(eta)


def _unchanged_by(net: Network, call, event: str) -> None:
    """``call()`` (callbacks), refusing a change it makes to W^l or b^l: L-BFGS keeps theta itself (SciPy's vector),
    so such a change (a max-norm constraint) would be lost at its next evaluation, unsaid."""
    before = [(p, p.copy()) for p in net.parameters()]
    call()
    for k, ((p, values), now) in enumerate(zip(before, net.parameters())):
        if now is not p or not np.array_equal(now, values, equal_nan=True):
            raise ValueError(f"callbacks: {event} changed {parameter_name(k)} during L-BFGS, which keeps theta itself "
                             f"(SciPy's vector): the change would be lost at its next step. Constrain parameters with a "
                             f"mini-batch optimiser (sgd, adam), whose steps start from the network's")


def _keep_parameters(net: Network, params: list[Array]) -> None:
    """After the callbacks: where one replaced W^l or b^l (``run.net.weights[0] = W / norm``, a max-norm
    constraint), its values go into the array that training updates, ``params`` (the optimiser's state and the
    parameter buffer belong to it), and the network's entry becomes that array again. Without this the forward
    pass would read the new array while the updates went to the old one: a layer silently frozen."""
    current = net.parameters()
    if len(current) == len(params) and all(c is p for c, p in zip(current, params)):
        return
    if len(current) != len(params):
        raise ValueError(f"run.net: a callback changed the number of layers' parameters from {len(params)} to "
                         f"{len(current)}; change W^l and b^l, not the list of layers")
    for k, (c, p) in enumerate(zip(current, params)):
        if c is p:
            continue
        (entries, symbol), l = (("weights", "W") if k % 2 == 0 else ("biases", "b")), k // 2 + 1
        if not isinstance(c, np.ndarray) or c.shape != p.shape or c.dtype.kind not in "biuf":
            got = f"{type(c).__name__} of shape {np.shape(c)}"
            raise ValueError(f"run.net.{entries}[{l - 1}] ({symbol}^{l}): a callback replaced it by a {got}; expected "
                             f"an array of numbers of shape {p.shape}")
        p[...] = c
    net.weights, net.biases = params[0::2], params[1::2]


def _fit_steps(run: Run, X, T, w, schedule, full_batch: bool, tol: float, shuffle: bool, fused: bool, notify) -> None:
    """Mini-batch (or whole-set) steps theta <- update(theta, grad C(theta))."""
    net, optimiser, states = run.net, run.optimiser, run.states
    net.check_parameters("run.net")  # (again: an on_train_begin may have replaced W^l, by a read-only array say)
    params = net.parameters()
    n, bs = run.n_train, run.batch_size
    classify = net.is_classifier
    xbuf = np.empty((bs, X.shape[1]), dtype=net.dtype)
    sparse = hasattr(X, "toarray")  # (a SciPy sparse X, CSR: each batch densified into xbuf)
    tbuf = np.empty((bs, T.shape[1]), dtype=net.dtype)
    wbuf = None if w is None else np.empty(bs, dtype=net.dtype)
    # Preallocated buffers for the same equations as net._forward/_backward (None: use those).
    workspace = Workspace.for_network(net, bs, fused)
    # An element-wise optimiser updates all of theta in one call where the gradients are one vector.
    whole = _whole_update(optimiser, params, None if workspace is None else workspace.grad, states)
    if full_batch and run.last_change is not None and run.last_change <= tol:
        # resumed from the checkpoint of a run that had converged: no step more than that run took
        run.history.stop_reason = f"converged: no parameter changed by more than tol={tol:g}"
        return
    for epoch in range(run.first_epoch, run.epochs):
        if run.stop:  # a callback's on_train_begin (EarlyStopping of a resumed run whose patience ran out)
            run.history.stop_reason = run.stop_reason or "stopped by a callback"
            return
        run.epoch = epoch
        notify("on_epoch_begin", epoch)
        _keep_parameters(net, params)
        start = time.perf_counter()
        run.eta0 = _base_rate(run.eta0)
        eta = _scheduled(schedule, run.eta0, epoch, run.epochs)
        # The state after the last completed epoch: put back if this one diverges or is interrupted.
        snapshot = _snapshot(run)
        order = run.rng.permutation(n) if shuffle and not full_batch else None
        total, correct, largest_change = 0.0, 0, 0.0
        for batch, lo in enumerate(range(0, n, bs)):
            hi = min(lo + bs, n)
            if order is None:
                xb, tb, wb = X[lo:hi], T[lo:hi], (None if w is None else w[lo:hi])
                if sparse:
                    xb = xb.toarray(out=xbuf[: hi - lo])
            else:
                idx = order[lo:hi]
                # mode="clip": idx is a permutation, always in range; the default "raise" copies twice via a buffer
                if sparse:  # (the batch's rows, and only they, dense)
                    xb = X[idx].toarray(out=xbuf[: hi - lo])
                else:
                    xb = np.take(X, idx, axis=0, out=xbuf[: hi - lo], mode="clip")
                tb = np.take(T, idx, axis=0, out=tbuf[: hi - lo], mode="clip")
                wb = None if w is None else np.take(w, idx, out=wbuf[: hi - lo], mode="clip")
            if workspace is None:
                fp = net._forward(xb, True, run.rng)
                grads = net._backward(fp, tb, wb, fused)
                dWs, dbs = grads.dW, grads.db
                cost = net.cost_of(fp.output, tb, wb, z=fp.z[net.n_layers - 1])  # from z^L where exact
                n_correct = net.count_correct(fp.output, tb) if classify else None
            else:
                _, dWs, dbs, cost, n_correct = workspace.step(xb, tb, wb, run.rng, count_correct=classify)
            batch_loss = cost + net.penalty()
            run.batch_cost = cost
            if not math.isfinite(batch_loss):
                _put_back(run, snapshot)
                run.history.stop_reason = "diverged"
                raise DivergenceError(f"the cost became {batch_loss} in epoch {epoch + 1} (batch {batch + 1})", eta, epoch + 1)
            total += batch_loss * (hi - lo)
            if classify:
                correct += n_correct
            run.step += 1
            flat_grads = [g for dW, db in zip(dWs, dbs) for g in (dW, db)]
            if full_batch:  # (the unclipped step: a clipped one as small as tol is no convergence)
                largest_change = max(float(np.max(np.abs(g))) for g in flat_grads) * eta
            if run.clip_norm is not None:  # (array by array, so that one buffer or several give the same bits)
                clip_gradient(flat_grads, run.clip_norm)
            apply_update(optimiser, params, flat_grads, states, eta, run.step, whole)
            notify("on_batch_end", batch, batch_loss)
            _keep_parameters(net, params)
            if run.stop:
                break
        if run.stop and run.stop_reason == INTERRUPTED:
            _put_back(run, snapshot)  # lose at most this epoch, keep the run exactly resumable
            _save_checkpoint(run, epoch)
            run.history.stop_reason = f"interrupted in epoch {epoch + 1}; parameters of epoch {epoch} kept"
            return
        if not all(np.isfinite(p).all() for p in params):  # the epoch's last update overflowed
            _put_back(run, snapshot)
            run.history.stop_reason = "diverged"
            raise DivergenceError(f"the parameters became infinite or NaN in epoch {epoch + 1}", eta, epoch + 1)
        seen = hi  # fewer than n when a callback stopped the epoch early
        _record_epoch(run, epoch, total / seen, correct if classify else None, eta, time.perf_counter() - start, notify, seen)
        _keep_parameters(net, params)
        interrupted = run.stop and run.stop_reason == INTERRUPTED  # Ctrl-C during the epoch's callbacks
        if full_batch:
            run.last_change = largest_change
        converged = full_batch and largest_change <= tol
        due = run.checkpoint_every and ((epoch + 1) % run.checkpoint_every == 0 or run.stop or epoch + 1 == run.epochs or converged)
        if (due or interrupted) and seen < n:  # a callback stopped the epoch early: save the epoch's start
            _save_checkpoint_of(run, snapshot, epoch)
        elif due or interrupted:
            _save_checkpoint(run, epoch + 1)
        if converged:
            run.history.stop_reason = f"converged: no parameter changed by more than tol={tol:g}"
            return
        if run.stop:
            if interrupted and seen < n:
                run.history.stop_reason = (f"interrupted in epoch {epoch + 1}, which a callback had stopped early; "
                                           f"checkpointed at its start")
            else:
                run.history.stop_reason = f"interrupted after epoch {epoch + 1}" if interrupted else (run.stop_reason or "stopped by a callback")
            return
    run.history.stop_reason = f"reached epochs={run.epochs}"


def _fit_lbfgs(run: Run, X, T, w, tol, fused: bool, notify) -> None:
    """Whole-set L-BFGS through SciPy, using deltaprop's exact gradient of C(theta).

    It runs in float64, as SciPy's theta is: a float32 network's cost and gradient overflow where a line search's
    trial step can go (|y - t| beyond 1.8e19 squares to inf), and a non-finite value there ended the search as
    "converged" (R^2 = -27 for targets near 1e7 to 1e10). A float32 network gets the float64 parameters rounded
    after every iteration (what the callbacks see) and at the end. The price: a float64 copy of a float32 X
    (twice its memory more) and float64 products, as scikit-learn's L-BFGS with float64 targets pays in part.
    """
    from scipy.optimize import minimize

    net = run.net
    net.check_parameters("run.net")  # (again: an on_train_begin may have replaced W^l, by a read-only array say)
    work = net if net.dtype == np.float64 else net.astype(np.float64)  # (a float64 twin of a float32 network)
    X64, T64 = (a if a.dtype == np.float64 else a.astype(np.float64) for a in (X, T))
    w64 = None if w is None else w.astype(np.float64)
    params = work.parameters()
    shapes = [p.shape for p in params]
    sizes = [p.size for p in params]

    def unpack(theta: Array) -> None:
        offset = 0
        for p, size, shape in zip(params, sizes, shapes):
            p[...] = theta[offset : offset + size].reshape(shape)
            offset += size
        if work is not net:
            for p, q in zip(net.parameters(), params):
                p[...] = q  # (rounded to the network's dtype)

    state = {"epoch": 0, "start": time.perf_counter(), "begun": False}
    # The whole set is one batch of the compiled step (the buffers of mini-batch training, allocated once
    # rather than at every evaluation: a third of L-BFGS's time); the literal path where it has no kernels.
    workspace = Workspace.for_network(work, len(X64), fused)

    def cost_and_gradient(theta: Array) -> tuple[float, Array]:
        if not state["begun"]:  # the first evaluation of an iteration (an "epoch": one pass over all examples or more)
            state["begun"] = True
            run.epoch = state["epoch"]
            _unchanged_by(net, lambda: notify("on_epoch_begin", state["epoch"]), "on_epoch_begin")
        unpack(theta)
        work.l2 = net.l2  # (a callback may change lambda: the twin follows, as the network itself would)
        if workspace is not None:
            step = workspace.step(X64, T64, w64, run.rng, training=False, count_correct=net.is_classifier)
            c, correct, dW, db = step.cost, step.correct, step.dW, step.db
        else:
            fp = work._forward(X64, False, run.rng)
            g = work._backward(fp, T64, w64, fused)
            c, dW, db = work.cost_of(fp.output, T64, w64, z=fp.z[work.n_layers - 1]), g.dW, g.db
            correct = work.count_correct(fp.output, T64) if net.is_classifier else None
        flat = np.concatenate([x.ravel() for dW_l, db_l in zip(dW, db) for x in (dW_l, db_l)])
        state["evaluated"] = (theta.copy(), correct)  # (the iteration's end is usually this point: see below)
        return c + work.penalty(), flat

    def after_iteration(intermediate_result) -> None:
        epoch = state["epoch"]
        if math.isfinite(intermediate_result.fun):
            state["finite"] = intermediate_result.x.copy()  # (what a divergence puts back)
        unpack(intermediate_result.x)
        correct = None
        if net.is_classifier:
            theta, correct = state["evaluated"]
            if work is not net or not np.array_equal(theta, intermediate_result.x):
                # (a float32 network's rounded parameters, or a point other than the last evaluated: the count
                # of that point's cost evaluation would otherwise do without a second forward pass)
                correct = net.count_correct(net._forward(X, False, run.rng).output, T)
        now = time.perf_counter()
        _unchanged_by(net, lambda: _record_epoch(run, epoch, float(intermediate_result.fun), correct, None,
                                                 now - state["start"], notify), "on_epoch_end")
        state["epoch"], state["start"], state["begun"] = epoch + 1, now, False
        if run.stop:
            raise StopIteration

    theta0 = np.concatenate([p.ravel() for p in params]).astype(np.float64)
    options = {"maxiter": run.epochs, "maxfun": run.optimiser.max_fun}
    if tol is not None:
        options["gtol"] = tol
    state["finite"] = theta0
    result = minimize(cost_and_gradient, theta0, jac=True, method="L-BFGS-B", options=options, callback=after_iteration)
    if not math.isfinite(result.fun):
        unpack(state["finite"])  # the parameters of the last iteration with a finite cost, as the docstring says
        raise DivergenceError(f"L-BFGS reached a non-finite cost {result.fun}")
    unpack(result.x)
    if run.stop_reason == INTERRUPTED:
        run.history.stop_reason = f"interrupted after iteration {run.history.epochs}"
        return
    run.history.stop_reason = run.stop_reason or (
        f"{LBFGS_CONVERGED}: {result.message}" if result.status == 0 else f"L-BFGS did not converge: {result.message}"
    )
