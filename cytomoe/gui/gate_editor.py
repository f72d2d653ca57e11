"""Drawing gates on the gating plot: polygon, rectangle, ellipse, quadrant and range gates,
named as the user likes ('CD4+ T cells'), nested under a parent, editable, with live event
counts and % of parent in a gate tree and on the plot.

As in FlowJo, the gating plot shows one population, the gate selected in the tree (all
events when none is): its events, and the gates drawn on it (its children) where the plot
shows their channels. A new gate goes under that population.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.errors import CytomoeError
from cytomoe.core.evaluation.display_scale import ARCSINH, LOGICLE, DisplayScale, scale_for
from cytomoe.core.evaluation.gates import (
    DrawnGate,
    drawn_gate_membership,
    gate_id,
    quadrant_gates,
)

GATE_PEN = pg.mkPen("#c2185b", width=2)
GATE_TEXT = "#880e4f"
KIND_BUTTONS = [
    ("polygon", "Polygon"),
    ("rectangle", "Rectangle"),
    ("ellipse", "Ellipse"),
    ("quadrant", "Quadrant"),
    ("range", "Range (X)"),
]


class QuadrantMarker:
    """The cross of a quadrant gate: a vertical and a horizontal line, dragged apart."""

    def __init__(self, split: tuple[float, float]):
        self.vertical = pg.InfiniteLine(split[0], angle=90, movable=True, pen=GATE_PEN)
        self.horizontal = pg.InfiniteLine(split[1], angle=0, movable=True, pen=GATE_PEN)
        self.lines = (self.vertical, self.horizontal)

    def split(self) -> tuple[float, float]:
        return float(self.vertical.value()), float(self.horizontal.value())

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (as a Qt item's)
        for line in self.lines:
            line.setVisible(visible)

    def isVisible(self) -> bool:  # noqa: N802
        return self.vertical.isVisible()


class GateEditor(QWidget):
    """Gates are kept in the display coordinates of the current cofactors: when a cofactor
    changes, `set_cofactors` moves every gate on that channel with its events, so a gate
    keeps the same events (instrument units) under any transform."""

    gates_changed = Signal()
    population_changed = Signal()  # another gate's events are to be plotted
    error = Signal(str)
    save_requested = Signal()
    load_requested = Signal()
    export_requested = Signal()

    def __init__(self, plot: pg.PlotWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot
        plot.sigRangeChanged.connect(lambda *_: self._place_labels())  # zoom, redraw
        self.gates: list[DrawnGate] = []
        self.rois: dict[str, pg.ROI] = {}
        self.membership: pd.DataFrame | None = None
        self.events: pd.DataFrame | None = None
        self.cofactors: dict[str, float | None] = {}
        self.visible: np.ndarray | None = None  # events counted (the wells shown); None: all
        self.scale_kind = ARCSINH  # gates are drawn and kept on arcsinh (or linear) axes
        self.marker_names: dict[str, str] = {}  # channel -> marker, for quadrant names
        self.labels: dict[str, pg.TextItem] = {}  # name and % of each gate, on the plot
        self.name = QLineEdit("gate1")
        self.name.setToolTip(
            "Gate name, as you like it ('CD4+ T cells'); Gating-ML files get an id made "
            "of it ('CD4pos_T_cells')"
        )
        buttons = QHBoxLayout()
        more_buttons = QHBoxLayout()
        self.kind_buttons = {}
        for index, (kind, text) in enumerate(KIND_BUTTONS):
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, k=kind: self.add_gate(k))
            (buttons if index < 3 else more_buttons).addWidget(button)
            self.kind_buttons[kind] = button
        self.polygon_button = self.kind_buttons["polygon"]
        self.polygon_button.clicked.disconnect()
        self.polygon_button.clicked.connect(self.start_polygon)
        self.polygon_button.setToolTip("Click the corners on the plot; double-click to close")
        self.rectangle_button = self.kind_buttons["rectangle"]
        self.corners: list[tuple[float, float]] | None = None  # a polygon being clicked
        self.draft = pg.PlotDataItem(pen=pg.mkPen("#c2185b", width=1.5, style=Qt.PenStyle.DashLine))
        self.drawing_note = QLabel("")
        self.drawing_note.setStyleSheet("color: #880e4f")
        self.drawing_note.setWordWrap(True)
        self.delete_button = QPushButton("Delete")
        more_buttons.addWidget(self.delete_button)
        files = QHBoxLayout()
        self.save_button = QPushButton("Save Gating-ML…")
        self.load_button = QPushButton("Load…")
        self.load_button.clicked.connect(self.load_requested)
        self.export_button = QPushButton("Export gated FCS…")
        self.save_button.clicked.connect(self.save_requested)
        self.export_button.clicked.connect(self.export_requested)
        files.addWidget(self.load_button)
        files.addWidget(self.save_button)
        files.addWidget(self.export_button)
        self.delete_button.clicked.connect(self.delete_selected)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Population", "Events", "% of parent"])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # names come first
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemSelectionChanged.connect(self._population_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addLayout(buttons)
        layout.addLayout(more_buttons)
        layout.addWidget(self.drawing_note)
        layout.addWidget(self.tree, 1)
        layout.addLayout(files)

    def set_events(self, events: pd.DataFrame, cofactors: dict[str, float | None]) -> None:
        """The events gated (instrument units, as plotted) and the display cofactors."""
        self.events, self.cofactors, self.visible = events, cofactors, None
        self.recompute()

    def set_visible(self, visible: np.ndarray | None) -> None:
        """Count only these events (e.g. the selected wells); None: all of them."""
        self.visible = visible
        self._fill_tree()

    def set_cofactors(self, cofactors: dict[str, float | None]) -> None:
        """New display cofactors: every gate on a changed channel is re-expressed in them,
        keeping its events (its bounds are the same instrument values)."""
        self.cofactors = cofactors
        moved = [gate for gate in self.gates if self._reexpress(gate)]
        for gate in moved:
            self._remove_roi(gate.name)
        for gate in moved:
            if gate.name not in self.rois:  # a quadrant's four share one marker
                self._add_roi(gate)
        if moved:
            self.show_axes(*self.plot.channels)
            self.recompute()

    def _reexpress(self, gate: DrawnGate) -> bool:
        current = tuple(self.cofactors.get(c) for c in gate.channels)
        if current == gate.cofactors:
            return False
        before = [scale_for(ARCSINH, c) for c in gate.cofactors]
        after = [scale_for(ARCSINH, c) for c in current]
        gate.vertices = convert_vertices(
            gate.kind, gate.vertices, lambda v, axis: _rescale(v, before[axis], after[axis])
        )
        gate.cofactors = current
        return True

    def set_scale_kind(self, kind: str) -> None:
        """The plot's scale for transformed channels: gates are kept in arcsinh (or
        linear) coordinates, as Gating-ML files get them, and drawn in the plot's."""
        if kind != self.scale_kind:
            self.scale_kind = kind
            for name in list(self.rois):
                self._remove_roi(name)
            for gate in self.gates:
                if gate.name not in self.rois:
                    self._add_roi(gate)
            self._fill_tree()
            self.show_axes(*self.plot.channels)

    def _plot_scale(self, channel: str) -> DisplayScale:
        return scale_for(self.scale_kind, self.cofactors.get(channel), self._values(channel))

    def _values(self, channel: str) -> np.ndarray | None:
        """A channel's events, which logicle reads its parameters from."""
        if self.scale_kind != LOGICLE or self.events is None:
            return None
        return self.events[channel].to_numpy()

    def plot_vertices(self, gate: DrawnGate) -> list[tuple]:
        """A gate's shape in the plot's coordinates. On logicle axes a polygon's corners
        are exact, its edges straight between them on the plot (on arcsinh, they are)."""
        kept = [scale_for(ARCSINH, c) for c in gate.cofactors]
        shown = [self._plot_scale(c) for c in gate.channels]
        return convert_vertices(
            gate.kind, gate.vertices, lambda v, axis: _rescale(v, kept[axis], shown[axis])
        )

    def _kept_vertices(
        self, kind: str, channels: tuple[str, ...], vertices: list[tuple]
    ) -> list[tuple]:
        """A shape drawn on the plot in the coordinates gates are kept in."""
        kept = [scale_for(ARCSINH, self.cofactors.get(c)) for c in channels]
        shown = [self._plot_scale(c) for c in channels]
        return convert_vertices(
            kind, vertices, lambda v, axis: _rescale(v, shown[axis], kept[axis])
        )

    def show_axes(self, x_channel: str, y_channel: str) -> None:
        """Show the gates drawn on the plotted population and on these channels, with
        their names and shares, and title the plot with the population shown."""
        population = self.selected_gate()
        for gate in self.gates:
            shown = (
                gate.channels == (x_channel, y_channel)[: len(gate.channels)]
                and gate.parent == population
            )
            self.rois[gate.name].setVisible(shown)
            self.labels[gate.name].setVisible(shown)
        self._place_labels()
        self._title_plot()

    def _population_selected(self) -> None:
        self.show_axes(*self.plot.channels)
        self.population_changed.emit()

    def population_mask(self) -> np.ndarray | None:
        """The events of the selected gate (the population plotted); None: all events."""
        name = self.selected_gate()
        return None if name is None or self.membership is None else self.gate_mask(name)

    def selected_gate(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, 256) if items else None

    def gate(self, name: str) -> DrawnGate:
        return next(g for g in self.gates if g.name == name)

    def add_gate(
        self, kind: str, vertices: list | None = None, channel: str | None = None
    ) -> DrawnGate | None:
        """A new gate on the plot's current channels, under the selected gate (if any):
        given corners (a quadrant: its split point) in the plot's coordinates, or a shape
        in the middle of the view for the user to drag. A quadrant adds four gates; the
        first is returned. ``channel``: a range gate's, when not the plot's X (drawn on a
        histogram)."""
        x_channel, y_channel = self.plot.channels
        if not x_channel:
            self.error.emit("Open data first: gates are drawn on the gating plot.")
            return None
        label = self.name.text().strip() or f"gate{len(self.gates) + 1}"
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 6, (y1 - y0) / 6
        if vertices is None:
            vertices = {
                "polygon": [(cx - w, cy - h), (cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h)],
                "rectangle": [(cx - w, cx + w), (cy - h, cy + h)],
                "ellipse": [(cx, cy), (w, h), (0.0,)],
                "range": [(cx - w, cx + w)],
                "quadrant": [(cx, cy)],
            }[kind]
        channels = (channel or x_channel,) if kind == "range" else (x_channel, y_channel)
        cofactors = tuple(self.cofactors.get(c) for c in channels)
        parent = self.selected_gate()
        if kind == "quadrant":
            names = tuple(self.marker_names.get(c) or c for c in channels)
            (split,) = self._kept_vertices("polygon", channels, [tuple(vertices[0])])
            new = quadrant_gates(label, channels, cofactors, split, names, parent)
        else:
            vertices = self._kept_vertices(kind, channels, [tuple(v) for v in vertices])
            new = [DrawnGate(gate_id(label), kind, channels, cofactors, vertices, parent, label)]
        taken = {g.name for g in self.gates} | {g.label for g in self.gates}
        clash = next((g for g in new if g.name in taken or g.label in taken), None)
        if clash is not None:
            self.error.emit(f"There is already a gate named '{clash.label}'.")
            return None
        self.gates.extend(new)
        for gate in new:
            if gate.name not in self.rois:
                self._add_roi(gate)
        self.name.setText(f"gate{len(self.gates) + 1}")
        self.recompute()
        self.show_axes(*self.plot.channels)
        return new[0]

    def move_range(self, name: str, low: float, high: float) -> None:
        """A range gate dragged elsewhere (on a histogram), in plot coordinates."""
        gate = self.gate(name)
        gate.vertices = self._kept_vertices("range", gate.channels, [(low, high)])
        self._remove_roi(name)
        self._add_roi(gate)
        self.show_axes(*self.plot.channels)
        self.recompute()

    def start_polygon(self) -> None:
        """Draw a polygon by clicking its corners on the plot, closed by a double click
        (clicking Polygon again gives up)."""
        if self.corners is not None:
            self._stop_polygon()
            return
        if not self.plot.channels[0]:
            self.error.emit("Open data first: gates are drawn on the gating plot.")
            return
        self.corners = []
        self.plot.addItem(self.draft, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self.polygon_click)
        self.polygon_button.setText("Cancel polygon")
        self.drawing_note.setText(
            "Click the corners of the gate on the plot; double-click to close it."
        )

    def polygon_click(self, event: MouseClickEvent) -> None:
        """A corner where the plot was clicked; a double click closes the polygon."""
        if self.corners is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        corner = (float(point.x()), float(point.y()))
        if event.double():
            corners = self.corners
            self._stop_polygon()
            if len(corners) >= 3:
                self.add_gate("polygon", corners)
            return
        if not self.corners or corner != self.corners[-1]:
            self.corners.append(corner)
        xs, ys = zip(*self.corners, strict=True)
        self.draft.setData(list(xs), list(ys))

    def _stop_polygon(self) -> None:
        self.plot.scene().sigMouseClicked.disconnect(self.polygon_click)
        self.plot.removeItem(self.draft)
        self.draft.setData([], [])
        self.corners = None
        self.polygon_button.setText("Polygon")
        self.drawing_note.setText("")

    def set_gates(self, gates: list[DrawnGate]) -> None:
        """Replace the gates (e.g. loaded from Gating-ML) and draw them."""
        self.tree.clearSelection()  # the plot goes back to all events
        for name in list(self.rois):
            self._remove_roi(name)
        self.gates = list(gates)
        for gate in self.gates:
            if gate.name not in self.rois:
                self._add_roi(gate)
        self.show_axes(*self.plot.channels)
        self.recompute()

    def _add_roi(self, gate: DrawnGate) -> None:
        """Draw a gate (a quadrant: the marker of its whole set) with its label."""
        members = [g for g in self.gates if gate.quadrant and g.quadrant == gate.quadrant]
        if members:
            (x_bounds, y_bounds) = self.plot_vertices(members[1])  # Q2: (x+, y+)
            marker = QuadrantMarker((x_bounds[0], y_bounds[0]))
            for line in marker.lines:
                line.sigPositionChangeFinished.connect(
                    lambda _line, m=marker, q=members: self._split_moved(q, m)
                )
                self.plot.addItem(line)
            for member in members:
                self.rois[member.name] = marker
                self._add_label(member)
            return
        vertices = self.plot_vertices(gate)
        if gate.kind == "polygon":
            roi = pg.PolyLineROI(vertices, closed=True, pen=GATE_PEN)
        elif gate.kind == "range":
            roi = pg.LinearRegionItem(vertices[0], pen=GATE_PEN)
        elif gate.kind == "ellipse":
            (cx, cy), (a, b), (angle,) = vertices
            corner = np.array([cx, cy]) - _rotate((a, b), angle)
            roi = pg.EllipseROI(
                tuple(corner), (2 * a, 2 * b), angle=np.degrees(angle), pen=GATE_PEN
            )
        else:
            (x0, x1), (y0, y1) = vertices
            roi = pg.RectROI((x0, y0), (x1 - x0, y1 - y0), pen=GATE_PEN)
        roi.sigRegionChangeFinished.connect(lambda r, g=gate: self._moved(g, r))
        self.plot.addItem(roi)
        self.rois[gate.name] = roi
        self._add_label(gate)

    def _add_label(self, gate: DrawnGate) -> None:
        anchor = {1: (1, 1), 2: (0, 1), 3: (0, 0), 4: (1, 0)}.get(_quadrant_number(gate), (0, 1))
        label = pg.TextItem("", color=GATE_TEXT, anchor=anchor)
        self.plot.addItem(label, ignoreBounds=True)
        self.labels[gate.name] = label

    def _remove_roi(self, name: str) -> None:
        roi = self.rois.pop(name, None)
        items = roi.lines if isinstance(roi, QuadrantMarker) else (roi,)
        for item in items:
            if item is not None and item.scene() is not None:
                self.plot.removeItem(item)
        label = self.labels.pop(name, None)
        if label is not None:
            self.plot.removeItem(label)

    def _split_moved(self, members: list[DrawnGate], marker: QuadrantMarker) -> None:
        ((x, y),) = self._kept_vertices("polygon", members[0].channels, [marker.split()])
        for member in members:
            (x_low, x_high), (y_low, y_high) = member.vertices
            member.vertices = [
                (None, x) if x_low is None else (x, None),
                (None, y) if y_low is None else (y, None),
            ]
        self.recompute()

    def _moved(self, gate: DrawnGate, roi: pg.ROI) -> None:
        """A shape dragged on the plot: its new place, in the coordinates kept."""
        if gate.kind == "polygon":
            shape = [
                (p.x(), p.y()) for p in (roi.mapToParent(h["item"].pos()) for h in roi.handles)
            ]
        elif gate.kind == "range":
            shape = [tuple(roi.getRegion())]
        elif gate.kind == "ellipse":
            w, h = roi.size()
            angle = float(np.radians(roi.angle()))
            centre = np.array(roi.pos()) + _rotate((w / 2, h / 2), angle)
            shape = [tuple(float(c) for c in centre), (w / 2, h / 2), (angle,)]
        else:
            x, y = roi.pos()
            w, h = roi.size()
            shape = [(x, x + w), (y, y + h)]
        gate.vertices = self._kept_vertices(gate.kind, gate.channels, shape)
        self.recompute()

    def delete_selected(self) -> None:
        name = self.selected_gate()
        if name is None:
            return
        quadrant = self.gate(name).quadrant
        doomed = {
            g.name for g in self.gates if g.name == name or (quadrant and g.quadrant == quadrant)
        }
        for gate in self.gates:  # children go with their parent
            if gate.parent in doomed:
                doomed.add(gate.name)
        for gate_name in doomed:
            self._remove_roi(gate_name)
        self.gates = [g for g in self.gates if g.name not in doomed]
        self.recompute()

    def recompute(self) -> None:
        """Event counts and % of parent of every gate, from the core."""
        self.membership = None
        if self.gates and self.events is not None:
            try:
                self.membership = drawn_gate_membership(self.gates, self.events)
            except CytomoeError as error:
                self.error.emit(str(error))
        self._fill_tree()
        self.gates_changed.emit()

    def counts(self, name: str) -> tuple[int, float]:
        """Events of a gate among those counted, and its % of its parent."""
        if self.membership is None or name not in self.membership:
            return 0, 0.0
        counted = self._counted()
        gate = self.gate(name)
        count = int((self.membership[name].to_numpy() & counted).sum())
        parent_count = (
            int((self.membership[gate.parent].to_numpy() & counted).sum())
            if gate.parent
            else int(counted.sum())
        )
        return count, 100 * count / parent_count if parent_count else 0.0

    def _fill_tree(self) -> None:
        selected = self.selected_gate()
        self.tree.blockSignals(True)
        self.tree.clear()
        items: dict[str, QTreeWidgetItem] = {}
        for gate in self.gates:
            count, share = self.counts(gate.name)
            item = QTreeWidgetItem([gate.label, f"{count:,}", f"{share:.1f}"])
            item.setData(0, 256, gate.name)
            if gate.label != gate.name:
                item.setToolTip(0, f"Gating-ML id: {gate.name}")
            if gate.parent in items:
                items[gate.parent].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[gate.name] = item
            self.labels[gate.name].setText(f"{gate.label}\n{share:.1f}%")
        self.tree.expandAll()
        if selected in items:
            items[selected].setSelected(True)
        self.tree.blockSignals(False)
        self._place_labels()
        self._title_plot()
        if selected is not None and selected not in items:  # deleted: all events again
            self._population_selected()

    def _place_labels(self) -> None:
        """Each gate's name and % beside its shape: above a shape's top left corner, in
        its corner of the cross for a quadrant."""
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        for gate in self.gates:
            label = self.labels[gate.name]
            if not label.isVisible():
                continue
            if gate.quadrant:
                label.setPos(*self.rois[gate.name].split())
                continue
            vertices = self.plot_vertices(gate)
            if gate.kind == "range":
                label.setPos(vertices[0][0], y1)
                label.setAnchor((0, 0))
            elif gate.kind == "ellipse":
                (cx, cy), (a, b), _ = vertices
                label.setPos(cx - max(a, b), cy + max(a, b))
            elif gate.kind == "polygon":
                xs, ys = zip(*vertices, strict=True)
                label.setPos(min(xs), max(ys))
            else:
                (left, _), (_, top) = vertices
                label.setPos(x0 if left is None else left, y1 if top is None else top)

    def _title_plot(self) -> None:
        """The plot's title says which population it shows and how many events it has."""
        name = self.selected_gate()
        if name is None or self.events is None:
            self.plot.setTitle(None)
            return
        lineage = []
        gate = self.gate(name)
        while gate is not None:
            lineage.insert(0, gate.label)
            gate = self.gate(gate.parent) if gate.parent else None
        count, share = self.counts(name)
        self.plot.setTitle(
            f"{' / '.join(lineage)}: {count:,} events ({share:.1f}% of parent)", color="#333"
        )

    def _counted(self) -> np.ndarray:
        n = 0 if self.events is None else len(self.events)
        return np.ones(n, dtype=bool) if self.visible is None else self.visible

    def gate_mask(self, name: str) -> np.ndarray:
        return self.membership[name].to_numpy()


