"""Compensation in the window (offscreen): the toggle recomputes the events, plots and
gates; the spillover matrix in use is shown."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.gui.compensation_view import SpilloverDialog  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui


def opened(qtbot, monkeypatch, path):
    win = MainWindow()
    monkeypatch.setattr(win, "show_error", lambda message: pytest.fail(message))
    qtbot.addWidget(win)
    win.open_paths([str(path)])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    return win


@pytest.fixture
def window(qtbot, monkeypatch, shared_data):
    return opened(qtbot, monkeypatch, shared_data / "labeled/flowsom_68983/68983.fcs")


def test_turning_compensation_off_plots_and_gates_the_raw_values(window):
    channel = "PE-Cy7-A"
    window.x_channel.setCurrentIndex(window.plate.channels.index(channel))
    assert window.marker_panel.compensate.isChecked()
    window.gate_editor.add_gate("range", [(3.0, 6.0)])
    compensated_count = window.gate_editor.counts("gate1")[0]
    compensated = window._shown[0].copy()
    window.marker_panel.compensate.setChecked(False)
    assert not window.panel.compensate
    raw = window.plate.events(compensate_spillover=False)[channel].to_numpy()
    assert np.array_equal(window.events[channel].to_numpy(), raw)
    assert not np.allclose(window._shown[0], compensated)
    assert window.gate_editor.counts("gate1")[0] != compensated_count


def test_the_spillover_in_use_is_shown_as_a_table_in_percent(window):
    sample = window.plate.samples[0]
    dialog = SpilloverDialog(sample.spillover, True, sample.name, window.panel.markers)
    n = len(sample.spillover)
    assert (dialog.table.rowCount(), dialog.table.columnCount()) == (n, n)
    value = sample.spillover.to_numpy()[0, 1]
    assert dialog.table.item(0, 1).text() == f"{100 * value:.1f}"
    assert "applied to" in dialog.note.text()
    assert window.marker_panel.spillover is sample.spillover


def test_files_without_spillover_leave_the_toggle_off(qtbot, monkeypatch):
    from cytomoe.core.analysis.demo import demo_settings

    win = opened(qtbot, monkeypatch, demo_settings().inputs[0])  # a table: no spillover
    assert not win.marker_panel.compensate.isEnabled()
    dialog = SpilloverDialog(None, False, "")
    assert "no spillover" in dialog.note.text()
