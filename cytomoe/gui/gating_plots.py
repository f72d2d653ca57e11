"""Gating-style plots: density scatter of two markers, one small panel per expert, the
cluster legend and the latent-space view."""

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.evaluation.density import (
    density_image,
    grouped_counts,
    plot_range,
    point_density,
    probability_contours,
    subsample,
)
from cytomoe.core.evaluation.display_scale import DisplayScale
from cytomoe.gui.axes import CONTOUR, DENSITY, ScaleAxis
from cytomoe.gui.colors import cluster_color, density_colormap, grey_lookup_table

ChannelValues = Callable[[str], tuple[np.ndarray, DisplayScale]]
OVERLAY_LIMIT = 6000  # dots drawn over the density image for a highlighted cluster
DOT_LIMIT = 40_000  # up to this many events, density-coloured dots; beyond, an image
DENSITY_LEVELS = 12  # dots are drawn in this many density colours (one item each: fast)
CONTOUR_LEVELS = 10  # equal-probability contours: 10% of the events between two lines
CONTOUR_BINS = 96


class DensityPlot(pg.PlotWidget):
    """Events of two markers as a density image (fast for millions of events), with the
    cells of one cluster (or synthetic cells) drawn over it as dots.

    The gate editor attaches to ``plotItem``; ``axes_changed`` tells it the channels moved.
    """

    axes_changed = Signal(str, str)
    clicked = Signal(float, float)

    def __init__(self, grey: bool = False, compact: bool = False, parent: QWidget | None = None):
        axes = {"bottom": ScaleAxis("bottom"), "left": ScaleAxis("left")}
        super().__init__(parent=parent, background="w", axisItems=axes)
        self.grey = grey
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.population_image = pg.ImageItem()  # a population's density over the image
        self.population_image.setColorMap(density_colormap())
        self.addItem(self.population_image)
        lookup = (
            grey_lookup_table()
            if grey
            else density_colormap().getLookupTable(nPts=DENSITY_LEVELS, alpha=True)
        )
        levels = np.linspace(0, len(lookup) - 1, DENSITY_LEVELS).astype(int)
        self.dots = []
        for level in levels:
            item = pg.ScatterPlotItem(
                size=2 if compact else 3, pen=None, brush=QBrush(QColor(*lookup[level][:3]))
            )
            self.addItem(item)
            self.dots.append(item)
        self.overlay = pg.ScatterPlotItem(size=3 if compact else 4, pen=None)
        self.synthetic = pg.ScatterPlotItem(size=6, symbol="+", pen=pg.mkPen("k", width=1))
        self.addItem(self.overlay)
        self.addItem(self.synthetic)
        if grey:
            self.image.setLookupTable(grey_lookup_table())
        else:
            self.image.setColorMap(density_colormap())
        self.setMenuEnabled(False)
        item = self.getPlotItem()
        item.showGrid(x=False, y=False)
        if compact:
            for axis in ("left", "bottom"):
                item.getAxis(axis).setStyle(tickLength=3, showValues=False)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.channels = ("", "")
        self.scales = (DisplayScale(), DisplayScale())
        self._pending: tuple | None = None  # show_events' arguments while hidden
        self._shown: tuple | None = None  # and those of what is shown
        self.style = DENSITY
        self.contours: list[pg.PlotDataItem] = []
        self.hint = _hint(self)

    def show_hint(self, text: str) -> None:
        """An empty plot that says what to do next."""
        show_hint(self, self.hint, text)

    def show_events(
        self,
        x: np.ndarray,
        y: np.ndarray,
        x_label: str,
        y_label: str,
        x_channel: str = "",
        y_channel: str = "",
        ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
        scales: tuple[DisplayScale, DisplayScale] | None = None,
    ) -> None:
        """Events in plot coordinates; ``scales`` say how they were transformed, so that
        the axes tick instrument values (0, 10², 10³, ...). A plot in a hidden tab of a
        shown window draws when it is shown: binning a million events is the slow part."""
        self.overlay.setData([], [])
        self.synthetic.setData([], [])
        self._pending = self._shown = (x, y, x_label, y_label, ranges, scales)
        if not (self.window().isVisible() and not self.isVisible()):
            self._draw_pending()
        self._announce_channels(x_channel, y_channel)

    def _draw_pending(self) -> None:
        x, y, x_label, y_label, ranges, scales = self._pending
        self._pending = None
        x_range, y_range = ranges or (plot_range(x), plot_range(y))
        self.set_scales(*(scales or (DisplayScale(), DisplayScale())))
        self.hint.setVisible(False)
        self.population_image.clear()
        for item in self.contours:
            self.removeItem(item)
        self.contours = []
        if self.style == CONTOUR:
            self.image.clear()
            self._draw_contours(x, y, x_range, y_range)
        elif len(x) <= DOT_LIMIT:
            self.image.clear()
            self._draw_dots(x, y)
        else:
            for item in self.dots:
                item.clear()
            density = density_image(x, y, x_range, y_range, bins=200 if not self.grey else 120)
            image = density.log_counts()
            top = np.nanmax(image) if np.isfinite(image).any() else 1.0
            self.image.setImage(image, levels=(0, max(top, 1e-6)), autoLevels=False)
            self.image.setRect(
                QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0])
            )
        self.setXRange(*x_range, padding=0)
        self.setYRange(*y_range, padding=0)
        self.setLabel("bottom", x_label)
        self.setLabel("left", y_label)

    def _announce_channels(self, x_channel: str, y_channel: str) -> None:
        if (x_channel, y_channel) != self.channels:
            self.channels = (x_channel, y_channel)
            self.axes_changed.emit(x_channel, y_channel)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._pending is not None:
            self._draw_pending()

    def set_scales(self, x_scale: DisplayScale, y_scale: DisplayScale) -> None:
        self.scales = (x_scale, y_scale)
        item = self.getPlotItem()
        item.getAxis("bottom").set_scale(x_scale)
        item.getAxis("left").set_scale(y_scale)

    def show_density(
        self,
        background: np.ndarray,
        population: np.ndarray,
        ranges: tuple[tuple[float, float], tuple[float, float]],
        x_label: str,
        y_label: str,
        scales: tuple[DisplayScale, DisplayScale] | None = None,
    ) -> None:
        """Binned counts drawn as a gating plot: all events in grey, one population's
        density in colour over them (an expert panel)."""
        (x0, x1), (y0, y1) = ranges
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self.hint.setVisible(False)
        for item in self.dots:
            item.clear()
        self.overlay.setData([], [])
        self.synthetic.setData([], [])
        for image, counts in ((self.image, background), (self.population_image, population)):
            values = np.log1p(counts.astype(np.float32))
            values[counts == 0] = np.nan
            top = float(np.nanmax(values)) if (counts > 0).any() else 1.0
            image.setImage(values, levels=(0, max(top, 1e-6)), autoLevels=False)
            image.setRect(rect)
        self.set_scales(*(scales or (DisplayScale(), DisplayScale())))
        self.setXRange(x0, x1, padding=0)
        self.setYRange(y0, y1, padding=0)
        self.setLabel("bottom", x_label)
        self.setLabel("left", y_label)

    def set_style(self, style: str) -> None:
        """Pseudocolour density or contours; redraws what is shown."""
        self.style = style
        if self._shown is not None:
            self._pending = self._shown
            self._draw_pending()

    def _draw_contours(
        self,
        x: np.ndarray,
        y: np.ndarray,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
    ) -> None:
        """Equal-probability contours (each band holds the same share of the events) and
        the events outside the outermost one as dots, as FlowJo's contour plot."""
        for item in self.dots:
            item.clear()
        if not len(x):
            return
        contours = probability_contours(x, y, x_range, y_range, CONTOUR_LEVELS, CONTOUR_BINS)
        for level, lines in enumerate(contours.lines):
            shade = int(40 + 150 * level / max(1, len(contours.lines) - 1))
            item = pg.PlotDataItem(
                lines[:, 0], lines[:, 1], connect="finite", pen=pg.mkPen((shade, shade, shade))
            )
            self.addItem(item)
            self.contours.append(item)
        rows = subsample(int(contours.outside.sum()), OVERLAY_LIMIT)
        self.dots[0].setData(x[contours.outside][rows], y[contours.outside][rows])

    def _draw_dots(self, x: np.ndarray, y: np.ndarray) -> None:
        """Pseudocolour dots: each event coloured by the density around it."""
        level = (
            (point_density(x, y) * (DENSITY_LEVELS - 1)).round().astype(int)
            if len(x)
            else np.zeros(0, dtype=int)
        )
        for index, item in enumerate(self.dots):
            members = level == index
            item.setData(x[members], y[members])

    def highlight(self, x: np.ndarray, y: np.ndarray, color: str) -> None:
        rows = subsample(len(x), OVERLAY_LIMIT)
        qcolor = QColor(color)
        qcolor.setAlpha(170)
        self.overlay.setData(x[rows], y[rows], brush=QBrush(qcolor))

    def clear_highlight(self) -> None:
        # setData, not clear(): clear() skips prepareGeometryChange, so Qt repaints only
        # the new, empty bounds and the old dots stay on screen until the next repaint.
        self.overlay.setData([], [])

    def show_synthetic(self, x: np.ndarray, y: np.ndarray) -> None:
        self.synthetic.setData(x, y)

    def _on_click(self, event: MouseClickEvent) -> None:
        point = self.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.clicked.emit(point.x(), point.y())


