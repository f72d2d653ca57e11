"""Seconds from the Train button to clusters in the window, offscreen, on the demo data.

    python benchmarks/app_training.py [--load-seconds S] [--repeats R]

Two ways the window's compute process can meet a training, alternated ``--repeats`` times:
"started with the window" (what ``cytomoe gui`` does: the process loads the analysis
libraries while the user opens data and then embeds the data on screen, here given
``--load-seconds``), and "started at the click" (a process started only when training is
asked for, as every training did before the app kept one). Each case trains twice: first
with the defaults on an empty embedding cache, then again with other model settings (20
experts), which reuses the embedding as a user's second training does.
"""

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pandas as pd  # noqa: E402
from gui_responsiveness import wait  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cytomoe.core.model import embedding_cache  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

SECOND_EXPERTS = 20  # the re-training's other model setting


def trained_in(app: QApplication, window: MainWindow) -> float:
    """Seconds from the click to the clusters shown."""
    before = window.result
    started = time.perf_counter()
    window.train()
    wait(app, lambda: window.result is not before and window.worker is None)
    return time.perf_counter() - started


def case(app: QApplication, early: bool, load_seconds: float, cache: Path) -> dict:
    os.environ[embedding_cache.CACHE_ENV] = str(cache)  # empty: the first training embeds
    embedding_cache.forget_in_memory()
    window = MainWindow()
    window.show()
    opened = time.perf_counter()
    if early:
        window.start_compute_process(keep=True)
    window.open_demo()
    wait(app, lambda: window.plate is not None and window.worker is None)
    wait(app, lambda: time.perf_counter() - opened >= load_seconds)  # the user looks, picks
    first = trained_in(app, window)
    window.training_panel.experts.setValue(SECOND_EXPERTS)
    if not early:
        window.compute_process.stop()  # as before: a new process for every training
    second = trained_in(app, window)
    clusters = window.result.model.n_clusters_
    window.session.unsaved = False
    window.close()
    window.deleteLater()  # now, in the main thread, not by the interpreter's exit
    app.processEvents()
    gc.collect()
    return {
        "compute process": "started with the window" if early else "started at the click",
        "first training s": first,
        "second training s": second,
        "clusters (second)": clusters,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeats):
            for early in (False, True):
                cache = Path(folder) / f"cache_{len(rows)}"
                rows.append(case(app, early, args.load_seconds, cache))
                print(rows[-1], file=sys.stderr, flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
