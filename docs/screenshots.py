"""Start the app under a (virtual) display, drive it through the main views on the demo
data and save a screenshot of each into docs/ (or the folder given).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots.py [FOLDER]
"""

import sys
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from cytomoe.core.analysis.analysis_file import LabelSource
from cytomoe.gui.main_window import MainWindow

OUT = Path(__file__).resolve().parent


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


def shoot(app: QApplication, window: MainWindow, name: str) -> None:
    settle(app)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    window.grab().save(str(out / name))
    print(f"saved {out / name}")


def show(window: MainWindow, x: str, y: str) -> None:
    window.x_channel.setCurrentIndex(window.plate.channels.index(x))
    window.y_channel.setCurrentIndex(window.plate.channels.index(y))


def main() -> int:
    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="col-major")
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.open_demo()
    wait_for(app, lambda: window.plate is not None and window.worker is None)
    window.marker_dock.raise_()
    shoot(app, window, "screenshot_markers.png")
    window.plate_dock.raise_()
    window.train()
    wait_for(app, lambda: window.result is not None and window.worker is None)
    show(window, "CD3", "CD4")
    window.select_cluster(1)
    shoot(app, window, "screenshot_gating.png")
    window.select_cluster(-1)
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("logicle"))
    shoot(app, window, "screenshot_logicle.png")
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("arcsinh"))
    window.gate_dock.raise_()
    editor = window.gate_editor
    editor.name.setText("T cells")
    editor.add_gate("rectangle", [(2.5, 7.0), (-0.5, 6.0)])
    show(window, "CD8", "CD4")
    editor.tree.topLevelItem(0).setSelected(True)
    editor.name.setText("CD4 CD8")
    editor.add_gate("quadrant", [(2.5, 2.2)])
    shoot(app, window, "screenshot_quadrant.png")
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("contour"))
    editor.tree.clearSelection()
    show(window, "CD3", "CD19")
    shoot(app, window, "screenshot_contour.png")
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("density"))
    show(window, "CD3", "CD4")
    window.plate_dock.raise_()
    window.tabs.setCurrentWidget(window.histogram_view)
    histogram = window.histogram_view
    histogram.marker.setCurrentIndex(histogram.marker.findData("CD4"))
    histogram.split.setCurrentIndex(histogram.split.findData("clusters"))
    shoot(app, window, "screenshot_histogram.png")
    window.tabs.setCurrentIndex(0)
    window.select_cluster(1)
    window.tabs.setCurrentIndex(1)
    window.generate_cells()
    shoot(app, window, "screenshot_experts.png")
    window.tabs.setCurrentIndex(2)
    shoot(app, window, "screenshot_latent.png")
    window.compute_fmeasure(LabelSource("column", "labels"))
    window.tabs.setCurrentIndex(3)
    shoot(app, window, "screenshot_fmeasure.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
