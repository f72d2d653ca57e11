"""Where and how to export clusters: folder, which clusters, one file each or one file,
FCS or CSV."""

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)


class ExportDialog(QDialog):
    """``selected`` describes the selected cluster ("cluster 1 (12.3% of events)"), or
    is empty when none is selected."""

    def __init__(self, selected: str, folder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export clusters")
        self.folder = QLineEdit(folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        folder_box = QWidget()
        folder_box.setLayout(row)
        self.all_clusters = QRadioButton("All clusters")
        self.selected_clusters = QRadioButton(
            f"Selected cluster: {selected}" if selected else "Selected cluster: none selected"
        )
        self.selected_clusters.setEnabled(bool(selected))
        (self.selected_clusters if selected else self.all_clusters).setChecked(True)
        which = QButtonGroup(self)
        which.addButton(self.all_clusters)
        which.addButton(self.selected_clusters)
        self.separate = QRadioButton("One file per cluster")
        self.together = QRadioButton("One file with a cluster channel")
        self.separate.setChecked(True)
        layout_group = QButtonGroup(self)
        layout_group.addButton(self.separate)
        layout_group.addButton(self.together)
        self.file_format = QComboBox()
        self.file_format.addItems(["FCS 3.1", "CSV"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", folder_box)
        form.addRow("Clusters", self.all_clusters)
        form.addRow("", self.selected_clusters)
        form.addRow("Files", self.separate)
        form.addRow("", self.together)
        form.addRow("Format", self.file_format)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    @property
    def target(self) -> Path:
        return Path(self.folder.text().strip())

    @property
    def use_selected(self) -> bool:
        return self.selected_clusters.isChecked()

    @property
    def csv(self) -> bool:
        return self.file_format.currentText() == "CSV"
