"""``deltaprop explain``: one forward and one backward pass with the real numbers, in the lecture's order."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from deltaprop.data import IN_MEMORY

from ._common import check_memory, check_output_suffix, flag_names, int_at_least, shown_safely
from .train import FEW_PER_CLASS, _amount_loss

EXAMPLES = """\
examples:
  deltaprop explain                                    # the 2-2-2 sigmoid network on x = (0.05, 0.1), t = (0.01, 0.99)
  deltaprop explain --x 0.1,0.2 --t 1 --layers 3       # your own input and target
  deltaprop explain --x -0.5,0.2 --t 0,1 --output softmax   # negative numbers; softmax brings cross_entropy
  deltaprop explain --example digits:7 --layers 8 --loss cross_entropy --picture pass.png
  deltaprop explain --format markdown --out notes.md   # Markdown with LaTeX, for slides
  deltaprop explain --model m.safetensors --example digits:7   # a trained model (train --out) on a real example
"""

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"x": "--x", "t": "--t", "eta": "--eta", "max_units": "--max-units", "precision": "--precision",
         "activation": "--activation", "output": "--output", "loss": "--loss", "seed": "--seed", "dtype": "--dtype",
         "scale": "--scale", "task": "--task"}

#: Data sets that --example reads whole from memory, indexed in their own order (deltaprop.data's named sets that
#: are no IDX files: digits, iris, ..., spiral); the others it reads through load_dataset.
BUILTIN_EXAMPLES = IN_MEMORY

#: Rows of a data file that --example reads (more when INDEX is further on): its scaling is fitted on them,
#: so that it is the same for every INDEX below this.
EXAMPLE_ROWS = 1000

#: What argparse takes for a value rather than a flag: anything that starts as a negative number (its own pattern
#: takes only -1 and -0.5), so that `--x -0.5,0.2` works as `--x=-0.5,0.2` does and a bad list gets --x's error.
NEGATIVE_NUMBERS = re.compile(r"-\.?\d")


def parse_floats(text: str, argument: str) -> np.ndarray:
    """'0.1,0.2' -> array([0.1, 0.2]); ValueError naming ``argument`` otherwise (an empty field too, as
    --layers 2,,3 is refused: '0.1,,0.2' is a number left out, not two numbers)."""
    if not text.strip():
        raise ValueError(f"{argument}: expected at least one number; got {text!r}")
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{argument}: expected comma-separated numbers such as 0.1,0.2; got {text!r}") from None
    for i, v in enumerate(values):
        if not np.isfinite(v):
            raise ValueError(f"{argument}: expected finite numbers; got {v} as value {i + 1} of {text!r}")
    return np.array(values)


def parse_sizes(text: str, argument: str = "--layers") -> list[int]:
    """'3,4' -> [3, 4]; '' or 'none' -> [] (no hidden layer)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{argument}: expected comma-separated hidden-layer sizes such as 3,4; got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise ValueError(f"{argument}: expected sizes >= 1; got {text!r}")
    return sizes


class Example(NamedTuple):
    """An example of a data set for explain: x (N_0,), t (one-hot over the data's classes, or [y]), the class's
    position among them (None for a real-valued target), the printout's sentence on it, the label itself (None for
    a real-valued target) and where it comes from ("example 7 of digits")."""

    x: np.ndarray
    t: np.ndarray
    position: int | None
    note: str
    label: object
    where: str


