"""``deltaprop evaluate``: accuracy, per-class precision/recall and the confusion matrix of a saved model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._common import (add_data_arguments, check_label, file_fingerprint, flag_names, load_model_argument, new_parser,
                      plot_directory, print_json, warn_if_already_scaled)

USAGE = "deltaprop evaluate MODEL [--data NAME|PATH]"

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"data": "--data", "X": "--data", "y": "--data", "y_true": "--data", "label": "--label", "limit": "--limit"}

EXAMPLES = """\
examples:
  deltaprop evaluate m.safetensors --data fashion-mnist
  deltaprop evaluate m.safetensors --data fashion-mnist --json | jq .accuracy
  deltaprop evaluate m.safetensors --data test.csv --label species --plot plots/
"""


def add_parser(subparsers):
    parser = new_parser(
        subparsers,
        "evaluate",
        help="measure a saved model on a data set's test part",
        description="Evaluate a saved model on the test part of a data set, scaling the inputs as in training: "
        "every row of a CSV/NumPy file given with --data; without --data, the test part of the data the model "
        "was trained on (of a table, the rows train held out; refused if the file changed since training, "
        "when they can no longer be told apart).",
        examples=EXAMPLES,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by `deltaprop train --out`")
    add_data_arguments(parser, default=None,
                       limit="evaluate on the first N examples only: of a named data set or an IDX directory "
                       "the first N test examples; of a .csv/.npy/.npz file given with --data its first N rows; of the "
                       "table the model was trained on (no --data), only the --limit of its training, the default (another "
                       "would mix trained rows into the test rows)")
    parser.add_argument("--plot", default=None, metavar="DIR",
                        help="write confusion.png (the confusion matrix) here, and for a model of two inputs decision.png "
                        "(its predicted class over the input plane, with the examples evaluated); for a classifier, not a "
                        "regression model")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)
    return parser


def evaluation_data(saved, data_arg, label, limit):
    """(X, y, name) to evaluate ``saved`` on: the data set's test part, scaled with the model's scaling."""
    import os

    from deltaprop.data import NAMED, TASKS, load_dataset

    trained_on = saved.training
    data = data_arg or (trained_on.get("data") if trained_on.get("data") in NAMED else trained_on.get("data_source")) or "digits"
    check_label(data, label)
    if not data_arg and data not in NAMED and not os.path.exists(data):  # (load_dataset's error would blame --data)
        raise FileNotFoundError(f"--data: not given, and the data the model was trained on, {data}, is gone (recorded in "
                                f"the model's training summary; no such file or directory): give --data NAME|PATH")
    if not data_arg and data not in NAMED:
        _check_data_unchanged(data, trained_on.get("data_file"))
    task = "auto"
    if data_arg and str(data_arg).lower().endswith(".csv") and label is None and saved.feature_names is not None:
        label = trained_on.get("label")  # a CSV model's label column for a CSV file, as predict takes it (None: 'label')
    if not data_arg:  # the training data: the same label, and the same rows when train used --limit
        label = trained_on.get("label") if label is None else label
        if limit is not None and data not in NAMED and limit != trained_on.get("limit"):
            # train held out 20% of the table's first --limit rows: of other rows, another 20% (trained rows among them)
            trained = "all its rows" if trained_on.get("limit") is None else f"its first {trained_on.get('limit')} rows (--limit)"
            raise ValueError(f"--limit: without --data, the test rows are those train held out of {trained} of {data}; got "
                             f"--limit {limit}, whose held-out rows would include rows the model trained on. Leave --limit "
                             f"out, or give --data {data} to evaluate on its first {limit} rows, trained ones included")
        limit = trained_on.get("limit") if limit is None else limit
        # the labels as train read them, its test rows depend on that (None: a model of before --task, as read)
        task = trained_on.get("task")
        if task is not None and task not in TASKS:
            raise ValueError(f"MODEL: the training summary of the model records task {task!r}; expected one of "
                             f"{', '.join(map(repr, TASKS))} (a damaged file?)")
    n0 = saved.network.sizes[0]
    # a data set of another width meets the model's per-feature scaling first: said as any other width is
    name = data if data in NAMED else (f"{Path(data).resolve().name}/" if Path(data).is_dir() else Path(data).name)
    scaling = _width_checked(saved.scaling, name, n0)
    with flag_names({"X": "--data"}):  # (a CSV's columns matched to the model's by name, before its per-column scaling)
        dataset = load_dataset(data, label=label, limit=limit, scaling=scaling, task=task,
                               feature_names=saved.feature_names)
    if not data_arg and dataset.X_test is None:
        dataset.split_test(0.2, seed=trained_on.get("seed", 0))  # the test rows train held out
    X, y = (dataset.X_test, dataset.y_test) if dataset.X_test is not None else (dataset.X_train, dataset.y_train)
    if X.shape[1] != n0:
        raise ValueError(f"--data: {dataset.name} has {X.shape[1]} features per example; the model expects N_0 = {n0}")
    if data_arg and data not in NAMED and Path(data).is_file():  # (the named sets and IDX directories are read raw)
        _warn_if_already_scaled(saved.scaling, X)
    return X, y, dataset


def _check_data_unchanged(path, recorded) -> None:
    """Refuse to re-derive the test rows train held out of the table at ``path`` when the file is no longer the one
    train read (``recorded``: its file_fingerprint in the training summary; None, as in models saved before it was
    recorded, and of data sets with their own test part, checks nothing): of reordered, edited or added rows the
    same seed draws other rows, some of which the model trained on, and would score them as unseen."""
    if recorded is None:
        return
    if not (isinstance(recorded, dict) and set(recorded) == {"size", "crc32"}
            and all(isinstance(v, int) and not isinstance(v, bool) for v in recorded.values())
            and recorded["size"] >= 0 and 0 <= recorded["crc32"] < 2**32):
        raise ValueError(f"MODEL: the training summary of the model records data_file {recorded!r:.80}; expected "
                         f"{{'size': bytes, 'crc32': a 32-bit checksum}} (a damaged file?)")
    if not Path(path).is_file():  # (a directory now: load_dataset would read it as IDX files)
        now = "it is no longer a file"
    else:
        try:
            current = file_fingerprint(path)
        except OSError as exc:
            raise type(exc)(f"--data: not given, and the data file the model was trained on, {path}, cannot be read: "
                            f"{exc.strerror}") from None
        if current == recorded:
            return
        now = f"it now has {current['size']:,} bytes, CRC-32 {current['crc32']:08x}"
    raise ValueError(f"--data: not given, and the data file the model was trained on, {path}, has changed since "
                     f"training (expected {recorded['size']:,} bytes, CRC-32 {recorded['crc32']:08x}, as train read it; "
                     f"{now}): the test rows train held out of it cannot be told from the rows it trained on. Give "
                     f"--data PATH to evaluate on every row of a file (--data {path}: its rows the model trained on "
                     f"included)")


def _width_checked(scaling, name: str, n0: int):
    """``scaling`` (the model's), refusing inputs of other than ``n0`` features per example before it scales them,
    naming --data and the data set ``name``: a per-feature scaling would refuse them first with its own words."""
    from deltaprop.data import Scaling

    class WidthChecked(Scaling):
        def apply(self, X, *, owned=False):
            if np.ndim(X) == 2 and np.shape(X)[1] != n0:
                raise ValueError(f"--data: {name} has {np.shape(X)[1]} features per example; the model expects N_0 = {n0}")
            return super().apply(X, owned=owned)

    return WidthChecked(scaling.method, scaling.shift, scaling.factor)


def _warn_if_already_scaled(scaling, X) -> None:
    """warn_if_already_scaled on the raw values of a file's inputs, which ``X`` holds scaled by the model's
    ``scaling``: (x - lo) / (hi - lo) undone."""
    if scaling.method != "unit" or np.ndim(scaling.shift) or np.ndim(scaling.factor):
        return
    raw = np.asarray(X, dtype=np.float64) / float(scaling.factor) + float(scaling.shift)
    warn_if_already_scaled("evaluate", scaling, raw, "--data", tolerance=1e-4)  # (float32's rounding, times hi - lo)


def run(args) -> int:
    from deltaprop.metrics import classification_report

    saved = load_model_argument(args.model, USAGE)
    net = saved.network
    if args.plot and (not net.is_classifier or net.multilabel_):
        kind = "multi-label" if net.is_classifier else f"regression (loss {net.loss_function.name})"
        raise ValueError(f"--plot: draws the confusion matrix of a classifier; {args.model} is a {kind} model, which has "
                         f"none: leave --plot out")
    if args.plot:  # before the evaluation, not after it
        from pathlib import Path

        from deltaprop.files import refuse_same_files

        pictures = ["confusion.png"] + (["decision.png"] if net.sizes[0] == 2 else [])
        refuse_same_files([("--plot", Path(args.plot) / p) for p in pictures], [("MODEL", args.model), ("--data", args.data)])
        plot_directory(args.plot)
    X, y, dataset = evaluation_data(saved, args.data, args.label, args.limit)
    if not net.is_classifier or net.multilabel_:
        # the targets as the network was trained on them (train standardises a quadratic regression's); R^2 is the same
        score = net.score(X, y if net.is_classifier else saved.scale_targets(y))
        what = "accuracy" if net.is_classifier else "R^2"  # (multi-label: exact-match accuracy, as Network.score)
        result = {"model": args.model, "data": dataset.name, "n_examples": len(X), "score": score, "score_kind": what,
                  "loss": net.loss_function.name}
        errors = ""
        if not net.is_classifier:  # the errors in the targets' own units (the outputs unscaled in float64: targets
            # of 1e8 are 8 apart in float32, which would swamp the errors)
            error = (saved.unscale_targets(net.predict(X), np.float64).reshape(len(X), -1)
                     - np.asarray(y, dtype=np.float64).reshape(len(X), -1))
            result |= {"rmse": float(np.sqrt(np.mean(error**2))), "mae": float(np.mean(np.abs(error)))}
            errors = f", RMSE {result['rmse']:.4g}, MAE {result['mae']:.4g} (in the targets' units)"
        if args.json:
            print_json(result)
        else:
            print(f"{args.model} on {dataset.name}: {what} {score:.4f}{errors} ({len(X):,} examples)")
        return 0
    names = saved.class_names or dataset.class_names
    report = classification_report(y, net.predict(X), net.classes_, names)
    result = {"model": args.model, "data": dataset.name} | report
    if args.plot:
        from pathlib import Path

        from deltaprop.plots import plot_confusion

        shown = [p["name"] for p in report["per_class"]]  # (the class names, in the order of net.classes_)
        result["files"] = [str(plot_confusion(report["confusion_matrix"], shown, Path(args.plot) / "confusion.png"))]
        if net.sizes[0] == 2:  # points in the plane: the picture train --plot draws, of the examples evaluated
            from deltaprop.plots import plot_decision

            title = (f"Predicted class of the {'-'.join(map(str, net.sizes))} network\naccuracy "
                     f"{report['accuracy']:.3f} on the {len(X):,} examples of {dataset.name}")
            picture = plot_decision(net, dataset.scaling.unscaled64(X), y, Path(args.plot) / "decision.png",
                                    scaling=dataset.scaling, class_names=shown, feature_names=dataset.feature_names,
                                    title=title)
            result["files"].append(str(picture))
    if args.json:
        print_json(result)
        return 0
    print(f"{args.model} on {dataset.name} ({report['n_examples']:,} examples): accuracy {report['accuracy']:.4f}")
    width = max(len("class"), *(len(p["name"]) for p in report["per_class"]))  # the column holds its heading too
    print(f"\n{'class':<{width}}  precision  recall  support")
    for p in report["per_class"]:
        print(f"{p['name']:<{width}}  {p['precision']:9.4f}  {p['recall']:6.4f}  {p['support']:7d}")
    cm = report["confusion_matrix"]
    cell = max(len(str(v)) for row in cm for v in row) + 1
    print("\nconfusion matrix (rows: true class, columns: predicted)")
    for p, row in zip(report["per_class"], cm):
        print(f"{p['name']:<{width}} " + "".join(f"{v:>{cell}}" for v in row))
    for path in result.get("files", []):
        print(f"wrote {path}")
    return 0
