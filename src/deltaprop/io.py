"""Model files: a network's weights in safetensors, its settings as JSON metadata. No pickle.

Layout of a file (``format_version`` 1)
---------------------------------------
Tensors ``W1, b1, ..., WL, bL``: W^l of shape (N_l, N_{l-1}) and b^l of shape
(N_l,), in the network's dtype. The safetensors header's ``__metadata__``
(strings only) holds ``format`` = "deltaprop", ``format_version`` and
``model``, a JSON object with sizes, activations, output, loss, dtype, l2,
dropout, classes, input scaling, image shape, class names and the training
summary.

Loading parses the header itself, checks every offset, shape and dtype
against the metadata before it builds the network (so a small file cannot make
it allocate a large one), checks the rest of the metadata, and only then reads
the numbers: a corrupt, truncated or mismatched file gets a ValueError naming
the file and what is wrong, and nothing in a file is ever executed.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np

from .data import Scaling, align_columns
from .files import existing_file, output_path, write_atomically
from .activations import get_activation
from .initialisers import INITIALISERS
from .network import Network, check_network

__all__ = ["SavedModel", "save_model", "load_model", "classes_to_json", "classes_from_json", "FORMAT_VERSION"]

FORMAT_VERSION = 2
#: Files from OLDEST_READABLE_VERSION to FORMAT_VERSION load (a new version that only adds
#: metadata keeps this; one that changes the meaning of old fields raises it).
OLDEST_READABLE_VERSION = 1
#: The version a file is written with: 2 only where it holds a ``target_scaling``, which a reader of
#: version 1 would ignore, predicting standardised targets; other files stay readable by it.
TARGET_SCALING_VERSION = 2
MAX_HEADER_BYTES = 100 * 1024 * 1024  # safetensors' own limit
SAFETENSORS_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}

Array = np.ndarray


@dataclass
class SavedModel:
    """A loaded model file: the network plus what it needs around it.

    ``predict(X_raw)`` applies the stored input scaling, then the network.
    """

    network: Network
    scaling: Scaling = field(default_factory=Scaling)
    training: dict = field(default_factory=dict)
    class_names: list[str] | None = None
    image_shape: tuple[int, ...] | None = None
    format_version: int = FORMAT_VERSION
    #: The names of the N_0 inputs (a CSV header's columns), in the order the network takes them, or None:
    #: ``deltaprop predict`` and ``evaluate`` match a file's columns to them by name.
    feature_names: list[str] | None = None
    #: The scaling t' = (t - shift) * factor of the regression targets the network was trained on (``deltaprop
    #: train`` standardises a quadratic regression's), or None: ``predict`` undoes it, giving targets' units.
    target_scaling: Scaling | None = None

    def scale(self, X) -> Array:
        """Raw inputs of shape (n, N_0) -> scaled float32 inputs, as ``load_dataset`` gave them in training;
        without scaling (method "none"), the inputs as given, in the network's dtype. A pandas DataFrame's
        columns are matched to ``feature_names`` by name, where the model has them."""
        # (pandas' 0, 1, ..., d-1 of a DataFrame made without names go by position; other labels, years say, are names)
        if self.feature_names is not None and hasattr(X, "iloc") and list(X.columns) != list(range(X.shape[1])):
            names = [str(c).strip() for c in X.columns]  # as the CSV readers take a header's names
            X = X.iloc[:, align_columns(np.arange(X.shape[1])[None, :], names, self.feature_names, "X")[0]]
        if self.scaling.method == "none":
            return self.network.check_X(X)  # (a float64 network trained on raw float64 inputs sees them unrounded)
        return self.scaling.apply(X)

    def predict(self, X) -> Array:
        """Labels, or outputs in the targets' units (``target_scaling`` undone), for raw inputs X of shape
        (n, N_0): labels of shape (n,) (multi-label: (n, N_L) indicators), outputs of shape (n, N_L) in the
        network's dtype."""
        return self.unscale_targets(self.network.predict(self.scale(X)))

    def scale_targets(self, y) -> Array:
        """Regression targets of shape (n,) or (n, N_L) as the network was trained on them: (y - shift) * factor
        (float64), or y itself without ``target_scaling``."""
        if self.target_scaling is None or self.target_scaling.method == "none":
            return y
        return self.target_scaling.scaled64(y)

    def unscale_targets(self, y: Array, dtype=None) -> Array:
        """The network's outputs y back in the targets' units, y / factor + shift (computed in float64, given in
        ``dtype``, by default y's), or y itself (in ``dtype``) without ``target_scaling``."""
        dtype = y.dtype if dtype is None else np.dtype(dtype)
        if self.target_scaling is None or self.target_scaling.method == "none" or self.network.is_classifier:
            return y.astype(dtype, copy=False)
        return self.target_scaling.unscaled64(y).astype(dtype, copy=False)

    def predict_proba(self, X) -> Array:
        """Class probabilities, shape (n, n_classes), for raw inputs X of shape (n, N_0)."""
        return self.network.predict_proba(self.scale(X))


