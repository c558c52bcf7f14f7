"""Built-in callbacks: early stopping with restore, checkpoints, learning-rate reduction, CSV log, progress."""

import csv
import io

import numpy as np
import pytest

from deltaprop import Network
from deltaprop.callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, ReduceLROnPlateau
from deltaprop.checkpoint import load_checkpoint
from deltaprop.io import load_model
from deltaprop.training import DivergenceError


def problem(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


class Recorder(Callback):
    """Keeps each epoch's parameters and the learning rate the run had."""

    def __init__(self):
        self.params, self.eta0 = [], []

    def on_epoch_end(self, run, epoch, logs):
        self.params.append([p.copy() for p in run.net.parameters()])
        self.eta0.append(run.eta0)


def test_early_stopping_stops_and_restores_the_best_epoch():
    X, y = problem()
    net = Network([4, 16, 2], "relu", seed=0)
    rec = Recorder()
    # a learning rate this large makes the validation loss bounce, so patience runs out
    stop = EarlyStopping(patience=2)
    history = net.fit(X, y, epochs=60, learning_rate=0.3, validation_fraction=0.3, callbacks=[rec, stop])
    assert history.epochs < 60, "expected early stopping"
    best = int(np.argmin(history.val_loss))
    assert stop.best_epoch == best and history.epochs == best + 3
    for p, q in zip(net.parameters(), rec.params[best]):
        np.testing.assert_array_equal(p, q)
    assert "early stopping" in history.stop_reason and f"epoch {best + 1}" in history.stop_reason


def test_early_stopping_restores_nothing_when_training_diverges():
    """A DivergenceError says the network keeps the parameters of the last completed epoch: so it does."""
    X, y = problem()

    class Blowup(Callback):
        def on_epoch_end(self, run, epoch, logs):
            self.last = [p.copy() for p in run.net.parameters()]
            if epoch == 4:
                run.eta0 = 1e300  # epoch 6 diverges

    net, blowup = Network([4, 16, 2], "relu", seed=0), Blowup()
    stop = EarlyStopping(patience=50, monitor="val_accuracy", mode="min")  # a best epoch that is not the last
    with pytest.raises(DivergenceError, match="keeps its parameters from the start of epoch 6"):
        net.fit(X, y, optimiser="sgd", learning_rate=0.05, epochs=10, validation_fraction=0.3, callbacks=[stop, blowup])
    assert stop.best_epoch < 4
    assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), blowup.last, strict=True))
    assert net.history.stop_reason == "diverged"


def test_every_on_train_end_runs_before_the_first_error_is_raised():
    X, y = problem()

    class Failing(Callback):
        def on_train_end(self, run):
            raise RuntimeError("my on_train_end failed")

    class Ends(Callback):
        ended = False

        def on_train_end(self, run):
            self.ended = True

    net, ends = Network([4, 16, 2], "relu", seed=0), Ends()
    stop = EarlyStopping(patience=1, monitor="loss", mode="max")  # stops after epoch 2, its best being epoch 1
    with pytest.raises(RuntimeError, match="my on_train_end failed"):
        net.fit(X, y, epochs=10, callbacks=[Failing(), stop, ends])
    assert ends.ended and "restored the weights of epoch 1" in net.history.stop_reason


