"""Start the app under a (virtual) display, drive it through the main views on the demo
data and save a screenshot of each into docs/.

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots.py [--out FOLDER]
"""

import argparse
import sys
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from cytomoe.gui.main_window import MainWindow

DOCS = Path(__file__).resolve().parent


def wait_for(app: QApplication, condition, timeout: float = 600) -> None:
    end = time.time() + timeout
    while not condition():
        if time.time() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication) -> None:
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, window: MainWindow, path: Path) -> None:
    settle(app)
    window.grab().save(str(path))
    print(f"saved {path}")


def show(window: MainWindow, x: str, y: str) -> None:
    window.x_channel.setCurrentIndex(window.plate.channels.index(x))
    window.y_channel.setCurrentIndex(window.plate.channels.index(y))


def name_matched_clusters(window: MainWindow) -> None:
    """Name each cluster after the manual population the F-measure matched to it, as a
    user annotating the clusters would."""
    table = window.result.evaluation.populations.dropna(subset=["cluster"])
    for population, cluster in zip(table["population"], table["cluster"], strict=True):
        window.name_cluster(int(cluster), str(population))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder of the screenshots")
    out = parser.parse_args().out
    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="col-major")
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.open_demo()
    wait_for(app, lambda: window.plate is not None and window.worker is None)
    window.marker_dock.raise_()
    shoot(app, window, out / "screenshot_markers.png")
    window.plate_dock.raise_()
    window.train()
    wait_for(app, lambda: window.result is not None and window.worker is None)
    name_matched_clusters(window)  # the demo's manual labels were scored on training
    show(window, "CD3", "CD4")
    window.select_cluster(1)
    shoot(app, window, out / "screenshot_gating.png")
    window.select_cluster(-1)
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("logicle"))
    shoot(app, window, out / "screenshot_logicle.png")
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("arcsinh"))
    window.gate_dock.raise_()
    editor = window.gate_editor
    editor.name.setText("T cells")
    editor.add_gate("rectangle", [(2.5, 7.0), (-0.5, 6.0)])
    show(window, "CD8", "CD4")
    editor.tree.topLevelItem(0).setSelected(True)
    editor.name.setText("CD4 CD8")
    editor.add_gate("quadrant", [(2.5, 2.2)])
    shoot(app, window, out / "screenshot_quadrant.png")
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("contour"))
    editor.tree.clearSelection()
    show(window, "CD3", "CD19")
    shoot(app, window, out / "screenshot_contour.png")
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("density"))
    show(window, "CD3", "CD4")
    window.plate_dock.raise_()
    window.tabs.setCurrentWidget(window.histogram_view)
    histogram = window.histogram_view
    histogram.marker.setCurrentIndex(histogram.marker.findData("CD4"))
    histogram.split.setCurrentIndex(histogram.split.findData("clusters"))
    shoot(app, window, out / "screenshot_histogram.png")
    window.tabs.setCurrentIndex(0)
    window.select_cluster(1)
    window.tabs.setCurrentIndex(1)
    window.generate_cells()
    shoot(app, window, out / "screenshot_experts.png")
    window.tabs.setCurrentIndex(2)
    shoot(app, window, out / "screenshot_latent.png")
    window.tabs.setCurrentWidget(window.fmeasure_view)
    shoot(app, window, out / "screenshot_fmeasure.png")
    window.tabs.setCurrentWidget(window.cluster_heatmap)
    shoot(app, window, out / "screenshot_cluster_medians.png")
    window.session.unsaved = False  # closing without the question a user would answer
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
