"""Data sets from local files, never downloaded: IDX (MNIST format), digits, CSV and NumPy files.

Every loader returns a :class:`Dataset` whose inputs are float32 arrays of
shape (n, N_0), one example per row, scaled once (see :class:`Scaling`), and
whose labels are 1-D arrays of shape (n,).

Named data sets
---------------
``digits``
    scikit-learn's bundled 8x8 handwritten digits (1,797 images), split once
    with a fixed seed into 1,437 training and 360 test examples.
``iris`` / ``wine`` / ``breast_cancer``
    scikit-learn's bundled tables: 150 flowers of 3 species (4 measurements),
    178 wines of 3 cultivars (13 measurements), 569 tumours, malignant or
    benign (30 measurements); their class and column names are scikit-learn's.
    20% of each class is held out for testing, always the same rows.
``xor`` / ``circles`` / ``moons`` / ``spiral``
    TensorFlow Playground's two-class pictures in the plane (two features),
    500 points each, generated here from a fixed seed (the same points every
    time, whatever ``seed``), 20% of each class held out for testing, classes
    0 and 1: ``xor`` (uniform in [-1, 1]^2, at least 0.05 from either axis,
    class 1 where x_1 x_2 > 0), ``circles`` (scikit-learn's make_circles:
    radius 1 for class 0, 0.5 for class 1, Gaussian noise 0.1), ``moons``
    (scikit-learn's make_moons: two interleaved half circles of radius 1,
    Gaussian noise 0.2) and ``spiral`` (two interleaved arms of 7/8 of a turn
    from the centre to radius 1, Gaussian noise 0.04). The tables and these are
    standardised by ``scale="auto"``.
``fashion-mnist`` / ``mnist``
    The four IDX files (``train-images-idx3-ubyte[.gz]`` and so on) in a
    directory: the one given by ``path=``, ``$DELTAPROP_DATA/<name>``,
    ``$DELTAPROP_DATA``, then ``/usr/share/datasets/<name>`` (where Debian's
    ``dataset-fashion-mnist`` package installs Fashion-MNIST).
A directory path
    Any directory holding MNIST-format IDX files.
A ``.csv``, ``.npy`` or ``.npz`` file
    Features plus a named label column (CSV header), field (structured
    ``.npy``), column number (plain 2-D ``.npy``) or array (``.npz``).
"""

from __future__ import annotations

import collections
import csv
import gzip
import itertools
import math
import os
import re
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .checks import did_you_mean
from .files import existing_file
from .network import as_numbers

__all__ = ["Dataset", "Scaling", "read_idx", "load_dataset", "load_idx_directory", "load_table", "read_inputs", "NAMED", "TASKS", "SCALINGS",
           "align_columns", "NAMED_SETS", "named_arrays"]

Array = np.ndarray

#: IDX type codes (third byte of the magic number) and their big-endian NumPy dtypes.
IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
#: The data sets known by name, the one list of them (``load_dataset``, every command's --data, explain's
#: --example): name -> what it is.
NAMED_SETS = {
    "digits": "scikit-learn's 8x8 handwritten digits, 1,797 images, classes 0-9",
    "fashion-mnist": "Zalando's 28x28 clothing images, 70,000, 10 classes (IDX files on this machine)",
    "mnist": "28x28 handwritten digits, 70,000, classes 0-9 (IDX files on this machine)",
    "iris": "scikit-learn's 150 irises, 4 measurements, 3 species",
    "wine": "scikit-learn's 178 wines, 13 measurements, 3 cultivars",
    "breast_cancer": "scikit-learn's 569 tumours, 30 measurements, malignant or benign",
    "xor": "500 points in the plane, class 1 where x_1 x_2 > 0 (TensorFlow Playground's)",
    "circles": "500 points in the plane, a circle (class 1) inside a ring (class 0)",
    "moons": "500 points in the plane, two interleaved half circles",
    "spiral": "500 points in the plane, two interleaved spiral arms",
}
NAMED = tuple(NAMED_SETS)
#: The named sets read from IDX files on disk (found as _named_idx_directory says); the others are held in memory
#: (bundled with scikit-learn or generated here) and read by :func:`named_arrays`.
IDX_SETS = ("fashion-mnist", "mnist")
IN_MEMORY = tuple(name for name in NAMED if name not in IDX_SETS)
#: The named sets of two features: points in the plane, whose classes plots.decision_figure draws.
PLANE_SETS = ("xor", "circles", "moons", "spiral")
#: What the labels are taken for (``load_dataset(task=...)``): "auto" reads them as they come
#: (whole numbers and text are classes, other numbers real-valued targets).
TASKS = ("auto", "classification", "regression")
HOW_TO_GET = {
    "fashion-mnist": "install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four files "
    "from https://github.com/zalandoresearch/fashion-mnist in a directory and pass that directory "
    "(--data DIR) or set DELTAPROP_DATA=DIR",
    "mnist": "put the four MNIST IDX files (train-images-idx3-ubyte.gz, ...) in a directory and pass that "
    "directory (--data DIR) or set DELTAPROP_DATA=DIR",
}
#: A float64 of at least this magnitude becomes infinite as float32 (rounded to nearest: halfway
#: from float32's largest value to 2**128 and beyond); every reader refuses such inputs by cell.
_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103
# The four files of an MNIST-format directory: (role, glob pattern).
IDX_FILES = (
    ("train images", "train-images*idx3*"),
    ("train labels", "train-labels*idx1*"),
    ("test images", "t10k-images*idx3*"),
    ("test labels", "t10k-labels*idx1*"),
)


# ---------------------------------------------------------------------- scaling

#: The input scalings (``Scaling.method``); the command line adds "auto" (images to [0, 1], tables standardised).
SCALINGS = ("unit", "standard", "none")
#: Values per block when inputs other than float32 are scaled through float64 (8 MB of float64).
SCALE_BLOCK = 1 << 20


