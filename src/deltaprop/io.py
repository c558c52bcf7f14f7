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
against the metadata, and only then reads the numbers: a corrupt, truncated
or mismatched file gets a ValueError naming the file and what is wrong, and
nothing in a file is ever executed.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import Scaling
from .files import check_path, existing_file, write_atomically
from .network import Network

__all__ = ["SavedModel", "save_model", "load_model", "FORMAT_VERSION"]

FORMAT_VERSION = 1
#: Files from OLDEST_READABLE_VERSION to FORMAT_VERSION load (a new version that only adds
#: metadata keeps this; one that changes the meaning of old fields raises it).
OLDEST_READABLE_VERSION = 1
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

    def scale(self, X) -> Array:
        """Raw inputs of shape (n, N_0) -> scaled float32 inputs, as in training."""
        return self.scaling.apply(X)

    def predict(self, X) -> Array:
        """Labels (or outputs) for raw inputs X of shape (n, N_0)."""
        return self.network.predict(self.scale(X))

    def predict_proba(self, X) -> Array:
        """Class probabilities, shape (n, n_classes), for raw inputs X of shape (n, N_0)."""
        return self.network.predict_proba(self.scale(X))


def _json_safe(value):
    """NumPy scalars and arrays to plain Python, for json.dumps."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN
    return value


def model_config(net: Network) -> dict:
    """The settings needed to rebuild ``net`` (everything but the parameters)."""
    classes = None
    if net.classes_ is not None:
        classes = {"values": _json_safe(np.asarray(net.classes_)), "kind": np.asarray(net.classes_).dtype.kind}
    return {**net.config(), "classes": classes, "multilabel": bool(net.multilabel_)}


def _check_image_shape(image_shape, n_inputs: int) -> list[int] | None:
    if image_shape is None:
        return None
    shape = list(image_shape)
    if len(shape) != 2 or math.prod(shape) != n_inputs:
        raise ValueError(f"image_shape: expected (height, width) with height * width = N_0 = {n_inputs}; got {tuple(shape)}")
    return [int(v) for v in shape]


def save_model(
    net: Network,
    path,
    *,
    scaling: Scaling | None = None,
    training: dict | None = None,
    class_names=None,
    image_shape=None,
) -> Path:
    """Write ``net`` to ``path`` as safetensors, atomically (temporary file, then os.replace).

    Parameters
    ----------
    net : the Network; its W^l, b^l are stored in its dtype (float32 or float64).
    scaling : the input scaling used in training (applied again by ``SavedModel.predict``).
    training : a JSON-ready summary (data set, epochs, accuracy, ...).
    class_names : names of the classes, in the order of ``net.classes_``.
    image_shape : (height, width) when the inputs are images.

    Returns the path. A crash mid-save leaves any earlier file at ``path`` intact.
    """
    from safetensors.numpy import save

    if not isinstance(net, Network):
        raise TypeError(f"net: expected a deltaprop Network; got {type(net).__name__}")
    path = check_path(path)
    tensors = {}
    for l in range(1, net.n_layers + 1):
        tensors[f"W{l}"] = np.ascontiguousarray(net.weights[l - 1])
        tensors[f"b{l}"] = np.ascontiguousarray(net.biases[l - 1])
    model = model_config(net) | {
        "scaling": (scaling or Scaling()).to_dict(),
        "image_shape": _check_image_shape(image_shape, net.sizes[0]),
        "class_names": list(class_names) if class_names is not None else None,
        "training": _json_safe(training or {}),
    }
    metadata = {"format": "deltaprop", "format_version": str(FORMAT_VERSION), "model": json.dumps(model, allow_nan=False)}
    return write_atomically(path, save(tensors, metadata=metadata))


def _read_header(path: Path, raw: bytes) -> tuple[dict, int]:
    """Parse and check the safetensors header: (header dict, offset of the data)."""
    if len(raw) < 8:
        raise ValueError(f"model file {path}: truncated ({len(raw)} bytes); expected a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(raw):
        raise ValueError(f"model file {path}: truncated or not a safetensors file (header says {n:,} bytes, the file has {len(raw) - 8:,} after the length)")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"model file {path}: corrupt header, not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ValueError(f"model file {path}: corrupt header; expected a JSON object")
    return header, 8 + n


def _metadata(path: Path, header: dict) -> tuple[int, dict]:
    meta = header.get("__metadata__")
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
    except json.JSONDecodeError as exc:
        raise ValueError(f"model file {path}: corrupt model metadata ({exc})") from None
    if not isinstance(model, dict):
        raise ValueError(f"model file {path}: corrupt model metadata; expected a JSON object")
    return version, model


def _build_network(path: Path, model: dict) -> Network:
    try:
        sizes = model["sizes"]
        net = Network(
            sizes,
            activation=model["activation"] if model["activation"] else "sigmoid",
            output=model["output"],
            loss=model["loss"],
            l2=model.get("l2", 0.0),
            dropout=model.get("dropout") or 0.0,
            dtype=model["dtype"],
            seed=0,
        )
    except KeyError as exc:
        raise ValueError(f"model file {path}: metadata lacks {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"model file {path}: bad architecture in metadata: {exc}") from None
    classes = model.get("classes")
    if classes is not None:
        values = np.asarray(classes["values"])
        kind = classes.get("kind", values.dtype.kind)
        net.classes_ = values.astype(str) if kind == "U" else values.astype({"i": np.int64, "u": np.uint64, "f": np.float64, "b": bool}.get(kind, values.dtype))
    net.multilabel_ = bool(model.get("multilabel", False))
    return net


def _read_tensors(path: Path, raw: bytes, header: dict, start: int, net: Network) -> None:
    """Check each W^l, b^l entry of the header against ``net`` and copy the numbers in."""
    expected = {}
    for l in range(1, net.n_layers + 1):
        expected[f"W{l}"] = (net.sizes[l], net.sizes[l - 1])
        expected[f"b{l}"] = (net.sizes[l],)
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if set(entries) != set(expected):
        missing, extra = sorted(set(expected) - set(entries)), sorted(set(entries) - set(expected))
        raise ValueError(f"model file {path}: tensors do not match the architecture {net.sizes}: missing {missing}, unexpected {extra}")
    data_size = len(raw) - start
    end_of_data = 0
    for name, shape in expected.items():
        entry = entries[name]
        dtype = SAFETENSORS_DTYPES.get(entry.get("dtype")) if isinstance(entry, dict) else None
        if dtype is None or dtype != net.dtype.newbyteorder("<"):
            raise ValueError(f"model file {path}: tensor {name} has dtype {entry.get('dtype') if isinstance(entry, dict) else entry!r}; expected {net.dtype.name}")
        if list(entry.get("shape", [])) != list(shape):
            raise ValueError(f"model file {path}: tensor {name} has shape {tuple(entry.get('shape', []))}; expected {shape} for sizes {net.sizes}")
        offsets = entry.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ValueError(f"model file {path}: tensor {name} has bad data_offsets {offsets!r}")
        lo, hi = offsets
        if hi - lo != math.prod(shape) * dtype.itemsize or lo < 0:
            raise ValueError(f"model file {path}: tensor {name} has {hi - lo} data bytes; expected {math.prod(shape) * dtype.itemsize} for shape {shape}")
        if hi > data_size:
            raise ValueError(f"model file {path}: truncated; tensor {name} needs bytes up to {hi:,} of the data, the file has {data_size:,}")
        end_of_data = max(end_of_data, hi)
        array = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=start + lo).reshape(shape)
        if not np.isfinite(array).all():
            raise ValueError(f"model file {path}: tensor {name} holds NaN or infinite values (corrupt)")
        l, target = int(name[1:]), (net.weights if name[0] == "W" else net.biases)
        target[l - 1] = array.astype(net.dtype)  # a writable, native-order copy
    if end_of_data != data_size:
        raise ValueError(f"model file {path}: {data_size - end_of_data:,} unexpected bytes after the tensors (corrupt)")


def load_model(path) -> SavedModel:
    """Read a model file written by :func:`save_model`.

    Returns
    -------
    SavedModel with ``network`` (a Network in the stored dtype, identical
    parameters), ``scaling``, ``training``, ``class_names`` and ``image_shape``.

    Raises
    ------
    FileNotFoundError, or ValueError naming the file and what is wrong.
    """
    path = existing_file(path, "model file")
    raw = path.read_bytes()
    try:
        return _parse_model(path, raw)
    except (KeyError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        # a header that parses as JSON but holds the wrong kinds of values
        raise ValueError(f"model file {path}: corrupt metadata ({type(exc).__name__}: {exc})") from None


def _parse_model(path: Path, raw: bytes) -> SavedModel:
    header, start = _read_header(path, raw)
    version, model = _metadata(path, header)
    net = _build_network(path, model)
    _read_tensors(path, raw, header, start, net)
    try:
        scaling = Scaling.from_dict(model.get("scaling") or {"method": "none"}, net.sizes[0])
    except ValueError as exc:
        raise ValueError(f"model file {path}: {exc}") from None
    image_shape = model.get("image_shape")
    if image_shape is not None and len(image_shape) != 2:
        raise ValueError(f"model file {path}: image_shape {image_shape}; expected (height, width)")
    if image_shape is not None and math.prod(image_shape) != net.sizes[0]:
        raise ValueError(f"model file {path}: image_shape {image_shape} does not match N_0 = {net.sizes[0]} inputs")
    return SavedModel(
        network=net,
        scaling=scaling,
        training=model.get("training") or {},
        class_names=model.get("class_names"),
        image_shape=tuple(image_shape) if image_shape is not None else None,
        format_version=version,
    )
