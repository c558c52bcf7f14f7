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

Files are written to a temporary file in the same directory and renamed over
the target, so a crash mid-write never leaves a broken checkpoint where a good
one was.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from .files import existing_file, write_atomically

__all__ = ["save_checkpoint", "load_checkpoint", "Checkpoint", "FORMAT", "FORMAT_VERSION"]

FORMAT = "deltaprop-checkpoint"
#: 2: Adam's state is (m, v). Version 1 also stored a scratch array per parameter, which reading
#: drops; it held no information (zeros or the last update's temporary values).
FORMAT_VERSION = 2
READS_VERSIONS = (1, 2)


@dataclass
class Checkpoint:
    """The contents of a checkpoint file (see module docstring)."""

    config: dict
    classes: list | None
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
            return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: _state_from_json(v) for k, v in value.items()}
    return value


def _optimiser_description(optimiser) -> dict:
    fields = dataclasses.asdict(optimiser) if dataclasses.is_dataclass(optimiser) else {}
    return {"name": getattr(optimiser, "name", type(optimiser).__name__), "options": fields}


def save_checkpoint(path, run, epochs_done: int) -> None:
    """Write the state of ``run`` (a ``training.Run``) after ``epochs_done`` completed epochs."""
    net = run.net
    tensors = {}
    for k, p in enumerate(net.parameters()):
        tensors[f"theta.{k}"] = np.ascontiguousarray(p)
        for j, s in enumerate(run.states[k]):
            tensors[f"optimiser.{k}.{j}"] = np.ascontiguousarray(s)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": net.config(),
        "classes": None if net.classes_ is None else np.asarray(net.classes_).tolist(),
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
    }
    from safetensors.numpy import save

    write_atomically(path, save(tensors, metadata={"deltaprop": json.dumps(meta)}))


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
    ValueError when the file is not a deltaprop checkpoint, is corrupt or
    truncated, or has another format version.
    """
    from safetensors import SafetensorError, safe_open

    path = str(existing_file(path, "checkpoint"))
    try:
        with safe_open(path, framework="np") as f:
            meta = json.loads((f.metadata() or {}).get("deltaprop", "null"))
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"checkpoint: {path} is not a readable safetensors file ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint: {path} is not a deltaprop training checkpoint")
    version = meta.get("format_version")
    if version not in READS_VERSIONS:
        raise ValueError(
            f"checkpoint: {path} has format version {version}; "
            f"this deltaprop reads versions {READS_VERSIONS[0]} to {FORMAT_VERSION}"
        )
    try:
        n_params = len(meta["n_states"])
        params = [tensors[f"theta.{k}"] for k in range(n_params)]
        states = [tuple(tensors[f"optimiser.{k}.{j}"] for j in range(n)) for k, n in enumerate(meta["n_states"])]
        if version == 1 and meta["optimiser"]["name"] == "adam":
            states = [s[:2] for s in states]  # (m, v, scratch) -> (m, v)
        return Checkpoint(
            config=meta["config"],
            classes=meta["classes"],
            multilabel=meta["multilabel"],
            params=params,
            optimiser=meta["optimiser"],
            optimiser_states=states,
            step=int(meta["step"]),
            epochs_done=int(meta["epochs_done"]),
            eta0=meta["eta0"],
            rng_state=_state_from_json(meta["rng_state"]),
            history=meta["history"],
            split_seed=meta["split_seed"],
            last_change=None if meta.get("last_change") is None else float(meta["last_change"]),  # older files lack it
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint: {path} is incomplete (missing {exc})") from None
