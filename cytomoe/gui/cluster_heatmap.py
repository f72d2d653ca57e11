"""Annotating clusters: one row per cluster, one column per marker, each cell the median of
the cluster's transformed values coloured on a scale, and a name to type per cluster (the
way clusters are annotated in FlowSOM's and Cytobank's reports)."""

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.gui.colors import cluster_color

CLUSTER, NAME, EVENTS, SHARE = range(4)
FIRST_MARKER = 4
PER_MARKER, ONE_SCALE = "per marker: lowest to highest cluster", "one scale for all markers"
COLORMAP = "viridis"
LEGEND_WIDTH = 160


def heat_fractions(medians: np.ndarray, per_marker: bool) -> np.ndarray:
    """Where each median lies on the colour scale (0 to 1): between the lowest and highest
    cluster median of its marker, or of all markers. Empty clusters (NaN) stay NaN."""
    axis = 0 if per_marker else None
    with np.errstate(all="ignore"):
        low = np.nanmin(medians, axis=axis, keepdims=per_marker)
        span = np.nanmax(medians, axis=axis, keepdims=per_marker) - low
        return np.where(span > 0, (medians - low) / np.where(span > 0, span, 1), 0.5)


class ClusterHeatmap(QWidget):
    """Shows `Session.marker_medians`; typing a name emits ``name_edited``, selecting a
    row ``cluster_selected``."""

    name_edited = Signal(int, str)
    cluster_selected = Signal(int)  # -1: none
    export_requested = Signal()  # the table as CSV

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.colormap = pg.colormap.get(COLORMAP)
        self.medians: pd.DataFrame | None = None
        self.hint = QLabel(
            "Train a model (Training panel, Ctrl+T): each cluster then gets a row here with "
            "the median of every marker, and a name you type."
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555")
        self.scale = QComboBox()
        self.scale.addItems([PER_MARKER, ONE_SCALE])
        self.scale.currentIndexChanged.connect(self._paint)
        self.legend_bar = QLabel()
        self.legend_low, self.legend_high = QLabel(), QLabel()
        legend = QHBoxLayout()
        legend.addWidget(QLabel("Colour:"))
        legend.addWidget(self.scale)
        legend.addSpacing(12)
        legend.addWidget(self.legend_low)
        legend.addWidget(self.legend_bar)
        legend.addWidget(self.legend_high)
        legend.addStretch(1)
        self.export_button = QPushButton("Export table (CSV)…")
        self.export_button.setToolTip("Clusters, names, sizes and medians, for a spreadsheet")
        self.export_button.clicked.connect(self.export_requested)
        legend.addWidget(self.export_button)
        self.table = QTableWidget(0, FIRST_MARKER)
        self.table.setHorizontalHeaderLabels(["Cluster", "Name (type to annotate)", "Events", "%"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(44)
        self.table.itemChanged.connect(self._edited)
        self.table.itemSelectionChanged.connect(self._selected)
        note = QLabel(
            "Each cell: the median of the cluster's events on the arcsinh scale of the plots. "
            "Names show in the legend, the F-measure table, exported file names and reports."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(legend)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.show_clusters(pd.DataFrame(), [], {})

    def show_clusters(self, medians: pd.DataFrame, sizes: list[int], names: dict[int, str]) -> None:
        """``medians``: clusters (rows) by markers (columns, display names)."""
        self.medians = medians
        trained = len(sizes) > 0
        self.hint.setVisible(not trained)
        shown_when_trained = (
            self.scale,
            self.legend_bar,
            self.legend_low,
            self.legend_high,
            self.export_button,
        )
        for widget in shown_when_trained:
            widget.setVisible(trained)
        total = max(1, sum(sizes))
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setColumnCount(FIRST_MARKER + medians.shape[1])
        self.table.setHorizontalHeaderLabels(
            ["Cluster", "Name (type to annotate)", "Events", "%", *map(str, medians.columns)]
        )
        self.table.setRowCount(len(sizes))
        for cluster, size in enumerate(sizes):
            number = _fixed(f"{cluster}")
            number.setBackground(QColor(cluster_color(cluster)))
            number.setForeground(QColor("white"))
            self.table.setItem(cluster, CLUSTER, number)
            self.table.setItem(cluster, NAME, QTableWidgetItem(names.get(cluster, "")))
            self.table.setItem(cluster, EVENTS, _fixed(f"{size:,}", right=True))
            self.table.setItem(cluster, SHARE, _fixed(f"{100 * size / total:.1f}", right=True))
        self.table.blockSignals(False)
        self._paint()

    def _paint(self) -> None:
        """Colour the marker cells on the chosen scale and draw its legend."""
        if self.medians is None or self.medians.empty:
            return
        values = self.medians.to_numpy(np.float64)
        per_marker = self.scale.currentText() == PER_MARKER
        fractions = heat_fractions(values, per_marker)
        self.table.blockSignals(True)
        for (row, column), value in np.ndenumerate(values):
            item = _fixed("" if np.isnan(value) else f"{value:.2f}", right=True)
            if not np.isnan(value):
                color = self.colormap.map(float(fractions[row, column]), mode="qcolor")
                item.setBackground(color)
                item.setForeground(QColor("black" if color.lightnessF() > 0.55 else "white"))
            self.table.setItem(row, FIRST_MARKER + column, item)
        self.table.blockSignals(False)
        if per_marker:
            self.legend_low.setText("lowest")
            self.legend_high.setText("highest cluster median of each marker")
        else:
            self.legend_low.setText(f"{np.nanmin(values):.2f}")
            self.legend_high.setText(f"{np.nanmax(values):.2f} (median, arcsinh scale)")
        self.legend_bar.setPixmap(self._gradient())

    def _gradient(self) -> QPixmap:
        pixmap = QPixmap(LEGEND_WIDTH, 14)
        gradient = QLinearGradient(0, 0, LEGEND_WIDTH, 0)
        for stop in np.linspace(0, 1, 9):
            gradient.setColorAt(stop, self.colormap.map(float(stop), mode="qcolor"))
        painter = QPainter(pixmap)
        painter.fillRect(pixmap.rect(), gradient)
        painter.end()
        return pixmap

    def select_cluster(self, cluster: int) -> None:
        self.table.blockSignals(True)
        if 0 <= cluster < self.table.rowCount():
            self.table.selectRow(cluster)
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)

    def _edited(self, item: QTableWidgetItem) -> None:
        if item.column() == NAME:
            self.name_edited.emit(item.row(), item.text())

    def _selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        self.cluster_selected.emit(rows[0] if rows else -1)

    def set_name(self, cluster: int, name: str) -> None:
        """Show the name the session kept (it tidies spaces); a table not built yet gets
        the names when it is."""
        item = self.table.item(cluster, NAME)
        if item is not None:
            self.table.blockSignals(True)
            item.setText(name)
            self.table.blockSignals(False)


def _fixed(text: str, right: bool = False) -> QTableWidgetItem:
    """A cell that can be selected but not edited."""
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
