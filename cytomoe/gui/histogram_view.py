"""One marker as histograms: all events, or one curve per cluster, gate or well laid over
each other, on the gating plot's scale (decades of instrument values)."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from scipy.ndimage import gaussian_filter1d

from cytomoe.core.evaluation.density import histograms, plot_range
from cytomoe.core.evaluation.display_scale import DisplayScale
from cytomoe.core.io.plate import SAMPLE
from cytomoe.gui.axes import ScaleAxis
from cytomoe.gui.colors import cluster_color

ALL, CLUSTERS, GATES, WELLS = "all", "clusters", "gates", "wells"
SPLITS = [("All events", ALL), ("Per cluster", CLUSTERS), ("Per gate", GATES), ("Per well", WELLS)]
BINS = 128  # for many events; fewer below, where 128 bins would be mostly noise
FEW_EVENTS, FEW_BINS = 20_000, 64
SMOOTHING = 1.0  # bins: a light Gaussian smoothing, as FlowJo's histograms
FILLED_CURVES = 4  # beyond this many overlaid curves, outlines only
RANGE_PEN = pg.mkPen("#c2185b", width=2)  # as the gates on the gating plot
RANGE_TEXT = "#880e4f"
WELL_LIMIT = 24  # curves beyond this many wells would be unreadable


@dataclass
class HistogramSource:
    """What the histograms are drawn from: the events shown on the gating plot (wells and
    population), how each channel is named and scaled, and the groups to split them by."""

    events: pd.DataFrame
    channels: list[str]
    names: dict[str, str]  # channel -> 'CD3 (PE-Cy7-A)'
    scale: Callable[[str], DisplayScale]
    shown: np.ndarray  # events of the plotted wells and population
    current: str = ""  # the gating plot's X channel, shown first
    clusters: np.ndarray | None = None
    cluster_labels: list[str] = field(default_factory=list)  # '1 CD4 T' by cluster
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # display name -> membership
    samples: np.ndarray | None = None  # each event's sample
    sample_names: list[str] = field(default_factory=list)  # well, or file where none
    # range gates: name -> (channel, display name and share, (low, high) on the plot)
    ranges: dict[str, tuple[str, str, tuple[float, float]]] = field(default_factory=dict)


class HistogramView(QWidget):
    """Histograms of one marker, with its range gates, drawn and dragged here too.
    ``provider`` gives the source when the view draws: only when shown, like the expert
    panels, so a hidden view costs an axis change nothing."""

    range_requested = Signal(str, float, float)  # channel, low, high on the plot
    range_moved = Signal(str, float, float)  # gate name, low, high on the plot

    def __init__(
        self,
        provider: Callable[[], HistogramSource | None] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.provider = provider or (lambda: None)
        self.source: HistogramSource | None = None
        self.marker = QComboBox()
        self.split = QComboBox()
        for text, split in SPLITS:
            self.split.addItem(text, split)
        self.normalise = QCheckBox("Normalise to mode")
        self.normalise.setToolTip("Each curve as % of its highest bin, as FlowJo's 'mode'")
        self.normalise.setChecked(True)
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": ScaleAxis("bottom")})
        self.plot.setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.regions: dict[str, pg.LinearRegionItem] = {}
        self.range_button = QPushButton("Range gate")
        self.range_button.setToolTip("A 1-D gate on this marker, dragged on the histogram")
        self.range_button.clicked.connect(self._request_range)
        self.note = QLabel("")
        self.note.setStyleSheet("color: #555")
        controls = QHBoxLayout()  # two rows, so that the window stays narrow
        for widget in (QLabel("Marker"), self.marker, QLabel("Show"), self.split):
            controls.addWidget(widget)
        controls.addStretch(1)
        options = QHBoxLayout()
        options.addWidget(self.normalise)
        options.addStretch(1)
        options.addWidget(self.range_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(options)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        for box in (self.marker, self.split):
            box.currentIndexChanged.connect(self.redraw)
        self.normalise.toggled.connect(self.redraw)
        self.stale = False

    def invalidate(self) -> None:
        """The events, groups or names changed: draw again now if shown, else when shown."""
        self.stale = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        source = self.provider()
        if source is not None:
            self.set_source(source)

    def set_source(self, source: HistogramSource) -> None:
        """New events, groups or names; the marker chosen is kept where it still exists."""
        chosen = self.marker.currentData() or source.current
        self.source = source
        self.marker.blockSignals(True)
        self.marker.clear()
        for channel in source.channels:
            self.marker.addItem(source.names.get(channel, channel), channel)
        index = self.marker.findData(chosen if chosen in source.channels else source.current)
        self.marker.setCurrentIndex(max(index, 0))
        self.marker.blockSignals(False)
        self.redraw()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self.stale:
            self.refresh()

    def redraw(self) -> None:
        self.stale = False
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves = {}
        self.legend.clear()
        source, channel = self.source, self.marker.currentData()
        if source is None or channel is None:
            return
        scale = source.scale(channel)
        values = scale.forward(source.events[channel].to_numpy())
        shown = values[source.shown]
        value_range = plot_range(shown)
        groups = self._groups(source)
        if not groups:
            self.note.setText(self._missing())
            return
        self.note.setText("")
        bins = FEW_BINS if source.shown.sum() < FEW_EVENTS else BINS
        for name, (members, color) in groups.items():
            edges, counts = histograms(
                values[members], np.zeros(int(members.sum()), np.int64), 1, value_range, bins
            )
            heights = gaussian_filter1d(counts[0].astype(float), SMOOTHING, mode="constant")
            if self.normalise.isChecked() and heights.max() > 0:
                heights *= 100 / heights.max()
            fill = QColor(color)
            fill.setAlpha(0 if len(groups) > FILLED_CURVES else 45 if len(groups) > 1 else 90)
            curve = pg.PlotDataItem(
                edges,
                heights,
                stepMode="center",
                fillLevel=0,
                brush=fill,
                pen=pg.mkPen(color, width=1.5),
                name=f"{name} ({int(members.sum()):,})",
            )
            self.plot.addItem(curve)
            self.curves[name] = curve
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.set_scale(scale)
        self.plot.setLabel("bottom", source.names.get(channel, channel))
        self.plot.setLabel("left", "% of max" if self.normalise.isChecked() else "Events")
        self.plot.setXRange(*value_range, padding=0)
        self.plot.enableAutoRange(axis="y")
        self._draw_ranges(source, channel)

    def _draw_ranges(self, source: HistogramSource, channel: str) -> None:
        """The marker's range gates as shaded bands with their name and share."""
        for region in self.regions.values():
            self.plot.removeItem(region)
        self.regions = {}
        for name, (gate_channel, text, bounds) in source.ranges.items():
            if gate_channel != channel:
                continue
            region = pg.LinearRegionItem(bounds, brush=(194, 24, 91, 30), pen=RANGE_PEN)
            pg.InfLineLabel(region.lines[0], text, position=0.92, color=RANGE_TEXT)
            region.sigRegionChangeFinished.connect(
                lambda r, n=name: self._region_moved(n, *r.getRegion())
            )
            self.plot.addItem(region)
            self.regions[name] = region

    def _region_moved(self, name: str, low: float, high: float) -> None:
        # After the drag's own events: the redraw it causes replaces the band dragged.
        QTimer.singleShot(0, lambda: self.range_moved.emit(name, low, high))

    def _request_range(self) -> None:
        channel = self.marker.currentData()
        if channel is None:
            return
        (low, high), _ = self.plot.getViewBox().viewRange()
        third = (high - low) / 3
        self.range_requested.emit(channel, low + third, high - third)

    def _groups(self, source: HistogramSource) -> dict[str, tuple[np.ndarray, str]]:
        """Name -> (events of that group among those shown, colour)."""
        split = self.split.currentData()
        shown = source.shown
        if split == CLUSTERS and source.clusters is not None:
            present = np.unique(source.clusters[shown])
            labels = source.cluster_labels
            return {
                f"Cluster {labels[c] if c < len(labels) else c}": (
                    shown & (source.clusters == c),
                    cluster_color(int(c)),
                )
                for c in present
            }
        if split == GATES:
            return {
                name: (shown & members, cluster_color(index))
                for index, (name, members) in enumerate(source.gates.items())
            }
        if split == WELLS and source.samples is not None:
            present = np.unique(source.samples[shown])[:WELL_LIMIT]
            return {
                source.sample_names[s]: (shown & (source.samples == s), cluster_color(index))
                for index, s in enumerate(present)
            }
        if split == ALL:
            return {"Events shown": (shown, "#37474f")}
        return {}

    def _missing(self) -> str:
        return {
            CLUSTERS: "Train a model (Ctrl+T) to see one curve per cluster.",
            GATES: "Draw gates (Gates panel) to see one curve per gate.",
            WELLS: "The wells shown hold no events.",
        }.get(self.split.currentData(), "")


def source_of(window: QWidget) -> HistogramSource | None:
    """The histograms' source from the main window's plate, panel, result and gates."""
    if window.events is None or window.plate is None:
        return None
    channels = window.plate.channels
    names = {
        window.x_channel.itemData(i): window.x_channel.itemText(i) for i in range(len(channels))
    }
    events = window.events
    editor = window.gate_editor
    gates = (
        {gate.label: editor.gate_mask(gate.name) for gate in editor.gates}
        if editor.membership is not None
        else {}
    )
    ranges = {
        gate.name: (
            gate.channels[0],
            f"{gate.label} {editor.counts(gate.name)[1]:.1f}%",
            editor.plot_vertices(gate)[0],
        )
        for gate in editor.gates
        if gate.kind == "range"
    }
    return HistogramSource(
        events=events,
        channels=channels,
        names=names,
        scale=window.display_scale,
        shown=window._visible(),
        current=window.x_channel.currentData() or "",
        clusters=None if window.result is None else window.result.clusters,
        cluster_labels=window.session.cluster_labels() if window.result is not None else [],
        gates=gates,
        samples=events[SAMPLE].to_numpy(),
        sample_names=[s.well or s.name for s in window.plate.samples],
        ranges=ranges,
    )
