"""Drawing gates in the real window (offscreen): a rectangle and a polygon nested in it,
live counts, Gating-ML round trip, gated events exported and re-read."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.evaluation.gates import drawn_gate_membership, load_gates  # noqa: E402
from cytomoe.core.io.fcs import read_fcs  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, monkeypatch, shared_data):
    win = MainWindow()
    errors = []
    monkeypatch.setattr(win, "show_error", errors.append)
    win.errors = errors
    qtbot.addWidget(win)
    win.open_paths([str(shared_data / "labeled/flowsom_68983/68983.fcs")])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
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
    window.write_gated("CD4_T", in_cluster=False, path=str(tmp_path / "cd4.fcs"))
    (exported,) = read_fcs(tmp_path / "cd4.fcs")
    assert exported.n_events == int(editor.membership["CD4_T"].sum())
    raw = window.plate.samples[0].events[editor.membership["CD4_T"].to_numpy()]
    assert np.array_equal(exported.events, raw)
    assert not window.errors


def test_invalid_gate_name_is_refused_with_a_suggestion(window):
    window.gate_editor.name.setText("CD4+ T cells")
    assert window.gate_editor.add_gate("rectangle") is None
    assert window.errors and "CD4pos_T_cells" in window.errors[0]
    assert window.gate_editor.gates == []