def _json_safe(value):
    """NumPy scalars and arrays to plain Python, for json.dumps (NaN and infinities, which JSON lacks, as null)."""
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN
    return value


def training_summary(training: dict | None) -> dict:
    """``training`` as JSON-ready values (NumPy values as plain ones, NaN as null), or TypeError naming it."""
    try:
        summary = _json_safe(training or {})
        json.dumps(summary, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"training: expected a dict of JSON values (text, numbers, lists, dicts); {exc}") from None
    return summary


def check_storable(net: Network, argument: str, what: str) -> None:
    """Refuse a network a file could not rebuild: one whose activations or loss are not the registry's
    (files store them by name), or whose class labels no file holds (:func:`classes_to_json`)."""
    custom = net.unregistered_parts(initialisers=False)  # (an initialiser's work is in the stored weights)
    if custom:
        raise ValueError(f"{argument}: {what} stores activations and losses by name, and {', '.join(custom)} "
                         f"{'is' if len(custom) == 1 else 'are'} of your own, not the registry's of that name; add "
                         f"{'it' if len(custom) == 1 else 'them'} to deltaprop.activations.ACTIVATIONS / "
                         f"deltaprop.losses.LOSSES under a new name to store such a network")
    if net.classes_ is not None:
        try:
            classes_to_json(net.classes_)
        except TypeError as exc:
            raise ValueError(f"{argument}: {what} stores the network's class labels, and {str(exc).removeprefix('classes: ')}") from None


def model_config(net: Network) -> dict:
    """The settings needed to rebuild ``net`` (everything but the parameters)."""
    classes = None if net.classes_ is None else classes_to_json(net.classes_)
    return {**net.config(), "classes": classes, "multilabel": bool(net.multilabel_)}


#: What each NumPy kind of class labels is written as in JSON: the labels themselves (booleans,
#: integers, real numbers, text), bytes as Latin-1 text, dates and durations as their int64 ticks,
#: and for an object array each label as itself (text, a boolean or a number) or, all bytes, as Latin-1.
#: The dtype is stored beside them (``"<i4"``, ``"<U5"``, ``"<M8[D]"``, ``"|O"``): predict() gives
#: labels of the dtype the network was trained with, before and after a save.
_JSON_TYPES = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float), "U": (str,), "S": (str,),
               "M": (int,), "m": (int,), "O": (str, bool, int, float)}


def classes_to_json(classes) -> dict:
    """``net.classes_`` (shape (K,)) as ``{"values": [...], "dtype": ..., "kind": ...}`` for a file.

    Raises TypeError naming ``classes`` for labels no file holds: complex numbers, NaN or
    infinities, or objects other than text, booleans, numbers and bytes.
    """
    classes = np.asarray(classes)
    kind, extra = classes.dtype.kind, {}
    if kind in "biufU":
        values = classes.tolist()
    elif kind == "S":
        values = [v.decode("latin-1") for v in classes.tolist()]
    elif kind in "Mm":
        values = classes.view(np.int64).tolist()
    elif kind == "O":
        values = [v.item() if isinstance(v, np.generic) else v for v in classes]  # np.int64(3) -> 3
        if values and all(isinstance(v, bytes) for v in values):
            values, extra = [v.decode("latin-1") for v in values], {"elements": "bytes"}
    else:
        values = None
    if values is None or not all(isinstance(v, _JSON_TYPES[kind]) for v in values):
        raise TypeError(f"classes: labels of dtype {classes.dtype} ({classes[:3].tolist()!r:.60}) cannot be stored; "
                        f"expected text, booleans, numbers, bytes, dates or durations")
    if not all(math.isfinite(v) for v in values if isinstance(v, float)):
        raise TypeError(f"classes: NaN or infinite labels cannot be stored; got {classes.tolist()!r:.60}")
    return {"values": values, "dtype": classes.dtype.str, "kind": kind, **extra}


#: The widest text dtype of class labels read as stored beyond its longest label's (NumPy gives labels the longest
#: one's width; an array made wider on purpose keeps its width up to this, and a wider one is narrowed on reading).
MAX_LABEL_WIDTH = 1024


