"""Model settings, Start / Cancel, progress with ETA, and a live plot of each loss term."""

from dataclasses import replace

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.model.device import detect_devices
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.parameters import Between, bounds_of
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.progress import Progress

LOSS_COLORS = {
    "loss": "k",
    "reconstruction": "#1f77b4",
    "kl": "#2ca02c",
    "similarity": "#d62728",
    "depict": "#9467bd",
    "held_out": "#ff7f0e",
    "anchor": "#8c564b",
}  # the population anchor (training.py)
STAGE_TEXT = {
    "load": "Loading",
    "embed": "Canberra-UMAP similarity",
    "train": "Training",
    "assign": "Assigning every cell",
    "export": "Exporting",
}


class TrainingPanel(QWidget):
    """Edits `ModelSettings`; the window starts and cancels the work."""

    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.experts = _setting_box(
            "n_experts", "Upper bound on clusters: unneeded experts fall silent"
        )
        self.latent = _setting_box("latent_dim", "Latent dimensions")
        self.train_cells = _setting_box(
            "n_train", "Cells used for training, drawn evenly across wells", step=1000
        )
        self.iterations = _setting_box("iterations", "Training iterations", step=100)
        self.batch = _setting_box("batch_size", "Cells per batch", step=64)
        self.knn = _setting_box(
            "knn_k", "Per-batch kNN for cells outside dense populations (0 = auto)"
        )
        self.knn.setMinimum(0)
        self.knn.setSpecialValueText("auto")  # 0 means batch size / 50, not "no kNN"
        self.knn.setValue(0)  # the default, None, shown as "auto"
        self.weight_kl = _setting_box("weight_kl", "Weight of the latent KL term")
        self.weight_cluster = _setting_box(
            "weight_cluster",
            "Weight of the similarity (clustering) term and of "
            "the anchor of populations to experts",
        )
        self.weight_depict = _setting_box("weight_depict", "Weight of the DEPICT robustness term")
        self.seed = _setting_box("seed", "Random seed")
        devices = detect_devices()
        self.device = QComboBox()
        self.device.addItems(devices.choices)
        self.device.setToolTip(devices.describe())
        form = QFormLayout()
        for label, widget in (
            ("Experts (K)", self.experts),
            ("Latent size", self.latent),
            ("Training cells", self.train_cells),
            ("Iterations", self.iterations),
            ("Batch size", self.batch),
            ("kNN k", self.knn),
            ("KL weight", self.weight_kl),
            ("Cluster weight", self.weight_cluster),
            ("DEPICT weight", self.weight_depict),
            ("Seed", self.seed),
            ("Device", self.device),
        ):
            form.addRow(label, widget)
        detected = QLabel(f"Detected: {devices.describe()}")
        detected.setWordWrap(True)
        detected.setStyleSheet("color: #555")
        form.addRow(detected)
        settings_box = QGroupBox("Model")
        settings_box.setLayout(form)
        self.start = QPushButton("Train")
        self.start.setToolTip("Embed, train and assign every cell (runs in the background)")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.start.clicked.connect(self.start_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        buttons.addWidget(self.cancel)
        self.progress = QProgressBar()
        self.status = QLabel("Not trained yet.")
        self.status.setWordWrap(True)
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setLabel("bottom", "iteration")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setMinimumHeight(180)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._history: dict[str, tuple[list[float], list[float]]] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(settings_box)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.loss_plot, 1)

    def settings(self) -> ModelSettings:
        return replace(
            ModelSettings(),
            n_experts=self.experts.value(),
            latent_dim=self.latent.value(),
            n_train=self.train_cells.value(),
            iterations=self.iterations.value(),
            batch_size=self.batch.value(),
            knn_k=self.knn.value() or None,
            weight_kl=self.weight_kl.value(),
            weight_cluster=self.weight_cluster.value(),
            weight_depict=self.weight_depict.value(),
            seed=self.seed.value(),
            device=self.device.currentText(),
        )

    def set_settings(self, settings: ModelSettings) -> None:
        for box, value in (
            (self.experts, settings.n_experts),
            (self.latent, settings.latent_dim),
            (self.train_cells, settings.n_train),
            (self.iterations, settings.iterations),
            (self.batch, settings.batch_size),
            (self.knn, settings.knn_k or 0),
            (self.weight_kl, settings.weight_kl),
            (self.weight_cluster, settings.weight_cluster),
            (self.weight_depict, settings.weight_depict),
            (self.seed, settings.seed),
        ):
            box.setValue(value)
        index = self.device.findText(settings.device)
        self.device.setCurrentIndex(max(index, 0))

    def set_running(self, running: bool) -> None:
        self.start.setEnabled(not running)
        self.cancel.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first report
            self.status.setText("Starting…")
            self._clear_curves()
        else:
            self.progress.setRange(0, 1000)  # not busy on after a cancel; the value stays

    def _clear_curves(self) -> None:
        for curve in self._curves.values():
            curve.setData([], [])
        self._history = {}

    def show_progress(self, progress: Progress) -> None:
        fraction = progress.fraction
        self.progress.setRange(0, 0 if fraction is None else 1000)
        if fraction is not None:
            self.progress.setValue(int(1000 * fraction))
        text = STAGE_TEXT.get(progress.stage, progress.message or progress.stage)
        eta = progress.values.get("eta")
        if progress.stage == "train" and progress.total:
            text += f": iteration {int(progress.done)} of {int(progress.total)}"
            self._plot_losses(progress)
        elif progress.message and progress.stage in STAGE_TEXT:  # the step, e.g. an epoch
            text += f": {progress.message}"
        if eta is not None:
            text += f", about {eta:.0f} s left"
        self.status.setText(text)

    def _plot_losses(self, progress: Progress) -> None:
        for name, value in progress.values.items():
            if name != "eta":
                self._add_point(name, progress.done, value)

    def show_history(self, history: list[dict[str, float]]) -> None:
        """The loss curves of a trained model (``history_``: the loss terms of each
        iteration), as its training drew them: for a model opened from a file."""
        self._clear_curves()
        for record in history:
            for name, value in record.items():
                if name != "iteration":
                    self._add_point(name, record["iteration"], value, draw=False)
        for name, (xs, ys) in self._history.items():
            self._curves[name].setData(xs, ys)

    def _add_point(self, name: str, iteration: float, value: float, draw: bool = True) -> None:
        xs, ys = self._history.setdefault(name, ([], []))
        xs.append(iteration)
        ys.append(value)
        if name not in self._curves:
            self._curves[name] = self.loss_plot.plot(
                pen=pg.mkPen(LOSS_COLORS.get(name, "#777"), width=2), name=name
            )
        if draw:
            self._curves[name].setData(xs, ys)


def _setting_box(name: str, tip: str, step: int = 1) -> QSpinBox | QDoubleSpinBox:
    """A spin box for the model setting ``name``: its range and default are the ones
    ``MoESimVAE``'s signature declares."""
    parameter = MoESimVAE.setting_parameters()[name]
    base, bounds, _ = bounds_of(parameter.annotation)
    between = next(b for b in bounds if isinstance(b, Between))
    if base is int:
        box = QSpinBox()
        box.setRange(int(between.low), int(min(between.high, 2**31 - 1)))  # Qt's int range
        box.setSingleStep(step)
        box.setGroupSeparatorShown(True)
    else:
        box = QDoubleSpinBox()
        box.setRange(between.low, between.high)
        box.setDecimals(3)
        box.setSingleStep(0.05)
    box.setValue(parameter.default or 0)
    box.setToolTip(tip)
    return box
