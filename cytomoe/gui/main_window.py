"""The main window: plate, marker panel and training docks around the plots.

The window shows and edits a `Session` (cytomoe.core.analysis.session), which holds the
analysis: plate, events, panel, model and clusters, selection, gates, cluster names and
labels. The window keeps only what is on screen, hands every long job to a `Worker` and
computes nothing itself.
"""

import copy
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
from cytomoe.core.analysis.demo import demo_settings
from cytomoe.core.analysis.pipeline import (
    AnalysisResult,
    analyse,
    embed_ahead,
)
from cytomoe.core.analysis.session import DRAWN, LoadedPlate, Session, load_plate, open_session
from cytomoe.core.errors import CytomoeError
from cytomoe.core.evaluation.density import subsample
from cytomoe.core.evaluation.display_scale import LOGICLE, DisplayScale, scale_for
from cytomoe.core.evaluation.gates import load_drawn_gates, save_drawn_gates
from cytomoe.core.io.outputs import atomic_output
from cytomoe.core.io.plate import SAMPLE, Plate
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.progress import Progress
from cytomoe.gui.axes import PlotOptions
from cytomoe.gui.cluster_heatmap import ClusterHeatmap
from cytomoe.gui.colors import cluster_color
from cytomoe.gui.exports import Exports
from cytomoe.gui.fmeasure_view import FMeasureView, label_columns
from cytomoe.gui.gate_editor import GateEditor
from cytomoe.gui.gating_plots import ClusterLegend, DensityPlot, ExpertGrid, LatentView
from cytomoe.gui.histogram_view import HistogramView
from cytomoe.gui.histogram_view import source_of as histogram_source
from cytomoe.gui.marker_panel import MarkerPanel
from cytomoe.gui.plate_view import PlateView
from cytomoe.gui.prompts import ask_file
from cytomoe.gui.training_panel import TrainingPanel
from cytomoe.gui.worker import ComputeProcess, Worker


def elastic_label() -> QLabel:
    """A grey note that wraps and never widens the window, however long its text."""
    label = QLabel("")
    label.setStyleSheet("color: #555")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def first_axes(channels: list[str], selected: list[str]) -> tuple[str, str]:
    """The first plot: forward against side scatter (areas first) where the data has them,
    as a flow cytometrist starts; else the first two markers chosen for clustering."""
    for x, y in (("FSC-A", "SSC-A"), ("FSC-H", "SSC-H"), ("FSC", "SSC")):
        if x in channels and y in channels:
            return x, y
    chosen = selected or channels
    return chosen[0], chosen[min(1, len(chosen) - 1)]


def _session_value(name: str) -> property:
    """Read access to the session's ``name`` for the views and scripts that drive the
    window; changes go through the session."""
    return property(lambda window: getattr(window.session, name), doc=f"The session's {name}.")


NO_PLATE = "Open a plate first (Ctrl+O, a folder, files, or File > Open demo data)."
NOT_TRAINED = "Not trained yet: choose markers, then Train (Ctrl+T)."
EMBED_AHEAD_MS = 1500  # quiet time after opening data or changing the panel before embedding


