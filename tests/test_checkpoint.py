"""Interrupted training loses at most the current epoch and resumes exactly."""

import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.callbacks import Callback
from deltaprop.checkpoint import FORMAT_VERSION, load_checkpoint

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
import resumable_run  # noqa: E402


@pytest.fixture(scope="module")
def uninterrupted():
    net, history = resumable_run.train()
    return np.concatenate([p.ravel() for p in net.parameters()]), history


def start(tmp_path, *extra):
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "resumable_run.py"), str(tmp_path / "run.ckpt"), str(tmp_path / "out.npy"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(proc, text):
    for line in proc.stdout:
        if line.strip() == text:
            return
    raise AssertionError(f"the run ended before printing {text!r}: {proc.stderr.read()}")


def finish(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def test_killed_run_resumes_to_exactly_the_uninterrupted_parameters(tmp_path, uninterrupted):
    proc = start(tmp_path)
    wait_for(proc, "epoch 2")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    saved = load_checkpoint(tmp_path / "run.ckpt")
    assert 1 <= saved.epochs_done < resumable_run.EPOCHS
    out = finish(start(tmp_path, "--resume"))
    assert f"after {resumable_run.EPOCHS} epochs" in out
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), uninterrupted[0])


@pytest.mark.parametrize("moment", ["epoch 1", "inside epoch 2"])
def test_sigint_stops_cleanly_with_a_checkpoint_and_resumes_exactly(tmp_path, uninterrupted, moment):
    proc = start(tmp_path)
    wait_for(proc, moment)
    proc.send_signal(signal.SIGINT)
    out = finish(proc)
    assert "interrupted" in out
    saved = load_checkpoint(tmp_path / "run.ckpt")
    assert saved.epochs_done == 2  # the half-done epoch 3 (number 2 from 0) is lost, nothing else
    assert len(saved.history["loss"]) == saved.epochs_done
    finish(start(tmp_path, "--resume"))
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), uninterrupted[0])


def test_resumed_history_continues_the_saved_one(tmp_path, uninterrupted):
    net, history = resumable_run.train(checkpoint=tmp_path / "c.ckpt")
    resumed_net, resumed = resumable_run.train(resume=tmp_path / "c.ckpt")  # already complete: nothing to do
    assert resumed.loss == history.loss and resumed.val_loss == history.val_loss
    assert history.loss == uninterrupted[1].loss


class StopAfterEpoch2(Callback):
    def on_epoch_end(self, run, epoch, logs):
        if epoch == 1:
            run.stop = True


class StopInsideEpoch3(Callback):
    def on_batch_end(self, run, batch, loss):
        if run.epoch == 2 and batch == 2:
            run.stop, run.stop_reason = True, "a time budget, say"


def test_a_callbacks_stop_inside_an_epoch_checkpoints_the_epochs_start_and_resumes_exactly(tmp_path, uninterrupted):
    # Before: the checkpoint said 3 epochs done after 3 of epoch 3's 8 batches, and a resumed run skipped the other 5.
    net, history = resumable_run.train(checkpoint=tmp_path / "c.ckpt", callbacks=[StopInsideEpoch3()])
    assert history.epochs == 3 and history.stop_reason == "a time budget, say"  # the partial epoch is reported
    saved = load_checkpoint(tmp_path / "c.ckpt")
    assert saved.epochs_done == 2 and len(saved.history["loss"]) == 2 and saved.history["loss"] == history.loss[:2]
    assert not all(np.array_equal(p, q) for p, q in zip(saved.params, net.parameters())), "the network keeps its partial epoch"
    resumed, _ = resumable_run.train(resume=tmp_path / "c.ckpt")
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in resumed.parameters()]), uninterrupted[0])


def test_adam_checkpoints_hold_m_and_v_only(tmp_path):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt", callbacks=[StopAfterEpoch2()])
    saved = load_checkpoint(tmp_path / "c.ckpt")
    net = dp.Network([64, 16, 10])
    assert [[s.shape for s in state] for state in saved.optimiser_states] == [[p.shape] * 2 for p in net.parameters()]


def test_a_version_1_checkpoint_with_adams_scratch_array_resumes_exactly(tmp_path, uninterrupted):
    # Version 1 stored Adam's state as (m, v, scratch); reading drops the scratch array.
    from safetensors.numpy import load_file, save_file

    resumable_run.train(checkpoint=tmp_path / "c.ckpt", callbacks=[StopAfterEpoch2()])
    tensors = load_file(tmp_path / "c.ckpt")
    with open(tmp_path / "c.ckpt", "rb") as f:
        meta = json.loads(json.loads(f.read(int.from_bytes(f.read(8), "little")))["__metadata__"]["deltaprop"])
    for k in range(len(meta["n_states"])):
        tensors[f"optimiser.{k}.2"] = np.full_like(tensors[f"optimiser.{k}.0"], 7.0)
    meta.update(format_version=1, n_states=[3] * len(meta["n_states"]), classes=meta["classes"]["values"])  # (a list before version 4)
    save_file(tensors, tmp_path / "v1.ckpt", metadata={"deltaprop": json.dumps(meta)})
    assert load_checkpoint(tmp_path / "v1.ckpt").epochs_done == 2
    net, _ = resumable_run.train(resume=tmp_path / "v1.ckpt")
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in net.parameters()]), uninterrupted[0])


@pytest.mark.parametrize("labels", [
    np.array([-5, 0, 7], dtype=np.int32), np.array([0.5, 1.5, 2.5], dtype=np.float32), np.array([b"a", b"b", b"\xff"]),
    np.array(["1969-12-31", "2020-02-29", "2100-01-01"], dtype="datetime64[D]"), np.array([False, True, 2], dtype=object),
])
def test_a_resumed_run_keeps_the_labels_dtype(tmp_path, labels):
    # before, int32 and float32 labels came back as int64 and float64, and bytes, dates and object
    # labels failed at the first checkpoint (after the first epoch)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = labels[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    first = dp.Network([4, 5, 3], seed=0)
    first.fit(X, y, epochs=1, checkpoint=tmp_path / "c.ckpt")
    assert load_checkpoint(tmp_path / "c.ckpt").classes.dtype == labels.dtype
    resumed = dp.Network([4, 5, 3], seed=1)
    resumed.fit(X, y, epochs=2, resume=tmp_path / "c.ckpt")
    assert resumed.classes_.dtype == labels.dtype and resumed.classes_.tolist() == labels.tolist()
    assert resumed.predict(X).dtype == labels.dtype


def test_labels_no_checkpoint_holds_are_refused_before_the_first_epoch(tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 4))
    net = dp.Network([4, 5, 3], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"checkpoint: a checkpoint stores the network's class labels, and labels of dtype complex128"):
        net.fit(X, np.array([1j, 2, 3])[np.arange(30) % 3], epochs=3, checkpoint=tmp_path / "c.ckpt")
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters())) and not (tmp_path / "c.ckpt").exists()


def test_clip_norm_is_recorded_and_a_resumed_run_must_give_it_again(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)

    def run(epochs, **options):
        net = dp.Network([4, 5, 3], seed=0, dtype="float64")
        net.fit(X, y, epochs=epochs, batch_size=20, optimiser="sgd", learning_rate=0.5, **options)
        return np.concatenate([p.ravel() for p in net.parameters()])

    whole = run(4, clip_norm=0.05)
    assert not np.array_equal(whole, run(4)), "expected the clipping to change the run"
    run(2, clip_norm=0.05, checkpoint=tmp_path / "c.ckpt")
    assert load_checkpoint(tmp_path / "c.ckpt").clip_norm == 0.05
    for given, saved in ((None, "clip_norm=0.05"), (0.1, "clip_norm=0.05")):
        with pytest.raises(ValueError, match=f"clip_norm: the checkpoint's run was trained with {saved}; got {given}; a resumed run needs"):
            run(4, clip_norm=given, resume=tmp_path / "c.ckpt")
    np.testing.assert_array_equal(run(4, clip_norm=0.05, resume=tmp_path / "c.ckpt"), whole)
    run(2, checkpoint=tmp_path / "plain.ckpt")
    with pytest.raises(ValueError, match="clip_norm: the checkpoint's run was trained with no clip_norm; got 0.05"):
        run(4, clip_norm=0.05, resume=tmp_path / "plain.ckpt")


