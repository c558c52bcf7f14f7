"""Helpers the train, evaluate, predict and info commands share."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults and keep the examples' line breaks."""

    def _get_help_string(self, action):
        # once: not "(default: None)" where the help says what None means, nor twice where it names the default
        if any(action.default is v for v in (None, False, argparse.SUPPRESS)) or "default" in action.help:
            return action.help
        return super()._get_help_string(action)


def new_parser(subparsers, name: str, help: str, description: str, examples: str) -> argparse.ArgumentParser:
    """A subcommand parser with an example epilog and ``--debug``."""
    parser = subparsers.add_parser(name, help=help, description=description, epilog=examples, formatter_class=HelpFormatter)
    parser.add_argument("--debug", dest="sub_debug", action="store_true", help="show the full traceback on errors")
    return parser


class RecordGiven(argparse.Action):
    """Store the value as argparse's default action does, and add the destination to ``args.given``.

    So a command can tell a flag given at its default value from one left out (``deltaprop
    train --resume`` takes the checkpoint's value for a flag left out, and refuses one given
    with another value, the default included).
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given = getattr(namespace, "given", frozenset()) | {self.dest}


def record_given(parser: argparse.ArgumentParser) -> None:
    """Every plain (store) argument added to ``parser`` after this records in ``args.given`` that it was given."""
    parser.register("action", None, RecordGiven)
    parser.register("action", "store", RecordGiven)
    parser.set_defaults(given=frozenset())


def int_at_least(minimum: int):
    """An argparse ``type`` for integers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {value}")
        return value

    return parse


positive_int = int_at_least(1)


def add_data_arguments(parser: argparse.ArgumentParser, default: str | None, limit: str) -> None:
    """--data, --label and --limit; ``limit`` is the command's help of --limit (what the first N are)."""
    from deltaprop.data import NAMED

    parser.add_argument("--data", default=default, metavar="NAME|PATH",
                        help=f"a named data set ({', '.join(NAMED)}), a directory of IDX files, or a .csv/.npy/.npz file"
                        + ("" if default else " (default: the data set the model was trained on)"))
    parser.add_argument("--label", default=None,
                        help="label column of a CSV (default 'label'), array of a .npz (default 'y'), "
                        "or column number of a plain .npy (default -1); not for a named data set or an IDX directory, "
                        "which hold their own labels")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N", help=limit)


def check_label(data, label, built_in: tuple[str, ...] = ()) -> None:
    """Refuse a --label that would be ignored: named data sets (those of deltaprop.data, and the
    command's own ``built_in`` ones) and IDX directories hold their own labels."""
    from pathlib import Path

    from deltaprop.data import NAMED

    if label is None or data is None:
        return
    if data in NAMED or data in built_in:
        raise ValueError(f"--label: names the label column of a .csv/.npy/.npz file; {data!r} is a built-in data set "
                         f"with its own labels (got --label {label}): leave --label out")
    if Path(data).is_dir():
        raise ValueError(f"--label: names the label column of a .csv/.npy/.npz file; {data} is a directory of IDX "
                         f"files, whose labels are in its label files (got --label {label}): leave --label out")


def check_memory(sizes, dtype, flag: str) -> None:
    """Refuse, naming ``flag``, a network whose weights and biases alone need more memory than the machine
    has: building it would end in NumPy's MemoryError, or in the system killing the command."""
    import numpy as np

    n = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    need = n * np.dtype(dtype).itemsize
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # a system that does not say
        return
    if need > memory:
        raise ValueError(f"{flag}: expected sizes whose parameters fit in this machine's memory ({memory / 2**30:,.1f} GiB); "
                         f"the network {sizes} has {n:,} parameters, which take {need / 2**30:,.0f} GiB in "
                         f"{np.dtype(dtype).name}")


#: Names that are pictures' files, which a --plot DIR is not.
PICTURE_SUFFIXES = (".png", ".pdf", ".svg")


def plot_directory(path, flag: str = "--plot") -> None:
    """Make the directory ``path`` for pictures written after the work, and check that files can be made in
    it, now: an existing file there, a picture's name (.png, .pdf, .svg: the other commands take a file) or a
    place where no directory can be made, names ``flag``."""
    from pathlib import Path

    from deltaprop.files import writable_directory

    if Path(path).exists() and not Path(path).is_dir():
        raise NotADirectoryError(f"{flag}: expected a directory (made if missing); got the file {path}")
    # `--plot flow.png` (as cost --plot and explain --picture take a file) would make a directory named flow.png
    written_as_directory = str(path).endswith(("/", os.sep))  # (pics.png/: the user wrote a directory)
    if Path(path).suffix.lower() in PICTURE_SUFFIXES and not Path(path).is_dir() and not written_as_directory:
        raise ValueError(f"{flag}: expected a directory for the pictures (made if missing); got {path}, a picture's file "
                         f"name: give a directory such as {Path(path).with_suffix('')}/")
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise type(exc)(f"{flag}: cannot make the directory {path}: {exc.strerror}") from None
    writable_directory(path, flag)


