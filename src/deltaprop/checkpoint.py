"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is a safetensors file (no pickle: loading it executes nothing)
holding, at the end of a completed epoch,

- the parameters theta = [W^1, b^1, ..., W^L, b^L] (tensors ``theta.K``),
- the optimiser's memory, one tuple of arrays per parameter (``optimiser.K.J``),

and as JSON metadata the architecture (``Network.config``), the classes, the
optimiser's name and settings, the step count, the number of completed epochs,
the base learning rate eta0, the random generator's state, the history and,
for ``gd``, the last step's largest parameter change (its ``tol`` test).
``fit(resume=path)`` restores all of it, so an interrupted run that is resumed
ends with exactly the parameters of the same run left uninterrupted.

Resuming needs the same data and options, so a checkpoint also records the
``batch_size``, ``validation_fraction``, first learning rate, ``clip_norm``, ``shuffle``, schedule and
``metrics`` given to ``fit``, a fingerprint of
the training data (:func:`data_fingerprint`: the shapes of X and y and a CRC-32
of their bytes, and CRC-32s of ``sample_weight`` and ``validation_data``) and the
caller's own ``checkpoint_info`` (the command line keeps its data set, seed and
flags there); ``fit(resume=...)`` refuses other values. Files written before
these keys existed lack them, load as before and resume without those checks.

Files are written to a temporary file in the same directory and renamed over
the target, so a crash mid-write never leaves a broken checkpoint where a good
one was.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass, field

import numpy as np

from .files import existing_file, write_atomically
from .io import classes_from_json, classes_to_json
from .network import Network, parameter_name, sparse_rows

__all__ = ["save_checkpoint", "load_checkpoint", "data_fingerprint", "Checkpoint", "FORMAT", "FORMAT_VERSION"]

FORMAT = "deltaprop-checkpoint"
#: 2: Adam's state is (m, v). Version 1 also stored a scratch array per parameter, which reading
#: drops; it held no information (zeros or the last update's temporary values).
#: 3: may hold callbacks' arrays (tensors callback.<Class>.<k>.<name>), which version 2 readers refuse.
#: 4: the classes as model files store them, with their dtype (``io.classes_to_json``); before, a list.
FORMAT_VERSION = 4
READS_VERSIONS = (1, 2, 3, 4)


@dataclass
class Checkpoint:
    """The contents of a checkpoint file (see module docstring)."""

    config: dict
    classes: np.ndarray | None
    multilabel: bool
    params: list[np.ndarray]
    optimiser: dict
    optimiser_states: list[tuple]
    step: int
    epochs_done: int
    eta0: float
    rng_state: dict
    history: dict
    split_seed: int | None
    last_change: float | None = None  #: gd: the last step's largest parameter change (its tol test)
    # None in files written before these were recorded: a resumed run cannot check them
    batch_size: int | None = None  #: the batch_size given to fit
    validation_fraction: float | None = None  #: the validation_fraction given to fit (0 with validation_data)
    data: dict | None = None  #: the training data's data_fingerprint(X, y)
    info: dict | None = None  #: fit's checkpoint_info: the caller's own record of the run (the CLI's flags)
    first_eta0: float | None = None  #: the base learning rate of epoch 1, before any ReduceLROnPlateau
    clip_norm: float | None = None  #: fit's clip_norm (None: not clipped, as every run before it existed)
    shuffle: bool | None = None  #: fit's shuffle
    schedule: str | None = None  #: fit's schedule as training._schedule_name describes it ("function": one of the caller's)
    #: What callbacks kept (see ``deltaprop.callbacks``): {key: {name: array}}, key "ClassName.occurrence"
    callback_arrays: dict = field(default_factory=dict)

    def network(self) -> Network:
        """The network of the checkpoint: its architecture (``Network(**config)``), its parameters, classes and
        (where the run held out a validation_fraction) the seed of that split, so that its next fit with a
        validation_fraction holds out the same examples. To go on with the run itself, use ``fit(resume=...)``."""
        from .io import known_initialisers  # (an initialiser of one's own is only its name here)

        net = Network(**(self.config | {"init": known_initialisers(self.config)}))
        for p, saved in zip(net.parameters(), self.params):
            p[...] = saved
        net.classes_ = None if self.classes is None else np.asarray(self.classes)
        net.multilabel_ = self.multilabel
        net.validation_seed = self.split_seed
        return net