def test_resume_refuses_another_network(tmp_path):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt")
    other = dp.Network([64, 17, 10], seed=0, dtype="float64")
    with pytest.raises(ValueError, match=r"resume: the checkpoint's network differs from this one in .*sizes \[64, 16, 10\] "
                                         r"\(the network's: \[64, 17, 10\]\)"):
        other.fit(np.zeros((10, 64)), np.arange(10), resume=tmp_path / "c.ckpt")
    # a network that differs in one setting only: the message names that one, not both configurations
    ck = dp.checkpoint.load_checkpoint(tmp_path / "c.ckpt")
    same_but_dropout = dp.Network(**(ck.config | {"dropout": [0.2]}))
    with pytest.raises(ValueError, match=r"differs from this one in dropout \[0\.1\] \(the network's: \[0\.2\]\); a resumed") as info:
        same_but_dropout.fit(np.zeros((10, 64)), np.arange(10), resume=tmp_path / "c.ckpt")
    assert "sizes" not in str(info.value)


@pytest.mark.parametrize("option, value, words", [
    ("learning_rate", 5.0, r"learning_rate: the checkpoint's run started at learning_rate=0.01; got 5 \(leave learning_rate out"),
    ("shuffle", False, r"shuffle: the checkpoint's run was trained with shuffle=True; got False"),
    ("schedule", "cosine", r"schedule: the checkpoint's run was trained with constant; got cosine\(eta_min=0.0\)"),
    ("schedule", lambda eta0, epoch, n: eta0, r"schedule: .* with constant; got a schedule function of its own"),
    ("schedule", dp.optimisers.step_decay(every=3), r"schedule: .* with constant; got step_decay\(every=3, factor=0.5\)"),
])
def test_resume_refuses_another_learning_rate_shuffle_or_schedule(tmp_path, option, value, words):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt")
    X, y = resumable_run.load_digits(return_X_y=True)
    net = dp.Network([64, 16, 10], activation="relu", dropout=0.1, seed=0, dtype="float64")
    given = dict(optimiser="adam", learning_rate=0.01, epochs=8, batch_size=50, validation_fraction=0.2) | {option: value}
    with pytest.raises(ValueError, match=words):
        net.fit(X[:500] / 16, y[:500], resume=tmp_path / "c.ckpt", **given)
    given.pop("learning_rate")  # left out: the checkpoint's; shuffle and schedule as the run had them
    given |= {"shuffle": True, "schedule": dp.optimisers.constant, "optimiser": None}  # (the checkpoint's optimiser)
    assert net.fit(X[:500] / 16, y[:500], resume=tmp_path / "c.ckpt", **given).learning_rate == [0.01] * 8


def test_a_schedule_is_recorded_by_what_it_computes():
    from deltaprop.training import _schedule_name

    assert _schedule_name(dp.optimisers.SCHEDULES["cosine"]) == _schedule_name(dp.optimisers.cosine()) == "cosine(eta_min=0.0)"
    assert _schedule_name(dp.optimisers.cosine(eta_min=1e-4)) == "cosine(eta_min=0.0001)"
    assert _schedule_name(dp.optimisers.SCHEDULES["step"]) == "step_decay(every=10, factor=0.5)"
    assert _schedule_name(lambda eta0, epoch, n: eta0) == "function"


def test_a_wrapper_of_a_schedule_is_not_taken_for_it():
    import functools

    from deltaprop.training import _schedule_name

    inner = dp.optimisers.cosine()

    @functools.wraps(inner)  # (copies the wrapped function's attributes)
    def warm_up(eta0, epoch, n_epochs):
        return inner(eta0, epoch, n_epochs) * min(1.0, (epoch + 1) / 5)

    assert _schedule_name(warm_up) == "function" and _schedule_name(inner) == "cosine(eta_min=0.0)"


def test_a_checkpoint_naming_its_schedule_resumes(tmp_path):
    """Checkpoints written earlier this version recorded a registry schedule by name ('cosine')."""
    X, y = resumable_run.load_digits(return_X_y=True)
    given = dict(optimiser="adam", learning_rate=0.01, batch_size=50, schedule="cosine")
    dp.Network([64, 16, 10], seed=0, dtype="float64").fit(X[:200] / 16, y[:200], epochs=2, checkpoint=tmp_path / "c.ckpt", **given)
    ck = load_checkpoint(tmp_path / "c.ckpt")
    assert ck.schedule == "cosine(eta_min=0.0)"
    ck.schedule = "cosine"
    history = dp.Network([64, 16, 10], seed=0, dtype="float64").fit(X[:200] / 16, y[:200], epochs=3, resume=ck, **given)
    assert history.epochs == 3
    ck.schedule = "step"
    with pytest.raises(ValueError, match=r"schedule: the checkpoint's run was trained with step_decay\(every=10, factor=0.5\); got cosine"):
        dp.Network([64, 16, 10], seed=0, dtype="float64").fit(X[:200] / 16, y[:200], epochs=3, resume=ck, **given)


def test_resume_and_optimiser_state_together_are_refused(tmp_path):
    net, history = resumable_run.train(checkpoint=tmp_path / "c.ckpt")
    with pytest.raises(ValueError, match="optimiser_state: a resumed run continues the optimiser its checkpoint kept; got both"):
        net.fit(np.zeros((10, 64)), np.arange(10), resume=tmp_path / "c.ckpt", optimiser_state=history.optimiser_state)


