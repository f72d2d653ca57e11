"""Drawing gates in the real window (offscreen): a rectangle and a polygon nested in it,
live counts, Gating-ML round trip, gated events exported and re-read."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.evaluation.gates import drawn_gate_membership, load_gates  # noqa: E402
from cytomoe.core.io.fcs import read_fcs  # noqa: E402
from cytomoe.core.io.plate import SAMPLE  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402
from cytomoe.gui.marker_panel import COFACTOR  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def window(window_on_68983):
    win = window_on_68983
    channels = win.plate.channels
    win.x_channel.setCurrentIndex(channels.index("FSC-A"))
    win.y_channel.setCurrentIndex(channels.index("SSC-A"))
    return win


def draw(win, channel_x, channel_y, kind, vertices, name, under_first_gate=False):
    """Show two channels and draw a gate there, under the first gate if asked."""
    win.x_channel.setCurrentIndex(win.plate.channels.index(channel_x))
    win.y_channel.setCurrentIndex(win.plate.channels.index(channel_y))
    editor = win.gate_editor
    editor.tree.clearSelection()
    if under_first_gate:
        editor.tree.topLevelItem(0).setSelected(True)
    editor.name.setText(name)
    return editor.add_gate(kind, vertices)


def test_drawn_gates_count_live_nest_and_export(window, tmp_path):
    editor = window.gate_editor
    cells = draw(window, "FSC-A", "SSC-A", "rectangle", [(80_000, 200_000), (0, 120_000)], "cells")
    assert cells is not None and not window.errors
    cd4 = draw(
        window,
        "PE-Cy7-A",
        "PE-Texas Red-A",
        "polygon",
        [(2.0, 2.0), (6.0, 2.0), (6.0, 6.5), (2.0, 6.5)],
        "CD4_T",
        under_first_gate=True,
    )
    assert cd4.parent == "cells"
    counts = editor.membership.sum()
    assert 0 < counts["CD4_T"] < counts["cells"] < len(window.events)
    child = editor.tree.topLevelItem(0).child(0)
    assert child.text(0) == "CD4_T" and child.text(1) == f"{counts['CD4_T']:,}"
    expected_share = 100 * counts["CD4_T"] / counts["cells"]
    assert child.text(2) == f"{expected_share:.1f}"
    # Shown only on its own axes.
    assert editor.rois["CD4_T"].isVisible() and not editor.rois["cells"].isVisible()

    # Moving the polygon updates the counts.
    editor.rois["CD4_T"].translate((3.0, 0.0))
    editor.rois["CD4_T"].sigRegionChangeFinished.emit(editor.rois["CD4_T"])
    assert editor.membership["CD4_T"].sum() != counts["CD4_T"]

    # Gating-ML round trip gives the same populations and the same events.
    from cytomoe.core.evaluation.gates import save_drawn_gates

    save_drawn_gates(editor.gates, tmp_path / "gates.xml", compensated=False)
    reloaded = load_gates(tmp_path / "gates.xml")
    assert [p.name for p in reloaded.populations] == ["cells", "CD4_T"]
    again = reloaded.event_membership(window.events)
    assert again.equals(drawn_gate_membership(editor.gates, window.events))

    # Loading the saved file brings the same gates back into the editor.
    before = editor.membership.copy()
    window.load_gates_file(str(tmp_path / "gates.xml"))
    assert [g.name for g in editor.gates] == ["cells", "CD4_T"]
    assert editor.membership.equals(before)

    # Export the gated events and re-read them.
    window.exports.write_gated("CD4_T", in_cluster=False, path=str(tmp_path / "cd4.fcs"))
    (exported,) = read_fcs(tmp_path / "cd4.fcs")
    assert exported.n_events == int(editor.membership["CD4_T"].sum())
    raw = window.plate.samples[0].events[editor.membership["CD4_T"].to_numpy()]
    assert np.array_equal(exported.events, raw)
    assert not window.errors


def test_a_gate_name_with_spaces_and_plus_is_kept_beside_its_gatingml_id(window):
    window.gate_editor.name.setText("CD4+ T cells")
    gate = window.gate_editor.add_gate("rectangle")
    assert (gate.name, gate.label) == ("CD4pos_T_cells", "CD4+ T cells")
    assert window.gate_editor.tree.topLevelItem(0).text(0) == "CD4+ T cells"
    assert not window.errors


def test_a_gate_follows_its_events_when_the_cofactor_changes(window):
    editor = window.gate_editor
    gate = draw(window, "PE-Cy7-A", "PE-Texas Red-A", "rectangle", [(2.0, 6.0), (2.0, 6.5)], "cd4")
    count = editor.membership["cd4"].sum()
    old = window.panel.cofactors["PE-Cy7-A"]
    row = window.panel.channels.index("PE-Cy7-A")
    window.marker_panel.table.item(row, COFACTOR).setText(f"{4 * old:g}")
    expected = [float(np.arcsinh(np.sinh(v) / 4)) for v in (2.0, 6.0)]
    assert gate.vertices[0] == pytest.approx(expected, rel=1e-5)
    assert editor.rois["cd4"].pos()[0] == pytest.approx(expected[0], rel=1e-5)
    assert editor.membership["cd4"].sum() == count


def test_selecting_a_gate_plots_only_its_events(window):
    draw(window, "FSC-A", "SSC-A", "rectangle", [(80_000, 200_000), (0, 120_000)], "cells")
    window.gate_editor.tree.topLevelItem(0).setSelected(True)
    plotted, _, _ = window._shown
    assert len(plotted) == window.gate_editor.membership["cells"].sum() < len(window.events)


def test_opening_another_plate_removes_the_gates(qtbot, window, shared_data):
    draw(window, "FSC-A", "SSC-A", "rectangle", [(80_000, 200_000), (0, 120_000)], "cells")
    roi = window.gate_editor.rois["cells"]
    window.open_paths([str(shared_data / "plates/yeast/Yeast_B1_B01.fcs")])
    qtbot.waitUntil(lambda: window.plate.wells == ["B1"] and window.worker is None, timeout=30_000)
    assert window.gate_editor.gates == []
    assert roi not in window.gating_plot.getPlotItem().items


def test_gate_counts_only_the_events_of_the_selected_wells(qtbot, shared_data, monkeypatch):
    win = MainWindow()
    qtbot.addWidget(win)
    monkeypatch.setattr(win, "show_error", lambda message: pytest.fail(message))
    win.open_paths([str(shared_data / "plates/yeast")])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=60_000)
    (x0, x1), (y0, y1) = win.gating_plot.getViewBox().viewRange()
    win.gate_editor.name.setText("everything")
    win.gate_editor.add_gate("rectangle", [(x0, x1), (y0, y1)])
    win.plate_view.samples.selectRow(0)
    in_gate = win.gate_editor.membership["everything"].to_numpy()
    in_well = win.events[SAMPLE].to_numpy() == 0
    expected = int((in_gate & in_well).sum())
    assert 0 < expected < in_gate.sum()
    assert win.gate_editor.tree.topLevelItem(0).text(1) == f"{expected:,}"