def load_example(spec: str, label: str | None = None, *, scale: str = "auto",
                 task: str = "auto", max_units: int | None = None, model=None) -> Example:
    """'digits:7' -> the :class:`Example` of row 7 of a data set: x, one-hot t, class index, how x was scaled.

    ``label`` names the label column (CSV) or array (NumPy) of a data file; None takes the default.
    ``scale`` is train's --scale: "auto" (images to [0, 1], tables standardised), "unit", "standard" or "none";
    ``task`` is train's --task. Real-valued labels (a regression table's, or any with task "regression")
    give t = [y], one output, and no class index. The last item is a sentence for the printout, which states
    the example's class (its label, and its name where the data name their classes); where the printout shows
    only the first ``max_units`` entries of t and its 1 is beyond them, it says which entry holds it.
    ``model`` (a SavedModel, for explain --model): x as that model takes its inputs, as ``deltaprop evaluate``
    reads them (a table's columns matched to its input names, its own scaling from the raw values), not ``scale``.
    """
    name, _, index_text = spec.partition(":")
    from ._common import check_label

    check_label(name, label, BUILTIN_EXAMPLES)  # iris, digits, fashion-mnist, mnist, IDX directories: their own labels
    try:
        index = int(index_text) if index_text else 0
    except ValueError:
        raise ValueError(f"--example: expected NAME[:INDEX] such as digits:7; got {spec!r}") from None
    if name in BUILTIN_EXAMPLES:
        from deltaprop.data import Scaling, named_arrays

        whole = named_arrays(name)  # (the whole set in its own order: INDEX is a row of scikit-learn's)
        raw, y, names = whole.X, whole.y, whole.class_names  # (no names: the labels are their own, digits' 0-9)
        if model is not None:  # (the raw values, float64, into the model's own scaling, as predict takes them)
            if raw.shape[1] != model.network.sizes[0]:
                raise ValueError(f"--example: {name} has {raw.shape[1]} features per example; the model expects "
                                 f"N_0 = {model.network.sizes[0]}")
            X, how = np.asarray(model.scale(raw), dtype=np.float64), None
        elif scale == "auto" and name == "digits":
            X, how = raw / 16.0, "its pixels 0..16 divided by 16 (to [0, 1])"
        else:  # (auto: the set's own method, as train's; fitted on the whole set, which INDEX counts in)
            scaling = Scaling.fit(raw, whole.scale if scale == "auto" else scale, whole.value_range)
            X, how = scaling.apply(raw).astype(np.float64), _scaling_words(scaling, f"its {len(raw)} examples")
        if task == "regression":  # the class numbers as amounts: one output
            y = y.astype(np.float64)
        where = f"example {index} of {name}"
    else:
        from deltaprop.data import load_dataset  # fashion-mnist, mnist, files (their column "label", array "y")
        # The first EXAMPLE_ROWS rows (or up to INDEX): the scaling is fitted on them, and they hold every class
        # of the usual data sets.
        limit = max(index + 1, EXAMPLE_ROWS)
        as_model = {} if model is None else {"scaling": model.scaling, "feature_names": model.feature_names}
        try:
            data = load_dataset(name, label=label, limit=limit, scale=scale, task=task, **as_model)
        except (ValueError, OSError) as exc:
            width = re.search(r"as the scaling was fitted on; got shape \(\d+, (\d+)\)", str(exc)) if model else None
            if width:  # (the model's per-column scaling met another width first: said as evaluate says it)
                raise ValueError(f"--example: {Path(name).name} has {width[1]} features per example; the model expects "
                                 f"N_0 = {model.network.sizes[0]}") from None
            raise type(exc)(f"--example: {exc}") from None
        X, y = np.asarray(data.X_train, dtype=np.float64), np.asarray(data.y_train)
        names = data.class_names
        how = _scaling_words(data.scaling, f"its first {len(X):,} rows" if len(X) >= limit else f"its {len(X):,} rows")
        where = f"row {index} of {data.name}"
        if model is None and task == "auto" and y.dtype.kind in "iu" and len(y) < FEW_PER_CLASS * len(np.unique(y)):
            classes = len(np.unique(y))  # (as train says it: whole-number prices or counts are classes for --task auto)
            print(f"deltaprop explain: note: the labels of {data.name} are whole numbers with {classes:,} values, taken "
                  f"as {classes:,} classes ({len(y) / classes:.1f} examples per class in the {len(y):,} rows read); if "
                  f"they are amounts to predict, give --task regression", file=sys.stderr)
    if not 0 <= index < len(X):
        raise ValueError(f"--example: index must be in 0..{len(X) - 1} for {name!r}; got {index}")
    note = f"x is {where}, " + ("as stored (--scale none)." if how is None else f"{how}; --scale none shows it unscaled.")
    if y.dtype.kind == "f":  # real-valued targets (load_dataset made whole numbers classes): one output
        return Example(X[index], np.array([y[index]], dtype=np.float64), None, note, None, where)
    classes = np.unique(y)
    t = (classes == y[index]).astype(np.float64)
    position = int(np.searchsorted(classes, y[index]))
    value = y[index].item() if hasattr(y[index], "item") else y[index]
    value = value.decode("latin-1") if isinstance(value, bytes) else value
    named = names is not None and isinstance(value, (int, np.integer)) and 0 <= value < len(names)
    label_text = repr(value) if isinstance(value, str) else str(value)
    note += f" Its class is {label_text}" + (f" ({names[value]})" if named else "")
    if max_units is not None and len(t) > max_units and position >= max_units:  # the 1 is not among the entries shown
        note += (f"; t = one-hot of class {label_text}: its 1 is entry {position + 1} of {len(t)} (the classes in "
                 f"sorted order), beyond the first {max_units} shown.")
    else:
        note += f"; t is its one-hot vector over the {len(t)} class{'' if len(t) == 1 else 'es'}."
    return Example(X[index], t, position, note, y[index], where)