def test_a_missing_file_to_resume_is_blamed_on_resume(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^resume: checkpoint .*new.ckpt: no such file"):
        dp.Network([4, 3, 2], seed=0).fit(np.zeros((4, 4)), [0, 1, 0, 1], checkpoint=tmp_path / "new.ckpt",
                                            resume=tmp_path / "new.ckpt")


def test_checkpoint_network_is_the_saved_one(tmp_path):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt")  # (with validation_fraction=0.2)
    ck = dp.checkpoint.load_checkpoint(tmp_path / "c.ckpt")
    net = ck.network()
    assert net.config() == ck.config
    for p, saved in zip(net.parameters(), ck.params, strict=True):
        np.testing.assert_array_equal(p, saved)
    np.testing.assert_array_equal(net.classes_, ck.classes)
    assert net.validation_seed == ck.split_seed is not None  # its next validation_fraction fit holds out the same examples


def test_divergence_keeps_the_last_good_checkpoint(tmp_path, rng):
    X = rng.normal(size=(100, 3)) * 100
    y = rng.normal(size=100) * 1e6
    net = dp.Network([3, 8, 1], activation="relu", loss="quadratic", seed=0, dtype="float64")
    ck = tmp_path / "d.ckpt"
    net.fit(X, y, optimiser="sgd", learning_rate=1e-9, momentum=0.0, epochs=2, batch_size=10, checkpoint=ck)
    with pytest.raises(dp.DivergenceError):
        net.fit(X, y, optimiser="sgd", learning_rate=10.0, momentum=0.0, epochs=50, batch_size=10, checkpoint=ck)
    good = load_checkpoint(ck)
    assert all(np.isfinite(p).all() for p in good.params)
    for p, saved in zip(net.parameters(), good.params):  # the network is at the last good epoch's parameters
        assert np.isfinite(p).all()


def test_broken_checkpoints_get_clear_errors(tmp_path):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt")
    data = (tmp_path / "c.ckpt").read_bytes()
    (tmp_path / "truncated.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.ckpt"):
        load_checkpoint(tmp_path / "truncated.ckpt")
    with pytest.raises(FileNotFoundError, match="missing.ckpt: no such file"):
        load_checkpoint(tmp_path / "missing.ckpt")
    with pytest.raises(IsADirectoryError, match="expected a file; got a directory"):
        load_checkpoint(tmp_path)
    # another format version: refused, naming both versions
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    meta = json.loads(header["__metadata__"]["deltaprop"])
    meta["format_version"] = FORMAT_VERSION + 1
    header["__metadata__"]["deltaprop"] = json.dumps(meta)
    new_header = json.dumps(header).encode()
    new_header += b" " * (-len(new_header) % 8)
    (tmp_path / "future.ckpt").write_bytes(len(new_header).to_bytes(8, "little") + new_header + data[8 + header_len :])
    with pytest.raises(ValueError, match=rf"version {FORMAT_VERSION + 1}.*versions 1 to {FORMAT_VERSION}"):
        load_checkpoint(tmp_path / "future.ckpt")


DELTAPROP = [sys.executable, "-m", "deltaprop.cli"]
TRAIN = ["train", "--dtype", "float64", "--layers", "16", "--batch-size", "100", "--seed", "3"]


def test_cli_resume_ends_where_the_uninterrupted_run_ends(tmp_path):
    def run(*args):
        done = subprocess.run([*DELTAPROP, *TRAIN, "--quiet", *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert done.returncode == 0, done.stderr

    run("--epochs", "4", "--out", "whole.safetensors")
    run("--epochs", "2", "--checkpoint", "run.ckpt")
    assert load_checkpoint(tmp_path / "run.ckpt").epochs_done == 2
    run("--epochs", "4", "--resume", "run.ckpt", "--out", "resumed.safetensors")
    from deltaprop.io import load_model

    whole, resumed = load_model(tmp_path / "whole.safetensors").network, load_model(tmp_path / "resumed.safetensors").network
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)


def test_cli_ctrl_c_saves_the_training_state_and_says_how_to_resume(tmp_path):
    proc = subprocess.Popen([*DELTAPROP, *TRAIN, "--epochs", "500"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    for line in proc.stdout:
        if line.startswith("epoch"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume deltaprop-interrupted.ckpt" in err
    assert "Traceback" not in err
    saved = load_checkpoint(tmp_path / "deltaprop-interrupted.ckpt")
    assert 1 <= saved.epochs_done < 500


def test_the_same_run_saves_the_same_optimiser_state(tmp_path, rng):
    # Every array in a checkpoint is the run's own state: nothing uninitialised that would differ
    # between two identical runs (and carry stray bytes of the process's memory into the file).
    X, y = rng.normal(size=(80, 6)), rng.integers(0, 3, 80)
    saved = []
    for k in range(2):
        junk = [np.full(n, 1e30 * (k + 1)) for n in (6 * 8, 8, 8 * 3, 3)]  # freed memory an allocation may reuse
        del junk
        net = dp.Network([6, 8, 3], activation="relu", seed=1)
        net.fit(X, y, optimiser="adam", batch_size=20, epochs=2, checkpoint=tmp_path / f"run{k}.ckpt")
        saved.append(load_checkpoint(tmp_path / f"run{k}.ckpt").optimiser_states)
    for a_states, b_states in zip(*saved):
        for a, b in zip(a_states, b_states):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox, np.random.SFC64, np.random.PCG64DXSM])
def test_runs_with_any_bit_generator_resume_exactly(tmp_path, bit_generator):
    # Their states hold arrays (MT19937's key, Philox's counter), which JSON cannot take as they are.
    X, y = np.random.default_rng(0).normal(size=(60, 3)), np.arange(60) % 3

    def net():
        return dp.Network([3, 5, 3], dropout=0.2, seed=np.random.Generator(bit_generator(7)), dtype="float64")

    whole = net()
    whole.fit(X, y, epochs=4, batch_size=20)
    first = net()
    first.fit(X, y, epochs=2, batch_size=20, checkpoint=tmp_path / "run.ckpt")
    resumed = net()
    resumed.fit(X, y, epochs=4, batch_size=20, resume=tmp_path / "run.ckpt")
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("tol", [0.05, 0.01])
def test_gd_that_converges_writes_its_checkpoint_and_resuming_it_takes_no_more_steps(tmp_path, tol):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 4)), rng.integers(0, 3, 50)
    ck = tmp_path / "gd.ckpt"
    options = dict(optimiser="gd", learning_rate=0.5, epochs=1000, tol=tol)
    net = dp.Network([4, 6, 3], seed=0, dtype="float64")
    history = net.fit(X, y, checkpoint=ck, checkpoint_every=10, **options)
    # tol 0.05: converged after 2 steps, before any due checkpoint; tol 0.01: after 10, at one
    assert history.stop_reason.startswith("converged") and history.epochs == {0.05: 2, 0.01: 10}[tol]
    assert load_checkpoint(ck).epochs_done == history.epochs
    again = dp.Network([4, 6, 3], seed=0, dtype="float64")
    resumed = again.fit(X, y, resume=ck, **options)
    assert resumed.stop_reason == history.stop_reason and resumed.loss == history.loss
    for p, q in zip(net.parameters(), again.parameters()):
        np.testing.assert_array_equal(p, q)
    # a smaller tol than the run's carries on from the same checkpoint
    assert again.fit(X, y, resume=ck, **(options | {"tol": tol / 100})).epochs > history.epochs


@pytest.mark.parametrize("optimiser", [dp.AdamW(weight_decay=0.05), dp.RMSprop(rho=0.8), "adamw", "rmsprop"])
def test_adamw_and_rmsprop_runs_resume_exactly_with_their_settings(tmp_path, optimiser):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)

    def run(epochs, **options):
        net = dp.Network([4, 5, 3], seed=0, dtype="float64")
        history = net.fit(X, y, optimiser=optimiser, learning_rate=0.01, epochs=epochs, batch_size=20, **options)
        return np.concatenate([p.ravel() for p in net.parameters()]), history.optimiser_state.optimiser

    whole, used = run(4)
    run(2, checkpoint=tmp_path / "c.ckpt")
    resumed, restored = run(4, resume=tmp_path / "c.ckpt")
    np.testing.assert_array_equal(resumed, whole)
    assert restored == used  # (weight_decay 0.05 and rho 0.8 come back from the file)


def test_a_run_with_an_optimiser_of_ones_own_resumes_with_that_object(tmp_path):
    class SignGD:
        name = "signgd"

        def init(self, param):
            return ()

        def update(self, param, grad, state, eta, step):
            param -= param.dtype.type(eta) * np.sign(grad)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    whole = dp.Network([4, 5, 3], seed=0)
    whole.fit(X, y, optimiser=SignGD(), epochs=4, batch_size=10)
    ck = tmp_path / "sign.ckpt"
    dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser=SignGD(), epochs=2, batch_size=10, checkpoint=ck)
    resumed = dp.Network([4, 5, 3], seed=0)
    resumed.fit(X, y, optimiser=SignGD(), epochs=4, batch_size=10, resume=ck)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)


def small_checkpoint(path, **fit_options):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=2, batch_size=10, checkpoint=path, **fit_options)
    return X, y


def rewrite_checkpoint(path, change_meta=None, change_tensors=None):
    from safetensors import safe_open
    from safetensors.numpy import save

    with safe_open(str(path), framework="np") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    meta = json.loads(metadata["deltaprop"])
    if change_meta:
        change_meta(meta)
    if change_tensors:
        change_tensors(tensors)
    path.write_bytes(save(tensors, metadata={"deltaprop": json.dumps(meta)}))


def set_tensor(name, value):
    return lambda tensors: tensors.update({name: value(tensors[name])})


