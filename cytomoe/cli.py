"""The `cytomoe` command: the desktop app by default, subcommands for batch work.

Each subcommand lives in ``cytomoe/commands/<name>.py`` with ``configure(parser)`` and
``main(args) -> int``; command modules import heavy libraries inside ``main`` so that
``cytomoe --help`` stays quick.
"""

import argparse
import atexit
import importlib
import os
import sys
import threading
from typing import NoReturn

from cytomoe import __version__
from cytomoe.core.errors import Cancelled, CytomoeError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("cytomoe.commands.gui", "open the desktop app (the default)"),
    "info": ("cytomoe.commands.info", "describe FCS files and event tables"),
    "run": ("cytomoe.commands.run", "cluster events with MoE-Sim-VAE and export the clusters"),
    "demo": ("cytomoe.commands.demo", "run the whole analysis on the bundled demo data"),
    "batch": ("cytomoe.commands.batch", "run one analysis over many plates"),
    "apply": ("cytomoe.commands.apply", "assign new data with a saved model"),
    "generate": ("cytomoe.commands.generate", "generate synthetic cells of one expert"),
    "gate": ("cytomoe.commands.gate", "apply FlowJo / Gating-ML gates and export populations"),
}

EXIT_USAGE = 2  # bad input, as argparse uses it
EXIT_CANCELLED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cytomoe",
        description="Cluster flow and mass cytometry plates with a mixture-of-experts VAE.",
    )
    parser.add_argument("--version", action="version", version=f"cytomoe {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of unexpected errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Also accepted after the subcommand; SUPPRESS keeps a flag given before it.
        sub.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the full traceback of unexpected errors",
        )
        module.configure(sub)
        sub.set_defaults(handler=module.main)
    return parser


def parse_command(argv: list[str] | None = None) -> argparse.Namespace:
    """The command and its arguments; no command is the desktop app."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return parser.parse_args(["gui"]) if args.command is None else args


def main(argv: list[str] | None = None) -> int:
    return run_command(parse_command(argv))


def run_command(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except Cancelled:
        print("cytomoe: cancelled.", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        print("\ncytomoe: interrupted.", file=sys.stderr)
        return EXIT_CANCELLED
    except CytomoeError as error:
        print(f"cytomoe: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # never show a traceback to a user unless asked
        if getattr(args, "debug", False):
            raise
        print(
            f"cytomoe: unexpected error: {type(error).__name__}: {error} "
            "(run with --debug for details)",
            file=sys.stderr,
        )
        return 1


def program() -> NoReturn:
    """The `cytomoe` program (its console script and ``python -m cytomoe``).

    When a command other than the desktop app returns, its files are written and closed.
    The interpreter would then take half a second to tear down the thousands of objects of
    torch and its neighbours (benchmarks/RESULTS.md), so the process ends after the exit
    handlers and flushed output instead. The desktop app exits as usual (Qt writes its
    settings while it tears down), as does any process with another thread still running."""
    args = parse_command()
    code = run_command(args)
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if args.command == "gui" or any(not t.daemon for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()  # what a normal exit runs before the teardown
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to deliver
            pass
    os._exit(code)
