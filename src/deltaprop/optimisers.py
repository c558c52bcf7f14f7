"""Optimisers: one update rule for one parameter array, and learning-rate schedules.

The protocol
------------
An optimiser is an object with

``init(param) -> state``
    a tuple of arrays (same shape and dtype as ``param``) holding its memory
    of past gradients: empty for plain gradient descent, a velocity for
    momentum, the two moment estimates for Adam.
``update(param, grad, state, eta, step) -> None``
    changes ``param`` in place, given its gradient ``grad`` = dC/dtheta, the
    learning rate ``eta`` of this step and the step count ``step`` (1, 2, ...).

and may declare

``name``
    the key of its entry in ``OPTIMISERS`` (checkpoints record it; a resumed
    run must use the same). Without one, its class's name stands in
    (:func:`optimiser_name`).
``learning_rate = eta``
    its default learning rate (``fit``'s when none is given; 0.01 otherwise).
``full_batch = True``
    when each step takes the gradient of the whole data set (the lecture's
    :class:`GD`, and :class:`LBFGS`): ``fit`` ignores the batch size and
    stops when theta stops changing.
``default_epochs = n``
    ``fit``'s number of epochs when none is given (10 otherwise).
``elementwise = True``
    when each entry's update reads only that entry of ``param``, ``grad`` and
    ``state`` (as GD, SGD and Adam do), declared in the class that defines
    ``update`` (a subclass that overrides ``update`` must declare it again).
    Then the training loop may pass one
    array holding every W^l and b^l (``Network.parameter_buffer``, its gaps' gradient
    zero) in one call instead of one call per array: the same numbers, less call
    overhead.

Parameters are passed in, never held by the optimiser: the training loop
applies the same ``update`` to every W^l and b^l in one place
(:func:`apply_update`). The lecture's rule is :class:`GD`:
theta <- theta - eta grad C(theta).

Adding an optimiser is one class here and its entry in ``OPTIMISERS``, under a new name (deltaprop's
own entries cannot be replaced, see ``deltaprop.registry``): ``fit`` passes it the
options among its own keyword arguments (``training.FIT_SETTINGS``: momentum, nesterov, beta_1,
beta_2, epsilon, rho, weight_decay) that the class has as fields (:func:`settings_of`; one it lacks is
refused), the command line offers it by name, and checkpoints store its fields. A setting of
another name is set on the object: ``fit(optimiser=MyOptimiser(decay=0.5))``.

The class must be a ``@dataclass`` whose fields are all its settings for a checkpoint to record them and a
resumed run to rebuild it from them (:func:`records_settings`). A registry class that is not one is
checkpointed as an optimiser of the user's own: a resumed run continues with the object passed to it
(the name alone gives its defaults), since a rebuild from the name would silently drop the settings of
the object the run was given.

:class:`LBFGS` is the one exception to the protocol: it has no per-array ``update`` but hands the
whole flattened theta and the exact gradient to SciPy (``training.fit`` runs it apart).

A schedule is a function ``schedule(eta0, epoch, n_epochs) -> eta`` for
epoch = 0, 1, ...; one added to ``SCHEDULES`` is recorded in checkpoints by its key there.
"""

from __future__ import annotations

import inspect
import math
import weakref
from dataclasses import dataclass, fields, is_dataclass
from typing import Callable, Sequence

import numpy as np

from . import kernels
from .checks import boolean, did_you_mean, integer, real
from .registry import Registry

__all__ = [
    "GD",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "LBFGS",
    "OPTIMISERS",
    "full_batch_optimisers",
    "get_optimiser",
    "default_learning_rate",
    "settings_of",
    "is_registry_optimiser",
    "records_settings",
    "optimiser_name",
    "apply_update",
    "is_elementwise",
    "SCHEDULES",
    "get_schedule",
    "schedule_name",
    "constant",
    "step_decay",
    "cosine",
    "exponential",
]

Array = np.ndarray


def _check_unit(name: str, value) -> float:
    return real(name, value, 0, 1, high_open=True)


@dataclass
class GD:
    """The lecture's gradient descent: theta <- theta - eta grad C(theta).

    With ``fit(optimiser="gd")`` every step uses the whole data set; the same
    rule on mini-batches is :class:`SGD` with ``momentum=0``.
    """

    name = "gd"
    learning_rate = 0.5
    elementwise = True
    full_batch = True
    default_epochs = 1000

    def init(self, param: Array) -> tuple:
        return ()

    def update(self, param: Array, grad: Array, state: tuple, eta: float, step: int) -> None:
        # theta^{i+1} <- theta^i - eta grad C(theta^i)
        param -= param.dtype.type(eta) * grad


