"""A training run in its own process, for the interruption tests (not a test module).

usage: python resumable_run.py CHECKPOINT OUT.npy [--resume]
Prints "epoch K" after each completed epoch (and "inside epoch 2" in its middle), then "done: STOP_REASON".
"""

import sys
import time

import numpy as np
from sklearn.datasets import load_digits

import deltaprop as dp
from deltaprop.callbacks import Callback

EPOCHS = 6


class Announce(Callback):
    def on_epoch_end(self, run, epoch, logs):
        print(f"epoch {epoch}", flush=True)
        time.sleep(0.3)  # leave the parent time to interrupt between epochs

    def on_batch_end(self, run, batch, loss):
        if run.epoch == 2 and batch == 3:
            print("inside epoch 2", flush=True)
            time.sleep(0.3)  # ... or in the middle of one


def train(checkpoint=None, resume=None, callbacks=()):
    X, y = load_digits(return_X_y=True)
    net = dp.Network([64, 16, 10], activation="relu", dropout=0.1, seed=0, dtype="float64")
    history = net.fit(
        X[:500] / 16, y[:500], optimiser="adam", learning_rate=0.01, epochs=EPOCHS, batch_size=50,
        validation_fraction=0.2, checkpoint=checkpoint, resume=resume, callbacks=callbacks,
    )
    return net, history


if __name__ == "__main__":
    checkpoint, out = sys.argv[1], sys.argv[2]
    net, history = train(checkpoint, checkpoint if "--resume" in sys.argv else None, [Announce()])
    np.save(out, np.concatenate([p.ravel() for p in net.parameters()]))
    print(f"done: {history.stop_reason} after {history.epochs} epochs", flush=True)
