"""``deltaprop chain``: the lecture's chain-rule example z = f(f(f(w))), step by step."""

from __future__ import annotations

import argparse
import sys

#: Library argument names in error messages, and the flags that set them here (see cli.main).
FLAGS = {"f": "--f", "w": "--w", "eps": "--eps"}

EXAMPLES = """\
examples:
  deltaprop chain                       # f = sigmoid at w = 0.5
  deltaprop chain --f tanh --w -1.2
  deltaprop chain --f relu --w 0.3 --format markdown
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "chain",
        help="the chain rule dz/dw = f'(y) f'(x) f'(w) for z = f(f(f(w))), with a finite-difference check",
        description="The lecture's chain-rule example w -> x -> y -> z: the forward values, the backward "
        "product of local derivatives, and a central finite-difference estimate beside it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from deltaprop.activations import hidden_activations

    from .explain import NEGATIVE_NUMBERS

    parser._negative_number_matcher = NEGATIVE_NUMBERS  # `--w -1e-3` is a value (argparse's own pattern: -1, -0.5)
    parser.add_argument("--f", default="sigmoid", help=f"the function f: {', '.join(hidden_activations())} (default sigmoid)")
    parser.add_argument("--w", type=float, default=0.5, help="the point w (default 0.5)")
    parser.add_argument("--eps", type=float, default=1e-6,
                        help="finite-difference step, relative to |w| where |w| > 1: step = eps max(1, |w|) (default 1e-6)")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--precision", type=int, help="significant digits (default: exact values)")
    parser.add_argument("--debug", dest="sub_debug", action="store_true", help="show the full traceback on errors")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from deltaprop.activations import get_activation, hidden_activations
    from deltaprop.chain import chain_rule

    try:
        get_activation(args.f)
    except ValueError:  # (the registry's message lists softmax too, which --f refuses as not element-wise)
        raise ValueError(f"--f: unknown activation {args.f!r}; expected one of the element-wise activations "
                         f"{list(hidden_activations())}") from None
    if args.precision is not None and args.precision < 1:  # (the library's words say None, which is no flag's value)
        raise ValueError(f"--precision: expected an integer >= 1 (leave it out for exact values); got {args.precision}")
    result = chain_rule(args.f, args.w, eps=args.eps)
    sys.stdout.write(result.to_markdown(args.precision) if args.format == "markdown" else result.to_text(args.precision))
    return 0
