"""Longest stall of the GUI event loop while the window trains a model.

A 10 ms timer runs on the GUI thread during a short training of the demo data; the
longest gap between two ticks, minus the 10 ms period, is how long the window froze.
Goal: no stall over 100 ms.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--iterations N]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cytomoe.gui.main_window import MainWindow  # noqa: E402

TICK_MS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="col-major")
    window = MainWindow()
    window.show()
    window.training_panel.iterations.setValue(args.iterations)
    window.open_demo()
    while window.plate is None or window.worker is not None:
        app.processEvents()
        time.sleep(0.01)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)
    started = time.perf_counter()
    window.train()
    while window.result is None or window.worker is not None:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    timer.stop()
    stalls = sorted((g * 1000 - TICK_MS for g in gaps[1:]), reverse=True)
    print(
        f"training of {len(window.result.clusters):,} events, {args.iterations} iterations: "
        f"{elapsed:.1f} s, {len(gaps)} timer ticks"
    )
    print(
        f"longest event-loop stall: {stalls[0]:.0f} ms; 99th percentile "
        f"{stalls[len(stalls) // 100]:.0f} ms; stalls over 100 ms: "
        f"{sum(s > 100 for s in stalls)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
