"""Writing what the window shows: clusters (FCS or CSV), AnnData for scanpy, a plot, the
events of a drawn gate, synthetic cells. Nothing is written into an input, every file is
written whole or not at all, and one that exists is replaced only once the user agreed."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QWidget

from cytomoe.core.analysis.pipeline import (
    build_report,
    export_clusters,
    export_targets,
    synthetic_export,
    write_outputs,
)
from cytomoe.core.analysis.result_files import ANNDATA_FILE, write_anndata
from cytomoe.core.analysis.session import Session
from cytomoe.core.errors import CytomoeError, OutputExistsError
from cytomoe.core.io.export import (
    cluster_name_keywords,
    source_keywords,
    write_csv,
    write_fcs,
)
from cytomoe.core.io.outputs import atomic_output, check_folder_target, check_outside_inputs
from cytomoe.gui.export_dialog import ExportDialog
from cytomoe.gui.plot_export import PlotSizeDialog, save_plot
from cytomoe.gui.prompts import ask_file, confirm_overwrite, confirm_replacing_files

if TYPE_CHECKING:
    from cytomoe.gui.main_window import MainWindow

PLOT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"


class Exports:
    """The window's export actions over its session; long writes run on its worker."""

    def __init__(self, window: "MainWindow"):
        self.window = window

    @property
    def session(self) -> Session:
        return self.window.session

    # ------------------------------------------------------------------ clusters
    def clusters(self) -> None:
        """Ask where and how (the export dialog), then write the clusters."""
        if self.session.result is None or self.window.worker is not None:
            return
        dialog = ExportDialog(
            self.session.selected_cluster_text(), str(self.default_folder()), self.window
        )
        if not dialog.exec():
            return
        self.start_clusters(
            dialog.target,
            [self.session.selected_cluster] if dialog.use_selected else None,
            separate=dialog.separate.isChecked(),
            file_format="csv" if dialog.csv else "fcs",
        )

    def default_folder(self) -> Path:
        """Where exports go unless the user picks another folder: a folder per plate in the
        user's documents, not beside the input files (often a read-only share)."""
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        return Path(documents or Path.home()) / "cytomoe" / self.session.plate.name

    def start_clusters(
        self,
        folder: Path,
        clusters: list[int] | None,
        separate: bool = True,
        file_format: str = "fcs",
    ) -> None:
        """Write the clusters (named as the user named them) on the worker, after asking
        once about the files that would be replaced."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.window.show_error(f"Cannot export into {folder}: {error.strerror}.")
            return
        result, names = self.session.result, dict(self.session.cluster_names)
        try:
            targets = export_targets(result, folder, clusters, separate, file_format, names)
        except CytomoeError as error:
            self.window.show_error(str(error))
            return
        existing = [p.name for p in targets if p.exists()]
        if existing and not confirm_replacing_files(self.window, folder, existing):
            return
        self.window.run_job(
            partial(
                export_clusters,
                result,
                folder,
                clusters,
                separate,
                overwrite=bool(existing),
                file_format=file_format,
                names=names,
            ),
            lambda paths: self.window.status_text.setText(
                f"Exported {len(paths)} file(s) to {folder}"
            ),
            "Exporting…",
        )

    # ------------------------------------------------------------------ all results
    def results(self) -> None:
        """Ask for a new folder, then write into it what `cytomoe run` writes."""
        if self.session.result is None or self.window.worker is not None:
            return
        path = ask_file(
            self.window,
            "Export all results into a new folder",
            "Folder (*)",
            save_as=str(self.default_folder() / "results"),
        )
        if path:
            self.results_to(Path(path))

    def results_to(self, folder: Path) -> None:
        """Cluster files (named as the user named the clusters), the model, report.json,
        report.html and clusters.h5ad, written on the worker into ``folder``, which is
        replaced only after asking (and then only what cytomoe wrote there)."""
        overwrite = False
        try:
            check_outside_inputs(folder, self.session.inputs)
            folder.parent.mkdir(parents=True, exist_ok=True)
            check_folder_target(folder, overwrite)
        except OutputExistsError:
            if not confirm_overwrite(self.window, folder.name):
                return
            overwrite = True
        except (CytomoeError, OSError) as error:
            self.window.show_error(str(error))
            return
        self.window.run_job(
            partial(
                write_outputs,
                self.session.result,
                self.window.analysis_settings(),
                folder,
                overwrite,
            ),
            lambda _: self.window.status_text.setText(f"Wrote the results into {folder}"),
            "Writing results…",
        )

    # ------------------------------------------------------------------ AnnData
    def anndata(self) -> None:
        if self.session.result is None or self.window.worker is not None:
            return
        path = ask_file(
            self.window, "Export AnnData for scanpy", "AnnData (*.h5ad)", save_as=ANNDATA_FILE
        )
        if path:
            self.anndata_to(Path(path))

    def anndata_to(self, path: Path) -> None:
        """Every event with its cluster and its name (and manual label, once scored)."""
        result = self.session.result
        report = build_report(result, self.window.analysis_settings())
        self.write_file(
            lambda overwrite: write_anndata(result, report, path, overwrite=overwrite), str(path)
        )

    # ------------------------------------------------------------------ plots
    def plot(self, widget: QWidget, name: str = "plot.png", filters: str = PLOT_FILTERS) -> None:
        """A pyqtgraph plot as PNG or SVG, or any other view as a PNG of what it shows."""
        path = ask_file(self.window, "Export plot", filters, save_as=name)
        if not path:  # the save dialog asked before replacing a file
            return
        size = None
        if isinstance(widget, pg.PlotWidget):
            tabs = self.window.tabs
            size = PlotSizeDialog.ask(tabs.tabText(tabs.currentIndex()), self.window)
            if size is None:
                return
        with atomic_output(path, overwrite=True) as temporary:  # the suffix stays
            if isinstance(widget, pg.PlotWidget):
                save_plot(widget, temporary, size)
            else:
                widget.grab().save(str(temporary), "PNG")
        self.window.status_text.setText(f"Wrote {path}")

    def cluster_table(self) -> None:
        """The cluster x marker medians with names and sizes, as CSV."""
        path = ask_file(
            self.window, "Export cluster medians", "CSV (*.csv)", save_as="cluster_medians.csv"
        )
        if path:
            table = self.session.cluster_table()
            self.write_file(lambda overwrite: write_csv(path, table, overwrite=overwrite), path)

    # ------------------------------------------------------------------ events
    def gated(self, gate: str | None) -> None:
        if gate is None:
            self.window.show_error("Select a gate in the Gates panel to export its events.")
            return
        cluster = self.session.selected_cluster
        suffix = f"_cluster_{cluster:02d}" if cluster >= 0 else ""
        path = ask_file(
            self.window, "Export gated events", "FCS (*.fcs)", save_as=f"{gate}{suffix}.fcs"
        )
        if path:
            self.write_gated(gate, cluster >= 0, path)

    def write_gated(self, gate: str, in_cluster: bool, path: str) -> None:
        """The gate's events (of the selected cluster if asked), as read, with the source's
        keywords and what population they are."""
        session = self.session
        frame = session.gated_events(gate, in_cluster)
        keywords = source_keywords(session.plate.samples[0].keywords)
        cluster = session.selected_cluster
        keywords["CYTOMOE_POPULATION"] = gate + (f" & cluster {cluster}" if in_cluster else "")
        if in_cluster:
            keywords.update(cluster_name_keywords(self.session.cluster_names, [cluster]))
        self._write_events(path, frame, session.plate.markers, keywords)

    def synthetic(self, cells: pd.DataFrame, cluster: int) -> None:
        """Generated cells of ``cluster``, written as the cluster files hold events."""
        path = ask_file(
            self.window,
            "Export synthetic cells",
            "FCS (*.fcs)",
            save_as=f"synthetic_cluster_{cluster:02d}.fcs",
        )
        if path:
            events, markers, keywords = synthetic_export(self.session.result.model, cells, cluster)
            keywords.update(cluster_name_keywords(self.session.cluster_names, [cluster]))
            self._write_events(path, events, markers, keywords)

    def _write_events(
        self, path: str, frame: pd.DataFrame, markers: dict[str, str], keywords: dict[str, str]
    ) -> None:
        self.write_file(
            lambda overwrite: write_fcs(
                path, frame, markers=markers, keywords=keywords, overwrite=overwrite
            ),
            path,
        )

    def write_file(self, write: Callable[[bool], object], path: str) -> None:
        """Write (never into an input), asking before replacing an existing file."""
        try:
            check_outside_inputs(path, self.session.inputs)
            write(False)
        except OutputExistsError:
            if not confirm_overwrite(self.window, Path(path).name):
                return
            write(True)
        except CytomoeError as error:
            self.window.show_error(str(error))
            return
        self.window.status_text.setText(f"Wrote {path}")