@dataclass
class SGD:
    """Mini-batch gradient descent, optionally with (Nesterov) momentum.

    v <- mu v - eta g;  theta <- theta + v            (classical momentum)
    v <- mu v - eta g;  theta <- theta + mu v - eta g  (Nesterov, as in scikit-learn)

    v holds past steps (eta g), as scikit-learn's does; PyTorch's holds past gradients and multiplies
    by the current eta. The two agree at a constant learning rate; when a schedule or
    ``ReduceLROnPlateau`` changes eta, here the momentum keeps the old rate's steps for a while.

    Parameters
    ----------
    momentum : float in [0, 1], mu.
    nesterov : bool
    """

    momentum: float = 0.9
    nesterov: bool = False
    name = "sgd"
    learning_rate = 0.01
    elementwise = True

    def __post_init__(self) -> None:
        self.momentum = real("momentum", self.momentum, 0, 1)  # (1, no decay of v: allowed, as scikit-learn does)
        self.nesterov = boolean("nesterov", self.nesterov)

    def init(self, param: Array) -> tuple:
        return (np.zeros_like(param),) if self.momentum else ()

    def update(self, param: Array, grad: Array, state: tuple, eta: float, step: int) -> None:
        eta = param.dtype.type(eta)
        if not self.momentum:
            param -= eta * grad
            return
        (v,) = state
        if kernels.fusable(param, grad, v):  # one fused pass, same bits as the lines below
            kernels.momentum_step(param.ravel(), grad.ravel(), v.ravel(), self.momentum, eta, self.nesterov)
            return
        mu = param.dtype.type(self.momentum)
        v *= mu
        v -= eta * grad  # v <- mu v - eta g
        if self.nesterov:
            param += mu * v - eta * grad
        else:
            param += v


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015), in the form scikit-learn uses (epsilon outside the bias correction).

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
    theta <- theta - eta_t m / (sqrt(v) + eps),  eta_t = eta sqrt(1 - b2^t) / (1 - b1^t)

    PyTorch and Keras add eps to the bias-corrected sqrt(v_hat) = sqrt(v / (1 - b2^t)) instead: the
    same step where eps is negligible beside sqrt(v), a larger one where it is not (gradients near
    eps, or a large eps) in the first steps, when 1 - b2^t is small.

    Parameters
    ----------
    beta_1, beta_2 : float in [0, 1)
    epsilon : float > 0
    """

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    name = "adam"
    learning_rate = 0.001
    elementwise = True

    def __post_init__(self) -> None:
        self.beta_1 = _check_unit("beta_1", self.beta_1)
        self.beta_2 = _check_unit("beta_2", self.beta_2)
        self.epsilon = real("epsilon", self.epsilon, 0, low_open=True)

    def init(self, param: Array) -> tuple:
        return (np.zeros_like(param), np.zeros_like(param))  # m, v

    def update(self, param: Array, grad: Array, state: tuple, eta: float, step: int) -> None:
        m, v = state
        t = param.dtype.type
        b1, b2 = self.beta_1, self.beta_2
        eta_t = eta * math.sqrt(1 - b2**step) / (1 - b1**step)
        if kernels.fusable(param, grad, m, v):  # one fused pass, same bits as the lines below
            kernels.adam_step(param.ravel(), grad.ravel(), m.ravel(), v.ravel(), b1, b2, self.epsilon, eta_t)
            return
        # Without the kernel (no Numba, or arrays it cannot take): one temporary array, kept out of the
        # state so that checkpoints and snapshots hold only m and v.
        scratch = np.multiply(grad, t(1 - b1))
        m *= t(b1)
        m += scratch  # m <- b1 m + (1 - b1) g
        v *= t(b2)
        np.multiply(grad, grad, out=scratch)
        scratch *= t(1 - b2)
        v += scratch  # v <- b2 v + (1 - b2) g^2
        np.sqrt(v, out=scratch)
        scratch += t(self.epsilon)
        np.divide(m, scratch, out=scratch)
        scratch *= t(eta_t)
        param -= scratch  # theta <- theta - eta_t m / (sqrt(v) + eps)


@dataclass
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019; PyTorch's AdamW):

    theta <- theta (1 - eta lambda), then Adam's step with the same eta (this module's Adam, eps
    outside the bias correction as scikit-learn has it; PyTorch's AdamW adds eps to sqrt(v_hat), see
    :class:`Adam`).

    The decay shrinks every parameter (biases too, as PyTorch does by default) in
    proportion to the learning rate, apart from the gradient: unlike ``l2``, whose
    term lambda theta enters g and so is divided by Adam's sqrt(v) with the rest.

    Parameters
    ----------
    beta_1, beta_2, epsilon : as :class:`Adam`.
    weight_decay : float >= 0, lambda (default 0.01, as PyTorch's).
    """

    weight_decay: float = 0.01
    name = "adamw"
    elementwise = True  # (declared again: update is overridden)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.weight_decay = real("weight_decay", self.weight_decay, 0)

    def update(self, param: Array, grad: Array, state: tuple, eta: float, step: int) -> None:
        if self.weight_decay:
            param *= param.dtype.type(1 - eta * self.weight_decay)  # theta <- theta (1 - eta lambda)
        super().update(param, grad, state, eta, step)