@pytest.mark.parametrize("change_meta, change_tensors, message", [
    (lambda m: m.update(history=[1]), None, r"history: expected an object of per-epoch lists; got \[1\]"),
    (lambda m: m["history"].update(loss=["x"]), None, "history loss: expected a list of numbers"),
    (lambda m: m["classes"].update(values=[0, 1]), None, "2 classes for N_L = 3 output units; expected 3"),
    (lambda m: m["classes"].update(values=[2, 1, 0]), None, "classes .*; expected distinct labels in sorted order"),
    (lambda m: m["classes"].update(values=[[0], 1, 2]), None, "classes .* of dtype '<i8'; expected labels of that dtype"),
    (lambda m: m.update(classes=[0, 1, 2]), None, r"classes \[0, 1, 2\]; expected an object with a list of values"),
    # version 3 and before: a list
    (lambda m: m.update(format_version=3, classes=[0, 1]), None, r"classes: expected 3 labels .* for N_L = 3 output units; got \[0, 1\]"),
    (lambda m: m.update(format_version=3, classes=[2, 1, 0]), None, "classes: expected distinct labels in sorted order"),
    (lambda m: m.update(format_version=3, classes=[[0], 1, 2]), None, "classes: expected 3 labels"),
    (lambda m: m["config"].update(evil=1), None, r"config: unknown settings \['evil'\]"),
    # (a name this deltaprop lacks is no corruption: test_a_checkpoint_naming_an_activation_this_deltaprop_lacks_...)
    (lambda m: m["config"].update(activation=[5]), None, "activation .*got int 5"),
    (lambda m: m.update(config=[6, 5, 3]), None, "config: expected an object of Network settings"),
    (lambda m: m.update(rng_state="x"), None, "rng_state: expected a bit generator's state"),
    (lambda m: m["rng_state"].update(state={"state": "x"}), None, "rng_state: not a state of a PCG64 bit generator"),
    (lambda m: m.update(eta0="x"), None, "eta0: expected a finite learning rate > 0; got 'x'"),
    (lambda m: m.update(eta0=float("nan")), None, "eta0: expected a finite learning rate > 0"),
    (lambda m: m.update(step=-1), None, "step: expected an integer >= 0; got -1"),
    (lambda m: m.update(epochs_done=1.5), None, "epochs_done: expected an integer >= 0; got 1.5"),
    (lambda m: m.update(split_seed="x"), None, "split_seed: expected an integer >= 0"),
    (lambda m: m.update(last_change="x"), None, "last_change: expected a number >= 0"),
    (lambda m: m.update(multilabel="no"), None, "multilabel: expected true or false"),
    (lambda m: m.update(batch_size=0), None, "batch_size: expected an integer >= 1; got 0"),
    (lambda m: m.update(validation_fraction=1.5), None, r"validation_fraction: expected a number in \[0, 1\); got 1.5"),
    (lambda m: m.update(data={"X_shape": [40]}), None, r"data: expected \{'X_shape': \[n, N_0\]"),
    (lambda m: m["data"].update(crc32=-1), None, r"data: expected .*; got \{'X_shape': \[40, 6\]"),
    (lambda m: m["data"].update(y_shape=[30, True]), None, "data: expected"),
    (lambda m: m.update(info=[1]), None, r"info: expected an object .*; got \[1\]"),
    (lambda m: m.update(clip_norm=-1.0), None, "clip_norm: expected a finite number > 0; got -1.0"),
    (lambda m: m["optimiser"]["options"].update(evil=1), None, "unexpected keyword argument 'evil'"),
    (lambda m: m["optimiser"].update(name="lbfgs"), None, "'lbfgs' runs write no checkpoints"),
    (lambda m: m.update(n_states=[2] * 3), None, r"n_states: expected 4 counts .*; got \[2, 2, 2\]"),
    (lambda m: m.update(n_states=[1] * 4), lambda t: [t.pop(f"optimiser.{k}.1") for k in range(4)],
     "optimiser 'adam' keeps 2 arrays per parameter; W\\^1's \\(theta.0\\) has 1"),
    (None, set_tensor("optimiser.0.0", lambda a: a[:2].copy()), r"optimiser.0.0 has shape \(2, 6\) .*; expected \(5, 6\) float32 as theta.0 \(W\^1\)"),
    (None, set_tensor("optimiser.1.1", lambda a: a.astype(np.float64)), "optimiser.1.1 has shape .* float64; expected"),
    (None, set_tensor("optimiser.2.0", lambda a: np.full_like(a, np.nan)), "optimiser.2.0 holds NaN"),
    (None, set_tensor("theta.2", lambda a: a[:, :4].copy()), r"theta.2 \(W\^2\) has shape \(3, 4\) .*; expected \(3, 5\)"),
    (None, set_tensor("theta.3", lambda a: np.full_like(a, np.inf)), r"theta.3 \(b\^2\) holds NaN or infinite values"),
    (None, lambda t: t.update(extra=np.zeros(2, np.float32)), r"unexpected \['extra'\]"),
])
def test_corrupt_checkpoint_metadata_and_tensors_are_refused_naming_the_file(tmp_path, change_meta, change_tensors, message):
    # each of these loaded before, then crashed on resume (AttributeError, IndexError, a matmul error,
    # an unexpected keyword argument) or trained into NaN and blamed the learning rate
    path = tmp_path / "c.ckpt"
    small_checkpoint(path)
    rewrite_checkpoint(path, change_meta, change_tensors)
    with pytest.raises(ValueError, match=message) as info:
        load_checkpoint(path)
    assert str(info.value).startswith(f"checkpoint: {path} is corrupt (")


def test_resuming_from_a_cut_optimiser_state_fails_before_any_change(tmp_path):
    path = tmp_path / "c.ckpt"
    X, y = small_checkpoint(path, optimiser="sgd")
    rewrite_checkpoint(path, change_tensors=set_tensor("optimiser.0.0", lambda a: a[:2].copy()))
    net = dp.Network([6, 5, 3], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"c.ckpt is corrupt \(optimiser.0.0 has shape \(2, 6\)"):
        net.fit(X, y, optimiser="sgd", epochs=4, batch_size=10, resume=path)
    for p, q in zip(before, net.parameters()):
        np.testing.assert_array_equal(p, q)


def as_written_before_recording(meta):
    """The metadata as deltaprop wrote it before checkpoints recorded the options and data of their run."""
    for key in ("batch_size", "validation_fraction", "data", "info"):
        meta.pop(key, None)


def test_a_checkpoint_records_the_batch_size_validation_fraction_data_and_info(tmp_path):
    from deltaprop.checkpoint import data_fingerprint

    X, y = small_checkpoint(tmp_path / "c.ckpt", validation_fraction=0.25, checkpoint_info={"seed": 3, "data": "toy"})
    saved = load_checkpoint(tmp_path / "c.ckpt")
    assert (saved.batch_size, saved.validation_fraction, saved.info) == (10, 0.25, {"seed": 3, "data": "toy"})
    assert saved.data == data_fingerprint(X.astype(np.float32), y) and saved.data["X_shape"] == [40, 6]
    # the same labels in another integer type are the same data; other values are not
    assert data_fingerprint(X, y.astype(np.int8)) == data_fingerprint(X, y)
    assert data_fingerprint(X, y[::-1]) != data_fingerprint(X, y) != data_fingerprint(X[::-1], y)
    with pytest.raises(TypeError, match=r"checkpoint_info: expected a dict of JSON values .*; got \{'seed': array"):
        dp.Network([6, 5, 3]).fit(X, y, epochs=1, checkpoint=tmp_path / "d.ckpt", checkpoint_info={"seed": np.arange(2)})


