"""Callbacks: code that ``fit`` calls at the start and end of training, epochs and batches.

The protocol
------------
A callback is any object with some of the methods of :class:`Callback`;
``fit`` calls each that exists (on_train_begin, on_epoch_begin, on_batch_end,
on_epoch_end, on_train_end), passing the :class:`deltaprop.training.Run`
(the network, optimiser state, history, ``epoch``, ``step``, ``eta0``).
A callback stops training with ``run.stop = True`` (saying why in
``run.stop_reason``) and changes the base learning rate through ``run.eta0``
(a finite number > 0), which the schedule reads at the start of each epoch: a
change made during an epoch applies from the next one.
Epochs are numbered from 0 in calls and from 1 in messages. ``on_train_end``
also runs when training raises, with the exception in ``run.error``; every
callback's ``on_train_end`` runs before the first error one of them raised is re-raised.

A run resumed from a checkpoint starts with the history of the epochs before it
(``run.first_epoch`` of them): :class:`EarlyStopping` and :class:`ReduceLROnPlateau`
replay it in ``on_train_begin``, so that their counts go on as in the run never
interrupted. A callback that must keep arrays across a resume (EarlyStopping's
best weights) also has

``checkpoint_arrays(run, epochs_done) -> dict[str, ndarray]``
    what to keep in a checkpoint written after ``epochs_done`` epochs, and
``restore_arrays(run, arrays) -> bool``
    called after ``on_train_begin`` of a resumed run with what the callback of the
    same class and order kept (or, when it returns False, another of its class).
    Keep numeric arrays only (a checkpoint holds safetensors); one left out is warned of.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

from .checks import boolean, integer, real

__all__ = ["Callback", "PrintProgress", "ProgressBar", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "CSVLogger"]


class Callback:
    """Base class with every hook doing nothing; override the ones you need. Its ``on_`` methods are
    the events ``fit`` calls (``training.CALLBACK_EVENTS`` is read from them)."""

    def on_train_begin(self, run) -> None:
        """Before the first epoch (after a resumed run's history is restored)."""

    def on_epoch_begin(self, run, epoch: int) -> None:
        """Before epoch ``epoch`` = 0, 1, ..."""

    def on_batch_end(self, run, batch: int, loss: float) -> None:
        """After each mini-batch step (mini-batch optimisers only): its index in the epoch and its cost."""

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        """After epoch ``epoch``; ``logs`` holds this epoch's history entries (loss, accuracy, ...)."""

    def on_train_end(self, run) -> None:
        """After the last epoch, and also when training raises (divergence, a second Ctrl-C, ...)."""


class PrintProgress(Callback):
    """One plain line per epoch: epoch, cost, accuracy, validation (and fit's metrics), seconds, examples per second."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        parts = [f"epoch {epoch + 1:>3}/{run.epochs}", f"loss {logs['loss']:.4f}"]
        if "accuracy" in logs:
            parts.append(f"acc {logs['accuracy']:.4f}")
        if "val_loss" in logs:
            parts.append(f"val_loss {logs['val_loss']:.4f}")
        if "val_accuracy" in logs:
            parts.append(f"val_acc {logs['val_accuracy']:.4f}")
        parts += [f"{key} {value:.4f}" for key, value in logs.items() if key not in run.history.KEYS]  # fit's metrics
        seconds = logs.get("time", 0.0)
        parts.append(f"{seconds:.2f}s ({run.n_train / max(seconds, 1e-9):,.0f} ex/s)")
        print("  ".join(parts), file=self.stream, flush=True)


def _check_monitored(run, monitor: str, who: str) -> None:
    """Refuse, before the first epoch changes anything, a monitor that this run will not record."""
    keys = run.recorded_keys()
    if monitor not in keys:
        raise ValueError(
            f"{who}: monitor {monitor!r} is not recorded; this run records {keys} "
            "(validation quantities need validation_data or validation_fraction; accuracies need a classifier)"
        )


def _monitor_name(monitor) -> str:
    if not isinstance(monitor, str):
        raise TypeError(f"monitor: expected a history key such as 'val_loss'; got {monitor!r}")
    return monitor


#: mode="auto": which monitored keys are better when larger (the rest are better smaller), as Keras infers.
MAXIMISED = ("accuracy", "val_accuracy")


def _direction(mode, monitor: str) -> float:
    """+1 when smaller is better (mode "min"), -1 when larger is ("max"; "auto" decides by the key)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode: expected 'auto', 'min' or 'max'; got {mode!r}")
    from .training import History

    if mode == "auto" and monitor not in History.KEYS:  # (one of fit's metrics: an F1 is better larger, an error smaller)
        raise ValueError(f"mode: 'auto' knows which way is better for {list(History.KEYS)} only; got monitor "
                         f"{monitor!r}: give mode='max' (larger is better) or mode='min'")
    if mode == "auto":
        mode = "max" if monitor in MAXIMISED else "min"
    return 1.0 if mode == "min" else -1.0


class EarlyStopping(Callback):
    """Stop when the validation loss (or another monitored quantity) has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience : int >= 0, epochs without improvement to wait; 0 stops at the first one, as 1 does
        (Keras's default is 0, with the same meaning).
    min_delta : float >= 0, the smallest change that counts as improvement.
    restore_best : bool, put back the parameters of the best epoch when training ends
        (not when it raises, as on divergence: the error says which parameters the network keeps).
    monitor : str, the history key to watch (default "val_loss"): one the run records,
        checked before training starts.
    mode : "auto" (default), "min" or "max": whether smaller or larger values are better;
        "auto" maximises accuracies and minimises loss, val_loss, learning_rate and time; a
        ``val_<name>`` of fit's ``metrics`` needs mode="max" or "min".

    Attributes
    ----------
    best : the best monitored value; best_epoch : its epoch (from 0), or None.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True, monitor: str = "val_loss",
                 mode: str = "auto") -> None:
        self.patience = integer("patience", patience, minimum=0)
        self.min_delta = real("min_delta", min_delta, 0)
        self.restore_best = boolean("restore_best", restore_best)
        self.monitor = _monitor_name(monitor)
        self.mode = mode
        _direction(mode, "loss")  # checks mode now (which way a metric's key is better: once it is known to be recorded)

    def on_train_begin(self, run) -> None:
        _check_monitored(run, self.monitor, "EarlyStopping")
        self._sign = _direction(self.mode, self.monitor)
        self.best, self.best_epoch, self.wait, self._best_params = self._sign * math.inf, None, 0, None
        self._before_cut = (None, None)  # the best before an epoch a callback cut short (see checkpoint_arrays)
        for epoch, value in enumerate(run.history.values(self.monitor)):  # a resumed run's earlier epochs
            self._observe(float(value), epoch)
        if self.best_epoch is not None and self.best_epoch == run.history.epochs - 1 and self.restore_best:
            self._best_params = [p.copy() for p in run.net.parameters()]  # the checkpoint's are the best epoch's
        if self.wait >= max(self.patience, 1):  # the run resumed had already stopped here
            self._stop(run)

    def checkpoint_arrays(self, run, epochs_done: int) -> dict:
        """The best epoch's weights among the checkpoint's epochs, unless they are its last (then the
        checkpoint's parameters are they). A cut-short epoch after them is not among its epochs.

        Returns {} or {"epoch": int64 array of shape (1,), "theta.k": the k-th array of
        ``Network.parameters()`` (W^l, b^l in the network's shapes and dtype)}."""
        for epoch, params in ((self.best_epoch, self._best_params), self._before_cut):
            if params is not None and epoch is not None and epoch < epochs_done:
                if epoch == epochs_done - 1:
                    return {}
                return {"epoch": np.array([epoch])} | {f"theta.{k}": p for k, p in enumerate(params)}
        return {}

    def restore_arrays(self, run, arrays: dict) -> bool:
        """Take back what :meth:`checkpoint_arrays` kept (arrays by name, as it gave them): True when they are
        this run's best epoch's weights, of the network's shapes and dtype; False leaves them to another."""
        shapes = [(p.shape, p.dtype) for p in run.net.parameters()]
        kept = [arrays.get(f"theta.{k}") for k in range(len(shapes))]
        epoch = arrays.get("epoch", np.zeros(0))
        if (self.restore_best and epoch.size == 1 and epoch.dtype.kind in "iu" and int(epoch.reshape(-1)[0]) == self.best_epoch
                and all(a is not None and (a.shape, a.dtype) == shape for a, shape in zip(kept, shapes))):
            if not all(np.isfinite(a).all() for a in kept):  # (a corrupt file: training would end on them)
                raise ValueError(f"EarlyStopping: the weights of the best epoch ({self.best_epoch + 1}) that the checkpoint "
                                 f"keeps hold NaN or infinite values (a corrupt file)")
            self._best_params = kept
            return True
        return False

    def _observe(self, value: float, epoch: int) -> bool:
        """Count epoch ``epoch``'s monitored value; True when it is the best so far."""
        if self._sign * value < self._sign * self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return True
        self.wait += 1
        return False

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        previous = (self.best_epoch, self._best_params)
        if self._observe(float(logs[self.monitor]), epoch):
            if self.restore_best:
                if run.stop:  # maybe an epoch cut short, whose start is what the checkpoint keeps
                    self._before_cut = previous
                self._best_params = [p.copy() for p in run.net.parameters()]
            return
        if self.wait >= max(self.patience, 1):
            self._stop(run)

    def _stop(self, run) -> None:
        run.stop = True
        best = "" if self.best_epoch is None else f" (best {self.best:.4g} in epoch {self.best_epoch + 1})"
        run.stop_reason = f"early stopping: {self.monitor} did not improve for {max(self.patience, 1)} epoch{'s' if self.patience > 1 else ''}{best}"

    def on_train_end(self, run) -> None:
        if getattr(run, "error", None) is not None:
            return
        if not self.restore_best or self.best_epoch is None or self.best_epoch == run.history.epochs - 1:
            return
        reason = run.stop_reason or run.history.stop_reason
        if self._best_params is None:  # before a resume, in a checkpoint without them (older, or cut short)
            run.history.stop_reason = reason + f"; the weights of epoch {self.best_epoch + 1}, the best, came before the resume and are not kept"
            return
        for p, best in zip(run.net.parameters(), self._best_params):
            p[...] = best  # in place: the optimiser's state refers to these arrays
        run.history.stop_reason = reason + f"; restored the weights of epoch {self.best_epoch + 1}"


class ModelCheckpoint(Callback):
    """Save the model every ``every`` epochs with :func:`deltaprop.io.save_model` (atomic writes).

    ``path`` may contain ``{epoch}`` (from 1), e.g. ``"model-{epoch:03d}.safetensors"``;
    without it the same file is overwritten. ``save_options`` go to ``save_model``
    (scaling, class_names, image_shape, training). For checkpoints that resume
    a run exactly, see ``deltaprop.checkpoint``.
    """

    def __init__(self, path, every: int = 1, **save_options) -> None:
        every = integer("every", every)
        from .files import check_path

        check_path(path, "path")
        self.path, self.every, self.save_options = os.fsdecode(os.fspath(path)), every, save_options  # (as given: "out/" stays)
        import inspect

        from .io import save_model, training_summary

        known = [name for name in inspect.signature(save_model).parameters if name not in ("net", "path")]
        unknown = sorted(set(save_options) - set(known))
        if unknown:
            raise TypeError(f"save_options: expected keywords of save_model ({', '.join(known)}); got {', '.join(unknown)}")
        training_summary(save_options.get("training"))  # a summary JSON cannot hold: refused now, not at the first save
        try:
            self.path.format(epoch=1)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:  # {epoch[0]}, {epoch.x}, ...
            raise ValueError(
                f"path: expected a file name whose only {{...}} field is {{epoch}} (write {{{{ and }}}} for literal braces); "
                f"got {self.path!r} ({type(exc).__name__}: {exc})"
            ) from None
        self.saved: list[str] = []

    def on_train_begin(self, run) -> None:
        from .files import writable_path
        from .io import model_metadata

        # before training, not after its first epoch: the path, the network and the save options
        writable_path(self.path.format(epoch=run.first_epoch + 1), "ModelCheckpoint path")
        try:
            model_metadata(run.net, argument="ModelCheckpoint", **self.save_options)
        except (ValueError, TypeError) as exc:
            message = str(exc)
            raise type(exc)(message if message.startswith("ModelCheckpoint") else f"ModelCheckpoint {message}") from None

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        if (epoch + 1) % self.every:
            return
        from .io import save_model

        path = self.path.format(epoch=epoch + 1)
        training = dict(self.save_options.get("training") or {}) | {"epochs": epoch + 1, **{k: v for k, v in logs.items()}}
        save_model(run.net, path, **(self.save_options | {"training": training}))
        self.saved.append(path)


class ReduceLROnPlateau(Callback):
    """Multiply the base learning rate ``run.eta0`` by ``factor`` after ``patience`` epochs without improvement.

    Monitors ``val_loss`` when the run has validation data, otherwise ``loss``
    (unless ``monitor`` is given; ``mode`` as in :class:`EarlyStopping`).
    A cut never takes eta0 below ``min_lr``; a schedule then applies to eta0 as
    it does without cuts, so a decaying schedule may take the epoch's rate lower. After a cut, the next ``cooldown`` epochs
    count no epoch without improvement (PyTorch's ``cooldown``; Keras's skips one fewer),
    so the new rate has time to show its effect before the next cut.

    The cut comes with the ``patience``-th epoch without improvement, as in Keras; PyTorch's
    scheduler waits one epoch more (patience + 1). An improvement is a change of more than
    ``min_delta`` (absolute; PyTorch's default is 1e-4 relative). ``patience`` is at least 1.
    """

    def __init__(self, factor: float = 0.5, patience: int = 3, min_lr: float = 1e-6, min_delta: float = 0.0,
                 monitor: str | None = None, mode: str = "auto", cooldown: int = 0) -> None:
        self.factor = real("factor", factor, 0, 1, low_open=True, high_open=True)
        self.patience = integer("patience", patience)
        self.min_lr = real("min_lr", min_lr, 0)
        self.min_delta = real("min_delta", min_delta, 0)
        self.monitor = None if monitor is None else _monitor_name(monitor)
        self.mode = mode
        _direction(mode, "loss")  # checks mode now (which way a metric's key is better: once it is known to be recorded)
        self.cooldown = integer("cooldown", cooldown, 0)

    def on_train_begin(self, run) -> None:
        if run.eta0 is None:
            raise ValueError("ReduceLROnPlateau: the optimiser has no learning rate (L-BFGS)")
        self._monitor = self.monitor or ("val_loss" if run.val_data is not None else "loss")
        _check_monitored(run, self._monitor, "ReduceLROnPlateau")
        self._sign = _direction(self.mode, self._monitor)
        self.best, self.wait, self.cooling, self.reductions = self._sign * math.inf, 0, 0, []
        # A resumed run's earlier epochs, from the base learning rate of its first (run.first_eta0): the same
        # reductions again, leaving run.eta0 as the checkpoint restored it.
        if run.history.learning_rate:
            eta0 = run.first_eta0 if getattr(run, "first_eta0", None) is not None else float(run.history.learning_rate[0])
            for epoch, value in enumerate(run.history.values(self._monitor)):
                eta0 = self._observe(float(value), epoch, eta0)

    def _observe(self, value: float, epoch: int, eta0: float) -> float:
        """Count epoch ``epoch``'s monitored value; the base learning rate after it."""
        cooling, self.cooling = self.cooling > 0, max(self.cooling - 1, 0)
        if self._sign * value < self._sign * self.best - self.min_delta:
            self.best, self.wait = value, 0
            return eta0
        if cooling:  # an epoch right after a cut is not counted against the new rate
            return eta0
        self.wait += 1
        if self.wait >= self.patience and eta0 > self.min_lr:
            eta0 = max(eta0 * self.factor, self.min_lr)
            self.reductions.append((epoch, eta0))
            self.wait, self.cooling = 0, self.cooldown
        return eta0

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        run.eta0 = self._observe(float(logs[self._monitor]), epoch, run.eta0)


class CSVLogger(Callback):
    """Write the history to a CSV file, one row per epoch, rewritten atomically (never half-written).

    ``min_interval`` : seconds >= 0 between rewrites (default 1): the file is rewritten after an
    epoch that ends at least that long after the last rewrite, and when training ends (also when
    it raises). Each rewrite holds every row so far, so rewriting after every epoch
    (``min_interval=0``) of a long run of short epochs would cost time growing with the square
    of the epochs.
    """

    COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time")

    def __init__(self, path, min_interval: float = 1.0) -> None:
        from .files import check_path

        check_path(path, "path")
        self.path = path  # as given
        self.min_interval = real("min_interval", min_interval, 0)
        self.rows: list[dict] = []
        self._written, self._last_write = 0, -math.inf  # rows in the file, and when it was written (monotonic)

    def on_train_begin(self, run) -> None:
        from .files import writable_path

        writable_path(self.path, "CSVLogger path")  # before training, not after its first epoch
        # A resumed run starts with the history of the epochs before it: keep their rows.
        h = run.history
        self.rows = [{"epoch": e + 1, **{k: h.values(k)[e] for k in h.keys() if len(h.values(k)) > e}} for e in range(h.epochs)]
        self._written, self._last_write = 0, -math.inf  # (a logger used again by another fit: its first epoch is written)

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        self.rows.append({"epoch": epoch + 1, **logs})
        if time.monotonic() - self._last_write >= self.min_interval:
            self._write()

    def on_train_end(self, run) -> None:
        if self._written < len(self.rows):
            self._write()

    def _write(self) -> None:
        from .files import write_atomically

        columns = [c for c in self.COLUMNS if any(c in r for r in self.rows)]
        columns += sorted({c for r in self.rows for c in r} - set(self.COLUMNS))  # (fit's metrics, val_<name>)
        lines = [",".join(columns)]
        lines += [",".join(repr(float(r[c])) if c != "epoch" else str(r[c]) for c in columns if c in r) for r in self.rows]
        write_atomically(self.path, "\n".join(lines) + "\n")
        self._written, self._last_write = len(self.rows), time.monotonic()


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class ProgressBar(Callback):
    """A live bar per epoch (rich): examples/s, loss, validation accuracy, time left for the run.

    When ``stream`` is not a terminal (a pipe, a file, CI logs) it prints one
    plain line per epoch instead, with the same figures. ``plain=True`` or
    ``False`` forces either mode.
    """

    def __init__(self, stream=None, plain: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.plain = None if plain is None else boolean("plain", plain)

    def on_train_begin(self, run) -> None:
        from rich.console import Console

        self.console = Console(file=self.stream, force_terminal=None if self.plain is None else not self.plain)
        self.live = self.console.is_terminal
        self.start = time.perf_counter()
        self.done_examples = 0  # over this run (after any resumed epochs), for examples/s and time left
        self.epoch_done = 0
        self.val_text = ""
        self.progress = None
        if self.live:
            # One live bar for the whole run, reset each epoch; each finished epoch is printed above it as a
            # line. (A new bar per epoch, with its refresh thread, made many short epochs about 20x slower.)
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("epoch {task.fields[epoch]}"),
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TextColumn("{task.fields[speed]} ex/s  loss {task.fields[loss]}{task.fields[val]}  left {task.fields[left]}"),
                console=self.console,
                transient=True,  # gone at the end: the epochs' lines stay
            )
            self.task = self.progress.add_task("", total=run.n_train, epoch="-", speed="-", loss="-", val="", left="-")
            self.progress.start()

    def _time_left(self, run) -> float:
        elapsed = time.perf_counter() - self.start
        total = run.n_train * (run.epochs - run.first_epoch)
        return elapsed / self.done_examples * (total - self.done_examples) if self.done_examples else float("nan")

    def on_epoch_begin(self, run, epoch: int) -> None:
        self.epoch_start = time.perf_counter()
        self.epoch_done = 0
        if self.progress is not None:
            self.progress.reset(self.task, total=run.n_train, epoch=f"{epoch + 1}/{run.epochs}", speed="-", loss="-",
                                val=self.val_text, left=_duration(self._time_left(run)) if self.done_examples else "-")

    def on_batch_end(self, run, batch: int, loss: float) -> None:
        seen = min((batch + 1) * run.batch_size, run.n_train)
        self.done_examples += seen - self.epoch_done
        self.epoch_done = seen
        if self.progress is not None:
            speed = seen / max(time.perf_counter() - self.epoch_start, 1e-9)
            self.progress.update(self.task, completed=seen, speed=f"{speed:,.0f}", loss=f"{loss:.4f}", left=_duration(self._time_left(run)) if self.done_examples else "-")

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        self.done_examples += run.n_train - self.epoch_done  # L-BFGS has no batches
        self.epoch_done = run.n_train
        seconds = logs.get("time", time.perf_counter() - self.epoch_start)
        speed = run.n_train / max(seconds, 1e-9)
        self.val_text = f"  val_acc {logs['val_accuracy']:.4f}" if "val_accuracy" in logs else (f"  val_loss {logs['val_loss']:.4f}" if "val_loss" in logs else "")
        self.val_text += "".join(f"  {key} {value:.4f}" for key, value in logs.items() if key not in run.history.KEYS)  # fit's metrics
        left = self._time_left(run) if epoch + 1 < run.epochs else 0.0
        acc = f"  acc {logs['accuracy']:.4f}" if "accuracy" in logs else ""
        line = (f"epoch {epoch + 1:>3}/{run.epochs}  loss {logs['loss']:.4f}{acc}{self.val_text}  "
                f"{seconds:.2f}s ({speed:,.0f} ex/s)  left {_duration(left)}")
        if self.progress is not None:
            self.progress.console.print(line, highlight=False, markup=False, soft_wrap=True)  # above the live bar
            return
        print(line, file=self.stream, flush=True)

    def on_train_end(self, run) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