@dataclass
class RMSprop:
    """RMSprop (Hinton's lecture 6e; PyTorch's RMSprop with alpha = rho): each entry's step divided by a running
    RMS of its gradient. (Keras's is the same rule with epsilon 1e-7.)

    v <- rho v + (1 - rho) g^2;  theta <- theta - eta g / (sqrt(v) + eps)

    Parameters
    ----------
    rho : float in [0, 1), the decay of the running mean of g^2 (default 0.9).
    epsilon : float > 0
    """

    rho: float = 0.9
    epsilon: float = 1e-8
    name = "rmsprop"
    learning_rate = 0.001
    elementwise = True

    def __post_init__(self) -> None:
        self.rho = _check_unit("rho", self.rho)
        self.epsilon = real("epsilon", self.epsilon, 0, low_open=True)

    def init(self, param: Array) -> tuple:
        return (np.zeros_like(param),)  # v

    def update(self, param: Array, grad: Array, state: tuple, eta: float, step: int) -> None:
        (v,) = state
        if kernels.fusable(param, grad, v):  # one fused pass, same bits as the lines below
            kernels.rmsprop_step(param.ravel(), grad.ravel(), v.ravel(), self.rho, self.epsilon, eta)
            return
        t = param.dtype.type
        scratch = np.multiply(grad, grad)
        scratch *= t(1 - self.rho)
        v *= t(self.rho)
        v += scratch  # v <- rho v + (1 - rho) g^2
        np.sqrt(v, out=scratch)
        scratch += t(self.epsilon)
        np.divide(grad, scratch, out=scratch)
        scratch *= t(eta)
        param -= scratch  # theta <- theta - eta g / (sqrt(v) + eps)


@dataclass
class LBFGS:
    """Limited-memory BFGS on the whole data set, through ``scipy.optimize.minimize``.

    Not a per-array rule: the training loop hands SciPy the flattened
    parameters and deltaprop's exact gradient (see ``training.fit``).

    Parameters
    ----------
    max_fun : int, the largest number of cost evaluations.
    """

    max_fun: int = 15000
    name = "lbfgs"
    learning_rate = None  # SciPy's line search chooses each step
    full_batch = True
    default_epochs = 200  # (iterations)

    def __post_init__(self) -> None:
        self.max_fun = integer("max_fun", self.max_fun)


OPTIMISERS: dict[str, Callable[..., object]] = Registry(
    "OPTIMISERS", {cls.name: cls for cls in (GD, SGD, Adam, AdamW, RMSprop, LBFGS)},
    "MyOptimiser (a @dataclass with name = {name!r})")


def full_batch_optimisers() -> tuple[str, ...]:
    """The names in ``OPTIMISERS`` whose every step uses the whole data set (``full_batch``)."""
    return tuple(n for n, cls in OPTIMISERS.items() if getattr(cls, "full_batch", False))


def is_registry_optimiser(optimiser) -> bool:
    """Whether ``optimiser`` is an object of the very class ``OPTIMISERS`` holds under its name (a subclass
    of the user's, whose settings and update may differ, is not: checkpoints keep it as the user's own)."""
    return type(optimiser) is OPTIMISERS.get(getattr(optimiser, "name", None))


