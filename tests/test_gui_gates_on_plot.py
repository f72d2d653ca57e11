"""Population-based gating on the real window (offscreen): quadrant, ellipse and range
gates, each gate's name and % drawn on the plot, the plot titled with the population."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, Qt  # noqa: E402

from cytomoe.core.analysis.analysis_file import LabelSource  # noqa: E402
from cytomoe.core.analysis.session import DRAWN  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def window(window_on_68983):
    win = window_on_68983
    show(win, "PE-Cy7-A", "PE-Texas Red-A")
    return win


def show(win, x, y):
    win.x_channel.setCurrentIndex(win.plate.channels.index(x))
    win.y_channel.setCurrentIndex(win.plate.channels.index(y))


def test_a_quadrant_gate_splits_the_events_into_four_populations_named_by_marker(window):
    editor = window.gate_editor
    editor.name.setText("T cells")
    editor.add_gate("quadrant", [(3.0, 3.5)])
    assert len(editor.gates) == 4
    counts = [editor.counts(g.name)[0] for g in editor.gates]
    assert sum(counts) == len(window.events) and min(counts) > 0
    marker = window.panel.display_name("PE-Cy7-A")
    assert editor.gates[1].label.startswith(f"Q2: {marker}+")
    assert not window.errors


def test_dragging_the_quadrant_cross_moves_all_four_quadrants(window):
    editor = window.gate_editor
    editor.add_gate("quadrant", [(3.0, 3.5)])
    before = editor.counts(editor.gates[1].name)[0]
    marker = editor.rois[editor.gates[0].name]
    marker.vertical.setValue(4.0)
    marker.vertical.sigPositionChangeFinished.emit(marker.vertical)
    assert all(g.vertices[0][0] == 4.0 or g.vertices[0][1] == 4.0 for g in editor.gates)
    assert editor.counts(editor.gates[1].name)[0] < before
    assert sum(editor.counts(g.name)[0] for g in editor.gates) == len(window.events)


def test_an_ellipse_gate_counts_the_events_inside_it(window):
    editor = window.gate_editor
    editor.name.setText("round")
    gate = editor.add_gate("ellipse", [(4.0, 4.0), (1.0, 0.5), (0.3,)])
    count, share = editor.counts(gate.name)
    assert 0 < count < len(window.events)
    assert share == pytest.approx(100 * count / len(window.events))


def test_a_range_gate_lies_on_the_x_channel_only(window):
    editor = window.gate_editor
    gate = editor.add_gate("range", [(3.0, 6.0)])
    assert gate.channels == ("PE-Cy7-A",)
    x = window.display_values("PE-Cy7-A")
    expected = int(((x >= 3.0) & (x <= 6.0)).sum())
    assert abs(editor.counts(gate.name)[0] - expected) <= 0.001 * len(x)


def test_each_gate_shows_its_name_and_share_on_the_plot(window):
    editor = window.gate_editor
    editor.name.setText("CD4+ T cells")
    gate = editor.add_gate("rectangle", [(2.0, 6.0), (2.0, 6.5)])
    label = editor.labels[gate.name]
    _, share = editor.counts(gate.name)
    assert label.isVisible()
    assert label.textItem.toPlainText() == f"CD4+ T cells\n{share:.1f}%"
    show(window, "FSC-A", "SSC-A")  # another pair of channels: the gate and its label go
    assert not label.isVisible()


def test_the_plot_is_titled_with_the_population_it_shows(window):
    editor = window.gate_editor
    editor.name.setText("CD4+ T cells")
    gate = editor.add_gate("rectangle", [(2.0, 6.0), (2.0, 6.5)])
    editor.tree.topLevelItem(0).setSelected(True)
    title = window.gating_plot.getPlotItem().titleLabel.text
    count, _ = editor.counts(gate.name)
    assert "CD4+ T cells" in title and f"{count:,} events" in title
    plotted, _, _ = window._shown
    assert len(plotted) == count


def test_a_gate_keeps_its_events_on_logicle_axes(window):
    editor = window.gate_editor
    gate = editor.add_gate("rectangle", [(2.0, 6.0), (2.0, 6.5)])
    count = editor.counts(gate.name)[0]
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("logicle"))
    roi = editor.rois[gate.name]
    assert roi.isVisible()
    scale = window.display_scale("PE-Cy7-A")
    expected = float(scale.forward(np.array(150 * np.sinh(2.0))))
    assert roi.pos()[0] == pytest.approx(expected, rel=1e-4)
    assert editor.counts(gate.name)[0] == count  # the same events
    roi.setPos(roi.pos())  # dragged nowhere: the gate's bounds stay
    roi.sigRegionChangeFinished.emit(roi)
    assert gate.vertices[0] == pytest.approx((2.0, 6.0), rel=1e-4)


def test_a_gate_drawn_on_logicle_axes_holds_the_instrument_values_it_spans(window):
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("logicle"))
    editor = window.gate_editor
    scale = window.display_scale("PE-Cy7-A")
    low, high = (float(v) for v in scale.forward(np.array([500.0, 20_000.0])))
    gate = editor.add_gate("range", [(low, high)])
    values = window.events["PE-Cy7-A"].to_numpy()
    expected = int(((values >= 500) & (values <= 20_000)).sum())
    assert abs(editor.counts(gate.name)[0] - expected) <= 0.001 * len(values)
    assert not window.errors


def test_gates_of_every_kind_survive_a_gatingml_round_trip(window, tmp_path):
    editor = window.gate_editor
    editor.add_gate("quadrant", [(3.0, 3.5)])
    editor.name.setText("round")
    editor.add_gate("ellipse", [(4.0, 4.0), (1.0, 0.5), (0.3,)])
    before = {g.name: editor.counts(g.name)[0] for g in editor.gates}
    path = tmp_path / "gates.xml"
    from cytomoe.core.evaluation.gates import save_drawn_gates

    save_drawn_gates(editor.gates, path, window.panel.compensate)
    window.load_gates_file(str(path))
    assert {g.name: editor.counts(g.name)[0] for g in editor.gates} == before
    assert len({id(editor.rois[g.name]) for g in editor.gates if g.quadrant}) == 1
    assert not window.errors
    assert np.isfinite([editor.counts(g.name)[1] for g in editor.gates]).all()


class Click:
    """A mouse click on the plot at a point of the data (as pyqtgraph reports it)."""

    def __init__(self, plot, x, y, double=False):
        self._position = plot.getViewBox().mapViewToScene(QPointF(x, y))
        self._double = double

    def scenePos(self):  # noqa: N802
        return self._position

    def button(self):
        return Qt.MouseButton.LeftButton

    def double(self):
        return self._double


def test_a_polygon_is_drawn_by_clicking_its_corners_and_closed_by_a_double_click(window):
    editor = window.gate_editor
    plot = window.gating_plot
    editor.name.setText("CD4+ T cells")
    editor.polygon_button.click()
    corners = [(2.0, 2.0), (6.0, 2.0), (6.0, 6.5), (2.0, 6.5)]
    for x, y in corners:
        editor.polygon_click(Click(plot, x, y))
    assert len(editor.draft.getData()[0]) == 4 and editor.gates == []
    editor.polygon_click(Click(plot, *corners[-1], double=True))
    (gate,) = editor.gates
    assert (gate.kind, gate.label) == ("polygon", "CD4+ T cells")
    assert np.allclose(gate.vertices, corners, atol=0.02)
    assert editor.corners is None and editor.draft not in plot.getPlotItem().items
    assert editor.counts(gate.name)[0] > 0


def test_clicking_polygon_again_gives_up_the_polygon(window):
    editor = window.gate_editor
    editor.polygon_button.click()
    editor.polygon_click(Click(window.gating_plot, 2.0, 2.0))
    editor.polygon_button.click()
    assert editor.corners is None and editor.gates == []
    assert editor.polygon_button.text() == "Polygon"


def test_drawn_gates_label_the_events_by_their_display_names(window):
    editor = window.gate_editor
    editor.name.setText("CD4+ T cells")
    editor.add_gate("rectangle", [(2.0, 6.0), (2.0, 6.5)])
    labels = window.session.truth_labels(LabelSource(DRAWN, "gates drawn here"))
    assert set(labels.dropna()) == {"CD4+ T cells"}
    assert labels.notna().sum() == editor.counts("CD4pos_T_cells")[0]