def classes_from_json(classes, n_outputs: int) -> Array:
    """The class labels written by :func:`classes_to_json`, checked: one per output unit (two for a single
    output unit, as predict() reads them), of the stored dtype, distinct and sorted. ValueError if not."""
    if not isinstance(classes, dict) or not isinstance(classes.get("values"), list):
        raise ValueError(f"classes {classes!r:.80}; expected an object with a list of values")
    values = classes["values"]
    # predict() picks classes[argmax y], or for one output unit classes[y > 0.5]: exactly this many
    n_expected = 2 if n_outputs == 1 else n_outputs
    if len(values) != n_expected:
        raise ValueError(f"{len(values)} classes for N_L = {n_outputs} output units; expected {n_expected}")
    if "dtype" not in classes:  # files written before the dtype was stored
        return _classes_by_kind(values, classes.get("kind"))
    try:
        dtype = np.dtype(classes["dtype"])
    except (TypeError, ValueError):
        dtype = None
    kind, as_bytes = getattr(dtype, "kind", None), classes.get("elements") == "bytes"
    # (bool is an int to Python: only booleans, and objects, take it)
    if not (kind in _JSON_TYPES and all(isinstance(v, _JSON_TYPES[kind]) and (kind in "bO" or not isinstance(v, bool))
                                        and (not as_bytes or isinstance(v, str)) for v in values)):
        raise ValueError(f"classes {values!r:.80} of dtype {classes['dtype']!r:.40}; expected labels of that dtype")
    if kind in "SU":  # a few bytes of JSON must not make each label (and each predicted one) megabytes wide:
        # a width beyond MAX_LABEL_WIDTH and the longest label's is narrowed to that label's (the labels are the same)
        longest = max((len(v) for v in values), default=0)
        if dtype.itemsize // (4 if kind == "U" else 1) > max(longest, MAX_LABEL_WIDTH):
            dtype = np.dtype((dtype.type, max(longest, 1)))
    try:
        if kind == "O":
            array = np.empty(len(values), dtype=object)
            array[:] = [v.encode("latin-1") for v in values] if as_bytes else values
        elif kind in "Mm":
            array = np.array(values, dtype=np.int64).view(dtype)
        else:
            array = np.array([v.encode("latin-1") for v in values] if kind == "S" else values, dtype=dtype)
            if array.tolist() != (array.tolist() if kind == "S" else values):  # truncated text, rounded numbers
                raise ValueError
        ordered = bool((array[1:] > array[:-1]).all())  # encode_targets looks labels up with searchsorted
    except (OverflowError, ValueError, TypeError, UnicodeError):
        raise ValueError(f"classes {values!r:.80} do not fit dtype {dtype}") from None
    if not ordered:
        raise ValueError(f"classes {values!r:.80}; expected distinct labels in sorted order")
    return array


def _check_image_shape(image_shape, n_inputs: int) -> list[int] | None:
    if image_shape is None:
        return None
    try:
        shape = list(image_shape)
    except TypeError:
        raise ValueError(f"image_shape: expected (height, width) with height * width = N_0 = {n_inputs}; got {image_shape!r}") from None
    integers = all(isinstance(v, Integral) and not isinstance(v, bool) for v in shape)  # (2.5, 1.6) would be cut to (2, 1)
    if not integers or len(shape) != 2 or math.prod(shape) != n_inputs or min(shape) < 1:  # (-8, -8) multiplies to 64 too
        raise ValueError(f"image_shape: expected (height, width) with height * width = N_0 = {n_inputs}; got {tuple(shape)}")
    return [int(v) for v in shape]


def _check_feature_names(feature_names, n_inputs: int) -> list[str] | None:
    if feature_names is None:
        return None
    names = None if isinstance(feature_names, str) else list(feature_names) if hasattr(feature_names, "__iter__") else None
    if names is None or len(names) != n_inputs or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ValueError(f"feature_names: expected N_0 = {n_inputs} distinct strings, one per input; got {feature_names!r:.80}")
    return names