def records_settings(optimiser) -> bool:
    """Whether a checkpoint records ``optimiser``'s settings and a resumed run rebuilds it from them: an object of
    the registry's class for its name (:func:`is_registry_optimiser`) that is a dataclass, its fields its settings.
    Any other is kept as the user's own: a resumed run takes the object passed to it."""
    return is_registry_optimiser(optimiser) and is_dataclass(optimiser)


def optimiser_name(optimiser) -> str:
    """The name of an optimiser object, as checkpoints record it and messages give it: its ``name``, or its
    class's name where it has none (the protocol makes ``name`` optional)."""
    name = getattr(optimiser, "name", None)
    return name if isinstance(name, str) and name else type(optimiser).__name__


def default_learning_rate(optimiser: str | object) -> float | None:
    """The learning rate ``fit`` uses when none is given: the optimiser's (or its registry class's)
    ``learning_rate``, 0.01 where it declares none, None for one that takes none (L-BFGS)."""
    if isinstance(optimiser, str):
        optimiser = OPTIMISERS.get(optimiser)
    return getattr(optimiser, "learning_rate", 0.01)


def settings_of(name: str) -> tuple[str, ...]:
    """The settings (dataclass fields) of the registry optimiser ``name``: ("momentum", "nesterov") for "sgd"."""
    cls = OPTIMISERS[name]
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else ()


def get_optimiser(optimiser: str | object, *, argument: str = "optimiser", **options) -> object:
    """Return an optimiser object from a name (with options) or pass an object through."""
    if isinstance(optimiser, str):
        if optimiser not in OPTIMISERS:
            raise ValueError(f"{argument}: unknown optimiser {optimiser!r}; expected one of {sorted(OPTIMISERS)}"
                             f"{did_you_mean(optimiser, OPTIMISERS)}")
        return OPTIMISERS[optimiser](**options)
    if isinstance(optimiser, type):  # (the class has init and update too, unbound: it failed at its first init)
        raise TypeError(f"{argument}: expected a name {sorted(OPTIMISERS)} or an optimiser object; got the class "
                        f"{optimiser.__name__}: make one, {optimiser.__name__}(...)")
    if not (hasattr(optimiser, "init") and hasattr(optimiser, "update")) and not isinstance(optimiser, LBFGS):
        raise TypeError(
            f"{argument} must be a name {sorted(OPTIMISERS)} or an object with init(param) and "
            f"update(param, grad, state, eta, step); got {type(optimiser).__name__}"
        )
    return optimiser


def is_elementwise(optimiser) -> bool:
    """Whether ``optimiser`` declares ``elementwise`` where its ``update`` is defined: a subclass of
    SGD that decays only the weights (``param.ndim == 2``) inherits the flag but not the property."""
    if "elementwise" in getattr(optimiser, "__dict__", {}):
        return bool(optimiser.elementwise)
    for cls in type(optimiser).__mro__:
        if "update" in vars(cls):
            return bool(vars(cls).get("elementwise", False))
    return False


def apply_update(
    optimiser, params: Sequence[Array], grads: Sequence[Array], states: Sequence[tuple], eta: float, step: int,
    whole: tuple[Array, Array, tuple] | None = None,
) -> None:
    """The one place where every parameter array theta (all W^l and b^l) is updated, in place.

    params : [W^1, b^1, ..., W^L, b^L] (``Network.parameters()``: (N_l, N_{l-1}) and (N_l,)), one float dtype.
    grads : dC/dtheta for each, the same shapes and dtype.   states : for each, the tuple ``init`` gave.
    eta : this step's learning rate.   step : the step count, 1, 2, ...

    ``whole``: for an ``elementwise`` optimiser, (theta, grad, state) whose consecutive pieces
    are ``params``, ``grads`` and ``states`` (see ``network.joined``); then one call updates
    them all, with the same numbers as one call per array.
    """
    if whole is not None:
        theta, grad, state = whole
        optimiser.update(theta, grad, state, eta, step)
        return
    for param, grad, state in zip(params, grads, states):
        optimiser.update(param, grad, state, eta, step)


# Learning-rate schedules: eta for epoch 0, 1, ... of n_epochs.


def constant(eta0: float, epoch: int, n_epochs: int) -> float:
    """eta = eta0."""
    return eta0


