"""Writing a plot to PNG or SVG.

SVG goes through Qt's own `QSvgGenerator`: pyqtgraph's SVGExporter cannot read the paths
Qt 6 writes (it splits ``M0,0 L1,0 Z`` on spaces and fails on the closing ``Z``), so with
it every plot failed to export.
"""

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator


def save_plot(plot: pg.PlotWidget, path: str | Path) -> None:
    """The plot as it is shown: SVG if ``path`` ends in .svg, else a PNG image."""
    path = Path(path)
    if path.suffix.lower() != ".svg":
        pg_exporters.ImageExporter(plot.getPlotItem()).export(str(path))
        return
    size = plot.size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(size.width(), size.height()))
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(path.stem)
    painter = QPainter(generator)
    try:
        plot.render(painter)
    finally:
        painter.end()