@dataclass
class Scaling:
    """The input scaling x' = (x - shift) * factor, fitted once on the training inputs.

    ``method`` is ``"unit"`` (to [0, 1] from a known or observed range),
    ``"standard"`` (per feature: zero mean, unit variance) or ``"none"``.
    ``shift`` and ``factor`` are floats or float64 arrays of shape (N_0,).
    """

    method: str = "none"
    shift: float | Array = 0.0
    factor: float | Array = 1.0

    @classmethod
    def fit(cls, X: Array, method: str, value_range: tuple[float, float] | None = None) -> "Scaling":
        """Fit ``method`` to raw inputs X of shape (n, N_0); ``value_range`` fixes the unit range (pixels)."""
        if method == "none":
            return cls()
        if method == "unit":
            lo, hi = value_range if value_range is not None else (float(X.min()), float(X.max()))
            return cls("unit", lo, 1.0 / (hi - lo) if hi > lo else 1.0)
        if method == "standard":
            mean = X.mean(axis=0, dtype=np.float64)
            std = X.std(axis=0, dtype=np.float64)
            return cls("standard", mean, 1.0 / np.where(std > 0, std, 1.0))
        raise ValueError(f"scale: expected one of {', '.join(map(repr, SCALINGS))}; got {method!r}")

    def apply(self, X, *, owned: bool = False) -> Array:
        """Return float32 (X - shift) * factor, shape (n, N_0).

        With ``owned=True`` a float32 X is scaled in place (the caller gives it
        up), so a large set never exists twice; otherwise X is left untouched.
        X may be a SciPy sparse matrix or a pandas DataFrame (made dense: the shift makes zeros nonzero).
        """
        if hasattr(X, "toarray"):  # scipy sparse
            X = X.toarray()
        X = as_numbers(X, "X")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X: expected numbers; got an array of dtype {X.dtype}")
        width = next((np.size(v) for v in (self.shift, self.factor) if np.ndim(v) == 1), None)  # per-feature scaling
        if width is not None and (X.ndim != 2 or X.shape[1] != width):
            raise ValueError(f"X: expected {width} features per example, as the scaling was fitted on; got shape {X.shape}")
        if self.method == "none" or X.dtype == np.float32:
            out = X if (owned and X.dtype == np.float32 and X.flags.writeable) else X.astype(np.float32)
            if self.method != "none":
                out -= np.asarray(self.shift, dtype=np.float32)
                out *= np.asarray(self.factor, dtype=np.float32)
            return out
        # Other numbers are shifted in float64 before they are rounded to float32: a column of 1e6 + small
        # changes would lose them to float32's spacing (0.0625 at 1e6) if rounded first. A block of rows at a
        # time, so that no float64 copy of a large set is made.
        out = np.empty(X.shape, dtype=np.float32)
        shift, factor = np.asarray(self.shift, dtype=np.float64), np.asarray(self.factor, dtype=np.float64)
        rows = max(1, SCALE_BLOCK // max(1, int(np.prod(X.shape[1:]))))
        for lo in range(0, len(X), rows):
            np.multiply(X[lo : lo + rows] - shift, factor, out=out[lo : lo + rows], casting="same_kind")
        return out

    def scaled64(self, values) -> Array:
        """(values - shift) * factor in float64, of values' shape: regression targets as a network is trained on
        them (``apply`` is for inputs, which it gives in float32)."""
        return (np.asarray(values, dtype=np.float64) - self.shift) * self.factor

    def unscaled64(self, values) -> Array:
        """The inverse of :meth:`scaled64`: values / factor + shift, in float64."""
        return np.asarray(values, dtype=np.float64) / self.factor + self.shift

    def to_dict(self) -> dict:
        """A JSON-ready description (arrays as lists)."""
        as_json = lambda v: np.asarray(v).tolist() if isinstance(v, np.ndarray) else float(v)  # noqa: E731
        return {"method": self.method, "shift": as_json(self.shift), "factor": as_json(self.factor)}

    @classmethod
    def from_dict(cls, d: dict, n_features: int | None = None) -> "Scaling":
        """The inverse of :meth:`to_dict`; checks per-feature arrays against ``n_features``."""
        if not isinstance(d, dict) or d.get("method") not in SCALINGS:
            raise ValueError(f"scaling: expected a dict with method {' or '.join(map(repr, SCALINGS))}; got {d!r}")
        values = []
        for key in ("shift", "factor"):
            v = d.get(key, 0.0 if key == "shift" else 1.0)
            if isinstance(v, list):
                v = np.asarray(v, dtype=np.float64)
                if v.ndim != 1 or (n_features is not None and v.shape != (n_features,)):
                    raise ValueError(f"scaling {key}: expected {n_features} values; got shape {v.shape}")
            elif not isinstance(v, (int, float)):
                raise ValueError(f"scaling {key}: expected a number or a list; got {v!r}")
            values.append(v)
        return cls(d["method"], *values)


# ---------------------------------------------------------------------- data set


@dataclass
class Dataset:
    """Inputs (float32, shape (n, N_0), scaled) and labels (shape (n,)) for training and testing.

    ``X_test``/``y_test`` are None when the source has no test part (CSV,
    NumPy files); ``image_shape`` is (height, width) for images, else None.
    """

    name: str
    X_train: Array
    y_train: Array
    X_test: Array | None = None
    y_test: Array | None = None
    scaling: Scaling = field(default_factory=Scaling)
    image_shape: tuple[int, int] | None = None
    class_names: list[str] | None = None
    source: str = ""
    #: The names of the N_0 input columns (a CSV header's, the label's left out), or None where the file has none.
    feature_names: list[str] | None = None

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        labels = self.y_train if self.y_test is None else np.concatenate([self.y_train, self.y_test])
        return int(len(np.unique(labels)))

    def split_test(self, fraction: float = 0.2, seed: int = 0) -> "Dataset":
        """Hold out ``fraction`` of the training examples as the test part (when there is none).

        Class labels are held out class by class (stratified), so that every
        class keeps at least one training example; real-valued targets at random.
        """
        if self.X_test is not None:
            return self
        train, test = _test_split(self.y_train, fraction, seed)
        self.X_test, self.y_test = self.X_train[test], self.y_train[test]
        self.X_train, self.y_train = self.X_train[train], self.y_train[train]
        return self


#: The end of an error for whole-number labels too sparse to hold out as classes (a command names its flag instead).
REGRESSION_HINT = "if they are amounts to predict, not classes, give task='regression'"


def _test_split(y: Array, fraction: float, seed: int, too_few: str | None = None,
                may_be_amounts: bool = False) -> tuple[Array, Array]:
    """Sorted (train, test) row numbers: ``fraction`` of each class (of all rows for real targets) to test.

    ``too_few``: the error when no row (or every row) would be tested; by default it blames the data.
    ``may_be_amounts``: whether integer labels were taken as classes only by default (task "auto"):
    then, where they take so many values that no class can spare a row, the error says so.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"test fraction: expected a number in (0, 1); got {fraction!r}")
    n = len(y)
    perm = np.random.default_rng(seed).permutation(n)
    if np.asarray(y).dtype.kind == "f":
        test = perm[: int(round(n * fraction))]
    else:
        _, inverse = np.unique(y, return_inverse=True)
        by_class = [perm[inverse[perm] == k] for k in range(inverse.max() + 1)] if n else []
        # a class's last example stays in training: a class seen only in testing could not be learned
        test = np.concatenate([rows[: min(int(round(len(rows) * fraction)), len(rows) - 1)] for rows in by_class] or [perm[:0]])
    if len(test) < 1 and may_be_amounts and np.asarray(y).dtype.kind in "iu" and n >= 3 and inverse.max() + 1 > n // 2:
        # whole numbers of so many values that they are more likely amounts than classes
        values = inverse.max() + 1
        if too_few is None:
            too_few = (f"data: the {n} labels take {values} values, as classes too few examples each to hold out "
                       f"{fraction:.0%} of each for testing (a class's last example stays in training)")
        else:
            too_few += f"; the {n} labels take {values} values"
        raise ValueError(f"{too_few}; {REGRESSION_HINT}")
    if len(test) < 1 or len(test) >= n:
        raise ValueError(too_few or f"data: {n} examples are too few to hold out {fraction:.0%} for testing")
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


# ---------------------------------------------------------------------- IDX


def read_idx(path) -> Array:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    The header is two zero bytes, a type code (0x08 unsigned byte ... 0x0E
    float64), the number of dimensions d >= 1, then d big-endian uint32 sizes.

    Returns
    -------
    array of the file's shape, e.g. (60000, 28, 28) uint8 for images or
    (60000,) uint8 for labels, in native byte order (no copy for bytes).

    Raises
    ------
    FileNotFoundError, or ValueError naming the file and what is wrong
    (not gzip/corrupt, bad magic number, unknown type, truncated, trailing bytes).
    """
    path = existing_file(path, "IDX file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"IDX file {path}: corrupt or truncated gzip data ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"IDX file {path}: expected a 4-byte magic number; the file has only {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"IDX file {path}: bad magic number {raw[:4].hex()}; expected 0000 then a type code and a dimension count (not an IDX file?)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"IDX file {path}: unknown type code 0x{code:02x}; expected one of {[hex(c) for c in IDX_DTYPES]}")
    if ndim < 1:
        raise ValueError(f"IDX file {path}: expected at least 1 dimension; the header says 0")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"IDX file {path}: truncated header; expected {header} bytes for {ndim} dimensions, got {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    if math.prod(s for s in shape if s) >= 2**48:  # NumPy cannot even describe such a shape, empty or not
        raise ValueError(f"IDX file {path}: impossible dimensions {shape} in the header (corrupt)")
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow for huge claimed shapes
    got = len(raw) - header
    if got < expected:
        raise ValueError(f"IDX file {path}: truncated; the header promises shape {shape} ({expected:,} data bytes), the file has {got:,}")
    if got > expected:
        raise ValueError(f"IDX file {path}: {got - expected:,} unexpected bytes after the data of shape {shape} (corrupt or wrong header)")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data if dtype.byteorder in "=|" else data.astype(dtype.newbyteorder("="))


def _find_idx_files(directory: Path) -> dict[str, Path] | None:
    """The four IDX files of an MNIST-format directory, or None if any is missing."""
    found = {}
    for role, pattern in IDX_FILES:
        matches = sorted(p for p in directory.glob(pattern) if p.is_file())
        if not matches:
            return None
        found[role] = matches[0]
    return found


def _read_idx_images(path: Path) -> Array:
    """:func:`read_idx` of an images file, refusing NaN, infinity or a number beyond float32's range (a float
    type's) by its index in the file: after scaling a NaN would spread through its column, named by no file."""
    images = read_idx(path)
    error = _nonfinite_error(path, images, lambda index: f"at [{', '.join(map(str, index))}]", "IDX file")
    if error is not None:
        raise error
    return images


def _idx_classes(labels: Array, path: Path) -> Array:
    """IDX labels as int64 classes; those of a float type must be whole numbers (int64 would truncate 0.5 and make NaN a class)."""
    if labels.dtype.kind == "f":
        bad = ~((labels == np.round(labels)) & (np.abs(labels) < 2.0**63))  # NaN fails both, infinity the second
        count = int(np.count_nonzero(bad))
        if count:
            i = int(np.argmax(bad))
            more = f" ({_plural(count, 'label')} in all)" if count > 1 else ""
            raise ValueError(f"IDX file {path}: expected whole numbers as class labels; got {labels[i]} at index {i}{more}")
    return labels.astype(np.int64)


def _images_and_labels(images_path: Path, labels_path: Path, limit: int | None) -> tuple[Array, Array]:
    """Images (n, ...) as read and int64 labels (n,), the first ``limit`` of each."""
    images, labels = _read_idx_images(images_path), read_idx(labels_path)
    if images.ndim < 2:
        raise ValueError(f"IDX file {images_path}: expected images of shape (n, height, width); got shape {images.shape}")
    if len(images) == 0:
        raise ValueError(f"IDX file {images_path}: no images (shape {images.shape}); expected at least one")
    if labels.ndim != 1:
        raise ValueError(f"IDX file {labels_path}: expected labels of shape (n,); got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"IDX files {images_path.name} and {labels_path.name}: {len(images)} images but {len(labels)} labels")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, _idx_classes(labels, labels_path)


def load_idx_directory(directory, *, name: str | None = None, scale: str = "unit", limit: int | None = None, scaling: Scaling | None = None) -> Dataset:
    """Load the four MNIST-format IDX files in ``directory`` (plain or .gz).

    Images of shape (n, h, w) become rows of h*w float32 values; unsigned
    byte pixels are scaled to [0, 1] by 1/255 (``scale="unit"``).
    ``limit`` keeps only the first ``limit`` training and test examples.
    ``scaling`` (e.g. a saved model's) is used instead of fitting one.
    Images of a float type must be finite numbers within float32's range, and
    labels of a float type whole numbers; each refusal names the file and index.
    ``name`` is given for a named data set ("fashion-mnist" also names the
    classes); by default the data set is named after the directory, with a
    slash ("mnist/"), and its classes 0-9.
    """
    directory = Path(directory)
    files = _find_idx_files(directory)
    if files is None:
        present = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        shown = present[:8] + ([f"... {len(present) - 8} more"] if len(present) > 8 else [])
        raise FileNotFoundError(
            f"data directory {directory}: expected the four MNIST-format IDX files "
            f"{', '.join(p for _, p in IDX_FILES)}; found {shown or 'nothing'}"
        )
    train_images, y_train = _images_and_labels(files["train images"], files["train labels"], limit)
    test_images, y_test = _images_and_labels(files["test images"], files["test labels"], limit)
    if train_images.shape[1:] != test_images.shape[1:]:
        raise ValueError(f"data directory {directory}: training images are {train_images.shape[1:]} but test images {test_images.shape[1:]}")
    image_shape = tuple(train_images.shape[1:]) if train_images.ndim == 3 else None
    X_train = train_images.reshape(len(train_images), -1)  # a view: no copy yet
    X_test = test_images.reshape(len(test_images), -1)
    value_range = (0.0, 255.0) if X_train.dtype == np.uint8 else None
    if scaling is None:
        scaling = Scaling.fit(X_train, "standard" if scale == "auto" and value_range is None else ("unit" if scale == "auto" else scale), value_range)
    return Dataset(
        # a directory of the user's is named as a directory ("mnist/"), never as a named set it may share a name with
        name=name or f"{directory.resolve().name}/",
        X_train=scaling.apply(X_train, owned=True),  # the one float32 copy of each part
        y_train=y_train,
        X_test=scaling.apply(X_test, owned=True),
        y_test=y_test,
        scaling=scaling,
        image_shape=image_shape,
        class_names=FASHION_CLASSES if name == "fashion-mnist" else None,
        source=str(directory.resolve()),
    )


def _named_idx_directory(name: str, path=None) -> Path:
    """Where a named IDX data set is: ``path``, $DELTAPROP_DATA[/name], /usr/share/datasets/name."""
    candidates = []
    if path is not None:
        candidates.append(Path(path))
    env = os.environ.get("DELTAPROP_DATA")
    if env:
        candidates += [Path(env) / name, Path(env)]
    candidates.append(SYSTEM_DATA_DIR / name)
    for directory in candidates:
        if directory.is_dir() and _find_idx_files(directory) is not None:
            return directory
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"data set {name!r} not found; looked in {looked}. To get it: {HOW_TO_GET[name]}")


# ---------------------------------------------------------------------- tables


def _nan_texts(values: Array) -> Array:
    """Whether each text reads as NaN ('nan', 'NaN', '-nan', ...): how Python, NumPy and pandas write a missing value."""
    values = np.char.lower(np.char.strip(values))  # np.char: NumPy 1.x has no np.strings
    spellings = ("nan", "+nan", "-nan")
    return np.isin(values, [s.encode() for s in spellings] if values.dtype.kind == "S" else spellings)


#: How spreadsheets, R, pandas and databases write a missing value (compared in lower case); in a column of
#: numbers such a text is no class, but a row without its label.
_MISSING_TEXTS = ("", "na", "n/a", "nan", "+nan", "-nan", "null", "none", "?", "-")


def _parse_labels(values: Array, path: Path, column: str) -> Array:
    """Labels read as text: integers when they all are, else floats, else strings.

    None may be empty; numbers must be finite (a NaN or infinite label is
    neither a class nor a target), and a text label that reads as NaN is
    refused too: 'nan' is how Python, NumPy and pandas write a missing value,
    which as a class would be learned and predicted like any other. So are the
    other ways to write one (:data:`_MISSING_TEXTS`: 'NA', 'null', '?', ...) in a
    column whose other labels are numbers: as text they would make every
    label a class, a real-valued target's too.
    """
    where = f"CSV file {path}"
    empty = np.flatnonzero(values == "")
    if len(empty):
        more = f" ({_plural(len(empty), 'row')} in all)" if len(empty) > 1 else ""
        raise ValueError(f"{where}: the label of data row {empty[0] + 1} is empty{more}; expected a label in every row")
    for kind in (np.int64, np.float64):
        try:
            y = values.astype(kind)
        except (ValueError, OverflowError):  # OverflowError: integers beyond int64, read as floats instead
            continue
        bad = np.flatnonzero(~np.isfinite(y))
        if len(bad):
            text = str(values[bad[0]])
            overflow = " (beyond the range of float64)" if any(c.isdigit() for c in text) else ""
            more = f" ({_plural(len(bad), 'row')} in all)" if len(bad) > 1 else ""
            raise ValueError(f"{where}: expected finite numbers as labels; got {text!r}{overflow} in data row {bad[0] + 1}, column {column!r}{more}")
        return y
    missing = np.isin(np.char.lower(values), _MISSING_TEXTS)
    if missing.any() and not missing.all() and _all_numbers(values[~missing]):
        bad = np.flatnonzero(missing)
        more = f" ({_plural(len(bad), 'row')} in all)" if len(bad) > 1 else ""
        raise ValueError(f"{where}: label column {column!r} has a missing value {str(values[bad[0]])!r} in data row {bad[0] + 1}"
                         f"{more}; expected a label in every row (drop or fill {'that row' if len(bad) == 1 else 'those rows'})")
    bad = np.flatnonzero(_nan_texts(values))
    if len(bad):
        more = f" ({_plural(len(bad), 'row')} in all)" if len(bad) > 1 else ""
        raise ValueError(f"{where}: expected a label in every row; got {str(values[bad[0]])!r} (a missing value, not a class) "
                         f"in data row {bad[0] + 1}, column {column!r}{more}")
    return values.astype(str)


def _all_numbers(values: Array) -> bool:
    """Whether every text of ``values`` reads as a float64, as :func:`_parse_labels` reads a column of numbers."""
    try:
        values.astype(np.float64)
    except (ValueError, OverflowError):
        return False
    return True


def _label_error(path: Path, y: Array, where) -> ValueError | None:
    """ValueError naming a NumPy file and its first NaN or infinite label (or empty text, or text 'nan'), or None.

    ``where(i)`` says where row i (from 0) of the labels is in the file; the
    rule is the one :func:`_parse_labels` applies to a CSV label column.
    """
    if y.dtype.kind in "fc":
        bad = ~np.isfinite(y)
    elif y.dtype.kind in "US":
        bad = _nan_texts(y) | (np.char.strip(y) == ("" if y.dtype.kind == "U" else b""))  # empty: no label, as in a CSV
        if y.ndim == 1 and not bad.any():  # 'NA', 'null', '?' ... among labels that are otherwise numbers, as in a CSV
            text = np.char.strip(np.char.decode(y, "latin-1") if y.dtype.kind == "S" else y)
            missing = np.isin(np.char.lower(text), _MISSING_TEXTS)
            bad = missing if missing.any() and not missing.all() and _all_numbers(text[~missing]) else bad
    else:
        return None
    if y.ndim != 1 or not bad.any():  # labels of another shape are refused later, as such
        return None
    rows = np.flatnonzero(bad)
    i = int(rows[0])
    more = f" ({_plural(len(rows), 'label')} in all)" if len(rows) > 1 else ""
    text = y[i].decode("ascii", "replace") if isinstance(y[i], bytes) else str(y[i])
    got = text if y.dtype.kind in "fc" else f"{text!r} (a missing value, not a class)"
    expected = "finite numbers as labels" if y.dtype.kind in "fc" else "a label in every row"
    return ValueError(f"NumPy file {path}: expected {expected}; got {got} at {where(i)}, the label of row {i + 1}{more}")


def load_table(path, label: str | int | None = None) -> tuple[Array, Array]:
    """Read features X (float32, shape (n, d)) and labels y (shape (n,)) from a CSV, .npy or .npz file.

    ``label`` names the label: a CSV header column (default ``"label"``),
    a field of a structured .npy (default ``"label"``) or a column number of a
    plain 2-D .npy (default -1, the last), or an array of a .npz (default
    ``"y"``; the features are the array ``"X"`` or the only other array).
    Files are never unpickled.

    A CSV needs a header row naming each column once. Features must be finite numbers within
    float32's range; labels present and finite when they are numbers; a missing-value text
    ('nan', and 'NA', 'null', '?' ... among numbers) is refused rather than made a class.
    Each refusal names the file, the row and the column, field or array.
    """
    X, y, _ = _load_table(existing_file(path, "data file"), label)
    return X.astype(np.float32, copy=False), y  # (within float32's range: checked; load_dataset scales before rounding)


def _load_table(path: Path, label) -> tuple[Array, Array, list[str] | None]:
    """:func:`load_table`'s (X, y) and the names of X's columns (a CSV header's; None for NumPy files)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(path, "label" if label is None else str(label))
    return (*_load_numpy_table(path, label), None)


def _load_numpy_table(path: Path, label) -> tuple[Array, Array]:
    """(X, y) of a .npz or .npy table."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _storable_labels(*_text_labels(*_load_npz(path, "y" if label is None else str(label)), path), path)
    if suffix == ".npy":
        return _storable_labels(*_text_labels(*_load_npy(path, label), path), path)
    raise ValueError(f"data file {path}: expected a .csv, .npy or .npz file, or an IDX directory; got suffix {suffix!r}")


def _text_labels(X: Array, y: Array, path: Path) -> tuple[Array, Array]:
    """Byte-string labels (NumPy's "S" dtype) as text, as a CSV's are: a model stores its classes as JSON text."""
    if y.dtype.kind != "S":
        return X, y
    try:
        return X, np.char.decode(y, "utf-8")
    except UnicodeDecodeError as exc:
        i = int(np.flatnonzero([_not_utf8(v) for v in y])[0])
        raise ValueError(f"NumPy file {path}: expected labels of text or numbers; the label at index {i} is bytes that are not "
                         f"UTF-8 text ({bytes(y[i])!r}: {exc.reason})") from None


def _storable_labels(X: Array, y: Array, path: Path) -> tuple[Array, Array]:
    """Refuse labels of a dtype no model file stores (complex numbers, records) now, not after training.
    Real numbers pass: they become int64 classes or float64 targets (float128 too)."""
    from .io import classes_to_json  # io imports this module

    if y.dtype.kind in "biuf":
        return X, y
    try:
        classes_to_json(y[:3])  # checks the dtype (NaN and infinity are refused before, by index)
    except TypeError as exc:
        raise ValueError(f"NumPy file {path}: a model file stores the class labels, and "
                         f"{str(exc).removeprefix('classes: ')}") from None
    return X, y


def _not_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _first_csv_row(path: Path) -> list[str] | None:
    """The first row of a CSV file, blank lines skipped as they are everywhere (None when there is none), or ValueError naming the file.

    A header's trailing empty fields are dropped when no data row has a value under them: the trailing
    comma some exporters add to every line (:func:`_trailing_commas`). Under a value, the field names a
    column without a name. A row of numbers keeps them: they are missing numbers.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: without a byte-order mark from Excel
            rows = (row for row in csv.reader(handle) if row)
            row = next(rows, None)
            if row is not None and _holds_text(row):  # text: a header
                width = len(row)
                while width > 1 and not row[width - 1].strip():
                    width -= 1
                if width < len(row):  # (one more pass over the file, only for such a header)
                    used = max((i + 1 for r in rows for i in range(width, len(r)) if r[i].strip()), default=width)
                    row = row[:used]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"CSV file {path}: not a UTF-8 CSV file ({exc})") from None
    return row


def _holds_text(row: list[str]) -> bool:
    """Whether a CSV row has a field that is neither a number nor empty: a header (a row of data has none)."""
    return any(v.strip() and not _parses_as_float(v) for v in row)


def _numbered(row: list[str]) -> bool:
    """Whether a CSV row is 0,1,...,d-1 with d >= PANDAS_HEADER_WIDTH: the column names pandas writes for unnamed columns."""
    return len(row) >= PANDAS_HEADER_WIDTH and [v.strip() for v in row] == [str(i) for i in range(len(row))]


def _separator_hint(row: list[str]) -> str:
    """For a CSV row read as one field holding ';' or tabs, the note that the file is separated by those, else ''."""
    if len(row) != 1:
        return ""
    semicolons, tabs = row[0].count(";"), row[0].count("\t")
    if not semicolons and not tabs:
        return ""
    separator = "';'" if semicolons >= tabs else "tabs"
    return (f": the file seems to be separated by {separator}, and deltaprop reads comma-separated files "
            f"(save it with ',' between the fields)")


def _alike(header: list[str], name: str) -> list[str]:
    """The names of ``header`` that differ from ``name`` only in case: typos for it."""
    return [h for h in header if h.lower() == name.lower() and h != name]


def _header_lines(path: Path) -> int:
    """The lines up to a CSV file's header, the blank ones before it included: np.loadtxt's ``skiprows``."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return 1 + sum(1 for _ in itertools.takewhile(lambda line: line in ("\n", "\r\n", "\r"), handle))


def _csv_records(path: Path, skip_header: bool):
    """(data row number from 1, fields) for each row of a CSV file, or ValueError naming the file.

    Blank lines are skipped and not counted, as np.loadtxt skips them, so that
    row n here is row n - 1 of the array loadtxt returns.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            if skip_header:
                next((row for row in rows if row), None)  # the blank lines before it too
            n = 0
            for row in rows:
                if row:
                    n += 1
                    yield n, row
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"CSV file {path}: not a UTF-8 CSV file ({exc})") from None


def _trailing_commas(row: list[str], width: int) -> bool:
    """Whether ``row`` is ``width`` fields and then only empty ones: the trailing comma some exporters add."""
    return len(row) > width and not any(field.strip() for field in row[width:])


def _loadtxt(path: Path, **kwargs) -> Array:
    """np.loadtxt with the CSV settings every table reader here shares; a 2-D array."""
    with warnings.catch_warnings():
        # a header-only file: the callers say "no data rows" themselves, naming the file
        warnings.filterwarnings("ignore", "loadtxt: input contained no data", UserWarning)
        # comments=None: CSV has no comment syntax; a '#' is data (a label 'C#', a field '#4')
        return np.loadtxt(path, delimiter=",", comments=None, ndmin=2, encoding="utf-8-sig", quotechar='"', **kwargs)


def _column_name(header: list[str] | None, c: int) -> str:
    return repr(header[c]) if header is not None else str(c + 1)


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _parses_as_float(text: str) -> bool:
    """Whether Python's float() reads ``text`` (it takes '1_000' and non-ASCII digits too)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    """Whether np.loadtxt reads ``text`` as a float."""
    return text.isascii() and "_" not in text and _parses_as_float(text)


def _csv_error(path: Path, header: list[str] | None, columns: list[int] | None, exc: ValueError, what: str) -> ValueError:
    """The first bad row or cell of a CSV file that np.loadtxt refused.

    A second pass, made only on failure, since loadtxt's own message counts
    rows from 0 and columns by number, where the other messages say "data row
    N" from 1 and the column's name.
    """
    width = None if header is None else len(header)
    for n, row in _csv_records(path, skip_header=header is not None):
        if width is None:
            width = len(row)
        if len(row) != width and not _trailing_commas(row, width):
            where = "the header" if header is not None else "the first row"
            return ValueError(f"CSV file {path}: expected {_plural(width, 'field')} in every row, as in {where}; data row {n} has "
                              f"{len(row)}{_separator_hint(row)}")
        for c in range(width) if columns is None else columns:
            if not _is_number(row[c]):
                return ValueError(f"CSV file {path}: expected numbers in every {what} column; got {row[c]!r} in data row {n}, "
                                  f"column {_column_name(header, c)}{_separator_hint(row)}")
    return ValueError(f"CSV file {path}: expected numbers in every {what} column ({exc})")


def _first_nonfinite(X: Array) -> tuple[tuple[int, ...], int] | None:
    """The index of X's first NaN, infinity or number beyond float32's range, and how many there are; None when all are fine.

    Every reader's inputs become float32 (the data sets, and a model's
    scaling for prediction): a float64 beyond its range would turn infinite there.
    """
    if X.dtype.kind not in "fc" or X.size == 0:
        return None
    limit = _FLOAT32_OVERFLOW if X.dtype.kind == "f" and X.dtype.itemsize > 4 else np.inf
    if -limit < X.min() and X.max() < limit:  # NaN and inf show in these: no n x d mask on good data
        return None
    bad = ~(np.abs(X) < limit)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), X.shape)), int(np.count_nonzero(bad))


