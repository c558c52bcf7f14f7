"""``deltaprop train``: train a network on a data set, show progress, save the model and pictures."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from deltaprop.data import SCALINGS
from deltaprop.optimisers import full_batch_optimisers, settings_of

from ._common import (MODEL_SUFFIXES, add_data_arguments, check_label, check_memory, check_output_suffix, file_fingerprint,
                      flag_names, int_at_least, new_parser, plot_directory, positive_int, print_json, record_given)

EXAMPLES = """\
examples:
  deltaprop train                                   # digits, one hidden layer of 128 ReLU units
  deltaprop train --data fashion-mnist --layers 256,128 --epochs 5 --out m.safetensors
  deltaprop train --data table.csv --label species --layers 32 --early-stopping 5 --plot plots/
  deltaprop train --data spiral --layers 8,8 --activation tanh --epochs 300 --plot plots/   # plots/decision.png
  deltaprop train --activation sigmoid --optimiser sgd --lr 0.5 --schedule cosine --json
  deltaprop train --data fashion-mnist --epochs 30 --checkpoint run.ckpt   # Ctrl-C, then:
  deltaprop train --data fashion-mnist --epochs 30 --resume run.ckpt
"""


#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"learning_rate": "--lr", "batch_size": "--batch-size", "validation_fraction": "--validation-fraction",
         "dropout": "--dropout", "l2": "--l2", "momentum": "--momentum", "activation": "--activation",
         "loss": "--loss", "output": "--output", "epochs": "--epochs", "checkpoint": "--checkpoint", "resume": "--resume",
         "optimiser": "--optimiser", "schedule": "--schedule", "dtype": "--dtype", "seed": "--seed",
         "data": "--data", "X": "--data", "label": "--label", "limit": "--limit", "scale": "--scale", "task": "--task",
         "EarlyStopping": "--early-stopping", "ReduceLROnPlateau": "--reduce-lr", "clip_norm": "--clip-norm",
         "weight_decay": "--weight-decay"}
#: The same, for the checkpoint that --resume reads.
RESUME_FLAGS = {"checkpoint": "--resume"}
#: Flags whose empty value means something (cli refuses the others' empty values): --layers '' is no hidden layer.
EMPTY_MEANS = ("--layers",)


#: Defaults of the network flags. A resumed run takes its network from the checkpoint: a network flag
#: given (at its default or not) must agree with it.
NETWORK_DEFAULTS = {"layers": "128", "activation": "relu", "l2": 0.0, "dropout": 0.0, "dtype": "float32"}


#: Where Ctrl-C saves the training state when no --checkpoint is given (see _default_checkpoint).
INTERRUPTED_CHECKPOINT = "deltaprop-interrupted.ckpt"


def _default_checkpoint() -> str | None:
    """Where Ctrl-C saves a run given no --checkpoint or --resume: INTERRUPTED_CHECKPOINT, or its -2, -3, ...
    where an earlier interrupted run's state (or anything else) already is, which is kept; None, said in a note,
    where the working directory cannot be written (training needs no checkpoint it did not ask for)."""
    from deltaprop.files import writable_path

    base = Path(INTERRUPTED_CHECKPOINT)
    path, k = base, 1
    while os.path.lexists(path):
        k += 1
        path = base.with_name(f"{base.stem}-{k}{base.suffix}")
    try:
        writable_path(path, "--checkpoint")
    except OSError as exc:
        print(f"deltaprop train: note: Ctrl-C will stop training without saving its state ({exc}); give "
              f"--checkpoint PATH to save it elsewhere", file=sys.stderr)
        return None
    return str(path)


def add_parser(subparsers):
    from deltaprop.activations import ACTIVATIONS, hidden_activations
    from deltaprop.data import SCALINGS, TASKS
    from deltaprop.losses import LOSSES
    from deltaprop.optimisers import OPTIMISERS, SCHEDULES, SGD, AdamW, default_learning_rate

    parser = new_parser(
        subparsers,
        "train",
        help="train a network on a data set (the default command)",
        description="Train a feedforward network by backpropagation, showing progress per epoch; "
        "report test accuracy, and optionally save the model (--out) and pictures (--plot).",
        examples=EXAMPLES,
    )
    record_given(parser)  # args.given: the flags given, to tell `--seed 0` from no --seed when resuming
    add_data_arguments(parser, default="digits",
                       limit="use only the first N examples (quick runs): of a named data set or an IDX "
                       "directory the first N training and the first N test examples; of a .csv/.npy/.npz file the "
                       "first N rows, of which 20%% are then held out for testing")
    parser.add_argument("--scale", choices=["auto", *SCALINGS], default="auto",
                        help="input scaling: auto = images to [0, 1], tables standardised")
    net = parser.add_argument_group("network")
    net.add_argument("--layers", default=NETWORK_DEFAULTS["layers"], help="hidden layer sizes N_1..N_{L-1}, comma-separated ('' for none)")
    net.add_argument("--activation", default=NETWORK_DEFAULTS["activation"],
                     help=f"hidden activation(s), one or one per hidden layer, comma-separated: {', '.join(hidden_activations())}")
    net.add_argument("--output", default=None, choices=sorted(ACTIVATIONS), help="output activation (default: follows the loss)")
    net.add_argument("--task", choices=TASKS, default="auto",
                     help="classification or regression; auto (the default): whole numbers and text are classes, "
                     "other numbers regression targets")
    net.add_argument("--loss", default=None, choices=sorted(LOSSES),
                     help="loss (default: cross_entropy with softmax; quadratic for regression; poisson for counts, "
                     "with the exp output)")
    net.add_argument("--scale-target", choices=("auto", "standard", "none"), default="auto",
                     help="a regression's targets: standard = trained as (t - mean) / std of the training rows, which "
                     "the model file records and predict undoes; auto (the default) = standard for the quadratic cost "
                     "with an identity output, none otherwise (a bounded output such as sigmoid or relu, poisson's counts)")
    net.add_argument("--l2", type=float, default=NETWORK_DEFAULTS["l2"], help="L2 penalty lambda")
    net.add_argument("--dropout", type=float, default=NETWORK_DEFAULTS["dropout"], help="dropout probability of the hidden units")
    net.add_argument("--dtype", choices=["float32", "float64"], default=NETWORK_DEFAULTS["dtype"], help="float type of the parameters")
    opt = parser.add_argument_group("training")
    opt.add_argument("--optimiser", "--optimizer", dest="optimiser", choices=sorted(OPTIMISERS), default="adam",
                     help=f"{', '.join(OPTIMISERS)}; among them gd: the lecture's whole-set gradient descent; sgd: "
                     "mini-batches with momentum; adamw: adam with decoupled weight decay; lbfgs: SciPy's L-BFGS on "
                     "the whole set, with no learning rate")
    # (the protocol makes learning_rate optional: the default fit uses, 0.01, for one that declares none)
    rates = ", ".join(f"{n} {default_learning_rate(c):g}" for n, c in OPTIMISERS.items() if default_learning_rate(c) is not None)
    opt.add_argument("--lr", "--learning-rate", dest="lr", type=float, default=None,
                     help=f"learning rate eta, a number > 0 (default: {rates}; lbfgs takes none)")
    opt.add_argument("--schedule", choices=sorted(SCHEDULES), default="constant",
                     help="learning-rate schedule (not for lbfgs)")
    opt.add_argument("--momentum", type=float, default=SGD.momentum, help=f"momentum of sgd (sgd only; default {SGD.momentum:g})")
    opt.add_argument("--weight-decay", type=float, default=None, metavar="LAMBDA",
                     help=f"decoupled weight decay of adamw, theta <- theta (1 - eta LAMBDA) each step (adamw only; "
                     f"default {AdamW.weight_decay:g})")
    opt.add_argument("--clip-norm", type=float, default=None, metavar="NORM",
                     help="scale each step's gradient (all weights and biases together) down to this length when "
                     "it is longer (not for lbfgs)")
    opt.add_argument("--epochs", type=positive_int, default=20, help="passes over the training set (gd, lbfgs: steps)")
    opt.add_argument("--batch-size", type=positive_int, default=64,
                     help=f"examples per mini-batch (not for {' and '.join(full_batch_optimisers())}, which take every "
                     "example in every step)")
    opt.add_argument("--validation-fraction", type=float, default=0.1, help="share of the training set held out for validation (0: none)")
    opt.add_argument("--early-stopping", type=positive_int, default=None, metavar="PATIENCE",
                     help="stop when the validation loss has not improved for PATIENCE epochs; keep the best weights "
                     "(needs validation data: refused with --validation-fraction 0)")
    opt.add_argument("--reduce-lr", type=positive_int, default=None, metavar="PATIENCE",
                     help="halve the learning rate when the validation loss (with --validation-fraction 0: the training "
                     "loss) has not improved for PATIENCE epochs (not for lbfgs)")
    opt.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the initial weights, shuffling, dropout and validation split")
    out = parser.add_argument_group("output")
    out.add_argument("--out", default=None, metavar="MODEL", help="save the trained model here (a name ending in .safetensors or .st)")
    out.add_argument("--no-timings", action="store_true",
                     help="leave the run's times (seconds, each epoch's time) out of --out's training summary, so that "
                     "two runs with the same data, flags and --seed write the same bytes (for content-hashing pipelines)")
    out.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="N",
                     help="also save the model to --out every N epochs")
    out.add_argument("--checkpoint", default=None, metavar="PATH",
                     help="write the whole training state here after every epoch (for --resume); "
                     "Ctrl-C stops after the current batch and writes it (default PATH: deltaprop-interrupted.ckpt, or "
                     "deltaprop-interrupted-2.ckpt, -3, ... where an earlier interrupted run's is)")
    out.add_argument("--resume", default=None, metavar="PATH",
                     help="continue the run saved in this checkpoint: flags left out take its values (network, optimiser, "
                     "learning rate, batch size, validation fraction, seed, data, schedule, epochs), and flags given with "
                     "other values are refused, as is other data")
    out.add_argument("--log", default=None, metavar="CSV", help="write the per-epoch history to this CSV file")
    out.add_argument("--plot", default=None, metavar="DIR",
                     help="write pictures here: history.png; for a classifier also confusion.png (the test set's "
                     "confusion matrix); for images (digits, fashion-mnist, mnist, an IDX directory) also "
                     "first_layer.png (the first layer's weights); for a classifier of two inputs (xor, circles, moons, "
                     "spiral, a table of two columns) also decision.png (the predicted class over the input plane, with "
                     "the points). DIR is a directory, made if missing, not a .png file")
    out.add_argument("--gradient-flow", action="store_true",
                     help="record per-layer gradient norms and write gradient_flow.png (into --plot DIR, else .)")
    out.add_argument("--quiet", action="store_true", help="no progress and no summary (errors, warnings, notes and --json still print)")
    out.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout (progress goes to stderr)")
    parser.set_defaults(run=run)
    return parser


def _int_list(text: str, option: str) -> list[int]:
    if text.strip().lower() in ("", "none"):
        return []
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"{option}: expected comma-separated integers such as 256,128; got {text!r}") from None
    if any(v < 1 for v in values):
        raise ValueError(f"{option}: expected sizes >= 1; got {text!r}")
    return values


def amount_losses() -> tuple[str, ...]:
    """The losses for amounts only, never classes (poisson: targets >= 0 that are not 0/1 indicators):
    --task auto takes their whole-number targets (counts) as amounts."""
    from deltaprop.losses import LOSSES

    return tuple(n for n, l in LOSSES.items() if not l.classification and l.targets_at_least is not None)


def regression_losses() -> tuple[str, ...]:
    """The losses a regression can train with: those that are not for classes."""
    from deltaprop.losses import LOSSES

    return tuple(n for n, l in LOSSES.items() if not l.classification)


def _amount_loss(args) -> str | None:
    """The loss of amount_losses() the run trains with (--loss, or the default of --output), or None."""
    from deltaprop.losses import get_loss
    from deltaprop.network import default_loss_for_output

    if args.loss is None and args.output is None:
        return None
    loss = get_loss(args.loss).name if args.loss else default_loss_for_output(args.output)
    return loss if loss in amount_losses() else None


def _regression(args, labels) -> bool:
    """Whether the run is regression (one real-valued output): as --task says, or for --task auto when the
    targets are real numbers that are not all whole (whole ones, even beyond int64, are classes)."""
    if args.task in ("classification", "regression"):
        return args.task == "regression"
    return _amount_loss(args) is not None or (labels.dtype.kind == "f" and not np.all(labels == np.round(labels)))


def _is_table(args) -> bool:
    """Whether --data names a .csv/.npy/.npz file (a table: its first N rows hold its training and test parts)."""
    from deltaprop.data import NAMED

    return args.data not in NAMED and Path(args.data).is_file()


#: Fewer training examples per class than this, on average, and --task auto says that the numbers it took
#: as classes may be regression targets.
FEW_PER_CLASS = 5


def _warn_if_sparse_classes(args, data) -> None:
    """Whole-number targets (prices, counts) are classes for --task auto; with so many values that a class has
    few examples, say how to train a regression instead."""
    classes = data.n_classes
    table = _is_table(args)
    if (args.task != "auto" or not table or _limit_cut(args, data) or data.y_train.dtype.kind not in "iuf"
            or len(data.y_train) >= FEW_PER_CLASS * classes):  # (few examples per class because of --limit: its doing)
        return
    print(f"deltaprop train: note: the labels of {data.name} are whole numbers with {classes:,} values, taken as "
          f"{classes:,} classes ({len(data.y_train) / classes:.1f} training examples per class); if they are amounts "
          f"to predict, give --task regression", file=sys.stderr)


def _class_names(data, net):
    """The data set's names (one per label 0..K-1) of the network's classes, in their order, or None."""
    if data.class_names is None or net.classes_ is None:
        return None
    return [data.class_names[int(c)] for c in net.classes_]


def _all_classes(data):
    import numpy as np

    return np.unique(data.y_train if data.y_test is None else np.concatenate([data.y_train, data.y_test]))


def _check_classes(args, data) -> None:
    """Classification needs two classes or more: say which flag left the data with fewer, before the network
    is built (a 1-output network would fail in fit, naming neither --limit nor --data)."""
    classes = np.asarray(_all_classes(data)).tolist()
    if len(classes) >= 2:
        return
    table = _is_table(args)
    if args.limit is not None and table:
        raise ValueError(f"--limit: the first {args.limit} rows of {data.name} hold only 1 class ({classes}); training "
                         f"needs at least 2: raise --limit, or shuffle the rows of the file")
    if args.limit is not None:
        raise ValueError(f"--limit: the first {args.limit} training and test examples of {data.name} hold only 1 class "
                         f"({classes}); training needs at least 2: raise --limit")
    column = f" in its label column {args.label!r}" if args.label is not None else ""
    raise ValueError(f"--data: {data.name} holds only 1 class ({classes}){column}; training needs at least 2"
                     + ("; is --label the right column?" if table else ""))


def _limit_cut(args, data) -> bool:
    """Whether --limit left out examples (so that raising it gives more): a table's first N rows hold both
    its training and test parts, a data set's first N of each part."""
    if args.limit is None:
        return False
    table = _is_table(args)
    kept = len(data.X_train) + (len(data.X_test) if table and data.X_test is not None else 0)
    return kept >= args.limit


