"""``deltaprop explain``: one forward and one backward pass with the real numbers, in the lecture's order."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ._common import check_memory, int_at_least

EXAMPLES = """\
examples:
  deltaprop explain                                    # the 2-2-2 sigmoid network on x = (0.05, 0.1), t = (0.01, 0.99)
  deltaprop explain --x 0.1,0.2 --t 1 --layers 3       # your own input and target
  deltaprop explain --example digits:7 --layers 8 --loss cross_entropy --picture pass.png
  deltaprop explain --format markdown --out notes.md   # Markdown with LaTeX, for slides
"""

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"x": "--x", "t": "--t", "eta": "--eta", "max_units": "--max-units", "precision": "--precision",
         "activation": "--activation", "output": "--output", "loss": "--loss", "seed": "--seed", "dtype": "--dtype"}

#: Data sets that --example reads without downloading anything.
BUILTIN_EXAMPLES = ("digits", "iris")


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


def load_example(spec: str, label: str | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
    """'digits:7' -> (x, one-hot t, class index) of example 7 of a bundled data set (inputs scaled to [0, 1]).

    ``label`` names the label column (CSV) or array (NumPy) of a data file; None takes the default.
    Real-valued labels (a regression table's) give t = [y], one output, and no class index.
    """
    name, _, index_text = spec.partition(":")
    from ._common import check_label

    check_label(name, label, BUILTIN_EXAMPLES)  # iris, digits, fashion-mnist, mnist, IDX directories: their own labels
    try:
        index = int(index_text) if index_text else 0
    except ValueError:
        raise ValueError(f"--example: expected NAME[:INDEX] such as digits:7; got {spec!r}") from None
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = X / 16.0  # pixels 0..16 -> [0, 1]
    elif name == "iris":
        from sklearn.datasets import load_iris

        X, y = load_iris(return_X_y=True)
        X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    else:
        from deltaprop.data import load_dataset  # fashion-mnist, mnist, files (their column "label", array "y")
        # The first index + 1000 examples: enough to hold every class of the usual data sets.
        try:
            data = load_dataset(name, label=label, limit=index + 1000)
        except (ValueError, OSError) as exc:
            raise type(exc)(f"--example: {exc}") from None
        X, y = np.asarray(data.X_train, dtype=np.float64), np.asarray(data.y_train)
    if not 0 <= index < len(X):
        raise ValueError(f"--example: index must be in 0..{len(X) - 1} for {name!r}; got {index}")
    if y.dtype.kind == "f":  # real-valued targets (load_dataset made whole numbers classes): one output
        return X[index], np.array([y[index]], dtype=np.float64), None
    classes = np.unique(y)
    t = (classes == y[index]).astype(np.float64)
    return X[index], t, int(np.searchsorted(classes, y[index]))


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "explain",
        help="one forward and one backward pass with the real numbers, in the lecture's notation",
        description="Run one example through a small network and print z^l, a^l, delta^l, dC/dW^l and the "
        "update theta <- theta - eta grad C(theta), layer by layer (l = 1..L), as the lecture writes them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("the example")
    data.add_argument("--x", help="the input x, comma-separated (default 0.05,0.1)")
    data.add_argument("--t", help="the target t, comma-separated (default 0.01,0.99)")
    data.add_argument("--example", metavar="NAME[:INDEX]",
                      help=f"take x and t from a data set instead: {', '.join(BUILTIN_EXAMPLES)}, or (through "
                      "deltaprop.data) fashion-mnist, mnist or a data file; INDEX defaults to 0")
    data.add_argument("--label", help="the label of a data file given to --example: column of a CSV (default 'label'), "
                      "array of a .npz (default 'y') or column number of a plain .npy (default -1)")
    net = parser.add_argument_group("the network")
    net.add_argument("--layers", default="2", help="hidden layer sizes, comma-separated; 'none' for none (default 2)")
    net.add_argument("--activation", default="sigmoid", help="sigma of the hidden layers (default sigmoid, the lecture's)")
    net.add_argument("--output", help="sigma of layer L (default sigmoid with quadratic loss, as in the lecture)")
    net.add_argument("--loss", help="quadratic, cross_entropy or binary_cross_entropy (default quadratic)")
    net.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the initial weights (default 0)")
    net.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    net.add_argument("--eta", type=float, default=0.5, help="learning rate of the update shown (default 0.5)")
    net.add_argument("--fused", action="store_true", help="take delta^L = y - t where exact, as training does")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=("text", "markdown"), default="text")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the text (auto: when writing to a terminal)")
    out.add_argument("--max-units", type=int, default=6, help="units shown per layer (default 6)")
    out.add_argument("--precision", type=int, help="significant digits (default: exact values)")
    out.add_argument("--out", metavar="PATH", help="write to this file instead of standard output")
    out.add_argument("--picture", metavar="PNG", help="also draw the network's forward and backward pass to this PNG")
    parser.add_argument("--debug", dest="sub_debug", action="store_true", help="show the full traceback on errors")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from deltaprop.explain import explain
    from deltaprop.files import writable_path
    from deltaprop.network import Network

    for flag, path in (("--out", args.out), ("--picture", args.picture)):
        if path:
            writable_path(path, flag)  # before the work, so that nothing is printed and then lost
    if args.example and (args.x or args.t):
        raise ValueError("--example: give either --example or --x/--t, not both")
    if args.label is not None and not args.example:
        raise ValueError("--label: names the label column of the --example data file; give --example too")
    real_target = False
    if args.example:
        x, t, class_index = load_example(args.example, args.label)
        real_target = class_index is None
    else:
        x = parse_floats(args.x or "0.05,0.1", "--x")
        t = parse_floats(args.t or "0.01,0.99", "--t")
    # the lecture's y = sigma(z^L) with C = 1/2 ||y - t||^2, each where not given
    loss = args.loss or "quadratic"
    # (a real-valued target of an --example, which may lie outside (0, 1): an identity output)
    output = args.output or (("identity" if real_target else "sigmoid") if loss == "quadratic" else None)
    if loss == "cross_entropy" and output is None and len(t) < 2:  # its softmax output needs 2 classes or more
        remedy = "data of 2 classes or more" if args.example else "a one-hot --t such as 0,1"
        what = "the --example's data give" if args.example else "--t gives"
        raise ValueError(f"--loss: cross_entropy goes with a softmax output over 2 or more classes; {what} {len(t)} target "
                         f"value: give {remedy}, or --loss binary_cross_entropy for one output")
    sizes = [len(x), *parse_sizes(args.layers), len(t)]
    check_memory(sizes, args.dtype, "--layers")
    net = Network(sizes, activation=args.activation, output=output, loss=loss, seed=args.seed, dtype=args.dtype)
    ex = explain(net, x, t, eta=args.eta, fused=args.fused)
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
    return 0
