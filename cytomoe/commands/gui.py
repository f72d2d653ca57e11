"""`cytomoe` / `cytomoe gui [PATH...] [--demo]`: the desktop app.

Without a display (no DISPLAY or WAYLAND_DISPLAY, and Qt not told to draw offscreen) the
app cannot open, so the demo analysis runs in the terminal instead, saying so.
"""

import argparse
import os
import sys
from pathlib import Path


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
    if not has_display():
        print(
            "cytomoe: no display found, so the desktop app cannot open; running the demo "
            "analysis in the terminal instead (`cytomoe demo`).",
            file=sys.stderr,
        )
        from cytomoe.cli import main as cli_main

        return cli_main(["demo"])
    from cytomoe.gui.app import run_app

    return run_app([str(p) for p in args.paths], demo=args.demo)