def model_metadata(net: Network, *, scaling=None, training=None, class_names=None, image_shape=None,
                   feature_names=None, target_scaling=None, argument: str = "net") -> dict:
    """The JSON metadata of a model file of ``net`` with these :func:`save_model` options, each checked
    as :func:`load_model` would check it, so that what it would refuse is refused before anything is
    written (``ModelCheckpoint`` calls this before training). Brings W^l, b^l replaced by arrays of
    another dtype back to the network's (:meth:`Network.check_parameters`).
    """
    check_network(net, argument)
    check_storable(net, argument, "a model file")
    if feature_names is None:  # (the network's own: a scikit-learn estimator's DataFrame columns, a loaded model's)
        feature_names = getattr(net, "feature_names_in_", None)
        feature_names = None if feature_names is None else [str(name) for name in feature_names]
    net.check_parameters(argument)  # (load_model refuses NaN, and tensors of another dtype than the network's)
    if training is not None and not isinstance(training, dict):
        raise TypeError(f"training: expected a dict (a JSON-ready summary); got {type(training).__name__}")
    if class_names is not None:
        n_classes = None if net.classes_ is None else len(net.classes_)
        try:
            names = None if isinstance(class_names, str) else list(class_names)
        except TypeError:
            names = None
        if n_classes is None or names is None or len(names) != n_classes or not all(isinstance(n, str) for n in names):
            expected = "none: the network has no classes" if n_classes is None else f"{n_classes} strings, one per class in net.classes_"
            raise ValueError(f"class_names: expected {expected}; got {class_names!r:.80}")
    if scaling is not None and not isinstance(scaling, Scaling):
        raise TypeError(f"scaling: expected a deltaprop.data.Scaling or None; got {type(scaling).__name__} {scaling!r:.60}")
    scaling_dict = (scaling or Scaling()).to_dict()
    Scaling.from_dict(scaling_dict, net.sizes[0])  # what load_model would refuse (another width, say) is refused now
    if not all(np.isfinite(scaling_dict[k]).all() for k in ("shift", "factor")):
        raise ValueError(f"scaling: expected finite shift and factor; got {scaling!r:.80}")
    target_dict = None
    if target_scaling is not None:
        if not isinstance(target_scaling, Scaling):
            raise TypeError(f"target_scaling: expected a deltaprop.data.Scaling or None; got {type(target_scaling).__name__} "
                            f"{target_scaling!r:.60}")
        if net.is_classifier:
            raise ValueError(f"target_scaling: scales regression targets; the network is a classifier (got {target_scaling!r:.60})")
        target_dict = target_scaling.to_dict()
        Scaling.from_dict(target_dict, net.sizes[-1])
        if not all(np.isfinite(target_dict[k]).all() for k in ("shift", "factor")) or not np.all(np.asarray(target_dict["factor"]) != 0):
            raise ValueError(f"target_scaling: expected a finite shift and a finite, nonzero factor; got {target_scaling!r:.80}")
    return model_config(net) | {
        "scaling": scaling_dict,
        "target_scaling": target_dict,
        "image_shape": _check_image_shape(image_shape, net.sizes[0]),
        "class_names": list(class_names) if class_names is not None else None,
        "feature_names": _check_feature_names(feature_names, net.sizes[0]),
        "training": training_summary(training),
    }


def save_model(
    net: Network,
    path,
    *,
    scaling: Scaling | None = None,
    training: dict | None = None,
    class_names=None,
    image_shape=None,
    feature_names=None,
    target_scaling: Scaling | None = None,
) -> Path:
    """Write ``net`` to ``path`` as safetensors, atomically (temporary file, then os.replace).

    Parameters
    ----------
    net : the Network; its W^l, b^l are stored in its dtype (float32 or float64).
    scaling : the input scaling used in training (applied again by ``SavedModel.predict``).
    training : a JSON-ready summary (data set, epochs, accuracy, ...).
    class_names : names of the classes, in the order of ``net.classes_``.
    image_shape : (height, width) when the inputs are images.
    feature_names : N_0 distinct names of the inputs (a CSV header's columns, in the network's order),
        by which ``deltaprop predict`` and ``evaluate`` match a file's columns; default: the network's
        ``feature_names_in_`` (a scikit-learn estimator's DataFrame columns), if any.
    target_scaling : for a regression, the scaling of the targets the network was trained on
        (``SavedModel.predict`` undoes it), of N_L values or one.

    Returns the path. A crash mid-save leaves any earlier file at ``path`` intact. The same network and
    options give the same bytes (see :func:`safetensors_bytes`).
    """
    model = model_metadata(net, scaling=scaling, training=training, class_names=class_names, image_shape=image_shape,
                           feature_names=feature_names, target_scaling=target_scaling)
    path = output_path(path)
    tensors = {}
    for l in range(1, net.n_layers + 1):
        tensors[f"W{l}"] = np.ascontiguousarray(net.weights[l - 1])
        tensors[f"b{l}"] = np.ascontiguousarray(net.biases[l - 1])
    version = TARGET_SCALING_VERSION if model["target_scaling"] is not None else 1
    metadata = {"format": "deltaprop", "format_version": str(version), "model": json.dumps(model, allow_nan=False)}
    return write_atomically(path, safetensors_bytes(tensors, metadata))


#: The safetensors dtype codes of the arrays a model file holds.
_SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}