class MainWindow(QMainWindow):
    plate: Plate | None = _session_value("plate")
    panel: Panel | None = _session_value("panel")
    events: pd.DataFrame | None = _session_value("events")
    result: AnalysisResult | None = _session_value("result")
    inputs: list[str] = _session_value("inputs")
    selected_cluster: int = _session_value("selected_cluster")
    visible_samples: list[int] = _session_value("visible_samples")

    def __init__(self):
        super().__init__()
        self.setWindowTitle("cytomoe")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.session = Session()
        self.exports = Exports(self)
        self.synthetic: pd.DataFrame | None = None  # generated cells, shown until changed
        self.latent: np.ndarray | None = None  # latent codes of a subsample (latent_rows)
        self.latent_rows: np.ndarray | None = None
        self._shown: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # x, y, mask
        self.worker: Worker | None = None
        self.job_message = ""
        self.compute_process: ComputeProcess | None = None  # trains; started when first needed
        self.keep_compute_process = False  # start a new one whenever the last has ended
        self.embed_ahead_timer = QTimer(self, singleShot=True, interval=EMBED_AHEAD_MS)
        self.embed_ahead_timer.timeout.connect(self._embed_ahead)
        self._build_views()
        self._build_actions()
        self._update_enabled()
        # the training settings that shape the embedding, as the panel's markers do
        for box in (self.training_panel.train_cells, self.training_panel.seed):
            box.valueChanged.connect(lambda _value: self.embed_ahead_timer.start())

    # ------------------------------------------------------------------ layout
    def _build_views(self) -> None:
        self.plate_view = PlateView()
        self.marker_panel = MarkerPanel()
        self.training_panel = TrainingPanel()
        self.gating_plot = DensityPlot()
        self.legend = ClusterLegend()
        self.x_channel, self.y_channel = QComboBox(), QComboBox()
        self.expert_grid = ExpertGrid()
        self.latent_view = LatentView()
        self.fmeasure_view = FMeasureView()
        self.cluster_heatmap = ClusterHeatmap()
        self.gate_editor = GateEditor(self.gating_plot)
        self.gating_plot.show_hint(
            "Open a plate folder or FCS files\n(File menu, Ctrl+O, or drop them here),\n"
            "or try File > Open demo data."
        )

        pickers = QHBoxLayout()
        for label, box in (("X", self.x_channel), ("Y", self.y_channel)):
            pickers.addWidget(QLabel(label))
            box.setMinimumWidth(180)
            pickers.addWidget(box)
        self.scale_note = elastic_label()
        pickers.addWidget(self.scale_note, 1)
        self.plot_options = PlotOptions()
        self.scale_kind = self.plot_options.scale
        gating = QWidget()
        column = QVBoxLayout(gating)
        column.addLayout(pickers)
        column.addWidget(self.plot_options)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.gating_plot)
        legend_box = QWidget()
        legend_column = QVBoxLayout(legend_box)
        legend_column.setContentsMargins(0, 0, 0, 0)
        legend_column.addWidget(QLabel("<b>Clusters</b> (click to highlight)"))
        self.legend_hint = elastic_label()
        self.legend_hint.setText(
            "Train a model (Training panel, Ctrl+T) to see its clusters here; name them in "
            "the Cluster medians tab."
        )
        legend_column.addWidget(self.legend_hint)
        legend_column.addWidget(self.legend)
        header = self.legend.horizontalHeader()  # cluster names take the room left
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.legend.setWordWrap(False)
        legend_box.setMinimumWidth(240)
        splitter.addWidget(legend_box)
        splitter.setSizes([900, 260])
        column.addWidget(splitter, 1)

        self.generate_count = QSpinBox()
        self.generate_count.setRange(1, 1_000_000)
        self.generate_count.setValue(1000)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate cells from the selected cluster's expert")
        self.export_synthetic_button = QPushButton("Export synthetic cells…")
        self.generate_button.clicked.connect(self.generate_cells)
        self.export_synthetic_button.clicked.connect(self.export_synthetic)
        self.generation_note = elastic_label()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Synthetic cells:"))
        controls.addWidget(self.generate_count)
        controls.addWidget(self.generate_button)
        controls.addWidget(self.export_synthetic_button)
        controls.addStretch(1)
        self.experts_tab = QWidget()
        experts_column = QVBoxLayout(self.experts_tab)
        experts_column.addWidget(self.expert_grid.pickers)
        experts_column.addLayout(controls)
        experts_column.addWidget(self.generation_note)
        experts_column.addWidget(self.expert_grid, 1)
        self.experts_stale = False  # the expert panels show other axes, wells or clusters
        self.medians_stale = False  # the cluster medians are of another model or panel

        self.tabs = QTabWidget()
        self.tabs.addTab(gating, "Gating plot")
        self.tabs.addTab(self.experts_tab, "Experts")
        self.tabs.addTab(self.latent_view, "Latent space")
        self.tabs.addTab(self.fmeasure_view, "F-measure")
        self.tabs.addTab(self.cluster_heatmap, "Cluster medians")
        self.histogram_view = HistogramView(lambda: histogram_source(self))
        self.tabs.addTab(self.histogram_view, "Histogram")
        self.setCentralWidget(self.tabs)

        self.plate_dock = self._dock("Plate", self.plate_view, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.marker_dock = self._dock(
            "Markers", self.marker_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.gate_dock = self._dock("Gates", self.gate_editor, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.plate_dock, self.marker_dock)
        self.tabifyDockWidget(self.marker_dock, self.gate_dock)
        self.plate_dock.raise_()
        self.training_dock = self._dock(
            "Training", self.training_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.resizeDocks(
            [self.plate_dock, self.training_dock], [420, 340], Qt.Orientation.Horizontal
        )

        self.status_text = QLabel("Ready.")
        self.status_progress = QProgressBar()
        self.status_progress.setMaximumWidth(260)
        self.status_progress.setVisible(False)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.status_progress)

        for box in (self.x_channel, self.y_channel, self.scale_kind):
            box.currentIndexChanged.connect(self.redraw)
        self.plot_options.style_changed.connect(self.gating_plot.set_style)
        self.plot_options.style_changed.connect(self._style_chosen)
        self.legend.cluster_selected.connect(self.select_cluster)
        self.tabs.currentChanged.connect(self._draw_experts_if_shown)
        self.tabs.currentChanged.connect(self._show_medians_if_shown)
        self.cluster_heatmap.cluster_selected.connect(self.select_cluster)
        self.cluster_heatmap.name_edited.connect(self.name_cluster)
        self.cluster_heatmap.export_requested.connect(self.exports.cluster_table)
        self.expert_grid.cluster_clicked.connect(self.select_cluster)
        self.plate_view.wells_selected.connect(self._wells_selected)
        self.marker_panel.changed.connect(self._panel_changed)
        self.marker_panel.compensation_changed.connect(self._compensation_changed)
        self.marker_panel.save_requested.connect(self.save_panel)
        self.marker_panel.load_requested.connect(self.load_panel)
        self.training_panel.start_requested.connect(self.train)
        self.training_panel.cancel_requested.connect(self.cancel)
        self.fmeasure_view.compute_requested.connect(self.compute_fmeasure)
        self.gating_plot.axes_changed.connect(self.gate_editor.show_axes)
        self.gate_editor.error.connect(self.show_error)
        self.gate_editor.save_requested.connect(self.save_gates)
        self.gate_editor.load_requested.connect(self.load_gates)
        self.gate_editor.export_requested.connect(
            lambda: self.exports.gated(self.gate_editor.selected_gate())
        )
        self.gate_editor.population_changed.connect(self.redraw)
        self.gate_editor.gates_changed.connect(self._gates_changed)
        self.gate_editor.gates_changed.connect(self.histogram_view.invalidate)
        self.histogram_view.range_requested.connect(
            lambda channel, low, high: self.gate_editor.add_gate("range", [(low, high)], channel)
        )
        self.histogram_view.range_moved.connect(self.gate_editor.move_range)
        self.training_panel.status.setText(NO_PLATE)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_actions(self) -> None:
        style = self.style()
        icon = style.standardIcon
        sp = QStyle.StandardPixmap

        def action(
            text: str,
            slot: Callable[[], object],
            pixmap: QStyle.StandardPixmap | None = None,
            shortcut: QKeySequence.StandardKey | str | None = None,
        ) -> QAction:
            item = QAction(icon(pixmap), text, self) if pixmap else QAction(text, self)
            item.triggered.connect(slot)
            if shortcut:
                item.setShortcut(shortcut)
            return item

        self.open_folder_action = action(
            "Open plate folder…",
            self.choose_folder,
            sp.SP_DirOpenIcon,
            QKeySequence.StandardKey.Open,
        )
        self.open_files_action = action("Open files…", self.choose_files, sp.SP_FileIcon)
        self.demo_action = action("Open demo data", self.open_demo, sp.SP_ComputerIcon)
        self.open_analysis_action = action("Open analysis…", self.open_analysis)
        self.save_analysis_action = action(
            "Save analysis…",
            self.save_analysis,
            sp.SP_DialogSaveButton,
            QKeySequence.StandardKey.Save,
        )
        self.train_action = action("Train", self.train, sp.SP_MediaPlay, "Ctrl+T")
        self.cancel_action = action("Cancel", self.cancel, sp.SP_MediaStop, "Esc")
        self.training_panel.start.setText("Train (Ctrl+T)")
        self.training_panel.cancel.setText("Cancel (Esc)")
        self.export_action = action("Export clusters…", self.exports.clusters, sp.SP_ArrowDown)
        self.export_plot_action = action(
            "Export plot as PNG/SVG…", self.export_plot, sp.SP_FileDialogDetailedView
        )
        self.export_anndata_action = action("Export AnnData for scanpy…", self.exports.anndata)
        self.export_results_action = action(
            "Export all results (report, FCS, AnnData, model)…", self.exports.results
        )
        quit_action = action("Quit", self.close, shortcut="Ctrl+Q")
        about = action("About cytomoe", self.about)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for item in (
            self.open_folder_action,
            self.open_files_action,
            self.demo_action,
            None,
            self.train_action,
            self.cancel_action,
            None,
            self.export_action,
            self.export_plot_action,
            self.save_analysis_action,
        ):
            toolbar.addSeparator() if item is None else toolbar.addAction(item)
        menu = self.menuBar().addMenu("&File")
        for item in (
            self.open_folder_action,
            self.open_files_action,
            self.demo_action,
            None,
            self.open_analysis_action,
            self.save_analysis_action,
            None,
            self.export_action,
            self.export_results_action,
            self.export_anndata_action,
            self.export_plot_action,
            None,
            quit_action,
        ):
            menu.addSeparator() if item is None else menu.addAction(item)
        analysis = self.menuBar().addMenu("&Analysis")
        analysis.addAction(self.train_action)
        analysis.addAction(self.cancel_action)
        view = self.menuBar().addMenu("&View")
        for dock in (self.plate_dock, self.marker_dock, self.gate_dock, self.training_dock):
            view.addAction(dock.toggleViewAction())
        self.menuBar().addMenu("&Help").addAction(about)

    def _update_enabled(self) -> None:
        busy = self.worker is not None
        loaded = self.plate is not None
        trained = self.result is not None
        self.train_action.setEnabled(loaded and not busy)
        self.training_panel.start.setEnabled(loaded and not busy)
        self.cancel_action.setEnabled(busy)
        self.training_panel.cancel.setEnabled(busy)
        for item in (
            self.open_folder_action,
            self.open_files_action,
            self.demo_action,
            self.open_analysis_action,
        ):
            item.setEnabled(not busy)
        self.export_action.setEnabled(trained and not busy)
        self.export_anndata_action.setEnabled(trained and not busy)
        self.export_results_action.setEnabled(trained and not busy)
        self.legend_hint.setVisible(not trained)
        self.generate_button.setEnabled(trained and self.selected_cluster >= 0)
        self.export_synthetic_button.setEnabled(self.synthetic is not None)
        self.fmeasure_view.compute.setEnabled(trained)

    # ------------------------------------------------------------------ jobs
    def run_job(
        self,
        function: Callable[..., object],
        on_success: Callable[[object], None],
        message: str,
        process: ComputeProcess | None = None,
    ) -> Worker:
        worker = Worker(function, process=process)
        worker.progressed.connect(self._progress)
        worker.succeeded.connect(on_success)
        worker.failed.connect(self._job_failed)
        worker.cancelled.connect(self._job_cancelled)
        worker.finished.connect(self._job_finished)
        self.worker = worker
        self.job_message = message
        self.status_text.setText(message)
        self.status_progress.setVisible(True)
        self.status_progress.setRange(0, 0)
        self._update_enabled()
        worker.start()
        return worker

    def _progress(self, progress: Progress) -> None:
        fraction = progress.fraction
        self.status_progress.setRange(0, 0 if fraction is None else 1000)
        if fraction is not None:
            self.status_progress.setValue(int(1000 * fraction))
        if progress.message:
            self.status_text.setText(progress.message)
        if progress.stage in ("prepare", "embed", "train", "assign"):  # a training's stages
            self.training_panel.show_progress(progress)

    def _job_failed(self, message: str) -> None:
        self.status_text.setText("Failed.")
        self.show_error(message)

    def _job_cancelled(self) -> None:
        self.status_text.setText("Cancelled.")
        self.training_panel.status.setText("Cancelled.")

    def _job_finished(self) -> None:
        # The thread emits `finished` just before it ends: wait for that end before the
        # last reference goes, or the QThread can be destroyed while still running.
        finished, self.worker = self.worker, None
        if finished is not None:
            finished.wait()
        if self.compute_process is not None and not self.compute_process.is_alive():
            self.compute_process = None  # stopped by a cancel, or it failed
            if self.keep_compute_process:
                self.start_compute_process()
                self.embed_ahead_timer.start()
        self.status_progress.setVisible(False)
        self.training_panel.set_running(False)
        self._update_enabled()

    def start_compute_process(self, keep: bool = False) -> ComputeProcess:
        """The process that trains, started now unless one runs: it loads the analysis
        libraries while the user opens data and picks markers. With ``keep`` (the app), a new
        one starts whenever a cancel ends the last; without, the next training starts it."""
        self.keep_compute_process = self.keep_compute_process or keep
        if self.compute_process is None or not self.compute_process.is_alive():
            self.compute_process = ComputeProcess()
        return self.compute_process

    def _embed_ahead(self) -> None:
        """Offer the compute process the embedding of the data with the current settings, so
        that a training with them finds it ready (pipeline.embed_ahead)."""
        process = self.compute_process
        if process is None or not process.is_alive() or self.plate is None:
            return
        if self.panel.selected:  # a copy: the queue pickles it later, in its own thread
            settings = copy.deepcopy(self.analysis_settings())
            process.work_ahead(partial(embed_ahead, settings, plate=self.plate))

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status_text.setText("Cancelling…")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Quitting during a job asks first, then stops the job and waits for it: a
        QThread destroyed while running aborts the whole process."""
        if self.worker is not None:
            answer = QMessageBox.question(
                self,
                "cytomoe",
                f"{self.job_message.rstrip('…')} is still running. Stop it and quit?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.worker.cancel()
            self.worker.wait()
        elif not self._may_discard("Quit"):
            event.ignore()
            return
        self.keep_compute_process = False
        if self.compute_process is not None:
            self.compute_process.stop()
            self.compute_process = None
        event.accept()

    def _may_discard(self, what: str) -> bool:
        """Whether the session may go: nothing unsaved, or the user says so."""
        if not self.session.unsaved:
            return True
        answer = QMessageBox.question(
            self,
            "cytomoe",
            "The trained model, its clusters or their names are not saved "
            f"(File > Save analysis). {what} anyway?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "cytomoe", message)

    # ------------------------------------------------------------------ opening data
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a plate folder")
        if folder:
            self.open_paths([folder])

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Open FCS files or event tables",
            "",
            "Cytometry data (*.fcs *.FCS *.lmd *.LMD *.csv *.tsv);;All files (*)",
        )
        if files:
            self.open_paths(files)

    def open_demo(self) -> None:
        demo = demo_settings()
        self.open_paths(demo.inputs, label_column=demo.labels.value)

    def open_paths(self, paths: list[str], label_column: str | None = None) -> None:
        """Read a plate on a worker; a column of manual labels is never a marker and
        becomes the label source the F-measure proposes. One analysis file (``.toml``)
        opens that analysis instead."""
        if len(paths) == 1 and Path(paths[0]).suffix == ".toml":
            self.open_analysis_file(Path(paths[0]))
            return
        if self.worker is not None or not self._may_discard("Open other data"):
            return
        labels = LabelSource("column", label_column) if label_column else None
        settings = AnalysisSettings(inputs=[str(p) for p in paths], labels=labels)
        self.run_job(
            partial(load_plate, settings),
            partial(self._plate_loaded, inputs=settings.inputs, labels=labels),
            "Reading files…",
        )

    def _plate_loaded(
        self, loaded: LoadedPlate, inputs: list[str], labels: LabelSource | None = None
    ) -> None:
        self.session.set_plate(loaded, inputs)
        self.session.labels = labels
        self._show_plate()

    def _show_plate(self) -> None:
        """Every view on the session's plate, with no model yet; then the first plot."""
        plate = self.plate
        self.synthetic = None
        self.latent = self.latent_rows = None
        self.plate_view.set_plate(plate)
        self.marker_panel.set_panel(self.panel)
        with_spillover = [s for s in plate.samples if s.spillover is not None]
        self.marker_panel.set_spillover(
            with_spillover[0].spillover if with_spillover else None,
            with_spillover[0].name if with_spillover else "",
        )
        self.legend.set_clusters([])
        self.expert_grid.show_clusters(np.array([]), np.array([]), np.array([]), 0, "", "")
        self.cluster_heatmap.show_clusters(pd.DataFrame(), [], {})
        self._fill_channel_pickers()
        self.expert_grid.set_channels(
            plate.channels,
            {c: self._channel_text(c) for c in plate.channels},
            lambda c: (self.display_values(c), self.display_scale(c)),
        )
        self.gate_editor.set_gates([])  # they belong to the plate opened before
        self.gate_editor.set_events(self.events, self.panel.cofactors)
        self.gate_editor.marker_names = self.panel.markers
        self.fmeasure_view.set_columns(label_columns(self.events, plate.channels))
        if self.session.labels is not None:
            self.fmeasure_view.show_source(self.session.labels)
        self.training_panel.status.setText(NOT_TRAINED)
        self.setWindowTitle(f"cytomoe: {plate.name}")
        self.status_text.setText(
            f"Opened {len(plate.samples)} sample(s), {plate.n_events:,} events."
        )
        if plate.failures:
            self.show_error(
                f"{len(plate.failures)} file(s) could not be read and are "
                f"listed in the Plate panel; the others are open."
            )
        self.redraw()
        self.embed_ahead_timer.start()

    def _fill_channel_pickers(self) -> None:
        channels = self.plate.channels
        for box in (self.x_channel, self.y_channel):
            box.blockSignals(True)
            box.clear()
            for channel in channels:
                box.addItem(self._channel_text(channel), channel)
        x, y = first_axes(channels, self.panel.selected)
        x, y = (chosen or first for chosen, first in zip(self.session.axes, (x, y), strict=True))
        self.x_channel.setCurrentIndex(channels.index(x))
        self.y_channel.setCurrentIndex(channels.index(y))
        for box in (self.x_channel, self.y_channel):
            box.blockSignals(False)

    def _channel_text(self, channel: str) -> str:
        """``CD3 (PE-Cy7-A)``, or the channel alone when it has no marker name."""
        name = self.panel.display_name(channel)
        return name if name == channel else f"{name} ({channel})"

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            self.open_paths(paths)

    # ------------------------------------------------------------------ panel
    def _panel_changed(self) -> None:
        selected_x = self.x_channel.currentData()
        selected_y = self.y_channel.currentData()
        for box in (self.x_channel, self.y_channel):
            box.blockSignals(True)
            for index in range(box.count()):
                box.setItemText(index, self._channel_text(box.itemData(index)))
            box.blockSignals(False)
        self.gate_editor.set_cofactors(self.panel.cofactors)
        self.medians_stale = self.result is not None  # names and cofactors changed
        self._show_medians_if_shown()
        if (selected_x, selected_y) == (self.x_channel.currentData(), self.y_channel.currentData()):
            self.redraw()
        self.embed_ahead_timer.start()

    def _compensation_changed(self) -> None:
        """The events again, compensated or not, under the same gates."""
        self.session.events = self.plate.events(compensate_spillover=self.panel.compensate)
        self.gate_editor.set_events(self.events, self.panel.cofactors)
        self._wells_selected(self.visible_samples)  # counts and plots of the wells shown
        self.embed_ahead_timer.start()

    def save_panel(self) -> None:
        if self.panel is None:
            return
        path = ask_file(self, "Save panel", "Panel (*.json)", save_as="panel.json")
        if path:  # the dialog has asked before replacing
            with atomic_output(path, overwrite=True) as temporary:
                self.panel.save(temporary)

    def load_panel(self) -> None:
        path = ask_file(self, "Load panel", "Panel (*.json)")
        if not path or self.plate is None:
            return
        try:
            panel = Panel.load(path)
            self.session.check_panel(panel, Path(path).name)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.session.panel = panel
        self.marker_panel.set_panel(panel)
        self._panel_changed()

    # ------------------------------------------------------------------ training
    def analysis_settings(self) -> AnalysisSettings:
        """The session's analysis with the model settings of the Training panel."""
        self.session.model_settings = self.training_panel.settings()
        return self.session.settings()

    def train(self) -> None:
        if self.plate is None or self.worker is not None:
            return
        if not self.panel.selected:
            self.show_error("Select at least one marker for clustering in the Markers panel.")
            return
        settings = self.analysis_settings()
        self.training_panel.set_running(True)
        self.run_job(
            partial(analyse, settings, plate=self.plate),
            self._trained,
            "Training MoE-Sim-VAE…",
            process=self.start_compute_process(),
        )

    def _trained(self, result: AnalysisResult) -> None:
        self.session.set_result(result)
        silenced = len(result.model.silenced_experts_)
        text = (
            f"{result.model.n_clusters_} clusters ({silenced} experts silenced) on "
            f"{len(result.clusters):,} events; embedding {result.timings.get('embed', 0):.0f}"
            f" s, training {result.timings.get('train', 0):.0f} s."
        )
        if result.evaluation is not None:  # the label source was scored on the way
            text += f" F-measure {result.evaluation.f_measure:.3f} (F-measure tab)."
        self.training_panel.status.setText(text)
        self.status_text.setText(text)
        self._show_result()

    def _show_result(self) -> None:
        """Every view of the session's model and clusters: legend, latent space, medians,
        F-measure (when the labels were scored), the plots."""
        result = self.result
        self.synthetic = None
        self.legend.set_clusters(self.session.cluster_sizes())
        self.plate_view.set_cluster_statistics(
            self.events[SAMPLE].to_numpy(), result.clusters, result.model.n_clusters_
        )
        self._show_cluster_names()
        self.latent_rows = subsample(len(self.events), LatentView.LIMIT)
        self.latent = result.model.transform(self.events.iloc[self.latent_rows])
        self.latent_view.show_latent(self.latent, result.clusters[self.latent_rows])
        self.medians_stale = True
        self._show_medians_if_shown()
        if result.evaluation is not None:
            self._show_evaluation()
        self.redraw()

    # ------------------------------------------------------------------ cluster names
    def name_cluster(self, cluster: int, name: str) -> None:
        """A name typed for a cluster: kept in the session, shown wherever clusters are."""
        try:
            self.session.name_cluster(cluster, name)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.cluster_heatmap.set_name(cluster, self.session.cluster_names.get(cluster, ""))
        self._show_cluster_names()
        self.histogram_view.invalidate()
        self.experts_stale = True
        self._draw_experts_if_shown()
        if self.result.evaluation is not None:
            self._show_evaluation()

    def _show_cluster_names(self) -> None:
        for cluster, label in enumerate(self.session.cluster_labels()):
            item = self.legend.item(cluster, 0)
            if item is not None:
                item.setText(f"  {label}")
                item.setToolTip(f"Cluster {label}")

    def _show_medians_if_shown(self) -> None:
        """The cluster x marker medians (a pass over every event) are computed when their
        tab is shown, once per model or panel change."""
        if not self.medians_stale or self.tabs.currentWidget() is not self.cluster_heatmap:
            return
        self.cluster_heatmap.show_clusters(
            self.session.marker_medians(),
            self.session.cluster_sizes(),
            self.session.cluster_names,
        )
        self.cluster_heatmap.select_cluster(self.selected_cluster)
        self.medians_stale = False

    # ------------------------------------------------------------------ drawing
    def display_scale(self, channel: str) -> DisplayScale:
        """How a channel is drawn: arcsinh with its cofactor or logicle, linear without."""
        kind = self.scale_kind.kind()
        values = self.events[channel].to_numpy() if kind == LOGICLE else None
        return scale_for(kind, self.panel.cofactors.get(channel), values)

    def display_values(self, channel: str) -> np.ndarray:
        """A channel as plotted, in its display scale."""
        values = self.events[channel].to_numpy()
        return self.display_scale(channel).forward(values).astype(np.float32, copy=False)

    def _visible(self) -> np.ndarray:
        """The events plotted: of the selected wells, in the gate selected in the Gates
        panel (the population the plot shows)."""
        visible = self.session.in_selected_wells()
        population = self.gate_editor.population_mask()
        return visible if population is None else visible & population

    def redraw(self) -> None:
        """Draw the chosen markers of the visible wells: gating plot and expert grid."""
        if self.events is None or self.x_channel.currentData() is None:
            return
        x_channel, y_channel = self.x_channel.currentData(), self.y_channel.currentData()
        self.session.axes = (x_channel, y_channel)
        self.session.scale = self.scale_kind.kind()
        visible = self._visible()
        self._shown = (
            self.display_values(x_channel)[visible],
            self.display_values(y_channel)[visible],
            visible,
        )
        x, y, _ = self._shown
        x_label, y_label = self.x_channel.currentText(), self.y_channel.currentText()
        self._scales = (self.display_scale(x_channel), self.display_scale(y_channel))
        self.scale_note.setText(
            "   ".join(
                f"{self.panel.display_name(c)}: {s.describe()}"
                for c, s in zip((x_channel, y_channel), self._scales, strict=True)
            )
        )
        self.gate_editor.set_scale_kind(self.scale_kind.kind())
        self.gating_plot.show_events(
            x, y, x_label, y_label, x_channel, y_channel, scales=self._scales
        )
        self.experts_stale = self.result is not None
        self._draw_experts_if_shown()
        self.histogram_view.invalidate()
        self._show_selection()
        self._update_enabled()

    def _draw_experts_if_shown(self) -> None:
        """The expert panels (one plot each, slow to build) are drawn only when their tab
        is shown, once per change of axes, wells or clusters."""
        if not self.experts_stale or self.tabs.currentWidget() is not self.experts_tab:
            return
        x, y, visible = self._shown
        self.expert_grid.show_clusters(
            x,
            y,
            self.result.clusters[visible],
            self.result.model.n_clusters_,
            self.x_channel.currentText(),
            self.y_channel.currentText(),
            scales=self._scales,
            names=[f"Cluster {label}" for label in self.session.cluster_labels()],
            shown=visible,
        )
        self.experts_stale = False
        self._show_selection()

    def _show_selection(self) -> None:
        """Highlight the selected cluster everywhere, without redrawing the densities."""
        if self.result is None or self._shown is None:
            return
        x, y, visible = self._shown
        if self.selected_cluster >= 0:
            members = self.result.clusters[visible] == self.selected_cluster
            self.gating_plot.highlight(x[members], y[members], cluster_color(self.selected_cluster))
        else:
            self.gating_plot.clear_highlight()
        self.expert_grid.mark(self.selected_cluster)
        self._show_synthetic()

    def select_cluster(self, cluster: int) -> None:
        if self.result is None or cluster == self.selected_cluster:
            return
        self.session.selected_cluster = cluster
        for view in (self.legend, self.cluster_heatmap):
            view.blockSignals(True)
            view.select_cluster(cluster)
            view.blockSignals(False)
        self.synthetic = None
        self.gating_plot.synthetic.clear()
        for panel in self.expert_grid.panels:
            panel.synthetic.clear()
        self.generation_note.setText("")
        if self.latent is not None:
            self.latent_view.show_latent(
                self.latent, self.result.clusters[self.latent_rows], cluster
            )
        self._show_selection()
        self._update_enabled()

    def _wells_selected(self, samples: list[int]) -> None:
        self.session.visible_samples = list(samples)
        self.gate_editor.set_visible(self.session.in_selected_wells() if samples else None)
        self.redraw()

    # ------------------------------------------------------------------ F-measure
    def compute_fmeasure(self, source: LabelSource) -> None:
        try:
            self.session.evaluate(source)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self._show_evaluation()

    def _show_evaluation(self) -> None:
        source = self.session.labels
        where = "gates drawn here" if source.kind == DRAWN else Path(source.value).name
        self.fmeasure_view.show_evaluation(
            self.result.evaluation,
            f"{source.kind} {where}",
            self.session.n_clusters,
            self.session.cluster_labels(),
        )

    # ------------------------------------------------------------------ gates
    def _gates_changed(self) -> None:
        """The session holds the gates the editor draws, and their membership."""
        self.session.gates = list(self.gate_editor.gates)
        self.session.gate_membership = self.gate_editor.membership

    def save_gates(self) -> None:
        if not self.session.gates:
            self.show_error("There are no gates to save yet.")
            return
        path = ask_file(
            self, "Save gates as Gating-ML", "Gating-ML 2.0 (*.xml)", save_as="gates.xml"
        )
        if path:  # the save dialog asked before replacing a file
            try:
                with atomic_output(path, overwrite=True) as temporary:
                    save_drawn_gates(self.session.gates, temporary, self.panel.compensate)
            except (CytomoeError, OSError) as error:
                self.show_error(f"Could not save {Path(path).name}: {error}")
                return
            self.status_text.setText(f"Saved {path}")

    def load_gates(self) -> None:
        path = ask_file(self, "Load gates (Gating-ML)", "Gating-ML 2.0 (*.xml)")
        if path:
            self.load_gates_file(path)

    def load_gates_file(self, path: str) -> None:
        try:
            gates = load_drawn_gates(path)
            self.session.check_gates(gates, Path(path).name)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.gate_editor.set_gates(gates)

    # ------------------------------------------------------------------ generation
    def generate_cells(self) -> None:
        if self.result is None or self.selected_cluster < 0:
            return
        self.synthetic = self.result.model.generate(
            self.selected_cluster, self.generate_count.value()
        )
        accuracy = self.synthetic.attrs.get("generation_accuracy")
        self.generation_note.setText(
            f"{len(self.synthetic):,} synthetic cells of cluster "
            f"{self.session.cluster_label(self.selected_cluster)}"
            + (f"; the gate sends {100 * accuracy:.0f}% back to it" if accuracy is not None else "")
        )
        self._show_synthetic()
        self._update_enabled()

    def _show_synthetic(self) -> None:
        if self.synthetic is None:
            return
        channels = (self.x_channel.currentData(), self.y_channel.currentData())
        if not all(c in self.synthetic.columns for c in channels):
            self.generation_note.setText(
                "Synthetic cells have only the model's markers: "
                "choose two of them as X and Y to see them."
            )
            return
        values = [
            self.display_scale(c).forward(self.synthetic[c].to_numpy(np.float64)) for c in channels
        ]
        self.gating_plot.show_synthetic(*values)
        if 0 <= self.selected_cluster < len(self.expert_grid.panels):
            self.expert_grid.panels[self.selected_cluster].show_synthetic(*values)

    def export_synthetic(self) -> None:
        if self.synthetic is not None:
            self.exports.synthetic(self.synthetic, self.selected_cluster)

    # ------------------------------------------------------------------ export
    def export_plot(self) -> None:
        """The plot of the tab shown (the selected cluster's on the Experts tab)."""
        shown = self.tabs.currentWidget()
        if shown is self.cluster_heatmap:
            self.exports.plot(self.cluster_heatmap, "cluster_medians.png", "PNG image (*.png)")
            return
        widget = {
            self.latent_view: self.latent_view,
            self.fmeasure_view: self.fmeasure_view.heatmap,
            self.histogram_view: self.histogram_view.plot,
            self.experts_tab: None,
        }.get(shown, self.gating_plot)
        if widget is None and self.expert_grid.panels:
            widget = self.expert_grid.panels[max(self.selected_cluster, 0)]
        if widget is None:
            self.show_error("There is no plot to export yet.")
            return
        self.exports.plot(widget)

    # ------------------------------------------------------------------ analysis files
    def save_analysis(self) -> None:
        name = Path(self.plate.name).stem if self.plate is not None else "analysis"
        path = ask_file(self, "Save analysis", "cytomoe analysis (*.toml)", save_as=f"{name}.toml")
        if path:
            self.save_analysis_to(Path(path))

    def save_analysis_to(self, path: Path) -> None:
        """The whole session: the analysis file and, beside it, the model with every
        event's cluster and the gates drawn."""
        path = path if path.suffix == ".toml" else path.with_name(f"{path.name}.toml")
        self.session.model_settings = self.training_panel.settings()
        try:
            files = self.session.save(path)
        except (CytomoeError, OSError) as error:
            self.show_error(f"Could not save {path.name}: {error}")
            return
        beside = [f.name for f in (files.model, files.clusters, files.gates) if f.exists()]
        self.status_text.setText(
            f"Saved {path}" + (f" with {', '.join(beside)} beside it" if beside else "")
        )

    def open_analysis(self) -> None:
        path = ask_file(self, "Open analysis", "cytomoe analysis (*.toml)")
        if path:
            self.open_analysis_file(Path(path))

    def open_analysis_file(self, path: Path) -> None:
        """Read a saved session on a worker: its plate, model, clusters, gates, names."""
        if self.worker is not None or not self._may_discard("Open another analysis"):
            return
        self.run_job(partial(open_session, path), self._session_opened, f"Opening {path.name}…")

    def _style_chosen(self, style: str) -> None:
        self.session.style = style

    def _show_view_options(self, scale: str, style: str) -> None:
        """The scale and plot style a reopened analysis was saved with."""
        options = self.plot_options
        options.scale.setCurrentIndex(max(0, options.scale.findData(scale)))
        options.style.setCurrentIndex(max(0, options.style.findData(style)))

    def _session_opened(self, session: Session) -> None:
        self.session = session
        self.training_panel.set_settings(session.model_settings)
        if session.plate is None:
            self.status_text.setText("Opened the settings; open a plate to analyse.")
            return
        wells, cluster = list(session.visible_samples), session.selected_cluster
        gates, scale, style = session.gates, session.scale, session.style
        self._show_plate()
        self._show_view_options(scale, style)
        self.gate_editor.set_gates(gates)
        self._select_wells(wells)
        if session.result is not None:
            session.selected_cluster = -1  # shown by select_cluster below
            self._show_result()
            self.select_cluster(cluster)
            self.training_panel.show_history(session.result.model.history_)
            self.training_panel.status.setText(
                f"{session.n_clusters} clusters of the saved model on "
                f"{len(session.result.clusters):,} events."
            )
        session.unsaved = False
        self.status_text.setText(
            f"Opened the analysis of {session.plate.name}"
            + (f" with its {session.n_clusters} clusters." if session.result else ".")
        )
        for problem in session.problems:
            self.show_error(problem)

    def _select_wells(self, samples: list[int]) -> None:
        """Select the saved wells in the Plate panel, then show them once."""
        table = self.plate_view.samples
        selection = table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        table.blockSignals(True)
        table.clearSelection()
        for row in samples:
            selection.select(table.model().index(row, 0), flags)
        table.blockSignals(False)
        self._wells_selected(samples)

    def about(self) -> None:
        from cytomoe import __version__

        QMessageBox.about(
            self,
            "About cytomoe",
            f"<b>cytomoe {__version__}</b><br>MoE-Sim-VAE clustering of flow "
            "and mass cytometry (Kopf et al., PLOS Comput Biol 2021).<br>"
            "Licence: GPL-3.0-or-later.",
        )
