"""The command line end to end: each command runs in a subprocess, as a user would run it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deltaprop.io import load_model

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
COMMANDS = ["train", "evaluate", "predict", "info"]


def deltaprop(*args, cwd=None, check=True):
    """Run `python -m deltaprop.cli ARGS`; return the CompletedProcess (stdout is a pipe, not a terminal)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "deltaprop.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"deltaprop {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small digits model trained through the CLI, with its JSON summary and files."""
    d = tmp_path_factory.mktemp("cli")
    proc = deltaprop("train", "--layers", "16", "--epochs", "4", "--batch-size", "32", "--json",
                     "--out", d / "m.safetensors", "--plot", d / "plots", "--log", d / "h.csv", "--gradient-flow", cwd=d)
    return d, json.loads(proc.stdout), proc


def test_train_json_summary_and_files(trained):
    d, summary, proc = trained
    assert summary["data"] == "digits" and summary["sizes"] == [64, 16, 10] and summary["epochs"] == 4
    assert 0.5 < summary["test_accuracy"] <= 1 and summary["n_test"] == 360
    assert len(summary["history"]["val_accuracy"]) == 4
    assert sorted(Path(f).name for f in summary["files"]) == ["confusion.png", "first_layer.png", "gradient_flow.png", "h.csv",
                                                              "history.png", "m.safetensors"]  # (--log's h.csv too)
    assert all(Path(f).exists() for f in summary["files"])
    assert len((d / "h.csv").read_text().splitlines()) == 5
    # progress went to stderr, as plain lines (not a terminal)
    assert "epoch   4/4" in proc.stderr and "ex/s" in proc.stderr
    saved = load_model(d / "m.safetensors")
    assert saved.training["test_accuracy"] == summary["test_accuracy"] and saved.image_shape == (8, 8)


def test_evaluate_json_matches_the_training_test_accuracy(trained):
    d, summary, _ = trained
    result = json.loads(deltaprop("evaluate", d / "m.safetensors", "--data", "digits", "--json").stdout)
    assert result["accuracy"] == summary["test_accuracy"]
    assert result["n_examples"] == 360
    cm = np.array(result["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 360 and np.trace(cm) / 360 == pytest.approx(result["accuracy"])
    assert [p["support"] for p in result["per_class"]] == cm.sum(axis=1).tolist()


def test_evaluate_text_report(trained):
    d, summary, _ = trained
    out = deltaprop("evaluate", d / "m.safetensors").stdout  # the data set recorded in the model
    assert f"accuracy {summary['test_accuracy']:.4f}" in out
    assert "precision" in out and "recall" in out and "confusion matrix" in out


def test_predict_labels_and_probabilities(trained, tmp_path):
    d, _, _ = trained
    from sklearn.datasets import load_digits

    raw = load_digits().data[:6]  # unscaled pixels 0..16: predict scales them as in training
    np.savetxt(tmp_path / "x.csv", raw, delimiter=",")
    np.save(tmp_path / "x.npy", raw)
    expected = load_model(d / "m.safetensors").predict(raw)
    for name in ("x.csv", "x.npy"):
        labels = deltaprop("predict", d / "m.safetensors", tmp_path / name).stdout.split()
        assert labels == [str(v) for v in expected]
    proba = deltaprop("predict", d / "m.safetensors", tmp_path / "x.csv", "--proba").stdout.splitlines()
    assert proba[0] == ",".join(str(c) for c in range(10))
    P = np.array([[float(v) for v in line.split(",")] for line in proba[1:]])
    assert P.shape == (6, 10)
    np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-4)
    assert P.argmax(axis=1).tolist() == expected.tolist()
    deltaprop("predict", d / "m.safetensors", tmp_path / "x.npy", "--out", tmp_path / "y.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)


def test_predict_rejects_inputs_of_the_wrong_width(trained, tmp_path):
    d, _, _ = trained
    np.save(tmp_path / "bad.npy", np.zeros((2, 5)))
    proc = deltaprop("predict", d / "m.safetensors", tmp_path / "bad.npy", check=False)
    assert proc.returncode == 1 and "expected 64 values per example" in proc.stderr


def test_info_text_and_json(trained):
    d, summary, _ = trained
    out = deltaprop("info", d / "m.safetensors").stdout
    params = 64 * 16 + 16 + 16 * 10 + 10
    assert f"total parameters: {params:,}" in out and "relu" in out and "softmax" in out
    assert "test_accuracy" in out
    info = json.loads(deltaprop("info", d / "m.safetensors", "--json").stdout)
    assert info["n_parameters"] == params and info["sizes"] == [64, 16, 10]
    assert info["training"]["epochs"] == 4


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_an_example(command):
    out = deltaprop(command, "--help").stdout
    assert "example" in out and f"deltaprop {command}" in out


def test_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model at all")
    proc = deltaprop("info", junk, check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("deltaprop info: error: model file") and "junk.safetensors" in proc.stderr
    debug = deltaprop("info", junk, "--debug", check=False)
    assert "Traceback" in debug.stderr and "ValueError" in debug.stderr
    bad = deltaprop("train", "--layers", "12,x", check=False)
    assert bad.returncode == 1 and "--layers" in bad.stderr and "Traceback" not in bad.stderr


def test_deltaprop_alone_trains_on_digits(tmp_path):
    proc = deltaprop(cwd=tmp_path)
    lines = proc.stdout.splitlines()
    assert "on digits" in lines[0]
    assert sum(line.startswith("epoch") for line in lines) == 20
    accuracy = float(lines[-1].split("test accuracy ")[1].split()[0])
    assert accuracy > 0.9


def test_quiet_prints_nothing(tmp_path):
    proc = deltaprop("train", "--epochs", "1", "--layers", "8", "--quiet", cwd=tmp_path)
    assert proc.stdout == ""


def fashion_available() -> bool:
    return all(any(FASHION_DIR.glob(p)) for p in ("train-images*", "train-labels*", "t10k-images*", "t10k-labels*"))


def test_predict_quotes_class_names_with_commas_and_info_shows_small_rates_and_scores(tmp_path, monkeypatch, capsys):
    # Before: predict joined fields with ",", so a class "versi,color" split the --proba header into 4 columns;
    # info printed --lr 1e-05 as 0.0000 and no score for a regression model
    import csv

    monkeypatch.chdir(tmp_path)
    X = np.array([[i % 3, (i * 7) % 5] for i in range(30)], float)
    names = np.array(["x", "versi,color", 'say "hi"'])[np.arange(30) % 3]
    with open(tmp_path / "t.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "species"])
        writer.writerows([[*x, name] for x, name in zip(X, names)])
    assert _run(["train", "--data", "t.csv", "--label", "species", "--layers", "4", "--epochs", "2", "--lr", "1e-5",
                 "--out", "t.safetensors", "--quiet"], capsys)[0] == 0
    np.save(tmp_path / "in.npy", X[:3])
    code, out, err = _run(["predict", "t.safetensors", "in.npy", "--proba"], capsys)
    table = list(csv.reader(out.splitlines()))
    assert code == 0 and table[0] == ['say "hi"', "versi,color", "x"] and all(len(row) == 3 for row in table), err
    code, out, err = _run(["predict", "t.safetensors", "in.npy", "--out", "p.csv"], capsys)
    with open(tmp_path / "p.csv", newline="") as f:
        labels = [row[0] for row in csv.reader(f)]
    assert code == 0 and labels[0] == "label" and set(labels[1:]) <= set(names) and len(labels) == 4, err
    code, out, _ = _run(["info", "t.safetensors"], capsys)
    assert code == 0 and "  learning_rate: 1e-05\n" in out and "  task: auto\n" in out
    np.savez(tmp_path / "reg.npz", X=X, y=X @ [1.0, -2.0] + 0.25)
    assert _run(["train", "--data", "reg.npz", "--epochs", "1", "--out", "r.safetensors", "--quiet"], capsys)[0] == 0
    code, out, _ = _run(["info", "r.safetensors"], capsys)
    assert code == 0 and re.search(r"\n  test_score: -?\d+\.\d{4}\n", out), out


def test_cost_and_explain_check_where_they_write_before_the_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["cost", "--plot", "missing/cost.png"], capsys)
    assert code == 1 and out == "" and "--plot: cannot write missing/cost.png; the directory missing does not exist" in err
    for flag in ("--out", "--picture"):
        code, out, err = _run(["explain", flag, "missing/x"], capsys)
        assert code == 1 and out == "" and f"{flag}: cannot write missing/x; the directory missing does not exist" in err
    # Before: "--output: 'softmax' needs at least 2 output units", though --output was not given
    code, _, err = _run(["explain", "--x", "0.1", "--t", "1", "--loss", "cross_entropy"], capsys)
    assert code == 1 and ("--loss: cross_entropy goes with a softmax output over 2 or more classes; --t gives 1 target value: "
                          "give a one-hot --t such as 0,1, or --loss binary_cross_entropy for one output") in err


@pytest.mark.skipif(
    not fashion_available() and not os.environ.get("CI"),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist); under CI this test runs and fails instead",
)
def test_fashion_mnist_done_criterion(tmp_path):
    """The issue's definition of done, verbatim: > 0.85 test accuracy, then evaluate --json."""
    proc = deltaprop("train", "--data", "fashion-mnist", "--layers", "256,128", "--epochs", "5", "--out", "m.safetensors", cwd=tmp_path)
    assert sum(line.startswith("epoch") for line in proc.stdout.splitlines()) == 5  # progress shown
    accuracy = float(proc.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.85
    result = json.loads(deltaprop("evaluate", "m.safetensors", "--data", "fashion-mnist", "--json", cwd=tmp_path).stdout)
    assert result["accuracy"] == pytest.approx(accuracy, abs=1e-4) and result["n_examples"] == 10000
    assert result["per_class"][9]["name"] == "Ankle boot"


def test_lbfgs_trains_with_progress_and_refuses_checkpoints(tmp_path):
    proc = deltaprop("train", "--optimiser", "lbfgs", "--layers", "8", "--epochs", "3", cwd=tmp_path)
    assert "epoch   3/3" in proc.stdout and "test accuracy" in proc.stdout
    assert not (tmp_path / "deltaprop-interrupted.ckpt").exists()  # no checkpoint an L-BFGS run could not resume from
    refused = deltaprop("train", "--optimiser", "lbfgs", "--checkpoint", "run.ckpt", cwd=tmp_path, check=False)
    assert refused.returncode == 1 and "--checkpoint: L-BFGS" in refused.stderr


def test_an_output_path_that_cannot_be_written_fails_before_training(tmp_path):
    proc = deltaprop("train", "--epochs", "50", "--out", "missing/m.safetensors", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "--out: cannot write missing/m.safetensors; the directory missing does not exist" in proc.stderr
    assert "epoch" not in proc.stdout


def test_a_plot_directory_that_is_a_file_fails_before_training(tmp_path):
    (tmp_path / "plots").write_text("not a directory")
    proc = deltaprop("train", "--epochs", "50", "--plot", "plots", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "--plot: expected a directory (made if missing); got the file plots" in proc.stderr
    assert "epoch" not in proc.stdout


def test_periodic_saves_keep_braces_in_the_out_name(tmp_path):
    deltaprop("train", "--layers", "8", "--epochs", "2", "--checkpoint-every", "1", "--out", "m{1}.safetensors", "--quiet", cwd=tmp_path)
    assert load_model(tmp_path / "m{1}.safetensors").network.sizes == [64, 8, 10]


def test_ctrl_c_in_the_first_epoch_exits_130_with_nothing_trained(tmp_path, monkeypatch, capsys):
    import signal

    from deltaprop import callbacks
    from deltaprop.checkpoint import load_checkpoint
    from deltaprop.cli import main

    def press_ctrl_c(self, run, batch, loss):  # at the first mini-batch, as a user would
        if batch == 0:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(callbacks.ProgressBar, "on_batch_end", press_ctrl_c)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--layers", "8", "--out", "m.safetensors"]) == 130
    err = capsys.readouterr().err
    assert "interrupted in epoch 1" in err and "--resume deltaprop-interrupted.ckpt" in err
    assert not (tmp_path / "m.safetensors").exists()
    assert load_checkpoint(tmp_path / "deltaprop-interrupted.ckpt").epochs_done == 0


@pytest.mark.parametrize("args, message", [
    (["--lr", "-1"], "--lr: expected a finite number > 0; got -1.0"),
    (["--dropout", "1.5"], "--dropout (layer 1): expected a probability in [0, 1)"),
    (["--optimiser", "sgd", "--momentum", "2"], "--momentum: expected a number in [0, 1]"),
    (["--clip-norm", "0"], "--clip-norm: expected a finite number > 0; got 0.0"),
    (["--optimiser", "lbfgs", "--clip-norm", "1"], "--clip-norm: --optimiser lbfgs has no learning rate"),
])
def test_train_errors_name_the_flag_not_the_library_argument(args, message, capsys):
    from deltaprop.cli import main

    assert main(["train", "--quiet", "--epochs", "1", *args]) == 1
    assert f"deltaprop train: error: {message}" in capsys.readouterr().err


def _run(argv, capsys):
    from deltaprop.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args, message", [
    (["--out", "/proc/m.safetensors"], "--out: cannot write /proc/m.safetensors"),  # a directory nobody can write in
    (["--log", "/proc/h.csv"], "--log: cannot write /proc/h.csv"),
    (["--checkpoint", "/proc/r.ckpt"], "--checkpoint: cannot write /proc/r.ckpt"),
    (["--plot", "/proc/plots"], "--plot: cannot make the directory /proc/plots"),
    (["--out", "same.st", "--checkpoint", "same.st"], "--out: same.st is also the file of --checkpoint; each output needs a file of its own"),
])
def test_unwritable_outputs_fail_before_training(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--epochs", "50", *args], capsys)
    assert code == 1 and message in err and "epoch" not in out + err


def test_a_resumed_run_refuses_flags_that_contradict_its_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _run(["train", "--layers", "8", "--l2", "0.001", "--epochs", "2", "--checkpoint", "r.ckpt", "--quiet"], capsys)[0] == 0
    for flags, message in [
        (["--lr", "0.1"], "--lr: the run in r.ckpt was trained with 0.001; got 0.1"),
        (["--dropout", "0.5"], "--dropout: the run in r.ckpt was trained with 0.0; got 0.5"),
        (["--layers", "16"], "--layers: the run in r.ckpt was trained with 8; got 16"),
        (["--dtype", "float64"], "--dtype: the run in r.ckpt was trained with float32; got float64"),
        (["--activation", "tanh"], "--activation: the run in r.ckpt was trained with relu; got tanh"),
        (["--l2", "0.1"], "--l2: the run in r.ckpt was trained with 0.001; got 0.1"),
        (["--epochs", "1"], "--epochs: the checkpoint's run has done 2 epochs; got 1"),
    ]:
        code, _, err = _run(["train", "--epochs", "3", "--resume", "r.ckpt", "--quiet", *flags], capsys)
        assert code == 1 and message in err, (flags, err)
    # flags left out (defaults) or the same: the checkpoint's settings, recorded as used
    code, out, _ = _run(["train", "--epochs", "3", "--resume", "r.ckpt", "--layers", "8", "--lr", "0.001", "--json"], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["epochs"] == 3 and summary["l2"] == 0.001 and summary["learning_rate"] == 0.001


def test_clip_norm_is_kept_by_a_resumed_run_and_recorded(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    common = ["train", "--layers", "8", "--optimiser", "sgd", "--lr", "0.5", "--json"]
    whole = json.loads(_run([*common, "--epochs", "3", "--clip-norm", "0.01"], capsys)[1])
    plain = json.loads(_run([*common, "--epochs", "3"], capsys)[1])
    assert whole["clip_norm"] == 0.01 and plain["clip_norm"] is None and whole["final_loss"] != plain["final_loss"]
    assert _run([*common, "--epochs", "2", "--clip-norm", "0.01", "--checkpoint", "r.ckpt"], capsys)[0] == 0
    code, _, err = _run(["train", "--epochs", "3", "--resume", "r.ckpt", "--clip-norm", "1"], capsys)
    assert code == 1 and "--clip-norm: the run in r.ckpt was trained with 0.01; got 1.0" in err
    code, out, _ = _run(["train", "--epochs", "3", "--resume", "r.ckpt", "--json"], capsys)  # the checkpoint's 0.01
    resumed = json.loads(out)
    assert code == 0 and resumed["clip_norm"] == 0.01 and resumed["final_loss"] == whole["final_loss"]


def test_predict_reads_pandas_column_numbers_as_a_header_and_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    # Before: the header row 0,1,...,63 was predicted as an example: one prediction too many, every later one a row off
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    assert _run(["train", "--layers", "8", "--epochs", "2", "--out", "m.safetensors", "--quiet"], capsys)[0] == 0
    X = np.random.default_rng(0).uniform(0, 16, size=(5, 64))
    pd.DataFrame(X).to_csv("x.csv", index=False)
    code, out, err = _run(["predict", "m.safetensors", "x.csv"], capsys)
    assert code == 0 and len(out.split()) == 5
    assert err == "deltaprop predict: warning: CSV file x.csv: its first row 0,1,...,63 is taken as column names (as pandas writes them), not as data\n"
    assert out.split() == [str(v) for v in load_model("m.safetensors").predict(X)]


def test_limit_keeps_every_class_of_the_data_set(tmp_path, monkeypatch, capsys):
    # the first 5 training digits hold 5 classes, the first 5 test digits others: the output layer has room for all
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--limit", "5", "--epochs", "1", "--validation-fraction", "0", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["sizes"][-1] == 7


def test_real_valued_targets_train_a_regression_with_the_quadratic_loss(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    np.savez(tmp_path / "reg.npz", X=X, y=X @ [1.0, -2.0, 0.5] + 0.25)
    code, _, err = _run(["train", "--data", "reg.npz", "--epochs", "1", "--loss", "cross_entropy"], capsys)
    assert code == 1 and ("--loss: cross_entropy is a loss for classes, and the targets of reg.npz are for regression (they "
                          "are real numbers, not classes); leave --loss out or give --loss quadratic") in err
    for loss in ([], ["--loss", "quadratic"]):  # the quadratic cost by default
        code, out, err = _run(["train", "--data", "reg.npz", "--epochs", "2", "--json", *loss], capsys)
        summary = json.loads(out)
        assert code == 0 and summary["sizes"][-1] == 1 and summary["loss"] == "quadratic" and "test_score" in summary, err


def test_task_regression_trains_whole_number_targets_and_evaluate_tests_the_same_rows(tmp_path, monkeypatch, capsys):
    # Before: integer prices were always classes, one output per price, and the only way out was to edit the file
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    price = np.round(40 * X[:, 0] - 20 * X[:, 1] + 300).astype(int)  # about 150 values, most of them once or twice
    (tmp_path / "p.csv").write_text("a,b,c,price\n" + "".join(f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},{t}\n" for x, t in zip(X, price)))
    code, out, err = _run(["train", "--data", "p.csv", "--label", "price", "--epochs", "1", "--json"], capsys)
    n_classes = len(np.unique(price))
    assert code == 0 and json.loads(out)["sizes"][-1] == n_classes, err
    assert (f"deltaprop train: note: the labels of p.csv are whole numbers with {n_classes} values, taken as {n_classes} "
            f"classes") in err and "if they are amounts to predict, give --task regression" in err
    code, out, err = _run(["train", "--data", "p.csv", "--label", "price", "--task", "regression", "--epochs", "3",
                           "--out", "r.safetensors", "--json", "--checkpoint", "r.ckpt"], capsys)
    summary = json.loads(out)
    assert code == 0 and "note:" not in err, err
    assert summary["sizes"] == [3, 128, 1] and summary["loss"] == "quadratic" and summary["n_test"] == 40  # 20%, at random
    code, out, err = _run(["evaluate", "r.safetensors", "--json"], capsys)
    assert code == 0 and json.loads(out)["n_examples"] == 40, err  # the rows train held out, drawn as train drew them
    assert json.loads(out)["score"] == pytest.approx(summary["test_score"], abs=1e-6)
    code, _, err = _run(["train", "--data", "p.csv", "--label", "price", "--task", "regression", "--loss", "cross_entropy",
                         "--epochs", "1"], capsys)
    assert code == 1 and ("--loss: cross_entropy is a loss for classes, and the targets of p.csv are for regression "
                          "(--task regression makes them real numbers); leave --loss out or give --loss quadratic") in err
    # a resumed run keeps the task of its checkpoint
    code, _, err = _run(["train", "--resume", "r.ckpt", "--epochs", "4", "--task", "classification"], capsys)
    assert code == 1 and "--task: the run in r.ckpt was trained with regression; got classification" in err
    code, out, err = _run(["train", "--resume", "r.ckpt", "--epochs", "4", "--json"], capsys)
    assert code == 0 and json.loads(out)["epochs"] == 4 and json.loads(out)["sizes"][-1] == 1, err
    code, _, err = _run(["train", "--data", "p.csv", "--label", "a", "--task", "classification", "--epochs", "1"], capsys)
    assert code == 1 and "--task: classification needs class labels; the labels of p.csv are real numbers such as" in err
    assert json.loads(_run(["train", "--data", "p.csv", "--label", "price", "--task", "regression", "--epochs", "1",
                            "--json"], capsys)[1])["task"] == "regression"
    # a price table too sparse to hold out classes: the error says which flag makes it a regression
    code, _, err = _run(["train", "--data", "p.csv", "--label", "price", "--limit", "40", "--epochs", "1"], capsys)
    assert code == 1 and "--limit: the first 40 rows of p.csv are too few to hold out 20% of each class" in err, err
    assert err.rstrip().endswith("if they are amounts to predict, not classes, give --task regression"), err
    # few examples per class because of --limit, or in a data set of images, is no sign of amounts: no note
    code, _, err = _run(["train", "--limit", "30", "--epochs", "1", "--quiet"], capsys)
    assert code == 0 and "note:" not in err, err


def test_models_and_checkpoints_of_before_task_read_their_labels_as_then(tmp_path, monkeypatch, capsys):
    # Labels written 1.0 were floats before --task (held out at random), int64 classes since (held out class by
    # class): a model or checkpoint that records no task reads them as then, or evaluate would test other rows
    # (some it trained on) and resume would call the data other data.
    import deltaprop as dp
    from deltaprop.data import load_dataset

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{c}.0" for (a, b), c in zip(rng.normal(size=(20, 2)), [0] * 7 + [1] * 7 + [2] * 6)]
    (tmp_path / "f.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    then = load_dataset("f.csv", test_fraction=0.2, seed=0, task=None)
    assert then.y_train.dtype == np.float64 and len(then.y_test) == 4  # at random; class by class it would be 3
    net = dp.Network([2, 8, 3], seed=0)
    net.fit(then.X_train, then.y_train, epochs=1, batch_size=64, validation_fraction=0.1, checkpoint="old.ckpt",
            checkpoint_info={"data": str(tmp_path / "f.csv"), "seed": 0, "label": None, "limit": None, "scale": "auto"})
    dp.save_model(net, "old.safetensors", scaling=then.scaling,
                  training={"data": "f.csv", "data_source": str(tmp_path / "f.csv"), "label": None, "seed": 0, "limit": None})
    code, out, err = _run(["evaluate", "old.safetensors", "--json"], capsys)
    assert code == 0 and json.loads(out)["n_examples"] == 4, err
    code, out, err = _run(["train", "--resume", "old.ckpt", "--epochs", "2", "--json"], capsys)
    assert code == 0 and json.loads(out)["epochs"] == 2 and json.loads(out)["task"] is None, err


def test_a_resumed_run_refuses_a_task_its_network_is_not(tmp_path, monkeypatch, capsys):
    # a checkpoint of before --task records none: the task given must still be the network's
    from safetensors import safe_open
    from safetensors.numpy import save

    monkeypatch.chdir(tmp_path)
    assert _run(["train", "--limit", "100", "--epochs", "1", "--checkpoint", "c.ckpt", "--quiet"], capsys)[0] == 0
    with safe_open("c.ckpt", framework="np") as f:
        meta, tensors = json.loads(f.metadata()["deltaprop"]), {k: f.get_tensor(k) for k in f.keys()}
    del meta["info"]["task"]
    (tmp_path / "c.ckpt").write_bytes(save(tensors, metadata={"deltaprop": json.dumps(meta)}))
    code, _, err = _run(["train", "--resume", "c.ckpt", "--epochs", "2", "--task", "regression"], capsys)
    assert code == 1 and "--task: the run in c.ckpt was trained with classes (a classifier); got regression" in err, err


def test_predict_out_checked_first_and_names_of_text_labels(trained, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["predict", str(trained[0] / "m.safetensors"), "in.csv", "--out", str(tmp_path)], capsys)
    assert code == 1 and f"--out: expected a file name; got the directory {tmp_path}" in err  # before reading in.csv
    rows = ["a,b,species"] + [f"{i % 3},{(i * 7) % 5},{'xyz'[i % 3]}" for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert _run(["train", "--data", "t.csv", "--label", "species", "--layers", "4", "--epochs", "2", "--out", "t.safetensors", "--quiet"], capsys)[0] == 0
    (tmp_path / "in.csv").write_text("a,b\n0,0\n1,2\n")
    code, out, err = _run(["predict", "t.safetensors", "in.csv", "--names"], capsys)
    assert code == 0 and set(out.split()) <= set("xyz") and len(out.split()) == 2, err


def test_evaluate_on_a_table_of_another_width_names_the_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rows = ["a,b,c,species"] + [f"{i % 3},{(i * 7) % 5},{i % 4},{'xyz'[i % 3]}" for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert _run(["train", "--data", "t.csv", "--label", "species", "--layers", "4", "--epochs", "2", "--out", "t.safetensors", "--quiet"], capsys)[0] == 0
    np.savez(tmp_path / "wide.npz", X=np.zeros((10, 64)), y=np.arange(10) % 3)
    code, _, err = _run(["evaluate", "t.safetensors", "--data", "wide.npz"], capsys)  # the tables' scaling is per feature
    assert code == 1 and "--data: wide.npz has 64 features per example; the model expects N_0 = 3" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_states_each_default_once(command, capsys):
    import re

    from deltaprop.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # the options' help, joined across wrapped lines
    assert "(default: None)" not in text
    for option in re.split(r"\s(?=--\w)", text):
        assert option.count("(default: ") <= 1, option
    if command == "train":
        assert "--epochs EPOCHS passes over the training set (gd, lbfgs: steps) (default: 20)" in text
        assert "--l2 L2 L2 penalty lambda (default: 0.0)" in text


def test_resume_of_sgd_keeps_its_momentum_without_the_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    common = ["train", "--layers", "8", "--optimiser", "sgd", "--quiet"]
    assert _run([*common, "--momentum", "0.5", "--epochs", "2", "--checkpoint", "r.ckpt"], capsys)[0] == 0
    assert _run([*common, "--epochs", "3", "--resume", "r.ckpt"], capsys)[0] == 0
    code, _, err = _run([*common, "--epochs", "4", "--resume", "r.ckpt", "--momentum", "0.7"], capsys)
    assert code == 1 and "--momentum: the run in r.ckpt was trained with 0.5; got 0.7" in err


def test_adamw_takes_its_weight_decay_and_a_resumed_run_keeps_it(tmp_path, monkeypatch, capsys):
    from deltaprop.checkpoint import load_checkpoint

    monkeypatch.chdir(tmp_path)
    common = ["train", "--layers", "8", "--optimiser", "adamw", "--limit", "200", "--json"]
    code, out, _ = _run([*common, "--weight-decay", "0.5", "--epochs", "2", "--checkpoint", "r.ckpt"], capsys)
    assert code == 0 and json.loads(out)["optimiser_settings"] == {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
                                                                      "weight_decay": 0.5}
    assert load_checkpoint(tmp_path / "r.ckpt").optimiser["options"]["weight_decay"] == 0.5
    code, out, _ = _run([*common, "--epochs", "3", "--resume", "r.ckpt"], capsys)
    assert code == 0 and json.loads(out)["optimiser_settings"]["weight_decay"] == 0.5
    code, _, err = _run([*common, "--epochs", "4", "--resume", "r.ckpt", "--weight-decay", "0.01"], capsys)
    assert code == 1 and "--weight-decay: the run in r.ckpt was trained with 0.5; got 0.01" in err
    code, out, _ = _run(["train", "--layers", "8", "--optimiser", "sgd", "--momentum", "0.5", "--limit", "200",
                         "--epochs", "1", "--json"], capsys)
    assert code == 0 and json.loads(out)["optimiser_settings"] == {"momentum": 0.5, "nesterov": False}


def test_json_summary_gives_dropout_as_a_list_for_any_number_of_hidden_layers(capsys):
    # One p per hidden layer 1..L-1, a list whatever their number (it was a number for one value, a list else)
    for layers, dropout in (("8", [0.25]), ("8,4", [0.25, 0.25]), ("", [])):
        code, out, _ = _run(["train", "--layers", layers, "--dropout", "0.25" if layers else "0", "--limit", "100",
                             "--epochs", "1", "--json", "--quiet"], capsys)
        assert code == 0 and json.loads(out)["dropout"] == dropout


def test_predict_names_of_a_regression_model_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    np.savez(tmp_path / "reg.npz", X=X, y=X @ [1.0, -2.0, 0.5] + 0.25)
    assert _run(["train", "--data", "reg.npz", "--loss", "quadratic", "--epochs", "1", "--out", "r.safetensors", "--quiet"], capsys)[0] == 0
    np.save(tmp_path / "in.npy", X[:4])
    code, _, err = _run(["predict", "r.safetensors", "in.npy", "--names"], capsys)
    assert code == 1 and "--names: the model has no class names" in err


@pytest.mark.skipif(
    not fashion_available() and not os.environ.get("CI"),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist); under CI this test runs and fails instead",
)
def test_a_limited_fashion_mnist_model_names_its_own_classes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["train", "--data", "fashion-mnist", "--limit", "15", "--epochs", "1", "--out", "m.safetensors", "--quiet"], capsys)
    assert code == 0, err
    saved = load_model(tmp_path / "m.safetensors")
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert len(saved.network.classes_) < 10 and saved.class_names == [names[c] for c in saved.network.classes_]


RESUMABLE = ["train", "--layers", "8", "--limit", "300", "--batch-size", "32", "--validation-fraction", "0.2", "--seed", "3",
             "--schedule", "exponential", "--quiet"]  # (a schedule of the epoch alone: the same for --epochs 2 and 4)


def test_a_resumed_run_takes_the_checkpoints_settings_for_flags_left_out(tmp_path, monkeypatch, capsys):
    # Before, each flag left out took its default: a --resume with only --epochs trained another run.
    monkeypatch.chdir(tmp_path)
    assert _run([*RESUMABLE, "--epochs", "4", "--out", "whole.safetensors"], capsys)[0] == 0
    assert _run([*RESUMABLE, "--epochs", "2", "--checkpoint", "r.ckpt"], capsys)[0] == 0
    code, _, err = _run(["train", "--quiet", "--resume", "r.ckpt", "--epochs", "4", "--out", "resumed.safetensors"], capsys)
    assert code == 0, err
    whole, resumed = load_model(tmp_path / "whole.safetensors"), load_model(tmp_path / "resumed.safetensors")
    for p, q in zip(whole.network.parameters(), resumed.network.parameters()):
        np.testing.assert_array_equal(p, q)
    assert {k: resumed.training[k] for k in ("batch_size", "seed", "schedule", "n_train", "limit")} == {
        "batch_size": 32, "seed": 3, "schedule": "exponential", "n_train": 300, "limit": 300}
    # --epochs too: the run's total, 4 since the resume above (so nothing is left to do)
    code, out, err = _run(["train", "--resume", "r.ckpt", "--json"], capsys)
    assert code == 0 and json.loads(out)["epochs"] == 4, err


def test_a_resumed_run_refuses_a_flag_given_at_its_default_that_contradicts_the_checkpoint(tmp_path, monkeypatch, capsys):
    # Before, a flag given at its default value passed unchecked: the network flags silently kept the
    # checkpoint's values, the others silently trained with the default.
    monkeypatch.chdir(tmp_path)
    trained = [*RESUMABLE, "--activation", "tanh", "--l2", "0.001", "--dropout", "0.1", "--dtype", "float64", "--scale", "unit",
               "--optimiser", "sgd", "--momentum", "0.5", "--epochs", "2", "--checkpoint", "r.ckpt"]
    assert _run(trained, capsys)[0] == 0
    for flags, message in [
        (["--layers", "128"], "--layers: the run in r.ckpt was trained with 8; got 128"),
        (["--activation", "relu"], "--activation: the run in r.ckpt was trained with tanh; got relu"),
        (["--l2", "0"], "--l2: the run in r.ckpt was trained with 0.001; got 0.0"),
        (["--dropout", "0"], "--dropout: the run in r.ckpt was trained with 0.1; got 0.0"),
        (["--dtype", "float32"], "--dtype: the run in r.ckpt was trained with float64; got float32"),
        (["--optimiser", "adam"], "--optimiser: the run in r.ckpt was trained with sgd; got adam"),
        (["--momentum", "0.9"], "--momentum: the run in r.ckpt was trained with 0.5; got 0.9"),
        (["--batch-size", "64"], "--batch-size: the run in r.ckpt was trained with 32; got 64"),
        (["--validation-fraction", "0.1"], "--validation-fraction: the run in r.ckpt was trained with 0.2; got 0.1"),
        (["--seed", "0"], "--seed: the run in r.ckpt was trained with 3; got 0"),
        (["--schedule", "constant"], "--schedule: the run in r.ckpt was trained with exponential; got constant"),
        (["--scale", "auto"], "--scale: the run in r.ckpt was trained with unit; got auto"),
        (["--limit", "100"], "--limit: the run in r.ckpt was trained with 300; got 100"),
    ]:
        code, out, err = _run(["train", "--epochs", "3", "--resume", "r.ckpt", *flags], capsys)
        assert code == 1 and message in err and err.count("\n") == 1 and "epoch" not in out, (flags, err)
    # the same values, given or left out, resume
    code, out, err = _run([*trained[:-2], "--epochs", "3", "--resume", "r.ckpt", "--json"], capsys)
    assert code == 0 and json.loads(out)["epochs"] == 3, err


def test_a_resumed_run_refuses_other_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).normal(size=(120, 64))
    np.savez(tmp_path / "a.npz", X=X, y=np.arange(120) % 4)
    # the same shapes, other values (X + 1e-3 is not: standardised in float64 it is X's own)
    np.savez(tmp_path / "b.npz", X=np.random.default_rng(1).normal(size=(120, 64)), y=np.arange(120) % 4)
    np.savez(tmp_path / "narrow.npz", X=X[:, :5], y=np.arange(120) % 4)
    assert _run(["train", "--data", "a.npz", "--layers", "4", "--epochs", "2", "--checkpoint", "r.ckpt", "--quiet"], capsys)[0] == 0
    for data, message in [
        ("b.npz", r"--data: the run in r.ckpt was trained on other data \(X of shape \(96, 64\), y of shape \(96,\), CRC-32 "
                  r"[0-9a-f]{8}\); got b.npz \(X of shape \(96, 64\), y of shape \(96,\), CRC-32 [0-9a-f]{8}\)"),
        ("digits", r"--data: the run in r.ckpt was trained on other data \(.*\); got digits \(X of shape \(1437, 64\)"),
        ("narrow.npz", "--data: the network of the run in r.ckpt takes N_0 = 64 features per example; got narrow.npz with 5"),
    ]:
        code, out, err = _run(["train", "--data", data, "--epochs", "3", "--resume", "r.ckpt", "--quiet"], capsys)
        assert code == 1 and re.search(message, err) and err.count("\n") == 1, (data, err)
    # the same file by another name, or left out: the checkpoint's data
    for flags in (["--data", str(tmp_path / "a.npz")], []):
        code, out, err = _run(["train", *flags, "--epochs", "3", "--resume", "r.ckpt", "--json"], capsys)
        assert code == 0 and json.loads(out)["data"] == "a.npz" and json.loads(out)["n_train"] == 96, err


# ---------------------------------------------------------------- a user's walk-through: findings and their fixes


def _sorted_table(path, n_per_class=10):
    """A table sorted by class, as iris is: the first rows all hold class 'a'."""
    rows = ["u,v,species"] + [f"{i % 7},{(i * 3) % 5},{c}" for c in "ab" for i in range(n_per_class)]
    path.write_text("\n".join(rows) + "\n")


def test_too_few_classes_name_limit_or_data_before_the_network_is_built(tmp_path, monkeypatch, capsys):
    # Before: a 1-output network, then "y: binary classification needs 2 classes; got only ['a']", naming neither flag.
    monkeypatch.chdir(tmp_path)
    _sorted_table(tmp_path / "sorted.csv")
    code, out, err = _run(["train", "--data", "sorted.csv", "--label", "species", "--limit", "10", "--epochs", "1"], capsys)
    assert code == 1 and err.count("\n") == 1 and "epoch" not in out, err
    assert ("deltaprop train: error: --limit: the first 10 rows of sorted.csv hold only 1 class (['a']); "
            "training needs at least 2: raise --limit, or shuffle the rows of the file") in err
    (tmp_path / "one.csv").write_text("u,v,species\n" + "".join(f"{i},{i % 3},a\n" for i in range(10)))
    code, _, err = _run(["train", "--data", "one.csv", "--label", "species", "--epochs", "1"], capsys)
    assert code == 1 and "--data: one.csv holds only 1 class (['a']) in its label column 'species'; training needs at least 2" in err


def test_regression_targets_beyond_float32_name_the_data_and_dtype(tmp_path, monkeypatch, capsys):
    # Before: "y: expected finite values; got NaN or infinity", naming neither the file nor a remedy.
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i % 7},{i % 5},{'-2e39' if i == 9 else i / 4}\n" for i in range(40))
    (tmp_path / "big.csv").write_text("u,v,target\n" + rows)
    code, out, err = _run(["train", "--data", "big.csv", "--label", "target", "--loss", "quadratic", "--epochs", "1"], capsys)
    assert code == 1 and "epoch" not in out, err
    assert ("deltaprop train: error: --data: the targets of big.csv reach 2e+39, beyond the range of float32 (about 3.4e+38); "
            "rescale them, or give --dtype float64") in err
    code, _, err = _run(["train", "--data", "big.csv", "--label", "target", "--loss", "quadratic", "--epochs", "1",
                         "--dtype", "float64", "--quiet"], capsys)
    assert code == 0, err
    # class labels that happen to be large floats are classes, one-hot encoded: not refused
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "classes.npz", X=rng.normal(size=(40, 3)), y=np.where(np.arange(40) % 2, 1e39, 0.0))
    code, _, err = _run(["train", "--data", "classes.npz", "--epochs", "1", "--quiet"], capsys)
    assert code == 0, err


def test_a_validation_split_too_small_names_limit_before_training(tmp_path, monkeypatch, capsys):
    # Before: "--validation-fraction: 0.1 of 3 examples leaves an empty training or validation set", from fit.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mixed.csv").write_text("u,v,species\n" + "".join(f"{i % 7},{i % 5},{'ab'[i % 2]}\n" for i in range(40)))
    code, out, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--limit", "5", "--epochs", "1"], capsys)
    assert code == 1 and "epoch" not in out, err
    assert ("deltaprop train: error: --limit: 5 leaves 4 training examples of mixed.csv, too few to hold out "
            "--validation-fraction 0.1 (0 of them) and train on the rest: that needs 6 or more; raise --limit, "
            "or give --validation-fraction 0") in err
    # Before: "--data: 4 examples are too few to hold out 20% for testing", blaming the file for --limit's cut.
    code, out, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--limit", "4", "--epochs", "1"], capsys)
    assert code == 1 and ("deltaprop train: error: --limit: the first 4 rows of mixed.csv are too few to hold out 20% "
                          "of each class for testing (a class's last row stays in training)") in err, err
    # a --limit above the file's rows cut nothing: the data are blamed, and raising --limit is not advised
    (tmp_path / "four.csv").write_text("u,v,species\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n")
    code, _, err = _run(["train", "--data", "four.csv", "--label", "species", "--limit", "1000", "--epochs", "1"], capsys)
    assert code == 1 and "error: --data: 4 examples are too few to hold out 20% for testing" in err, err
    (tmp_path / "five.csv").write_text("u,v,species\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,0,a\n")
    code, _, err = _run(["train", "--data", "five.csv", "--label", "species", "--limit", "1000", "--epochs", "1"], capsys)
    assert code == 1 and "error: --validation-fraction: five.csv has 4 training examples, too few" in err, err
    assert "raise --limit" not in err
    code, _, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--limit", "40", "--epochs", "1",
                         "--validation-fraction", "0.99"], capsys)
    assert code == 1 and "hold out --validation-fraction 0.99 (32 of them) and train on the rest: that needs 51 or more" in err
    # a fraction near 1 is answered at once and printed as given (":g" printed 0.99999999 as 1)
    code, _, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--epochs", "1",
                         "--validation-fraction", "0.999999999999"], capsys)
    assert code == 1 and "--validation-fraction 0.999999999999 (32 of them)" in err and "that needs 500,011,061,105 or more" in err  # (1 - f in floats)
    code, _, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--limit", "6", "--epochs", "1",
                         "--validation-fraction", "0.2"], capsys)
    assert code == 0, err  # 5 training examples: 1 held out, 4 to train on
    code, _, err = _run(["train", "--data", "mixed.csv", "--label", "species", "--epochs", "1", "--validation-fraction", "0.999"], capsys)
    assert code == 1 and "error: --validation-fraction: mixed.csv has 32 training examples, too few" in err


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "cifar"], "deltaprop train: error: --data: 'cifar' is neither a known data set"),
    (["train", "--resume", "missing.ckpt"], "deltaprop train: error: --resume: checkpoint missing.ckpt: no such file"),
    (["train", "--resume", "model.safetensors"],
     "deltaprop train: error: --resume: expected a training checkpoint; model.safetensors is a deltaprop model file"),
    (["train", "--data", "plain.npy", "--label", "7"], "deltaprop train: error: --label: expected a column number in [-5, 4]; got 7"),
    (["chain", "--f", "softmax"], "deltaprop chain: error: --f: expected an element-wise activation"),
    (["cost", "--widths", "0"], "deltaprop cost: error: --widths: expected a non-empty sequence of integers >= 1"),
    (["train", "--optimiser", "lbfgs", "--dropout", "0.3"],
     "deltaprop train: error: --optimiser: lbfgs needs a cost C(theta) that does not change between evaluations; "
     "--dropout 0.3 drops units at random"),
    (["predict", "regression.safetensors", "in.npy", "--proba"],
     "deltaprop predict: error: --proba: needs a model trained with a cross-entropy loss"),
])
def test_errors_name_the_flag_not_the_python_argument(argv, message, tmp_path, monkeypatch, capsys):
    from deltaprop.io import save_model
    from deltaprop.network import Network

    monkeypatch.chdir(tmp_path)
    save_model(Network([64, 4, 10], seed=0), tmp_path / "model.safetensors")
    save_model(Network([3, 1], output="identity", loss="quadratic", seed=0), tmp_path / "regression.safetensors")
    np.save(tmp_path / "plain.npy", np.arange(30.0).reshape(6, 5))
    np.save(tmp_path / "in.npy", np.zeros((2, 3)))
    code, _, err = _run(argv, capsys)
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert "(use predict_output)" not in err and "dropout=[" not in err