def safetensors_bytes(tensors: dict[str, Array], metadata: dict[str, str]) -> bytes:
    """``tensors`` (float32 or float64 arrays) and ``metadata`` in the safetensors format: an 8-byte little-endian
    header length, the JSON header (padded with spaces to a multiple of 8 bytes), then the tensors' little-endian
    bytes in the order of their names. The header's keys are sorted, so that the same content always gives the
    same bytes: safetensors' own ``save`` writes the metadata keys in a Rust HashMap's order, which changes from
    process to process (a content-hashing pipeline saw every identical model file as changed)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _SAFETENSORS_DTYPES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def looks_like(raw: bytes) -> str | None:
    """What a file that starts with ``raw`` (its first 8 bytes or more) appears to be, where it is a kind of
    data file rather than a model: "gzip-compressed data", "a NumPy .npy array", ..., or None."""
    if raw[:2] == b"\x1f\x8b":
        return "gzip-compressed data, such as IDX images or labels"
    if raw[:6] == b"\x93NUMPY":
        return "a NumPy .npy array"
    if raw[:4] == b"PK\x03\x04":
        return "a zip archive, such as a NumPy .npz file"
    if len(raw) >= 4 and raw[:2] == b"\x00\x00" and raw[2] in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E) and 1 <= raw[3] <= 4:
        return "an IDX (MNIST-format) file"
    for cut in range(4):  # (the bytes may end inside a character)
        try:
            text = raw[: len(raw) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            text = ""
    if text and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "text, such as a CSV file"
    return None


def _read_header(path: Path, raw: bytes, size: int | None = None) -> tuple[dict, int]:
    """Parse and check the safetensors header: (header dict, offset of the data). ``raw`` is the file, or its
    first bytes when they already show it is not a model file of ``size`` bytes (see :func:`load_model`)."""
    size = len(raw) if size is None else size
    if size < 8:
        raise ValueError(f"model file {path}: truncated ({size} bytes); expected a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    what = looks_like(raw[:16]) if n > MAX_HEADER_BYTES or 8 + n > size else None
    if what is not None:
        raise ValueError(f"model file {path}: not a safetensors file; it starts like {what}")
    if n > MAX_HEADER_BYTES or 8 + n > size:
        raise ValueError(f"model file {path}: truncated or not a safetensors file (header says {n:,} bytes, the file has {size - 8:,} after the length)")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    # (RecursionError: nested too deep; ValueError: also an integer of more than 4300 digits)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"model file {path}: corrupt header, not valid JSON ({str(exc):.100})") from None
    if not isinstance(header, dict):
        raise ValueError(f"model file {path}: corrupt header; expected a JSON object")
    return header, 8 + n


def _is_checkpoint(meta) -> bool:
    """Whether safetensors metadata are a deltaprop training checkpoint's (see deltaprop.checkpoint)."""
    from .checkpoint import FORMAT

    try:
        return json.loads(meta["deltaprop"])["format"] == FORMAT
    except (TypeError, KeyError, ValueError, RecursionError):
        return False


def _metadata(path: Path, header: dict) -> tuple[int, dict]:
    meta = header.get("__metadata__")
    if _is_checkpoint(meta):
        raise ValueError(f"model file {path}: a deltaprop training checkpoint, not a model file (the Python API reads "
                         f"it with deltaprop.checkpoint.load_checkpoint, and fit(resume=...) continues its run)")
    if not isinstance(meta, dict) or meta.get("format") != "deltaprop":
        raise ValueError(f"model file {path}: a safetensors file, but not a deltaprop model (no format=deltaprop metadata)")
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise ValueError(f"model file {path}: bad format_version {meta.get('format_version')!r}") from None
    if version > FORMAT_VERSION:
        raise ValueError(f"model file {path}: format_version {version} is newer than this deltaprop reads ({FORMAT_VERSION}); upgrade deltaprop")
    if version < OLDEST_READABLE_VERSION:
        raise ValueError(
            f"model file {path}: format_version {version} is older than this deltaprop reads "
            f"({OLDEST_READABLE_VERSION} to {FORMAT_VERSION}); save the model again with a matching deltaprop"
        )
    try:
        model = json.loads(meta.get("model", ""))
    except (ValueError, RecursionError) as exc:  # (ValueError: JSON's, or an integer of more than 4300 digits)
        raise ValueError(f"model file {path}: corrupt model metadata ({str(exc):.100})") from None
    if not isinstance(model, dict):
        raise ValueError(f"model file {path}: corrupt model metadata; expected a JSON object")
    return version, model


#: Metadata every file has; checked before anything is built from it.
REQUIRED_KEYS = ("sizes", "activation", "output", "loss", "dtype")
#: Files written before the classes' dtype was stored: for each stored ``kind``, the Python types
#: of its JSON values and the dtype to load them in ("O": text or numbers, loaded as NumPy infers them).
CLASS_KINDS = {"U": ((str,), str), "i": ((int,), np.int64), "u": ((int,), np.uint64), "f": ((int, float), np.float64),
               "b": ((bool,), bool), "O": ((str, int, float), None)}


