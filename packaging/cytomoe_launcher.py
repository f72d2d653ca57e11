"""Entry script of the PyInstaller bundle (see cytomoe.spec): `cytomoe.cli.main` behind
`multiprocessing.freeze_support()`.

The desktop app trains in a child process made with multiprocessing's "spawn" method
(cytomoe/gui/worker.py), and `cytomoe batch --workers N` starts Dask worker processes the
same way. In a frozen bundle there is no Python interpreter: `sys.executable` is the
bundle's own program, so each child starts this script again, with multiprocessing's
arguments instead of cytomoe's. PyInstaller's runtime hook makes `freeze_support()` spot
those arguments on every platform, run the child's work and exit; it must come first.

CYTOMOE_BUNDLE_SMOKE=train (used by packaging/smoke.sh only): with `cytomoe gui --demo`,
train on the demo data as soon as it is loaded, print a line when its first step reports
and one on how it ended, and quit (CYTOMOE_BUNDLE_SMOKE_HOLD seconds later, for a
screenshot), so that a smoke test exercises the training child process of the frozen app.
"""

import multiprocessing
import os
import sys

# numba's cache locators for the bundle: ours (cytomoe/core/model/bundle_cache.py), then
# numba's own. Named, not imported: importing numba here would slow every start.
NUMBA_LOCATORS = "cytomoe.core.model.bundle_cache.BundleCacheLocator,UserWideCacheLocator"


def _smoke_train() -> None:
    """Patch the main window so that opening the demo data also trains and then quits."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cytomoe.gui import main_window

    open_demo = main_window.MainWindow.open_demo
    state = {"trained": False, "under way": False, "done": False}
    hold = float(os.environ.get("CYTOMOE_BUNDLE_SMOKE_HOLD", "0"))  # seconds shown after

    def say(text: str) -> None:
        print(f"cytomoe-smoke: {text}", flush=True)

    # instead of a modal message box
    def show_error(window: main_window.MainWindow, message: str) -> None:
        say(f"error: {message}")
        QApplication.exit(3)

    def report_first_step(progress: object) -> None:
        if progress.stage in ("embed", "train") and not state["under way"]:
            state["under way"] = True
            say(f"training under way ({progress.message or progress.stage})")

    def poll(window: main_window.MainWindow) -> None:
        if window.worker is not None or window.plate is None:
            return
        if not state["trained"]:
            state["trained"] = True
            say(f"demo loaded ({window.plate.name}); training in a child process")
            window.train()
            window.worker.progressed.connect(report_first_step)
        elif window.result is not None and not state["done"]:
            state["done"] = True
            say(f"trained: {window.training_panel.status.text()}")
            QTimer.singleShot(int(1000 * hold), lambda: QApplication.exit(0))

    def open_demo_and_train(window: main_window.MainWindow) -> None:
        open_demo(window)
        timer = QTimer(window)
        timer.timeout.connect(lambda: poll(window))
        timer.start(250)

    main_window.MainWindow.show_error = show_error
    main_window.MainWindow.open_demo = open_demo_and_train


def main() -> int:
    # before numba is imported: compiled code kept per bundle, not per working folder
    os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES", NUMBA_LOCATORS)
    if os.environ.get("CYTOMOE_BUNDLE_SMOKE") == "train":
        _smoke_train()
    from cytomoe.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
