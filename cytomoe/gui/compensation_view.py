"""The spillover matrix in use: each file's $SPILLOVER as a table, the spill of one
channel into another shaded by its size, and whether it is applied."""

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class SpilloverTable(QTableWidget):
    """A spillover matrix: row = the dye, column = the detector it spills into."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def set_matrix(self, matrix: pd.DataFrame, names: dict[str, str] | None = None) -> None:
        names = names or {}
        labels = [_heading(channel, names) for channel in matrix.columns]
        self.setRowCount(len(matrix))
        self.setColumnCount(len(matrix.columns))
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels([_heading(channel, names) for channel in matrix.index])
        for row, values in enumerate(matrix.to_numpy()):
            for column, value in enumerate(values):
                item = QTableWidgetItem(f"{100 * value:.1f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row != column and value > 0:
                    strength = min(1.0, value / 0.3)  # 30% spill and more: full colour
                    item.setBackground(QColor.fromHsvF(0.02, 0.15 + 0.6 * strength, 1.0))
                elif row == column:
                    item.setForeground(QColor("#999"))
                self.setItem(row, column, item)


def _heading(channel: str, names: dict[str, str]) -> str:
    name = names.get(channel, channel)
    return channel if name == channel else f"{name}\n{channel}"


class SpilloverDialog(QDialog):
    """The matrix of the first file with one (the files of a plate share it in practice),
    in % spill, and whether the plots and the model use it."""

    def __init__(
        self,
        matrix: pd.DataFrame | None,
        applied: bool,
        source: str,
        names: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Spillover matrix")
        self.table = SpilloverTable()
        if matrix is None:
            text = (
                "The files carry no spillover matrix ($SPILLOVER / SPILL): nothing to compensate."
            )
        else:
            self.table.set_matrix(matrix, names)
            state = "applied to" if applied else "not applied to (compensation is off for)"
            text = (
                f"Spillover of {source}, in % of the dye's signal seen by each detector; "
                f"{state} the plots, gates and model."
            )
        self.note = QLabel(text)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setVisible(matrix is not None)
        self.resize(760, 420)