def _scaling_words(scaling, fitted_on: str) -> str | None:
    """How ``scaling`` (a deltaprop.data.Scaling fitted on what ``fitted_on`` says) maps a raw value; None for none."""
    if scaling.method == "standard":
        return f"standardised: each column minus its mean, over its standard deviation, over {fitted_on}"
    if scaling.method == "unit" and np.ndim(scaling.shift) == 0 and np.ndim(scaling.factor) == 0:
        low, span = float(scaling.shift), 1 / float(scaling.factor)
        return f"scaled to [0, 1] as (value {'-' if low >= 0 else '+'} {abs(low):g}) / {span:g}"
    if scaling.method == "unit":  # (a range per column)
        return f"scaled to [0, 1]: each column by its smallest and largest value over {fitted_on}"
    return None


def add_parser(subparsers) -> argparse.ArgumentParser:
    from deltaprop.activations import output_activations
    from deltaprop.data import NAMED, SCALINGS, TASKS
    from deltaprop.losses import LOSSES

    parser = subparsers.add_parser(
        "explain",
        help="one forward and one backward pass with the real numbers, in the lecture's notation",
        description="Run one example through a small network and print z^l, a^l, delta^l, dC/dW^l and the "
        "update theta <- theta - eta grad C(theta), layer by layer (l = 1..L), as the lecture writes them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # `--x -0.5,0.2` is a value, not an unknown flag: (argparse's private pattern; without it --x=-0.5,0.2 still works)
    parser._negative_number_matcher = NEGATIVE_NUMBERS
    data = parser.add_argument_group("the example")
    data.add_argument("--x", help="the input x, comma-separated, e.g. -0.5,0.2 (default 0.05,0.1)")
    data.add_argument("--t", help="the target t, comma-separated, e.g. 0,1 (default 0.01,0.99)")
    data.add_argument("--example", metavar="NAME[:INDEX]",
                      help=f"take x and t from a data set instead: {', '.join(BUILTIN_EXAMPLES)} (INDEX counts in the "
                      f"whole set), or {', '.join(n for n in NAMED if n not in BUILTIN_EXAMPLES)} (INDEX counts in its "
                      "training part) or a data file; INDEX counts from 0 (the first example), its default. x is scaled as "
                      "--scale says, and the printout says how")
    data.add_argument("--scale", choices=("auto", *SCALINGS), default="auto",
                      help="scaling of an --example's inputs, as train's: auto (the default) = digits' pixels divided by "
                      "16, the columns of the other named sets held in memory (iris, ..., spiral) standardised over the "
                      f"whole set, other images to [0, 1], a data file's columns standardised over its first {EXAMPLE_ROWS} "
                      "rows; none: x as stored")
    data.add_argument("--task", choices=TASKS, default="auto",
                      help="what an --example's labels are, as train's --task: auto (the default): whole numbers and text "
                      "are classes (one-hot t, one output each), other numbers (and counts for the poisson loss) "
                      "regression targets (t = [y], one output); regression: every number an amount")
    data.add_argument("--model", metavar="FILE",
                      help="explain a trained model (a file of `deltaprop train --out`, or save_model's) instead of a new "
                      "network: its example as --x (in the data's units: the model's own scaling is applied) and --t "
                      "(one of its classes, or the target's values), or from --example")
    data.add_argument("--label", help="the label of a data file given to --example: column of a CSV (default 'label'), "
                      "array of a .npz (default 'y') or column number of a plain .npy (default -1)")
    net = parser.add_argument_group("the network")
    net.add_argument("--layers", help="hidden layer sizes, comma-separated; 'none' for none (default 2)")
    net.add_argument("--activation", help="sigma of the hidden layers (default sigmoid; the lecture's sigma is any activation)")
    brings_loss = ", ".join(f"{l.fused_output}: {n}" for n, l in LOSSES.items() if l.fused_output)
    brings_output = ", ".join(f"{n}: {l.outputs[0]}" for n, l in LOSSES.items() if l.outputs)
    net.add_argument("--output", help=f"sigma of layer L: {', '.join(output_activations())}. Without --loss it brings "
                     f"its own loss, as in train and Network ({brings_loss}, others: quadratic); with neither given, "
                     "sigmoid with the quadratic cost")
    net.add_argument("--loss", help=f"the cost C: {', '.join(LOSSES)}. Without --output it brings its own output "
                     f"({brings_output}); quadratic takes the "
                     "sigmoid (identity for an --example's real-valued target). Default quadratic")
    net.add_argument("--seed", type=int_at_least(0), help="seed of the initial weights (default 0)")
    net.add_argument("--dtype", choices=("float32", "float64"), help="the network's float type (default float32)")
    net.add_argument("--eta", type=float, default=0.5, help="learning rate of the update shown (default 0.5)")
    net.add_argument("--fused", action="store_true", help="take delta^L = y - t where exact, as training does")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=("text", "markdown"), default="text")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the text (auto: when writing to a terminal)")
    out.add_argument("--max-units", type=int, default=6, help="units shown per layer (default 6)")
    out.add_argument("--precision", type=int, help="significant digits (default: exact values)")
    out.add_argument("--out", metavar="PATH", help="write to this file instead of standard output")
    out.add_argument("--picture", metavar="FILE", help="also draw the network's forward and backward pass to this picture (a name ending in .png, .svg or .pdf)")
    parser.add_argument("--debug", dest="sub_debug", action="store_true", help="show the full traceback on errors")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from deltaprop._figures import FORMATS
    from deltaprop.files import refuse_same_files, writable_path
    from deltaprop.network import Network

    for flag, path in (("--out", args.out), ("--picture", args.picture)):
        if path:
            writable_path(path, flag)  # before the work, so that nothing is printed and then lost
    # one file for both: the picture would replace the text; an --example file written over: its data lost
    refuse_same_files([("--out", args.out), ("--picture", args.picture)],
                      [("--example", args.example.partition(":")[0] if args.example else None), ("--model", args.model)])
    check_output_suffix(args.picture, "--picture", tuple(FORMATS), "a picture")  # (the format its suffix names)
    if args.precision is not None and args.precision < 1:  # (the library's words say None, which is no flag's value)
        raise ValueError(f"--precision: expected an integer >= 1 (leave it out for exact values); got {args.precision}")
    if args.example and (args.x or args.t):
        raise ValueError("--example: give either --example or --x/--t, not both")
    if args.label is not None and not args.example:
        raise ValueError("--label: names the label column of the --example data file; give --example too")
    if not args.example:
        for flag, given in (("--scale", args.scale != "auto"), ("--task", args.task != "auto")):
            if given:
                raise ValueError(f"{flag}: applies to the data of --example; give --example too (got {flag} "
                                 f"{getattr(args, flag[2:])})")
    if args.model:
        net, x, t, scaled = _model_example(args)
        _explain_and_write(args, net, x, t, scaled)
        return 0
    for name, default in ARCHITECTURE_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    real_target, scaled = False, None
    if args.example:
        # counts for the poisson loss are amounts, as train takes them
        amounts = _amount_loss(args) is not None and args.task == "auto"
        try:
            x, t, class_index, scaled, _, _ = load_example(args.example, args.label, scale=args.scale,
                                                           task="regression" if amounts else args.task,
                                                           max_units=args.max_units)
        except ValueError as exc:  # (--task was ours, from the loss, not the user's)
            if not (amounts and "regression needs numeric targets" in str(exc)):
                raise
            flag = "--loss" if args.loss else "--output"
            raise ValueError(f"{flag}: {args.loss or args.output} is for counts and rates (the poisson loss), and the "
                             f"labels of --example {args.example} are text: give another --label or {flag}") from None
        real_target = class_index is None
    else:
        x = parse_floats(args.x or "0.05,0.1", "--x")
        t = parse_floats(args.t or "0.01,0.99", "--t")
    # The lecture's y = sigma(z^L) with C = 1/2 ||y - t||^2 where neither is given (an identity output for a
    # real-valued target of an --example, which may lie outside (0, 1)); --output alone brings its loss as
    # Network does (softmax: cross_entropy, sigmoid: binary_cross_entropy, exp: poisson, others quadratic).
    lecture_output = "identity" if real_target else "sigmoid"
    loss, output = args.loss, args.output
    if loss is None and output is None:
        loss, output = "quadratic", lecture_output
    elif output is None and loss == "quadratic":
        output = lecture_output
    if loss == "cross_entropy" and output is None and len(t) < 2:  # its softmax output needs 2 classes or more
        remedy = "data of 2 classes or more" if args.example else "a one-hot --t such as 0,1"
        what = "the --example's data give" if args.example else "--t gives"
        raise ValueError(f"--loss: cross_entropy goes with a softmax output over 2 or more classes; {what} {len(t)} target "
                         f"value: give {remedy}, or --loss binary_cross_entropy for one output")
    sizes = [len(x), *parse_sizes(args.layers), len(t)]
    check_memory(sizes, args.dtype, "--layers")
    net = Network(sizes, activation=args.activation, output=output, loss=loss, seed=args.seed, dtype=args.dtype)
    _explain_and_write(args, net, x, t, scaled)
    return 0


