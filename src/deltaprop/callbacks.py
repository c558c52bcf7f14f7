"""Callbacks: code that ``fit`` calls at the start and end of training, epochs and batches.

The protocol
------------
A callback is any object with some of the methods of :class:`Callback`;
``fit`` calls each that exists, passing the :class:`deltaprop.training.Run`
(the network, optimiser state, history, ``epoch``, ``step``, ``eta0``).
A callback stops training with ``run.stop = True`` (saying why in
``run.stop_reason``) and changes the base learning rate through ``run.eta0``.
Epochs are numbered from 0 in calls and from 1 in messages.
"""

from __future__ import annotations

import sys

__all__ = ["Callback", "PrintProgress"]


class Callback:
    """Base class with every hook doing nothing; override the ones you need."""

    def on_train_begin(self, run) -> None:
        pass

    def on_epoch_begin(self, run, epoch: int) -> None:
        pass

    def on_batch_end(self, run, batch: int, loss: float) -> None:
        pass

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, run) -> None:
        pass


class PrintProgress(Callback):
    """One plain line per epoch: epoch, cost, accuracy, validation, seconds, examples per second."""

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
        seconds = logs.get("time", 0.0)
        parts.append(f"{seconds:.2f}s ({run.n_train / max(seconds, 1e-9):,.0f} ex/s)")
        print("  ".join(parts), file=self.stream, flush=True)