@pytest.mark.parametrize("value", [np.float32(0.005), 0.005])
def test_a_learning_rate_a_callback_sets_goes_into_checkpoints(tmp_path, value):
    X, y = problem()

    class Halve(Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.eta0 = value

    history = Network([4, 8, 2], seed=0).fit(X, y, optimiser="sgd", learning_rate=0.01, epochs=3, callbacks=[Halve()],
                                             checkpoint=tmp_path / "c.ckpt")
    assert history.learning_rate == [0.01, float(value), float(value)]
    assert load_checkpoint(tmp_path / "c.ckpt").eta0 == float(value)


@pytest.mark.parametrize("value", [None, -1.0, float("inf"), "0.1"])
def test_a_callback_that_sets_no_learning_rate_is_told_so(value):
    X, y = problem()

    class Breaks(Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.eta0 = value

    with pytest.raises(ValueError, match=r"run.eta0: expected the base learning rate, a finite number > 0 \(callbacks may change it\); got"):
        Network([4, 8, 2], seed=0).fit(X, y, epochs=3, callbacks=[Breaks()])


def test_outputs_of_fit_and_its_callbacks_need_files_of_their_own(tmp_path):
    X, y = problem()
    net = Network([4, 8, 2], seed=0)
    with pytest.raises(IsADirectoryError, match=r"^ModelCheckpoint path: expected a file name; got '.*/1/', a directory's name"):
        net.fit(X, y, epochs=1, callbacks=[ModelCheckpoint(str(tmp_path / "{epoch}") + "/")])  # (was "path: ...")
    same = tmp_path / "run.out"
    for kwargs, words in [
        (dict(callbacks=[ModelCheckpoint(same), CSVLogger(same)]), r"callbacks\[0\] \(ModelCheckpoint path\): .* is also the file of callbacks\[1\] \(CSVLogger path\)"),
        (dict(checkpoint=same, callbacks=[CSVLogger(same)]), r"checkpoint: .* is also the file of callbacks\[0\] \(CSVLogger path\)"),
    ]:
        with pytest.raises(ValueError, match=words):
            net.fit(X, y, epochs=1, **kwargs)
    assert not same.exists()
    net.fit(X, y, epochs=1, checkpoint=same)
    with pytest.raises(ValueError, match=r"callbacks\[0\] \(ModelCheckpoint path\): .* is the file given as resume"):
        net.fit(X, y, epochs=2, resume=same, callbacks=[ModelCheckpoint(same)])
    net.fit(X, y, epochs=2, resume=same, checkpoint=same)  # (a run may go on in the file it resumes from)


def test_early_stopping_without_restore_keeps_the_last_weights():
    X, y = problem()
    net = Network([4, 16, 2], "relu", seed=0)
    rec = Recorder()
    net.fit(X, y, epochs=60, learning_rate=0.3, validation_fraction=0.3, callbacks=[rec, EarlyStopping(patience=2, restore_best=False)])
    for p, q in zip(net.parameters(), rec.params[-1]):
        np.testing.assert_array_equal(p, q)


def test_early_stopping_needs_validation_data():
    X, y = problem()
    with pytest.raises(ValueError, match="EarlyStopping.*validation"):
        Network([4, 2], seed=0).fit(X, y, epochs=2, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)  # (0 is Keras's default, taken as 1: see test_bad_input)


def test_early_stopping_on_an_accuracy_maximises_it():
    X, y = problem()
    rec = Recorder()
    stop = EarlyStopping(monitor="val_accuracy", patience=3)
    net = Network([4, 16, 2], "relu", seed=0)
    history = net.fit(X, y, epochs=60, learning_rate=0.3, validation_fraction=0.3, callbacks=[rec, stop])
    best = int(np.argmax(history.val_accuracy))  # the first epoch of the highest accuracy
    assert stop.best == max(history.val_accuracy) and stop.best_epoch == best
    assert history.epochs == best + 4 and "val_accuracy did not improve" in history.stop_reason
    for p, q in zip(net.parameters(), rec.params[best]):
        np.testing.assert_array_equal(p, q)
    # mode="min" on it, as asked, keeps the lowest
    low = EarlyStopping(monitor="val_accuracy", patience=3, mode="min")
    Network([4, 16, 2], "relu", seed=0).fit(X, y, epochs=60, learning_rate=0.3, validation_fraction=0.3, callbacks=[low])
    assert low.best < stop.best


@pytest.mark.parametrize("callback, words", [
    (EarlyStopping(monitor="acuracy"), ["EarlyStopping", "'acuracy'", "records ['loss', 'learning_rate', 'time']"]),
    (EarlyStopping(monitor="accuracy"), ["EarlyStopping", "'accuracy'", "accuracies need a classifier"]),
    (ReduceLROnPlateau(monitor="val_loss"), ["ReduceLROnPlateau", "'val_loss'", "validation_data or validation_fraction"]),
])
def test_a_monitor_the_run_does_not_record_is_refused_before_the_first_epoch(callback, words):
    X, y = problem()
    net = Network([4, 5, 1], output="identity", seed=0)  # regression: no accuracy
    before = [p.copy() for p in net.parameters()]
    state = net.rng.bit_generator.state
    with pytest.raises(ValueError) as info:
        net.fit(X, y.astype(float), epochs=3, callbacks=[callback])
    for word in words:
        assert word in str(info.value)
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)
    assert net.rng.bit_generator.state == state  # the next fit still gives the seed's result


def test_model_checkpoint_every_n_epochs(tmp_path):
    X, y = problem()
    net = Network([4, 8, 2], "tanh", seed=0)
    rec = Recorder()
    cp = ModelCheckpoint(tmp_path / "m-{epoch}.safetensors", every=2, training={"data": "toy"})
    net.fit(X, y, epochs=5, callbacks=[rec, cp])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-2.safetensors", "m-4.safetensors"]
    saved = load_model(tmp_path / "m-2.safetensors")
    for p, q in zip(saved.network.parameters(), rec.params[1]):
        np.testing.assert_array_equal(p, q)
    assert saved.training["data"] == "toy" and saved.training["epochs"] == 2


def test_reduce_lr_on_plateau_halves_eta0():
    X, y = problem()
    net = Network([4, 8, 2], "tanh", seed=0)
    rec = Recorder()
    # a tiny step keeps the training loss almost flat; min_delta makes that a plateau
    reduce = ReduceLROnPlateau(factor=0.5, patience=2, min_delta=1.0)
    net.fit(X, y, epochs=7, learning_rate=1e-3, callbacks=[reduce, rec])
    assert [round(e / 1e-3, 6) for e in rec.eta0] == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert net.history.learning_rate[3] == pytest.approx(5e-4)  # the schedule used the new eta0


def test_reduce_lr_on_plateau_waits_out_its_cooldown_after_a_cut():
    X, y = problem()
    rec = Recorder()
    reduce = ReduceLROnPlateau(factor=0.5, patience=2, min_delta=1.0, cooldown=2)  # a plateau throughout
    Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=10, learning_rate=1e-3, callbacks=[reduce, rec])
    # eta0 at the end of epochs 1..10: cuts at the end of epochs 3 and 7, the two epochs after each not counted
    # (without the cooldown, cuts at 3, 5, 7 and 9)
    assert [round(e / 1e-3, 6) for e in rec.eta0] == [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    assert [epoch for epoch, _ in reduce.reductions] == [2, 6]


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    X, y = problem()
    net = Network([4, 8, 2], "tanh", seed=0)
    history = net.fit(X, y, epochs=3, validation_fraction=0.25, callbacks=[CSVLogger(tmp_path / "h.csv")])
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["val_accuracy"]) for r in rows] == history.val_accuracy
    assert [float(r["loss"]) for r in rows] == history.loss