def _beyond_float32(text: str) -> str:
    """The note for a cell whose number is finite as written but beyond float32's range (1e39), else ''."""
    return f" (beyond the range of float32, about {np.finfo(np.float32).max:.3g})" if _is_number(text) and math.isfinite(float(text)) else ""


def _check_csv_finite(path: Path, X: Array, header: list[str] | None, columns: list[int] | None) -> None:
    """Refuse NaN, infinity or numbers beyond float32's range in the features as read, naming the data row and column.

    Checked here, before scaling: a NaN would spread through its column's mean
    and be reported afterwards in every row, naming neither file nor cell.
    """
    found = _first_nonfinite(X)
    if found is None:
        return
    (r, c), count = found
    column = c if columns is None else columns[c]
    # the cell's text, for a number that is only infinite in float32 (1e39)
    text = next((row[column] for n, row in _csv_records(path, skip_header=header is not None) if n == r + 1), str(X[r, c])).strip()
    more = f" ({_plural(count, 'cell')} in all)" if count > 1 else ""
    raise ValueError(f"CSV file {path}: expected finite numbers; got {text!r}{_beyond_float32(text)} in data row {r + 1}, column {_column_name(header, column)}{more}")


#: Rows from which a column without a name holding 0, 1, ..., n-1 is taken for pandas' row numbers.
INDEX_COLUMN_ROWS = 3


