"""``deltaprop cost``: time backpropagation against one-weight-at-a-time finite differences."""

from __future__ import annotations

import argparse
import sys

from ._common import check_memory, check_output_suffix, int_at_least

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"widths": "--widths", "budget_s": "--budget", "n_examples": "--examples", "seed": "--seed"}

EXAMPLES = """\
examples:
  deltaprop cost                                  # widths 2..256, naive side stopped at 2 s per network
  deltaprop cost --budget 10 --plot cost.png      # a longer naive side, and the log-log picture
  deltaprop cost --widths 4,16,64 --examples 8
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    from deltaprop.cost import DEFAULT_WIDTHS

    parser = subparsers.add_parser(
        "cost",
        help="time backpropagation against naive differentiation for growing parameter count P",
        description="The lecture says backpropagation computes the gradient efficiently, 'unlike a naive direct "
        "computation of the gradient with respect to each weight individually'. This times both on networks "
        "[w, w, w, 10] of growing width w: backprop costs about a constant number of forward passes, the naive "
        "way 2P of them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--widths", default=",".join(map(str, DEFAULT_WIDTHS)), help="network widths w, comma-separated")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds: skip naive runs predicted to take longer (default 2)")
    parser.add_argument("--examples", type=int, default=32, help="batch size the cost is measured on (default 32)")
    parser.add_argument("--seed", type=int_at_least(0), default=0)
    parser.add_argument("--plot", metavar="FILE", help="write the log-log plot of time against P to this picture (a name ending in .png, .svg or .pdf)")
    parser.add_argument("--debug", dest="sub_debug", action="store_true", help="show the full traceback on errors")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from deltaprop._figures import FORMATS
    from deltaprop.cost import measure_cost
    from deltaprop.files import writable_path

    if args.plot:  # before the measurements, not after them
        writable_path(args.plot, "--plot")
        check_output_suffix(args.plot, "--plot", tuple(FORMATS), "a picture")  # (the format its suffix names)
    try:
        widths = [int(w) for w in args.widths.split(",")]
    except ValueError:
        raise ValueError(f"--widths: expected comma-separated integers such as 4,16,64; got {args.widths!r}") from None
    check_memory([max(widths)] * 3 + [10], "float64", "--widths")  # (the largest of measure_cost's networks)
    result = measure_cost(widths, budget_s=args.budget, n_examples=args.examples, seed=args.seed)
    sys.stdout.write(result.to_text())
    if args.plot:
        result.plot(args.plot)
        print(f"wrote {args.plot}")
    return 0
