"""The ``deltaprop`` command line: one subcommand per module in ``deltaprop.commands``.

Each command module provides ``add_parser(subparsers) -> argparse.ArgumentParser``
and sets ``run=function(args) -> int`` as the parser's default; adding a
command is one module and one name in ``COMMANDS``. A module's ``FLAGS`` (library
argument name -> flag) relabels the errors of its command: "learning_rate: ..."
is reported as "--lr: ..." (see ``commands._common.flag_names``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from pathlib import Path

__all__ = ["main", "COMMANDS", "build_parser"]

#: Subcommands, in the order ``--help`` lists them: modules of ``deltaprop.commands``.
COMMANDS = ("train", "evaluate", "predict", "info", "explain", "chain", "cost")


class UsageError(Exception):
    """A user mistake the CLI reports in one line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse's parser (its subcommands' too), whose "invalid choice" says the choice meant where one is close."""

    def error(self, message: str):
        import re

        from deltaprop.checks import did_you_mean

        given = re.search(r"invalid choice: '(.*?)' \(choose from (.*)\)", message)
        if given:  # (choices quoted, as Python 3.11 lists them, or bare)
            choices = [quoted or bare for quoted, bare in re.findall(r"'([^']*)'|([^\s,]+)", given.group(2))]
            message += did_you_mean(given.group(1), choices)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="deltaprop",
        description="Train feedforward networks by backpropagation, and see how it works.",
        epilog="example: deltaprop train --data digits --layers 64 --epochs 20",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = {}  # name -> its parser, whose arguments name the files in errors (see _name_the_argument)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"deltaprop.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"deltaprop.commands.{name}":
                continue  # not written yet
            raise
        parser.commands[name] = module.add_parser(sub)
    return parser


def _name_the_argument(exc: Exception, command: argparse.ArgumentParser, args) -> Exception:
    """An OSError as the system words it ("[Errno 36] File name too long: 'aaa...'"), from a path the user gave,
    said with the argument that gave it: "--data: File name too long: aaa...". Anything else as it is."""
    if (not isinstance(exc, OSError) or not isinstance(exc.filename, (str, bytes, os.PathLike))
            or not str(exc).startswith("[Errno")):
        return exc
    for action in command._actions:
        value = getattr(args, action.dest, None)
        if isinstance(value, str) and value and Path(value) == Path(os.fsdecode(exc.filename)):
            flag = action.option_strings[0] if action.option_strings else action.metavar or action.dest.upper()
            return type(exc)(f"{flag}: {exc.strerror}: {value}")
    return exc


def _refuse_empty_values(command: argparse.ArgumentParser | None, args) -> None:
    """An empty value ("--out $MODEL" with MODEL unset) is a mistake, not "left out": refused (exit 2), but for
    the flags the command's module lists in ``EMPTY_MEANS`` (train's --layers '': no hidden layer)."""
    if command is None:
        return
    meaningful = getattr(sys.modules.get(args.run.__module__), "EMPTY_MEANS", ())
    for action in command._actions:
        if any(flag in meaningful for flag in action.option_strings):
            continue
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and not v.strip() for v in values) and value != action.default:
            flag = action.option_strings[-1] if action.option_strings else action.metavar or action.dest.upper()
            command.error(f"{flag}: expected a value; got an empty one")


@contextlib.contextmanager
def _command_context(run, debug: bool, command: str):
    """Around a command: its module's FLAGS name the flags in errors from the library, NumPy's
    floating-point warnings (overflow in a diverging run, ...) stay quiet and other warnings print as
    one line each, "deltaprop predict: warning: ...", unless --debug: the command reports what matters
    in its one-line error or its results."""
    import numpy as np

    from deltaprop.commands._common import flag_names

    flags = getattr(sys.modules.get(run.__module__), "FLAGS", {})
    if debug:
        with flag_names(flags):
            yield
        return

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"deltaprop {command}: warning: {' '.join(str(message).split())}", file=sys.stderr)

    with flag_names(flags), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.showwarning = one_line
        yield


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # `deltaprop`, `deltaprop --debug` or `deltaprop --epochs 5`: train is the default command.
    first = 1 if argv[:1] == ["--debug"] else 0
    if first == len(argv) or (argv[first].startswith("-") and argv[first] not in ("-h", "--help")):
        argv.insert(first, "train")
    args, extras = parser.parse_known_args(argv)
    if extras:  # said by the command's parser, with its usage (the top-level one would name no command)
        command = parser.commands.get(args.command, parser)
        hint = ""
        if args.command == "evaluate" and not extras[0].startswith("-"):
            from deltaprop.commands._common import file_kind

            model_first = file_kind(extras[0]) == "model"  # (evaluate DATA MODEL: told by the file's first bytes)
            hint = (f"; evaluate takes the model first and its data as --data: evaluate {extras[0]} --data {args.model}"
                    if model_first else f"; evaluate takes its data as --data {extras[0]}")
        else:  # a misspelt flag (--optimizer, --epoch): the command's own flag it is closest to
            from deltaprop.checks import did_you_mean

            flags = [flag for action in command._actions for flag in action.option_strings]
            hints = (did_you_mean(extra.split("=")[0], flags) for extra in extras if extra.startswith("-"))
            hint = next((h for h in hints if h), "")
        command.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    _refuse_empty_values(parser.commands.get(args.command), args)
    debug = args.debug or getattr(args, "sub_debug", False)
    try:
        with _command_context(args.run, debug, args.command):
            return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("deltaprop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`deltaprop ... | head`): stop quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except MemoryError as exc:  # NumPy's says what it could not allocate: sizes or data too big for this machine
        if debug:
            raise
        message = " ".join(str(exc).split()) or "an allocation failed"
        print(f"deltaprop {args.command}: error: not enough memory: {message}; give smaller sizes or less data",
              file=sys.stderr)
        return 1
    except (ValueError, TypeError, OSError, UsageError, FloatingPointError) as exc:
        if debug:
            raise
        message = " ".join(str(_name_the_argument(exc, parser.commands[args.command], args)).split())
        print(f"deltaprop {args.command}: error: {message}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1


if __name__ == "__main__":
    sys.exit(main())