def _architecture(path: Path, model: dict) -> tuple[list[int], np.dtype]:
    """Sizes and dtype from the metadata, checked without building anything."""
    for key in REQUIRED_KEYS:
        if key not in model:
            raise ValueError(f"model file {path}: metadata lacks {key!r}")
    try:
        return Network._check_sizes(model["sizes"]), Network._check_dtype(model["dtype"])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"model file {path}: bad architecture in metadata: {exc}") from None


def _tensor_layout(path: Path, header: dict, data_size: int, sizes: list[int], dtype: np.dtype) -> list[tuple]:
    """Check each W^l, b^l entry of the header against the sizes: [(name, shape, offset)].

    Runs before the Network is built, so a small file claiming huge sizes is refused
    without allocating (or initialising) a single W^l.
    """
    expected = {}
    for l in range(1, len(sizes)):
        expected[f"W{l}"] = (sizes[l], sizes[l - 1])
        expected[f"b{l}"] = (sizes[l],)
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if set(entries) != set(expected):
        missing, extra = sorted(set(expected) - set(entries)), sorted(set(entries) - set(expected))
        raise ValueError(
            f"model file {path}: tensors do not match the architecture {sizes}: "
            f"missing {missing[:10]}{' ...' if len(missing) > 10 else ''}, unexpected {extra[:10]}{' ...' if len(extra) > 10 else ''}"
        )
    layout = []
    for name, shape in expected.items():
        entry = entries[name]
        stored = SAFETENSORS_DTYPES.get(entry.get("dtype")) if isinstance(entry, dict) else None
        if stored is None or stored != dtype.newbyteorder("<"):
            raise ValueError(f"model file {path}: tensor {name} has dtype {entry.get('dtype') if isinstance(entry, dict) else entry!r}; expected {dtype.name}")
        if list(entry.get("shape", [])) != list(shape):
            raise ValueError(f"model file {path}: tensor {name} has shape {tuple(entry.get('shape', []))}; expected {shape} for sizes {sizes}")
        offsets = entry.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ValueError(f"model file {path}: tensor {name} has bad data_offsets {offsets!r}")
        lo, hi = offsets
        if hi - lo != math.prod(shape) * stored.itemsize or lo < 0:
            raise ValueError(f"model file {path}: tensor {name} has {hi - lo} data bytes; expected {math.prod(shape) * stored.itemsize} for shape {shape}")
        if hi > data_size:
            raise ValueError(f"model file {path}: truncated; tensor {name} needs bytes up to {hi:,} of the data, the file has {data_size:,}")
        layout.append((name, shape, lo))
    # As the safetensors library checks: in the order of their offsets, each tensor starts where the one before
    # ends, so that no two share bytes (one tensor's numbers read as another's) and none leaves a gap.
    end_of_data = 0
    for name, shape, lo in sorted(layout, key=lambda entry: entry[2]):
        if lo != end_of_data:
            raise ValueError(f"model file {path}: tensor {name} starts at byte {lo:,} of the data; expected {end_of_data:,}, "
                             f"where the tensor before it ends (overlapping or gapped tensors: corrupt)")
        end_of_data = lo + math.prod(shape) * dtype.itemsize
    if end_of_data != data_size:
        raise ValueError(f"model file {path}: {data_size - end_of_data:,} unexpected bytes after the tensors (corrupt)")
    return layout


def known_initialisers(model: dict) -> list | None:
    """The ``init`` of a file's network config (``Network.config()``, one name per layer 1..L) for rebuilding it:
    a name the registry lacks (an initialiser of the user's own, only a name in a file) becomes its layer's
    default, and a field of another shape None. Never refused: the weights that follow are the file's, whatever
    made them."""
    init = model.get("init")
    if isinstance(init, list) and any(isinstance(n, str) and n in INITIALISERS for n in init):
        try:
            sizes = model["sizes"]
            hidden = model["activation"] or ["sigmoid"]
            hidden = [hidden] if isinstance(hidden, str) else list(hidden)  # (Network takes one name for all too)
            hidden = hidden * (len(sizes) - 2) if len(hidden) == 1 else hidden
            defaults = [get_activation(a).init for a in [*hidden, model["output"]]]
        except (KeyError, TypeError, ValueError):
            defaults = None
        init = (None if defaults is None or len(init) != len(defaults)
                else [n if isinstance(n, str) and n in INITIALISERS else d for n, d in zip(init, defaults)])
    else:
        init = None
    return init


