"""1-D histograms in the real window (offscreen): one marker, all events or one curve per
cluster, gate or well, drawn only when their tab is shown."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from cytomoe.gui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui


def opened(qtbot, monkeypatch, paths=None):
    win = MainWindow()
    monkeypatch.setattr(win, "show_error", lambda message: pytest.fail(message))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    qtbot.addWidget(win)
    win.open_demo() if paths is None else win.open_paths(paths)
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=60_000)
    win.show()
    qtbot.waitExposed(win)
    return win


def heights(view, name, normalised=False):
    view.normalise.setChecked(normalised)
    curve = next(c for key, c in view.curves.items() if key == name)
    return curve.getData()[1]


def choose(view, split):
    view.split.setCurrentIndex(view.split.findData(split))


@pytest.fixture
def window(qtbot, monkeypatch):
    win = opened(qtbot, monkeypatch)
    win.tabs.setCurrentWidget(win.histogram_view)
    return win


def test_the_histogram_shows_the_gating_plots_x_marker_over_its_events(window):
    view = window.histogram_view
    assert view.marker.currentData() == window.x_channel.currentData()
    counts = heights(view, "Events shown")
    assert 0.99 * len(window.events) <= counts.sum() <= len(window.events)
    assert view.plot.getPlotItem().getAxis("bottom").labelText == view.marker.currentText()


def test_normalised_curves_peak_at_a_hundred(window):
    assert heights(window.histogram_view, "Events shown", normalised=True).max() == 100


def test_one_curve_per_gate_named_as_the_gate(window):
    window.tabs.setCurrentIndex(0)
    editor = window.gate_editor
    editor.name.setText("CD3+ cells")
    gate = editor.add_gate("range", [(2.5, 6.0)])
    window.tabs.setCurrentWidget(window.histogram_view)
    view = window.histogram_view
    choose(view, "gates")
    assert list(view.curves) == ["CD3+ cells"]
    assert heights(view, "CD3+ cells").sum() <= editor.counts(gate.name)[0]


def test_one_curve_per_well_laid_over_each_other(qtbot, monkeypatch, shared_data):
    win = opened(qtbot, monkeypatch, [str(shared_data / "plates/yeast")])
    win.tabs.setCurrentWidget(win.histogram_view)
    view = win.histogram_view
    choose(view, "wells")
    assert len(view.curves) == len(win.plate.samples) == 24
    assert "B1" in view.curves and "C12" in view.curves


def test_without_a_model_the_cluster_split_says_to_train(window):
    view = window.histogram_view
    choose(view, "clusters")
    assert view.curves == {}
    assert "Train a model" in view.note.text()


def test_a_hidden_histogram_waits_for_its_tab(window):
    view = window.histogram_view
    window.tabs.setCurrentIndex(0)
    drawn = dict(view.curves)
    window.x_channel.setCurrentIndex(window.plate.channels.index("CD8"))
    assert view.curves == drawn and view.stale
    window.tabs.setCurrentWidget(view)
    assert not view.stale
    assert view.curves["Events shown"] is not drawn["Events shown"]
    assert np.isfinite(heights(view, "Events shown")).all()


def test_one_curve_per_cluster_holds_that_clusters_events(window, demo_result):
    result = demo_result
    window._trained(result)
    view = window.histogram_view
    choose(view, "clusters")
    assert len(view.curves) == result.model.n_clusters_
    for cluster in range(result.model.n_clusters_):
        size = int(np.sum(result.clusters == cluster))
        assert 0.98 * size <= heights(view, f"Cluster {cluster}").sum() <= size


def test_a_range_gate_drawn_on_the_histogram_gates_its_marker(qtbot, window):
    view = window.histogram_view
    view.marker.setCurrentIndex(view.marker.findData("CD8"))
    view.range_button.click()
    (gate,) = window.gate_editor.gates
    assert gate.kind == "range" and gate.channels == ("CD8",)
    assert list(view.regions) == [gate.name]
    low, high = view.regions[gate.name].getRegion()
    x = window.display_values("CD8")
    expected = int(((x >= low) & (x <= high)).sum())
    assert abs(window.gate_editor.counts(gate.name)[0] - expected) <= 0.002 * len(x)


def test_dragging_a_range_on_the_histogram_moves_the_gate(qtbot, window):
    view = window.histogram_view
    view.range_button.click()
    (gate,) = window.gate_editor.gates
    before = window.gate_editor.counts(gate.name)[0]
    region = view.regions[gate.name]
    low, high = region.getRegion()
    region.setRegion((low, high + 2.0))
    region.sigRegionChangeFinished.emit(region)
    qtbot.waitUntil(lambda: window.gate_editor.counts(gate.name)[0] > before)
    assert gate.vertices[0][1] == pytest.approx(high + 2.0, rel=1e-4)