def _check_index_column(path: Path, X: Array, header: list[str] | None, columns: list[int]) -> None:
    """Refuse a column without a name that holds 0, 1, ..., n-1: the row numbers pandas' to_csv() writes by default.

    Read as a feature it would teach a model the row number, and every file to predict on would need it too.
    In fewer than INDEX_COLUMN_ROWS rows such values say too little (one row holding 0 is ordinary data).
    """
    if header is None or len(X) < INDEX_COLUMN_ROWS:
        return
    for k, c in enumerate(columns):
        if header[c] == "" and np.array_equal(X[:, k], np.arange(len(X))):
            raise ValueError(f"CSV file {path}: column {c + 1} has no name and holds 0, 1, ..., {len(X) - 1}: the row "
                             f"numbers pandas writes, not data; write the file with to_csv(index=False), or name the "
                             f"column to keep it as a feature")


def _nonfinite_error(path: Path, X: Array, where, kind: str = "NumPy file") -> ValueError | None:
    """ValueError naming a file (a ``kind``) and its first NaN, infinity or number beyond float32's range, ``where(index)`` saying where; or None."""
    found = _first_nonfinite(X)
    if found is None:
        return None
    index, count = found
    more = f" ({_plural(count, 'value')} in all)" if count > 1 else ""
    return ValueError(f"{kind} {path}: expected finite numbers; got {X[index]}{_beyond_float32(str(X[index]))} {where(index)}{more}")