@pytest.mark.parametrize("change, message", [
    (dict(batch_size=20), "batch_size: the checkpoint's run was trained with batch_size=10; got 20"),
    (dict(validation_fraction=0.2), "validation_fraction: the checkpoint's run held out validation_fraction=0.25; got 0.2"),
    (dict(validation_fraction=0.0), "validation_fraction: the checkpoint's run held out validation_fraction=0.25; got 0"),
    (dict(X=lambda X: X + 1e-3), r"X, y: expected the training data of the checkpoint's run \(X of shape \(40, 6\), y of shape "
                                 r"\(40,\), CRC-32 [0-9a-f]{8}\); got X of shape \(40, 6\), y of shape \(40,\), CRC-32"),
    (dict(X=lambda X: X[:36], y=lambda y: y[:36]), r"X, y: .*; got X of shape \(36, 6\), y of shape \(36,\)"),
    (dict(y=lambda y: (y + 1) % 3), "X, y: expected the training data of the checkpoint's run"),
])
def test_resume_refuses_another_batch_size_validation_fraction_or_data(tmp_path, change, message):
    # each resumed before, and silently trained another run than the checkpoint's
    X, y = small_checkpoint(tmp_path / "c.ckpt", validation_fraction=0.25)
    own = dict(epochs=4, batch_size=10, validation_fraction=0.25)
    options = own | {k: v for k, v in change.items() if k not in ("X", "y")}
    X2, y2 = change.get("X", lambda X: X)(X), change.get("y", lambda y: y)(y)
    net = dp.Network([6, 5, 3], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=message):
        net.fit(X2, y2, resume=tmp_path / "c.ckpt", **options)
    for p, q in zip(before, net.parameters()):
        np.testing.assert_array_equal(p, q)
    # the run's own options and data (the labels in another integer type) resume
    assert dp.Network([6, 5, 3], seed=0).fit(X, y.astype(np.int32), resume=tmp_path / "c.ckpt", **own).epochs == 4


def test_resume_refuses_other_sample_weights_or_validation_data(tmp_path):
    # Before: the fingerprint covered X and y only, and a run resumed with other weights or another
    # validation set silently trained (or early-stopped on) something other than the checkpoint's run.
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    w, Xv, yv = rng.uniform(0.5, 2, size=40), rng.normal(size=(12, 6)), np.arange(12) % 3
    own = dict(epochs=4, batch_size=10, sample_weight=w, validation_data=(Xv, yv))
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=2, batch_size=10, sample_weight=w, validation_data=(Xv, yv),
                                       checkpoint=tmp_path / "c.ckpt")
    cases = [
        (dict(sample_weight=None), "sample_weight: the checkpoint's run was trained with another sample_weight; got no sample_weight"),
        (dict(sample_weight=w[::-1]), "sample_weight: the checkpoint's run was trained with another sample_weight; "
                                      "got sample_weight of CRC-32 [0-9a-f]{8}"),
        (dict(validation_data=(Xv + 1, yv)), "validation_data: the checkpoint's run was trained with another validation_data"),
        (dict(validation_data=None), "validation_data: .* got no validation_data"),
    ]
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            dp.Network([6, 5, 3], seed=0).fit(X, y, resume=tmp_path / "c.ckpt", **(own | change))
    # the same weights as a list (or in float32, the network's dtype, in which fit uses them), and the
    # validation labels in another integer type, are the same run
    assert dp.Network([6, 5, 3], seed=0).fit(X, y, resume=tmp_path / "c.ckpt", **(own | dict(sample_weight=w.astype(np.float32)))).epochs == 4
    same = own | dict(sample_weight=list(w), validation_data=(Xv, yv.astype(np.int8)))
    assert dp.Network([6, 5, 3], seed=0).fit(X, y, resume=tmp_path / "c.ckpt", **same).epochs == 4
    # a run without weights refuses them on resume
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=2, batch_size=10, checkpoint=tmp_path / "plain.ckpt")
    with pytest.raises(ValueError, match="sample_weight: the checkpoint's run was trained with no sample_weight; got sample_weight of"):
        dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=4, batch_size=10, sample_weight=w, resume=tmp_path / "plain.ckpt")

    def as_written_on_2026_11_28(meta):  # the data fingerprint without the weights' and validation set's checksums
        for key in ("sample_weight_crc32", "validation_crc32"):
            del meta["data"][key]

    rewrite_checkpoint(tmp_path / "c.ckpt", as_written_on_2026_11_28)
    assert set(load_checkpoint(tmp_path / "c.ckpt").data) == {"X_shape", "y_shape", "crc32"}
    assert dp.Network([6, 5, 3], seed=0).fit(X, y, resume=tmp_path / "c.ckpt", **(own | dict(sample_weight=None))).epochs == 4
    rewrite_checkpoint(tmp_path / "c.ckpt", lambda meta: meta["data"].update(sample_weight_crc32="abc"))
    with pytest.raises(ValueError, match=r"data: expected .*'sample_weight_crc32', 'validation_crc32'\]: a checksum or null"):
        load_checkpoint(tmp_path / "c.ckpt")


def test_gd_resumes_with_any_batch_size_and_old_files_hold_out_what_they_held_out(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), np.arange(30) % 3
    ck = tmp_path / "gd.ckpt"
    dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="gd", epochs=2, batch_size=7, checkpoint=ck)
    assert dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="gd", epochs=3, batch_size=30, resume=ck).epochs == 3  # gd uses every example
    # a file of an older deltaprop records no validation_fraction, but its split_seed tells whether it held some out
    rewrite_checkpoint(ck, as_written_before_recording)
    with pytest.raises(ValueError, match="validation_fraction: the checkpoint's run held out no validation_fraction; got 0.2"):
        dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="gd", epochs=4, validation_fraction=0.2, resume=ck)


def test_checkpoints_of_older_deltaprops_without_the_recorded_settings_resume_exactly(tmp_path, uninterrupted):
    resumable_run.train(checkpoint=tmp_path / "c.ckpt", callbacks=[StopAfterEpoch2()])
    rewrite_checkpoint(tmp_path / "c.ckpt", as_written_before_recording)
    saved = load_checkpoint(tmp_path / "c.ckpt")
    assert (saved.batch_size, saved.validation_fraction, saved.data, saved.info) == (None, None, None, None)
    net, _ = resumable_run.train(resume=tmp_path / "c.ckpt")
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in net.parameters()]), uninterrupted[0])


def test_cli_resume_of_an_older_checkpoint_uses_the_flags_it_cannot_check(tmp_path, monkeypatch, capsys):
    from deltaprop.cli import main

    monkeypatch.chdir(tmp_path)
    common = ["train", "--layers", "8", "--limit", "200", "--quiet"]
    assert main([*common, "--epochs", "2", "--checkpoint", "r.ckpt"]) == 0
    rewrite_checkpoint(tmp_path / "r.ckpt", as_written_before_recording)
    capsys.readouterr()
    # the network is in every checkpoint: a network flag at its default that contradicts it is refused
    assert main([*common, "--epochs", "3", "--resume", "r.ckpt", "--layers", "128"]) == 1
    assert "--layers: the run in r.ckpt was trained with 8; got 128" in capsys.readouterr().err
    # the batch size is not in this one: used as given, and recorded from now on
    assert main([*common, "--epochs", "3", "--resume", "r.ckpt", "--batch-size", "16"]) == 0, capsys.readouterr().err
    saved = load_checkpoint(tmp_path / "r.ckpt")
    assert saved.epochs_done == 3 and saved.batch_size == 16 and saved.info["limit"] == 200


def test_cli_resume_keeps_early_stopping_and_reduce_lr(tmp_path, monkeypatch, capsys):
    # Before: neither flag was recorded, so a run resumed without them silently trained on without either.
    from deltaprop.cli import main

    monkeypatch.chdir(tmp_path)
    common = ["train", "--layers", "8", "--limit", "200", "--quiet"]
    assert main([*common, "--epochs", "2", "--checkpoint", "r.ckpt", "--early-stopping", "4", "--reduce-lr", "2"]) == 0
    info = load_checkpoint(tmp_path / "r.ckpt").info
    assert (info["early_stopping"], info["reduce_lr"]) == (4, 2)
    capsys.readouterr()
    assert main([*common, "--epochs", "3", "--resume", "r.ckpt", "--early-stopping", "9"]) == 1
    assert "--early-stopping: the run in r.ckpt was trained with 4; got 9" in capsys.readouterr().err
    assert main([*common, "--epochs", "3", "--resume", "r.ckpt"]) == 0, capsys.readouterr().err  # both taken from the file
    info = load_checkpoint(tmp_path / "r.ckpt").info
    assert (info["early_stopping"], info["reduce_lr"]) == (4, 2)
    assert main([*common, "--epochs", "2", "--checkpoint", "plain.ckpt"]) == 0
    assert main([*common, "--epochs", "3", "--resume", "plain.ckpt", "--reduce-lr", "2"]) == 1
    assert "--reduce-lr: the run in plain.ckpt was trained with no learning-rate reduction; got 2" in capsys.readouterr().err