def test_csv_logger_rewrites_its_file_at_most_every_min_interval_and_at_the_end(tmp_path, monkeypatch):
    """Each rewrite holds every row: after every one of many short epochs, the time would grow as epochs^2."""
    from deltaprop.files import write_atomically

    X, y = problem()
    writes = []

    def counted(path, data, argument="path"):
        writes.append(data.count("\n") - 1)  # rows in this rewrite
        return write_atomically(path, data, argument)

    monkeypatch.setattr("deltaprop.files.write_atomically", counted)
    Network([4, 8, 2], seed=0).fit(X, y, epochs=50, callbacks=[CSVLogger(tmp_path / "h.csv", min_interval=3600)])
    assert writes == [1, 50]  # the first epoch, then the rest when training ends
    writes.clear()
    Network([4, 8, 2], seed=0).fit(X, y, epochs=4, callbacks=[CSVLogger(tmp_path / "h.csv", min_interval=0)])
    assert writes == [1, 2, 3, 4]
    assert len(list(csv.DictReader(open(tmp_path / "h.csv")))) == 4
    with pytest.raises(ValueError, match=r"min_interval: expected a number >= 0; got -1"):
        CSVLogger(tmp_path / "h.csv", min_interval=-1)


def test_csv_logger_writes_its_rows_when_training_raises(tmp_path):
    X, y = problem()

    class Fails(Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch == 2:
                raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        Network([4, 8, 2], seed=0).fit(X, y, epochs=5, callbacks=[CSVLogger(tmp_path / "h.csv", min_interval=3600), Fails()])
    assert [int(r["epoch"]) for r in csv.DictReader(open(tmp_path / "h.csv"))] == [1, 2, 3]


def test_progress_bar_plain_lines_when_not_a_terminal():
    X, y = problem()
    out = io.StringIO()
    Network([4, 8, 2], seed=0).fit(X, y, epochs=3, validation_fraction=0.25, callbacks=[ProgressBar(stream=out)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch   1/3") and "ex/s" in lines[0] and "val_acc" in lines[0] and "left" in lines[0]
    assert "\x1b[" not in out.getvalue()  # no terminal control codes in a log


def test_progress_bar_live_on_a_terminal():
    X, y = problem()
    out = io.StringIO()
    Network([4, 8, 2], seed=0).fit(X, y, epochs=2, batch_size=30, validation_fraction=0.25, callbacks=[ProgressBar(stream=out, plain=False)])
    text = out.getvalue()
    assert "\x1b[" in text  # drawn with rich
    assert "epoch 2/2" in text and "ex/s" in text and "val_acc" in text and "left" in text


def test_progress_bar_live_starts_one_bar_for_the_whole_run(monkeypatch):
    # Before: a new rich Progress (and its refresh thread) per epoch: many short epochs ran about 20x slower
    import rich.progress

    starts = []
    monkeypatch.setattr(rich.progress.Progress, "start", lambda self: starts.append(self))
    monkeypatch.setattr(rich.progress.Progress, "stop", lambda self: None)
    out = io.StringIO()
    X, y = np.random.default_rng(0).normal(size=(40, 4)), np.arange(40) % 2
    Network([4, 8, 2], seed=0).fit(X, y, epochs=5, callbacks=[ProgressBar(stream=out, plain=False)])
    assert len(starts) == 1
    assert [line.split()[1] for line in out.getvalue().splitlines() if line.startswith("epoch ")][-5:] == \
        ["1/5", "2/5", "3/5", "4/5", "5/5"]  # each epoch's line printed above the bar


@pytest.mark.parametrize("plain", [True, False])
def test_progress_bar_follows_lbfgs_iterations(plain):
    # L-BFGS has no mini-batches: each iteration is an epoch that begins and ends like any other.
    X, y = problem()
    out = io.StringIO()
    history = Network([4, 8, 2], seed=0).fit(X, y, optimiser="lbfgs", epochs=3, callbacks=[ProgressBar(stream=out, plain=plain)])
    assert history.epochs == 3
    assert "epoch 3/3" in out.getvalue() or "epoch   3/3" in out.getvalue()


def test_every_callback_ends_when_training_raises():
    class Ends(Callback):
        ended = False

        def on_train_end(self, run):
            Ends.ended = True

    class Fails(Callback):
        def on_epoch_end(self, run, epoch, logs):
            raise RuntimeError("a callback failed")

    X, y = problem()
    with pytest.raises(RuntimeError, match="a callback failed"):  # the original error, not one from on_train_end
        Network([4, 8, 2], seed=0).fit(X, y, epochs=3, callbacks=[Ends(), Fails(), ProgressBar(stream=io.StringIO(), plain=False)])
    assert Ends.ended


def test_csv_logger_keeps_the_rows_of_a_resumed_run(tmp_path):
    X, y = problem()
    whole = Network([4, 8, 2], seed=0).fit(X, y, epochs=4, callbacks=[CSVLogger(tmp_path / "whole.csv")])
    Network([4, 8, 2], seed=0).fit(X, y, epochs=2, checkpoint=tmp_path / "run.ckpt")
    Network([4, 8, 2], seed=0).fit(X, y, epochs=4, resume=tmp_path / "run.ckpt", callbacks=[CSVLogger(tmp_path / "resumed.csv")])
    rows = list(csv.DictReader(open(tmp_path / "resumed.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert [float(r["loss"]) for r in rows] == whole.loss
    assert [r["time"] != "" for r in rows] == [True] * 4


def test_model_checkpoint_refuses_fields_other_than_epoch(tmp_path):
    with pytest.raises(ValueError, match=r"path: .*\{epoch\}.*run-\{name\}.safetensors'"):
        ModelCheckpoint(tmp_path / "run-{name}.safetensors")
    literal = ModelCheckpoint(str(tmp_path / "run-{{x}}.safetensors"))
    X, y = problem()
    Network([4, 8, 2], seed=0).fit(X, y, epochs=1, callbacks=[literal])
    assert (tmp_path / "run-{x}.safetensors").exists()


class StopAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, run, epoch, logs):
        if epoch + 1 == self.epochs:
            run.stop = True


def flat(net):
    return np.concatenate([p.ravel() for p in net.parameters()])


def bouncing_run(callback, tmp_path=None, stop_after=None, resume=False):
    """A run whose validation loss bounces (learning rate 0.3), optionally stopped after some epochs or resumed."""
    X, y = problem()
    net = Network([4, 16, 2], "relu", seed=0)
    callbacks = [callback] + ([StopAfter(stop_after)] if stop_after else [])
    ck = None if tmp_path is None else tmp_path / "run.ckpt"
    history = net.fit(X, y, epochs=60, learning_rate=0.3, validation_fraction=0.3, callbacks=callbacks,
                      checkpoint=None if resume else ck, resume=ck if resume else None)
    return net, history


@pytest.mark.parametrize("before_best", [True, False])
def test_early_stopping_goes_on_counting_across_a_resume(tmp_path, before_best):
    # Before: a resumed run's patience count started again, so it stopped later than the run never interrupted.
    whole, history = bouncing_run(EarlyStopping(patience=3))
    stopped, best = history.epochs, int(np.argmin(history.val_loss))
    assert stopped < 60 and best < stopped - 1, "expected early stopping after a best epoch"
    k = best if before_best else best + 2  # epochs done when interrupted: the best one comes after, or before
    assert 0 < k < stopped
    bouncing_run(EarlyStopping(patience=3), tmp_path, stop_after=k)
    net, resumed = bouncing_run(EarlyStopping(patience=3), tmp_path, resume=True)
    assert resumed.epochs == stopped and resumed.val_loss == history.val_loss
    # the best epoch's weights, taken after the resume or kept in the checkpoint, are restored as in the whole run
    np.testing.assert_array_equal(flat(net), flat(whole))
    assert resumed.stop_reason == history.stop_reason and history.stop_reason.endswith(f"restored the weights of epoch {best + 1}")
    if not before_best:  # a checkpoint without them (of an older deltaprop) says so, and keeps the last weights
        bouncing_run(EarlyStopping(patience=3), tmp_path, stop_after=k)
        from safetensors import safe_open
        from safetensors.numpy import save

        with safe_open(str(tmp_path / "run.ckpt"), framework="np") as f:
            metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys() if not k.startswith("callback.")}
        (tmp_path / "run.ckpt").write_bytes(save(tensors, metadata=metadata))
        _, resumed = bouncing_run(EarlyStopping(patience=3), tmp_path, resume=True)
        assert resumed.stop_reason.endswith(f"; the weights of epoch {best + 1}, the best, came before the resume and are not kept")


@pytest.mark.parametrize("cooldown", [0, 1])
def test_reduce_lr_on_plateau_goes_on_counting_across_a_resume(tmp_path, cooldown):
    callback = ReduceLROnPlateau(patience=2, factor=0.5, cooldown=cooldown)
    whole, history = bouncing_run(callback)
    reductions = [epoch for epoch, _ in callback.reductions]
    assert len(reductions) >= 2, "expected at least two reductions"
    k = reductions[0] + 1 if cooldown else reductions[1]  # interrupted before its cooldown epoch, or counting towards a cut
    bouncing_run(ReduceLROnPlateau(patience=2, factor=0.5, cooldown=cooldown), tmp_path, stop_after=k)
    again = ReduceLROnPlateau(patience=2, factor=0.5, cooldown=cooldown)
    net, resumed = bouncing_run(again, tmp_path, resume=True)
    assert again.reductions == callback.reductions and resumed.learning_rate == history.learning_rate
    np.testing.assert_array_equal(flat(net), flat(whole))


# Cases a review found (each resumed before to another run than the one never interrupted).


def small_run(callbacks, epochs, tmp_path=None, resume=False, **options):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 4)), rng.integers(0, 3, 80)
    net = Network([4, 5, 3], seed=0, dtype="float64")
    ck = None if tmp_path is None else tmp_path / "run.ckpt"
    kw = dict(optimiser="sgd", learning_rate=0.1, epochs=epochs, batch_size=20) | options
    history = net.fit(X, y, callbacks=callbacks, checkpoint=None if resume else ck, resume=ck if resume else None, **kw)
    return net, history


class StopInsideEpoch3(Callback):
    def on_batch_end(self, run, batch, loss):
        if run.epoch == 2 and batch == 1:
            run.stop, run.stop_reason = True, "a budget"


def test_a_learning_rate_cut_at_the_end_of_a_cut_short_epoch_is_not_checkpointed(tmp_path):
    # Before: the cut of the partial epoch went into the checkpoint of its start, then was replayed again.
    reduce = lambda: ReduceLROnPlateau(patience=2, monitor="loss", min_delta=100.0)  # no epoch improves: a cut at epoch 3
    whole, history = small_run([reduce()], 5)
    small_run([StopInsideEpoch3(), reduce()], 5, tmp_path)
    net, resumed = small_run([reduce()], 5, tmp_path, resume=True)
    assert resumed.learning_rate == history.learning_rate == [0.1, 0.1, 0.1, 0.05, 0.05]
    np.testing.assert_array_equal(flat(net), flat(whole))


def test_reduce_lr_replays_from_the_first_base_rate_under_a_warm_up_schedule(tmp_path):
    # Before: the replay started from the first epoch's scheduled rate (a warm-up's 0.005), not the base rate 0.1.
    warm_up = lambda eta0, epoch, n: eta0 * min(1.0, (epoch + 1) / 20)
    reduce = lambda: ReduceLROnPlateau(patience=3, factor=0.5, min_lr=0.01, monitor="loss", min_delta=100.0)
    first = reduce()
    whole, history = small_run([first], 8, schedule=warm_up)
    small_run([StopAfter(4), reduce()], 8, tmp_path, schedule=warm_up)
    again = reduce()
    net, resumed = small_run([again], 8, tmp_path, resume=True, schedule=warm_up)
    assert again.reductions == first.reductions == [(3, 0.05), (6, 0.025)]
    assert resumed.learning_rate == history.learning_rate
    np.testing.assert_array_equal(flat(net), flat(whole))


def test_a_resumed_run_that_early_stopping_had_ended_trains_no_further(tmp_path):
    stop = lambda: EarlyStopping(patience=2, min_delta=100.0, restore_best=False)
    _, history = small_run([stop()], 30, tmp_path, validation_fraction=0.25)
    assert history.epochs == 3
    net, resumed = small_run([stop()], 30, tmp_path, resume=True, validation_fraction=0.25)
    assert resumed.epochs == 3 and resumed.stop_reason == history.stop_reason  # before: a 4th epoch, then the same stop


def test_early_stopping_keeps_a_best_epoch_that_is_the_checkpoints_last(tmp_path):
    # Before: the restored parameters are that epoch's, yet were said "not kept" and the later ones stayed.
    best_first = lambda: EarlyStopping(patience=3, monitor="loss", mode="max")  # the loss falls: epoch 1 stays the best
    whole, history = small_run([best_first()], 10, validation_fraction=0.25)
    small_run([StopAfter(1), best_first()], 10, tmp_path, validation_fraction=0.25)
    net, resumed = small_run([best_first()], 10, tmp_path, resume=True, validation_fraction=0.25)
    assert resumed.stop_reason == history.stop_reason and history.stop_reason.endswith("restored the weights of epoch 1")
    np.testing.assert_array_equal(flat(net), flat(whole))


class StopInBatch(Callback):
    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, run, batch, loss):
        if run.epoch == self.epoch and batch == self.batch:
            run.stop = True


def test_a_cut_short_epoch_that_improves_does_not_drop_the_best_weights_of_the_checkpoint(tmp_path):
    # Before: the partial epoch 4 became the best, its weights replaced epoch 2's, and the checkpoint (of epoch 4's
    # start, whose replayed best is epoch 2) kept none.
    from deltaprop.checkpoint import load_checkpoint

    X, y = problem()
    rec, stop = Recorder(), EarlyStopping(patience=20, monitor="loss")
    Network([4, 16, 2], "relu", seed=0).fit(X, y, epochs=12, learning_rate=0.3, batch_size=16, validation_fraction=0.3,
                                            callbacks=[rec, stop, StopInBatch(3, 0)], checkpoint=tmp_path / "c.ckpt")
    ck = load_checkpoint(tmp_path / "c.ckpt")
    assert stop.best_epoch == 3 and ck.epochs_done == 3 and int(np.argmin(ck.history["loss"])) == 1
    kept = ck.callback_arrays["EarlyStopping.0"]
    assert int(kept["epoch"][0]) == 1
    for k, p in enumerate(rec.params[1]):
        np.testing.assert_array_equal(kept[f"theta.{k}"], p)


def test_csv_logger_and_model_checkpoint_refuse_bad_arguments_before_training(tmp_path):
    # Before: a missing directory or a misspelt save option failed after epoch 1 had changed the parameters
    X, y = problem()
    for make, error, message in [
        (lambda: CSVLogger(tmp_path / "missing" / "h.csv"), FileNotFoundError, "path: cannot write"),
        (lambda: ModelCheckpoint(tmp_path / "missing" / "m-{epoch}.safetensors"), FileNotFoundError, "path: cannot write"),
    ]:
        net = Network([4, 8, 2], seed=0)
        before = [p.copy() for p in net.parameters()]
        with pytest.raises(error, match=message):
            net.fit(X, y, epochs=2, callbacks=[make()])
        assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), before))
    with pytest.raises(TypeError, match=r"^path: expected a file name \(str or os.PathLike\); got int 123"):
        CSVLogger(123)
    with pytest.raises(TypeError, match=r"^save_options: expected keywords of save_model \(scaling, training, class_names, "
                                        r"image_shape, feature_names, target_scaling\); got scalng$"):
        ModelCheckpoint(tmp_path / "m.safetensors", scalng=None)
    with pytest.raises(TypeError, match=r"^training: expected a dict of JSON values"):
        ModelCheckpoint(tmp_path / "m.safetensors", training={"data": tmp_path})
    for template in ("m-{epoch[0]}.safetensors", "m-{epoch.x}.safetensors"):  # before: TypeError, AttributeError
        with pytest.raises(ValueError, match=r"^path: expected a file name whose only \{...\} field is \{epoch\}"):
            ModelCheckpoint(tmp_path / template)


