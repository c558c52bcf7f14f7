"""The network: the lecture's forward pass and backpropagation, for a batch at once.

Notation and conventions (the lecture's, numbered 1..L)
-------------------------------------------------------
Layer l = 1..L has N_l units; N_0 is the input size. Its weight matrix W^l has
the lecture's shape (N_l, N_{l-1}) and its bias b^l shape (N_l,), so for one
example

    z^l = W^l a^{l-1} + b^l,    a^l = sigma(z^l),    a^0 = x,    y = a^L.

The API holds one example per *row*: a batch of n examples is an array of
shape (n, N_l), and the same equation for the batch reads
Z^l = A^{l-1} (W^l)^T + b^l. Python lists are 0-based, so ``weights[l - 1]``
is W^l, ``z[l - 1]`` is z^l and ``delta[l - 1]`` is delta^l, while ``a[l]`` is
a^l (``a[0]`` is the input x). The code below loops over the lecture's l and
converts at the index, so every line reads like the lecture.

Backward, from layer L down to 1:

    delta^L = sigma'(z^L) (.) nabla C(y)
    delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    dC/dw_ij^l = delta_i^l a_j^{l-1}    (a^0 = x)
    dC/db_i^l = delta_i^l

C(theta) is the mean of the per-example costs over the batch (plus
lambda/2 sum_l ||W^l||^2 when ``l2`` = lambda > 0), so dW^l and db^l average the
per-example products over the batch. ``delta`` holds the per-example deltas.
"""

from __future__ import annotations

import math
import contextlib
from dataclasses import dataclass, field
from numbers import Integral, Number, Real
from typing import Sequence

import numpy as np

from .activations import ACTIVATIONS, Activation, get_activation
from .activations import hidden_activations as hidden_activation_names
from .checks import boolean, integer, real
from .checks import seed as check_seed
from .initialisers import INITIALISERS, get_initialiser
from .losses import LOSSES, Loss, get_loss

__all__ = ["Network", "ForwardPass", "Gradients", "views_of", "joined"]

Array = np.ndarray

#: Entries of a SciPy sparse X densified at a time where its rows are read (64 MB in float32): rows of the
#: dense X are made a block of max(1, SPARSE_BLOCK // N_0) at a time, never the whole matrix.
SPARSE_BLOCK = 2**24


def sparse_rows(n_features: int) -> int:
    """How many rows of a sparse X with ``n_features`` columns are densified at a time."""
    return max(1, SPARSE_BLOCK // max(n_features, 1))


def default_loss_for_output(output: str) -> str:
    """The loss used when only the output activation is given: the one whose delta^L = y - t with it
    (``Loss.fused_output``: softmax -> cross_entropy, sigmoid -> binary_cross_entropy, exp -> poisson),
    else the lecture's quadratic cost."""
    return next((name for name, loss in LOSSES.items() if loss.fused_output == output), "quadratic")


@dataclass
class ForwardPass:
    """The result of :meth:`Network.forward` for a batch of n examples.

    Attributes
    ----------
    z : list of L arrays; ``z[l - 1]`` is z^l, shape (n, N_l).
    a : list of L + 1 arrays; ``a[0]`` is the input x, shape (n, N_0), and
        ``a[l]`` is a^l = sigma(z^l), shape (n, N_l) (after the dropout mask
        where dropout was applied). ``a[-1]`` is the output y.
    masks : list of L entries; ``masks[l - 1]`` is the inverted-dropout mask of
        layer l (0 or 1/(1 - p), shape (n, N_l)), or None where no dropout.
    """

    z: list[Array]
    a: list[Array]
    masks: list[Array | None]
    # sigma(z^l) before the dropout mask, for layers that have one (sigma' needs it).
    _unmasked: dict[int, Array] = field(default_factory=dict, repr=False)

    @property
    def output(self) -> Array:
        """y = a^L, shape (n, N_L)."""
        return self.a[-1]


@dataclass
class Gradients:
    """The result of :meth:`Network.backward`.

    Attributes
    ----------
    delta : list of L arrays; ``delta[l - 1]`` is delta^l = dc/dz^l for each
        example, shape (n, N_l) (with ``sample_weight``, times the example's weight
        normalised to a mean of 1 over the batch, w_n n / sum_m w_m: the weights 2, 2, 2, 2
        leave it as it is).
    dW : list of L arrays; ``dW[l - 1]`` = dC/dW^l, shape (N_l, N_{l-1}).
    db : list of L arrays; ``db[l - 1]`` = dC/db^l, shape (N_l,).
    """

    delta: list[Array]
    dW: list[Array]
    db: list[Array]


#: Where each W^l and b^l starts in the buffer that holds them all (``Network.parameter_buffer``):
#: at a multiple of 64 bytes, a cache line, so that vector loads never straddle two lines (Adam over
#: a 784-100-10 network's buffer, 300 steps: 11-12 ms aligned against 13-17 ms 16 bytes off).
ALIGNMENT_BYTES = 64


def _padded(size: int, itemsize: int) -> int:
    step = max(1, ALIGNMENT_BYTES // itemsize)
    return -(-size // step) * step


def buffer_size(shapes: Sequence[tuple], dtype) -> int:
    """The length of a 1-D buffer of ``dtype`` that holds arrays of these shapes, each aligned."""
    itemsize = np.dtype(dtype).itemsize
    return sum(_padded(math.prod(shape), itemsize) for shape in shapes)


def _callers_level() -> int:
    """The ``stacklevel`` of a warning raised by the function that calls this one that names the first line outside
    deltaprop: the user's, however many of deltaprop's functions are between (Network.fit, training.fit, ...)."""
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def _sorted_labels(y: Array) -> Array:
    """The distinct labels of y in order, or TypeError naming y when they cannot be ordered (None among
    them, text mixed with numbers)."""
    try:
        return np.unique(y)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in y.tolist()})
        raise TypeError(f"y: expected labels of one kind that can be ordered (all numbers, or all text); got "
                        f"{', '.join(kinds)} values") from None


def _label_kind(labels: Array) -> str | None:
    """"text", "bytes" or "number" for labels of that kind (NumPy's or Python objects), else None."""
    kind = labels.dtype.kind
    if kind == "O":
        values = labels.ravel().tolist()
        for name, types in (("text", str), ("bytes", bytes), ("number", Number)):
            if values and all(isinstance(v, types) for v in values):
                return name
        return None
    return {"U": "text", "S": "bytes"}.get(kind, "number" if kind in "biuf" else None)


def check_network(net, argument: str = "net") -> None:
    """TypeError naming ``argument`` unless ``net`` is a deltaprop Network (an estimator's is its ``network_``);
    the functions that take one check it first, so that an estimator gets this, not an AttributeError.."""
    if not isinstance(net, Network):
        hint = "; a scikit-learn estimator's network is its network_" if hasattr(net, "get_params") else ""
        raise TypeError(f"{argument}: expected a deltaprop Network; got {type(net).__name__}{hint}")


def as_numbers(value, argument: str) -> Array:
    """``np.asarray(value)``, but: pandas' nullable columns (Float64, Int64) as float64, missing values NaN
    (refused later by name, as NaN is); rows of different lengths a ValueError naming ``argument``."""
    if hasattr(value, "to_numpy") and hasattr(value, "dtypes"):  # a pandas DataFrame
        with contextlib.suppress(TypeError, ValueError):  # (text columns stay object: refused as such)
            value = value.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return np.asarray(value)
    except ValueError:  # NumPy: "setting an array element with a sequence ... inhomogeneous shape"
        lengths = {len(row) if hasattr(row, "__len__") else None for row in value}
        got = ("a mix of numbers and sequences" if None in lengths else f"rows of lengths {sorted(lengths)[:5]}"
               if len(lengths) > 1 else "rows holding sequences where numbers belong")
        raise ValueError(f"{argument}: expected a rectangular array of numbers, every row as long; got {got}") from None


def aligned_zeros(size: int, dtype) -> Array:
    """A 1-D array of ``size`` zeros whose first entry is at a multiple of ``ALIGNMENT_BYTES``."""
    dtype = np.dtype(dtype)
    raw = np.zeros(size + ALIGNMENT_BYTES // dtype.itemsize, dtype=dtype)
    skip = (-raw.__array_interface__["data"][0] % ALIGNMENT_BYTES) // dtype.itemsize
    return raw[skip : skip + size]


def views_of(buffer: Array, shapes: Sequence[tuple]) -> list[Array]:
    """Views of the 1-D ``buffer`` (of length :func:`buffer_size`) with these shapes, one after
    another, each starting at a multiple of ``ALIGNMENT_BYTES`` from the buffer's start."""
    views, offset = [], 0
    for shape in shapes:
        size = math.prod(shape)
        views.append(buffer[offset : offset + size].reshape(shape))
        offset += _padded(size, buffer.itemsize)
    if offset != buffer.size:
        raise ValueError(f"views_of: the shapes need a buffer of {offset} numbers; got {buffer.size}")
    return views


def joined(arrays: Sequence[Array]) -> Array | None:
    """The 1-D buffer of which ``arrays`` are the pieces laid out by :func:`views_of`, or None
    when they are not: all of them as one array, without a copy."""
    if not arrays:
        return None
    owner = arrays[0].base
    if not (isinstance(owner, np.ndarray) and owner.ndim == 1 and owner.flags.c_contiguous
            and owner.dtype == arrays[0].dtype):
        return None
    itemsize, origin = owner.itemsize, owner.__array_interface__["data"][0]
    start = arrays[0].__array_interface__["data"][0]
    offset = 0
    for a in arrays:
        if (a.base is not owner or a.dtype != owner.dtype or not a.flags.c_contiguous
                or a.__array_interface__["data"][0] != start + offset * itemsize):
            return None
        offset += _padded(a.size, itemsize)
    first = (start - origin) // itemsize
    return owner[first : first + offset] if first + offset <= owner.size else None


def _nonfinite_message(argument: str, given: Array, cast: Array) -> str:
    """Where ``cast`` (``given`` in the network's dtype, same shape) first holds NaN or infinity, and why."""
    bad = ~np.isfinite(cast)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), cast.shape))
    value = given[index]
    beyond = f" (beyond the range of {cast.dtype.name}, about {np.finfo(cast.dtype).max:.3g})" if np.isfinite(value) else ""
    count = int(np.count_nonzero(bad))
    more = f" ({count} entries in all)" if count > 1 else ""
    return f"{argument}: expected finite values; got {value!s}{beyond} at [{', '.join(map(str, index))}]{more}"