def lacking_names(model: dict, reader: str = "load_model") -> str | None:
    """What a file's network config (``Network.config()``) names that this deltaprop's registries lack, in words
    that say how to load it with ``reader`` (an activation or loss of a newer deltaprop, or one a user registered
    before saving), or None. Initialisers are never refused (see :func:`known_initialisers`); a value that is no name is left to
    ``Network``, which calls it corrupt."""
    from .activations import ALIASES as ACTIVATION_ALIASES, ACTIVATIONS
    from .losses import ALIASES as LOSS_ALIASES, LOSSES

    hidden = model.get("activation")
    hidden = [hidden] if isinstance(hidden, str) else hidden if isinstance(hidden, list) else []
    named = [*(("activation", f" (layer {l})", a) for l, a in enumerate(hidden, start=1)),
             ("activation", " (output layer)", model.get("output")), ("loss", "", model.get("loss"))]
    for what, where, name in named:
        registry, aliases, title, make = ((ACTIVATIONS, ACTIVATION_ALIASES, "deltaprop.activations.ACTIVATIONS", "Activation")
                                          if what == "activation" else (LOSSES, LOSS_ALIASES, "deltaprop.losses.LOSSES", "Loss"))
        if isinstance(name, str) and name and aliases.get(name, name) not in registry:
            return (f"it uses {what} {name!r}{where}, which this deltaprop lacks: a newer deltaprop's, or one registered "
                    f"in Python before the file was saved. To load it, register the same {what} under that name first, "
                    f"{title}[{name!r}] = {make}({name!r}, ...), then call {reader}")
    return None


def _build_network(path: Path, model: dict) -> Network:
    lacking = lacking_names(model) if isinstance(model, dict) else None  # (not "bad architecture": a file of another's)
    if lacking is not None:
        raise ValueError(f"model file {path}: {lacking}")
    init = known_initialisers(model)
    try:
        net = Network(
            model["sizes"],
            activation=model["activation"] if model["activation"] else "sigmoid",
            output=model["output"],
            loss=model["loss"],
            init=init,
            l2=model.get("l2", 0.0),
            dropout=model.get("dropout") or 0.0,
            dtype=model["dtype"],
            seed=0,
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"model file {path}: bad architecture in metadata: {exc}") from None
    net.classes_ = _classes(path, model.get("classes"), net.sizes[-1])
    multilabel = model.get("multilabel", False)
    if not isinstance(multilabel, bool):
        raise ValueError(f"model file {path}: multilabel {multilabel!r}; expected true or false")
    net.multilabel_ = multilabel
    return net


def _classes(path: Path, classes, n_outputs: int) -> Array | None:
    """The stored class labels, checked (:func:`classes_from_json`)."""
    if classes is None:
        return None
    try:
        return classes_from_json(classes, n_outputs)
    except ValueError as exc:
        raise ValueError(f"model file {path}: {exc}") from None


def _classes_by_kind(values: list, kind) -> Array:
    """Labels of a file written before the dtype was stored (only their kind)."""
    types, dtype = CLASS_KINDS.get(kind, ((), None))
    # (bool is an int to Python: only kind "b" takes it; text and numbers do not mix)
    if not (types and all(isinstance(v, types) and (kind == "b" or not isinstance(v, bool)) for v in values)
            and len({isinstance(v, str) for v in values}) <= 1):
        raise ValueError(f"classes {values!r:.80} of kind {kind!r}; expected one label per class, "
                         f"all of one kind ('U' text, 'i'/'u' integers, 'f' numbers, 'b' booleans)")
    try:
        array = np.array(values, dtype=dtype)
        if array.dtype.kind == "O":  # kind "O" with integers beyond 64 bits
            raise OverflowError
    except (OverflowError, ValueError):
        raise ValueError(f"classes {values!r:.80} do not fit kind {kind!r}") from None
    if not (array[1:] > array[:-1]).all():
        raise ValueError(f"classes {values!r:.80}; expected distinct labels in sorted order")
    return array


def _scaling(path: Path, scaling, n_inputs: int) -> Scaling:
    try:
        scaling = Scaling.from_dict({"method": "none"} if scaling is None else scaling, n_inputs)
    except ValueError as exc:
        raise ValueError(f"model file {path}: {exc}") from None
    # Scaling.from_dict takes any float; NaN or inf would only surface in predictions, blamed on the input
    for key in ("shift", "factor"):
        if not np.isfinite(np.asarray(getattr(scaling, key), dtype=np.float64)).all():
            raise ValueError(f"model file {path}: scaling {key} holds NaN or infinite values (corrupt)")
    return scaling


def _target_scaling(path: Path, target_scaling, net: Network) -> Scaling | None:
    if target_scaling is None:
        return None
    if net.is_classifier:
        raise ValueError(f"model file {path}: target_scaling {target_scaling!r:.80} for a classifier (corrupt)")
    scaling = _scaling(path, target_scaling, net.sizes[-1])
    if not np.all(np.asarray(scaling.factor) != 0):
        raise ValueError(f"model file {path}: target_scaling factor 0 (corrupt)")
    return scaling


