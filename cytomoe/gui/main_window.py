"""The main window: plate, marker panel and training docks around the plots.

The window holds the analysis state (plate, events, panel, result) and hands every long
job to a `Worker`; it computes nothing itself, everything goes through cytomoe.core.
"""

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
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

from cytomoe.core.analysis.analysis_file import (
    AnalysisSettings,
    LabelSource,
    load_analysis,
    save_analysis,
)
from cytomoe.core.analysis.demo import demo_settings
from cytomoe.core.analysis.pipeline import (
    AnalysisResult,
    analyse,
    build_report,
    export_clusters,
    export_targets,
    synthetic_export,
    truth_labels,
)
from cytomoe.core.analysis.result_files import ANNDATA_FILE, write_anndata
from cytomoe.core.errors import CytomoeError, OutputExistsError
from cytomoe.core.evaluation.density import subsample
from cytomoe.core.evaluation.display_scale import LOGICLE, DisplayScale, scale_for
from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.evaluation.gates import drawn_leaf_labels, load_drawn_gates, save_drawn_gates
from cytomoe.core.evaluation.labels import clean_labels
from cytomoe.core.io.export import source_keywords, write_fcs
from cytomoe.core.io.outputs import atomic_output, check_outside_inputs
from cytomoe.core.io.plate import SAMPLE, Plate
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.progress import CancelCheck, Progress, ProgressCallback
from cytomoe.gui.axes import PlotOptions
from cytomoe.gui.colors import cluster_color
from cytomoe.gui.export_dialog import ExportDialog
from cytomoe.gui.fmeasure_view import FMeasureView, label_columns
from cytomoe.gui.gate_editor import GateEditor
from cytomoe.gui.gating_plots import ClusterLegend, DensityPlot, ExpertGrid, LatentView
from cytomoe.gui.histogram_view import HistogramView
from cytomoe.gui.histogram_view import source_of as histogram_source
from cytomoe.gui.marker_panel import MarkerPanel
from cytomoe.gui.plate_view import PlateView
from cytomoe.gui.plot_export import PlotSizeDialog, save_plot
from cytomoe.gui.training_panel import TrainingPanel
from cytomoe.gui.worker import Worker


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


