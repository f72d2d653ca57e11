"""The plate: wells in their grid coloured by event count, the sample table with each
well's share of every cluster once trained, which wells the plots show, unreadable files
with the reason."""

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.io.plate import Plate
from cytomoe.gui.colors import cluster_color

SAMPLE_COLUMNS = ["File", "Well", "Events", "Instrument"]


class PlateView(QWidget):
    """Selecting wells (in the grid or the table) restricts the plots to them."""

    wells_selected = Signal(list)  # sample indices; empty = all

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = QTableWidget(8, 12)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.setMinimumHeight(170)
        self.samples = QTableWidget(0, len(SAMPLE_COLUMNS))
        self.samples.setHorizontalHeaderLabels(SAMPLE_COLUMNS)
        self.samples.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.samples.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.samples.verticalHeader().setVisible(False)
        self.samples.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.failures = QListWidget()
        self.failures.setMaximumHeight(80)
        self.failures_label = QLabel("Files that could not be read:")
        self.summary = QLabel(
            "Open a plate folder, FCS files or CSV tables (File menu, toolbar, or drop them here)."
        )
        self.summary.setWordWrap(True)
        self.shown = QLabel("")
        self.shown.setWordWrap(True)
        self.shown.setStyleSheet("color: #555")
        self.n_samples = 0
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.samples)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.shown)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.failures_label)
        layout.addWidget(self.failures)
        self._cell_sample: dict[tuple[int, int], int] = {}
        self.grid.itemSelectionChanged.connect(self._grid_selection)
        self.samples.itemSelectionChanged.connect(self._table_selection)
        self._show_failures([])

    def set_plate(self, plate: Plate) -> None:
        self.summary.setText(
            f"<b>{plate.name}</b>: {len(plate.samples)} sample(s), "
            f"{plate.n_events:,} events, {len(plate.channels)} channels"
        )
        self._fill_grid(plate)
        self.grid.setVisible(any(s.well for s in plate.samples))
        self.wells = [s.well or s.name for s in plate.samples]
        self.n_samples = len(plate.samples)
        self.samples.setColumnCount(len(SAMPLE_COLUMNS))  # no clusters' shares yet
        self.samples.setHorizontalHeaderLabels(SAMPLE_COLUMNS)
        self._fill_table(plate)
        self._show_failures([str(f) for f in plate.failures])
        self._say_shown([])

    def set_cluster_statistics(
        self, samples: np.ndarray, clusters: np.ndarray, n_clusters: int
    ) -> None:
        """Each sample's share of every cluster (% of its events), as columns of the
        sample table and in the wells' tooltips."""
        counts = np.bincount(
            np.asarray(samples, np.int64) * n_clusters + clusters,
            minlength=self.n_samples * n_clusters,
        ).reshape(self.n_samples, n_clusters)
        shares = 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        self.shares = shares
        self.samples.setColumnCount(len(SAMPLE_COLUMNS) + n_clusters)
        self.samples.setHorizontalHeaderLabels(
            SAMPLE_COLUMNS + [f"% {cluster}" for cluster in range(n_clusters)]
        )
        for row in range(self.n_samples):
            for cluster in range(n_clusters):
                item = QTableWidgetItem(f"{shares[row, cluster]:.1f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setBackground(
                    QColor(cluster_color(cluster)).lighter(190 - int(shares[row, cluster]))
                )
                self.samples.setItem(row, len(SAMPLE_COLUMNS) + cluster, item)
        for (row, column), index in self._cell_sample.items():
            item = self.grid.item(row, column)
            top = np.argsort(shares[index])[::-1][:3]
            item.setToolTip(
                item.toolTip().split("\n")[0]
                + "\n"
                + ", ".join(f"cluster {c}: {shares[index, c]:.1f}%" for c in top)
            )

    def _say_shown(self, chosen: list[int]) -> None:
        if not self.n_samples:
            self.shown.setText("")
        elif not chosen or len(chosen) == self.n_samples:
            self.shown.setText(
                f"Plots show all {self.n_samples} sample(s); select wells to show fewer."
            )
        else:
            names = ", ".join(self.wells[i] for i in chosen[:12]) + (
                " …" if len(chosen) > 12 else ""
            )
            self.shown.setText(f"Plots show {len(chosen)} of {self.n_samples} samples: {names}")

    def _fill_grid(self, plate: Plate) -> None:
        wells = [(s.well, i) for i, s in enumerate(plate.samples) if s.well]
        rows = max([ord(w[0]) - ord("A") + 1 for w, _ in wells] + [8])
        columns = max([int(w[1:]) for w, _ in wells] + [12])
        rows, columns = (16, 24) if rows > 8 or columns > 12 else (8, 12)
        self.grid.blockSignals(True)
        self.grid.clear()
        self.grid.setRowCount(rows)
        self.grid.setColumnCount(columns)
        self.grid.setVerticalHeaderLabels([chr(ord("A") + r) for r in range(rows)])
        self.grid.setHorizontalHeaderLabels([str(c + 1) for c in range(columns)])
        counts = [plate.samples[i].n_events for _, i in wells]
        top = np.log1p(max(counts)) if counts else 1.0
        self._cell_sample = {}
        for well, index in wells:
            row, column = ord(well[0]) - ord("A"), int(well[1:]) - 1
            events = plate.samples[index].n_events
            item = QTableWidgetItem(_short(events))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            shade = np.log1p(events) / top
            item.setBackground(QColor.fromHsvF(0.58, 0.15 + 0.75 * shade, 0.95 - 0.3 * shade))
            item.setToolTip(f"{well}: {plate.samples[index].name}, {events:,} events")
            self.grid.setItem(row, column, item)
            self._cell_sample[(row, column)] = index
        self.grid.blockSignals(False)

    def _fill_table(self, plate: Plate) -> None:
        self.samples.blockSignals(True)
        self.samples.setRowCount(len(plate.samples))
        for row, sample in enumerate(plate.samples):
            values = [sample.name, sample.well or "", f"{sample.n_events:,}", sample.instrument]
            for column, value in enumerate(values):
                self.samples.setItem(row, column, QTableWidgetItem(value))
        self.samples.blockSignals(False)

    def _show_failures(self, messages: list[str]) -> None:
        self.failures.clear()
        for message in messages:
            self.failures.addItem(message)
            self.failures.item(self.failures.count() - 1).setForeground(QColor("#b00020"))
        self.failures.setVisible(bool(messages))
        self.failures_label.setVisible(bool(messages))

    def _grid_selection(self) -> None:
        chosen = sorted(
            {
                self._cell_sample[(i.row(), i.column())]
                for i in self.grid.selectedIndexes()
                if (i.row(), i.column()) in self._cell_sample
            }
        )
        self._say_shown(chosen)
        self.wells_selected.emit(chosen)

    def _table_selection(self) -> None:
        chosen = sorted({i.row() for i in self.samples.selectedIndexes()})
        self._say_shown(chosen)
        self.wells_selected.emit(chosen)


def _short(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)