def test_a_checkpoint_keeps_early_stoppings_best_weights_under_their_own_names(tmp_path, capsys):
    from deltaprop.callbacks import EarlyStopping

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    stop = EarlyStopping(patience=50, monitor="loss", mode="max")  # the loss falls: the first epoch stays the best
    net = dp.Network([6, 5, 3], seed=0)
    net.fit(X, y, epochs=3, batch_size=10, checkpoint=tmp_path / "c.ckpt", callbacks=[stop])
    kept = load_checkpoint(tmp_path / "c.ckpt").callback_arrays
    assert set(kept) == {"EarlyStopping.0"} and int(kept["EarlyStopping.0"]["epoch"][0]) == stop.best_epoch == 0
    for k, best in enumerate(stop._best_params):
        np.testing.assert_array_equal(kept["EarlyStopping.0"][f"theta.{k}"], best)
    from deltaprop.cli import main

    assert main(["info", str(tmp_path / "c.ckpt")]) == 0
    assert "kept by EarlyStopping.0: the weights of epoch 1\n" in capsys.readouterr().out
    # a best epoch that is the checkpoint's last is its parameters: not kept twice
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=2, batch_size=10, checkpoint=tmp_path / "d.ckpt",
                                       callbacks=[EarlyStopping(patience=50, monitor="loss")])
    assert load_checkpoint(tmp_path / "d.ckpt").callback_arrays == {}
    rewrite_checkpoint(tmp_path / "c.ckpt", change_tensors=lambda t: t.update({"callback.oops": np.zeros(1)}))
    with pytest.raises(ValueError, match=r"tensor 'callback.oops': expected callback.<ClassName>.<occurrence>.<name>"):
        load_checkpoint(tmp_path / "c.ckpt")


class Keeps(dp.callbacks.Callback):
    def __init__(self, arrays):
        self.arrays = arrays

    def checkpoint_arrays(self, run, epochs_done):
        if isinstance(self.arrays, Exception):
            raise self.arrays
        return self.arrays


@pytest.mark.parametrize("arrays, words", [
    (RuntimeError("broken"), "RuntimeError: broken"),
    (None, "TypeError"),
    ({"": np.zeros(2)}, "expected non-empty names of arrays of ['bool', "),
    ({"names": np.array(["a", "b"])}, "'float64']; got 'names': <U1"),
    ({"wide": np.zeros(2, dtype=np.longdouble)}, f"got 'wide': {np.dtype(np.longdouble).name}"),
])
def test_a_callback_whose_arrays_cannot_be_kept_is_left_out_with_one_warning(tmp_path, arrays, words):
    # Before: fit raised from inside the checkpoint write (the run's history lost), or wrote a file it could not read.
    import warnings

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=3, batch_size=10, checkpoint=tmp_path / "c.ckpt",
                                                    callbacks=[Keeps(arrays)])
    assert history.epochs == 3 and load_checkpoint(tmp_path / "c.ckpt").callback_arrays == {}
    left_out = [str(w.message) for w in caught if "checkpoint_arrays" in str(w.message)]
    assert len(left_out) == 1, "once per run, not at every checkpoint"
    assert re.search(r"checkpoint: Keeps.checkpoint_arrays \(callback Keeps.0\) left out of this run's checkpoints \(.*"
                     + re.escape(words), left_out[0]), left_out[0]


def test_a_callback_class_whose_name_is_no_identifier_is_left_out(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    odd = type("My.Keeps", (Keeps,), {})({"x": np.zeros(2)})
    with pytest.warns(RuntimeWarning, match="its class name 'My.Keeps' is not an identifier"):
        dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=1, batch_size=10, checkpoint=tmp_path / "c.ckpt", callbacks=[odd])
    assert load_checkpoint(tmp_path / "c.ckpt").callback_arrays == {}  # (before: a file that did not load)


class Keeps10(dp.callbacks.Callback):
    """Keeps one number and takes whatever it is given back (returning None)."""

    def __init__(self, value):
        self.value, self.got = value, None

    def checkpoint_arrays(self, run, epochs_done):
        return {"v": np.array([self.value])}

    def restore_arrays(self, run, arrays):
        self.got = int(arrays["v"][0])


def test_a_restore_arrays_that_returns_none_takes_its_own_entry_only(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=1, batch_size=10, checkpoint=tmp_path / "c.ckpt",
                                       callbacks=[Keeps10(10), Keeps10(20)])
    first, second = Keeps10(0), Keeps10(0)
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=2, batch_size=10, resume=tmp_path / "c.ckpt", callbacks=[first, second])
    assert (first.got, second.got) == (10, 20)


def test_a_resumed_early_stopping_takes_the_kept_weights_of_its_class_whatever_the_order(tmp_path):
    from deltaprop.callbacks import EarlyStopping

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    kw = dict(batch_size=10, validation_fraction=0.25)
    first = lambda: EarlyStopping(patience=50, monitor="loss", mode="max")  # epoch 1 stays the best
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=3, checkpoint=tmp_path / "c.ckpt", callbacks=[first()], **kw)
    other, mine = EarlyStopping(patience=50, monitor="val_loss", restore_best=False), first()
    dp.Network([6, 5, 3], seed=0).fit(X, y, epochs=4, resume=tmp_path / "c.ckpt", callbacks=[other, mine], **kw)
    assert mine.best_epoch == 0 and mine._best_params is not None  # before: the first of the class got them, and dropped them


def test_the_data_fingerprint_of_text_labels_ignores_how_wide_their_array_is():
    from deltaprop.checkpoint import data_fingerprint

    X = np.ones((6, 2), dtype=np.float32)
    # A CSV read again after a longer label was added beyond --limit: the same rows, a wider text dtype.
    same = [list("abcabc"), np.array(list("abcabc"), dtype="U5"), np.array(list("abcabc"), dtype="S3"),
            np.array(list("abcabc"), dtype=object)]
    assert all(data_fingerprint(X, y) == data_fingerprint(X, same[0]) for y in same)
    assert data_fingerprint(X, np.array(list("abcabd"))) != data_fingerprint(X, same[0])


