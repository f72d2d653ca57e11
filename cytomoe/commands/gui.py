"""`cytomoe` / `cytomoe gui [PATH...] [--demo]`: the desktop app.

Without a display (no DISPLAY or WAYLAND_DISPLAY, and Qt not told to draw offscreen) the
app cannot open, so the same analysis runs in the terminal instead, saying so: the given
paths with the default settings into a new results folder, or the demo.
"""

import argparse
import os
import sys
from pathlib import Path

from cytomoe.core.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="plate folders, FCS files or CSV tables to open",
    )
    parser.add_argument("--demo", action="store_true", help="open the bundled demo data")


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(args: argparse.Namespace) -> int:
    from cytomoe.cli import main as cli_main
    from cytomoe.core.io.outputs import new_results_folder

    if not has_display():
        if args.paths and not args.demo:
            out = new_results_folder(args.paths[0].stem or "results")
            command = ["run", *map(str, args.paths), "--out", str(out)]
        else:
            command = ["demo"]
        print(
            "cytomoe: no display found, so the desktop app cannot open; running "
            f"`cytomoe {' '.join(command)}` in the terminal instead.",
            file=sys.stderr,
        )
        return cli_main(command)
    try:
        from cytomoe.gui.app import run_app
    except ImportError as error:
        raise InputError(
            f"The desktop app needs Qt ({error.name} is missing): "
            "install it with pip install 'cytomoe[gui]'."
        ) from None

    return run_app([str(p) for p in args.paths], demo=args.demo)