#: The new network's settings where their flags are left out (None there: --model's network has its own).
ARCHITECTURE_DEFAULTS = {"layers": "2", "activation": "sigmoid", "seed": 0, "dtype": "float32"}


def _model_example(args):
    """--model's network, and the example in its terms: x scaled as the model was trained (from --x, or the raw
    row of --example), t the class label (--t naming one of its classes, or --example's label) or target values
    (scaled as its targets were). Returns (net, x, t, a sentence on where x and t come from)."""
    from deltaprop.io import load_model

    from ._common import file_kind

    for flag in ("--layers", "--activation", "--output", "--loss", "--seed", "--dtype"):
        if getattr(args, flag[2:]) is not None:
            raise ValueError(f"{flag}: the network is --model {args.model}'s; leave {flag} out")
    if args.scale != "auto":
        raise ValueError(f"--scale: --model {args.model} scales its inputs as it was trained; leave --scale out")
    if not args.example and (args.x is None or args.t is None):
        raise ValueError(f"--model: give the example to explain: --x and --t (its input and target), or --example NAME[:INDEX]")
    try:
        saved = load_model(args.model)
    except (OSError, ValueError) as exc:
        kind = file_kind(args.model)
        if kind in ("data", "checkpoint"):
            made = "train --out" if kind == "data" else "train --resume ... --out from it"
            raise ValueError(f"--model: expected a model file (`deltaprop {made}`); {args.model} is "
                             f"{'data' if kind == 'data' else 'a training checkpoint'}") from None
        raise type(exc)(f"--model: {exc}") from None
    net = saved.network
    classifier = net.classes_ is not None and not net.multilabel_
    label = None
    if args.example:  # (read as evaluate reads data for a model: its input names, its own scaling)
        task = "regression" if args.task == "auto" and not classifier else args.task  # (the model's kind of target)
        column = args.label
        if column is None and saved.feature_names is not None:  # (a CSV model's label column, as evaluate takes it)
            column = saved.training.get("label")
        try:
            example = load_example(args.example, column, task=task, model=saved)
        except ValueError as exc:
            if not classifier and "regression needs numeric targets" in str(exc):  # (the task was ours: the model's)
                raise ValueError(f"--example: the labels of {args.example.partition(':')[0]} are text, and --model "
                                 f"{args.model} is a regression (its targets are numbers)") from None
            raise
        x, label, where, width = example.x, example.label, f"x is {example.where}", example.x.size
        if classifier and label is None:
            raise ValueError(f"--example: {args.example} has a real-valued target, and --model {args.model} is a classifier")
        if classifier and not np.isin(np.asarray([label]), net.classes_).all():
            label = label.item() if isinstance(label, np.generic) else label
            raise ValueError(f"--example: the label {label!r} of {example.where} is not among the classes of --model "
                             f"{args.model}: {shown_safely(', '.join(map(str, net.classes_.tolist())))[:200]}")
        t = label if classifier else example.t
    else:
        x, where = parse_floats(args.x, "--x"), "x is --x"
        t = _model_target(args.t, saved) if classifier else parse_floats(args.t, "--t")
        width = x.size
    if width != net.sizes[0]:
        got = f"{args.example.partition(':')[0]} has {width} features per example" if args.example else f"got {width} values"
        raise ValueError(f"{'--example' if args.example else '--x'}: {got}; the model expects N_0 = {net.sizes[0]}")
    if not args.example:
        with flag_names({"X": "--x"}):
            x = saved.scale(x[None, :])[0]  # (float64 raw values into the model's scaling, as predict takes them)
    how = _scaling_words(saved.scaling, "the model's training data")
    note = f"{where}, " + ("as given (the model has no input scaling)." if how is None else f"{how}, as the model was trained.")
    if label is not None and classifier:
        label = label.item() if isinstance(label, np.generic) else label
        position = int(np.searchsorted(net.classes_, label))
        name = f" ({saved.class_names[position]})" if saved.class_names and position < len(saved.class_names) else ""
        note += shown_safely(f" Its class is {label!r}{name}." if isinstance(label, str) else f" Its class is {label}{name}.")
    if not classifier and saved.target_scaling is not None and saved.target_scaling.method != "none":
        t = saved.scale_targets(np.asarray(t, dtype=np.float64)[None, :])[0]
        note += " t is scaled as the model's targets were in training."
    return net, x, t, note