def load_plate(
    paths: list[str],
    label_column: str | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> tuple[Plate, Panel, pd.DataFrame]:
    """Off the GUI thread: read the files, choose the default panel (never the column of
    manual labels), pool the events."""
    plate = Plate.open(paths, progress=progress, should_cancel=should_cancel)
    exclude = [label_column] if label_column else []
    panel = Panel.default_for(plate.samples, plate.channels, exclude=exclude)
    return plate, panel, plate.events(compensate_spillover=panel.compensate)


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("cytomoe")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.plate: Plate | None = None
        self.panel: Panel | None = None
        self.events: pd.DataFrame | None = None
        self.result: AnalysisResult | None = None
        self.inputs: list[str] = []
        self.visible_samples: list[int] = []
        self.selected_cluster = -1
        self.synthetic: pd.DataFrame | None = None
        self.worker: Worker | None = None
        self.job_message = ""
        self.unsaved_result = False  # a trained model not yet saved with Save analysis
        self._build_views()
        self._build_actions()
        self._update_enabled()

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
        legend_column.addWidget(self.legend)
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

        self.tabs = QTabWidget()
        self.tabs.addTab(gating, "Gating plot")
        self.tabs.addTab(self.experts_tab, "Experts")
        self.tabs.addTab(self.latent_view, "Latent space")
        self.tabs.addTab(self.fmeasure_view, "F-measure")
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
        self.legend.cluster_selected.connect(self.select_cluster)
        self.tabs.currentChanged.connect(self._draw_experts_if_shown)
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
        self.gate_editor.export_requested.connect(self.export_gated)
        self.gate_editor.population_changed.connect(self.redraw)
        self.gate_editor.gates_changed.connect(self.histogram_view.invalidate)
        self.histogram_view.range_requested.connect(
            lambda channel, low, high: self.gate_editor.add_gate("range", [(low, high)], channel)
        )
        self.histogram_view.range_moved.connect(self.gate_editor.move_range)

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
        self.export_action = action("Export clusters…", self.export_clusters, sp.SP_ArrowDown)
        self.export_plot_action = action(
            "Export plot as PNG/SVG…", self.export_plot, sp.SP_FileDialogDetailedView
        )
        self.export_anndata_action = action("Export AnnData for scanpy…", self.export_anndata)
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
        self.generate_button.setEnabled(trained and self.selected_cluster >= 0)
        self.export_synthetic_button.setEnabled(self.synthetic is not None)
        self.fmeasure_view.compute.setEnabled(trained)

    # ------------------------------------------------------------------ jobs
    def _run(
        self,
        function: Callable[..., object],
        on_success: Callable[[object], None],
        message: str,
        in_child_process: bool = False,
    ) -> Worker:
        worker = Worker(function, in_child_process=in_child_process)
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
        if progress.stage in ("embed", "train", "assign"):
            self.training_panel.show_progress(progress)

    def _job_failed(self, message: str) -> None:
        self.status_text.setText("Failed.")
        self.show_error(message)

    def _job_cancelled(self) -> None:
        self.status_text.setText("Cancelled.")
        self.training_panel.status.setText("Cancelled.")

    def _job_finished(self) -> None:
        self.worker = None
        self.status_progress.setVisible(False)
        self.training_panel.set_running(False)
        self._update_enabled()

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
        elif self.unsaved_result:
            answer = QMessageBox.question(
                self,
                "cytomoe",
                "The trained model and its clusters are not saved (File > Save analysis). "
                "Quit anyway?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        event.accept()

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "cytomoe", message)

    def _ask_file(self, title: str, filters: str, save_as: str | None = None) -> str:
        """The file chosen in an open dialog, or a save dialog proposing ``save_as``;
        "" when the user cancels."""
        if save_as is None:
            path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        else:
            path, _ = QFileDialog.getSaveFileName(self, title, save_as, filters)
        return path

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
        if self.worker is not None:
            return
        self.inputs = [str(p) for p in paths]
        self._run(
            partial(load_plate, self.inputs, label_column),
            partial(self._plate_loaded, label_column=label_column),
            "Reading files…",
        )

    def _plate_loaded(
        self, loaded: tuple[Plate, Panel, pd.DataFrame], label_column: str | None = None
    ) -> None:
        self.plate, self.panel, self.events = loaded
        self.result = None
        self.unsaved_result = False
        self.synthetic = None
        self.selected_cluster = -1
        self.visible_samples = []
        self.plate_view.set_plate(self.plate)
        self.marker_panel.set_panel(self.panel)
        with_spillover = [s for s in self.plate.samples if s.spillover is not None]
        self.marker_panel.set_spillover(
            with_spillover[0].spillover if with_spillover else None,
            with_spillover[0].name if with_spillover else "",
        )
        self.legend.set_clusters([])
        self.expert_grid.show_clusters(np.array([]), np.array([]), np.array([]), 0, "", "")
        self._fill_channel_pickers()
        self.expert_grid.set_channels(
            self.plate.channels,
            {c: self.x_channel.itemText(i) for i, c in enumerate(self.plate.channels)},
            lambda c: (self.display_values(c), self.display_scale(c)),
        )
        self.gate_editor.set_gates([])  # they belong to the plate opened before
        self.gate_editor.set_events(self.events, self.panel.cofactors)
        self.gate_editor.marker_names = self.panel.markers
        columns = label_columns(self.events, self.plate.channels)
        self.fmeasure_view.set_columns(columns)
        if label_column in columns:
            self.fmeasure_view.source.setCurrentIndex(columns.index(label_column))
        self.setWindowTitle(f"cytomoe: {self.plate.name}")
        self.status_text.setText(
            f"Opened {len(self.plate.samples)} sample(s), {self.plate.n_events:,} events."
        )
        if self.plate.failures:
            self.show_error(
                f"{len(self.plate.failures)} file(s) could not be read and are "
                f"listed in the Plate panel; the others are open."
            )
        self.redraw()

    def _fill_channel_pickers(self) -> None:
        for box in (self.x_channel, self.y_channel):
            box.blockSignals(True)
            box.clear()
            for channel in self.plate.channels:
                name = self.panel.display_name(channel)
                box.addItem(name if name == channel else f"{name} ({channel})", channel)
        x, y = first_axes(self.plate.channels, self.panel.selected)
        self.x_channel.setCurrentIndex(self.plate.channels.index(x))
        self.y_channel.setCurrentIndex(self.plate.channels.index(y))
        for box in (self.x_channel, self.y_channel):
            box.blockSignals(False)

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
                channel = box.itemData(index)
                name = self.panel.display_name(channel)
                box.setItemText(index, name if name == channel else f"{name} ({channel})")
            box.blockSignals(False)
        self.gate_editor.set_cofactors(self.panel.cofactors)
        if (selected_x, selected_y) == (self.x_channel.currentData(), self.y_channel.currentData()):
            self.redraw()

    def _compensation_changed(self) -> None:
        """The events again, compensated or not, under the same gates."""
        self.events = self.plate.events(compensate_spillover=self.panel.compensate)
        self.gate_editor.set_events(self.events, self.panel.cofactors)
        self._wells_selected(self.visible_samples)  # counts and plots of the wells shown

    def save_panel(self) -> None:
        if self.panel is None:
            return
        path = self._ask_file("Save panel", "Panel (*.json)", save_as="panel.json")
        if path:  # the dialog has asked before replacing
            with atomic_output(path, overwrite=True) as temporary:
                self.panel.save(temporary)

    def load_panel(self) -> None:
        path = self._ask_file("Load panel", "Panel (*.json)")
        if not path or self.plate is None:
            return
        try:
            panel = Panel.load(path)
            missing = [c for c in panel.selected if c not in self.plate.channels]
            if missing:
                raise CytomoeError(
                    f"The data has no channel(s) {', '.join(missing)} of {Path(path).name}."
                )
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.panel = panel
        self.marker_panel.set_panel(panel)
        self._panel_changed()

    # ------------------------------------------------------------------ training
    def analysis_settings(self) -> AnalysisSettings:
        return AnalysisSettings(
            inputs=list(self.inputs), panel=self.panel, model=self.training_panel.settings()
        )

    def train(self) -> None:
        if self.plate is None or self.worker is not None:
            return
        if not self.panel.selected:
            self.show_error("Select at least one marker for clustering in the Markers panel.")
            return
        settings = self.analysis_settings()
        self.training_panel.set_running(True)
        self._run(
            partial(analyse, settings, plate=self.plate),
            self._trained,
            "Training MoE-Sim-VAE…",
            in_child_process=True,
        )

    def _trained(self, result: AnalysisResult) -> None:
        self.result = result
        self.unsaved_result = True
        self.events = result.events
        self.synthetic = None
        self.selected_cluster = -1
        sizes = np.bincount(result.clusters, minlength=result.model.n_clusters_).tolist()
        self.legend.set_clusters(sizes)
        self.plate_view.set_cluster_statistics(
            self.events[SAMPLE].to_numpy(), result.clusters, result.model.n_clusters_
        )
        silenced = len(result.model.silenced_experts_)
        text = (
            f"{result.model.n_clusters_} clusters ({silenced} experts silenced) on "
            f"{len(result.clusters):,} events; embedding {result.timings.get('embed', 0):.0f}"
            f" s, training {result.timings.get('train', 0):.0f} s."
        )
        self.training_panel.status.setText(text)
        self.status_text.setText(text)
        rows = subsample(len(self.events), LatentView.LIMIT)
        self.latent_rows = rows
        self.latent = result.model.transform(self.events.iloc[rows])
        self.latent_view.show_latent(self.latent, result.clusters[rows])
        self.redraw()

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

    def _in_selected_wells(self) -> np.ndarray:
        if not self.visible_samples:
            return np.ones(len(self.events), dtype=bool)
        return np.isin(self.events[SAMPLE].to_numpy(), self.visible_samples)

    def _visible(self) -> np.ndarray:
        """The events plotted: of the selected wells, in the gate selected in the Gates
        panel (the population the plot shows)."""
        visible = self._in_selected_wells()
        population = self.gate_editor.population_mask()
        return visible if population is None else visible & population

    def redraw(self) -> None:
        """Draw the chosen markers of the visible wells: gating plot and expert grid."""
        if self.events is None or self.x_channel.currentData() is None:
            return
        x_channel, y_channel = self.x_channel.currentData(), self.y_channel.currentData()
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
            shown=visible,
        )
        self.experts_stale = False
        self._show_selection()

    def _show_selection(self) -> None:
        """Highlight the selected cluster everywhere, without redrawing the densities."""
        if self.result is None or not hasattr(self, "_shown"):
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
        self.selected_cluster = cluster
        self.legend.blockSignals(True)
        self.legend.select_cluster(cluster)
        self.legend.blockSignals(False)
        self.synthetic = None
        self.gating_plot.synthetic.clear()
        for panel in self.expert_grid.panels:
            panel.synthetic.clear()
        self.generation_note.setText("")
        rows = getattr(self, "latent_rows", None)
        if rows is not None:
            self.latent_view.show_latent(self.latent, self.result.clusters[rows], cluster)
        self._show_selection()
        self._update_enabled()

    def _wells_selected(self, samples: list[int]) -> None:
        self.visible_samples = samples
        self.gate_editor.set_visible(self._in_selected_wells() if samples else None)
        self.redraw()

    # ------------------------------------------------------------------ F-measure
    def compute_fmeasure(self, source: LabelSource) -> None:
        if self.result is None:
            self.show_error("Train a model first: the F-measure scores its clusters.")
            return
        try:
            if source.kind == "drawn":
                truth = self.drawn_gate_labels(source.unlabeled)
            else:
                truth = truth_labels(source, self.events, self.plate)
            evaluation = evaluate(truth, self.result.clusters)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.result.truth, self.result.evaluation = truth, evaluation
        self.fmeasure_view.show_evaluation(
            evaluation, f"{source.kind} {Path(source.value).name}", self.result.model.n_clusters_
        )

    # ------------------------------------------------------------------ gates
    def drawn_gate_labels(self, unlabeled: list[str]) -> pd.Series:
        if not self.gate_editor.gates or self.gate_editor.membership is None:
            raise CytomoeError(
                "Draw gates first (Gates panel): their leaf gates are the manual labels."
            )
        labels = drawn_leaf_labels(self.gate_editor.gates, self.gate_editor.membership)
        return clean_labels(labels, unlabeled)

    def save_gates(self) -> None:
        if not self.gate_editor.gates:
            self.show_error("There are no gates to save yet.")
            return
        path = self._ask_file(
            "Save gates as Gating-ML", "Gating-ML 2.0 (*.xml)", save_as="gates.xml"
        )
        if path and (not Path(path).exists() or self._confirm_overwrite(Path(path).name)):
            try:
                with atomic_output(path, overwrite=True) as temporary:
                    save_drawn_gates(self.gate_editor.gates, temporary, self.panel.compensate)
            except (CytomoeError, OSError) as error:
                self.show_error(f"Could not save {Path(path).name}: {error}")
                return
            self.status_text.setText(f"Saved {path}")

    def load_gates(self) -> None:
        path = self._ask_file("Load gates (Gating-ML)", "Gating-ML 2.0 (*.xml)")
        if path:
            self.load_gates_file(path)

    def load_gates_file(self, path: str) -> None:
        try:
            gates = load_drawn_gates(path)
            missing = sorted({c for g in gates for c in g.channels} - set(self.plate.channels))
            if missing:
                raise CytomoeError(
                    f"{Path(path).name} gates channel(s) {', '.join(missing)}, "
                    "which the data does not have."
                )
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.gate_editor.set_gates(gates)

    def gated_events(self, gate: str, in_cluster: bool) -> pd.DataFrame:
        """Events of a drawn gate (intersected with the selected cluster if asked), all
        channels in instrument units as read."""
        mask = self.gate_editor.gate_mask(gate)
        if in_cluster and self.result is not None and self.selected_cluster >= 0:
            mask = mask & (self.result.clusters == self.selected_cluster)
        return self.plate.events(compensate_spillover=False)[self.plate.channels][mask]

    def export_gated(self) -> None:
        gate = self.gate_editor.selected_gate()
        if gate is None:
            self.show_error("Select a gate in the Gates panel to export its events.")
            return
        in_cluster = self.selected_cluster >= 0
        suffix = f"_cluster_{self.selected_cluster:02d}" if in_cluster else ""
        path = self._ask_file("Export gated events", "FCS (*.fcs)", save_as=f"{gate}{suffix}.fcs")
        if path:
            self.write_gated(gate, in_cluster, path)

    def write_gated(self, gate: str, in_cluster: bool, path: str) -> None:
        frame = self.gated_events(gate, in_cluster)
        keywords = source_keywords(self.plate.samples[0].keywords)
        keywords["CYTOMOE_POPULATION"] = gate + (
            f" & cluster {self.selected_cluster}" if in_cluster else ""
        )
        self._write_file(
            lambda overwrite: write_fcs(
                path, frame, markers=self.plate.markers, keywords=keywords, overwrite=overwrite
            ),
            path,
        )

    # ------------------------------------------------------------------ generation
    def generate_cells(self) -> None:
        if self.result is None or self.selected_cluster < 0:
            return
        self.synthetic = self.result.model.generate(
            self.selected_cluster, self.generate_count.value()
        )
        accuracy = self.synthetic.attrs.get("generation_accuracy")
        self.generation_note.setText(
            f"{len(self.synthetic):,} synthetic cells of cluster {self.selected_cluster}"
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
        if self.synthetic is None:
            return
        path = self._ask_file(
            "Export synthetic cells",
            "FCS (*.fcs)",
            save_as=f"synthetic_cluster_{self.selected_cluster:02d}.fcs",
        )
        if not path:
            return
        events, markers, keywords = synthetic_export(
            self.result.model, self.synthetic, self.selected_cluster
        )
        self._write_file(
            lambda overwrite: write_fcs(
                path, events, markers=markers, keywords=keywords, overwrite=overwrite
            ),
            path,
        )

    def _write_file(self, write: Callable[[bool], object], path: str) -> None:
        """Write events (never into an input), asking before replacing an existing file."""
        try:
            check_outside_inputs(path, self.inputs)
            write(False)
        except OutputExistsError:
            if self._confirm_overwrite(Path(path).name):
                write(True)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.status_text.setText(f"Wrote {path}")

    def _confirm_overwrite(self, what: str) -> bool:
        answer = QMessageBox.question(self, "cytomoe", f"{what} already exists. Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def _confirm_replacing_files(self, folder: Path, names: list[str]) -> bool:
        """Ask once before replacing files, listing every one in a scrollable box."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "cytomoe",
            f"{len(names)} of the files to write already exist in {folder}. Replace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setInformativeText("Show Details… lists them.")
        box.setDetailedText("\n".join(names))
        return box.exec() == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ export
    def export_clusters(self) -> None:
        if self.result is None or self.worker is not None:
            return
        dialog = ExportDialog(self._selected_cluster_text(), str(self.export_folder()), self)
        if not dialog.exec():
            return
        self.start_export(
            dialog.target,
            [self.selected_cluster] if dialog.use_selected else None,
            separate=dialog.separate.isChecked(),
            file_format="csv" if dialog.csv else "fcs",
        )

    def _selected_cluster_text(self) -> str:
        if self.selected_cluster < 0:
            return ""
        share = 100 * np.mean(self.result.clusters == self.selected_cluster)
        return f"cluster {self.selected_cluster} ({share:.1f}% of events)"

    def export_folder(self) -> Path:
        """Where exports go unless the user picks another folder: a folder per plate in the
        user's documents, not beside the input files (often a read-only share)."""
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        return Path(documents or Path.home()) / "cytomoe" / self.plate.name

    def start_export(
        self,
        folder: Path,
        clusters: list[int] | None,
        separate: bool = True,
        file_format: str = "fcs",
    ) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.show_error(f"Cannot export into {folder}: {error.strerror}.")
            return
        job = partial(
            export_clusters, self.result, folder, clusters, separate, file_format=file_format
        )
        try:  # ask before replacing files: the worker then runs with overwrite
            existing = [
                p.name
                for p in export_targets(self.result, folder, clusters, separate, file_format)
                if p.exists()
            ]
        except CytomoeError as error:
            self.show_error(str(error))
            return
        if existing and not self._confirm_replacing_files(folder, existing):
            return
        self._run(
            partial(job, overwrite=bool(existing)),
            lambda paths: self.status_text.setText(f"Exported {len(paths)} file(s) to {folder}"),
            "Exporting…",
        )

    def export_anndata(self) -> None:
        if self.result is None or self.worker is not None:
            return
        path = self._ask_file("Export AnnData for scanpy", "AnnData (*.h5ad)", save_as=ANNDATA_FILE)
        if path:
            self.export_anndata_to(Path(path))

    def export_anndata_to(self, path: Path) -> None:
        """Every event with its cluster (and manual label, once scored) as ``.h5ad``."""
        report = build_report(self.result, self.analysis_settings())
        self._write_file(
            lambda overwrite: write_anndata(self.result, report, path, overwrite=overwrite),
            str(path),
        )

    def export_plot(self) -> None:
        widget = {
            0: self.gating_plot,
            2: self.latent_view,
            3: self.fmeasure_view.heatmap,
            4: self.histogram_view.plot,
        }.get(self.tabs.currentIndex())
        if widget is None and self.expert_grid.panels:
            widget = self.expert_grid.panels[max(self.selected_cluster, 0)]
        if widget is None:
            self.show_error("There is no plot to export yet.")
            return
        path = self._ask_file(
            "Export plot", "PNG image (*.png);;SVG drawing (*.svg)", save_as="plot.png"
        )
        if not path:
            return
        size = PlotSizeDialog.ask(self.tabs.tabText(self.tabs.currentIndex()), self)
        if size is None:
            return
        if Path(path).exists() and not self._confirm_overwrite(Path(path).name):
            return
        with atomic_output(path, overwrite=True) as temporary:  # the suffix stays
            save_plot(widget, temporary, size)
        self.status_text.setText(f"Wrote {path}")

    # ------------------------------------------------------------------ analysis files
    def save_analysis(self) -> None:
        path = self._ask_file("Save analysis", "cytomoe analysis (*.toml)", save_as="analysis.toml")
        if not path:
            return
        settings = self.analysis_settings()
        try:
            if self.result is not None:
                model_path = Path(path).with_suffix(".cytomoe")
                self.result.model.save(model_path)
                settings.model_file = str(model_path)
            save_analysis(settings, path)
        except (CytomoeError, OSError) as error:
            self.show_error(f"Could not save {Path(path).name}: {error}")
            return
        self.unsaved_result = False
        self.status_text.setText(f"Saved {path}")

    def open_analysis(self) -> None:
        path = self._ask_file("Open analysis", "cytomoe analysis (*.toml)")
        if not path:
            return
        try:
            settings = load_analysis(path)
        except CytomoeError as error:
            self.show_error(str(error))
            return
        self.training_panel.set_settings(settings.model)
        if settings.inputs:
            self.open_paths(settings.inputs)

    def about(self) -> None:
        from cytomoe import __version__

        QMessageBox.about(
            self,
            "About cytomoe",
            f"<b>cytomoe {__version__}</b><br>MoE-Sim-VAE clustering of flow "
            "and mass cytometry (Kopf et al., PLOS Comput Biol 2021).<br>"
            "Licence: GPL-3.0-or-later.",
        )