def _check_validation_split(args, data) -> None:
    """--validation-fraction must hold out one training example and leave one: say so before training,
    naming --limit where it made the set that small (fit's message could name neither flag's remedy)."""
    fraction, n = args.validation_fraction, len(data.X_train)
    held = int(round(n * fraction))  # as fit splits
    if not fraction or 1 <= held < n:
        return
    least = max(2, int(0.5 / fraction), int(0.5 / (1 - fraction)))  # within a step or two of the answer
    while not 1 <= int(round(least * fraction)) < least:
        least += 1
    split = (f"too few to hold out --validation-fraction {fraction} ({held} of them) and train on the rest: "
             f"that needs {least:,} or more")
    if _limit_cut(args, data):
        raise ValueError(f"--limit: {args.limit} leaves {n} training examples of {data.name}, {split}; "
                         f"raise --limit, or give --validation-fraction 0")
    raise ValueError(f"--validation-fraction: {data.name} has {n} training examples, {split}; "
                     f"give --validation-fraction 0")


def _scale_targets(args, data, net, regression: bool):
    """The data with a regression's targets standardised, t' = (t - mean) / std over the training rows, and that
    Scaling (None where they stay as they are: classes, poisson's counts, a bounded output, --scale-target none).

    Why: the output z^L = W^L a^{L-1} + b^L starts near 0 with weights of order 1, so targets such as prices
    (mean 97, std 21) take hundreds of epochs to reach; scaled they are as near as classes' one-hot targets.
    Only an identity output can reach any standardised value: a sigmoid's (0, 1) or a relu's [0, inf) is the
    targets' own range, which standardising would leave."""
    import dataclasses

    from deltaprop.activations import ACTIVATIONS
    from deltaprop.data import Scaling
    from deltaprop.losses import LOSSES

    if args.scale_target == "none":
        return data, None
    if not regression:
        if args.scale_target == "standard":
            raise ValueError(f"--scale-target: standardises a regression's targets, and the labels of {data.name} are "
                             f"classes; got --scale-target standard: leave it out")
        return data, None
    loss = net.loss_function
    if loss.targets_at_least is not None and args.scale_target == "standard":  # counts and rates (poisson)
        raise ValueError(f"--scale-target: standard shifts the targets to mean 0, and the {loss.name} loss is defined "
                         f"for targets >= {loss.targets_at_least:g}; got --scale-target standard: leave it out, or give "
                         f"--scale-target none")
    # auto: for the lecture's quadratic cost with an identity output, where standardising is only a change of units
    # (another loss, a Huber one say, would measure its own constants in standard deviations instead)
    if args.scale_target == "auto" and (loss is not LOSSES["quadratic"] or net.output_activation is not ACTIVATIONS["identity"]):
        return data, None
    y = np.asarray(data.y_train, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(y.mean()), float(y.std())
    if not (np.isfinite(mean) and np.isfinite(std)):
        raise ValueError(f"--data: the targets of {data.name} are too large to standardise (their mean or spread "
                         f"overflows float64); rescale them")
    factor = 1.0 / std if std > 0 and np.isfinite(1.0 / std) else 1.0
    scaling = Scaling("standard", mean, factor)
    y_test = None if data.y_test is None else scaling.scaled64(data.y_test)
    return dataclasses.replace(data, y_train=scaling.scaled64(data.y_train), y_test=y_test), scaling


def _check_targets_fit(args, data, net) -> None:
    """Real-valued targets beyond the range of the network's dtype name the data and --dtype (fit's own
    message would name y and a row of the shuffled training part)."""
    targets = [y for y in (data.y_train, data.y_test) if y is not None and y.dtype.kind == "f"]
    if net.is_classifier or not targets or net.dtype.itemsize >= max(y.dtype.itemsize for y in targets):
        return
    limit = np.finfo(net.dtype).max
    largest = max(float(np.max(np.abs(y))) for y in targets)
    if largest > limit:
        raise ValueError(f"--data: the targets of {data.name} reach {largest:.3g}, beyond the range of {net.dtype.name} "
                         f"(about {limit:.3g}); rescale them, or give --dtype float64")


@contextlib.contextmanager
def _divergence_names_lr():
    """A diverged run is the learning rate's doing: say so with the flag (fit's advice is the Python API's)."""
    from deltaprop.training import DivergenceError

    try:
        yield
    except DivergenceError as exc:
        if exc.learning_rate is None:
            raise
        raise FloatingPointError(f"--lr: training diverged: {exc.reason}, at learning rate {exc.learning_rate:g}; "
                                 f"try a smaller --lr") from None


def _check_optimiser_flags(args) -> None:
    """Refuse flags given that the optimiser would ignore, and numbers it would refuse only after the data
    have loaded (a resumed run: once the optimiser is the checkpoint's)."""
    from deltaprop.checks import real
    from deltaprop.optimisers import SGD, AdamW

    given = getattr(args, "given", frozenset())
    optimiser = args.optimiser
    if args.lr is not None:
        real("learning_rate", args.lr, 0, low_open=True, what="a finite number")  # "--lr: expected ..." (cli.main)
    if args.clip_norm is not None:
        real("clip_norm", args.clip_norm, 0, low_open=True, what="a finite number")
    if "momentum" in given and "momentum" not in settings_of(optimiser):
        raise ValueError(f"--momentum: the momentum of sgd; --optimiser {optimiser} has none (got --momentum "
                         f"{args.momentum:g}): leave --momentum out, or use --optimiser sgd")
    if "momentum" in settings_of(optimiser):
        SGD(momentum=args.momentum)  # "--momentum: expected a number in [0, 1]"
    if args.weight_decay is not None:
        if "weight_decay" not in settings_of(optimiser):
            raise ValueError(f"--weight-decay: the decoupled weight decay of adamw; --optimiser {optimiser} has none "
                             f"(got --weight-decay {args.weight_decay:g}): leave --weight-decay out, or use --optimiser "
                             f"adamw (--l2 penalises the weights in the cost of any optimiser)")
        AdamW(weight_decay=args.weight_decay)  # "--weight-decay: expected a number >= 0"
    if optimiser in full_batch_optimisers() and "batch_size" in given:
        raise ValueError(f"--batch-size: --optimiser {optimiser} takes every training example in every step, not "
                         f"mini-batches (got --batch-size {args.batch_size}): leave --batch-size out, or use adam or sgd")
    if optimiser == "lbfgs":
        for flag, value in (("--lr", args.lr), ("--schedule", args.schedule if "schedule" in given else None),
                            ("--reduce-lr", args.reduce_lr), ("--clip-norm", args.clip_norm)):
            if value is not None:
                raise ValueError(f"{flag}: --optimiser lbfgs has no learning rate (SciPy's L-BFGS chooses each step "
                                 f"itself); got {flag} {value}: leave {flag} out, or use adam, sgd or gd")
        if args.dropout:
            raise ValueError(f"--optimiser: lbfgs needs a cost C(theta) that does not change between evaluations; "
                             f"--dropout {args.dropout:g} drops units at random: use --optimiser adam or sgd, or leave "
                             f"--dropout out")


class _BatchSize:
    """A callback that notes the examples per step fit takes: the batch size, at most the training examples."""

    value = None

    def on_train_begin(self, run) -> None:
        self.value = run.batch_size


def _one_unit_for_two_classes(output: str | None, loss: str | None) -> bool:
    """Whether two classes take one output unit, y = P(the second class): where the loss is a classification loss
    whose output activation is element-wise (each unit a probability of its own: binary_cross_entropy's sigmoid),
    that output as --output gives it or else as the loss declares it (its fused_output, else the first of its
    outputs), and the loss as --loss gives it or else the one --output implies. Neither given: softmax with
    cross_entropy, a unit per class."""
    from deltaprop.activations import get_activation
    from deltaprop.losses import get_loss
    from deltaprop.network import default_loss_for_output

    if loss is None and output is None:
        return False
    entry = get_loss(loss if loss is not None else default_loss_for_output(get_activation(output).name))
    output = output or entry.fused_output or (entry.outputs[0] if entry.outputs else None)
    return entry.classification and output is not None and get_activation(output).elementwise


def _build_network(args, data):
    from deltaprop.network import Network

    hidden = _int_list(args.layers, "--layers")
    activations = args.activation.split(",")
    loss = args.loss
    if _regression(args, data.y_train):  # one output, the quadratic cost (or the Poisson one, for counts)
        loss = loss or _amount_loss(args) or "quadratic"
        labels = data.y_train if data.y_test is None else np.concatenate([data.y_train, data.y_test])
        if loss in amount_losses() and (labels < 0).any():  # (named here: fit would see only the training rows)
            raise ValueError(f"--loss: {loss} is a loss for counts and rates, numbers >= 0; the labels of {data.name} "
                             f"include {labels[labels < 0][0]:g} ({int((labels < 0).sum())} in all): give another "
                             f"--label, or --loss quadratic")
        if loss not in regression_losses():
            why = "--task regression makes them real numbers" if args.task == "regression" else "they are real numbers, not classes"
            raise ValueError(f"--loss: {loss} is a loss for classes, and the targets of {data.name} are for regression "
                             f"({why}); leave --loss out or give --loss {' or '.join(regression_losses())}")
        n_out = 1
    else:
        if _amount_loss(args):
            raise ValueError(f"--loss: {_amount_loss(args)} is a loss for amounts (counts, rates), and --task {args.task} makes the "
                             f"labels of {data.name} classes; leave --task out or give --task regression")
        _check_classes(args, data)
        _warn_if_sparse_classes(args, data)
        classes = data.n_classes
        n_out = 1 if classes == 2 and _one_unit_for_two_classes(args.output, loss) else classes
    check_memory([data.n_features, *hidden, n_out], args.dtype, "--layers")
    with flag_names(FLAGS):
        return Network(
            [data.n_features, *hidden, n_out],
            activation=activations[0] if len(activations) == 1 else activations,
            output=args.output,
            loss=loss,
            l2=args.l2,
            dropout=args.dropout,
            seed=args.seed,
            dtype=args.dtype,
        )


def _callbacks(args, data, net, save_options):
    from deltaprop import callbacks as cb

    stream = sys.stderr if args.json else sys.stdout
    chosen = [] if args.quiet else [cb.ProgressBar(stream=stream)]
    if args.early_stopping:
        if not args.validation_fraction:
            raise ValueError("--early-stopping: needs a validation set; got --validation-fraction 0")
        chosen.append(cb.EarlyStopping(patience=args.early_stopping))
    if args.reduce_lr:
        chosen.append(cb.ReduceLROnPlateau(patience=args.reduce_lr))
    if args.log:
        chosen.append(cb.CSVLogger(args.log))
    if args.checkpoint_every:
        if not args.out:
            raise ValueError("--checkpoint-every: needs --out MODEL to know where to save")
        literal = args.out.replace("{", "{{").replace("}", "}}")  # the file name as given, braces included
        chosen.append(cb.ModelCheckpoint(literal, every=args.checkpoint_every, **save_options))
    flow = None
    if args.gradient_flow:
        try:
            from deltaprop.gradflow import GradientFlow
        except ModuleNotFoundError as exc:
            raise ValueError(f"--gradient-flow: this deltaprop has no gradient-flow module ({exc})") from None
        flow = GradientFlow(data.X_train, data.y_train)
        chosen.append(flow)
    return chosen, flow


def _first_learning_rate(resume):
    if resume.first_eta0 is not None:
        return resume.first_eta0
    rates = resume.history.get("learning_rate") or []  # (older files: every registry schedule starts at eta0)
    return rates[0] if rates else resume.eta0


def _base_learning_rate(args, history, resume):
    from deltaprop.optimisers import default_learning_rate

    if resume is not None:
        return _first_learning_rate(resume)
    return args.lr if args.lr is not None else default_learning_rate(args.optimiser)


def _optimiser_settings(history) -> dict:
    """The settings of the optimiser that trained (its dataclass fields); {} for L-BFGS, which keeps no state."""
    import dataclasses

    optimiser = None if history.optimiser_state is None else history.optimiser_state.optimiser
    return dataclasses.asdict(optimiser) if dataclasses.is_dataclass(optimiser) else {}


#: What a checkpoint holds in ``info`` (fit's ``checkpoint_info``) about the flags of its run, and what
#: each must be: flag, the check, what was expected.
RECORDED_FLAGS = {
    "data": ("--data", lambda v: isinstance(v, str) and v != "", "a data set name or path"),
    "label": ("--label", lambda v: v is None or isinstance(v, str), "a label name or null"),
    "limit": ("--limit", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1), "an integer >= 1 or null"),
    "scale": ("--scale", lambda v: v in ("auto", *SCALINGS), f"one of {', '.join(map(repr, ('auto', *SCALINGS)))}"),
    # (null: a run resumed from a checkpoint of before --task, whose labels are read as they were then)
    "task": ("--task", lambda v: v in (None, "auto", "classification", "regression"),
             "'auto', 'classification', 'regression' or null"),
    "seed": ("--seed", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an integer >= 0"),
    "schedule": ("--schedule", lambda v: isinstance(v, str) and v in _schedules(), "a schedule name"),
    "epochs": ("--epochs", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an integer >= 1"),
    "early_stopping": ("--early-stopping", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
                       "an integer >= 1 or null"),
    "reduce_lr": ("--reduce-lr", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
                  "an integer >= 1 or null"),
    "scale_target": ("--scale-target", lambda v: v in ("auto", "standard", "none"), "'auto', 'standard' or 'none'"),
}
#: Recorded flags a resumed run takes when left out but never compares when given: other data are found by the
#: data's fingerprint (the same file may be named by another path), and --epochs is the run's total, which may grow.
NOT_COMPARED = ("data", "epochs")
#: A recorded None in words, for messages.
NONE_MEANS = {"limit": "no limit", "early_stopping": "no early stopping", "reduce_lr": "no learning-rate reduction",
              "task": "the labels as read before --task"}


def _schedules():
    from deltaprop.optimisers import SCHEDULES

    return SCHEDULES


def _checkpoint_info(args) -> dict:
    """What a checkpoint keeps of this command's flags, for --resume (see RECORDED_FLAGS).

    A data file or directory is kept as its absolute path: a resumed run may start in another directory.
    """
    from deltaprop.data import NAMED

    info = {key: getattr(args, key) for key in RECORDED_FLAGS}
    if info["data"] not in NAMED and Path(info["data"]).exists():
        info["data"] = str(Path(info["data"]).resolve())
    return info


def _check_resumed_flags(args, resume, net) -> None:
    """A resumed run keeps the network and settings of its checkpoint: a flag given with another value (its
    default included) is refused, and a flag left out takes the checkpoint's value. Checkpoints of older
    deltaprops record no batch size, validation fraction, seed, data and schedule: those flags are used as given."""
    import math

    from deltaprop.optimisers import OPTIMISERS

    # the flags given, at their defaults or not (in a namespace the parser did not make: every value that is set)
    given = args.given if hasattr(args, "given") else {key for key, value in vars(args).items() if value is not None}

    def refuse(flag, saved, value):
        raise ValueError(f"{flag}: the run in {args.resume} was trained with {saved}; got {value}. A resumed run keeps "
                         f"its checkpoint's settings: leave {flag} out or give the same value")

    hidden = [a.name for a in net.hidden_activations]
    if "layers" in given and _int_list(args.layers, "--layers") != net.sizes[1:-1]:
        refuse("--layers", ",".join(map(str, net.sizes[1:-1])) or "no hidden layer", args.layers)
    if "activation" in given:
        values = args.activation.split(",")
        if (values * len(hidden) if len(values) == 1 else values) != hidden:
            refuse("--activation", ",".join(hidden), args.activation)
    if "output" in given and args.output != net.output_activation.name:
        refuse("--output", net.output_activation.name, args.output)
    if "loss" in given and args.loss != net.loss_function.name:
        refuse("--loss", net.loss_function.name, args.loss)
    if "l2" in given and args.l2 != net.l2:
        refuse("--l2", net.l2, args.l2)
    if "dropout" in given and any(p != args.dropout for p in net.dropout[:-1]):
        refuse("--dropout", net.dropout[0] if len(set(net.dropout[:-1])) == 1 else net.dropout[:-1], args.dropout)
    if "dtype" in given and args.dtype != net.dtype.name:
        refuse("--dtype", net.dtype.name, args.dtype)

    saved_optimiser = resume.optimiser["name"]
    if "optimiser" in given and args.optimiser != saved_optimiser:
        refuse("--optimiser", saved_optimiser, args.optimiser)
    if saved_optimiser in OPTIMISERS:  # (another, of the Python API's own, is refused by fit)
        args.optimiser = saved_optimiser
    first = _first_learning_rate(resume)
    if args.lr is not None and first is not None and not math.isclose(args.lr, first, rel_tol=1e-12):
        refuse("--lr", first, args.lr)
    saved_momentum = resume.optimiser.get("options", {}).get("momentum")
    if "momentum" in settings_of(args.optimiser) and saved_momentum is not None:
        if "momentum" in given and args.momentum != saved_momentum:
            refuse("--momentum", saved_momentum, args.momentum)
        args.momentum = saved_momentum
    saved_decay = resume.optimiser.get("options", {}).get("weight_decay")
    if "weight_decay" in settings_of(args.optimiser) and saved_decay is not None:
        if args.weight_decay is not None and args.weight_decay != saved_decay:
            refuse("--weight-decay", saved_decay, args.weight_decay)
        args.weight_decay = saved_decay
    if "clip_norm" in given and args.clip_norm != resume.clip_norm:
        refuse("--clip-norm", "no --clip-norm" if resume.clip_norm is None else resume.clip_norm, args.clip_norm)
    args.clip_norm = resume.clip_norm

    unrecorded = object()  # (None is a value: --limit None, no limit)
    info = resume.info or {}
    recorded = {"batch_size": ("--batch-size", unrecorded if resume.batch_size is None else resume.batch_size),
                "validation_fraction": ("--validation-fraction",
                                        unrecorded if resume.validation_fraction is None else resume.validation_fraction)}
    for key, (flag, valid, expected) in RECORDED_FLAGS.items():
        saved = info.get(key, unrecorded)
        if saved is not unrecorded and not valid(saved):
            raise ValueError(f"--resume: {args.resume} is corrupt (info {key}: expected {expected}; got {saved!r:.60})")
        recorded[key] = (flag, saved)
    for key, (flag, saved) in recorded.items():
        if saved is unrecorded:
            continue
        compare = key not in NOT_COMPARED and not (key == "label" and saved is None)  # (the default label: by the data)
        if key == "batch_size" and args.optimiser in full_batch_optimisers():
            compare = False  # gd takes every example in every step, whatever the batch size
        if compare and key in given and getattr(args, key) != saved:
            refuse(flag, NONE_MEANS.get(key, "none") if saved is None else saved, getattr(args, key))
        if key not in given:
            setattr(args, key, saved)
    if recorded["task"][1] is unrecorded and "task" not in given:
        args.task = None  # a checkpoint of before --task: its labels as they were read then (a CSV's 1.0 a float)
    if recorded["scale_target"][1] is unrecorded:  # a checkpoint of before --scale-target: trained on the targets as they were
        if "scale_target" in given and args.scale_target != "none":
            refuse("--scale-target", "its targets as they were (made before --scale-target: none)", args.scale_target)
        args.scale_target = "none"
    # (a checkpoint of before --task records none: the task given must at least be the network's)
    if args.task == "regression" and resume.classes is not None:
        refuse("--task", "classes (a classifier)", "regression")
    if args.task == "classification" and resume.classes is None and not net.is_classifier:
        refuse("--task", "real-valued targets (a regression)", "classification")


def _note_replaced_checkpoint(args) -> None:
    """A --checkpoint file that holds another run's state, not resumed (--resume left out): said before it is
    replaced, as the run it kept is lost with it (PyTorch Lightning warns likewise)."""
    from deltaprop.files import same_file

    if not args.checkpoint or (args.resume and same_file(args.checkpoint, args.resume)) or not Path(args.checkpoint).is_file():
        return
    from ._common import file_kind

    if file_kind(args.checkpoint) == "checkpoint":
        print(f"deltaprop train: note: --checkpoint {args.checkpoint} holds the state of an earlier run, which this run "
              f"replaces; to continue that run instead, give --resume {args.checkpoint}", file=sys.stderr)


def _check_distinct_files(args, default_checkpoint: str | None) -> None:
    """Refuse an output that is the file of an input (--data, --resume) or of another output: writing it would
    destroy the one or replace the other. --checkpoint may be the --resume file: the run goes on in it."""
    from deltaprop.data import NAMED
    from deltaprop.files import refuse_same_files, same_file

    resume = args.resume
    outputs = [("--out", args.out), ("--log", args.log)]
    if args.checkpoint:
        outputs.append(("--checkpoint", args.checkpoint))
        if resume and same_file(args.checkpoint, resume):
            resume = None  # (its file is compared as --checkpoint's)
    elif default_checkpoint is not None:  # where Ctrl-C saves the run
        outputs.append((f"--checkpoint (default {default_checkpoint})", default_checkpoint))
    if args.plot:
        outputs += [("--plot", Path(args.plot) / name)
                    for name in ("history.png", "confusion.png", "first_layer.png", "decision.png")]
    if args.gradient_flow:
        outputs.append(("--gradient-flow", Path(args.plot or ".") / "gradient_flow.png"))
    data = None if args.data in NAMED else args.data
    refuse_same_files(outputs, [("--data", data), ("--resume", resume)])


def _load_resumed(path):
    """The checkpoint --resume names; a model file given there is refused saying what it is."""
    from deltaprop.checkpoint import load_checkpoint

    from ._common import file_kind

    try:
        return load_checkpoint(path)
    except ValueError:
        if file_kind(path) == "model":
            raise ValueError(f"--resume: expected a training checkpoint; {path} is a deltaprop model file (--out), which "
                             f"holds the weights but not the optimiser's state. Write a checkpoint with --checkpoint PATH, "
                             f"or start a new run") from None
        raise


def _check_resumed_data(args, resume, net, data) -> None:
    """Refuse training data other than the checkpoint's run's: of another width, or (where the checkpoint
    has one) of another fingerprint."""
    from deltaprop.checkpoint import FINGERPRINT_DATA, data_fingerprint, describe_data

    X = data.X_train
    if X.shape[1] != net.sizes[0]:
        raise ValueError(f"--data: the network of the run in {args.resume} takes N_0 = {net.sizes[0]} features per example; "
                         f"got {data.name} with {X.shape[1]}. A resumed run needs the data it was trained on")
    if resume.data is None:  # a checkpoint of an older deltaprop
        return
    fingerprint = data_fingerprint(net.check_X(X), data.y_train)  # as fit sees them
    if any(fingerprint[key] != resume.data[key] for key in FINGERPRINT_DATA):  # (fit compares the rest)
        raise ValueError(f"--data: the run in {args.resume} was trained on other data ({describe_data(resume.data)}); "
                         f"got {data.name} ({describe_data(fingerprint)}). A resumed run needs the data it was trained "
                         f"on: give the same --data, --label, --limit, --scale and --seed, or leave them out")


def run(args) -> int:
    from deltaprop.data import NAMED, REGRESSION_HINT, load_dataset
    from deltaprop.files import writable_path
    from deltaprop.io import save_model
    from deltaprop.metrics import classification_report

    if not 0 <= args.validation_fraction < 1:
        raise ValueError(f"--validation-fraction: expected a number in [0, 1); got {args.validation_fraction}")
    if args.early_stopping and not args.validation_fraction:  # before the data load, not after
        raise ValueError("--early-stopping: needs a validation set; got --validation-fraction 0")
    if not args.resume:  # (a resumed run's optimiser is the checkpoint's: checked once that is read)
        _check_optimiser_flags(args)
        check_label(args.data, args.label)
    lbfgs = args.optimiser == "lbfgs"
    for option in ("checkpoint", "resume"):
        if lbfgs and getattr(args, option):
            raise ValueError(f"--{option}: L-BFGS runs inside SciPy and cannot be checkpointed or resumed; "
                             f"got --optimiser lbfgs --{option} {getattr(args, option)}. Use adam or sgd")
    for option in ("out", "checkpoint", "log"):  # before training, not after it
        if getattr(args, option):
            writable_path(getattr(args, option), f"--{option}")
    started = time.perf_counter()
    amounts = _amount_loss(args) if args.task == "auto" else None
    if amounts:
        args.task = "regression"  # counts are whole numbers, which auto would take as classes
    resume = None
    if args.resume:  # first: flags left out take the checkpoint's values, the data's among them
        from deltaprop.network import Network

        with flag_names(RESUME_FLAGS):
            resume = _load_resumed(args.resume)
        net = Network(**resume.config)  # the architecture of the run being continued
        _check_resumed_flags(args, resume, net)
        _check_optimiser_flags(args)
        check_label(args.data, args.label)
    # fit's checkpoint is --checkpoint, else the --resume file (written again), else the default for Ctrl-C
    default_checkpoint = None if lbfgs or args.checkpoint or args.resume else _default_checkpoint()
    _check_distinct_files(args, default_checkpoint)  # (once a resumed run's --data is known)
    # (after it: `--out t.csv` with --data t.csv is said as the file it would destroy)
    check_output_suffix(args.out, "--out", MODEL_SUFFIXES, "a model file")
    check_output_suffix(args.checkpoint, "--checkpoint", None, "a training checkpoint")  # (it has no suffix of its own)
    if args.plot:
        plot_directory(args.plot)  # now, so that the pictures after training have a place
    # evaluate without --data re-derives the held-out rows from this file: the file as read lets it see a change.
    # (Before reading it: a change while it is read makes evaluate refuse, not score trained rows as test ones.)
    try:
        data_file = file_fingerprint(args.data) if _is_table(args) else None
    except OSError:  # unreadable: load_dataset says so, naming --data
        data_file = None
    # tables come without a test part: hold out 20% of their rows before the scaling is fitted
    try:
        data = load_dataset(args.data, label=args.label, scale=args.scale, limit=args.limit, test_fraction=0.2,
                            seed=args.seed, task=args.task)
    except ValueError as exc:  # the library's advice, as this command's flag
        if amounts and str(exc).startswith("task: regression needs numeric targets"):  # (--task was ours, not the user's)
            raise ValueError(f"--loss: {amounts} is a loss for counts and rates, and the labels of {Path(args.data).name} "
                             f"are text: give another --label, or leave --loss out") from None
        if REGRESSION_HINT not in str(exc):
            raise
        raise ValueError(str(exc).replace("give task='regression'", "give --task regression")) from None
    # the image sets' labels are classes (a table's whole numbers may well be counts: no note for them)
    if amounts and (args.data in NAMED or Path(args.data).is_dir()):
        given = f"--loss {args.loss}" if args.loss else f"--output {args.output}"
        print(f"deltaprop train: note: the labels of {data.name} are whole numbers, taken as counts to predict (a "
              f"regression, one output) because of {given}; if they are classes, leave {given.split()[0]} out",
              file=sys.stderr)
    if resume is None:
        net = _build_network(args, data)
        regression = _regression(args, data.y_train)
    else:
        regression = resume.classes is None and not net.loss_function.classification
    _check_targets_fit(args, data, net)  # (in their own units: predictions are given in them)
    data, target_scaling = _scale_targets(args, data, net, regression)
    if resume is not None:
        _check_resumed_data(args, resume, net, data)  # (on the targets fit sees: scaled as the run's were)
    _check_validation_split(args, data)
    checkpoint = None if lbfgs else (args.checkpoint or args.resume or default_checkpoint)
    if resume is not None and resume.classes is not None:
        net.classes_ = np.asarray(resume.classes)  # (fit restores them too; the model's class names need them now)
    elif net.is_classifier:
        # every class of the data set, test part included: with --limit the training part may lack some
        classes = _all_classes(data)
        if len(classes) == (2 if net.sizes[-1] == 1 else net.sizes[-1]):
            net.classes_ = classes
    names = _class_names(data, net)
    save_options = dict(scaling=data.scaling, class_names=names, image_shape=data.image_shape, feature_names=data.feature_names,
                        target_scaling=target_scaling,
                        training={"data": data.name, "data_source": data.source, "label": args.label, "seed": args.seed,
                                  "limit": args.limit, "task": args.task}
                        | ({"data_file": data_file} if data_file else {}))
    callbacks, flow = _callbacks(args, data, net, save_options)
    batch_size = _BatchSize()
    callbacks.append(batch_size)
    if not args.quiet and not args.json:
        print(f"training {net} on {data.name}: {len(data.X_train):,} examples "
              f"({args.validation_fraction:.0%} held out for validation), {len(data.X_test):,} for testing")
    checkpoint_flag = ("--checkpoint" if args.checkpoint else "--resume" if args.resume
                       else f"--checkpoint (default {default_checkpoint}, written if training is interrupted)")
    _note_replaced_checkpoint(args)  # (now that the data are read: a run that fails on them replaces nothing)
    with flag_names({**FLAGS, "checkpoint": checkpoint_flag}), _divergence_names_lr():
        history = net.fit(
            data.X_train, data.y_train,
            optimiser=args.optimiser, learning_rate=args.lr, epochs=args.epochs, batch_size=args.batch_size,
            schedule=args.schedule, momentum=args.momentum if "momentum" in settings_of(args.optimiser) else None,  # (fit refuses it for others)
            weight_decay=args.weight_decay,
            clip_norm=args.clip_norm, validation_fraction=args.validation_fraction,
            callbacks=callbacks, checkpoint=checkpoint, checkpoint_every=1 if (args.checkpoint or args.resume) else 0,
            resume=resume, checkpoint_info=_checkpoint_info(args),
        )
    interrupted = history.stop_reason.startswith("interrupted")
    if interrupted:
        if checkpoint is None:
            print(f"deltaprop train: {history.stop_reason}", file=sys.stderr)
        else:
            print(f"deltaprop train: {history.stop_reason}; the training state is in {checkpoint}. "
                  f"Continue with the same command plus --resume {checkpoint}", file=sys.stderr)
    if interrupted and history.epochs == 0:  # in the first epoch: nothing trained to test, save or plot
        if args.json:
            print_json({"data": data.name, "epochs": 0, "stop_reason": history.stop_reason, "checkpoint": checkpoint})
        return 130
    seconds = time.perf_counter() - started

    summary = {
        "data": data.name,
        "data_source": data.source,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "loss": net.loss_function.name,
        "optimiser": args.optimiser,
        "learning_rate": _base_learning_rate(args, history, resume),
        "schedule": args.schedule,
        # the optimiser's settings in force (sgd: momentum, nesterov; adamw: beta_1, ..., weight_decay)
        "optimiser_settings": _optimiser_settings(history),
        "clip_norm": args.clip_norm,
        # what each step took: gd and lbfgs every training example, sgd and adam at most that many
        "batch_size": "all" if args.optimiser in full_batch_optimisers() else (batch_size.value or args.batch_size),
        "l2": net.l2,  # the network's, which a resumed run takes from its checkpoint
        "dropout": net.dropout[:-1],  # p of hidden layers 1..L-1, one each (a list even when they are the same)
        "dtype": net.dtype.name,
        "task": args.task,
        "seed": args.seed,
        "epochs": history.epochs,
        "stop_reason": history.stop_reason,
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
        "final_loss": history.loss[-1] if history.loss else None,  # None: L-BFGS converged before its first step
        "seconds": round(seconds, 3),
    }
    for key in ("accuracy", "val_loss", "val_accuracy"):
        if getattr(history, key):
            summary[f"final_{key}"] = getattr(history, key)[-1]
    report = None
    if net.is_classifier and not net.multilabel_:
        report = classification_report(data.y_test, net.predict(data.X_test), net.classes_, names)
        summary["test_accuracy"] = report["accuracy"]
    else:
        summary["test_score"] = net.score(data.X_test, data.y_test)  # (R^2: the same on the scaled targets)
    if target_scaling is not None:
        summary["target_scaling"] = target_scaling.to_dict()  # (final_loss and the history are in its units)

    written = []
    if args.out:
        recorded = summary | {"history": history.as_dict()}
        if args.no_timings:  # (the only part of the file that two identical runs write differently)
            recorded = {k: v for k, v in recorded.items() if k != "seconds"}
            recorded["history"] = {k: v for k, v in recorded["history"].items() if k != "time"}
        save_options["training"] = save_options["training"] | recorded
        written.append(str(save_model(net, args.out, **save_options)))
    if args.plot:
        from deltaprop.plots import plot_training

        cm = report["confusion_matrix"] if report else None
        names = names or (net.classes_.tolist() if report else None)
        written += [str(p) for p in plot_training(args.plot, history=history, net=net, cm=cm, class_names=names,
                                                  image_shape=data.image_shape, data=data, cm_examples="test")]
    if args.log:
        written.append(args.log)
    if flow is not None:
        # (per layer 1..L, as the printed table: --json gets the picture's numbers too)
        summary["gradient_flow"] = {"mean_delta_norm": [float(v) for v in flow.mean_delta_norm()],
                                    "mean_weight_grad_norm": [float(v) for v in flow.mean_weight_grad_norm()],
                                    # the last record (epoch flow.epochs[-1]), and since when each ||dC/dW^l|| is 0
                                    "last_delta_norm": [float(v) for v in flow.delta_norm[-1]],
                                    "last_weight_grad_norm": [float(v) for v in flow.weight_grad_norm[-1]],
                                    "zero_weight_grad_since": flow.zero_gradient_since()}
        directory = Path(args.plot or ".")
        directory.mkdir(parents=True, exist_ok=True)
        flow.plot(directory / "gradient_flow.png")
        written.append(str(directory / "gradient_flow.png"))

    if args.json:
        print_json(summary | {"model": args.out, "files": written, "history": history.as_dict()})
    elif not args.quiet:
        result = (f"test accuracy {summary['test_accuracy']:.4f}" if "test_accuracy" in summary
                  else f"test R^2 {summary['test_score']:.4f}")
        print(f"{result} on {summary['n_test']:,} examples after {history.epochs} epochs "
              f"({history.stop_reason}), {seconds:.1f}s")
        for path in written:
            print(f"wrote {path}")
        if flow is not None:  # the picture's numbers, in words: the vanishing gradient without opening a file
            print(flow.summary())
    return 130 if interrupted else 0
