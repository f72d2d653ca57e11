"""How long the window stalls: while it trains a model, and when the plot's axes change.

``--training``: a 10 ms timer runs on the GUI thread during a short training of the demo
data; the longest gap between two ticks, minus the 10 ms period, is how long the window
froze. Goal: no stall over 100 ms.

``--axis-change`` (the default): a million events (the demo's cells drawn again with a
little noise) are opened and clustered by a quick model; then X and Y are changed several
times, with the Experts tab hidden and then shown, and each change is timed until the
window has repainted. Goal: 150 ms.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--events N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cytomoe.core.analysis.demo import DEMO_LABEL_COLUMN, demo_settings  # noqa: E402
from cytomoe.core.analysis.pipeline import analyse  # noqa: E402
from cytomoe.core.io.export import write_fcs  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

TICK_MS = 10
AXIS_PAIRS = [("CD3", "CD4"), ("CD3", "CD8"), ("CD19", "CD20"), ("CD14", "CD45"), ("CD56", "CD3")]


def wait(app: QApplication, condition, seconds: float = 600) -> None:  # noqa: ANN001
    """Run the window's events until ``condition`` holds; stop the script after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the window did not finish in time")
        app.processEvents()
        time.sleep(0.005)


def training_stalls(app: QApplication, iterations: int) -> None:
    window = MainWindow()
    window.show()
    window.training_panel.iterations.setValue(iterations)
    window.open_demo()
    wait(app, lambda: window.plate is not None and window.worker is None)
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
    wait(app, lambda: window.result is not None and window.worker is None)
    elapsed = time.perf_counter() - started
    timer.stop()
    stalls = sorted((g * 1000 - TICK_MS for g in gaps[1:]), reverse=True)
    print(
        f"training of {len(window.result.clusters):,} events, {iterations} iterations: "
        f"{elapsed:.1f} s, {len(gaps)} timer ticks"
    )
    print(
        f"longest event-loop stall: {stalls[0]:.0f} ms; 99th percentile "
        f"{stalls[len(stalls) // 100]:.0f} ms; stalls over 100 ms: "
        f"{sum(s > 100 for s in stalls)}"
    )
    window.session.unsaved = False
    window.close()


def many_events(n: int, folder: Path) -> Path:
    """The demo's cells drawn ``n`` times over with 5% multiplicative noise, as an FCS file."""
    demo = pd.read_csv(demo_settings().inputs[0])
    markers = [c for c in demo.columns if c != DEMO_LABEL_COLUMN]
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(demo), n)
    values = demo[markers].to_numpy(np.float32)[rows]
    values *= rng.normal(1.0, 0.05, values.shape).astype(np.float32)
    path = folder / f"demo_{n}.fcs"
    write_fcs(path, pd.DataFrame(values, columns=markers), markers=markers)
    return path


def timed_axis_changes(app: QApplication, window: MainWindow) -> list[float]:
    channels = window.plate.channels
    times = []
    for x, y in AXIS_PAIRS:  # one axis at a time, as a user picks them
        for box, channel in ((window.x_channel, x), (window.y_channel, y)):
            if box.currentData() == channel:
                continue
            started = time.perf_counter()
            box.setCurrentIndex(channels.index(channel))
            app.processEvents()  # the repaint
            times.append(1000 * (time.perf_counter() - started))
    return times


def axis_change(app: QApplication, n_events: int, iterations: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = many_events(n_events, Path(folder))
        window = MainWindow()
        window.resize(1500, 950)
        window.show()
        window.open_paths([str(path)])
        wait(app, lambda: window.plate is not None and window.worker is None)
        settings = window.analysis_settings()
        settings.model = replace(settings.model, iterations=iterations, n_train=5_000)
        started = time.perf_counter()
        result = analyse(settings, plate=window.plate)
        print(
            f"{n_events:,} events, quick model ({iterations} iterations): "
            f"{result.model.n_clusters_} clusters in {time.perf_counter() - started:.0f} s"
        )
        window._trained(result)
        app.processEvents()
        for tab, name in ((0, "Experts tab hidden"), (1, "Experts tab shown")):
            window.tabs.setCurrentIndex(tab)
            app.processEvents()
            times = timed_axis_changes(app, window)
            print(
                f"axis change, {name}: median {statistics.median(times):.0f} ms, "
                f"slowest {max(times):.0f} ms ({', '.join(f'{t:.0f}' for t in times)})"
            )
        window.session.unsaved = False
        window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training", action="store_true", help="measure stalls in training")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="col-major")
    if args.training:
        training_stalls(app, args.iterations or 500)
    else:
        axis_change(app, args.events, args.iterations or 30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
