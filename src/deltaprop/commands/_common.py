"""Helpers the train, evaluate, predict and info commands share."""

from __future__ import annotations

import argparse
import contextlib
import json
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


def add_data_arguments(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--data", default=default, metavar="NAME|PATH",
                        help="digits, fashion-mnist, mnist, a directory of IDX files, or a .csv/.npy/.npz file"
                        + ("" if default else " (default: the data set the model was trained on)"))
    parser.add_argument("--label", default=None,
                        help="label column of a CSV (default 'label'), array of a .npz (default 'y'), "
                        "or column number of a plain .npy (default -1)")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="use only the first N training and N test examples (quick runs)")


def print_json(obj) -> None:
    """``obj`` as JSON on stdout (NaN and infinities become null)."""
    from deltaprop.io import _json_safe

    json.dump(_json_safe(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


@contextlib.contextmanager
def flag_names(flags: dict[str, str]):
    """Errors from the library that start with an argument's name say the command-line flag instead.

    ``flags`` maps argument names to flags, e.g. ``{"learning_rate": "--lr"}``:
    "learning_rate: expected a finite number > 0" becomes "--lr: expected ...".
    """
    try:
        yield
    except (ValueError, TypeError) as exc:
        match = re.match(r"(\w+)(?=[: ])", str(exc))
        if not match or match.group(1) not in flags or len(exc.args) != 1:
            raise
        raise type(exc)(flags[match.group(1)] + str(exc)[match.end():]) from exc