def test_a_run_refused_by_a_callback_ends_the_callbacks_that_began(tmp_path):
    # Before: a live progress bar started in on_train_begin kept its refresh thread (and the terminal)
    # when a later callback refused the run
    X, y = problem()
    bar = ProgressBar(stream=io.StringIO(), plain=False)
    with pytest.raises(FileNotFoundError, match="path: cannot write"):
        Network([4, 8, 2], seed=0).fit(X, y, epochs=2, callbacks=[bar, CSVLogger(tmp_path / "missing" / "h.csv")])
    assert bar.progress is None


def test_model_checkpoint_refuses_a_network_it_could_not_save_before_training(tmp_path):
    from deltaprop.activations import Activation

    X, y = problem()
    mine = Activation("mytanh", np.tanh, lambda z, a: 1 - a * a)
    net = Network([4, 8, 2], activation=mine, seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"^ModelCheckpoint: a model file stores activations and losses by name"):
        net.fit(X, y, epochs=3, callbacks=[ModelCheckpoint(tmp_path / "m-{epoch}.safetensors", every=2)])
    assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), before))


# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def test_reduce_lr_on_plateau_stops_at_min_lr():
    X, y = problem()
    reduce, rec = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=10.0, min_lr=3e-4), Recorder()
    Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=8, learning_rate=1e-3, callbacks=[reduce, rec])
    assert [eta for _, eta in reduce.reductions] == pytest.approx([5e-4, 3e-4])  # 2.5e-4 would be below min_lr
    assert min(rec.eta0) == pytest.approx(3e-4)


