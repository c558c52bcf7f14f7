"""``deltaprop predict``: labels or class probabilities from a saved model for new inputs."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np

from ._common import file_kind, load_model_argument, new_parser, warn_if_already_scaled

USAGE = "deltaprop predict MODEL INPUT"

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"label": "--label", "X": "INPUT"}

EXAMPLES = """\
examples:
  deltaprop predict m.safetensors images.npy                    # one label per line
  deltaprop predict m.safetensors t10k-images-idx3-ubyte.gz --names --out labels.csv
  deltaprop predict m.safetensors rows.csv --proba              # CSV of probabilities, one column per class
"""


def add_parser(subparsers):
    parser = new_parser(
        subparsers,
        "predict",
        help="predict labels or probabilities for new inputs",
        description="Read raw inputs (CSV with or without a header, .npy, .npz or an IDX images file), "
        "scale them as in training, and write one prediction per example.",
        examples=EXAMPLES,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by `deltaprop train --out`")
    parser.add_argument("input", metavar="INPUT", help="inputs: .csv, .npy, .npz, or IDX images (plain or .gz)")
    parser.add_argument("--label", default=None,
                        help="a CSV header column to ignore (default: the model's label column, else 'label')")
    parser.add_argument("--proba", action="store_true",
                        help="write class probabilities instead of labels (a model trained with a cross-entropy loss)")
    parser.add_argument("--names", action="store_true",
                        help="write class names (e.g. 'Sneaker') instead of labels; a classifier without names (of an "
                        "IDX directory's classes 0-9, say) writes its labels, which are its names")
    parser.add_argument("--out", default=None, metavar="FILE", help="write to FILE (.csv or .npy) instead of stdout")
    parser.set_defaults(run=run)
    return parser


#: What --out writes: CSV text, or a NumPy array.
OUT_SUFFIXES = (".csv", ".npy")


def run(args) -> int:
    from deltaprop.data import read_inputs

    if args.out:
        from deltaprop.files import refuse_same_files, writable_path

        writable_path(args.out, "--out")  # a directory or an unwritable place, said before the work
        refuse_same_files([("--out", args.out)], [("MODEL", args.model), ("INPUT", args.input)])
        if Path(args.out).suffix.lower() not in OUT_SUFFIXES:  # (out.json would hold CSV text)
            given = f"suffix {Path(args.out).suffix}" if Path(args.out).suffix else "no suffix"
            stdout = "; leave --out out to write to standard output" if args.out == "-" else ""
            raise ValueError(f"--out: expected a file name ending in {' or '.join(OUT_SUFFIXES)}; got {args.out} "
                             f"({given}){stdout}")
    saved = load_model_argument(args.model, USAGE)
    net = saved.network
    if args.proba and not net.loss_function.classification:
        raise ValueError(f"--proba: needs a model trained with a cross-entropy loss, whose outputs are probabilities; "
                         f"{args.model} has loss {net.loss_function.name!r}: leave --proba out to get its "
                         f"{'labels' if net.is_classifier else 'outputs'}")
    # a CSV model's label column (--label at training; 'label' is left out too), unless --label names another
    label = args.label if args.label is not None or saved.feature_names is None else saved.training.get("label")
    _check_input_kind(args.input)
    # --label given must name a column of INPUT, unless it is the model's own label column (files to predict on
    # often lack it: nothing to leave out then)
    recorded = saved.training.get("label")  # (None: train's default, a CSV's column 'label')
    own_label = args.label is not None and args.label == (recorded if recorded is not None else "label")
    X = read_inputs(args.input, label=label, feature_names=saved.feature_names, label_given=args.label is not None,
                    label_may_be_absent=own_label)
    if X.shape[1] != net.sizes[0]:
        hint = ""
        if X.shape[1] > net.sizes[0]:  # (--label names a column of a CSV file's header; other inputs have no names)
            hint = ("; if one of its columns is a label, name it with --label" if Path(args.input).suffix.lower() == ".csv"
                    else "; if it holds a label column, write the file without it (--label names a column of a CSV file's header)")
        raise ValueError(f"INPUT: expected {net.sizes[0]} values per example (N_0 of the model); {args.input} has "
                         f"{X.shape[1]}{hint}")
    warn_if_already_scaled("predict", saved.scaling, X, "INPUT")
    if args.proba:
        result = saved.predict_proba(X)
        header = [str(c) for c in (saved.class_names or net.classes_.tolist())]
    else:
        result = saved.predict(X)
        header = ["label"]
        if args.names and saved.class_names:
            result = np.asarray(saved.class_names)[np.searchsorted(net.classes_, result)]
        elif args.names and not (net.is_classifier and not net.multilabel_):
            what = "outputs" if not net.is_classifier else "labels"
            raise ValueError(f"--names: the model has no class names (it is a {'regression' if what == 'outputs' else 'multi-label'} "
                             f"model); omit --names to get its {what}")
        # (a classifier without names, such as one of an IDX directory's classes 0-9, or of text labels: its labels
        # are its names, written as they are)
    if args.out and Path(args.out).suffix.lower() == ".npy":
        from deltaprop.files import write_atomically

        result = np.asarray(result)
        if result.dtype.kind == "O":  # a Python API model's labels: as NumPy text or numbers, which need no pickle
            result = np.array(result.tolist())
        if result.dtype.kind == "O":
            raise ValueError(f"--out: the model's labels are Python objects of several kinds ({result[:3].tolist()!r:.60}), "
                             f"which a .npy file holds only as a pickle: give --out a .csv name")
        buffer = io.BytesIO()
        np.save(buffer, result, allow_pickle=False)
        write_atomically(args.out, buffer.getvalue(), "--out")
        return 0
    rows = [header] if args.proba or args.out else []
    rows += [_cells(row) for row in result] if result.ndim == 2 else [[cell] for cell in _cells(result)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)  # a class name with a comma or quote is quoted
    text = buffer.getvalue()
    if args.out:
        from deltaprop.files import write_atomically

        write_atomically(args.out, text, "--out")
    else:
        sys.stdout.write(text)
    return 0


def _check_input_kind(path) -> None:
    """Refuse, naming INPUT, a model file given as inputs (the arguments swapped, or a model twice), which would
    otherwise be reported as an IDX file with a bad magic number. (An IDX file of labels read_inputs refuses.)"""
    kind = file_kind(path)
    if kind in ("model", "checkpoint"):
        what = "a model file (safetensors)" if kind == "model" else "a training checkpoint (safetensors)"
        raise ValueError(f"INPUT: expected inputs (.csv, .npy, .npz or IDX images); {path} is {what}, not data. "
                         f"The model comes first: deltaprop predict MODEL INPUT")


def _cells(values: np.ndarray) -> list[str]:
    """The values as CSV cells: a float in the fewest digits that read back as the same number of its dtype
    (NumPy's str of a float32 or float64), bytes as Latin-1 text (as info shows them), anything else as str."""
    if values.dtype.kind == "f":
        return [str(v) for v in values]
    return [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values.tolist()]