#: What each schedule made here computes, e.g. "cosine(eta_min=0.0)": the same for SCHEDULES["cosine"] and cosine(),
#: which checkpoints record (a resumed run must have the same). Held by the function itself, weakly, not as an
#: attribute, which functools.wraps would copy onto a wrapper that computes something else. (A copy made by
#: cloudpickle, in a joblib worker, is not described: recorded as "function", its resume not compared.)
_DESCRIPTIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _described(schedule: Callable[[float, int, int], float], description: str) -> Callable[[float, int, int], float]:
    _DESCRIPTIONS[schedule] = description
    return schedule


def schedule_description(schedule) -> str | None:
    """What ``schedule`` computes, for a schedule made here ("constant", "cosine(eta_min=0.0)", ...), else None."""
    try:
        return _DESCRIPTIONS.get(schedule)
    except Exception:  # (one that cannot be weakly referenced or hashed, or compares oddly: none made here)
        return None


_described(constant, "constant")


def step_decay(every: int = 10, factor: float = 0.5) -> Callable[[float, int, int], float]:
    """eta = eta0 * factor ** floor(epoch / every); every >= 1 epochs, factor > 0 (below 1: a decay)."""
    every, factor = integer("every", every), real("factor", factor, 0, low_open=True, what="a finite number")
    return _described(lambda eta0, epoch, n_epochs: eta0 * factor ** (epoch // every),
                      f"step_decay(every={every}, factor={factor!r})")


def cosine(eta_min: float = 0.0) -> Callable[[float, int, int], float]:
    """eta = eta_min + (eta0 - eta_min) (1 + cos(pi epoch / n_epochs)) / 2; eta_min >= 0 (above eta0, the rate
    rises to it, as PyTorch's CosineAnnealingLR does)."""
    eta_min = real("eta_min", eta_min, 0, what="a finite number")
    return _described(lambda eta0, epoch, n_epochs: eta_min + (eta0 - eta_min) * 0.5 * (
        1 + math.cos(math.pi * epoch / max(n_epochs, 1))
    ), f"cosine(eta_min={eta_min!r})")


def exponential(gamma: float = 0.95) -> Callable[[float, int, int], float]:
    """eta = eta0 * gamma ** epoch; gamma > 0 (below 1: a decay)."""
    gamma = real("gamma", gamma, 0, low_open=True, what="a finite number")
    return _described(lambda eta0, epoch, n_epochs: eta0 * gamma**epoch, f"exponential(gamma={gamma!r})")


#: The functions that make a schedule, and the name of the schedule each makes with its defaults.
_SCHEDULE_MAKERS = {step_decay: "step", cosine: "cosine", exponential: "exponential"}

SCHEDULES: dict[str, Callable[[float, int, int], float]] = Registry("SCHEDULES", {
    "constant": constant,
    "step": step_decay(),
    "cosine": cosine(),
    "exponential": exponential(),
}, "a function (eta0, epoch, n_epochs) -> eta")


def schedule_name(schedule) -> str | None:
    """What checkpoints record of a schedule function: what it computes where it was made here
    (:func:`schedule_description`: "cosine(eta_min=0.0)" for SCHEDULES["cosine"] and cosine() alike), else its
    key in ``SCHEDULES`` (one added there), else None (one of the caller's own)."""
    description = schedule_description(schedule)
    if description is not None:
        return description
    return next((key for key, registered in SCHEDULES.items() if registered is schedule), None)


def get_schedule(schedule, *, argument: str = "schedule") -> Callable[[float, int, int], float]:
    """Return a schedule function from a name in ``SCHEDULES`` or pass a callable through."""
    if any(schedule is maker for maker in _SCHEDULE_MAKERS):  # step_decay itself, not step_decay(...): its call would fail at epoch 1
        raise TypeError(f"{argument}: {schedule.__name__} makes a schedule; call it: "
                        f"{argument}={schedule.__name__}(...) (or give the name {_SCHEDULE_MAKERS[schedule]!r})")
    if callable(schedule):
        try:
            inspect.signature(schedule).bind(1.0, 0, 1)
        except TypeError:
            raise TypeError(f"{argument}: expected a function (eta0, epoch, n_epochs) -> eta; got {schedule!r:.80}, "
                            "which does not take those three arguments") from None
        except ValueError:  # (a builtin without a signature: tried at the first epoch)
            pass
        return schedule
    if not isinstance(schedule, str) or schedule not in SCHEDULES:
        raise ValueError(f"{argument}: unknown schedule {schedule!r}; expected one of {sorted(SCHEDULES)}"
                         f"{did_you_mean(schedule, SCHEDULES)}")
    return SCHEDULES[schedule]