def print_json(obj) -> None:
    """``obj`` as JSON on stdout (NaN and infinities become null)."""
    from deltaprop.io import _json_safe

    json.dump(_json_safe(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


@contextlib.contextmanager
def flag_names(flags: dict[str, str]):
    """Errors from the library that start with an argument's name say the command-line flag instead.

    ``flags`` maps argument names to flags, e.g. ``{"learning_rate": "--lr"}``:
    "learning_rate: expected a finite number > 0" becomes "--lr: expected ...", and
    "dropout (layer 1): expected ..." becomes "--dropout (layer 1): expected ...". A name followed
    by other words keeps them, after the flag: "checkpoint run.ckpt: no such file" becomes
    "--resume: checkpoint run.ckpt: no such file" (with ``{"checkpoint": "--resume"}``).

    Every command module may define ``FLAGS``; ``deltaprop.cli.main`` applies it to each error
    of its command. A context inside the command, nearer the call, applies first (the
    checkpoint read by ``train --resume`` is ``--resume``, the one written ``--checkpoint``).
    """
    try:
        yield
    except (ValueError, TypeError, OSError) as exc:
        relabelled = relabel(exc, flags)
        if relabelled is exc:
            raise
        raise relabelled from exc


def relabel(exc: BaseException, flags: dict[str, str]) -> BaseException:
    """``exc`` with its leading argument name replaced by its flag (see :func:`flag_names`), or ``exc`` itself."""
    text = str(exc)
    match = re.match(r"(\w+)(:| \(| )", text)
    if not match or match.group(1) not in flags or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return exc
    flag = flags[match.group(1)]
    if match.group(2) == " ":  # "checkpoint PATH: ...": the flag, then the library's words
        message = f"{flag}: {text}"
    else:
        message = flag + text[match.end(1):]
    try:
        return type(exc)(message)
    except Exception:  # noqa: BLE001 - an exception class that takes other arguments: leave it as it is
        return exc


#: File names that end so are data, not models (IDX files: train-images-idx3-ubyte and the like).
DATA_SUFFIXES = (".gz", ".csv", ".npy", ".npz", ".idx", "-ubyte")


#: Names of data (and text) files, which a model, checkpoint or picture written there would replace.
DATA_FILE_SUFFIXES = (*DATA_SUFFIXES, ".txt")
#: What train --out writes (a model file): the README's .safetensors, and the tests' shorter .st.
MODEL_SUFFIXES = (".safetensors", ".st")


def check_output_suffix(path, flag: str, suffixes: tuple[str, ...] | None, what: str) -> None:
    """Refuse an output file name for ``what`` ("a model file", ...) that does not end in one of ``suffixes``
    (case aside), or, where ``suffixes`` is None (any name will do), that ends as a data file's: a data file
    there would be replaced, a name elsewhere would mislead (`--picture p.jpg` holding PNG data)."""
    from pathlib import Path

    if path is None:
        return
    suffix = Path(path).suffix
    ending = next((s for s in DATA_FILE_SUFFIXES if str(path).lower().endswith(s)), None)
    if suffixes is None and ending is None or suffixes is not None and suffix.lower() in suffixes:
        return
    if suffixes is None:
        raise ValueError(f"{flag}: expected a file name for {what}, not a data file's; got {path} (ending in {ending}): "
                         f"give another name")
    given = f"suffix {suffix}" if suffix else "no suffix"
    example = f"{str(path)[:len(str(path)) - len(suffix)] if suffix else path}{suffixes[0]}"
    raise ValueError(f"{flag}: expected a file name for {what}, ending in {' or '.join(suffixes)}; got {path} ({given}): "
                     f"give a name such as {example}")


def file_fingerprint(path) -> dict:
    """{"size": bytes, "crc32": CRC-32 of them} of the file at ``path``, read in 1 MiB pieces.

    Of the file's bytes, not of the arrays read from them: it says whether a table is the one read before
    without depending on how its numbers parse or scale (an edit that changes no number is a change too,
    which errs on the safe side). About 1 GB/s."""
    import zlib

    crc, size = 0, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return {"size": size, "crc32": crc}


#: Characters that reorder the text shown around them (bidirectional overrides and isolates): escaped too.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown_safely(text: str) -> str:
    """``text`` from a file (class names, column names), its control characters (ESC, BEL, ...), bidirectional
    overrides and lone surrogates as escapes: the file may be someone else's, and a terminal acts on them
    (colours, a window title, a line rewritten or hidden), or cannot encode them. Other text (spaces of every
    kind, joiners, any script) as it is."""
    import unicodedata

    return "".join(c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS else c for c in text)


def file_kind(path) -> str | None:
    """"model" (a deltaprop model file), "checkpoint" (a deltaprop training checkpoint), "data" (a
    .csv/.npy/.npz/IDX/gzip file, by its name or first bytes) or None (anything else, or unreadable).
    Reads only the safetensors header, never the whole file."""
    import struct
    from pathlib import Path

    from deltaprop.checkpoint import FORMAT
    from deltaprop.io import MAX_HEADER_BYTES, looks_like

    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            (n,) = struct.unpack("<Q", head) if len(head) == 8 else (None,)
            if n is not None and n <= MAX_HEADER_BYTES and 8 + n <= size:
                header = json.loads(handle.read(n).decode("utf-8"))
                meta = (header.get("__metadata__") or {}) if isinstance(header, dict) else {}
                if meta.get("format") == "deltaprop":
                    return "model"
                if (json.loads(meta.get("deltaprop") or "null") or {}).get("format") == FORMAT:
                    return "checkpoint"
                return None  # another safetensors file
    except OSError:
        return None
    except (ValueError, AttributeError, TypeError, RecursionError):
        pass  # not a safetensors header
    name = path.name.lower()
    what = looks_like(head)
    if name.endswith(DATA_SUFFIXES) or "-idx" in name or (what is not None and not what.startswith("text")):
        return "data"  # (text alone is no sign of data: it is the content of many a wrong file)
    return None


def load_model_argument(path, usage: str):
    """``load_model(path)`` for a command's MODEL argument. A file that is data (the arguments swapped?) or
    a training checkpoint is refused saying so; ``usage`` is the command's synopsis, e.g. "deltaprop predict
    MODEL INPUT"."""
    from pathlib import Path

    from deltaprop.io import load_model, looks_like

    try:
        return load_model(path)
    except ValueError:
        kind = file_kind(path)
        if kind == "data":
            with open(path, "rb") as handle:
                what = looks_like(handle.read(16)) or f"a {Path(path).suffix or 'data'} file"
            raise ValueError(f"MODEL: expected a model file written by `deltaprop train --out`; {path} looks like data "
                             f"({what}). The model comes first: {usage}") from None
        if kind == "checkpoint":
            raise ValueError(f"MODEL: expected a model file written by `deltaprop train --out`; {path} is a training "
                             f"checkpoint (`deltaprop info {path}` describes it; `deltaprop train --resume {path} --out "
                             f"MODEL` continues its run and saves the model)") from None
        raise


#: A model's unit range [lo, hi] at least this wide, and inputs all within [0, 1], look like inputs already scaled.
SCALED_RANGE_WIDTH = 4.0


def warn_if_already_scaled(command: str, scaling, X, flag: str, tolerance: float = 0.0) -> None:
    """Say on stderr (one line, not an error: a dark image is all small legitimately) when ``X``, raw inputs for
    a model whose ``scaling`` maps a unit range [lo, hi] with hi > 1 to [0, 1], lies within [0, 1] while that range
    is much wider, with a value between two whole numbers: inputs that look already scaled (images divided by
    255), which the model would scale a second time. ``flag`` names the inputs (INPUT, --data); ``tolerance`` widens
    [0, 1] for values read back from float32 (evaluate's, which are scaled when it sees them)."""
    import numpy as np

    if scaling is None or scaling.method != "unit" or np.ndim(scaling.shift) or np.ndim(scaling.factor):
        return
    lo = float(scaling.shift)
    hi = lo + 1.0 / float(scaling.factor)
    X = np.asarray(X)
    # (a range from 0 up, as pixels' [0, 255]: a table's observed [-3.3, 3.3] holds values in [0, 1] legitimately)
    if not (lo == 0 and hi >= SCALED_RANGE_WIDTH) or X.size == 0 or X.dtype.kind not in "biuf":
        return
    if X.dtype.kind != "f" or X.min() < -tolerance or X.max() > 1 + tolerance:
        return
    if not np.any(np.abs(X - np.round(X)) > 1e-3):  # whole numbers 0 and 1 only: raw values of a dark image, say
        return
    low, high = (float(np.clip(v, 0, 1)) for v in (X.min(), X.max()))
    print(f"deltaprop {command}: warning: {flag}: every input value lies within [0, 1] ({low:.4g} to {high:.4g}), as "
          f"if the inputs were already scaled; the model expects raw values in [{lo:g}, {hi:g}] and scales them to "
          f"[0, 1] itself, so the results are likely wrong: give the raw values", file=sys.stderr)