def _hint(plot: pg.PlotWidget) -> pg.TextItem:
    hint = pg.TextItem("", color="#555", anchor=(0.5, 0.5))
    hint.setVisible(False)
    plot.addItem(hint, ignoreBounds=True)
    return hint


def show_hint(plot: pg.PlotWidget, hint: pg.TextItem, text: str) -> None:
    hint.setText(text)
    hint.setPos(0.5, 0.5)
    hint.setVisible(True)
    plot.setXRange(0, 1, padding=0)
    plot.setYRange(0, 1, padding=0)


class ClusterLegend(QTableWidget):
    """Clusters with colour, events and share; selecting a row highlights that cluster."""

    cluster_selected = Signal(int)  # -1: none

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Cluster", "Events", "%"])
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.itemSelectionChanged.connect(self._emit)

    def set_clusters(self, sizes: list[int]) -> None:
        self.blockSignals(True)
        self.setRowCount(len(sizes))
        total = max(1, sum(sizes))
        for cluster, size in enumerate(sizes):
            name = QTableWidgetItem(f"  {cluster}")
            name.setBackground(QColor(cluster_color(cluster)))
            name.setForeground(QColor("white"))
            self.setItem(cluster, 0, name)
            self.setItem(cluster, 1, _number(size))
            self.setItem(cluster, 2, _number(round(100 * size / total, 1)))
        self.blockSignals(False)

    def select_cluster(self, cluster: int) -> None:
        if cluster < 0:
            self.clearSelection()
        else:
            self.selectRow(cluster)

    def selected_clusters(self) -> list[int]:
        return sorted({index.row() for index in self.selectedIndexes()})

    def _emit(self) -> None:
        rows = self.selected_clusters()
        self.cluster_selected.emit(rows[0] if rows else -1)