# A '-0' (or '-00'), which np.loadtxt reads as -0.0 but as an integer would turn into +0.0.
_NEGATIVE_ZERO = re.compile(rb"-0+(?![0-9])")


def _scan_csv(path: Path) -> tuple[bool, bool]:
    """(whether a CSV file has a quote character, whether it may hold a negative zero '-0'), in one pass over its bytes."""
    quotes = negative_zero = False
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            if block[-1:] != b"\n":  # whole lines: a field is never cut in two
                block += handle.readline()
            quotes = quotes or b'"' in block
            negative_zero = negative_zero or (b"-" in block and _NEGATIVE_ZERO.search(block) is not None)
    return quotes, negative_zero


def _columns_of(X: Array, columns: list[int], dtype) -> Array:
    """X[:, columns] as a new C-contiguous array of ``dtype``, copied a run of adjacent columns at a time."""
    out = np.empty((len(X), len(columns)), dtype=dtype)
    start = 0
    for k in range(1, len(columns) + 1):
        if k == len(columns) or columns[k] != columns[k - 1] + 1:  # the run columns[start:k] ends here
            out[:, start:k] = X[:, columns[start]:columns[k - 1] + 1]
            start = k
    return out


def _csv_numbers(path: Path, first: list[str], header: list[str] | None, drop: list[int], dtype, what: str) -> tuple[Array, list[str]]:
    """The numbers of a CSV file (every column but ``drop``) as ``dtype``, shape (n, d), and the texts of column ``drop[0]``.

    ``first`` is the file's first row as the csv module read it, ``header``
    the column names when it is a header. Every row must have as many fields
    as the first (trailing empty ones aside); the refusals name the data row
    (from 1) and, for a cell, the column.

    A file without quotes is read by np.loadtxt alone, every column included
    (the columns ``drop`` through a converter that keeps their text), so that
    loadtxt itself refuses a row of another width; integers are read as int32
    first, four times faster than floats and converted to the same values.
    A file with quotes, or one that loadtxt refuses, is split into rows by
    the csv module, which also accepts trailing empty fields and finds the
    bad row or cell to name.
    """
    width = len(first)
    columns = [c for c in range(width) if c not in drop]
    skiprows = 0 if header is None else _header_lines(path)  # blank lines before a header count there
    quotes, negative_zero = _scan_csv(path)
    if not quotes:
        texts: list[str] = []
        keep = lambda text: texts.append(text) or 0  # noqa: E731 - the label column's texts, in row order
        converters = {c: keep if c == drop[0] else (lambda text: 0) for c in drop}
        for integers in (False,) if negative_zero else (True, False):
            texts.clear()
            try:
                with warnings.catch_warnings():
                    if integers:  # NumPy up to 2.0 reads '3.7' or 'nan' as an int32 with only a DeprecationWarning
                        warnings.simplefilter("error", DeprecationWarning)
                    X = _loadtxt(path, skiprows=skiprows, dtype=np.int32 if integers else dtype,
                                 converters=converters or None)
            except (ValueError, DeprecationWarning):  # a row of another width, a cell that is no number (as int32: no integer in its range)
                continue
            if len(X) == 0:
                return np.empty((0, len(columns)), dtype=dtype), texts
            if X.shape[1] == width and (not drop or len(texts) == len(X)):  # else all rows are of another width: the csv module says so
                return (_columns_of(X, columns, dtype) if drop or X.dtype != dtype else X), texts
            break
    # the csv module splits the rows (a quoted field may hold commas and line ends); loadtxt reads the numbers
    where = "the header" if header is not None else "the first row"
    texts = []
    for n, row in _csv_records(path, skip_header=header is not None):
        if len(row) != width and not _trailing_commas(row, width):
            raise ValueError(f"CSV file {path}: expected {_plural(width, 'field')} in every row, as in {where}; data row {n} has "
                             f"{len(row)}{_separator_hint(row)}")
        texts.append(row[drop[0]] if drop else "")
    try:
        X = _loadtxt(path, skiprows=skiprows, usecols=columns, dtype=dtype)
    except ValueError as exc:  # UnicodeDecodeError included
        raise _csv_error(path, header, columns, exc, what) from None
    if len(X) != len(texts):  # the two readers disagree on where rows end (quoting)
        counted = f"{len(texts)} labels" if what == "feature" else f"{len(texts)} rows with the csv module"
        raise ValueError(f"CSV file {path}: read {len(X)} rows of {what}s but {counted}; check the quoting")
    return X, texts


def _load_csv(path: Path, label: str) -> tuple[Array, Array, list[str] | None]:
    """X, y and the names of X's columns (None where two have no name) of a CSV table with a header."""
    first = _first_csv_row(path)
    if not first:
        raise ValueError(f"CSV file {path}: empty; expected a header row naming the columns")
    header = [h.strip() for h in first]
    if label not in header:
        raise _no_label_column(path, header, label)
    named = [i + 1 for i, h in enumerate(header) if h == label]
    if len(named) > 1:  # else the others would silently be features
        raise ValueError(f"CSV file {path}: expected one label column {label!r}; columns "
                         f"{', '.join(map(str, named[:-1]))} and {named[-1]} have that name")
    # a model stores no names that are not each a column's own, and would then match no file's columns by name
    counts = collections.Counter(h for h in header if h)  # (columns without a name go by position)
    twice = next((h for h in header if counts[h] > 1), None)
    if twice is not None:
        at = [i + 1 for i, h in enumerate(header) if h == twice]
        times = "twice" if len(at) == 2 else f"{len(at)} times"
        raise ValueError(f"CSV file {path}: the header names column {twice!r} {times} (columns "
                         f"{', '.join(map(str, at[:-1]))} and {at[-1]}); expected a name of its own for each column")
    j = header.index(label)
    features = [i for i in range(len(header)) if i != j]
    if not features:
        raise ValueError(f"CSV file {path}: only the label column {label!r}; expected feature columns too")
    # (float64: a column such as 1e6 + small changes is shifted by its scaling before it is rounded to float32,
    # as read_inputs gives it to a model: train, evaluate and predict see the same numbers)
    X, labels = _csv_numbers(path, first, header, [j], np.float64, "feature")
    if not labels:
        raise ValueError(f"CSV file {path}: no data rows after the header")
    _check_csv_finite(path, X, header, features)
    _check_index_column(path, X, header, features)
    names = [header[i] for i in features]
    return X, _parse_labels(np.char.strip(np.array(labels, dtype=str)), path, label), (names if len(set(names)) == len(names) else None)


def _no_label_column(path: Path, header: list[str], label: str) -> ValueError:
    """The error for a CSV table whose header (``header``, its first row) has no column ``label``, saying why where it can."""
    if not _holds_text(header) and any(header) and not _numbered(header):  # (pandas' 0,1,... are names)
        return ValueError(f"CSV file {path}: no label column {label!r}; the file seems to have no header: its first row "
                          f"{header[:10]} is data, not column names; expected a header row naming the columns, one of them "
                          f"the label column {label!r} (name another with label=, or --label on the command line)")
    separator = _separator_hint(header)
    if separator:
        return ValueError(f"CSV file {path}: no label column {label!r}; the header has {header[:20]}{separator}")
    alike = _alike(header, label)
    hint = (f"; did you mean {alike[0]!r}? (the name must match in case too: label={alike[0]!r}, or --label on the "
            f"command line)" if alike else " (name it with label=, or --label on the command line)")
    return ValueError(f"CSV file {path}: no label column {label!r}; the header has {header[:20]}{hint}")