def test_info_describes_a_checkpoint_of_bytes_labels(tmp_path, capsys):
    # Before: `deltaprop info run.ckpt --json` failed: "Object of type bytes is not JSON serializable"
    from deltaprop.cli import main

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    for name, labels in (("obj", np.array([b"a", b"b", b"\xff"], dtype=object)), ("s", np.array([b"a", b"b", b"\xff"]))):
        dp.Network([4, 5, 3], seed=0).fit(X, labels[np.arange(30) % 3], epochs=1, checkpoint=tmp_path / f"{name}.ckpt")
        assert main(["info", str(tmp_path / f"{name}.ckpt"), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["classes"] == ["a", "b", "\u00ff"]
        assert main(["info", str(tmp_path / f"{name}.ckpt")]) == 0
        assert "classes (3): a, b, \u00ff" in capsys.readouterr().out


# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def test_the_fingerprint_tells_the_same_bytes_in_another_dtype_apart():
    from deltaprop.checkpoint import data_fingerprint

    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.arange(4)
    assert data_fingerprint(X, y)["crc32"] != data_fingerprint(X.view(np.int32), y)["crc32"]


def test_a_checkpoint_keeps_the_first_base_rate_and_refuses_a_float_rng_state(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    dp.Network([3, 2], seed=0).fit(X, y, epochs=1, learning_rate=0.0123, checkpoint=tmp_path / "c.ckpt")
    assert load_checkpoint(tmp_path / "c.ckpt").first_eta0 == 0.0123

    def floats(meta):
        meta["rng_state"]["state"]["state"] = {"__ndarray__": [1.5, 2.5], "dtype": "<f8"}

    rewrite_checkpoint(tmp_path / "c.ckpt", floats)
    with pytest.raises(ValueError, match="rng_state: an array of dtype float64; expected integers"):
        load_checkpoint(tmp_path / "c.ckpt")


class NoisySGD(dp.SGD):
    """A subclass of the user's under the registry's name 'sgd' (its own update, not a dataclass)."""

    calls = 0

    def update(self, param, grad, state, eta, step):
        NoisySGD.calls += 1
        super().update(param, grad * 0.5, state, eta, step)


def test_a_resumed_run_refuses_settings_other_than_its_checkpoints_and_keeps_a_subclass(tmp_path):
    # Before: fit(resume=..., momentum=0.1) trained on with the checkpoint's 0.9 silently, and a subclass
    # named 'sgd' was swapped for the registry's SGD (its update never called)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="sgd", momentum=0.5, epochs=2, batch_size=10, checkpoint=tmp_path / "c.ckpt")
    for options in (dict(optimiser="sgd", momentum=0.1), dict(optimiser=dp.SGD(momentum=0.9))):
        with pytest.raises(ValueError, match=r"momentum: the checkpoint's run was trained with momentum=0.5; got 0.(1|9)"):
            dp.Network([4, 5, 3], seed=0).fit(X, y, epochs=3, batch_size=10, resume=tmp_path / "c.ckpt", **options)
    resumed = dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="sgd", epochs=3, batch_size=10, resume=tmp_path / "c.ckpt")
    assert resumed.optimiser_state.optimiser == dp.SGD(momentum=0.5)  # the checkpoint's, left out here

    whole = dp.Network([4, 5, 3], seed=0)
    whole.fit(X, y, optimiser=NoisySGD(), epochs=3, batch_size=10)
    dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser=NoisySGD(), epochs=2, batch_size=10, checkpoint=tmp_path / "n.ckpt")
    assert load_checkpoint(tmp_path / "n.ckpt").optimiser == {"name": "sgd", "options": {}, "own": True}
    with pytest.raises(ValueError, match="resume: the checkpoint's run used an optimiser of its own named 'sgd'"):
        dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser="sgd", epochs=3, batch_size=10, resume=tmp_path / "n.ckpt")
    NoisySGD.calls = 0
    net = dp.Network([4, 5, 3], seed=0)
    net.fit(X, y, optimiser=NoisySGD(), epochs=3, batch_size=10, resume=tmp_path / "n.ckpt")
    assert NoisySGD.calls > 0
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in net.parameters()]),
                                  np.concatenate([p.ravel() for p in whole.parameters()]))


def test_a_registry_subclass_with_a_learning_rate_field_checkpoints_and_resumes(tmp_path):
    # Before: its checkpoint stored learning_rate among SGD's options and was refused as corrupt
    from dataclasses import dataclass

    @dataclass
    class MySGD(dp.SGD):
        learning_rate: float = 0.05

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    history = dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser=MySGD(), epochs=2, batch_size=10, checkpoint=tmp_path / "c.ckpt")
    assert history.learning_rate == [0.05, 0.05]
    resumed = dp.Network([4, 5, 3], seed=0).fit(X, y, optimiser=MySGD(), epochs=3, batch_size=10, resume=tmp_path / "c.ckpt")
    assert resumed.learning_rate == [0.05] * 3


# ---------------------------------------------------------------------- from a review of file handling (session 20)


def test_a_checkpoint_that_cannot_be_read_is_said_so_not_missing(tmp_path, monkeypatch):
    # safe_open said "No such file or directory" of a file without read permission
    import builtins

    import deltaprop.checkpoint as checkpoint_module

    path = tmp_path / "r.ckpt"
    dp.Network([3, 2], seed=0).fit(np.eye(3), [0, 1, 0], epochs=1, checkpoint=path)

    def denied(name, *args, **kwargs):
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return builtins.open(name, *args, **kwargs)

    monkeypatch.setattr(checkpoint_module, "open", denied, raising=False)
    with pytest.raises(PermissionError, match="Permission denied"):
        load_checkpoint(path)


def test_a_checkpoint_of_a_network_with_its_own_initialiser_can_be_looked_at(tmp_path, capsys):
    from deltaprop.cli import main

    def small(rng, n_out, n_in, dtype):
        return (rng.standard_normal((n_out, n_in)) * 0.01).astype(dtype)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)).astype("float32"), rng.integers(0, 3, 60)
    net = dp.Network([5, 4, 3], init=[small, "glorot_uniform"], seed=0)
    net.fit(X, y, epochs=2, checkpoint=tmp_path / "own.ckpt")
    again = load_checkpoint(tmp_path / "own.ckpt").network()  # ("init (layer 1): unknown initialiser 'small'")
    for p, q in zip(net.parameters(), again.parameters()):
        np.testing.assert_array_equal(p, q)
    assert main(["info", str(tmp_path / "own.ckpt")]) == 0 and "progress: 2 epochs done" in capsys.readouterr().out


def test_nan_in_the_best_weights_a_checkpoint_keeps_is_refused_on_resume(tmp_path):
    import struct

    from deltaprop.callbacks import EarlyStopping

    X = np.random.default_rng(0).normal(size=(80, 4))
    y = np.random.default_rng(1).integers(0, 2, 80)  # (random labels: val_loss is best early, then overfits)

    class StopAt(Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.stop = run.stop or epoch == 12

    def net():
        return dp.Network([4, 32, 2], seed=0, dtype="float64")

    path = tmp_path / "es.ckpt"
    net().fit(X, y, epochs=40, learning_rate=0.3, validation_fraction=0.3, checkpoint=path,
              callbacks=[EarlyStopping(patience=50), StopAt()])
    raw = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    kept = [k for k in header if k.startswith("callback.EarlyStopping") and k.endswith("theta.0")]
    assert kept, "the checkpoint keeps no best weights apart from its last epoch's: the test needs another epoch"
    lo, _ = header[kept[0]]["data_offsets"]
    raw[8 + n + lo : 8 + n + lo + 8] = np.array([np.nan]).tobytes()
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"^EarlyStopping: the weights of the best epoch \(\d+\) that the checkpoint keeps "
                                         r"hold NaN or infinite values \(a corrupt file\)$"):
        net().fit(X, y, epochs=40, learning_rate=0.3, validation_fraction=0.3, resume=path,
                  callbacks=[EarlyStopping(patience=50)])


def test_a_model_file_given_as_a_checkpoint_is_said_to_be_one(tmp_path):
    net = dp.Network([3, 2], seed=0)
    dp.save_model(net, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match=r"is not a deltaprop training checkpoint; it is a model file \(deltaprop.load_model "
                                         r"reads it"):
        load_checkpoint(tmp_path / "m.safetensors")


# ---------------------------------------------------------------------- from a review of extending the registries (session 21)


class Adagrad:
    """A registry optimiser that is a plain class, not a @dataclass: its setting is no field."""

    name, learning_rate, elementwise = "adagrad_plain", 0.1, True

    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def init(self, param):
        return (np.zeros_like(param),)

    def update(self, param, grad, state, eta, step):
        (G,) = state
        G += grad * grad  # G <- G + g^2;  theta <- theta - eta g / (sqrt(G) + eps)
        param -= param.dtype.type(eta) * grad / (np.sqrt(G) + param.dtype.type(self.epsilon))


@pytest.fixture
def adagrad_registered():
    dp.optimisers.OPTIMISERS["adagrad_plain"] = Adagrad
    yield Adagrad
    del dp.optimisers.OPTIMISERS["adagrad_plain"]


def _xor_data():
    X = np.random.default_rng(0).standard_normal((60, 5))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def _flat(net):
    return np.concatenate([p.ravel() for p in net.parameters()])