def test_reduce_lr_on_plateau_watches_val_loss_when_there_is_validation_data():
    X, y = problem()
    reduce = ReduceLROnPlateau()
    Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=1, validation_fraction=0.25, callbacks=[reduce])
    assert reduce._monitor == "val_loss"
    alone = ReduceLROnPlateau()
    Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=1, callbacks=[alone])
    assert alone._monitor == "loss"


def test_early_stopping_says_nothing_of_restoring_when_the_best_epoch_is_the_last():
    X, y = problem()
    history = Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=3, learning_rate=1e-3, validation_fraction=0.25,
                                                     callbacks=[EarlyStopping(patience=5)])
    assert np.argmin(history.val_loss) == 2, "expected the last epoch to be the best"
    assert "restored" not in history.stop_reason


def test_verbose_prints_each_epochs_numbers():
    import contextlib
    import io

    X, y = problem()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = Network([4, 8, 2], "tanh", seed=0).fit(X, y, epochs=2, validation_fraction=0.25, verbose=True)
    last = out.getvalue().strip().splitlines()[-1]
    for part in (f"loss {history.loss[-1]:.4f}", f"acc {history.accuracy[-1]:.4f}", f"val_loss {history.val_loss[-1]:.4f}",
                 f"val_acc {history.val_accuracy[-1]:.4f}", "epoch   2/2"):
        assert part in last, (part, last)