def _read_npz(path: Path) -> dict[str, Array]:
    """The arrays of a .npz file (never unpickled), or ValueError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except Exception as exc:  # noqa: BLE001 - zipfile and numpy's header parser raise many kinds on mangled files
        raise ValueError(f"NumPy file {path}: cannot read it ({exc})") from None


def _read_npy(path: Path) -> Array:
    """The array of a .npy file (never unpickled), or ValueError naming the file."""
    try:
        _check_npy_size(path)
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises SyntaxError, TokenError, TypeError... on mangled files
        if str(path) in str(exc):
            raise
        raise ValueError(f"NumPy file {path}: cannot read it ({exc})") from None


def _load_npz(path: Path, label: str) -> tuple[Array, Array]:
    arrays = _read_npz(path)
    if label not in arrays:
        raise ValueError(f"NumPy file {path}: no label array {label!r}; it holds {sorted(arrays)} (name it with label=, or --label on the command line)")
    others = [k for k in arrays if k != label]
    key = "X" if "X" in arrays else (others[0] if len(others) == 1 else None)
    if key is None:
        raise ValueError(f"NumPy file {path}: expected the features in an array 'X' (or one array besides {label!r}); it holds {sorted(arrays)}")
    X, y = arrays[key], arrays[label]
    if X.dtype.kind not in "biuf":
        raise ValueError(f"NumPy file {path}: expected numeric features in array {key!r}; got dtype {X.dtype}")
    error = _nonfinite_error(path, X, lambda index: f"at {key}[{', '.join(map(str, index))}]")
    if error is not None:
        raise error
    X = X.reshape(len(X), -1) if X.ndim > 2 else X
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"NumPy file {path}: expected features (n, d) and labels (n,); got {key} {X.shape} and {label} {y.shape}")
    if X.shape[1] == 0:
        raise ValueError(f"NumPy file {path}: expected at least one feature in array {key!r}; got shape {X.shape}")
    error = _label_error(path, y, lambda i: f"{label}[{i}]")
    if error is not None:
        raise error
    return X, y


def _check_npy_size(path: Path) -> None:
    """Refuse a .npy whose header promises more bytes than the file holds, before anything is allocated."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)  # ValueError on a bad magic string
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"NumPy file {path}: unknown .npy format version {version}")
        length_bytes = 2 if version == (1, 0) else 4
        header_length = int.from_bytes(handle.read(length_bytes), "little")
        if header_length > size - handle.tell():
            raise ValueError(f"NumPy file {path}: truncated; the header claims {header_length:,} bytes, the file has {size:,} in all")
        handle.seek(-length_bytes, os.SEEK_CUR)
        # version 3 differs from 2 only in allowing UTF-8 field names; the shape and dtype read the same
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(handle)
        needed = math.prod(shape) * dtype.itemsize
        have = size - handle.tell()
    if needed > have:
        raise ValueError(f"NumPy file {path}: truncated; the header promises shape {shape} ({needed:,} bytes), the file has {have:,}")


def _load_npy(path: Path, label) -> tuple[Array, Array]:
    data = _read_npy(path)
    if data.dtype.names:  # structured: named fields
        name = "label" if label is None else str(label)
        if name not in data.dtype.names:
            raise ValueError(f"NumPy file {path}: no label field {name!r}; fields are {list(data.dtype.names)}")
        rest = [f for f in data.dtype.names if f != name]
        if not rest:
            raise ValueError(f"NumPy file {path}: only the label field {name!r}; expected feature fields too")
        if data[name].ndim != 1:  # a field of its own shape (n, k), or an array of records not 1-D
            raise ValueError(f"NumPy file {path}: expected labels of shape (n,); field {name!r} has shape {data[name].shape}")
        for f in rest:  # before astype, which would turn '1' into 1.0 but fail on '' naming nothing
            if data.dtype[f].kind not in "biuf":
                raise ValueError(f"NumPy file {path}: expected numeric feature fields; field {f!r} is not numeric (dtype {data.dtype[f]})")
        # each field checked in its own type, where a number beyond float32's range is still itself
        found = {f: _first_nonfinite(data[f]) for f in rest}
        found = {f: where for f, where in found.items() if where is not None}
        if found:
            f = min(found, key=lambda f: found[f][0][0])  # the first row holding one; in it, the first field
            index = found[f][0]
            count = sum(c for _, c in found.values())
            more = f" ({_plural(count, 'value')} in all)" if count > 1 else ""
            value = data[f][index]
            raise ValueError(f"NumPy file {path}: expected finite numbers; got {value}{_beyond_float32(str(value))} at index {index[0]} of field {f!r}{more}")
        error = _label_error(path, data[name], lambda i: f"index {i} of field {name!r}")
        if error is not None:
            raise error
        return np.stack([data[f].astype(np.float32) for f in rest], axis=1), data[name]
    if data.dtype.kind not in "biuf":
        raise ValueError(f"NumPy file {path}: expected numeric features; got dtype {data.dtype}")
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"NumPy file {path}: expected a 2-D array with a label column; got shape {data.shape}")
    try:
        j = -1 if label is None else int(label)
    except ValueError:
        raise ValueError(f"label: a plain .npy array has no column names; expected a column number such as -1; got {label!r}") from None
    if not -data.shape[1] <= j < data.shape[1]:
        raise ValueError(f"label: expected a column number in [{-data.shape[1]}, {data.shape[1] - 1}]; got {j}")
    j %= data.shape[1]
    y = data[:, j]
    X = np.delete(data, j, axis=1)
    # the index as it is in the file, label column included
    error = _nonfinite_error(path, X, lambda index: f"at [{index[0]}, {index[1] + (index[1] >= j)}]")
    error = error or _label_error(path, y, lambda i: f"[{i}, {j}]")  # before int64, which would make inf a number
    if error is not None:
        raise error
    if _whole_numbers(y):  # a plain array is all floats: whole numbers are its class labels
        y = y.astype(np.int64)
    return X, y


# ---------------------------------------------------------------------- entry points


def _labels_for(y: Array, task: str | None, name: str) -> Array:
    """The labels y of data set ``name`` as ``task`` (see :func:`load_dataset`) takes them."""
    if task is None:  # as read, as before tasks existed
        return y
    if task == "regression":
        if y.dtype.kind not in "biuf":
            example = f" such as {str(y[0])!r}" if len(y) else ""
            raise ValueError(f"task: regression needs numeric targets; the labels of {name} are text{example}: give "
                             f"classification, or another label column")
        return y.astype(np.float64)
    if task == "classification" and y.dtype.kind == "f":
        whole = y == np.round(y)
        if not whole.all():
            i = int(np.argmin(whole))
            raise ValueError(f"task: classification needs class labels; the labels of {name} are real numbers such as "
                             f"{y[i]:g} (example {i + 1} of {len(y):,}): give regression")
    if _whole_numbers(y):  # "1.0" is class 1: held out class by class and named as the label 1 is
        return y.astype(np.int64)
    return y


def _whole_numbers(y: Array) -> bool:
    """Whether y is floats that are all whole numbers within int64's range (so, by default, classes)."""
    return y.dtype.kind == "f" and bool(np.all(y == np.round(y))) and bool(np.all(np.abs(y) < 2.0**63))


def _with_task(dataset: Dataset, task: str | None) -> Dataset:
    dataset.y_train = _labels_for(dataset.y_train, task, dataset.name)
    if dataset.y_test is not None:
        dataset.y_test = _labels_for(dataset.y_test, task, dataset.name)
    return dataset


def _check_limit(limit) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise ValueError(f"limit: expected an integer >= 1 or None; got {limit!r}")
    return int(limit)


def align_columns(X: Array, names: list[str] | None, expected: list[str] | None, where: str) -> Array:
    """X of shape (n, d), its columns named ``names`` (d strings), as (n, d) in the order of ``expected``
    (a model's ``feature_names``), the same dtype.

    A file whose columns come in another order gives the predictions it would give in the model's order
    (matched by name, as pandas users expect); one whose names are not the model's is refused, naming
    what is missing and what is not the model's. Where either side has no names, columns go by position.
    """
    if names is None or expected is None or names == expected:
        return X
    if len(names) == len(expected) and sorted(names) == sorted(expected):
        return X[:, [names.index(n) for n in expected]]
    missing = [n for n in expected if n not in names]
    unknown = [n for n in names if n not in expected]
    what = "; ".join(part for part in (f"missing {missing[:10]}" if missing else "",
                                       f"not the model's {unknown[:10]}" if unknown else "") if part)
    raise ValueError(f"{where}: expected the columns the model was trained on, by name (in any order): "
                     f"{expected[:20]}; got {names[:20]} ({what or 'a name twice'})")


