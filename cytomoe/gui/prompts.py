"""The questions the app asks: which file, and whether to replace files that exist."""

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def ask_file(parent: QWidget, title: str, filters: str, save_as: str | None = None) -> str:
    """The file chosen in an open dialog, or in a save dialog proposing ``save_as`` (which
    asks itself before replacing a file); "" when the user cancels."""
    if save_as is None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    else:
        path, _ = QFileDialog.getSaveFileName(parent, title, save_as, filters)
    return path


def confirm_overwrite(parent: QWidget, what: str) -> bool:
    answer = QMessageBox.question(parent, "cytomoe", f"{what} already exists. Replace it?")
    return answer == QMessageBox.StandardButton.Yes


def confirm_replacing_files(parent: QWidget, folder: Path, names: list[str]) -> bool:
    """Ask once before replacing files, listing every one in a scrollable box."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "cytomoe",
        f"{len(names)} of the files to write already exist in {folder}. Replace them?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setInformativeText("Show Details… lists them.")
    box.setDetailedText("\n".join(names))
    return box.exec() == QMessageBox.StandardButton.Yes