def _rotate(vector: tuple[float, float], angle: float) -> np.ndarray:
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([cos * vector[0] - sin * vector[1], sin * vector[0] + cos * vector[1]])


def _quadrant_number(gate: DrawnGate) -> int:
    """1 to 4 for a quadrant's gates (Q1 top left, clockwise), 0 for any other gate."""
    if not gate.quadrant:
        return 0
    (x_low, _), (y_low, _) = gate.vertices
    return {(False, True): 1, (True, True): 2, (True, False): 3, (False, False): 4}[
        (x_low is not None, y_low is not None)
    ]


def _rescale(value: float | None, source: DisplayScale, target: DisplayScale) -> float | None:
    """A coordinate on one scale moved onto another (the same instrument value)."""
    if value is None or source == target:
        return value
    return float(target.forward(source.inverse(np.array(value, dtype=np.float64))))


def convert_vertices(
    kind: str, vertices: list[tuple], convert: Callable[[float | None, int], float | None]
) -> list[tuple]:
    """A gate's vertices with every coordinate converted (``convert(value, axis)``).
    Another scale bends an ellipse; it keeps its centre and the ends of its axes."""
    if kind == "polygon":
        return [tuple(convert(v, axis) for axis, v in enumerate(vertex)) for vertex in vertices]
    if kind == "ellipse":
        centre, half_axes, (angle,) = vertices
        axes = (
            half_axes[0] * np.array([np.cos(angle), np.sin(angle)]),
            half_axes[1] * np.array([-np.sin(angle), np.cos(angle)]),
        )
        moved = np.array([convert(v, axis) for axis, v in enumerate(centre)])
        ends = [
            np.array([convert(v, axis) for axis, v in enumerate(np.add(centre, end))])
            for end in axes
        ]
        long_axis = ends[0] - moved
        return [
            tuple(float(v) for v in moved),
            (float(np.hypot(*long_axis)), float(np.hypot(*(ends[1] - moved)))),
            (float(np.arctan2(long_axis[1], long_axis[0])),),
        ]
    return [tuple(convert(v, axis) for v in bounds) for axis, bounds in enumerate(vertices)]
