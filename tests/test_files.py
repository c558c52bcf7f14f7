import os
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