def data_fingerprint(X, y, sample_weight=None, validation_data=None) -> dict:
    """A cheap fingerprint of training data: the shapes of X and y and a CRC-32 of their bytes,
    and CRC-32s of the sample weights and the validation pair or triple (None where not given).

    X as ``fit`` sees it (after ``Network.check_X``: the network's dtype); y as given, its
    integers (and booleans) as int64 and its reals as float64, so that the same labels in
    another integer type are the same data; text labels (Python objects, bytes or NumPy text
    of any width) as NumPy text as wide as the longest.
    Hashing 60,000 x 784 float32 values takes about 0.1 s.
    """
    X, y = _as_rows(X), _canonical_labels(y)
    fingerprint = {"X_shape": list(X.shape), "y_shape": list(y.shape), "crc32": _crc32(X, y)}
    fingerprint["sample_weight_crc32"] = None if sample_weight is None else _crc32(np.asarray(sample_weight, dtype=np.float64))
    if validation_data is None:
        fingerprint["validation_crc32"] = None
    else:  # the pair (X_val, y_val), or with its weights a triple (their CRC-32 is the pair's when they are None)
        Xv, yv, *weights = validation_data
        weights = [np.asarray(w, dtype=np.float64) for w in weights if w is not None]
        fingerprint["validation_crc32"] = _crc32(_as_rows(Xv), _canonical_labels(yv), *weights)
    return fingerprint


#: The keys of a data_fingerprint for X and y, and those that checkpoints of 2026-11-28 lack (then not compared).
FINGERPRINT_DATA = ("X_shape", "y_shape", "crc32")
FINGERPRINT_EXTRAS = ("sample_weight_crc32", "validation_crc32")


def _canonical_labels(y) -> np.ndarray:
    """y as fingerprinted: integers (and booleans) as int64, reals as float64, text as NumPy text
    as wide as its longest label (whatever type or width the array was made with)."""
    y = np.asarray(y)
    if y.dtype.kind == "S":  # bytes as Latin-1 text (ASCII, as NumPy's astype(str) reads them, refuses the bytes above 127)
        y = np.char.decode(y, "latin-1")
    elif y.dtype.kind == "O" and any(isinstance(v, bytes) for v in y.ravel().tolist()):
        y = np.array([v.decode("latin-1") if isinstance(v, bytes) else v for v in y.ravel().tolist()], dtype=object).reshape(y.shape)
    y = y.astype({"b": np.int64, "i": np.int64, "u": np.int64, "f": np.float64, "O": str}.get(y.dtype.kind, y.dtype), copy=False)
    if y.dtype.kind == "U":
        y = y.astype(f"<U{max(1, int(np.char.str_len(y).max(initial=0)))}")
    return np.ascontiguousarray(y)


def _as_rows(X):
    """X as fingerprinted: a SciPy sparse X as it is (its rows are read densified, see _crc32), else a C-contiguous array."""
    return X if hasattr(X, "toarray") else np.ascontiguousarray(X)


def _crc32(*arrays: np.ndarray) -> int:
    crc = 0
    for a in arrays:
        sparse = hasattr(a, "toarray")
        a = a if sparse else np.ascontiguousarray(a)
        crc = zlib.crc32(f"{a.dtype.str}{a.shape}".encode(), crc)
        # a sparse X's dense rows, a block at a time: the same bytes, and so the same CRC-32, as the dense X's
        rows = sparse_rows(a.shape[1]) if sparse else 0
        for block in ((a[lo:lo + rows].toarray() for lo in range(0, a.shape[0], rows)) if sparse else [a]):
            crc = zlib.crc32(np.ascontiguousarray(block).reshape(-1).view(np.uint8), crc)
    return crc


