"""Starting the desktop app."""

import sys

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication


def run_app(paths: list[str], demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cytomoe")
    app.setOrganizationName("cytomoe")
    pg.setConfigOptions(antialias=False, imageAxisOrder="col-major")
    from cytomoe.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.start_compute_process(keep=True)  # loads the analysis libraries meanwhile
    if demo:
        window.open_demo()
    elif paths:
        window.open_paths(paths)
    return app.exec()