def load_dataset(data: str | os.PathLike = "digits", *, path=None, label=None, scale: str = "auto", limit: int | None = None,
                 scaling: Scaling | None = None, test_fraction: float = 0.0, seed: int = 0, task: str | None = "auto",
                 feature_names: list[str] | None = None) -> Dataset:
    """Load a data set by name or path (see the module docstring).

    Parameters
    ----------
    data : a named set (``NAMED``: digits, fashion-mnist, mnist, iris, wine,
        breast_cancer, xor, circles, moons, spiral), a directory of IDX
        files, or a .csv / .npy / .npz file.
    path : directory to look in first for a named IDX data set.
    label : the label column/array of a table (see :func:`load_table`).
    scale : "auto" (images to [0, 1], tables and the named sets of measurements or points standardised),
        "unit", "standard" or "none".
    limit : keep only the first ``limit`` training (and test) examples.
    scaling : use this (e.g. a saved model's) instead of fitting one.
    test_fraction : float in [0, 1); a table (which has no test part) holds
        out this share of its rows for testing, chosen from ``seed`` class by
        class (see :meth:`Dataset.split_test`), before the scaling is fitted
        on the rest. Data sets with a test part keep theirs.
    seed : int, the seed of that split.
    task : "auto", "classification" or "regression": what the labels are.
        "auto" takes whole numbers (``1`` or ``1.0``, made int64) and text as
        classes, and other numbers as real-valued targets; "regression" makes
        every numeric label a float64 target (integer prices, say), and a
        table's test rows are then drawn at random, not class by class;
        "classification" refuses real numbers that are not whole. None takes
        the labels as read, as deltaprop did before ``task`` existed (a CSV's
        ``1.0`` stays a float, held out at random): how models and checkpoints
        that record no task read their data again.
    feature_names : a model's input names, optional: a CSV table's columns are
        matched to them by name before scaling (see :func:`align_columns`).

    Returns
    -------
    Dataset with float32 inputs of shape (n, N_0) and labels of shape (n,):
    int64 or text classes, or float64 targets.
    """
    limit = _check_limit(limit)
    if scale not in ("auto", *SCALINGS):
        raise ValueError(f"scale: expected one of {', '.join(map(repr, ('auto', *SCALINGS)))}; got {scale!r}")
    if task is not None and task not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(map(repr, TASKS))}; got {task!r}")
    if not isinstance(data, (str, os.PathLike)):
        raise TypeError(f"data: expected a data set name {list(NAMED)} or a path; got {type(data).__name__}")
    if data in IN_MEMORY:
        return _with_task(_load_in_memory(str(data), scale, limit, scaling), task)
    if data in IDX_SETS:
        dataset = load_idx_directory(_named_idx_directory(str(data), path), name=str(data), scale=scale, limit=limit, scaling=scaling)
        return _with_task(dataset, task)
    p = Path(data)
    if p.is_dir():
        return _with_task(load_idx_directory(p, scale=scale, limit=limit, scaling=scaling), task)
    if p.is_file():
        X, y, names = _load_table(existing_file(p, "data file"), label)
        X = align_columns(X, names, feature_names, f"CSV file {p}")
        cut = limit is not None and limit < len(y)
        X, y = (X[:limit], y[:limit]) if cut else (X, y)
        y = _labels_for(y, task, p.name)  # before the split: real targets are held out at random, classes class by class
        X_test = y_test = None
        if test_fraction:
            limited = None if not cut else (
                f"limit: the first {len(y)} rows of {p.name} are too few to hold out {test_fraction:.0%} of each class "
                f"for testing (a class's last row stays in training)")
            train, test = _test_split(y, test_fraction, seed, too_few=limited, may_be_amounts=task == "auto")
            X, y, X_test, y_test = X[train], y[train], X[test], y[test]
        if scaling is None:  # fitted on the training rows only: the test rows stay unseen
            scaling = Scaling.fit(X, "standard" if scale == "auto" else scale)
        return Dataset(name=p.name, X_train=scaling.apply(X, owned=True), y_train=y, scaling=scaling, source=str(p.resolve()),
                       X_test=None if X_test is None else scaling.apply(X_test, owned=True), y_test=y_test,
                       feature_names=feature_names or names)
    raise FileNotFoundError(
        f"data: {str(data)!r} is neither a known data set {list(NAMED)} nor an existing file or directory"
        f"{did_you_mean(str(data), NAMED)}"
    )


def _digits_arrays() -> tuple[Array, Array]:
    """scikit-learn's bundled digits: X (1797, 64) float64 in 0..16, y (1797,) int64.

    Reads the CSV that scikit-learn ships directly, since importing sklearn
    costs a second or more at every CLI start; falls back to load_digits.
    """
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",", dtype=np.float64, comments=None)  # numbers only
            if table.shape == (1797, 65):
                return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target.astype(np.int64)


@dataclass
class NamedArrays:
    """A named set held in memory, whole and unscaled: what :func:`load_dataset` splits and scales.

    ``X`` float64 (n, N_0) in the data's own units; ``y`` int64 (n,), classes 0..K-1; ``class_names`` K names
    (None where the labels are their own names: digits 0-9, the plane's classes 0 and 1); ``feature_names`` N_0
    names or None; ``train``/``test`` the rows of the fixed split (sorted for digits, as they always were; the
    others in an order of seed 0, so that the first N mix the classes); ``scale`` the method of ``scale="auto"``
    and ``value_range`` the range it scales from (digits' pixels 0..16), else None.
    """

    name: str
    X: Array
    y: Array
    train: Array
    test: Array
    source: str
    scale: str = "standard"
    value_range: tuple[float, float] | None = None
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    image_shape: tuple[int, int] | None = None


#: Points per data set in the plane, as TensorFlow Playground draws (its NUM_SAMPLES_CLASSIFY).
PLANE_POINTS = 500
#: The seed of every data set generated here: the same points every time, in train and in evaluate.
PLANE_SEED = 0
#: Their noise: the standard deviation of the Gaussian added to each coordinate (xor has none: its margin shows).
PLANE_NOISE = {"xor": 0.0, "circles": 0.1, "moons": 0.2, "spiral": 0.04}
#: xor's margin: no point within this distance of either axis, so that the classes do not touch.
XOR_MARGIN = 0.05
#: The angle each spiral arm turns through from the centre to radius 1: 7/8 of a turn, as in TensorFlow Playground.
SPIRAL_TURN = 1.75 * np.pi


def _plane_points(name: str, n: int = PLANE_POINTS, seed: int = PLANE_SEED) -> tuple[Array, Array]:
    """X (n, 2) float64 and y (n,) int64 in {0, 1} of one of PLANE_SETS, shuffled, from ``seed`` alone."""
    rng = np.random.default_rng(seed)
    noise = PLANE_NOISE[name]
    n1 = n // 2  # class 1 (the inner circle, the lower moon, the second arm); class 0 the rest
    n0 = n - n1
    if name == "xor":
        # |x_i| uniform in [margin, 1], each sign at random: the four quadrants, apart by 2 * margin
        X = rng.uniform(XOR_MARGIN, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # class 1 in quadrants I and III: XOR of the signs, negated
    else:
        if name == "circles":  # scikit-learn's make_circles(factor=0.5): radius 1 (class 0) and 0.5 (class 1)
            a0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
            a1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
            X0 = np.column_stack([np.cos(a0), np.sin(a0)])
            X1 = 0.5 * np.column_stack([np.cos(a1), np.sin(a1)])
        elif name == "moons":  # scikit-learn's make_moons: the upper half circle, and the lower one moved by (1, -0.5)
            a0, a1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
            X0 = np.column_stack([np.cos(a0), np.sin(a0)])
            X1 = np.column_stack([1 - np.cos(a1), 1 - np.sin(a1) - 0.5])
        else:  # spiral: r = s, angle = SPIRAL_TURN * s (+ pi for the second arm), s from 0 to 1 along the arm
            s0, s1 = np.arange(n0) / n0, np.arange(n1) / n1
            X0 = s0[:, None] * np.column_stack([np.cos(SPIRAL_TURN * s0), np.sin(SPIRAL_TURN * s0)])
            X1 = s1[:, None] * np.column_stack([np.cos(SPIRAL_TURN * s1 + np.pi), np.sin(SPIRAL_TURN * s1 + np.pi)])
        X = np.vstack([X0, X1])
        y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
        order = rng.permutation(n)  # (not sorted by class: an example's index tells nothing of its class)
        X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def _sklearn_bunch(name: str):
    """scikit-learn's bundled table ``name`` (iris, wine, breast_cancer) as a Bunch."""
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")()


def named_arrays(name: str) -> NamedArrays:
    """The whole of the named set ``name`` (one of ``IN_MEMORY``), unscaled, with its fixed test rows.

    digits keeps the test rows it always had (360 chosen from seed 0); the other sets hold out 20% of each
    class, chosen from seed 0 (see :func:`_test_split`): the same rows in train, evaluate and explain.
    """
    if name not in IN_MEMORY:
        raise ValueError(f"name: expected one of the data sets held in memory {list(IN_MEMORY)}; got {name!r}"
                         f"{did_you_mean(str(name), IN_MEMORY)}")
    if name == "digits":
        X, y = _digits_arrays()  # X: (1797, 64), values 0..16
        perm = np.random.default_rng(0).permutation(len(X))  # a fixed split, the same in train and evaluate
        n_test = 360
        return NamedArrays(name, X, y, np.sort(perm[n_test:]), np.sort(perm[:n_test]), "sklearn.datasets.load_digits",
                           scale="unit", value_range=(0.0, 16.0), image_shape=(8, 8))
    if name in PLANE_SETS:
        X, y = _plane_points(name)
        source = f"deltaprop.data: {name}, {len(X)} points, noise {PLANE_NOISE[name]:g}, seed {PLANE_SEED}"
        class_names = feature_names = None  # (classes 0 and 1, coordinates x_1 and x_2)
    else:
        bunch = _sklearn_bunch(name)
        X, y = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)
        source = f"sklearn.datasets.load_{name}"
        class_names, feature_names = [str(c) for c in bunch.target_names], [str(f) for f in bunch.feature_names]
    train, test = _test_split(y, 0.2, 0)
    # each part in an order of seed 0, not the file's: iris and wine are stored sorted by class, so that the
    # first N rows (--limit N) would have been of one or two classes
    order = np.random.default_rng(0)
    train, test = order.permutation(train), order.permutation(test)
    return NamedArrays(name, X, y, train, test, source, class_names=class_names, feature_names=feature_names)


