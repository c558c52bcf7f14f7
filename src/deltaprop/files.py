"""Writing files so that a crash never leaves a broken one where a good one was."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomically", "check_path", "output_path", "writable_path", "writable_directory", "existing_file", "same_file",
           "refuse_same_files"]


def check_path(path, argument: str = "path") -> Path:
    """``path`` as a Path, or TypeError naming ``argument``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{argument}: expected a file name (str or os.PathLike); got {type(path).__name__} {path!r}")
    return Path(path)


def output_path(path, argument: str = "path") -> Path:
    """``path`` as a Path naming a file to write: not empty, and not a directory's name ("out/" or "out/.",
    which Path would shorten to "out" and so write a file of that name).

    Raises TypeError (not a path), ValueError (an empty name) or IsADirectoryError naming ``argument``.
    """
    check_path(path, argument)
    text = os.fsdecode(os.fspath(path))  # (as given: Path("out/") is Path("out"))
    if text == "":
        raise ValueError(f"{argument}: expected a file name; got an empty name")
    separators = tuple(s for s in (os.sep, os.altsep, "/") if s)
    if text.endswith(separators) or text.rstrip("".join(separators)).rsplit("/", 1)[-1] in (".", ".."):
        raise IsADirectoryError(f"{argument}: expected a file name; got {text!r}, a directory's name")
    return Path(text)


def writable_path(path, argument: str = "path") -> Path:
    """``path`` as a Path whose directory exists, checked before a long run that ends by writing it.

    Raises TypeError (not a path), ValueError (an empty name), IsADirectoryError, or FileNotFoundError
    naming ``argument``.
    """
    path = output_path(path, argument)
    _refuse_special(path, argument)  # (first: it names the argument of a name too long for the file system)
    if path.is_dir():
        raise IsADirectoryError(f"{argument}: expected a file name; got the directory {path}")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"{argument}: cannot write {path}; the directory {directory} does not exist")
    writable_directory(directory, argument, path)
    return path


def same_file(a, b) -> bool:
    """Whether the paths ``a`` and ``b`` name one file: by the file itself where both exist (hard links,
    symbolic links, ./x and x), else by their resolved names."""
    try:
        a, b = Path(a), Path(b)
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a name too long, a loop of links: not one we could write anyway
        return False


def refuse_same_files(outputs, inputs=()) -> None:
    """Refuse, before any work, an output that is the same file as an input (writing it would destroy the
    input) or as another output (one would replace the other).

    ``outputs`` and ``inputs`` are (argument, path) pairs, e.g. ``[("--out", "m.safetensors")]``; a path of
    None is skipped, as is an input that is not an existing file (a data set's name such as digits).
    Raises ValueError naming both arguments and the path.
    """
    outputs = [(argument, path) for argument, path in outputs if path is not None]
    for i, (argument, path) in enumerate(outputs):
        for other, other_path in inputs:
            if other_path is not None and _is_file(other_path) and same_file(path, other_path):
                also = "" if str(path) == str(other_path) else f" ({other_path})"
                raise ValueError(f"{argument}: {path} is the file given as {other}{also}, which writing it would "
                                 f"destroy; give {argument} another file name")
        for other, other_path in outputs[:i]:
            if same_file(path, other_path):
                also = "" if str(path) == str(other_path) else f" ({path})"
                raise ValueError(f"{other}: {other_path} is also the file of {argument}{also}; each output needs a "
                                 f"file of its own, or one would replace the other: give them two names")


def _is_file(path) -> bool:
    try:
        return Path(path).is_file()
    except OSError:  # a name too long for the file system: no file we could destroy
        return False