def _number(value: int | float) -> QTableWidgetItem:
    item = QTableWidgetItem(f"{value:,}" if isinstance(value, int) else str(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ExpertGrid(QScrollArea):
    """Small multiples: one gating plot per expert cluster, the density of its cells in
    colour over all cells in grey, on the gating plot's markers or a pair chosen for the
    grid (``pickers``, a row for the window to place).

    Panels are kept while the number of clusters stays, so a change of axes only swaps
    their images; all clusters are binned in one pass over the events."""

    cluster_clicked = Signal(int)
    PANEL_WIDTH = 250
    BINS = 120

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._container = QWidget()
        self._layout = QGridLayout(self._container)
        self._layout.setSpacing(4)
        self.setWidget(self._container)
        self.panels: list[DensityPlot] = []
        self.titles: list[QLabel] = []
        self.draws = 0  # how many times the panels were drawn (built or updated)
        self.hint = QLabel(
            "Train a model (Training panel, Ctrl+T): each cluster then gets a panel here, "
            "the density of its cells over all cells in grey."
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555")
        self._layout.addWidget(self.hint, 0, 0)
        self.x_pick, self.y_pick = QComboBox(), QComboBox()
        self.pickers = QWidget()
        row = QHBoxLayout(self.pickers)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Panels show"))
        for label, box in (("X", self.x_pick), ("Y", self.y_pick)):
            row.addWidget(QLabel(label))
            row.addWidget(box)
            box.currentIndexChanged.connect(self._redraw)
        row.addStretch(1)
        self.channel_values: ChannelValues | None = None
        self.names: dict[str, str] = {}
        self._shown: dict | None = None  # the last show_clusters' arguments

    def set_channels(
        self, channels: list[str], names: dict[str, str], channel_values: ChannelValues
    ) -> None:
        """The channels a grid may show instead of the gating plot's, their names, and
        how to get a channel's plotted values and scale."""
        self.channel_values, self.names = channel_values, names
        self._shown = None  # of the plate before
        for box in (self.x_pick, self.y_pick):
            box.blockSignals(True)
            box.clear()
            box.addItem("as the gating plot", None)
            for channel in channels:
                box.addItem(names.get(channel, channel), channel)
            box.blockSignals(False)

    def _redraw(self) -> None:
        if self._shown is not None:
            self.show_clusters(**self._shown)

    def show_clusters(
        self,
        x: np.ndarray,
        y: np.ndarray,
        clusters: np.ndarray,
        n_clusters: int,
        x_label: str,
        y_label: str,
        scales: tuple[DisplayScale, DisplayScale] | None = None,
        names: list[str] | None = None,
        shown: np.ndarray | None = None,
    ) -> None:
        """Draw the clusters on the gating plot's values ``x`` and ``y``, or on the grid's
        own pair where chosen (``shown``: the events plotted, of which x and y are)."""
        self._shown = dict(
            x=x,
            y=y,
            clusters=clusters,
            n_clusters=n_clusters,
            x_label=x_label,
            y_label=y_label,
            scales=scales,
            names=names,
            shown=shown,
        )
        x_scale, y_scale = scales or (DisplayScale(), DisplayScale())
        if shown is not None and self.channel_values is not None:
            if self.x_pick.currentData():
                x, x_scale = self.channel_values(self.x_pick.currentData())
                x, x_label = x[shown], self.x_pick.currentText()
            if self.y_pick.currentData():
                y, y_scale = self.channel_values(self.y_pick.currentData())
                y, y_label = y[shown], self.y_pick.currentText()
        scales = (x_scale, y_scale)
        if len(self.panels) != n_clusters:
            self._build(n_clusters)
        self.draws += 1
        if n_clusters == 0:
            return
        ranges = (plot_range(x), plot_range(y))
        clusters = np.asarray(clusters)
        per_cluster = grouped_counts(x, y, clusters, n_clusters, *ranges, self.BINS)
        background = per_cluster.sum(axis=0)  # every event is in a cluster
        sizes = np.bincount(clusters[clusters >= 0], minlength=n_clusters)
        total = max(1, len(clusters))
        for cluster, (panel, title) in enumerate(zip(self.panels, self.titles, strict=True)):
            name = names[cluster] if names else f"Expert cluster {cluster}"
            title.setText(
                f"<b style='color:{cluster_color(cluster)}'>{name}</b> &nbsp; "
                f"{sizes[cluster]:,} events ({100 * sizes[cluster] / total:.1f}%)"
            )
            panel.show_density(background, per_cluster[cluster], ranges, x_label, y_label, scales)

    def _build(self, n_clusters: int) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() not in (None, self.hint):
                item.widget().hide()
                item.widget().deleteLater()
        self.panels, self.titles = [], []
        self.hint.setVisible(n_clusters == 0)
        if n_clusters == 0:
            self._layout.addWidget(self.hint, 0, 0)
            return
        columns = max(1, self.viewport().width() // self.PANEL_WIDTH)
        for cluster in range(n_clusters):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            title = QLabel()
            panel = DensityPlot(grey=True, compact=True)
            panel.setFixedHeight(240)
            panel.setMinimumWidth(self.PANEL_WIDTH - 30)
            panel.clicked.connect(lambda _x, _y, c=cluster: self.cluster_clicked.emit(c))
            column.addWidget(title)
            column.addWidget(panel)
            self._layout.addWidget(box, cluster // columns, cluster % columns)
            self.panels.append(panel)
            self.titles.append(title)
        self._layout.setRowStretch(n_clusters // columns + 1, 1)

    def mark(self, cluster: int) -> None:
        for index, panel in enumerate(self.panels):
            panel.setBackground("#fff7d6" if index == cluster else "w")


class LatentView(pg.PlotWidget):
    """The latent coordinates (first two principal axes) coloured by cluster."""

    LIMIT = 20_000

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent=parent, background="w")
        self.setLabel("bottom", "latent PC 1")
        self.setLabel("left", "latent PC 2")
        self._items: list[pg.ScatterPlotItem] = []
        self.hint = _hint(self)
        show_hint(self, self.hint, "Train a model (Ctrl+T) to see each cell's latent code.")

    def show_latent(self, latent: np.ndarray, clusters: np.ndarray, selected: int = -1) -> None:
        self.hint.setVisible(False)
        for item in self._items:
            self.removeItem(item)
        self._items = []
        rows = subsample(len(latent), self.LIMIT)
        points, labels = latent[rows], clusters[rows]
        centred = points - points.mean(axis=0)
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        flat = centred @ axes[:2].T
        for cluster in np.unique(labels):
            members = labels == cluster
            color = QColor(cluster_color(int(cluster)))
            color.setAlpha(230 if selected in (-1, cluster) else 40)
            item = pg.ScatterPlotItem(
                flat[members, 0], flat[members, 1], size=3, pen=None, brush=QBrush(color)
            )
            self.addItem(item)
            self._items.append(item)
        self.autoRange()  # the empty view's hint had fixed the range