def weights_fit_dtype(w: Array, dtype) -> bool:
    """Whether the nonzero float64 weights ``w`` lie in ``dtype``'s normal range: then they are rounded to it before
    they are normalised (as fit always has; checkpoints fingerprint them so); else normalised unrounded in float64."""
    info, nonzero = np.finfo(dtype), np.abs(w[w != 0])
    return nonzero.size == 0 or bool(info.tiny <= nonzero.min() and nonzero.max() <= info.max)


def parameter_name(k: int) -> str:
    """The lecture's name of ``parameters()[k]``: W^1, b^1, W^2, b^2, ... (layers numbered 1..L)."""
    return f"{'Wb'[k % 2]}^{k // 2 + 1}"


def _as_list(value, n: int, name: str, per: str = "hidden layer") -> list:
    """A single value for every hidden layer (or every ``per``), or one value for each."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # np.array(0.1): one value
        value = value.item()
    if isinstance(value, (str, Real, Activation)) or value is None or callable(value):
        return [value] * n
    try:
        values = list(value)
    except TypeError:
        raise TypeError(f"{name}: expected one value or a sequence of {n} (one per {per}); got {value!r:.60}") from None
    if len(values) != n:
        raise ValueError(f"{name}: expected one value or {n} (one per {per}); got {len(values)}: {values!r}")
    return values


class Network:
    """A feedforward network trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int, [N_0, N_1, ..., N_L]
        The input size followed by the size of each layer 1..L; at least two
        entries, all >= 1. Example: ``[784, 256, 10]``.
    activation : str, Activation or a sequence of them, default "sigmoid"
        sigma of the hidden layers 1..L-1: one for all, or one per hidden
        layer. An element-wise entry of ``deltaprop.activations.ACTIVATIONS``
        (``hidden_activations()``: sigmoid, the lecture's, tanh, relu, ...) or
        an element-wise Activation of one's own.
    output : str or Activation, optional
        sigma of the output layer L: any entry of ``ACTIVATIONS``, softmax included.
    loss : str or Loss, optional
        An entry of ``deltaprop.losses.LOSSES``: ``quadratic`` (the lecture's
        1/2 ||y - t||^2), ``cross_entropy`` (softmax output),
        ``binary_cross_entropy`` (sigmoid output; also multi-label),
        ``poisson`` (exp output, counts), ... When neither ``output`` nor
        ``loss`` is given: softmax with cross-entropy for N_L > 1, sigmoid
        with binary cross-entropy for N_L = 1. When one is given, the other
        follows: a loss brings the first of its ``outputs`` (quadratic:
        identity), an output the loss whose ``fused_output`` it is (else
        quadratic).
    init : str or sequence of str, optional
        Initialiser name per layer 1..L (see ``deltaprop.initialisers``);
        by default Glorot for sigmoid/tanh/identity/softmax layers and He for
        ReLU-like layers.
    l2 : float >= 0, default 0
        lambda of the penalty lambda/2 sum_l ||W^l||^2 added to C (biases are
        not penalised).
    dropout : float or sequence of float in [0, 1), default 0
        Probability of dropping each unit of a hidden layer during training
        (inverted dropout: kept units are scaled by 1/(1 - p), so nothing
        changes at prediction time). One value for all hidden layers or one
        per hidden layer.
    seed : int, numpy.random.Generator or None
        Source of the initial weights and, in ``fit``, of shuffling and
        dropout: the same seed gives the same parameters bit for bit.
    dtype : "float32" or "float64", default "float32"
        dtype of the parameters and of every computation; inputs are cast to it.

    Attributes
    ----------
    weights : list of L arrays, ``weights[l - 1]`` = W^l of shape (N_l, N_{l-1}).
    biases : list of L arrays, ``biases[l - 1]`` = b^l of shape (N_l,).
    classes_ : array or None, the class labels once fitted on labels.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output: str | None = None,
        loss: str | None = None,
        *,
        init: str | Sequence[str] | None = None,
        l2: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        seed: int | np.random.Generator | None = None,
        dtype: str | np.dtype = "float32",
    ) -> None:
        self.sizes = self._check_sizes(sizes)
        L = self.n_layers
        self.dtype = self._check_dtype(dtype)

        self.hidden_activations = [
            get_activation(name, argument=f"activation (layer {l})", hidden=True)
            for l, name in enumerate(_as_list(activation, L - 1, "activation"), start=1)
        ]
        for l, act in enumerate(self.hidden_activations, start=1):
            if not act.elementwise:  # (delta^l = sigma'(z^l) (.) ... needs sigma' element by element)
                raise ValueError(
                    f"activation (layer {l}): {act.name!r} is for the output layer only; expected one of "
                    f"{list(hidden_activation_names())} or an element-wise Activation of your own for hidden layers"
                )
        self.output_activation, self.loss_function = self._pair_output_and_loss(output, loss)
        self.activations: list[Activation] = self.hidden_activations + [self.output_activation]

        self.l2 = real("l2", l2, 0, what="a finite number")
        if isinstance(dropout, np.ndarray) and dropout.ndim == 0:  # np.array(0.5): one value (as _as_list reads it)
            dropout = dropout.item()
        if L == 1 and isinstance(dropout, Real) and dropout != 0:
            raise ValueError(f"dropout: applies to the hidden layers 1..L-1, and sizes {self.sizes} has none; got {dropout!r}")
        self.dropout = [
            real(f"dropout (layer {l})", p, 0, 1, high_open=True, what="a probability")
            for l, p in enumerate(_as_list(dropout, L - 1, "dropout"), start=1)
        ] + [0.0]

        seed = check_seed("seed", seed)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        inits = _as_list(init, L, "init", per="layer 1..L") if init is not None else [a.init for a in self.activations]
        self.init_names = [n if isinstance(n, str) else getattr(n, "__name__", "custom") for n in inits]
        self.weights: list[Array] = []
        self.biases: list[Array] = []
        for l in range(1, L + 1):
            # (init left out: the name is the activation's default, Activation.init, which the message names)
            act = self.activations[l - 1]
            argument = (f"init (layer {l})" if init is not None
                        else f"Activation {act.name!r} init (the default initialiser of layer {l})")
            initialise = get_initialiser(inits[l - 1], argument=argument)
            W = initialise(self.rng, self.sizes[l], self.sizes[l - 1], self.dtype)  # W^l
            shape = (self.sizes[l], self.sizes[l - 1])
            if np.shape(W) != shape:  # an initialiser of one's own may get the lecture's shape backwards
                raise ValueError(f"init (layer {l}): expected W^{l} of shape (N_{l}, N_{l - 1}) = {shape}; got {np.shape(W)}")
            self.weights.append(np.ascontiguousarray(W, dtype=self.dtype))
            self.biases.append(np.zeros(self.sizes[l], dtype=self.dtype))  # b^l
        self.parameter_buffer()  # every W^l and b^l becomes a view of one buffer
        self.classes_: Array | None = None
        self.multilabel_ = False
        self.history = None
        #: The seed of fit's validation_fraction split, drawn at the first fit that holds examples out:
        #: every later fit of this network holds out the same examples of the same data.
        self.validation_seed: int | None = None
        #: The names of the inputs (N_0 strings), which model files record (see deltaprop.io.save_model): set by
        #: the scikit-learn estimators from a DataFrame's columns, and by load_model from the file; else None.
        self.feature_names_in_: Array | None = None

    # ------------------------------------------------------------------ checks

    @staticmethod
    def _check_sizes(sizes) -> list[int]:
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(f"sizes: expected a sequence of layer sizes such as [784, 256, 10]; got {sizes!r}") from None
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least 2 sizes [N_0, ..., N_L]; got {sizes!r}")
        for l, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
                raise ValueError(f"sizes: expected integers >= 1; got {n!r} for N_{l} in {sizes!r}")
        return [int(n) for n in sizes]

    @staticmethod
    def _check_dtype(dtype) -> np.dtype:
        try:
            dt = None if dtype is None else np.dtype(dtype)  # np.dtype(None) would be float64
        except TypeError:
            dt = None
        # `dt in (...)` would compare with ==, and np.dtype("float64") == None is True
        if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype: expected 'float32' or 'float64'; got {dtype!r}")
        return dt

    def _pair_output_and_loss(self, output, loss) -> tuple[Activation, Loss]:
        if output is None and loss is None:
            output = "softmax" if self.sizes[-1] > 1 else "sigmoid"
        if loss is None:
            out_name = get_activation(output, argument="output").name
            loss = default_loss_for_output(out_name)
        loss_fn = get_loss(loss, argument="loss")
        if output is None:
            output = loss_fn.outputs[0] if loss_fn.outputs is not None else "identity"  # the loss's own
        out = get_activation(output, argument="output")
        if loss_fn.outputs is not None and out.name not in loss_fn.outputs:
            raise ValueError(
                f"loss: {loss_fn.name!r} expects output {' or '.join(map(repr, loss_fn.outputs))}; "
                f"got output {out.name!r}"
            )
        if out.name == "softmax" and self.sizes[-1] < 2:
            raise ValueError(f"output: 'softmax' needs at least 2 output units; got N_L = {self.sizes[-1]}")
        return out, loss_fn

    def check_X(self, X, argument: str = "X", *, sparse: bool = False) -> Array:
        """Return X as a C-contiguous array of shape (n, N_0) and the network's dtype, or raise.

        A SciPy sparse X is densified, or with ``sparse`` kept sparse: CSR in the network's dtype, its duplicate
        entries summed, for callers that densify a few rows (:func:`sparse_rows`, or a batch) at a time."""
        if hasattr(X, "toarray"):  # scipy sparse
            if sparse:
                return self._checked_sparse(X, argument)
            X = X.toarray()
        X = as_numbers(X, argument)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{argument}: expected numbers; got an array of dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(
                f"{argument}: expected a 2-D array of shape (n_examples, {self.sizes[0]}); got shape {X.shape}"
            )
        if X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{argument}: expected {self.sizes[0]} features per example (N_0 = {self.sizes[0]}); "
                f"got shape {X.shape}"
            )
        if X.shape[0] < 1:
            raise ValueError(f"{argument}: expected at least 1 example; got shape {X.shape}")
        with np.errstate(over="ignore"):  # a value beyond the dtype's range is refused below, by name
            given, X = X, np.ascontiguousarray(X, dtype=self.dtype)
        if not np.isfinite(X).all():
            raise ValueError(_nonfinite_message(argument, given, X))
        return X

    def _checked_sparse(self, X, argument: str):
        if X.ndim != 2 or X.shape[1] != self.sizes[0] or X.shape[0] < 1:
            raise ValueError(f"{argument}: expected a 2-D matrix of shape (n_examples >= 1, {self.sizes[0]}) (N_0 = "
                             f"{self.sizes[0]}); got shape {X.shape}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{argument}: expected numbers; got a sparse matrix of dtype {X.dtype}")
        X = X.tocsr(copy=True)
        with np.errstate(over="ignore"):
            X.sum_duplicates()  # (one entry per place, in order: each row densifies as the dense X's row)
            X = X.astype(self.dtype)
        if not np.isfinite(X.data).all():
            raise ValueError(f"{argument}: expected finite numbers (within {self.dtype} range); the sparse matrix holds "
                             f"NaN or infinite values (or values beyond {self.dtype}'s range)")
        return X

    def check_T(self, T, n: int, argument: str = "T") -> Array:
        """Return encoded targets T of shape (n, N_L) in the network's dtype, or raise."""
        T = np.asarray(T)
        if T.dtype.kind not in "biuf":
            raise TypeError(f"{argument}: expected numbers; got an array of dtype {T.dtype}")
        shape = T.shape  # (the caller's: an index in an error is one of theirs)
        if T.ndim == 1 and self.sizes[-1] == 1:
            T = T[:, None]
        if T.shape != (n, self.sizes[-1]):
            raise ValueError(f"{argument}: expected shape ({n}, {self.sizes[-1]}) = (n_examples, N_L); got {T.shape}")
        with np.errstate(over="ignore"):  # a value beyond the dtype's range is refused below, by name
            given, T = T, np.ascontiguousarray(T, dtype=self.dtype)
        if not np.isfinite(T).all():
            raise ValueError(_nonfinite_message(argument, given.reshape(T.shape), T))
        loss = self.loss_function
        for bound, outside, side in ((loss.targets_at_least, np.less, ">="), (loss.targets_at_most, np.greater, "<=")):
            # (log t of the Poisson cost: counts and rates only; the cross-entropies' t and 1 - t: 0 <= t <= 1)
            if bound is not None and (out := outside(T, bound)).any():
                index = [int(i) for i in np.unravel_index(int(np.flatnonzero(out)[0]), shape)]
                raise ValueError(f"{argument}: loss {loss.name!r} is defined for targets {side} {bound:g}; got "
                                 f"{given.reshape(shape)[tuple(index)]} at {index} ({int(out.sum())} in all)")
        return T

    # ------------------------------------------------------------------ shape

    @property
    def n_layers(self) -> int:
        """L, the number of layers with weights."""
        return len(self.sizes) - 1

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases, sum_l N_l (N_{l-1} + 1)."""
        return sum(o * (i + 1) for i, o in zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def is_classifier(self) -> bool:
        """Whether outputs are read as classes: a classification loss, or class labels given to
        ``fit`` (the lecture's quadratic cost on one-hot targets, say)."""
        return self.loss_function.classification or self.classes_ is not None

    def parameters(self) -> list[Array]:
        """theta = [W^1, b^1, ..., W^L, b^L]: W^l of shape (N_l, N_{l-1}), b^l of shape (N_l,), in the
        network's dtype; the arrays themselves, not copies."""
        return [p for W, b in zip(self.weights, self.biases) for p in (W, b)]

    def parameter_buffer(self) -> Array:
        """The one 1-D array, in ``dtype``, of which every W^l and b^l is a view.

        It holds W^1 (row by row), b^1, ..., W^L, b^L in the order of :meth:`parameters`,
        each starting at a multiple of ``ALIGNMENT_BYTES``, with zeros in the gaps (so its
        length is ``n_parameters`` or a little more). An element-wise optimiser updates
        this one array instead of each W^l and b^l in turn: the lecture's
        theta <- theta - eta grad C(theta) in one call, the gaps' gradient being zero.
        Where an entry of ``weights`` or ``biases`` was replaced by another array, its
        values are first copied into a new buffer and the entries become views of that
        (``fit`` does not call this for a replaced array of the network's dtype: it trains
        such arrays in place, one update call per array; see :meth:`check_parameters`).
        """
        params = self.parameters()
        whole = joined(params)
        if whole is None or whole.dtype != self.dtype or not all(p.flags.writeable for p in [whole, *params]):
            shapes = [np.shape(p) for p in params]
            whole = aligned_zeros(buffer_size(shapes, self.dtype), self.dtype)
            views = views_of(whole, shapes)
            for view, p in zip(views, params):
                view[...] = p
            self.weights, self.biases = views[0::2], views[1::2]
        return whole

    def check_parameters(self, argument: str = "net") -> None:
        """Check every W^l and b^l before training or saving: an entry of ``weights`` or ``biases``
        replaced by an array of another shape, or holding NaN or infinities, is refused (ValueError
        naming it: ``weights[l-1]`` is W^l); one of another dtype is copied back into the network's
        dtype (with every other entry, into a new :meth:`parameter_buffer`), so that float32 stays float32,
        and so is a read-only one (training writes the copy; the array given is left as it is).
        """
        for l in range(1, self.n_layers + 1):
            for name, entries, shape in (("weights", self.weights, (self.sizes[l], self.sizes[l - 1])),
                                         ("biases", self.biases, (self.sizes[l],))):
                p, what = entries[l - 1], f"{argument}.{name}[{l - 1}] ({name[0].upper() if name == 'weights' else 'b'}^{l})"
                if not isinstance(p, np.ndarray) or p.shape != shape or p.dtype.kind not in "biuf":
                    got = f"{type(p).__name__} of shape {np.shape(p)}" + (f" and dtype {p.dtype}" if isinstance(p, np.ndarray) else "")
                    raise ValueError(f"{what}: expected an array of numbers of shape {shape}; got {got}")
                with np.errstate(over="ignore"):  # (a float64 value beyond float32's range: refused by name)
                    cast = p.astype(self.dtype, copy=False)
                if not np.isfinite(cast).all():
                    beyond = np.isfinite(p).all()
                    raise ValueError(f"{what}: holds " + (f"values beyond the range of {self.dtype.name}" if beyond
                                                          else "NaN or infinite values"))
        if any(p.dtype != self.dtype or not p.flags.writeable for p in self.parameters()):
            self.parameter_buffer()  # (a read-only array, from np.load(mmap_mode="r") say: training writes a copy)

    def __setstate__(self, state: dict) -> None:
        # pickle and deepcopy copy each view on its own: make W^l and b^l views of one buffer again
        self.__dict__.update(state)
        for name in ("validation_seed", "feature_names_in_"):  # (networks pickled before these were kept)
            self.__dict__.setdefault(name, None)
        self.parameter_buffer()

    def __repr__(self) -> str:
        acts = ",".join(a.name for a in self.activations)
        return f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss_function.name!r}, dtype={self.dtype.name})"

    # ------------------------------------------------------------------ forward

    def forward(self, X, *, training: bool = False, rng: np.random.Generator | None = None) -> ForwardPass:
        """The forward pass for a batch: z^l and a^l for l = 1..L.

        Parameters
        ----------
        X : array of shape (n, N_0), any real dtype (converted to the network's).
        training : bool, default False
            Apply dropout (with ``rng``, or the network's generator).

        Returns
        -------
        ForwardPass with ``z`` (L arrays (n, N_l)) and ``a`` (L + 1 arrays, ``a[0]`` = X), all in the
        network's dtype.
        """
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy Generator (np.random.default_rng(seed)) or None; got {rng!r:.60}")
        return self._forward(self.check_X(X), boolean("training", training), rng or self.rng)

    def _forward(self, X: Array, training: bool, rng: np.random.Generator) -> ForwardPass:
        # X already checked: shape (n, N_0), the network's dtype.
        fp = ForwardPass(z=[], a=[X], masks=[])
        for l in range(1, self.n_layers + 1):
            W, b, sigma = self.weights[l - 1], self.biases[l - 1], self.activations[l - 1]
            z = fp.a[l - 1] @ W.T + b  # z^l = W^l a^{l-1} + b^l   (a row per example)
            a = sigma.forward(z)  # a^l = sigma(z^l)
            mask = None
            p = self.dropout[l - 1]
            if training and p > 0:
                # inverted dropout: keep with probability 1 - p, scale kept units by 1/(1 - p)
                mask = (rng.random(a.shape, dtype=self.dtype) >= p) * self.dtype.type(1 / (1 - p))
                fp._unmasked[l] = a
                a = a * mask
            fp.z.append(z)
            fp.a.append(a)
            fp.masks.append(mask)
        return fp

    # ------------------------------------------------------------------ backward

    def output_delta(self, fp: ForwardPass, T: Array, *, fused: bool = True) -> Array:
        """delta^L for every example, shape (n, N_L).

        The literal path is the lecture's delta^L = sigma'(z^L) (.) nabla C(y)
        (for softmax, its Jacobian-vector product). With ``fused=True`` and
        softmax + cross-entropy, sigmoid + binary cross-entropy or exp +
        poisson, the product simplifies to y - t, which is what is computed
        then; a test proves the two paths agree.

        Where an output saturates (y rounds to exactly 0 or 1: z^L = 17 for a
        float32 sigmoid), the literal product is 0 times a floored gradient,
        so it gives delta^L = 0 where y - t is 1: the lecture's formula, taken
        literally in floating point, stops learning there. Training uses the
        fused form by default for that reason as well as speed.
        """
        y, zL = fp.a[-1], fp.z[-1]
        if self.takes_fused_output(fused):
            if not self.output_activation.elementwise:  # softmax + cross-entropy: dC/dz_j = y_j sum_k t_k - t_j
                total = T.sum(axis=1, keepdims=True)
                if not np.all(total == 1):  # (soft targets whose sum rounds off 1, or rows of several or no classes)
                    return y * total - T
            return y - T  # delta^L = y - t   (sigma'(z^L) (.) nabla C(y), simplified)
        grad_y = self.loss_function.grad(y, T)  # nabla C(y)
        return self.output_activation.vjp(zL, y, grad_y)  # delta^L = sigma'(z^L) (.) nabla C(y)

    def takes_fused_output(self, fused: bool = True) -> bool:
        """Whether :meth:`output_delta` (given ``fused``) takes the simplified delta^L = y - t.

        Only for the registry's own output activation that the loss names in ``fused_output``
        (sigmoid + binary cross-entropy, exp + poisson: y - t for any t; softmax + cross-entropy:
        dC/dz_j = y_j sum_k t_k - t_j, which is y - t where each row of t sums to 1): an
        activation of one's own, even of the same name, takes the literal path.
        """
        out = self.output_activation
        return bool(fused) and out is ACTIVATIONS.get(self.loss_function.fused_output or "", None)

    def backward(self, fp: ForwardPass, T, *, sample_weight=None, fused: bool = True) -> Gradients:
        """Backpropagation: delta^l and the gradients dC/dW^l, dC/db^l, from layer L down to 1.

        Parameters
        ----------
        fp : ForwardPass from :meth:`forward` on the same batch.
        T : array of shape (n, N_L) (or (n,) when N_L = 1)
            Encoded targets t (one-hot for classes).
        sample_weight : array of shape (n,), optional
            Weights of the examples' costs: C = sum_n w_n c_n / sum_n w_n.
        fused : bool, default True
            Use delta^L = y - t where it is exact (see :meth:`output_delta`).

        Returns
        -------
        Gradients: ``delta``, ``dW`` and ``db`` in the order and shapes of
        ``weights`` and ``biases``: the gradient of :meth:`loss` at ``fp``. It is exact
        but for two cases: ``fused=False`` where the output saturates (sigma'(z^L) rounds
        to 0 while y - t does not; see :meth:`output_delta`), and a forward pass run with
        ``training=True``, whose dropout masks it applies (the gradient of that step's
        thinned network, not of :meth:`loss`).
        """
        self._check_forward_pass(fp)
        fused = boolean("fused", fused)
        n = fp.a[0].shape[0]
        T = self.check_T(T, n)
        w = None if sample_weight is None else self._normalised_weights(sample_weight, n)
        return self._backward(fp, T, w, fused)

    def _check_forward_pass(self, fp) -> None:
        """``fp`` as backward needs it: a ForwardPass of this network's layers and dtype, else an error naming fp."""
        if not isinstance(fp, ForwardPass):
            hint = " (backward takes what forward gives: fp = net.forward(X), then net.backward(fp, T))" if isinstance(
                fp, np.ndarray) else ""
            raise TypeError(f"fp: expected the ForwardPass of net.forward on the batch; got {type(fp).__name__}{hint}")
        widths = [z.shape[1] if getattr(z, "ndim", 0) == 2 else None for z in fp.z]
        if widths != self.sizes[1:] or len(fp.a) != self.n_layers + 1 or fp.a[0].shape[1:] != (self.sizes[0],):
            raise ValueError(f"fp: a forward pass of another network (layer widths {widths}); expected one of this "
                             f"network's, N_1..N_L = {self.sizes[1:]}")
        if any(z.dtype != self.dtype for z in fp.z):
            raise ValueError(f"fp: a forward pass in {fp.z[0].dtype}, of another network; expected one of this "
                             f"{self.dtype.name} network's")

    def _backward(self, fp: ForwardPass, T: Array, w: Array | None, fused: bool) -> Gradients:
        # T checked, w normalised to mean 1 (or None).
        L = self.n_layers
        n = fp.a[0].shape[0]
        delta: list[Array] = [None] * L  # delta[l - 1] is delta^l
        d = self.output_delta(fp, T, fused=fused)  # delta^L
        if w is not None:
            d *= w[:, None]
        delta[L - 1] = d
        for l in range(L - 1, 0, -1):
            back = delta[l] @ self.weights[l]  # (W^{l+1})^T delta^{l+1}   (a row per example)
            if fp.masks[l - 1] is not None:
                back *= fp.masks[l - 1]  # dropped units pass no gradient
            s = fp._unmasked.get(l, fp.a[l])
            delta[l - 1] = self.activations[l - 1].vjp(fp.z[l - 1], s, back)  # delta^l = sigma'(z^l) (.) ...
        scale = self.dtype.type(1 / n)
        dW, db = [], []
        for l in range(1, L + 1):
            # dC/dw_ij^l = delta_i^l a_j^{l-1}, averaged over the batch: (delta^l)^T A^{l-1} / n
            g = (delta[l - 1].T @ fp.a[l - 1]) * scale
            if self.l2:
                g += self.dtype.type(self.l2) * self.weights[l - 1]  # d/dW of lambda/2 ||W||^2
            dW.append(g)
            db.append(delta[l - 1].sum(axis=0) * scale)  # dC/db_i^l = delta_i^l, averaged
        return Gradients(delta=delta, dW=dW, db=db)

    def _normalised_weights(self, sample_weight, n: int) -> Array:
        given = as_numbers(sample_weight, "sample_weight")
        if given.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight: expected numbers, one weight per example; got an array of dtype {given.dtype} "
                            f"({sample_weight!r:.60})")
        # In float64 until they are normalised: only then are they rounded to the network's dtype, so that float32
        # weights of 1e39 or 1e-40 (beyond its range, or subnormal) keep their ratios
        with np.errstate(over="ignore"):  # a weight beyond float64's range is refused below
            w = given.astype(np.float64)
        if w.shape != (n,):
            raise ValueError(f"sample_weight: expected shape ({n},); got {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError(_nonfinite_message("sample_weight", given.reshape(w.shape), w))
        if (w < 0).any():
            i = int(np.argmax(w < 0))
            raise ValueError(f"sample_weight: expected weights >= 0; got sample_weight[{i}] = {given.reshape(w.shape)[i].item()!r}"
                             f"{f' and {int((w < 0).sum()) - 1} more below 0' if (w < 0).sum() > 1 else ''}")
        if not w.any():
            raise ValueError("sample_weight: expected a positive sum of weights; got every weight 0")
        if weights_fit_dtype(w, self.dtype):
            # within the dtype's normal range: rounded to it first, as fit always has (the same bits: a checkpoint's
            # fingerprint of validation weights is of these)
            w = w.astype(self.dtype).astype(np.float64)
        with np.errstate(over="ignore"):
            total = w.sum()
            scale = n / total
        if not (np.isfinite(total) and np.isfinite(scale)):  # weights near float64's range, or tiny: scaled to 1 first
            w = w / w.max()
            scale = n / w.sum()
        return (w * scale).astype(self.dtype)  # mean 1, so C = sum w c / sum w

    # ------------------------------------------------------------------ cost

    def penalty(self) -> float:
        """lambda/2 sum_l ||W^l||^2 (0 when l2 = 0)."""
        if not self.l2:
            return 0.0
        return 0.5 * self.l2 * float(sum(np.vdot(W, W) for W in self.weights))

    def has_logit_cost(self) -> bool:
        """Whether the cost can be computed from z^L: the loss's ``logit_cost`` for this output activation."""
        out, loss = self.output_activation, self.loss_function
        return loss.logit_cost is not None and out is ACTIVATIONS.get(loss.fused_output or "", None)

    def cost_of(self, y: Array | None, T: Array, weights: Array | None = None, z: Array | None = None) -> float:
        """(1/n) sum_n w_n c(y_n, t_n): the mean per-example cost of outputs y (n, N_L) against
        encoded targets T (n, N_L), without the penalty. ``weights`` are used as given (the
        training loop passes a batch's slice of weights normalised over the whole data set).

        z : z^L (n, N_L), optional. Where :meth:`has_logit_cost`, the cost is computed from it,
        c = logit_cost(z, t): the same value, but exact where y = sigma(z^L) rounds to 0 or 1
        (``y`` may then be None)."""
        if z is not None and self.has_logit_cost():
            c = self.loss_function.logit_cost(z, T)
        else:
            c = self.loss_function.cost(y, T)
        if weights is not None:
            c = c * weights
        return float(np.mean(c, dtype=np.float64))

    def count_correct(self, y: Array, T: Array) -> int:
        """How many rows of outputs y (n, N_L) classify as the encoded targets T (n, N_L) do (an int):
        argmax y = argmax t, or, for one output or multilabel targets, every unit on the
        same side of 0.5 (y > 0.5 is class 1, as in predict)."""
        if self.sizes[-1] == 1 or self.multilabel_:
            return int(np.count_nonzero(np.all((y > 0.5) == (T > 0.5), axis=1)))
        return int(np.count_nonzero(np.argmax(y, axis=1) == np.argmax(T, axis=1)))

    def loss(self, X, T, *, sample_weight=None) -> float:
        """C(theta): the mean cost over the examples plus the L2 term.

        Parameters
        ----------
        X : array of shape (n, N_0)
        T : array of shape (n, N_L), encoded targets (see :meth:`encode_targets`).
        sample_weight : array of shape (n,), optional: C = sum_n w_n c_n / sum_n w_n.

        Returns a Python float (computed in the network's dtype).
        """
        fp = self.forward(X)
        n = fp.a[0].shape[0]
        T = self.check_T(T, n)
        w = None if sample_weight is None else self._normalised_weights(sample_weight, n)
        return self.cost_of(fp.output, T, w, z=fp.z[self.n_layers - 1]) + self.penalty()  # z^L

    # ------------------------------------------------------------------ targets

    def encode_targets(self, y, *, remember: bool = False, classes=None) -> Array:
        """Turn labels or targets y into T of shape (n, N_L), in the network's dtype.

        - 1-D labels (any type) with N_L > 1: one-hot over the classes (sorted): those of
          y, or ``classes`` where given; where y shows fewer classes than N_L, whole
          numbers in 0..N_L-1 are taken as output indices (as Keras and PyTorch take labels),
          with a warning where 0 is not among them (labels 1..N_L with one missing, say);
        - 1-D labels with binary cross-entropy and N_L = 1: 0/1 for the two classes;
        - 1-D real targets with N_L = 1, or 2-D of shape (n, N_L): used as given
          (one-hot, multi-label indicators or real-valued targets).

        ``remember=True`` (used by ``fit``) stores the classes in ``classes_`` when the
        network has none yet; otherwise (and in every later fit, which keeps the output
        units' classes) labels must be among the known classes. Refused labels change nothing.
        ``classes`` (with ``remember``): every class label, one per output unit (two for a single
        sigmoid unit), for data that lack some; a network that has classes must have these.
        """
        before = (self.classes_, self.multilabel_)
        try:
            if classes is not None:
                self._take_classes(classes, np.asarray(y), remember)
            return self._encode_targets(np.asarray(y), remember)
        except BaseException:
            self.classes_, self.multilabel_ = before  # (what remember=True sets on the way)
            raise

    def _take_classes(self, classes, y: Array, remember: bool) -> None:
        """Set ``classes_`` from fit's ``classes`` (checked), or check them against the network's own."""
        NL = self.sizes[-1]
        if not remember:
            raise ValueError("classes: are given to fit (encode_targets(remember=True))")
        if not (NL > 1 or self.loss_function.classification):
            raise ValueError(f"classes: the network has one output unit with the {self.loss_function.name} loss, a "
                             f"regression; classes need a classifier (N_L > 1, or a sigmoid with binary_cross_entropy)")
        if y.ndim != 1:
            raise ValueError(f"classes: names the classes of labels y of shape (n,); got y of shape {y.shape}")
        given = np.asarray(sorted(classes, key=str) if isinstance(classes, (set, frozenset)) else classes)
        n_expected = 2 if NL == 1 else NL
        try:
            distinct = len(_sorted_labels(given)) if given.ndim == 1 else -1
        except TypeError:  # (None among them, text with numbers: "y: ..." would blame the labels)
            distinct = -1
        finite = given.dtype.kind != "f" or bool(np.isfinite(given).all())
        if given.ndim != 1 or distinct != len(given) or len(given) != n_expected or not finite:
            raise ValueError(f"classes: expected {n_expected} distinct labels (finite numbers, or text), one per class of "
                             f"the N_L = {NL} output unit{'s' if NL > 1 else ''}; got {given.tolist()!r:.80}")
        given = _sorted_labels(given)
        if self.classes_ is None:
            self.classes_ = given
        elif len(self.classes_) != len(given) or not np.array_equal(self.classes_, given):
            raise ValueError(f"classes: the network's output units already have the classes {self.classes_.tolist()!r:.80}; "
                             f"got {given.tolist()!r:.80} (make a new Network for other classes)")

    def _encode_targets(self, y: Array, remember: bool) -> Array:
        NL = self.sizes[-1]
        if y.ndim == 2 and y.shape[1] == 1 and NL == 1:
            y = y[:, 0]
        labels = y.ndim == 1 and (NL > 1 or self.loss_function.classification)  # (one unit: a sigmoid's two classes)
        if not labels:
            if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] != NL) or (y.ndim == 1 and NL != 1):
                raise ValueError(f"y: expected labels of shape (n,) or targets of shape (n, {NL}); got {y.shape}")
            if y.dtype.kind not in "biuf":
                raise TypeError(f"y: expected numeric targets; got dtype {y.dtype}")
            if remember and self.loss_function.classification:
                if not np.isin(y, (0, 1)).all():
                    raise ValueError(f"y: expected one-hot or 0/1 indicator targets for the classification loss "
                                     f"{self.loss_function.name}; for real-valued targets (regression) make the network "
                                     f"with loss='quadratic'")
                if self.output_activation.name == "softmax" and NL > 1:
                    ones = y.sum(axis=1)
                    bad = np.flatnonzero(ones != 1)[:5]
                    if bad.size:
                        raise ValueError(
                            f"y: a softmax output gives one class per example, so each row of 0/1 targets needs exactly "
                            f"one 1; rows {bad.tolist()} have {ones[bad].astype(int).tolist()}. For several labels per "
                            f"example use output='sigmoid' (binary cross-entropy)"
                        )
                if self.classes_ is None or len(self.classes_) != NL:  # a continued fit keeps the classes' names
                    self.classes_ = np.arange(NL)
                # several element-wise (sigmoid) outputs: a 0/1 target per class, any number of them per example
                self.multilabel_ = self.output_activation.elementwise and NL > 1
            elif remember:
                self.classes_, self.multilabel_ = None, False  # real-valued targets: regression
            return self.check_T(y, len(y), argument="y")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y: expected finite labels; got NaN or infinity")
        if remember:
            self.multilabel_ = False  # one label per example: predictions are single classes from now on
        if remember and self.classes_ is not None:
            # Training continues: the output units keep their classes, so the labels must be among them
            # (the check below), even when these data show only some of them.
            remember = False
        if remember:
            classes = _sorted_labels(y)
            n_expected = 2 if NL == 1 else NL
            if len(classes) > n_expected:
                regression = (" (real-valued targets for a regression? make the network with loss='quadratic')"
                              if y.dtype.kind == "f" else "")
                raise ValueError(
                    f"y: the network has N_L = {NL} output units, room for {n_expected} classes; "
                    f"got {len(classes)} classes {classes[:10].tolist()}{regression}"
                )
            if NL > 1 and len(classes) < NL:
                # fewer classes than outputs: assume labels 0..N_L-1 when they are integers in range
                if y.dtype.kind in "iu" and classes.min() >= 0 and classes.max() < NL:
                    if classes.min() > 0:  # (labels 1..N_L with one absent would silently become 0..N_L-1)
                        import warnings

                        warnings.warn(f"y: the labels {classes.tolist()!r:.60} for N_L = {NL} output units are taken as "
                                      f"output indices 0..{NL - 1}, a class 0 without examples; if the classes are others "
                                      f"(1..{NL}, say), give fit classes=[...]", UserWarning, stacklevel=_callers_level())
                    classes = np.arange(NL)
                else:
                    raise ValueError(f"y: {len(classes)} classes {classes.tolist()} for N_L = {NL} output units")
            if NL == 1 and len(classes) == 1:
                raise ValueError(f"y: binary classification needs 2 classes; got only {classes.tolist()}")
            self.classes_ = classes
        if self.classes_ is None:
            raise ValueError("y: labels given, but the network has no classes yet; fit it first or pass encoded targets")
        try:
            index = np.searchsorted(self.classes_, y)
        except TypeError:  # text against numbers, say
            raise TypeError(f"y: labels {y[:5].tolist()} cannot be compared with the classes {self.classes_.tolist()[:10]} "
                            f"this network has been trained for") from None
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(
                f"y: labels {np.unique(y[unknown])[:10].tolist()} are not among the classes {self.classes_.tolist()} "
                f"this network has been trained for (make a new Network for other classes)"
            )
        if NL == 1:
            return index.astype(self.dtype)[:, None]
        T = np.zeros((len(y), NL), dtype=self.dtype)
        T[np.arange(len(y)), index] = 1
        return T

    # ------------------------------------------------------------------ prediction

    def predict_output(self, X, batch_size: int = 4096) -> Array:
        """y = a^L for each example of X (n, N_0): shape (n, N_L), in the network's dtype, computed in batches
        without dropout."""
        return self.output_and_logits(X, batch_size)[0]

    def output_and_logits(self, X, batch_size: int = 4096) -> tuple[Array, Array]:
        """y = a^L and z^L for each example of X (n, N_0), both of shape (n, N_L) and the network's dtype, in
        batches without dropout."""
        X = self.check_X(X, sparse=True)
        batch_size = integer("batch_size", batch_size)
        if hasattr(X, "toarray"):
            batch_size = min(batch_size, sparse_rows(X.shape[1]))
        y = np.empty((X.shape[0], self.sizes[-1]), dtype=self.dtype)
        zL = np.empty_like(y)
        for start in range(0, X.shape[0], batch_size):
            a = X[start : start + batch_size]
            a = a.toarray() if hasattr(a, "toarray") else a  # (a sparse X: one batch of rows dense at a time)
            for W, b, sigma in zip(self.weights, self.biases, self.activations):
                z_l = a @ W.T + b  # z^l = W^l a^{l-1} + b^l
                a = sigma.forward(z_l)  # a^l = sigma(z^l)
            y[start : start + batch_size], zL[start : start + batch_size] = a, z_l
        return y, zL

    def predict_proba(self, X) -> Array:
        """Class probabilities for X (n, N_0): shape (n, n_classes), the network's dtype; for one sigmoid unit,
        columns [1 - y, y]; for several sigmoid units of single-label classes, each row divided by its sum
        (multi-label: as they are)."""
        if not self.loss_function.classification:
            raise ValueError(
                f"predict_proba: needs a classification loss ({', '.join(n for n, l in LOSSES.items() if l.classification)}) whose outputs "
                f"are probabilities; the network's loss is {self.loss_function.name!r} (use predict_output)"
            )
        y = self.predict_output(X)
        if self.sizes[-1] == 1:
            return np.hstack([1 - y, y])
        if not self.multilabel_ and self.output_activation.name != "softmax":
            # one class per example from independent sigmoids: their shares, so that each row sums to 1
            # (the classes ranked as predict ranks them)
            total = y.sum(axis=1, keepdims=True)
            return np.divide(y, total, out=np.full_like(y, 1 / y.shape[1]), where=total > 0)  # (all underflowed: even)
        return y

    def predict(self, X) -> Array:
        """Predictions for X (n, N_0): class labels, shape (n,), of the dtype of ``classes_`` (0/1 int
        indicators (n, N_L) for multi-label), or the outputs y for regression, shape (n, N_L) in the
        network's dtype."""
        return self.labels_of_outputs(self.predict_output(X))

    def labels_of_outputs(self, y: Array) -> Array:
        """What ``predict`` gives for the outputs y = a^L (n, N_L); of encoded targets T, their labels."""
        if not self.is_classifier:
            return y
        if self.multilabel_:
            return (y > 0.5).astype(np.int64)  # (at exactly 0.5, 0: as predict_proba's argmax and scikit-learn)
        classes = self.classes_ if self.classes_ is not None else np.arange(max(self.sizes[-1], 2))
        index = (y[:, 0] > 0.5).astype(np.intp) if self.sizes[-1] == 1 else np.argmax(y, axis=1)
        return classes[index]

    def score(self, X, y) -> float:
        """A float: accuracy on X (n, N_0) and labels y (n,) for classification (subset accuracy for
        multi-label indicators (n, N_L)), R^2 for regression targets (n,) or (n, N_L), averaged over outputs."""
        pred = self.predict(X)
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(pred):
            raise ValueError(f"y: expected {len(pred)} labels or targets, one per row of X; got shape {y.shape}")
        n, NL = len(pred), self.sizes[-1]
        if self.is_classifier:
            if self.multilabel_:
                if y.shape != pred.shape:
                    raise ValueError(f"y: expected 0/1 indicators of shape {pred.shape} for this multi-label network; "
                                     f"got shape {y.shape}")
                return float(np.mean(np.all(pred == y, axis=1)))
            if y.ndim == 2 and y.shape[1] == NL > 1:  # one-hot targets
                classes = self.classes_ if self.classes_ is not None else np.arange(y.shape[1])
                y = classes[np.argmax(y, axis=1)]
            elif y.shape not in ((n,), (n, 1)):
                raise ValueError(f"y: expected labels of shape ({n},) or one-hot targets of shape ({n}, {NL}); got shape {y.shape}")
            classes = self.classes_ if self.classes_ is not None else np.arange(max(NL, 2))
            given, known = _label_kind(y), _label_kind(classes)
            if given and known and given != known:  # ['cat', ...] against classes 0, 1, 2: no label could match
                raise TypeError(f"y: labels of {given} ({y.ravel()[:3].tolist()!r:.60}) for a network whose classes are "
                                f"{known} ({classes[:5].tolist()!r:.60})")
            return float(np.mean(pred == y.reshape(pred.shape)))
        if y.size != pred.size or y.shape not in (pred.shape, (n,)):
            raise ValueError(f"y: expected targets of shape {pred.shape}; got shape {y.shape}")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y: expected numeric targets; got dtype {y.dtype}")
        y = y.reshape(pred.shape).astype(np.float64)
        if not np.isfinite(y).all():  # (a NaN target made ss_tot NaN, which then read as R^2 = 0)
            row = int(np.flatnonzero(~np.isfinite(y).all(axis=1))[0])
            raise ValueError(f"y: expected finite targets; got NaN or infinity (first in row {row})")
        ss_res = ((y - pred) ** 2).sum(axis=0)
        ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # a constant target (ss_tot = 0): 1 if predicted exactly, else 0, as scikit-learn's r2_score
            r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.where(ss_res == 0, 1.0, 0.0))
        return float(np.mean(r2))

    # ------------------------------------------------------------------ training

    def fit(self, X, y, **options):
        """Train by backpropagation; see :func:`deltaprop.training.fit` for the options.

        Returns the :class:`~deltaprop.training.History` (also kept in ``self.history``).
        """
        from .training import fit

        return fit(self, X, y, **options)

    def unregistered_parts(self, initialisers: bool = True) -> list[str]:
        """The activations, the loss and (with ``initialisers``) the initialisers that are not the
        registries' own entries but objects of the user's: ``config`` names them, and
        ``Network(**config)`` would build the registries' instead (or refuse an initialiser's name)."""
        parts = [f"the activation of layer {l} ({a.name!r})" for l, a in enumerate(self.activations, start=1)
                 if ACTIVATIONS.get(a.name) is not a]
        if LOSSES.get(self.loss_function.name) is not self.loss_function:
            parts.append(f"the loss ({self.loss_function.name!r})")
        if initialisers:
            parts += [f"the initialiser of layer {l} ({name!r})" for l, name in enumerate(self.init_names, start=1)
                      if name not in INITIALISERS]
        return parts

    def config(self) -> dict:
        """The architecture as plain JSON-able values: ``Network(**config)`` rebuilds it
        (with fresh parameters; see :meth:`unregistered_parts`). Model files store this beside the weights."""
        return {
            "sizes": list(self.sizes),
            "activation": [a.name for a in self.hidden_activations],
            "output": self.output_activation.name,
            "loss": self.loss_function.name,
            "init": list(self.init_names),
            "l2": self.l2,
            "dropout": self.dropout[:-1],
            "dtype": self.dtype.name,
        }

    def copy(self) -> "Network":
        """A deep copy (parameters, classes and settings)."""
        import copy

        return copy.deepcopy(self)

    def astype(self, dtype) -> "Network":
        """A copy with parameters (and all computation) in ``dtype``."""
        net = self.copy()
        net.dtype = self._check_dtype(dtype)
        net.weights = [W.astype(net.dtype) for W in net.weights]
        net.biases = [b.astype(net.dtype) for b in net.biases]
        net.parameter_buffer()
        return net
