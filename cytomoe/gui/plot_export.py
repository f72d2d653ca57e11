"""Writing a plot to PNG or SVG, as shown or at a chosen size, resolution and title.

SVG goes through Qt's own `QSvgGenerator`: pyqtgraph's SVGExporter cannot read the paths
Qt 6 writes (it splits ``M0,0 L1,0 Z`` on spaces and fails on the closing ``Z``), so with
it every plot failed to export.
"""

from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRect, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGraphicsView,
    QLineEdit,
    QSpinBox,
    QWidget,
)

MM_PER_INCH = 25.4


@dataclass
class PlotSize:
    """A figure's size on paper and its resolution; ``title`` is drawn above the plot."""

    width_mm: float = 120.0
    height_mm: float = 100.0
    dpi: int = 300
    title: str = ""

    def pixels(self) -> tuple[int, int]:
        return (
            round(self.width_mm / MM_PER_INCH * self.dpi),
            round(self.height_mm / MM_PER_INCH * self.dpi),
        )


def save_plot(plot: pg.PlotWidget, path: str | Path, size: PlotSize | None = None) -> None:
    """The plot as shown (``size`` None), or scaled to ``size`` with its title: SVG if
    ``path`` ends in .svg, else a PNG image that records its DPI."""
    path = Path(path)
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else None
    title = _set_title(item, size.title if size else None)
    try:
        if path.suffix.lower() == ".svg":
            _save_svg(plot, path, size)
        else:
            _save_png(plot, item, path, size)
    finally:
        _set_title(item, title)


def _save_png(plot: QWidget, item: pg.PlotItem | None, path: Path, size: PlotSize | None) -> None:
    if size is None:
        pg_exporters.ImageExporter(item if item is not None else plot.scene()).export(str(path))
        return
    width, height = size.pixels()
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    dots_per_metre = round(size.dpi / MM_PER_INCH * 1000)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    painter = QPainter(image)
    try:
        _render(plot, painter, width, height)
    finally:
        painter.end()
    image.save(str(path))


def _save_svg(plot: QWidget, path: Path, size: PlotSize | None) -> None:
    shown = plot.size()
    width, height = size.pixels() if size else (shown.width(), shown.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle(size.title if size and size.title else path.stem)
    if size is not None:
        generator.setResolution(size.dpi)
    painter = QPainter(generator)
    try:
        _render(plot, painter, width, height)
    finally:
        painter.end()


def _render(plot: QWidget, painter: QPainter, width: int, height: int) -> None:
    """The plot redrawn (not its pixels scaled) into width x height on white, its aspect
    ratio kept: a plot's scene renders at any size, text and lines staying sharp."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(QRectF(0, 0, width, height), QColor("white"))
    if isinstance(plot, QGraphicsView):
        plot.render(painter, QRectF(0, 0, width, height), plot.viewport().rect())
        return
    scale = min(width / max(plot.width(), 1), height / max(plot.height(), 1))
    painter.scale(scale, scale)
    plot.render(painter)


def _set_title(item: pg.PlotItem | None, title: str | None) -> str | None:
    """Show ``title`` (None: leave the plot's own); returns the title it replaced."""
    if item is None or title is None:
        return None
    before = item.titleLabel.text if item.titleLabel.isVisible() else ""
    item.setTitle(title or None)
    return before


class PlotSizeDialog(QDialog):
    """Asks a figure's width and height (mm), DPI and title before exporting."""

    def __init__(self, title: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export plot")
        defaults = PlotSize(title=title)
        self.width_mm = _millimetres(defaults.width_mm)
        self.height_mm = _millimetres(defaults.height_mm)
        self.dpi = QSpinBox()
        self.dpi.setRange(72, 2400)
        self.dpi.setValue(defaults.dpi)
        self.dpi.setSuffix(" dpi")
        self.title = QLineEdit(title)
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("Width", self.width_mm)
        form.addRow("Height", self.height_mm)
        form.addRow("Resolution", self.dpi)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def size_chosen(self) -> PlotSize:
        return PlotSize(
            self.width_mm.value(), self.height_mm.value(), self.dpi.value(), self.title.text()
        )

    @classmethod
    def ask(cls, title: str, parent: QWidget | None = None) -> PlotSize | None:
        """The size chosen, or None when the user cancels."""
        dialog = cls(title, parent)
        return dialog.size_chosen() if dialog.exec() else None


def _millimetres(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(20.0, 1000.0)
    box.setDecimals(0)
    box.setValue(value)
    box.setSuffix(" mm")
    return box