def test_a_registry_optimiser_that_is_no_dataclass_resumes_with_the_object_passed(tmp_path, adagrad_registered):
    # Before: its checkpoint recorded options {} as a registry optimiser's, and resuming rebuilt Adagrad() by name:
    # epsilon 1e-10 instead of the run's 1.0, silently, so the resumed run differed from the uninterrupted one.
    X, y = _xor_data()

    def net():
        return dp.Network([5, 8, 2], seed=0, dtype="float64")

    whole = net()
    whole.fit(X, y, optimiser=Adagrad(epsilon=1.0), epochs=4, batch_size=20)
    net().fit(X, y, optimiser=Adagrad(epsilon=1.0), epochs=2, batch_size=20, checkpoint=tmp_path / "a.ckpt")
    resumed = net()
    resumed.fit(X, y, optimiser=Adagrad(epsilon=1.0), epochs=4, batch_size=20, resume=tmp_path / "a.ckpt")
    np.testing.assert_array_equal(_flat(resumed), _flat(whole))
    assert load_checkpoint(tmp_path / "a.ckpt").optimiser == {"name": "adagrad_plain", "options": {}, "own": True}
    # its settings are not in the checkpoint: the object is asked for, not guessed
    with pytest.raises(ValueError, match="optimiser: the checkpoint's run used an optimiser of its own named 'adagrad_plain', "
                                         "whose settings a checkpoint does not record; pass that optimiser object"):
        net().fit(X, y, epochs=4, batch_size=20, resume=tmp_path / "a.ckpt")
    # by name (as the command line gives it, always with its defaults), the run given by name resumes exactly
    whole = net()
    whole.fit(X, y, optimiser="adagrad_plain", epochs=4, batch_size=20)
    net().fit(X, y, optimiser="adagrad_plain", epochs=2, batch_size=20, checkpoint=tmp_path / "n.ckpt")
    resumed = net()
    resumed.fit(X, y, optimiser="adagrad_plain", epochs=4, batch_size=20, resume=tmp_path / "n.ckpt")
    np.testing.assert_array_equal(_flat(resumed), _flat(whole))


def test_a_registry_optimiser_that_is_no_dataclass_continues_its_optimiser_state_with_its_settings(adagrad_registered):
    # Before: fit(optimiser_state=...) with the optimiser left out (or named) went on with Adagrad(), epsilon 1e-10
    X, y = _xor_data()
    net = dp.Network([5, 8, 2], seed=0, dtype="float64")
    state = net.fit(X, y, optimiser=Adagrad(epsilon=1.0), epochs=1, batch_size=20).optimiser_state
    for optimiser in (None, "adagrad_plain"):
        continued = dp.Network([5, 8, 2], seed=0, dtype="float64").fit(X, y, optimiser=optimiser, optimiser_state=state,
                                                                        epochs=1, batch_size=20)
        assert continued.optimiser_state.optimiser.epsilon == 1.0


def test_an_optimiser_without_a_name_resumes_with_the_same_object(tmp_path):
    # Before: its checkpoint named it by its class, SignSGD, and resuming compared that with its missing name (None)
    class SignSGD:  # the protocol: init and update; name is optional
        def init(self, param):
            return ()

        def update(self, param, grad, state, eta, step):
            param -= param.dtype.type(eta) * np.sign(grad)

    X, y = _xor_data()
    opt = SignSGD()
    whole = dp.Network([5, 4, 2], seed=0)
    whole.fit(X, y, optimiser=opt, epochs=4, batch_size=20)
    dp.Network([5, 4, 2], seed=0).fit(X, y, optimiser=opt, epochs=2, batch_size=20, checkpoint=tmp_path / "s.ckpt")
    assert load_checkpoint(tmp_path / "s.ckpt").optimiser["name"] == "SignSGD"
    resumed = dp.Network([5, 4, 2], seed=0)
    resumed.fit(X, y, optimiser=opt, epochs=4, batch_size=20, resume=tmp_path / "s.ckpt")
    np.testing.assert_array_equal(_flat(resumed), _flat(whole))
    with pytest.raises(ValueError, match="resume: the checkpoint was trained with optimiser 'SignSGD'; got 'adam'"):
        dp.Network([5, 4, 2], seed=0).fit(X, y, optimiser=dp.Adam(), epochs=4, batch_size=20, resume=tmp_path / "s.ckpt")


@pytest.fixture
def inverse_time():
    def schedule(eta0, epoch, n_epochs):
        return eta0 / (1 + epoch)  # eta = eta0 / (1 + epoch)

    dp.optimisers.SCHEDULES["inverse_time"] = schedule
    yield schedule
    del dp.optimisers.SCHEDULES["inverse_time"]


def test_a_schedule_added_to_the_registry_is_recorded_by_its_key_and_compared_on_resume(tmp_path, inverse_time):
    # Before: it was recorded as "function" (one of the caller's) and a resumed run with another schedule went on
    from deltaprop.training import _schedule_name

    assert _schedule_name(inverse_time) == "inverse_time"
    X, y = _xor_data()
    given = dict(optimiser="sgd", batch_size=20)
    dp.Network([5, 4, 2], seed=0).fit(X, y, schedule="inverse_time", epochs=2, checkpoint=tmp_path / "i.ckpt", **given)
    assert load_checkpoint(tmp_path / "i.ckpt").schedule == "inverse_time"
    for other, said in (("cosine", r"cosine\(eta_min=0.0\)"), ("constant", "constant"),
                        (lambda eta0, epoch, n: eta0, "a schedule function of its own")):
        with pytest.raises(ValueError, match=rf"schedule: the checkpoint's run was trained with the schedule "
                                             rf"SCHEDULES\['inverse_time'\]; got {said}; a resumed run needs"):
            dp.Network([5, 4, 2], seed=0).fit(X, y, schedule=other, epochs=4, resume=tmp_path / "i.ckpt", **given)
    history = dp.Network([5, 4, 2], seed=0).fit(X, y, schedule="inverse_time", epochs=4, resume=tmp_path / "i.ckpt", **given)
    assert history.learning_rate == pytest.approx([0.01, 0.005, 0.01 / 3, 0.0025])
    # the other way round: a registry name is named as such, not as "a schedule function of its own"
    dp.Network([5, 4, 2], seed=0).fit(X, y, epochs=2, checkpoint=tmp_path / "c.ckpt", **given)
    with pytest.raises(ValueError, match=r"trained with constant; got the schedule SCHEDULES\['inverse_time'\];"):
        dp.Network([5, 4, 2], seed=0).fit(X, y, schedule="inverse_time", epochs=4, resume=tmp_path / "c.ckpt", **given)


def test_a_checkpoint_naming_an_activation_this_deltaprop_lacks_says_how_to_load_it(tmp_path, monkeypatch):
    # Before: "checkpoint: ... is corrupt (activation (layer 1): unknown activation 'swish'; ...)"
    from deltaprop.activations import ACTIVATIONS, Activation

    swish = Activation("swish", lambda z: z / (1 + np.exp(-z)), lambda z, a: a + (1 - a) / (1 + np.exp(-z)))
    X, y = _xor_data()
    with monkeypatch.context() as m:
        m.setitem(ACTIVATIONS, "swish", swish)  # registered where the checkpoint is written
        dp.Network([5, 4, 2], activation="swish", seed=0).fit(X, y, epochs=1, checkpoint=tmp_path / "s.ckpt")
    with pytest.raises(ValueError, match=r"^checkpoint: .*s\.ckpt: it uses activation 'swish' \(layer 1\), which this "
                                         r"deltaprop lacks: .*ACTIVATIONS\['swish'\] = Activation\('swish', \.\.\.\), then "
                                         r"call load_checkpoint or fit\(resume=\.\.\.\)$"):
        load_checkpoint(tmp_path / "s.ckpt")
    monkeypatch.setitem(ACTIVATIONS, "swish", swish)
    assert load_checkpoint(tmp_path / "s.ckpt").network().activations[0] is swish