def describe_data(fingerprint: dict) -> str:
    """A data_fingerprint in words: "X of shape (500, 64), y of shape (500,), CRC-32 1a2b3c4d"."""
    return (f"X of shape {tuple(fingerprint['X_shape'])}, y of shape {tuple(fingerprint['y_shape'])}, "
            f"CRC-32 {fingerprint['crc32']:08x}")


def _state_to_json(value):
    """A bit generator's state for JSON: its arrays (MT19937's key, Philox's counter...) as tagged lists."""
    if isinstance(value, dict):
        return {k: _state_to_json(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.integer):
        return int(value)
    return value


def _state_from_json(value):
    if isinstance(value, dict):
        if set(value) == {"__ndarray__", "dtype"}:
            dtype = np.dtype(value["dtype"])
            # bit generators keep integers only; another dtype (a void of a gigabyte per item) is corruption
            if dtype.kind not in "iu":
                raise ValueError(f"rng_state: an array of dtype {dtype}; expected integers")
            return np.array(value["__ndarray__"], dtype=dtype)
        return {k: _state_from_json(v) for k, v in value.items()}
    return value


def _optimiser_description(optimiser) -> dict:
    """The optimiser's name and settings; one of the user's own (not of the registry's class for its name,
    a subclass included), or of a registry class that is no dataclass (its settings unknown to us), as ``own``,
    its settings left out: a resumed run takes the object passed to it (see ``optimisers.records_settings``)."""
    from .optimisers import optimiser_name, records_settings

    if not records_settings(optimiser):
        return {"name": optimiser_name(optimiser), "options": {}, "own": True}
    return {"name": optimiser_name(optimiser), "options": dataclasses.asdict(optimiser)}


#: Tensors of callbacks are named "callback.<ClassName>.<occurrence>.<name>".
CALLBACK_PREFIX = "callback."


def callback_keys(callbacks) -> list[tuple[str, object]]:
    """(key, callback) for each callback that keeps arrays in checkpoints (``checkpoint_arrays``):
    key "ClassName.k" for the k-th callback of its class, so a resumed run's list matches by class."""
    keys, seen = [], {}
    for callback in callbacks:
        if hasattr(callback, "checkpoint_arrays"):
            name = type(callback).__name__
            keys.append((f"{name}.{seen.get(name, 0)}", callback))
            seen[name] = seen.get(name, 0) + 1
    return keys


#: The array types a checkpoint (safetensors) can hold.
STORABLE = tuple(np.dtype(t) for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                       "float16", "float32", "float64"))


def _callback_arrays(key: str, callback, run, epochs_done: int) -> dict:
    """What ``callback`` keeps, checked as the loader will read it; a callback that fails or keeps
    something else is left out with a warning, once per run (the run's progress matters more)."""
    import warnings

    try:
        arrays = callback.checkpoint_arrays(run, epochs_done)
        if not type(callback).__name__.isidentifier():
            raise ValueError(f"its class name {type(callback).__name__!r} is not an identifier")
        kept = {}
        for name, array in dict(arrays).items():
            array = np.ascontiguousarray(array)
            if not (isinstance(name, str) and name) or array.dtype not in STORABLE:
                raise ValueError(f"expected non-empty names of arrays of {[t.name for t in STORABLE]}; got {name!r}: {array.dtype}")
            kept[name] = array
        return kept
    except Exception as exc:  # noqa: BLE001 - any failure of user code
        if key not in run.callbacks_warned:
            run.callbacks_warned.add(key)
            warnings.warn(f"checkpoint: {type(callback).__name__}.checkpoint_arrays (callback {key}) left out of "
                          f"this run's checkpoints ({type(exc).__name__}: {exc})", RuntimeWarning, stacklevel=2)
        return {}


