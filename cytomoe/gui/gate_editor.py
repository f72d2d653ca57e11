"""Drawing gates on the gating plot: polygon, rectangle and range gates, named, nested
under a parent, editable, with live event counts and % of parent, in a gate tree.

As in FlowJo, the gating plot shows one population, the gate selected in the tree (all
events when none is): its events, and the gates drawn on it (its children) where the plot
shows their channels. A new gate goes under that population.
"""

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cytomoe.core.errors import CytomoeError
from cytomoe.core.evaluation.display_scale import ARCSINH
from cytomoe.core.evaluation.gates import DrawnGate, drawn_gate_membership, gate_id
from cytomoe.core.preprocessing.transform import arcsinh, inverse_arcsinh

GATE_PEN = pg.mkPen("#c2185b", width=2)


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
        self.gates: list[DrawnGate] = []
        self.rois: dict[str, pg.ROI] = {}
        self.membership: pd.DataFrame | None = None
        self.events: pd.DataFrame | None = None
        self.cofactors: dict[str, float | None] = {}
        self.visible: np.ndarray | None = None  # events counted (the wells shown); None: all
        self.scale_kind = ARCSINH  # gates are drawn and kept on arcsinh (or linear) axes
        self.name = QLineEdit("gate1")
        self.name.setToolTip("Gate name (letters, digits, _ - .)")
        buttons = QHBoxLayout()
        self.polygon_button = QPushButton("Polygon")
        self.rectangle_button = QPushButton("Rectangle")
        self.delete_button = QPushButton("Delete")
        for button in (self.polygon_button, self.rectangle_button, self.delete_button):
            buttons.addWidget(button)
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
        self.polygon_button.clicked.connect(lambda: self.add_gate("polygon"))
        self.rectangle_button.clicked.connect(lambda: self.add_gate("rectangle"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Population", "Events", "% of parent"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemSelectionChanged.connect(self._population_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addLayout(buttons)
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
            self.plot.removeItem(self.rois.pop(gate.name))
            self._add_roi(gate)
        if moved:
            self.show_axes(*self.plot.channels)
            self.recompute()

    def _reexpress(self, gate: DrawnGate) -> bool:
        current = tuple(self.cofactors.get(c) for c in gate.channels)
        if current == gate.cofactors:
            return False

        def convert(value: float | None, axis: int) -> float | None:
            if value is None:
                return None
            channel = [gate.channels[axis]]
            instrument = inverse_arcsinh([[value]], channel, gate.cofactors[axis])
            return float(arcsinh(instrument, channel, current[axis])[0, 0])

        if gate.kind == "polygon":
            gate.vertices = [
                tuple(convert(v, axis) for axis, v in enumerate(vertex)) for vertex in gate.vertices
            ]
        else:  # rectangle and range: (min, max) per axis
            gate.vertices = [
                tuple(convert(v, axis) for v in bounds) for axis, bounds in enumerate(gate.vertices)
            ]
        gate.cofactors = current
        return True

    def set_scale_kind(self, kind: str) -> None:
        """The plot's scale for transformed channels. Gates live in arcsinh coordinates,
        so on logicle axes they are hidden and none can be drawn."""
        if kind != self.scale_kind:
            self.scale_kind = kind
            self.show_axes(*self.plot.channels)

    def show_axes(self, x_channel: str, y_channel: str) -> None:
        """Show the gates drawn on the plotted population and on these channels."""
        population = self.selected_gate()
        for gate in self.gates:
            shown = (
                self.scale_kind == ARCSINH
                and gate.channels == (x_channel, y_channel)[: len(gate.channels)]
                and gate.parent == population
            )
            self.rois[gate.name].setVisible(shown)

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

    def add_gate(self, kind: str, vertices: list | None = None) -> DrawnGate | None:
        """A new gate on the plot's current channels, under the selected gate (if any):
        given corners, or a shape in the middle of the view for the user to drag."""
        x_channel, y_channel = self.plot.channels
        if not x_channel:
            self.error.emit("Open data first: gates are drawn on the gating plot.")
            return None
        if self.scale_kind != ARCSINH:
            self.error.emit("Gates are drawn on arcsinh axes: choose arcsinh beside X and Y.")
            return None
        name = self.name.text().strip() or f"gate{len(self.gates) + 1}"
        if name in {g.name for g in self.gates}:
            self.error.emit(f"There is already a gate named '{name}'.")
            return None
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if vertices is None:
            cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 6, (y1 - y0) / 6
            vertices = (
                [(cx - w, cy - h), (cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h)]
                if kind == "polygon"
                else [(cx - w, cx + w), (cy - h, cy + h)]
            )
        try:
            gate = DrawnGate(
                name,
                kind,
                (x_channel, y_channel),
                (self.cofactors.get(x_channel), self.cofactors.get(y_channel)),
                [tuple(v) for v in vertices],
                parent=self.selected_gate(),
            )
        except CytomoeError as error:
            self.error.emit(str(error))
            self.name.setText(gate_id(name))
            return None
        self.gates.append(gate)
        self._add_roi(gate)
        self.name.setText(f"gate{len(self.gates) + 1}")
        self.recompute()
        return gate

    def set_gates(self, gates: list[DrawnGate]) -> None:
        """Replace the gates (e.g. loaded from Gating-ML) and draw them."""
        self.tree.clearSelection()  # the plot goes back to all events
        for roi in self.rois.values():
            self.plot.removeItem(roi)
        self.rois = {}
        self.gates = list(gates)
        for gate in self.gates:
            self._add_roi(gate)
        self.show_axes(*self.plot.channels)
        self.recompute()

    def _add_roi(self, gate: DrawnGate) -> None:
        if gate.kind == "polygon":
            roi = pg.PolyLineROI(gate.vertices, closed=True, pen=GATE_PEN)
        elif gate.kind == "range":
            roi = pg.LinearRegionItem(gate.vertices[0], pen=GATE_PEN)
        else:
            (x0, x1), (y0, y1) = gate.vertices
            roi = pg.RectROI((x0, y0), (x1 - x0, y1 - y0), pen=GATE_PEN)
        roi.sigRegionChangeFinished.connect(lambda r, g=gate: self._moved(g, r))
        self.plot.addItem(roi)
        self.rois[gate.name] = roi

    def _moved(self, gate: DrawnGate, roi: pg.ROI) -> None:
        if gate.kind == "polygon":
            gate.vertices = [
                (p.x(), p.y()) for p in (roi.mapToParent(h["item"].pos()) for h in roi.handles)
            ]
        elif gate.kind == "range":
            gate.vertices = [tuple(roi.getRegion())]
        else:
            x, y = roi.pos()
            w, h = roi.size()
            gate.vertices = [(x, x + w), (y, y + h)]
        self.recompute()

    def delete_selected(self) -> None:
        name = self.selected_gate()
        if name is None:
            return
        doomed = {name}
        for gate in self.gates:  # children go with their parent
            if gate.parent in doomed:
                doomed.add(gate.name)
        for gate_name in doomed:
            self.plot.removeItem(self.rois.pop(gate_name))
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

    def _fill_tree(self) -> None:
        selected = self.selected_gate()
        self.tree.blockSignals(True)
        self.tree.clear()
        items: dict[str, QTreeWidgetItem] = {}
        counted = self._counted()
        total = 0 if self.events is None else int(counted.sum())
        for gate in self.gates:
            count = (
                int((self.membership[gate.name].to_numpy() & counted).sum())
                if self.membership is not None
                else 0
            )
            parent_count = (
                int((self.membership[gate.parent].to_numpy() & counted).sum())
                if gate.parent and self.membership is not None
                else total
            )
            share = 100 * count / parent_count if parent_count else 0.0
            item = QTreeWidgetItem([gate.name, f"{count:,}", f"{share:.1f}"])
            item.setData(0, 256, gate.name)
            if gate.parent in items:
                items[gate.parent].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[gate.name] = item
        self.tree.expandAll()
        if selected in items:
            items[selected].setSelected(True)
        self.tree.blockSignals(False)
        if selected is not None and selected not in items:  # deleted: all events again
            self._population_selected()

    def _counted(self) -> np.ndarray:
        n = 0 if self.events is None else len(self.events)
        return np.ones(n, dtype=bool) if self.visible is None else self.visible

    def gate_mask(self, name: str) -> np.ndarray:
        return self.membership[name].to_numpy()