def writable_directory(directory, argument: str, target=None) -> Path:
    """Create a file in ``directory`` and remove it: the only sure test that the run's last write will work
    (permissions, a read-only file system, /proc) before the run starts. Raises PermissionError or OSError
    naming ``argument``."""
    directory = Path(directory)
    try:
        fd, probe = tempfile.mkstemp(prefix=".deltaprop-probe.", dir=directory)
    except OSError as exc:
        what = target if target is not None else directory
        raise type(exc)(f"{argument}: cannot write {what}: {exc.strerror} (on creating a file in {directory})") from None
    os.close(fd)
    os.unlink(probe)
    return directory


def _refuse_special(path: Path, argument: str) -> None:
    """A device, FIFO, socket or read-only file at ``path`` is refused: renaming a new file over it would replace it."""
    try:
        special = path.exists() and not path.is_file() and not path.is_dir()
    except OSError as exc:  # a name too long for the file system, say
        raise type(exc)(f"{argument}: cannot write {path}: {exc.strerror}") from None
    if special:
        raise ValueError(f"{argument}: {path} is not a regular file (a device, FIFO or socket), which writing the file "
                         f"would replace; give the name of a file")
    # A read-only file is one its owner protected: renaming over it (which needs only the directory's
    # permission) would replace it where open() would fail, so it is refused as open() refuses it.
    # (Its mode bits are read too: root may open any file, yet a file without a write bit was made read-only.)
    if path.is_file() and (not stat.S_IMODE(path.stat().st_mode) & 0o222 or not os.access(path, os.W_OK)):
        raise PermissionError(f"{argument}: cannot write {path}: the file is read-only (mode "
                              f"{stat.filemode(path.stat().st_mode)}); make it writable or give another name")


def write_atomically(path, data: bytes | str, argument: str = "path") -> Path:
    """Write ``data`` (bytes, or str as UTF-8) to ``path`` atomically.

    The data go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed over ``path`` (atomic on POSIX), with the
    permissions a plain ``open`` would give (mkstemp's are owner-only), or the
    replaced file's own. A symbolic link is written through, as ``open`` would.
    Errors name ``argument`` and ``path``, not the temporary file.
    """
    path = output_path(path, argument)
    try:
        link = path.is_symlink()
    except OSError as exc:  # a name too long for the file system, say
        raise type(exc)(f"{argument}: cannot write {path}: {exc.strerror}") from None
    if link:
        try:
            path = path.resolve(strict=False)  # renaming over the link would replace the link, not the file it names
        except (RuntimeError, OSError):  # a loop of links
            raise OSError(f"{argument}: cannot write {path}: a loop of symbolic links") from None
    if path.is_dir():
        raise IsADirectoryError(f"{argument}: expected a file name; got the directory {path}")
    _refuse_special(path, argument)
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"{argument}: cannot write {path}; the directory {directory} does not exist")
    # the temporary name within the file system's 255 bytes however long the file's own name
    stem = path.name.encode("utf-8")[:160].decode("utf-8", errors="ignore")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise type(exc)(f"{argument}: cannot write {path}: {exc.strerror} (on creating a file in {directory})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.is_file():
            mode = stat.S_IMODE(path.stat().st_mode)  # a private model stays private
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        # the system's errors, with or without a file name (a full disk's write() has none), named by the argument
        if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
            raise type(exc)(f"{argument}: cannot write {path}: {exc.strerror}") from None
        raise
    return path


def existing_file(path, what: str) -> Path:
    """``path`` as a Path to an existing regular file, or an error saying what was expected.

    ``what`` names the file in messages ("model file", "IDX file", ...).

    Raises
    ------
    TypeError (not a path), FileNotFoundError, IsADirectoryError, or ValueError
    for other non-files (a FIFO or device, which reading could block on).
    """
    path = check_path(path, what)
    try:
        exists = path.exists()
    except OSError as exc:  # a name too long for the file system, say
        raise type(exc)(f"{what} {path}: cannot read it: {exc.strerror}") from None
    if not exists:
        raise FileNotFoundError(f"{what} {path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{what} {path}: expected a file; got a directory")
    if not path.is_file():
        raise ValueError(f"{what} {path}: expected a regular file")
    return path