def _model_target(text: str, saved):
    """--t for a classifier model: one of its classes (as written, or by its class name), else (comma-separated)
    the encoded target's values."""
    net = saved.network
    given = text.strip()
    labels = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in net.classes_.tolist()]
    for names in (labels, saved.class_names or []):  # (a label first: a class name may be another class's label)
        if given in names:
            return net.classes_[names.index(given)]
    try:
        number = float(given)
    except ValueError:
        number = None
    if number is not None and net.classes_.dtype.kind in "iuf" and number in net.classes_.tolist():  # (4.0 for class 4)
        return net.classes_[net.classes_.tolist().index(number)]
    if "," not in given and (net.sizes[-1] > 1 or number is None):  # (meant as a class)
        names = saved.class_names or labels
        values = f"the {net.sizes[-1]} values" if net.sizes[-1] > 1 else "the value"
        raise ValueError(f"--t: expected one of the model's classes {shown_safely(', '.join(names))[:200]}, or {values} "
                         f"of an encoded target; got {text!r}")
    return parse_floats(text, "--t")  # (one output unit: a number that is no class is the target value)


def _explain_and_write(args, net, x, t, scaled) -> None:
    from deltaprop.explain import explain

    with flag_names({"t": "--example"} if args.example else {}):  # its label, not a --t, is the target
        ex = explain(net, x, t, eta=args.eta, fused=args.fused)
    if scaled:
        ex.notes.insert(0, scaled)
    options = dict(max_units=args.max_units, precision=args.precision)
    if args.out:
        from deltaprop.files import write_atomically

        text = ex.to_markdown(**options) if args.format == "markdown" else ex.to_text(**options)
        write_atomically(args.out, text, "--out")
        print(f"wrote {args.out}")
    elif args.format == "markdown":
        sys.stdout.write(ex.to_markdown(**options))
    else:
        color = {"auto": None, "always": True, "never": False}[args.color]
        ex.print(sys.stdout, color=color, **options)
    if args.picture:
        from deltaprop.netplot import draw_network

        draw_network(net, x, t, args.picture, fused=args.fused)
        print(f"wrote {args.picture}", file=sys.stderr if not args.out else sys.stdout)
