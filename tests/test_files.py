import os
import re
import stat

import numpy as np
import pytest

from deltaprop.files import write_atomically


def test_written_file_has_the_usual_permissions_and_no_temporary_is_left(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "a.txt", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["a.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.bin"
    write_atomically(path, b"good")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("deltaprop.files.os.replace", crash)
    with pytest.raises(OSError):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["m.bin"]


def test_path_must_be_a_path():
    with pytest.raises(TypeError, match="path: expected a file name"):
        write_atomically(3, b"")


@pytest.mark.parametrize("check", ["write_atomically", "writable_path"])
def test_a_directorys_name_or_an_empty_name_is_no_file_name(tmp_path, monkeypatch, check):
    """Path("out/") is Path("out"): without the check, "out/" would be written as a file named out."""
    import deltaprop.files as files

    monkeypatch.chdir(tmp_path)
    call = (lambda p: files.write_atomically(p, b"x", "--out")) if check == "write_atomically" else (
        lambda p: files.writable_path(p, "--out"))
    for name in ("out/", str(tmp_path / "out") + os.sep):
        with pytest.raises(IsADirectoryError, match=r"^--out: expected a file name; got '.*out/', a directory's name$"):
            call(name)
    with pytest.raises(ValueError, match=r"^--out: expected a file name; got an empty name$"):
        call("")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["out/", "out/.", "sub/.."])
def test_the_library_savers_refuse_a_directorys_name_too(tmp_path, monkeypatch, name):
    """save_model, save_figure and ModelCheckpoint made a Path of the name first, which drops the '/' of "out/"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import deltaprop as dp
    from deltaprop._figures import save_figure
    from deltaprop.callbacks import ModelCheckpoint
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    net = dp.Network([2, 2], seed=0)
    fig = plt.figure()
    for save in (lambda: save_model(net, name), lambda: save_figure(fig, name),
                 lambda: net.fit(np.zeros((4, 2)), [0, 1, 0, 1], epochs=1, callbacks=[ModelCheckpoint(name)])):
        with pytest.raises(IsADirectoryError, match=rf"path: expected a file name; got '{re.escape(name)}', a directory's name"):
            save()
    plt.close(fig)
    assert os.listdir(tmp_path) == []


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="the directory .*nowhere does not exist"):
        write_atomically(tmp_path / "nowhere" / "m.bin", b"x")


def test_replacing_a_file_keeps_its_permissions_and_a_link_is_written_through(tmp_path):
    private = tmp_path / "m.safetensors"
    private.write_bytes(b"old")
    private.chmod(0o600)
    write_atomically(private, b"new")
    assert private.read_bytes() == b"new" and stat.S_IMODE(private.stat().st_mode) == 0o600
    link = tmp_path / "latest.safetensors"
    link.symlink_to(private)
    write_atomically(link, b"newer")
    assert link.is_symlink() and private.read_bytes() == b"newer"


def test_a_device_or_fifo_is_refused_not_replaced_and_errors_name_the_argument(tmp_path):
    # Before: renaming the new file over a FIFO (or /dev/null, as root) replaced it with a regular file,
    # and failures named the temporary file instead of the path given
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"^--out: .*fifo is not a regular file \(a device, FIFO or socket\)"):
        write_atomically(fifo, b"x", "--out")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(IsADirectoryError, match=r"^path: expected a file name; got the directory"):
        write_atomically(tmp_path, b"x")
    long_name = tmp_path / ("m" * 240)  # a valid name whose ".name.XXXXXXXX.tmp" would be too long
    write_atomically(long_name, b"x")
    assert long_name.read_bytes() == b"x" and sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "m" * 240]
    with pytest.raises(OSError, match=r"^path: cannot write .*: File name too long"):
        write_atomically(tmp_path / ("m" * 300), b"x")


def test_a_read_only_file_is_refused_as_open_refuses_it(tmp_path):
    # Before: the new file was renamed over it (the directory allows that), undoing its owner's protection
    import deltaprop as dp
    from deltaprop.files import writable_path

    kept = tmp_path / "kept.safetensors"
    kept.write_bytes(b"old")
    kept.chmod(0o444)
    with pytest.raises(PermissionError, match=r"^--out: cannot write .*kept.safetensors: the file is read-only \(mode -r--r--r--\)"):
        write_atomically(kept, b"new", "--out")
    with pytest.raises(PermissionError, match=r"^checkpoint: cannot write .*: the file is read-only"):
        writable_path(kept, "checkpoint")
    link = tmp_path / "link.safetensors"
    link.symlink_to(kept)
    with pytest.raises(PermissionError, match="the file is read-only"):
        write_atomically(link, b"new")
    net = dp.Network([3, 2], seed=0)
    before = [p.copy() for p in net.parameters()]
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(PermissionError, match="^checkpoint: cannot write"):  # before training, not after its first epoch
        net.fit(X, np.arange(10) % 2, epochs=2, checkpoint=kept)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))
    assert kept.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.safetensors", "link.safetensors"]


def test_same_file_sees_links_and_other_spellings_and_refuse_same_files_names_both_arguments(tmp_path, monkeypatch):
    from deltaprop.files import refuse_same_files, same_file

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("a\n1\n")
    os.link("data.csv", "hard.csv")
    os.symlink("data.csv", "soft.csv")
    assert same_file("data.csv", "hard.csv") and same_file("soft.csv", tmp_path / "data.csv")
    assert same_file("new.csv", "./new.csv") and not same_file("new.csv", "other.csv")  # (neither exists yet)
    assert not same_file("data.csv", "x" * 300)  # a name too long for the file system is no file of ours
    refuse_same_files([("--out", "m.st"), ("--log", "h.csv")], [("--data", "data.csv"), ("--data", "digits")])
    with pytest.raises(ValueError, match=r"^--out: hard.csv is the file given as --data \(data.csv\), which writing it "
                                         r"would destroy; give --out another file name$"):
        refuse_same_files([("--out", "hard.csv")], [("--data", "data.csv")])
    with pytest.raises(ValueError, match=r"^--out: m.st is also the file of --log \(./m.st\); each output needs a file "):
        refuse_same_files([("--out", "m.st"), ("--checkpoint", None), ("--log", "./m.st")])


def test_a_name_too_long_for_the_file_system_names_the_argument(tmp_path):
    # Before: "[Errno 36] File name too long: 'mmm...'", naming no argument
    from deltaprop.files import existing_file, writable_path

    with pytest.raises(OSError, match=r"^--out: cannot write .*: File name too long$"):
        writable_path(tmp_path / ("m" * 300), "--out")
    with pytest.raises(OSError, match=r"^model file .*: cannot read it: File name too long$"):
        existing_file(tmp_path / ("m" * 300), "model file")


def test_a_full_disk_is_said_with_the_argument_and_the_file(tmp_path, monkeypatch):
    # A write() on a full disk raises an OSError without a file name: it was passed on as "[Errno 28] No space left
    # on device", naming neither the file nor which of --out, --checkpoint, --log it was
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match=rf"^--checkpoint: cannot write {re.escape(str(tmp_path / 'r.ckpt'))}: No space left on device$"):
        write_atomically(tmp_path / "r.ckpt", b"data", "--checkpoint")
    assert os.listdir(tmp_path) == []  # (the temporary file is gone too)