def _image_shape(path: Path, image_shape, n_inputs: int) -> tuple[int, int] | None:
    if image_shape is None:
        return None
    if not (isinstance(image_shape, list) and len(image_shape) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in image_shape)):
        raise ValueError(f"model file {path}: image_shape {image_shape!r:.80}; expected (height, width), two integers >= 1")
    if math.prod(image_shape) != n_inputs:
        raise ValueError(f"model file {path}: image_shape {image_shape} does not match N_0 = {n_inputs} inputs")
    return tuple(image_shape)


def _feature_names(path: Path, names, n_inputs: int) -> list[str] | None:
    try:
        return _check_feature_names(names, n_inputs)
    except ValueError:
        raise ValueError(f"model file {path}: feature_names {names!r:.80}; expected N_0 = {n_inputs} distinct strings") from None


def _class_names(path: Path, names, classes: Array | None) -> list[str] | None:
    if names is None:
        return None
    if classes is None:
        raise ValueError(f"model file {path}: class_names {names!r:.80} for a model without classes")
    # Files written before the names followed the classes hold a name per label 0..K-1 of the data set
    # (Fashion-MNIST's ten) for a network trained on some of them (--limit): take the trained classes' names.
    if (isinstance(names, list) and len(names) > len(classes) and classes.dtype.kind in "iu"
            and classes.min() >= 0 and classes.max() < len(names)):
        names = [names[int(c)] for c in classes]
    # the names are looked up by the classes' positions
    if not (isinstance(names, list) and len(names) == len(classes) and all(isinstance(n, str) for n in names)):
        raise ValueError(f"model file {path}: class_names {names!r:.80}; expected a list of {len(classes)} strings, one per class")
    return names


def _read_tensors(path: Path, raw: bytes, start: int, layout: list[tuple], net: Network) -> None:
    """Copy the numbers of each W^l, b^l (checked by :func:`_tensor_layout`) into ``net``."""
    dtype = net.dtype.newbyteorder("<")
    for name, shape, lo in layout:
        array = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=start + lo).reshape(shape)
        if not np.isfinite(array).all():
            raise ValueError(f"model file {path}: tensor {name} holds NaN or infinite values (corrupt)")
        l, target = int(name[1:]), (net.weights if name[0] == "W" else net.biases)
        target[l - 1] = array.astype(net.dtype)  # a writable, native-order copy
    net.parameter_buffer()  # the loaded W^l and b^l become views of one buffer again


def load_model(path) -> SavedModel:
    """Read a model file written by :func:`save_model`.

    Returns
    -------
    SavedModel with ``network`` (a Network in the stored dtype, identical
    parameters), ``scaling``, ``training``, ``class_names``, ``image_shape``,
    ``feature_names`` and ``target_scaling``.

    Raises
    ------
    FileNotFoundError, or ValueError naming the file and what is wrong.
    """
    path = existing_file(path, "model file")
    with open(path, "rb") as f:
        size, raw = os.fstat(f.fileno()).st_size, f.read(16)
        n = struct.unpack("<Q", raw[:8])[0] if len(raw) >= 8 else None
        if n is not None and n <= MAX_HEADER_BYTES and 8 + n <= size:
            raw += f.read()  # (only then: a 1 GB CSV is not read whole to say that it is no model file)
    try:
        return _parse_model(path, raw, size)
    except (KeyError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        # a header that parses as JSON but holds the wrong kinds of values
        raise ValueError(f"model file {path}: corrupt metadata ({type(exc).__name__}: {exc})") from None


def _parse_model(path: Path, raw: bytes, size: int) -> SavedModel:
    header, start = _read_header(path, raw, size)  # (raises where raw is only the first bytes: no model file)
    version, model = _metadata(path, header)
    sizes, dtype = _architecture(path, model)
    layout = _tensor_layout(path, header, len(raw) - start, sizes, dtype)
    net = _build_network(path, model)  # only now: the file holds every W^l the sizes claim
    _read_tensors(path, raw, start, layout, net)
    training = model.get("training")
    if training is not None and not isinstance(training, dict):
        raise ValueError(f"model file {path}: training summary {training!r:.80}; expected a JSON object")
    feature_names = _feature_names(path, model.get("feature_names"), net.sizes[0])
    net.feature_names_in_ = None if feature_names is None else np.asarray(feature_names, dtype=object)  # (saved again)
    return SavedModel(
        network=net,
        scaling=_scaling(path, model.get("scaling"), net.sizes[0]),
        training=training or {},
        class_names=_class_names(path, model.get("class_names"), net.classes_),
        image_shape=_image_shape(path, model.get("image_shape"), net.sizes[0]),
        format_version=version,
        feature_names=feature_names,
        target_scaling=_target_scaling(path, model.get("target_scaling"), net),
    )