@pytest.mark.parametrize("flags, message", [
    (["--data", "digits", "--label", "species"],
     "--label: names the label column of a .csv/.npy/.npz file; 'digits' is a built-in data set with its own labels"),
    (["--momentum", "0.5"], "--momentum: the momentum of sgd; --optimiser adam has none (got --momentum 0.5)"),
    (["--optimiser", "gd", "--momentum", "0.9"], "--momentum: the momentum of sgd; --optimiser gd has none"),
    (["--weight-decay", "0.1"], "--weight-decay: the decoupled weight decay of adamw; --optimiser adam has none "
                                "(got --weight-decay 0.1)"),
    (["--optimiser", "adamw", "--weight-decay", "-1"], "--weight-decay: expected a number >= 0; got -1.0"),
    (["--optimiser", "lbfgs", "--schedule", "cosine"], "--schedule: --optimiser lbfgs has no learning rate"),
    (["--optimiser", "lbfgs", "--lr", "0.1"], "--lr: --optimiser lbfgs has no learning rate"),
    (["--optimiser", "lbfgs", "--reduce-lr", "2"], "--reduce-lr: --optimiser lbfgs has no learning rate"),
    (["--optimiser", "gd", "--batch-size", "8"], "--batch-size: --optimiser gd takes every training example in every step"),
    (["--data", "missing.csv", "--lr", "-1"], "--lr: expected a finite number > 0; got -1.0"),  # before the data, not after
])
def test_flags_that_would_be_ignored_or_refused_late_are_refused_first(flags, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--epochs", "1", "--limit", "50", *flags], capsys)
    assert code == 1 and f"deltaprop train: error: {message}" in err and err.count("\n") == 1 and "epoch" not in out, err


def test_evaluate_refuses_a_label_for_a_named_data_set(trained, capsys):
    code, _, err = _run(["evaluate", str(trained[0] / "m.safetensors"), "--label", "species"], capsys)
    assert code == 1 and "--label: names the label column of a .csv/.npy/.npz file; 'digits' is a built-in data set" in err


def test_a_diverging_run_reports_one_line_without_numpy_warnings(tmp_path):
    proc = deltaprop("train", "--optimiser", "sgd", "--lr", "1e4", "--loss", "quadratic", "--output", "identity",
                     "--epochs", "3", "--limit", "100", "--layers", "8", "--quiet", cwd=tmp_path, check=False)
    # Before: "...; try a smaller learning rate than 10000. The network keeps its parameters from the start of
    # epoch 1.", the Python API's advice, naming no flag and a network the command does not keep.
    assert proc.returncode == 1, proc.stderr
    assert "deltaprop train: error: --lr: training diverged: the cost became inf in epoch " in proc.stderr
    assert "at learning rate 10000; try a smaller --lr\n" in proc.stderr and "keeps" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "RuntimeWarning" not in proc.stderr, proc.stderr


def _help(command, capsys) -> str:
    from deltaprop.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_help_says_which_pictures_which_monitor_and_which_rows(capsys):
    train = _help("train", capsys)
    # --plot: which pictures apply when
    assert ("--plot DIR write pictures here: history.png; for a classifier also confusion.png (the test set's confusion "
            "matrix); for images (digits, fashion-mnist, mnist, an IDX directory) also first_layer.png") in train
    # --early-stopping and --reduce-lr: what each does without validation data
    assert "(needs validation data: refused with --validation-fraction 0)" in train
    assert "halve the learning rate when the validation loss (with --validation-fraction 0: the training loss)" in train
    # --limit: the first N rows of a table are split after the limit; evaluate has no training examples
    assert "of a .csv/.npy/.npz file the first N rows, of which 20% are then held out for testing" in train
    evaluate = _help("evaluate", capsys)
    limit = evaluate.split("--limit N ")[1].split(" --plot")[0]
    assert "the first N test examples" in limit and "training and" not in limit


def test_evaluate_refuses_a_model_whose_training_summary_names_an_unknown_task(tmp_path, monkeypatch, capsys):
    from deltaprop import Network
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    save_model(Network([64, 10], seed=0), tmp_path / "m.safetensors", training={"data": "digits", "task": "clustering"})
    code, _, err = _run(["evaluate", "m.safetensors"], capsys)
    assert code == 1 and ("MODEL: the training summary of the model records task 'clustering'; expected one of 'auto', "
                          "'classification', 'regression' (a damaged file?)") in err, err


def test_evaluate_refuses_plot_for_a_regression_model(tmp_path, monkeypatch, capsys):
    from deltaprop.io import save_model
    from deltaprop.network import Network

    monkeypatch.chdir(tmp_path)
    save_model(Network([3, 1], output="identity", loss="quadratic", seed=0), tmp_path / "r.safetensors")
    np.savez(tmp_path / "reg.npz", X=np.zeros((10, 3)), y=np.linspace(0, 1, 10))
    code, _, err = _run(["evaluate", "r.safetensors", "--data", "reg.npz", "--plot", "plots"], capsys)
    assert code == 1 and "--plot: draws the confusion matrix of a classifier; r.safetensors is a regression" in err, err


def test_evaluate_per_class_table_lines_up_with_its_header(trained):
    out = deltaprop("evaluate", trained[0] / "m.safetensors").stdout.splitlines()
    start = out.index(next(line for line in out if line.startswith("class")))
    header, rows = out[start], out[start + 1 : start + 11]
    assert header == "class  precision  recall  support"
    for row in rows:  # each column ends where its heading ends
        assert len(row) == len(header), (header, row)
        assert row[: len("class")].rstrip() in [str(c) for c in range(10)] and row[len("class")] == " "


def test_a_data_file_given_as_the_model_says_the_model_comes_first(trained, tmp_path, monkeypatch, capsys):
    import gzip

    monkeypatch.chdir(tmp_path)
    model = str(trained[0] / "m.safetensors")
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    (tmp_path / "images.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(16)))
    for data, what in [("x.npy", "a NumPy .npy array"), ("images.gz", "gzip-compressed data")]:
        code, _, err = _run(["predict", data, model], capsys)
        assert code == 1 and err.count("\n") == 1, err
        assert f"MODEL: expected a model file written by `deltaprop train --out`; {data} looks like data ({what}" in err
        assert "The model comes first: deltaprop predict MODEL INPUT" in err and "header says" not in err


def test_info_describes_a_training_checkpoint_and_other_commands_say_what_it_is(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _run(["train", "--layers", "8", "--limit", "60", "--epochs", "2", "--optimiser", "sgd", "--checkpoint", "run.ckpt",
                 "--early-stopping", "3", "--quiet"], capsys)[0] == 0
    code, out, err = _run(["info", "run.ckpt"], capsys)
    assert code == 0, err
    assert "run.ckpt: deltaprop training checkpoint" in out and "progress: 2 of 2 epochs done" in out
    assert "--early-stopping 3" in out  # the flag as typed (before: --early_stopping)
    assert "optimiser: sgd, learning rate 0.01 (momentum 0.9" in out and "total parameters: 610" in out
    code, out, err = _run(["info", "run.ckpt", "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["epochs_done"] == 2 and info["optimiser"] == "sgd" and info["sizes"] == [64, 8, 10]
    code, _, err = _run(["evaluate", "run.ckpt"], capsys)
    assert code == 1 and "MODEL: expected a model file written by `deltaprop train --out`; run.ckpt is a training checkpoint" in err
    with pytest.raises(ValueError, match="run.ckpt: a deltaprop training checkpoint, not a model file"):
        load_model(tmp_path / "run.ckpt")  # the library says so too


def test_gd_reports_the_whole_set_as_its_batch(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--optimiser", "gd", "--layers", "4", "--limit", "40", "--epochs", "2", "--json",
                           "--out", "gd.safetensors"], capsys)
    assert code == 0 and json.loads(out)["batch_size"] == "all", err
    code, out, _ = _run(["info", "gd.safetensors"], capsys)
    assert code == 0 and "  batch_size: all" in out
    # sgd and adam: the batch size each step took, at most the training examples (40 less 4 for validation)
    code, out, err = _run(["train", "--optimiser", "sgd", "--layers", "4", "--limit", "40", "--epochs", "1", "--json"], capsys)
    assert code == 0 and json.loads(out)["batch_size"] == 36, err


def test_a_resumed_run_finds_its_data_file_from_another_directory(tmp_path, monkeypatch, capsys):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    rows = "\n".join(",".join(f"{v:g}" for v in X[i]) + f",{y[i]}" for i in order)
    (tmp_path / "iris.csv").write_text("a,b,c,d,label\n" + rows + "\n")
    monkeypatch.chdir(tmp_path)
    assert _run(["train", "--data", "./iris.csv", "--layers", "4", "--epochs", "1", "--quiet", "--checkpoint", "r.ckpt"], capsys)[0] == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, _, err = _run(["train", "--resume", "../r.ckpt", "--epochs", "2", "--quiet"], capsys)
    assert code == 0, err  # the checkpoint recorded the file's absolute path, not './iris.csv'


def test_the_default_checkpoint_keeps_an_earlier_interrupted_runs_and_an_unwritable_place_is_no_refusal(
        tmp_path, monkeypatch, capsys):
    """Ctrl-C's default checkpoint: a second interrupted run used to replace the first one's resumable state, and a
    working directory without write access refused a run that had asked for no checkpoint."""
    import deltaprop.training

    def interrupted_fit(net, X, y, **options):  # (a Ctrl-C in the first epoch: fit writes the checkpoint it was given)
        (Path(options["checkpoint"])).write_text("state")
        history = deltaprop.training.History(stop_reason="interrupted in epoch 1; parameters of epoch 0 kept")
        net.history = history
        return history

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("deltaprop.network.Network.fit", interrupted_fit)
    (tmp_path / "deltaprop-interrupted.ckpt").mkdir()  # (a directory of that name is kept as well)
    (tmp_path / "deltaprop-interrupted-2.ckpt").write_text("an earlier run's state")
    code, _, err = _run(["train", "--limit", "50", "--epochs", "1", "--layers", "4", "--quiet"], capsys)
    assert code == 130 and "--resume deltaprop-interrupted-3.ckpt" in err, err
    assert (tmp_path / "deltaprop-interrupted-2.ckpt").read_text() == "an earlier run's state"
    assert (tmp_path / "deltaprop-interrupted-3.ckpt").read_text() == "state"
    monkeypatch.undo()
    monkeypatch.chdir("/proc")  # (a directory nobody can write in, root included)
    code, _, err = _run(["train", "--limit", "50", "--epochs", "1", "--layers", "4", "--quiet"], capsys)
    assert code == 0, err
    assert "note: Ctrl-C will stop training without saving its state" in err


def _table_and_model(tmp_path, labels=None, **network):
    """t.csv (columns a, b, c, label) and m.safetensors, a model made through the Python API (no training run)."""
    from deltaprop import Network
    from deltaprop.io import save_model

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int) if labels is None else labels
    np.savetxt(tmp_path / "t.csv", np.column_stack([X, (X[:, 0] > 0)]), delimiter=",", header="a,b,c,label", comments="")
    net = Network([3, 4, 1 if network.get("output") == "identity" else 2], seed=0, **network)
    net.fit(X, y, epochs=1)
    save_model(net, tmp_path / "m.safetensors")
    return X, net


@pytest.mark.parametrize("argv, message", [
    # Before: each wrote over the file (the data, the log, the checkpoint) and exited 0
    (["predict", "m.safetensors", "t.csv", "--out", "./t.csv"], "--out: ./t.csv is the file given as INPUT (t.csv)"),
    (["predict", "m.safetensors", "t.csv", "--out", "m.safetensors"], "--out: m.safetensors is the file given as MODEL"),
    (["train", "--data", "t.csv", "--out", "t.csv"], "--out: t.csv is the file given as --data"),
    (["train", "--data", "t.csv", "--log", "link.csv"], "--log: link.csv is the file given as --data (t.csv)"),
    (["train", "--data", "t.csv", "--log", "x", "--out", "x"], "--out: x is also the file of --log"),
    (["train", "--data", "t.csv", "--checkpoint", "c", "--log", "c"], "--log: c is also the file of --checkpoint"),
    (["train", "--data", "t.csv", "--out", "same.st", "--checkpoint", "./same.st"],
     "--out: same.st is also the file of --checkpoint (./same.st)"),
    (["train", "--data", "t.csv", "--out", "p/history.png", "--plot", "p"], "--out: p/history.png is also the file of --plot"),
    (["train", "--data", "t.csv", "--log", "deltaprop-interrupted.ckpt"],
     "--log: deltaprop-interrupted.ckpt is also the file of --checkpoint (default deltaprop-interrupted.ckpt)"),
    (["evaluate", "m.safetensors", "--data", "t.csv", "--plot", "."], None),  # confusion.png: no input's file
])
def test_an_output_that_is_an_input_or_another_output_is_refused_before_the_work(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _table_and_model(tmp_path)
    (tmp_path / "link.csv").symlink_to("t.csv")
    (tmp_path / "p").mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = _run([*argv, "--epochs", "50"] if argv[0] == "train" else argv, capsys)
    if message is None:
        assert code == 0 and (tmp_path / "confusion.png").exists(), err
        return
    assert code == 1 and f"deltaprop {argv[0]}: error: {message}" in err and "epoch" not in out + err, err
    assert err.count("\n") == 1 and {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_a_resumed_run_may_write_its_checkpoint_again_but_not_the_model_over_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _table_and_model(tmp_path)
    assert _run(["train", "--data", "t.csv", "--epochs", "1", "--checkpoint", "c.ckpt", "--quiet"], capsys)[0] == 0
    code, _, err = _run(["train", "--resume", "c.ckpt", "--epochs", "2", "--checkpoint", "c.ckpt", "--quiet"], capsys)
    assert code == 0, err
    code, _, err = _run(["train", "--resume", "c.ckpt", "--epochs", "3", "--out", "c.ckpt", "--quiet"], capsys)
    assert code == 1 and "--out: c.ckpt is the file given as --resume" in err, err
    # the data file the checkpoint recorded (no --data given) is an input too
    code, _, err = _run(["train", "--resume", "c.ckpt", "--epochs", "3", "--log", "t.csv", "--quiet"], capsys)
    assert code == 1 and "--log: t.csv is the file given as --data" in err, err


def test_predictions_are_written_with_the_digits_of_the_networks_dtype(tmp_path, monkeypatch, capsys):
    # Before: "%.6g": 1234567.25 was written as 1.23457e+06
    from deltaprop import Network
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    for dtype, text in (("float64", "1234567.25"), ("float32", "1.2345672e+06")):  # (the shortest that reads back)
        net = Network([1, 1], output="identity", loss="quadratic", dtype=dtype, seed=0)
        net.weights[0][:] = 1
        net.biases[0][:] = 0
        save_model(net, tmp_path / "m.safetensors")
        np.save(tmp_path / "x.npy", np.array([[1234567.25], [0.1]]))
        code, out, err = _run(["predict", "m.safetensors", "x.npy"], capsys)
        assert code == 0 and out.split() == [text, "0.1"], (dtype, out, err)
        assert np.dtype(dtype).type(text) == np.dtype(dtype).type(1234567.25)
        assert _run(["predict", "m.safetensors", "x.npy", "--out", "p.csv"], capsys)[0] == 0
        assert (tmp_path / "p.csv").read_text().split() == ["label", text, "0.1"]
    X, net = _table_and_model(tmp_path)
    code, out, err = _run(["predict", "m.safetensors", "t.csv", "--proba"], capsys)
    proba = np.array([[np.float32(v) for v in line.split(",")] for line in out.splitlines()[1:]])
    assert code == 0 and np.array_equal(proba, net.predict_proba(X)), err  # exact: each number reads back as itself


@pytest.mark.parametrize("labels, shown", [
    (np.array(["no", "yes"], dtype=object), ["no", "yes"]),  # text in an object array (the Python API)
    (np.array([b"no", b"yes"]), ["no", "yes"]),  # bytes: as text, not b'no'
])
def test_predict_writes_object_and_bytes_labels_of_python_api_models(labels, shown, tmp_path, monkeypatch, capsys):
    # Before: --out x.npy of object labels failed ("Object arrays cannot be saved when allow_pickle=False"), --names
    # refused text in an object array, and bytes printed as b'no'
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).normal(size=(40, 3))
    _, net = _table_and_model(tmp_path, labels=labels[(X[:, 0] > 0).astype(int)])
    expected = [v.decode("latin-1") if isinstance(v, bytes) else v for v in net.predict(X).tolist()]
    assert set(expected) <= set(shown)
    for extra in ([], ["--names"]):
        code, out, err = _run(["predict", "m.safetensors", "t.csv", *extra], capsys)
        assert code == 0 and out.split() == expected, err
    code, out, err = _run(["predict", "m.safetensors", "t.csv", "--out", "p.csv"], capsys)
    assert code == 0 and (tmp_path / "p.csv").read_text().split() == ["label", *expected], err
    code, out, err = _run(["predict", "m.safetensors", "t.csv", "--out", "p.npy"], capsys)
    stored = np.load(tmp_path / "p.npy")  # (allow_pickle=False: no object array)
    assert code == 0 and [v.decode("latin-1") if isinstance(v, bytes) else v for v in stored.tolist()] == expected, err


@pytest.mark.parametrize("argv, message", [
    # Before: NumPy's MemoryError, as a traceback
    (["cost", "--widths", "100000000"], "--widths: expected sizes whose parameters fit in this machine's memory"),
    (["train", "--layers", "10000000000", "--epochs", "1"], "--layers: expected sizes whose parameters fit in this machine's memory"),
    (["explain", "--layers", "10000000000"], "--layers: expected sizes whose parameters fit in this machine's memory"),
])
def test_sizes_too_big_for_memory_name_the_flag(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(argv, capsys)
    assert code == 1 and f"deltaprop {argv[0]}: error: {message}" in err and err.count("\n") == 1, err
    assert "GiB" in err and "parameters" in err


def test_a_memory_error_is_one_line(monkeypatch, capsys):
    import deltaprop.cost

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 71.1 PiB for an array with shape (100000000, 100000000)")

    monkeypatch.setattr(deltaprop.cost, "measure_cost", out_of_memory)
    code, _, err = _run(["cost", "--widths", "4"], capsys)
    assert code == 1 and err == ("deltaprop cost: error: not enough memory: Unable to allocate 71.1 PiB for an array with "
                                 "shape (100000000, 100000000); give smaller sizes or less data\n")


def test_evaluate_checks_plot_first_and_names_data_in_label_errors(tmp_path, monkeypatch, capsys):
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    _table_and_model(tmp_path)
    (tmp_path / "afile").write_text("")
    # Before: "[Errno 17] File exists: 'afile'", after the evaluation; a raw Errno 2 for /proc/x
    code, out, err = _run(["evaluate", "m.safetensors", "--data", "t.csv", "--plot", "afile"], capsys)
    assert code == 1 and out == "" and "--plot: expected a directory (made if missing); got the file afile" in err, err
    code, out, err = _run(["evaluate", "m.safetensors", "--data", "t.csv", "--plot", "/proc/x"], capsys)
    assert code == 1 and out == "" and "--plot: cannot make the directory /proc/x" in err, err
    # Before: "y_true: labels [0, 1] are not among the classes ['no', 'yes']"
    _table_and_model(tmp_path, labels=np.array(["no", "yes"])[np.arange(40) % 2])
    code, _, err = _run(["evaluate", "m.safetensors", "--data", "t.csv"], capsys)
    assert code == 1 and "error: --data: labels [0, 1] are not among the classes" in err, err
    # Before: "--data: '.../gone.csv' is neither a known data set ... nor an existing file", though no --data was given
    saved = load_model(tmp_path / "m.safetensors")
    save_model(saved.network, tmp_path / "m.safetensors", training={"data": "gone.csv", "data_source": str(tmp_path / "gone.csv")})
    code, _, err = _run(["evaluate", "m.safetensors"], capsys)
    assert code == 1 and (f"--data: not given, and the data the model was trained on, {tmp_path / 'gone.csv'}, is gone" in err
                          and "give --data" in err), err


@pytest.mark.parametrize("argv, flag", [
    (["predict", "m.safetensors", "NAME.csv"], "input file"),
    (["predict", "NAME.st", "t.csv"], "model file"),
    (["predict", "m.safetensors", "t.csv", "--out", "NAME.csv"], "--out"),
    (["train", "--data", "NAME.csv"], "--data"),
    (["train", "--data", "NAME.csv", "--label", "y"], "--data"),
    (["evaluate", "m.safetensors", "--data", "NAME.csv"], "--data"),
    (["evaluate", "m.safetensors", "--plot", "NAME"], "--plot"),
])
def test_a_file_name_too_long_names_the_argument(argv, flag, tmp_path, monkeypatch, capsys):
    # Before: "[Errno 36] File name too long: 'aaa...'", naming no argument
    monkeypatch.chdir(tmp_path)
    _table_and_model(tmp_path)
    code, _, err = _run([a.replace("NAME", "a" * 300) for a in argv], capsys)
    assert code == 1 and err.startswith(f"deltaprop {argv[0]}: error: {flag}") and "[Errno" not in err, err
    assert "too long" in err


@pytest.mark.parametrize("x", ["0.1,,0.2", "0.1,0.2,", "0.1,nan"])
def test_explain_refuses_an_empty_or_non_finite_field_of_x(x, capsys):
    # Before: '0.1,,0.2' was x = (0.1, 0.2), the empty field dropped (--layers 2,,3 is refused)
    code, out, err = _run(["explain", "--x", x], capsys)
    assert code == 1 and out == "" and f"--x: expected" in err and repr(x) in err, err


def test_the_poisson_loss_trains_counts_as_amounts(tmp_path, monkeypatch, capsys):
    # counts are whole numbers, which --task auto takes as classes: with --loss poisson they are amounts
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    np.savez(tmp_path / "counts.npz", X=X, y=rng.poisson(np.exp(0.5 * X[:, 0] + 0.3)))
    code, out, _ = _run(["train", "--data", "counts.npz", "--loss", "poisson", "--layers", "4", "--epochs", "2", "--json"], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["task"] == "regression" and summary["activations"] == ["relu", "exp"]
    assert summary["sizes"] == [3, 4, 1]
    code, _, err = _run(["train", "--data", "counts.npz", "--loss", "poisson", "--task", "classification", "--epochs", "1"], capsys)
    assert code == 1 and "--loss: poisson is a loss for amounts (counts, rates), and --task classification" in err
    code, out, _ = _run(["train", "--data", "counts.npz", "--output", "exp", "--layers", "4", "--epochs", "1", "--json"], capsys)
    assert code == 0 and json.loads(out)["loss"] == "poisson" and json.loads(out)["sizes"] == [3, 4, 1]  # (exp's own loss)
    # a resumed run: --task auto with --loss poisson is the regression its checkpoint records
    assert _run(["train", "--data", "counts.npz", "--loss", "poisson", "--epochs", "1", "--checkpoint", "c.ckpt", "--quiet"], capsys)[0] == 0
    assert _run(["train", "--data", "counts.npz", "--loss", "poisson", "--task", "auto", "--epochs", "2", "--resume", "c.ckpt",
                 "--quiet"], capsys)[0] == 0
    np.savez(tmp_path / "negative.npz", X=X, y=np.where(np.arange(200) % 50 == 3, -1, 2))
    code, _, err = _run(["train", "--data", "negative.npz", "--loss", "poisson", "--epochs", "1"], capsys)
    assert code == 1 and ("--loss: poisson is a loss for counts and rates, numbers >= 0; the labels of negative.npz include -1 "
                          "(4 in all)") in err
    np.savez(tmp_path / "text.npz", X=X, y=np.array(["cat", "dog"] * 100))
    code, _, err = _run(["train", "--data", "text.npz", "--loss", "poisson", "--epochs", "1"], capsys)
    assert code == 1 and "--loss: poisson is a loss for counts and rates, and the labels of text.npz are text" in err


def test_columns_are_matched_to_the_model_by_name(tmp_path, monkeypatch, capsys):
    # Before: the model stored no column names and files were read by position, so a CSV with its columns
    # in another order gave other predictions (evaluate's accuracy fell from 0.92 to 0.60) without a word
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]
    y = (X[:, 0] + X[:, 1] / 10 > 0.5).astype(int)
    rows = [["a", "b", "c", "species"]] + [[*map(str, x), str(t)] for x, t in zip(X, y)]

    def write(name, order):
        with open(tmp_path / name, "w") as handle:
            handle.writelines(",".join(row[i] for i in order) + "\n" for row in rows)

    write("t.csv", [0, 1, 2, 3])
    write("shuffled.csv", [3, 2, 0, 1])
    write("other.csv", [0, 1, 3])
    assert _run(["train", "--data", "t.csv", "--label", "species", "--layers", "8", "--epochs", "60", "--lr", "0.01", "--out", "m.safetensors",
                 "--quiet"], capsys)[0] == 0
    assert load_model(tmp_path / "m.safetensors").feature_names == ["a", "b", "c"]
    # predict drops the label column the model was trained with (--label species), unless told another
    code, straight, _ = _run(["predict", "m.safetensors", "t.csv"], capsys)
    assert code == 0 and _run(["predict", "m.safetensors", "shuffled.csv"], capsys)[1] == straight
    scores = [json.loads(_run(["evaluate", "m.safetensors", "--data", name, "--label", "species", "--json"], capsys)[1])["accuracy"]
              for name in ("t.csv", "shuffled.csv")]
    assert scores[0] == scores[1] > 0.8
    code, _, err = _run(["predict", "m.safetensors", "other.csv"], capsys)
    assert code == 1 and ("CSV file other.csv: expected the columns the model was trained on, by name (in any order): "
                          "['a', 'b', 'c']; got ['a', 'b'] (missing ['c'])") in err
    code, _, err = _run(["predict", "m.safetensors", "t.csv", "--label", "a"], capsys)
    assert code == 1 and "got ['b', 'c', 'species'] (missing ['a']; not the model's ['species'])" in err
    assert "input columns: a, b, c" in _run(["info", "m.safetensors"], capsys)[1]


def test_a_models_label_column_in_predict_and_evaluate(tmp_path, monkeypatch, capsys):
    # predict and evaluate take a CSV model's --label; a column 'label' that is none of its inputs is left out too;
    # a model trained on NumPy files keeps the default 'label' (its --label named an array or a column index)
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    body = "".join(f"{a},{b},{c},{t}\n" for (a, b, c), t in zip(X, y))
    (tmp_path / "t.csv").write_text("a,b,c,target\n" + body)
    (tmp_path / "both.csv").write_text("a,b,c,label\n" + body)
    assert _run(["train", "--data", "t.csv", "--label", "target", "--layers", "4", "--epochs", "2", "--out", "m.safetensors",
                 "--quiet"], capsys)[0] == 0
    assert _run(["predict", "m.safetensors", "both.csv"], capsys)[0] == 0
    assert _run(["evaluate", "m.safetensors", "--data", "t.csv"], capsys)[0] == 0
    np.savez(tmp_path / "t.npz", X=X, target=y)
    assert _run(["train", "--data", "t.npz", "--label", "target", "--layers", "4", "--epochs", "1", "--out", "n.safetensors",
                 "--quiet"], capsys)[0] == 0
    code, out, _ = _run(["predict", "n.safetensors", "both.csv"], capsys)
    assert code == 0 and len(out.split()) == 60
    (tmp_path / "wide.csv").write_text("a,b,c,d\n1,2,3,4\n")
    code, _, err = _run(["predict", "n.safetensors", "wide.csv"], capsys)
    assert code == 1 and "has 4; if one of its columns is a label, name it with --label" in err


@pytest.mark.parametrize("argv", [
    ["train", "--limit", "50", "--epochs", "1", "--plot", "flow.png"],
    ["train", "--limit", "50", "--epochs", "1", "--gradient-flow", "--plot", "plots/flow.SVG"],
])
def test_plot_refuses_a_picture_name_for_its_directory(argv, tmp_path, monkeypatch, capsys):
    # Before: `train --plot flow.png` made a directory named flow.png holding history.png and the others
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(argv, capsys)
    name = argv[-1]
    assert code == 1 and out == "", err
    assert (f"--plot: expected a directory for the pictures (made if missing); got {name}, a picture's file name: give "
            f"a directory such as {name.rsplit('.', 1)[0]}/") in err
    assert not (tmp_path / name).exists()
    (tmp_path / "made.png").mkdir()  # a directory that exists under such a name is a directory
    from deltaprop.commands._common import plot_directory

    plot_directory(tmp_path / "made.png")
    plot_directory(f"{tmp_path}/written.png/")  # and one written with a slash
    assert (tmp_path / "written.png").is_dir()


def test_a_regressions_targets_are_standardised_and_predict_gives_them_back_in_their_units(tmp_path, monkeypatch, capsys):
    # Before: prices (mean about 100, std about 20) trained as they were, and the output, which starts near 0,
    # was far from them after the default epochs (test R^2 below 0). Standardised, the defaults fit them.
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    price = np.round(15 * X[:, 0] - 10 * X[:, 1] + 100).astype(int)
    rows = "".join(f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},{t}\n" for x, t in zip(X, price))
    (tmp_path / "p.csv").write_text("a,b,c,price\n" + rows)
    common = ["train", "--data", "p.csv", "--label", "price", "--task", "regression", "--json", "--quiet"]
    code, out, err = _run([*common, "--out", "p.safetensors"], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["test_score"] > 0.95, err
    assert summary["target_scaling"]["method"] == "standard" and 95 < summary["target_scaling"]["shift"] < 105
    code, out, _ = _run([*common, "--scale-target", "none"], capsys)
    assert code == 0 and json.loads(out)["test_score"] < 0.5  # the lecture's raw targets: far from fitted yet
    (tmp_path / "in.csv").write_text("a,b,c\n" + "".join(f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f}\n" for x in X[:50]))
    code, out, err = _run(["predict", "p.safetensors", "in.csv"], capsys)
    predicted = np.array([float(v) for v in out.split()])  # (one value per row)
    assert code == 0 and len(predicted) == 50, err
    assert np.corrcoef(predicted, price[:50])[0, 1] > 0.97 and abs(predicted.mean() - price[:50].mean()) < 5
    code, out, _ = _run(["evaluate", "p.safetensors", "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and result["score_kind"] == "R^2" and result["score"] == pytest.approx(summary["test_score"], abs=1e-6)
    # with the errors in the targets' units: R^2 = 1 - MSE / var(t) on the same test rows
    from deltaprop.data import load_dataset

    test = load_dataset("p.csv", label="price", task="regression", test_fraction=0.2, seed=0)
    assert 1 - result["rmse"] ** 2 / np.var(test.y_test) == pytest.approx(result["score"], abs=1e-4)
    assert 0 < result["mae"] <= result["rmse"] < 5  # (prices of std 20)
    code, out, _ = _run(["evaluate", "p.safetensors"], capsys)
    assert code == 0 and f"RMSE {result['rmse']:.4g}, MAE {result['mae']:.4g} (in the targets' units)" in out
    code, out, _ = _run(["info", "p.safetensors"], capsys)
    assert code == 0 and "format_version 2" in out and "targets: trained as (t - 9" in out
    code, _, err = _run(["train", "--data", "p.csv", "--label", "price", "--loss", "poisson", "--scale-target", "standard"], capsys)
    assert code == 1 and "--scale-target: standard shifts the targets to mean 0, and the poisson loss is defined for targets >= 0" in err


def test_predict_and_evaluate_warn_when_inputs_look_already_scaled(tmp_path, monkeypatch, capsys):
    # Before: images divided by 255 (here digits' pixels divided by 16) were scaled a second time, silently
    monkeypatch.chdir(tmp_path)
    from deltaprop.data import _digits_arrays

    assert _run(["train", "--limit", "100", "--epochs", "1", "--out", "d.safetensors", "--quiet"], capsys)[0] == 0
    raw, y = _digits_arrays()  # pixels 0..16: the model's unit range
    np.save(tmp_path / "scaled.npy", raw[:20] / 16.0)
    code, out, err = _run(["predict", "d.safetensors", "scaled.npy"], capsys)
    assert code == 0 and len(out.split()) == 20  # a warning, not a refusal
    assert err.startswith("deltaprop predict: warning: INPUT: every input value lies within [0, 1]") and err.count("\n") == 1
    assert "as if the inputs were already scaled; the model expects raw values in [0, 16]" in err
    for name, X in (("raw.npy", raw[:20]), ("dark.npy", np.zeros((3, 64))), ("binary.npy", (raw[:5] > 8).astype(float))):
        np.save(tmp_path / name, X)  # raw values, and small whole numbers (a dark image): no warning
        code, _, err = _run(["predict", "d.safetensors", name], capsys)
        assert code == 0 and err == "", (name, err)
    np.savez(tmp_path / "scaled.npz", X=raw[:50] / 16.0, y=y[:50])
    code, _, err = _run(["evaluate", "d.safetensors", "--data", "scaled.npz"], capsys)
    assert code == 0 and err.startswith("deltaprop evaluate: warning: --data: every input value lies within [0, 1]"), err
    np.savez(tmp_path / "raw.npz", X=raw[:50], y=y[:50])
    assert _run(["evaluate", "d.safetensors", "--data", "raw.npz"], capsys)[2] == ""
    # From a review: a table's unit range observed on its data ([-3.3, 3.3], say) holds values in [0, 1] legitimately
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    (tmp_path / "t.csv").write_text("a,b,c,label\n" + "".join(f"{r[0]!r},{r[1]!r},{r[2]!r},{i % 2}\n" for i, r in
                                                             enumerate(X.tolist())))
    assert _run(["train", "--data", "t.csv", "--scale", "unit", "--epochs", "1", "--out", "t.safetensors", "--quiet"], capsys)[0] == 0
    (tmp_path / "in.csv").write_text("a,b,c\n0.25,0.5,0.75\n")
    code, _, err = _run(["predict", "t.safetensors", "in.csv"], capsys)
    assert code == 0 and err == "", err
    # --label naming the model's own label column is no error for a file without it (nothing to leave out)
    code, _, err = _run(["predict", "t.safetensors", "in.csv", "--label", "label"], capsys)
    assert code == 0 and err == "", err
    # ... but it still names a column: a column of another case is pointed at, and a file without columns refused
    (tmp_path / "cased.csv").write_text("a,b,c,Label\n0.25,0.5,0.75,1\n")
    code, _, err = _run(["predict", "t.safetensors", "cased.csv", "--label", "label"], capsys)
    assert code == 1 and "did you mean 'Label'?" in err, err
    np.save(tmp_path / "in.npy", np.array([[0.25, 0.5, 0.75]]))
    code, _, err = _run(["predict", "t.safetensors", "in.npy", "--label", "label"], capsys)
    assert code == 1 and "--label: names a column of a CSV file's header to leave out" in err, err


@pytest.mark.parametrize("out", ["out.json", "out", "out.txt"])
def test_predict_out_refuses_a_suffix_it_does_not_write_before_any_work(out, tmp_path, monkeypatch, capsys):
    # Before: --out out.json got CSV text
    monkeypatch.chdir(tmp_path)
    suffix = f"suffix {Path(out).suffix}" if Path(out).suffix else "no suffix"
    code, stdout, err = _run(["predict", "missing.safetensors", "missing.csv", "--out", out], capsys)  # no model read
    assert code == 1 and stdout == "" and not (tmp_path / out).exists()
    assert f"--out: expected a file name ending in .csv or .npy; got {out} ({suffix})" in err, err


def _small_table_model(tmp_path, capsys, columns, label):
    """t.safetensors, trained for an epoch on t.csv: 30 rows of small numbers in ``columns`` and classes x, y, z."""
    rows = [",".join([*columns, label])] + [
        ",".join([*(str((i * (2 * k + 1)) % (k + 3)) for k in range(len(columns))), "xyz"[i % 3]]) for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert _run(["train", "--data", "t.csv", "--label", label, "--layers", "4", "--epochs", "1", "--out", "t.safetensors",
                 "--quiet"], capsys)[0] == 0


def test_predict_refuses_a_label_column_its_input_lacks(tmp_path, monkeypatch, capsys):
    # Before: --label foo for a CSV without a column foo was ignored, the file read whole
    monkeypatch.chdir(tmp_path)
    _small_table_model(tmp_path, capsys, ["a", "b", "c"], "Species")
    (tmp_path / "in.csv").write_text("a,b,c\n1,2,3\n")
    code, _, err = _run(["predict", "t.safetensors", "in.csv", "--label", "foo"], capsys)
    assert code == 1 and "--label: CSV file in.csv: no label column 'foo'; the header has ['a', 'b', 'c']" in err, err
    code, _, err = _run(["predict", "t.safetensors", "t.csv", "--label", "species"], capsys)  # the case wrong
    assert code == 1 and ("--label: CSV file t.csv: no label column 'species'; the header has ['a', 'b', 'c', 'Species']; "
                          "did you mean 'Species'?") in err, err
    (tmp_path / "plain.csv").write_text("1,2,3\n")
    code, _, err = _run(["predict", "t.safetensors", "plain.csv", "--label", "a"], capsys)
    assert code == 1 and "--label: CSV file plain.csv: no label column 'a'; its first row" in err, err
    np.save(tmp_path / "in.npy", np.ones((2, 3)))
    code, _, err = _run(["predict", "t.safetensors", "in.npy", "--label", "a"], capsys)
    assert code == 1 and "--label: names a column of a CSV file's header to leave out; in.npy is no CSV file" in err, err
    code, out, err = _run(["predict", "t.safetensors", "t.csv", "--label", "Species"], capsys)  # the right name
    assert code == 0 and len(out.split()) == 30, err


def _idx_directory(directory: Path, n: int = 40) -> Path:
    """A small directory of the four MNIST-format IDX files: 4x4 images of uint8, classes 0-3."""
    import struct

    def idx(array):
        return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()

    directory.mkdir()
    rng = np.random.default_rng(0)
    for part in ("train", "t10k"):
        labels = (np.arange(n) % 4).astype(np.uint8)
        images = (rng.integers(0, 60, size=(n, 4, 4)) + 60 * labels[:, None, None]).astype(np.uint8)
        (directory / f"{part}-images-idx3-ubyte").write_bytes(idx(images))
        (directory / f"{part}-labels-idx1-ubyte").write_bytes(idx(labels))
    return directory


def test_predict_names_of_an_idx_directory_model_are_its_labels(tmp_path, monkeypatch, capsys):
    # Before: "--names: the model has no class names", though such a model's labels 0-9 are its names
    monkeypatch.chdir(tmp_path)
    data = _idx_directory(tmp_path / "idx")
    assert _run(["train", "--data", str(data), "--layers", "4", "--epochs", "1", "--out", "m.safetensors", "--quiet"], capsys)[0] == 0
    assert load_model(tmp_path / "m.safetensors").class_names is None
    images = str(data / "t10k-images-idx3-ubyte")
    code, labels, _ = _run(["predict", "m.safetensors", images], capsys)
    code2, names, err = _run(["predict", "m.safetensors", images, "--names"], capsys)
    assert code == code2 == 0 and err == "" and names == labels and set(names.split()) <= {"0", "1", "2", "3"}


def test_predict_refuses_an_idx_labels_file_or_a_model_as_input(tmp_path, monkeypatch, capsys):
    # Before: "... has 40; if one of its columns is a label, name it with --label" and "IDX file m2.safetensors: bad magic number"
    monkeypatch.chdir(tmp_path)
    data = _idx_directory(tmp_path / "idx")
    assert _run(["train", "--data", str(data), "--layers", "4", "--epochs", "1", "--out", "m.safetensors", "--quiet"], capsys)[0] == 0
    labels = data / "t10k-labels-idx1-ubyte"
    (tmp_path / "labels-idx1-ubyte.gz").write_bytes(__import__("gzip").compress(labels.read_bytes()))
    for path in (str(labels), "labels-idx1-ubyte.gz"):
        code, _, err = _run(["predict", "m.safetensors", path], capsys)
        assert code == 1 and (f"INPUT: expected examples (IDX images such as t10k-images-idx3-ubyte.gz); {path} is an IDX "
                              f"file of labels (1-D), not of examples") in err, err
    code, _, err = _run(["predict", "m.safetensors", "m.safetensors"], capsys)
    assert code == 1 and ("INPUT: expected inputs (.csv, .npy, .npz or IDX images); m.safetensors is a model file "
                          "(safetensors), not data. The model comes first: deltaprop predict MODEL INPUT") in err, err


def test_chain_lists_only_the_element_wise_activations_for_an_unknown_f(capsys):
    # Before: the choices listed softmax, which --f then refused as not element-wise
    from deltaprop.activations import hidden_activations

    code, _, err = _run(["chain", "--f", "sigmod"], capsys)
    assert code == 1 and f"--f: unknown activation 'sigmod'; expected one of the element-wise activations {list(hidden_activations())}" in err
    assert "softmax" not in err


def test_evaluate_on_a_data_set_of_another_width_says_its_width_and_the_models(tmp_path, monkeypatch, capsys):
    # Before: "--data: expected 4 features per example, as the scaling was fitted on; got shape (1437, 64)"
    monkeypatch.chdir(tmp_path)
    _small_table_model(tmp_path, capsys, ["a", "b", "c", "d"], "species")
    code, _, err = _run(["evaluate", "t.safetensors", "--data", "digits"], capsys)
    assert code == 1 and "--data: digits has 64 features per example; the model expects N_0 = 4" in err, err


def test_explain_precision_below_one_names_the_flag_without_python_words(capsys):
    # Before: "--precision: expected None (exact) or an integer >= 1; got 0"
    code, out, err = _run(["explain", "--precision", "0"], capsys)
    assert code == 1 and out == "" and "--precision: expected an integer >= 1 (leave it out for exact values); got 0" in err, err


def test_explain_example_states_its_class_and_where_t_holds_its_one(capsys):
    # Before: "t = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, ... +4 more]", the 1 hidden and the class said nowhere
    code, out, _ = _run(["explain", "--example", "digits:7"], capsys)
    assert code == 0 and ("Its class is 7; t = one-hot of class 7: its 1 is entry 8 of 10 (the classes in sorted order), "
                          "beyond the first 6 shown.") in out
    code, out, _ = _run(["explain", "--example", "digits:3"], capsys)  # the 1 shown
    assert code == 0 and "Its class is 3; t is its one-hot vector over the 10 classes." in out
    code, out, _ = _run(["explain", "--example", "iris:70"], capsys)  # the data name their classes
    assert code == 0 and "Its class is 1 (versicolor); t is its one-hot vector over the 3 classes." in out


def test_train_poisson_on_class_labels_says_it_takes_them_as_counts(capsys):
    # Before: digits' classes silently trained as a count regression
    code, _, err = _run(["train", "--loss", "poisson", "--limit", "50", "--epochs", "1", "--quiet"], capsys)
    assert code == 0 and err.count("\n") == 1 and (
        "deltaprop train: note: the labels of digits are whole numbers, taken as counts to predict (a regression, one "
        "output) because of --loss poisson; if they are classes, leave --loss out") in err, err


def test_train_poisson_on_a_tables_counts_says_nothing(tmp_path, monkeypatch, capsys):
    # A table's whole numbers under --loss poisson are most likely the counts they are meant to be: no note
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i % 7},{i % 5},{(i * 7) % 4}\n" for i in range(60))
    (tmp_path / "counts.csv").write_text("u,v,n\n" + rows)
    code, _, err = _run(["train", "--data", "counts.csv", "--label", "n", "--loss", "poisson", "--epochs", "1", "--quiet"], capsys)
    assert code == 0 and "note:" not in err, err


def test_scale_target_only_for_a_regression_with_an_identity_output(tmp_path, monkeypatch, capsys):
    # From a review: a quadratic classifier's labels were standardised (then its save failed after training), and
    # targets in (0, 1) for a sigmoid output were moved out of its reach (test R^2 0.40 where it was 0.98).
    import deltaprop as dp
    from deltaprop.data import Scaling
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--loss", "quadratic", "--layers", "8", "--limit", "200", "--epochs", "1", "--json",
                           "--out", "q.safetensors"], capsys)
    assert code == 0 and "target_scaling" not in json.loads(out) and load_model("q.safetensors").target_scaling is None, err
    code, _, err = _run(["train", "--limit", "200", "--epochs", "1", "--scale-target", "standard"], capsys)
    assert code == 1 and "--scale-target: standardises a regression's targets, and the labels of digits are classes" in err
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    t = 1 / (1 + np.exp(-(X[:, 0] - X[:, 1])))
    (tmp_path / "s.csv").write_text("a,b,t\n" + "".join(f"{x[0]!r},{x[1]!r},{v!r}\n" for x, v in zip(X.tolist(), t.tolist())))
    common = ["train", "--data", "s.csv", "--label", "t", "--task", "regression", "--epochs", "1", "--json", "--quiet"]
    code, out, err = _run([*common, "--output", "sigmoid"], capsys)
    assert code == 0 and "target_scaling" not in json.loads(out), err  # (auto: the sigmoid's own range)
    code, out, err = _run(common, capsys)
    assert code == 0 and json.loads(out)["target_scaling"]["method"] == "standard", err  # (identity output)
    (tmp_path / "h.csv").write_text("a,b,t\n" + "".join(f"{i},{i % 3},{'-' if i % 2 else ''}1e200\n" for i in range(40)))
    code, _, err = _run(["train", "--data", "h.csv", "--label", "t", "--task", "regression", "--dtype", "float64", "--epochs", "1"],
                        capsys)
    assert code == 1 and "--data: the targets of h.csv are too large to standardise" in err
    # info shows a multi-output model's scaling, one value per output
    net = dp.Network([2, 3, 2], "tanh", output="identity", loss="quadratic", seed=0)
    save_model(net, "mo.safetensors", target_scaling=Scaling("standard", np.array([1.0, 2.0]), np.array([0.5, 0.25])))
    code, out, err = _run(["info", "mo.safetensors"], capsys)
    assert code == 0 and "targets: trained as (t - [1, 2]) * [0.5, 0.25]" in out, err


def test_a_checkpoint_of_before_scale_target_resumes_with_its_targets_as_they_were(tmp_path, monkeypatch, capsys):
    # Its info records no scale_target: left out, the run goes on unscaled; given as anything but none, refused by name
    from safetensors import safe_open
    from safetensors.numpy import save

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    (tmp_path / "r.csv").write_text("a,b,t\n" + "".join(f"{x[0]!r},{x[1]!r},{3 * x[0]!r}\n" for x in X.tolist()))
    common = ["train", "--data", "r.csv", "--label", "t", "--layers", "4", "--quiet"]
    assert _run([*common, "--epochs", "1", "--scale-target", "none", "--checkpoint", "r.ckpt"], capsys)[0] == 0
    with safe_open("r.ckpt", framework="np") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    meta = json.loads(metadata["deltaprop"])
    del meta["info"]["scale_target"]  # (as a checkpoint of the previous deltaprop)
    (tmp_path / "r.ckpt").write_bytes(save(tensors, metadata={"deltaprop": json.dumps(meta)}))
    code, _, err = _run([*common, "--epochs", "3", "--resume", "r.ckpt", "--scale-target", "auto"], capsys)
    assert code == 1 and "--scale-target: the run in r.ckpt was trained with its targets as they were" in err
    code, _, err = _run([*common, "--epochs", "3", "--resume", "r.ckpt"], capsys)
    assert code == 0, err


def test_gradient_flow_prints_its_numbers_beside_the_picture(tmp_path, monkeypatch, capsys):
    # From a teacher's review: --gradient-flow drew a picture but printed none of its numbers
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--layers", "8,8", "--activation", "sigmoid", "--optimiser", "gd", "--limit", "100",
                           "--epochs", "3", "--gradient-flow"], capsys)
    assert code == 0, err
    # (the last record's norms and ratio, beside the mean: a teacher's review of the dead-ReLU case)
    assert "layer  ||delta^l||  ||dC/dW^l||  vs layer L  mean ||dC/dW^l||  zero since" in out
    assert (tmp_path / "gradient_flow.png").exists()
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("layer  ||delta"))
    assert all(len(row) == len(lines[head]) for row in lines[head + 1 : head + 4])  # (each number under its heading)
    code, out, err = _run(["train", "--layers", "8,8", "--activation", "sigmoid", "--optimiser", "gd", "--limit", "100",
                           "--epochs", "3", "--gradient-flow", "--json"], capsys)
    flow = json.loads(out)["gradient_flow"]
    assert code == 0 and len(flow["mean_delta_norm"]) == len(flow["mean_weight_grad_norm"]) == 3, err
    assert len(flow["last_weight_grad_norm"]) == 3 and flow["zero_weight_grad_since"] == [None, None, None]


# --- evaluate without --data checks the training file is unchanged; output file names are checked by kind ---


def _rewrite_training_summary(path, change):
    """Rewrite the model file at ``path`` with ``change(training)`` as its training summary (an older file, say)."""
    from safetensors import safe_open
    from safetensors.numpy import save

    with safe_open(str(path), framework="np") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    model = json.loads(metadata["model"])
    model["training"] = change(model["training"])
    Path(path).write_bytes(save(tensors, metadata={**metadata, "model": json.dumps(model)}))


def test_evaluate_without_data_refuses_a_training_file_that_changed(tmp_path, monkeypatch, capsys):
    # From a CLI review: rows reordered, edited or appended in the training CSV made evaluate (no --data) draw
    # other "held-out" rows, some of them trained on, and score them as test rows: another accuracy, exit 0
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{i % 2}\n" for i, (a, b, c) in enumerate(rng.random((20, 3)).tolist())]
    original = "a,b,c,label\n" + "".join(rows)
    (tmp_path / "moving.csv").write_text(original)
    code, out, err = _run(["train", "--data", "moving.csv", "--epochs", "1", "--layers", "4", "--json", "--out", "m.st"], capsys)
    assert code == 0, err
    recorded = load_model(tmp_path / "m.st").training["data_file"]
    assert recorded["size"] == len(original.encode())
    code, out, err = _run(["evaluate", "m.st", "--json"], capsys)
    assert code == 0 and json.loads(out)["n_examples"] == 4, err
    for changed in ("a,b,c,label\n" + "".join(reversed(rows)), original + "0.5,0.5,0.5,1\n"):
        (tmp_path / "moving.csv").write_text(changed)
        code, out, err = _run(["evaluate", "m.st"], capsys)
        assert code == 1 and out == "", err
        assert (f"--data: not given, and the data file the model was trained on, {tmp_path / 'moving.csv'}, has changed "
                f"since training (expected {recorded['size']:,} bytes, CRC-32 {recorded['crc32']:08x}") in err, err
        assert "Give --data PATH to evaluate on every row of a file" in err
        code, out, err = _run(["evaluate", "m.st", "--data", "moving.csv", "--json"], capsys)  # every row: as asked
        assert code == 0 and json.loads(out)["n_examples"] == len(changed.splitlines()) - 1, err
    (tmp_path / "moving.csv").write_text(original)  # the same bytes again: its test rows as train held them out
    assert _run(["evaluate", "m.st"], capsys)[0] == 0
    # a model saved before the file was recorded evaluates as it did, changed file or not
    _rewrite_training_summary(tmp_path / "m.st", lambda training: {k: v for k, v in training.items() if k != "data_file"})
    (tmp_path / "moving.csv").write_text("a,b,c,label\n" + "".join(reversed(rows)))
    code, out, err = _run(["evaluate", "m.st", "--json"], capsys)
    assert code == 0 and json.loads(out)["n_examples"] == 4, err
    _rewrite_training_summary(tmp_path / "m.st", lambda training: training | {"data_file": "472 bytes"})
    code, _, err = _run(["evaluate", "m.st"], capsys)
    assert code == 1 and "MODEL: the training summary of the model records data_file '472 bytes'; expected" in err, err


@pytest.mark.parametrize("argv, message", [
    # Before: each wrote its file under that name (a model over the data CSV, PNG data as .jpg or .txt) and exited 0
    (["train", "--out", "basic.csv"], "--out: expected a file name for a model file, ending in .safetensors or .st; "
     "got basic.csv (suffix .csv): give a name such as basic.safetensors"),
    (["train", "--out", "m.ckpt"], "--out: expected a file name for a model file, ending in .safetensors or .st; got m.ckpt"),
    (["train", "--checkpoint", "run.npz"], "--checkpoint: expected a file name for a training checkpoint, not a data "
     "file's; got run.npz (ending in .npz): give another name"),
    (["explain", "--picture", "p.jpg"], "--picture: expected a file name for a picture, ending in .png or .svg or "
     ".pdf; got p.jpg (suffix .jpg): give a name such as p.png"),
    (["cost", "--widths", "2", "--plot", "c.txt"], "--plot: expected a file name for a picture, ending in .png or .svg "
     "or .pdf; got c.txt (suffix .txt)"),
    # Before: a file named tdir (or one inside an existing tdir/) written, exit 0
    (["train", "--out", "tdir/"], "--out: expected a file name; got 'tdir/', a directory"),
    (["train", "--checkpoint", "new/"], "--checkpoint: expected a file name; got 'new/', a directory"),
    (["explain", "--picture", "tdir/"], "--picture: expected a file name; got 'tdir/', a directory"),
    (["cost", "--widths", "2", "--plot", "new/"], "--plot: expected a file name; got 'new/', a directory"),
])
def test_output_file_names_of_another_kind_or_of_a_directory_are_refused_before_the_work(argv, message, tmp_path,
                                                                                          monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "basic.csv").write_text("a,b,label\n0.5,0.25,1\n0.125,1,0\n")
    (tmp_path / "tdir").mkdir()
    extra = ["--limit", "60", "--epochs", "1"] if argv[0] == "train" else []
    code, out, err = _run([*argv, *extra], capsys)
    assert code == 1 and out == "" and message in err and "epoch" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic.csv", "tdir"] and not any((tmp_path / "tdir").iterdir())
    assert (tmp_path / "basic.csv").read_text().startswith("a,b,label")


def test_evaluate_without_data_refuses_another_limit_than_trainings(tmp_path, monkeypatch, capsys):
    # From a review: `evaluate m --limit 30` held out 20% of the first 30 rows, most of which the model trained on
    monkeypatch.chdir(tmp_path)
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{i % 2}\n" for i, (a, b, c) in enumerate(np.random.default_rng(3).random((60, 3)).tolist())]
    (tmp_path / "t.csv").write_text("a,b,c,label\n" + "".join(rows))
    assert _run(["train", "--data", "t.csv", "--epochs", "1", "--layers", "4", "--quiet", "--out", "m.st"], capsys)[0] == 0
    code, out, err = _run(["evaluate", "m.st", "--limit", "30"], capsys)
    assert code == 1 and out == ""
    assert ("--limit: without --data, the test rows are those train held out of all its rows of "
            f"{tmp_path / 't.csv'}; got --limit 30") in err, err
    assert _run(["evaluate", "m.st", "--data", "t.csv", "--limit", "30"], capsys)[0] == 0  # (every one of 30 rows: as asked)
    assert _run(["train", "--data", "t.csv", "--limit", "40", "--epochs", "1", "--layers", "4", "--quiet", "--out", "m40.st"],
                capsys)[0] == 0
    code, out, err = _run(["evaluate", "m40.st", "--limit", "40", "--json"], capsys)  # (the limit it was trained with)
    assert code == 0 and json.loads(out)["n_examples"] == 8, err
    code, _, err = _run(["evaluate", "m40.st", "--limit", "39"], capsys)
    assert code == 1 and "held out of its first 40 rows (--limit)" in err


def test_evaluate_given_data_then_model_says_which_goes_where(tmp_path, monkeypatch, capsys):
    from deltaprop import Network
    from deltaprop.cli import main
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    save_model(Network([3, 2], seed=0), "old.npz")  # (a model file by its bytes, whatever its name: earlier trains took any)
    (tmp_path / "t.csv").write_text("a,b,c,label\n1,2,3,0\n")
    with pytest.raises(SystemExit):
        main(["evaluate", "t.csv", "old.npz"])
    assert capsys.readouterr().err.splitlines()[-1] == ("deltaprop evaluate: error: unrecognized arguments: old.npz; evaluate "
                                                        "takes the model first and its data as --data: evaluate old.npz --data t.csv")


@pytest.mark.parametrize("argv, hint", [
    (["train", "--optimzer", "sgd"], "unrecognized arguments: --optimzer sgd; did you mean '--optimizer'?"),
    (["train", "--Layers=5"], "unrecognized arguments: --Layers=5; did you mean '--layers'?"),
    (["train", "--seeed", "1", "--lyers", "4"], "unrecognized arguments: --seeed 1 --lyers 4; did you mean '--seed'?"),
    (["explain", "--precison", "3"], "unrecognized arguments: --precison 3; did you mean '--precision'?"),
    (["train", "--zzz", "1"], "unrecognized arguments: --zzz 1"),  # (nothing close: no guess)
])
def test_a_misspelt_flag_is_told_the_flag_it_is_closest_to(argv, hint, capsys):
    from deltaprop.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"deltaprop {argv[0]}: error: {hint}"


def test_python_dash_m_deltaprop_runs_the_command_line(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "deltaprop", "trian"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "did you mean 'train'?" in done.stderr, done.stderr


def test_evaluate_measures_a_float32_regressions_errors_on_large_targets_in_float64(tmp_path, monkeypatch, capsys):
    # From a review: targets near 1e8 are 8 apart in float32; unscaled in float32, the outputs' rounding made the
    # RMSE five times what a float64 model of the same fit gave
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).random((300, 3))
    rows = "".join(f"{a:.6f},{b:.6f},{c:.6f},{1e8 + a + b + c:.6f}\n" for a, b, c in X)
    (tmp_path / "big.csv").write_text("a,b,c,t\n" + rows)
    results = {}
    for dtype in ("float32", "float64"):
        train = ["train", "--data", "big.csv", "--label", "t", "--task", "regression", "--layers", "8", "--epochs", "100",
                 "--quiet", "--dtype", dtype, "--out", f"{dtype}.st"]
        assert _run(train, capsys)[0] == 0
        code, out, err = _run(["evaluate", f"{dtype}.st", "--json"], capsys)
        assert code == 0, err
        results[dtype] = json.loads(out)
    assert results["float32"]["score"] == pytest.approx(results["float64"]["score"], abs=0.02)
    assert results["float32"]["rmse"] == pytest.approx(results["float64"]["rmse"], rel=0.2)


def test_info_shows_a_files_control_characters_as_escapes(tmp_path, capsys):
    # From a review of file handling: info, the command for looking at a file someone else made, printed its class
    # names, input names and training notes raw, and a terminal acted on their escape sequences
    from deltaprop import Network
    from deltaprop.io import save_model

    trap = "\x1b[31mRED\x1b[0m\x1b]0;title\x07\u202e"
    plain = "café 日本\u3000語 می\u200cخواهم prix\xa0€ 👩\u200d💻"  # (text of every kind: printed as it is)
    net = Network([3, 4, 3], seed=0)
    net.fit(np.eye(3), ["a", "b", "c"], epochs=1)
    save_model(net, tmp_path / "m.safetensors", class_names=["a" + trap, "b", plain], feature_names=["f" + trap, "g", "h"],
               training={"data": "x" + trap, "epochs": 1})
    from deltaprop.cli import main

    assert main(["info", str(tmp_path / "m.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    escaped = trap.encode("unicode_escape").decode("ascii")
    assert "\u202e" not in out and escaped.endswith("\\u202e")
    assert f"input columns: f{escaped}, g, h" in out and f"classes (3): a{escaped}, b, {plain}" in out and f"data: x{escaped}" in out


def test_a_checkpoint_of_an_earlier_run_is_said_before_it_is_replaced(tmp_path, monkeypatch, capsys):
    # From a review of file handling: --checkpoint r.ckpt without --resume replaced an earlier run's state unsaid
    monkeypatch.chdir(tmp_path)
    run = ["train", "--epochs", "1", "--layers", "4", "--quiet", "--checkpoint", "r.ckpt"]
    code, _, err = _run(run, capsys)
    assert code == 0 and "holds the state of an earlier run" not in err
    code, _, err = _run(run, capsys)
    assert code == 0 and ("deltaprop train: note: --checkpoint r.ckpt holds the state of an earlier run, which this run "
                          "replaces; to continue that run instead, give --resume r.ckpt") in err
    code, _, err = _run(["train", "--epochs", "2", "--quiet", "--resume", "r.ckpt", "--checkpoint", "r.ckpt"], capsys)
    assert code == 0 and "holds the state" not in err  # (continued: nothing lost)
    code, _, err = _run([*run, "--data", "nope.csv"], capsys)
    assert code == 1 and "holds the state" not in err  # (a run that fails on its data replaces nothing)


def test_info_escapes_a_lone_surrogate_rather_than_failing(tmp_path, capsys):
    from deltaprop import Network
    from deltaprop.cli import main
    from deltaprop.io import save_model

    net = Network([3, 4, 3], seed=0)
    net.fit(np.eye(3), ["a", "b", "c"], epochs=1)
    save_model(net, tmp_path / "m.safetensors", class_names=["a\ud800", "b", "c"])
    assert main(["info", str(tmp_path / "m.safetensors")]) == 0
    assert "classes (3): a\\ud800, b, c" in capsys.readouterr().out


def test_train_no_timings_writes_the_same_model_file_twice(tmp_path, monkeypatch, capsys):
    # From a review of file handling: the parameters of two identical runs were identical, the files not
    monkeypatch.chdir(tmp_path)
    for name in ("a.st", "b.st"):
        assert _run(["train", "--layers", "8", "--epochs", "2", "--seed", "5", "--quiet", "--no-timings", "--out", name],
                    capsys)[0] == 0
    assert (tmp_path / "a.st").read_bytes() == (tmp_path / "b.st").read_bytes()
    from deltaprop.io import load_model

    training = load_model(tmp_path / "a.st").training
    assert "seconds" not in training and "time" not in training["history"] and training["history"]["loss"]
    assert _run(["train", "--layers", "8", "--epochs", "2", "--seed", "5", "--quiet", "--out", "c.st"], capsys)[0] == 0
    assert "seconds" in load_model(tmp_path / "c.st").training  # (kept without the flag)


def test_train_evaluate_and_explain_take_scikit_learns_bundled_tables_by_name(tmp_path, monkeypatch, capsys):
    # Before: "--data: 'iris' is neither a known data set ['digits', 'fashion-mnist', 'mnist'] ...", though explain
    # took --example iris:100
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["train", "--data", "iris", "--layers", "8", "--epochs", "2", "--quiet", "--out", "i.st"], capsys)
    assert code == 0, err
    saved = load_model("i.st")
    assert saved.class_names == ["setosa", "versicolor", "virginica"] and saved.training["data"] == "iris"
    assert saved.feature_names[0] == "sepal length (cm)" and saved.scaling.method == "standard"
    code, out, err = _run(["evaluate", "i.st", "--json"], capsys)  # no --data: the test part of iris, as trained
    result = json.loads(out)
    assert code == 0 and result["data"] == "iris" and result["n_examples"] == 30, err
    assert [p["name"] for p in result["per_class"]] == ["setosa", "versicolor", "virginica"]
    assert [p["support"] for p in result["per_class"]] == [10, 10, 10]
    code, out, _ = _run(["explain", "--example", "breast_cancer:0"], capsys)  # (scikit-learn's row 0: malignant)
    assert code == 0 and "x is example 0 of breast_cancer, standardised" in out and "Its class is 0 (malignant)" in out
    code, out, _ = _run(["explain", "--model", "i.st", "--example", "iris:100"], capsys)
    assert code == 0 and "Its class is 2 (virginica)" in out
    code, _, err = _run(["train", "--data", "wine", "--label", "colour"], capsys)
    assert code == 1 and "--label: names the label column of a .csv/.npy/.npz file; 'wine' is a built-in" in err


def test_train_plot_draws_the_decision_regions_of_a_set_in_the_plane(tmp_path, monkeypatch, capsys):
    # New: TensorFlow Playground's picture, decision.png, for a classifier of two inputs
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["train", "--data", "moons", "--layers", "4", "--activation", "tanh", "--epochs", "2",
                           "--json", "--plot", "p"], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["data"] == "moons" and summary["n_train"] == 400 and summary["n_test"] == 100, err
    assert sorted(Path(f).name for f in summary["files"]) == ["confusion.png", "decision.png", "history.png"]
    assert (tmp_path / "p" / "decision.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    code, _, err = _run(["train", "--data", "moons", "--epochs", "1", "--quiet", "--plot", "p", "--out", "p/decision.png"],
                        capsys)
    assert code == 1 and "--out: p/decision.png is also the file of --plot" in err, err


def test_evaluate_plot_draws_the_decision_regions_of_the_examples_it_evaluates(tmp_path, monkeypatch, capsys):
    # Left out at first: train --plot drew decision.png for two inputs, evaluate --plot only the confusion matrix
    import deltaprop.plots
    from deltaprop.data import load_dataset

    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["train", "--data", "moons", "--layers", "4", "--activation", "tanh", "--epochs", "2", "--quiet",
                         "--out", "m.st"], capsys)
    assert code == 0, err
    drawn = {}
    real = deltaprop.plots.plot_decision
    monkeypatch.setattr(deltaprop.plots, "plot_decision", lambda *a, **k: drawn.update(args=a, options=k) or real(*a, **k))
    code, out, err = _run(["evaluate", "m.st", "--plot", "p", "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and sorted(Path(f).name for f in result["files"]) == ["confusion.png", "decision.png"], err
    assert (tmp_path / "p" / "decision.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    moons = load_dataset("moons")  # the model's test rows, drawn in the data's own units, scaled for the network
    np.testing.assert_allclose(drawn["args"][1], moons.scaling.unscaled64(moons.X_test), rtol=1e-6)
    np.testing.assert_array_equal(drawn["args"][2], moons.y_test)
    assert f"accuracy {result['accuracy']:.3f} on the 100 examples of moons" in drawn["options"]["title"]
    code, _, err = _run(["evaluate", "m.st", "--plot", "p", "--data", "p/decision.png"], capsys)
    assert code == 1 and "--plot: p/decision.png is the file given as --data, which writing it would destroy" in err, err


# ---------------------------------------------------------------------- from a review of extending the registries (session 21)


def test_an_optimiser_class_without_a_learning_rate_gets_the_protocols_default_in_the_help(monkeypatch, capsys):
    # Before: every command failed with AttributeError: type object 'SignSGD' has no attribute 'learning_rate'
    from dataclasses import dataclass

    from deltaprop.cli import main
    from deltaprop.optimisers import OPTIMISERS

    @dataclass
    class SignSGD:  # the protocol: learning_rate is optional ("0.01 otherwise")
        name = "signsgd"

        def init(self, param):
            return ()

        def update(self, param, grad, state, eta, step):
            param -= param.dtype.type(eta) * np.sign(grad)

    monkeypatch.setitem(OPTIMISERS, "signsgd", SignSGD)
    for command in ("info", "train"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
    assert "signsgd 0.01;" in " ".join(capsys.readouterr().out.split())


def test_two_classes_take_one_output_unit_with_any_loss_of_an_element_wise_output(tmp_path, monkeypatch, capsys):
    # Before: only the loss named binary_cross_entropy (or --output sigmoid alone) gave one unit; a sigmoid-output
    # loss added to LOSSES got two
    from deltaprop.losses import LOSSES, Loss

    bce = LOSSES["binary_cross_entropy"]
    mine = Loss("my_binary_cross_entropy", bce.cost, bce.grad, outputs=("sigmoid",), targets_at_least=0.0,
                targets_at_most=1.0, classification=True)
    monkeypatch.setitem(LOSSES, "my_binary_cross_entropy", mine)
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    Path("b.csv").write_text("a,b,t\n" + "".join(f"{x[0]!r},{x[1]!r},{int(x[0] > x[1])}\n" for x in X.tolist()))
    units = {}
    for loss in ("binary_cross_entropy", "my_binary_cross_entropy", "cross_entropy", "quadratic"):
        code, _, err = _run(["train", "--data", "b.csv", "--label", "t", "--task", "classification", "--loss", loss,
                             "--epochs", "1", "--quiet", "--json", "--out", f"{loss}.safetensors"], capsys)
        assert code == 0, err
        units[loss] = load_model(f"{loss}.safetensors").network.sizes[-1]
    assert units == {"binary_cross_entropy": 1, "my_binary_cross_entropy": 1, "cross_entropy": 2, "quadratic": 2}
    code, _, err = _run(["train", "--data", "b.csv", "--label", "t", "--output", "sigmoid", "--epochs", "1", "--quiet",
                         "--json", "--out", "s.safetensors"], capsys)
    assert code == 0 and load_model("s.safetensors").network.sizes[-1] == 1, err  # (its loss: binary_cross_entropy)