def _load_in_memory(name: str, scale: str, limit: int | None, scaling: Scaling | None) -> Dataset:
    """load_dataset of a named set held in memory: its fixed split, the first ``limit`` rows of each part, scaled
    by ``scaling`` or by one fitted on the training part (``scale="auto"``: the set's own method)."""
    raw = named_arrays(name)
    train, test = raw.train, raw.test
    if limit is not None:
        train, test = train[:limit], test[:limit]
    if scaling is None:
        scaling = Scaling.fit(raw.X[train], raw.scale if scale == "auto" else scale, raw.value_range)
    return Dataset(
        name=name,
        X_train=scaling.apply(raw.X[train], owned=True),
        y_train=raw.y[train],
        X_test=scaling.apply(raw.X[test], owned=True),
        y_test=raw.y[test],
        scaling=scaling,
        image_shape=raw.image_shape,
        class_names=raw.class_names,
        source=raw.source,
        feature_names=raw.feature_names,
    )


#: The fewest columns whose first row 0,1,...,d-1 read_inputs takes for pandas' column names: with one or
#: two ("0" or "0,1") it is too likely a row of data.
PANDAS_HEADER_WIDTH = 3


def read_inputs(path, *, label=None, feature_names=None, label_given: bool = False, label_may_be_absent: bool = False) -> Array:
    """Raw inputs for prediction from a file: CSV, .npy, .npz or an IDX images file.

    A CSV may have a header (detected when its first row has a field that is
    neither a number nor empty, or, with 3 columns or more, is 0,1,...,d-1 as
    pandas names unnamed columns, with a warning); a
    column named ``label`` (or the given ``label``) is dropped. A .npz gives
    its array ``X`` (or its only array). IDX images (n, h, w) become (n, h*w).

    Returns
    -------
    array of shape (n, d), unscaled, in the file's numeric dtype.

    Raises
    ------
    FileNotFoundError, or ValueError naming the file and what is wrong (for a
    CSV file the data row, from 1, and the column): text where numbers belong,
    NaN, infinity or a number beyond float32's range (the inputs become
    float32), a row with more or fewer fields than the header (trailing empty
    ones aside), whether a label column is dropped or not.
    With ``feature_names`` (a model's), a CSV header's columns are matched to
    them by name (:func:`align_columns`). With ``label_given`` (the caller's
    user named ``label``), a file without that column is refused, naming
    ``label``, rather than read whole: a CSV without a header or with no such
    column (the columns that differ only in case suggested), or another kind of
    file, which has no columns to name. With ``label_may_be_absent`` too (the label is the model's own, which files
    to predict on often lack), a CSV header without it is taken as it is, unless a column differs only in case.
    """
    path = existing_file(path, "input file")
    if label_given and path.suffix.lower() != ".csv":
        raise ValueError(f"label: names a column of a CSV file's header to leave out; {path} is no CSV file, and has no "
                         f"columns to name (got {label!r}): leave it out")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        first = _first_csv_row(path)
        if not first:
            raise ValueError(f"CSV file {path}: empty")
        name = "label" if label is None else str(label)
        # a header has a field that is text; an empty field is a missing number (refused by row and column below)
        header = [h.strip() for h in first] if _holds_text(first) else None
        fields = [v.strip() for v in first if v.strip() != name]
        if header is None and feature_names is not None and fields == list(feature_names):
            # the model's own column names, numbers as they may be, in its order: said, as it costs a row if it was data
            header = [h.strip() for h in first]
            warnings.warn(f"CSV file {path}: its first row is the model's column names {list(feature_names)[:10]}, "
                          f"taken as the header, not as data", stacklevel=2)
        elif header is None and feature_names is not None and sorted(fields) == sorted(feature_names):
            # in another order: a header to match by name, or a row of data (small whole numbers): either guess
            # would be silently wrong the other way
            raise ValueError(f"CSV file {path}: its first row {fields[:10]} holds the model's column names in another "
                             f"order: a header or a row of data? Give the file a header row of the names, or write it "
                             f"in the model's order {list(feature_names)[:10]}")
        # 0,1,...,d-1: the column names pandas writes for a DataFrame of unnamed columns (to_csv(index=False)),
        # which read as data would shift every prediction by a row (but a file of that one row is data)
        numbered = header is None and _numbered(first)
        if numbered:
            header = [h.strip() for h in first]
        if label_given and header is None:
            raise ValueError(f"label: CSV file {path}: no label column {name!r}; its first row {first[:10]} is data, "
                             f"not a header naming columns")
        # (a column of another case that is one of the model's inputs is no typo for the label)
        alike = [] if header is None else [h for h in _alike(header, name) if feature_names is None or h not in feature_names]
        if label_given and name not in header and (alike or not label_may_be_absent):
            hint = f"; did you mean {alike[0]!r}? (the name must match in case too)" if alike else ""
            raise ValueError(f"label: CSV file {path}: no label column {name!r}; the header has {header[:20]}"
                             f"{_separator_hint(header)}{hint}")
        # the label column; with a model's names, also a column 'label' that is none of them (label= names another)
        dropped = {name} | ({"label"} if feature_names is not None and "label" not in feature_names else set())
        drop = [] if header is None else [i for i, h in enumerate(header) if h in dropped]
        columns = [c for c in range(len(first)) if c not in drop]
        if not columns:
            raise ValueError(f"CSV file {path}: only the label column {name!r}; expected input columns too")
        # every row is checked to have the header's number of fields, dropped columns or not
        X, _ = _csv_numbers(path, first, header, drop, np.float64, "input")
        if numbered and len(X) == 0:
            header, drop, columns = None, [], list(range(len(first)))
            X, _ = _csv_numbers(path, first, header, drop, np.float64, "input")
        elif numbered:
            warnings.warn(f"CSV file {path}: its first row 0,1,...,{len(first) - 1} is taken as column names (as pandas "
                          f"writes them), not as data", stacklevel=2)
        if len(X) == 0:
            raise ValueError(f"CSV file {path}: no data rows after the header")
        _check_csv_finite(path, X, header, columns)
        if "" not in (feature_names or ()):  # (a model trained on a column without a name takes it)
            _check_index_column(path, X, header, columns)
        if header is not None and not numbered:  # (pandas' 0,1,... name no columns)
            X = align_columns(X, [header[c] for c in columns], feature_names, f"CSV file {path}")
    elif suffix in (".npy", ".npz"):
        if suffix == ".npy":
            X, key = _read_npy(path), ""
        else:
            arrays = _read_npz(path)
            key = "X" if "X" in arrays else (next(iter(arrays)) if len(arrays) == 1 else None)
            if key is None:
                raise ValueError(f"NumPy file {path}: expected an array 'X' (or a single array); it holds {sorted(arrays)}")
            X = arrays[key]
        if X.dtype.names:
            raise ValueError(f"NumPy file {path}: expected a plain array of numbers; got a structured array with fields {list(X.dtype.names)}")
        if X.dtype.kind not in "biuf":
            raise ValueError(f"NumPy file {path}: expected numeric features{f' in array {key!r}' if key else ''}; got dtype {X.dtype}")
        error = _nonfinite_error(path, X, lambda index: f"at {key}[{', '.join(map(str, index))}]") if X.ndim else None
        if error is not None:
            raise error
    else:
        X = _read_idx_images(path)
        if X.ndim == 1:  # (read as one example of 10,000 values, a labels file would meet a width error, or worse)
            raise ValueError(f"X: expected examples (IDX images such as t10k-images-idx3-ubyte.gz); {path} is an IDX "
                             f"file of labels (1-D), not of examples: give its images file")
    X = np.asarray(X)
    if X.ndim == 0 or X.size == 0:
        raise ValueError(f"input file {path}: expected examples of shape (n, d); got an array of shape {X.shape}")
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim > 2:
        X = X.reshape(len(X), -1)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"input file {path}: expected numbers; got dtype {X.dtype}")
    return X
