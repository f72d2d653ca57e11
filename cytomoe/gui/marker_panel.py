"""The marker panel: which channels the model uses, their names and arcsinh cofactors."""

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.preprocessing.panel import Panel
from cytomoe.gui.compensation_view import SpilloverDialog

USE, CHANNEL, MARKER, COFACTOR = range(4)


class MarkerPanel(QWidget):
    """Edits a `Panel` in place: check boxes select markers, names and cofactors are
    editable (an empty cofactor means no transform; anything but a positive number is
    refused with a message, keeping the cofactor it had)."""

    changed = Signal()
    save_requested = Signal()
    load_requested = Signal()
    compensation_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.panel: Panel | None = None
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Use", "Channel ($PnN)", "Marker ($PnS)", "Cofactor"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(MARKER, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._edited)
        self.compensate = QCheckBox("Compensate with the files' spillover")
        self.compensate.setToolTip(
            "Apply each file's $SPILLOVER matrix to the plots, gates and model"
        )
        self.compensate.toggled.connect(self._compensation_toggled)
        self.spillover_button = QPushButton("Spillover matrix…")
        self.spillover_button.clicked.connect(self.show_spillover)
        self.spillover: pd.DataFrame | None = None
        self.spillover_source = ""
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        all_button, none_button = QPushButton("All"), QPushButton("None")
        save, load = QPushButton("Save panel…"), QPushButton("Load panel…")
        all_button.clicked.connect(lambda: self._check_all(True))
        none_button.clicked.connect(lambda: self._check_all(False))
        save.clicked.connect(self.save_requested)
        load.clicked.connect(self.load_requested)
        buttons = QHBoxLayout()
        for button in (all_button, none_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (load, save):
            buttons.addWidget(button)
        compensation = QHBoxLayout()
        compensation.addWidget(self.compensate)
        compensation.addStretch(1)
        compensation.addWidget(self.spillover_button)
        layout = QVBoxLayout(self)
        layout.addLayout(compensation)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def set_spillover(self, matrix: pd.DataFrame | None, source: str = "") -> None:
        """The spillover the files carry (None: none): the toggle is off and disabled
        without one."""
        self.spillover, self.spillover_source = matrix, source
        self.compensate.setEnabled(matrix is not None)

    def show_spillover(self) -> None:
        names = self.panel.markers if self.panel else {}
        applied = self.panel is not None and self.panel.compensate
        SpilloverDialog(self.spillover, applied, self.spillover_source, names, self).exec()

    def _compensation_toggled(self, checked: bool) -> None:
        if self.panel is not None and self.panel.compensate != checked:
            self.panel.compensate = checked
            self.compensation_changed.emit(checked)

    def set_panel(self, panel: Panel) -> None:
        self.panel = panel
        self.compensate.blockSignals(True)
        self.compensate.setChecked(panel.compensate)
        self.compensate.blockSignals(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(panel.channels))
        for row, channel in enumerate(panel.channels):
            use = QTableWidgetItem()
            use.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            use.setCheckState(
                Qt.CheckState.Checked if channel in panel.selected else Qt.CheckState.Unchecked
            )
            name = QTableWidgetItem(channel)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            cofactor = panel.cofactors.get(channel)
            self.table.setItem(row, USE, use)
            self.table.setItem(row, CHANNEL, name)
            self.table.setItem(row, MARKER, QTableWidgetItem(panel.display_name(channel)))
            self.table.setItem(
                row, COFACTOR, QTableWidgetItem("" if cofactor is None else f"{cofactor:g}")
            )
        self.table.blockSignals(False)

    def set_use(self, channel: str, use: bool) -> None:
        """Check or uncheck a channel, as a click would."""
        row = self.panel.channels.index(channel)
        self.table.item(row, USE).setCheckState(
            Qt.CheckState.Checked if use else Qt.CheckState.Unchecked
        )

    def _check_all(self, use: bool) -> None:
        for channel in list(self.panel.channels if self.panel else []):
            self.set_use(channel, use)

    def _edited(self, item: QTableWidgetItem) -> None:
        if self.panel is None:
            return
        channel = self.panel.channels[item.row()]
        if item.column() == USE:
            chosen = set(self.panel.selected)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.add(channel)
            else:
                chosen.discard(channel)
            self.panel.selected = [c for c in self.panel.channels if c in chosen]
        elif item.column() == MARKER:
            self.panel.markers[channel] = item.text().strip() or channel
        elif item.column() == COFACTOR:
            typed = item.text().strip()
            try:
                self.panel.cofactors[channel] = _cofactor(typed)
                self.message.setText("")
            except ValueError:
                self.message.setText(
                    f"'{typed}' is not a cofactor for {channel}: type a positive number "
                    "(5 for mass cytometry, 150 for fluorescence), or leave it empty for "
                    "a linear scale."
                )
            self.table.blockSignals(True)  # shows the cofactor kept, as the panel has it
            cofactor = self.panel.cofactors.get(channel)
            item.setText("" if cofactor is None else f"{cofactor:g}")
            self.table.blockSignals(False)
            if self.message.text():
                return
        self.changed.emit()


def _cofactor(text: str) -> float | None:
    """The cofactor typed; None (empty text) means linear. ValueError unless the text is
    empty or a positive number."""
    if not text:
        return None
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(text)
    return value