def save_checkpoint(path, run, epochs_done: int) -> None:
    """Write the state of ``run`` (a ``training.Run``) after ``epochs_done`` completed epochs."""
    net = run.net
    tensors = {}
    for k, p in enumerate(net.parameters()):
        tensors[f"theta.{k}"] = np.ascontiguousarray(p)
        for j, s in enumerate(run.states[k]):
            tensors[f"optimiser.{k}.{j}"] = np.ascontiguousarray(s)
    for key, callback in callback_keys(getattr(run, "callbacks", ())):
        tensors |= {f"{CALLBACK_PREFIX}{key}.{name}": array for name, array in _callback_arrays(key, callback, run, epochs_done).items()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": net.config(),
        "classes": None if net.classes_ is None else classes_to_json(net.classes_),
        "multilabel": bool(net.multilabel_),
        "optimiser": _optimiser_description(run.optimiser),
        "n_states": [len(s) for s in run.states],
        "step": run.step,
        "epochs_done": epochs_done,
        "eta0": run.eta0,
        "rng_state": _state_to_json(run.rng.bit_generator.state),
        "history": run.history.as_dict(),
        "split_seed": run.split_seed,
        "last_change": run.last_change,
        "batch_size": getattr(run, "batch_size_given", None),
        "validation_fraction": getattr(run, "validation_fraction", None),
        "data": getattr(run, "data_fingerprint", None),
        "info": getattr(run, "checkpoint_info", None),
        "first_eta0": getattr(run, "first_eta0", None),
        "clip_norm": getattr(run, "clip_norm", None),
        "shuffle": getattr(run, "shuffle", None),
        "schedule": getattr(run, "schedule_name", None),
    }
    from safetensors.numpy import save

    write_atomically(path, save(tensors, metadata={"deltaprop": json.dumps(meta)}), "checkpoint")


#: The metadata every checkpoint has (``last_change`` and ``OPTIONAL_KEYS`` came later and may be absent).
REQUIRED_KEYS = ("config", "classes", "multilabel", "optimiser", "n_states", "step", "epochs_done", "eta0",
                 "rng_state", "history", "split_seed")
