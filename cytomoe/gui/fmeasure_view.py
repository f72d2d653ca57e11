"""Clusters against manual gates: choose the label source, see the F-measure, the
per-population table and a population x cluster confusion heatmap."""

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.analysis.analysis_file import LabelSource
from cytomoe.core.evaluation.fmeasure import Evaluation
from cytomoe.core.io.plate import EVENT, SAMPLE, WELL

FILE_CHOICE = "Labels file (one per event)…"
GATES_CHOICE = "Gates (FlowJo .wsp / Gating-ML .xml)…"
DRAWN_CHOICE = "Gates drawn here (leaf gates)"


def label_columns(events: pd.DataFrame, markers: list[str]) -> list[str]:
    """Columns that can hold manual labels: text columns first, then other non-marker
    columns (a numeric `label` column, say)."""
    candidates = [c for c in events.columns if c not in (WELL, SAMPLE, EVENT)]
    text = [c for c in candidates if not pd.api.types.is_numeric_dtype(events[c])]
    numeric = [c for c in candidates if c not in text and c not in markers]
    return text + numeric


class FMeasureView(QWidget):
    """The window computes (through the core) when ``compute_requested`` fires."""

    compute_requested = Signal(object)  # LabelSource

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.source = QComboBox()
        self.source.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source.setMinimumContentsLength(14)
        self.unlabeled = QLineEdit()
        self.unlabeled.setPlaceholderText("also unlabelled, e.g. 0 (comma-separated)")
        self.compute = QPushButton("Compute F-measure")
        self.compute.clicked.connect(self._request)
        self.score = QLabel("Train a model, choose where the manual gates come from, and compute.")
        self.score.setTextFormat(Qt.TextFormat.RichText)
        self.score.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["Population", "Events", "Cluster", "Precision", "Recall", "F1"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.heatmap = pg.PlotWidget(background="w", title="Populations across clusters")
        self.heatmap_image = pg.ImageItem()
        self.heatmap.addItem(self.heatmap_image)
        self.color_bar = pg.ColorBarItem(
            values=(0, 100),
            colorMap=pg.colormap.get("viridis"),
            label="% of the population",
            interactive=False,
        )
        self.color_bar.setImageItem(self.heatmap_image, insert_in=self.heatmap.getPlotItem())
        self.heatmap_values: list[pg.TextItem] = []
        self.heatmap.setLabel("bottom", "cluster")
        self.heatmap.invertY(True)
        self.heatmap.setMenuEnabled(False)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Manual gates:"))
        controls.addWidget(self.source, 1)
        controls.addWidget(self.unlabeled, 1)
        controls.addWidget(self.compute)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.heatmap)
        splitter.setSizes([500, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.score)
        layout.addWidget(splitter, 1)

    def set_columns(self, columns: list[str]) -> None:
        self.source.clear()
        for column in columns:
            self.source.addItem(f"Column: {column}", column)
        self.source.addItem(FILE_CHOICE, None)
        self.source.addItem(GATES_CHOICE, None)
        self.source.addItem(DRAWN_CHOICE, None)

    def _request(self) -> None:
        text = self.source.currentText()
        unlabeled = [v.strip() for v in self.unlabeled.text().split(",") if v.strip()]
        if text in (FILE_CHOICE, GATES_CHOICE):
            kind = "file" if text == FILE_CHOICE else "gates"
            pattern = (
                "Labels (*.csv *.txt *.tsv);;All files (*)"
                if kind == "file"
                else "Gates (*.wsp *.xml);;All files (*)"
            )
            path, _ = QFileDialog.getOpenFileName(self, text.rstrip("…"), "", pattern)
            if not path:
                return
            self.compute_requested.emit(LabelSource(kind, path, unlabeled))
        elif text == DRAWN_CHOICE:
            self.compute_requested.emit(LabelSource("drawn", "gates drawn here", unlabeled))
        elif self.source.currentData() is not None:
            self.compute_requested.emit(LabelSource("column", self.source.currentData(), unlabeled))

    def show_source(self, source: LabelSource) -> None:
        """Show ``source`` as the choice (a column, a file, gates) and its unlabelled
        values, as when the user picked it."""
        choice = {"file": FILE_CHOICE, "gates": GATES_CHOICE, "drawn": DRAWN_CHOICE}
        index = (
            self.source.findData(source.value)
            if source.kind == "column"
            else self.source.findText(choice.get(source.kind, ""))
        )
        if index >= 0:
            self.source.setCurrentIndex(index)
        self.unlabeled.setText(", ".join(source.unlabeled))

    def show_evaluation(
        self,
        evaluation: Evaluation,
        source: str,
        n_clusters: int,
        cluster_labels: list[str] | None = None,
    ) -> None:
        """Scores, the per-population table and the heatmap over all ``n_clusters``
        clusters (those holding only unlabelled events show as empty columns).
        ``cluster_labels`` name the clusters in the table ("3 CD4 T cells")."""
        labels = cluster_labels or [str(c) for c in range(n_clusters)]
        self.score.setText(
            f"<span style='font-size:16pt'><b>F-measure {evaluation.f_measure:.3f}</b></span>"
            f" &nbsp; FlowCAP-I weighted {evaluation.f_measure_flowcap:.3f} &nbsp; "
            f"NMI {evaluation.nmi:.3f} &nbsp; ARI {evaluation.ari:.3f} &nbsp; "
            f"<span style='color:#555'>({evaluation.n_labelled:,} labelled events, {source})"
            f"</span>"
        )
        populations = evaluation.populations
        self.table.setRowCount(len(populations))
        for row, record in enumerate(populations.itertuples(index=False)):
            values = [
                record.population,
                f"{record.size:,}",
                "—" if pd.isna(record.cluster) else labels[int(record.cluster)],
                f"{record.precision:.3f}",
                f"{record.recall:.3f}",
                f"{record.f1:.3f}",
            ]
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self._show_confusion(evaluation.confusion.reindex(columns=range(n_clusters), fill_value=0))

    def _show_confusion(self, confusion: pd.DataFrame) -> None:
        counts = confusion.to_numpy(dtype=np.float64)
        shares = 100 * counts / np.clip(counts.sum(axis=1, keepdims=True), 1, None)
        self.heatmap_image.setImage(shares.T, levels=(0, 100), autoLevels=False)
        for text in self.heatmap_values:
            self.heatmap.removeItem(text)
        self.heatmap_values = []
        for (row, column), share in np.ndenumerate(shares):
            if share >= 0.5:  # a blank cell reads as none; "0" everywhere is noise
                text = pg.TextItem(
                    f"{share:.0f}", color="k" if share > 60 else "w", anchor=(0.5, 0.5)
                )
                text.setPos(column + 0.5, row + 0.5)
                self.heatmap.addItem(text)
                self.heatmap_values.append(text)
        self.heatmap_image.setRect(QRectF(0, 0, shares.shape[1], shares.shape[0]))
        left = self.heatmap.getAxis("left")
        left.setTicks([[(i + 0.5, str(name)) for i, name in enumerate(confusion.index)]])
        bottom = self.heatmap.getAxis("bottom")
        bottom.setTicks([[(i + 0.5, str(c)) for i, c in enumerate(confusion.columns)]])
        self.heatmap.setXRange(0, shares.shape[1], padding=0)
        self.heatmap.setYRange(0, shares.shape[0], padding=0)