#: What later files record to check a resumed run against; null or absent in files that could not record them.
OPTIONAL_KEYS = ("batch_size", "validation_fraction", "data", "info", "first_eta0", "clip_norm", "shuffle", "schedule")
#: The keyword arguments of Network that Network.config() gives: the CLI rebuilds the network as Network(**config).
CONFIG_KEYS = ("sizes", "activation", "output", "loss", "init", "l2", "dropout", "dtype")
#: The bit generators whose states are checked by setting them on a fresh one.
BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Every field is checked (types, the parameters' shapes against the architecture, the
    optimiser's memory against the parameters) before anything uses it, so resuming from a
    corrupt file fails here, naming the file, rather than mid-training.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
    ValueError when the file is not a deltaprop checkpoint, is corrupt or
    truncated, or has another format version.
    """
    from safetensors import SafetensorError, safe_open

    path = str(existing_file(path, "checkpoint"))
    with open(path, "rb"):  # (a file without read permission: PermissionError, where safe_open said "No such file")
        pass
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            meta = json.loads(metadata.get("deltaprop", "null"))
            ours = isinstance(meta, dict) and meta.get("format") == FORMAT
            tensors = {k: f.get_tensor(k) for k in f.keys()} if ours else {}  # (another file's tensors: not read)
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"checkpoint: {path} is not a readable safetensors file ({str(exc):.100})") from None
    if not ours:
        model = metadata.get("format") == "deltaprop"  # (io's model files)
        raise ValueError(f"checkpoint: {path} is not a deltaprop training checkpoint" + (
            "; it is a model file (deltaprop.load_model reads it, and a new fit continues from its network; a run "
            "resumes only from the file of fit's checkpoint= or train --checkpoint)" if model else ""))
    version = meta.get("format_version")
    if version not in READS_VERSIONS:
        raise ValueError(
            f"checkpoint: {path} has format version {version}; "
            f"this deltaprop reads versions {READS_VERSIONS[0]} to {FORMAT_VERSION}"
        )
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise ValueError(f"checkpoint: {path} is incomplete (missing {', '.join(map(repr, missing))})")
    from .io import lacking_names

    lacking = lacking_names(meta["config"], "load_checkpoint or fit(resume=...)") if isinstance(meta["config"], dict) else None
    if lacking is not None:  # (not "corrupt": the file names an activation or loss registered where it was written)
        raise ValueError(f"checkpoint: {path}: {lacking}")
    try:
        return _checked(meta, tensors, version)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        # a file that parses but holds the wrong kinds of values (or a bit generator state that does not fit)
        raise ValueError(f"checkpoint: {path} is corrupt ({exc})") from None


def _checked(meta: dict, tensors: dict, version: int) -> Checkpoint:
    """The Checkpoint of the metadata and tensors, or ValueError saying which field is wrong."""
    from .checks import integer, real
    from .optimisers import OPTIMISERS, get_optimiser

    config, sizes, dtype = _checked_config(meta["config"])
    L = len(sizes) - 1
    classes = _checked_classes(meta["classes"], sizes[-1], version)
    if not isinstance(meta["multilabel"], bool):
        raise ValueError(f"multilabel: expected true or false; got {meta['multilabel']!r:.60}")

    optimiser = meta["optimiser"]
    if not (isinstance(optimiser, dict) and isinstance(optimiser.get("name"), str) and isinstance(optimiser.get("options"), dict)):
        raise ValueError(f"optimiser: expected {{'name': ..., 'options': {{...}}}}; got {optimiser!r:.80}")
    known = None  # a registry optimiser, rebuilt from its settings as resuming will (its settings checked)
    if not isinstance(optimiser.get("own", False), bool):
        raise ValueError(f"optimiser own: expected true or false; got {optimiser['own']!r:.40}")
    if optimiser["name"] in OPTIMISERS and not optimiser.get("own", False):
        if optimiser["name"] == "lbfgs":
            raise ValueError("optimiser: 'lbfgs' runs write no checkpoints")
        try:
            known = get_optimiser(optimiser["name"], **optimiser["options"])
        except TypeError as exc:  # an option the optimiser does not have
            raise ValueError(f"optimiser options {optimiser['options']!r:.80}: {exc}") from None
    n_states = meta["n_states"]
    if not (isinstance(n_states, list) and len(n_states) == 2 * L
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= len(tensors) for n in n_states)):
        raise ValueError(f"n_states: expected {2 * L} counts of optimiser arrays, one per W^l and b^l; got {n_states!r:.80}")

    # theta = [W^1, b^1, ..., W^L, b^L] with the shapes the sizes give, and the optimiser's arrays
    shapes = [shape for l in range(1, L + 1) for shape in ((sizes[l], sizes[l - 1]), (sizes[l],))]
    expected = {f"theta.{k}" for k in range(2 * L)} | {f"optimiser.{k}.{j}" for k, n in enumerate(n_states) for j in range(n)}
    callback_arrays: dict = {}
    for name in [t for t in tensors if t.startswith(CALLBACK_PREFIX)]:
        parts = name[len(CALLBACK_PREFIX):].split(".", 2)  # class, occurrence, the callback's own name
        if len(parts) != 3 or not parts[0].isidentifier() or not parts[1].isdigit() or not parts[2]:
            raise ValueError(f"tensor {name!r}: expected callback.<ClassName>.<occurrence>.<name>")
        callback_arrays.setdefault(f"{parts[0]}.{parts[1]}", {})[parts[2]] = tensors.pop(name)
    if set(tensors) != expected:
        missing, extra = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise ValueError(f"tensors do not match sizes {sizes}: missing {missing[:10]}, unexpected {extra[:10]}")
    params = []
    for k, shape in enumerate(shapes):
        p = tensors[f"theta.{k}"]
        if p.shape != shape or p.dtype != dtype:
            raise ValueError(f"theta.{k} ({parameter_name(k)}) has shape {p.shape} and dtype {p.dtype}; expected {shape} {dtype} "
                             f"for sizes {sizes}")
        if not np.isfinite(p).all():
            raise ValueError(f"theta.{k} ({parameter_name(k)}) holds NaN or infinite values")
        params.append(p)
    states = [tuple(tensors[f"optimiser.{k}.{j}"] for j in range(n)) for k, n in enumerate(n_states)]
    if version == 1 and optimiser["name"] == "adam":
        states = [s[:2] for s in states]  # (m, v, scratch) -> (m, v)
    if known is not None:
        # the registry optimisers keep arrays shaped like their parameter (a velocity, Adam's m and v);
        # one cut short would end in a matmul error or NaN mid-training, blamed on the learning rate
        n_expected = len(known.init(np.zeros(1, dtype)))
        for k, (p, state) in enumerate(zip(params, states)):
            if len(state) != n_expected:
                raise ValueError(f"optimiser {optimiser['name']!r} keeps {n_expected} arrays per parameter; "
                                 f"{parameter_name(k)}'s (theta.{k}) has {len(state)}")
            for j, a in enumerate(state):
                if a.shape != p.shape or a.dtype != p.dtype:
                    raise ValueError(f"optimiser.{k}.{j} has shape {a.shape} and dtype {a.dtype}; expected {p.shape} {p.dtype} as theta.{k} ({parameter_name(k)})")
    for k, state in enumerate(states):
        for j, a in enumerate(state):
            if a.dtype.kind == "f" and np.isnan(a).any():  # (an infinite Adam v is possible: g^2 can overflow)
                raise ValueError(f"optimiser.{k}.{j} holds NaN")

    step = integer("step", meta["step"], minimum=0)
    epochs_done = integer("epochs_done", meta["epochs_done"], minimum=0)
    eta0 = None if meta["eta0"] is None else real("eta0", meta["eta0"], 0, low_open=True, what="a finite learning rate")
    split_seed = None if meta["split_seed"] is None else integer("split_seed", meta["split_seed"], minimum=0)
    last_change = meta.get("last_change")  # older files lack it
    last_change = None if last_change is None else real("last_change", last_change, 0)
    recorded = _checked_recorded_settings({key: meta.get(key) for key in OPTIONAL_KEYS})  # older files lack them
    return Checkpoint(
        config=config,
        classes=classes,
        multilabel=meta["multilabel"],
        params=params,
        optimiser=optimiser,
        optimiser_states=states,
        step=step,
        epochs_done=epochs_done,
        eta0=eta0,
        rng_state=_checked_rng_state(meta["rng_state"]),
        history=_checked_history(meta["history"]),
        split_seed=split_seed,
        last_change=last_change,
        callback_arrays=callback_arrays,
        **recorded,
    )


def _checked_recorded_settings(settings: dict) -> dict:
    """The recorded batch_size, validation_fraction, data fingerprint, info, first eta0, clip_norm, shuffle and
    schedule (each may be None)."""
    from .checks import integer, real

    batch_size, fraction, data, info, first_eta0, clip_norm, shuffle, schedule = (settings[key] for key in OPTIONAL_KEYS)
    if shuffle is not None and not isinstance(shuffle, bool):
        raise ValueError(f"shuffle: expected true or false; got {shuffle!r:.40}")
    if schedule is not None and not isinstance(schedule, str):
        raise ValueError(f"schedule: expected a schedule's name; got {schedule!r:.40}")
    if clip_norm is not None:
        clip_norm = real("clip_norm", clip_norm, 0, low_open=True, what="a finite number")
    if first_eta0 is not None:
        first_eta0 = real("first_eta0", first_eta0, 0, low_open=True, what="a finite learning rate")
    if batch_size is not None:
        batch_size = integer("batch_size", batch_size)
    if fraction is not None:
        fraction = real("validation_fraction", fraction, 0, 1, high_open=True)
    if data is not None:
        def dims(value, ndims):
            return (isinstance(value, list) and len(value) in ndims
                    and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value))

        def checksum(value, optional=False):
            return (value is None and optional) or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32)

        required = set(FINGERPRINT_DATA)
        if not (isinstance(data, dict) and required <= set(data) <= required | set(FINGERPRINT_EXTRAS)
                and dims(data["X_shape"], (2,)) and dims(data["y_shape"], (1, 2)) and checksum(data["crc32"])
                and all(checksum(data[key], optional=True) for key in FINGERPRINT_EXTRAS if key in data)):
            raise ValueError(f"data: expected {{'X_shape': [n, N_0], 'y_shape': [n] or [n, N_L], 'crc32': a 32-bit "
                             f"checksum, and optionally {list(FINGERPRINT_EXTRAS)}: a checksum or null}}; got {data!r:.100}")
    if info is not None and not isinstance(info, dict):
        raise ValueError(f"info: expected an object (the caller's record of the run); got {info!r:.80}")
    return {"batch_size": batch_size, "validation_fraction": fraction, "data": data, "info": info, "first_eta0": first_eta0,
            "clip_norm": clip_norm, "shuffle": shuffle, "schedule": schedule}


def _checked_config(config) -> tuple[dict, list[int], np.dtype]:
    """``config`` (as Network.config() gives it), its sizes and dtype; the rest checked by Network itself."""
    from .network import Network

    if not isinstance(config, dict):
        raise ValueError(f"config: expected an object of Network settings; got {config!r:.80}")
    unknown = sorted(map(str, set(config) - set(CONFIG_KEYS)))
    if unknown:
        raise ValueError(f"config: unknown settings {unknown[:10]}; Network takes {list(CONFIG_KEYS)}")
    if "sizes" not in config:
        raise ValueError("config: no sizes")
    sizes, dtype = Network._check_sizes(config["sizes"]), Network._check_dtype(config.get("dtype", "float32"))
    init = config.get("init")
    # names only: a network of one's own initialisers resumes with them, so they need not be in the registry
    if init is not None and not (isinstance(init, str) or (isinstance(init, list) and len(init) == len(sizes) - 1
                                                           and all(isinstance(n, str) for n in init))):
        raise ValueError(f"config init: expected {len(sizes) - 1} initialiser names, one per layer; got {init!r:.80}")
    # Every other setting checked by building the same network with at most 2 units a layer: the checks
    # do not depend on the sizes beyond that, and nothing of the claimed size is allocated.
    Network([min(n, 2) for n in sizes], **{k: v for k, v in config.items() if k not in ("sizes", "init")}, seed=0)
    return config, sizes, dtype


def _checked_classes(classes, n_outputs: int, version: int) -> np.ndarray | None:
    """The class labels: one per output unit (two for a single one, as predict() reads them), sorted."""
    if classes is None:
        return None
    if version >= 4:
        return classes_from_json(classes, n_outputs)
    n_expected = 2 if n_outputs == 1 else n_outputs  # versions 1-3: a list of text or numbers
    if not (isinstance(classes, list) and len(classes) == n_expected
            and all(isinstance(c, (str, int, float)) for c in classes) and len({type(c) is str for c in classes}) == 1):
        raise ValueError(f"classes: expected {n_expected} labels (text or numbers) for N_L = {n_outputs} output units; got {classes!r:.80}")
    values = np.asarray(classes)
    if values.dtype.kind == "O" or not (values[1:] > values[:-1]).all():  # encode_targets looks labels up with searchsorted
        raise ValueError(f"classes: expected distinct labels in sorted order; got {classes!r:.80}")
    return values


def _checked_rng_state(state) -> dict:
    """The random generator's state; a NumPy bit generator's is tried on a fresh one of its kind."""
    if not (isinstance(state, dict) and isinstance(state.get("bit_generator"), str)):
        raise ValueError(f"rng_state: expected a bit generator's state (an object naming its bit_generator); got {state!r:.80}")
    name = state["bit_generator"]
    try:
        state = _state_from_json(state)
        if name in BIT_GENERATORS:
            getattr(np.random, name)().state = state
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"rng_state: not a state of a {name} bit generator ({type(exc).__name__}: {exc})") from None
    return state


def _checked_history(history) -> dict:
    from .training import History

    if not isinstance(history, dict):
        raise ValueError(f"history: expected an object of per-epoch lists; got {history!r:.80}")
    measured = [key for key in history if key not in History.KEYS and key != "stop_reason"]  # fit's metrics, val_<name>
    for key in measured:
        if not key.startswith("val_"):
            raise ValueError(f"history: expected the keys {list(History.KEYS)}, stop_reason and those of fit's metrics "
                             f"(val_<name>); got {key!r:.40}")
    for key in (*History.KEYS, *measured):
        values = history.get(key, [])
        if not (isinstance(values, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
            raise ValueError(f"history {key}: expected a list of numbers; got {values!r:.80}")
    if not isinstance(history.get("stop_reason", ""), str):
        raise ValueError(f"history stop_reason: expected text; got {history['stop_reason']!r:.80}")
    return history
