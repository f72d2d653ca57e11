"""The gating plot and the expert panels on the demo data (offscreen): axes in real
values with marker names, logicle, contours, expert panels drawn only when shown."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from cytomoe.core.evaluation.display_scale import decade_label, decade_ticks  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, monkeypatch):
    win = MainWindow()
    errors = []
    monkeypatch.setattr(win, "show_error", errors.append)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    win.errors = errors
    qtbot.addWidget(win)
    win.open_demo()
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    show(win, "CD3", "CD4")
    return win


def show(win, x, y):
    win.x_channel.setCurrentIndex(win.plate.channels.index(x))
    win.y_channel.setCurrentIndex(win.plate.channels.index(y))


def axis_labels(plot, side):
    axis = plot.getPlotItem().getAxis(side)
    low, high = axis.range
    spacing, values = axis.tickValues(low, high, 400)[0]
    return [text for text in axis.tickStrings(values, 1, spacing) if text]


def test_every_axis_is_named_by_its_marker(window):
    item = window.gating_plot.getPlotItem()
    assert item.getAxis("bottom").labelText == "CD3"
    assert item.getAxis("left").labelText == "CD4"


def test_arcsinh_axes_read_in_decades_of_instrument_values(window):
    labels = axis_labels(window.gating_plot, "bottom")
    assert "0" in labels and "10²" in labels
    decades = {"0"} | {decade_label(s * 10.0**k) for k in range(1, 7) for s in (1, -1)}
    assert set(labels) <= decades


def test_the_decades_sit_where_arcsinh_puts_them(window):
    axis = window.gating_plot.getPlotItem().getAxis("bottom")
    ticks = decade_ticks(axis.display_scale, *axis.range)
    position = dict((label, p) for p, label in ticks.major if label)["10²"]
    assert position == pytest.approx(np.arcsinh(100 / 5))


def test_logicle_redraws_the_events_and_its_axes(window):
    arcsinh_x, _, _ = window._shown
    window.scale_kind.setCurrentIndex(window.scale_kind.findData("logicle"))
    logicle_x, _, _ = window._shown
    assert window.gating_plot.scales[0].kind == "logicle"
    assert not np.allclose(arcsinh_x, logicle_x)
    assert "10²" in axis_labels(window.gating_plot, "bottom")
    assert "logicle" in window.scale_note.text()


def test_a_linear_scatter_axis_writes_thousands_as_k(qtbot, shared_data):
    win = MainWindow()
    qtbot.addWidget(win)
    win.open_paths([str(shared_data / "labeled/flowsom_68983/68983.fcs")])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    assert win.gating_plot.getPlotItem().getAxis("bottom").labelText == "FSC-A"
    assert any(label.endswith("K") for label in axis_labels(win.gating_plot, "bottom"))
    cd4 = win.plate.channels.index("PE-Cy7-A")
    win.x_channel.setCurrentIndex(cd4)
    name = win.panel.display_name("PE-Cy7-A")
    assert win.gating_plot.getPlotItem().getAxis("bottom").labelText == f"{name} (PE-Cy7-A)"


def test_the_contour_style_draws_equal_probability_lines(window):
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("contour"))
    plot = window.gating_plot
    assert len(plot.contours) == 9
    outliers = len(plot.dots[0].getData()[0])
    assert 0 < outliers < 0.2 * len(window.events)
    window.plot_options.style.setCurrentIndex(window.plot_options.style.findData("density"))
    assert plot.contours == []


@pytest.fixture(scope="module")
def demo_result():
    from dataclasses import replace

    from cytomoe.core.analysis.demo import demo_settings
    from cytomoe.core.analysis.pipeline import analyse

    settings = demo_settings()
    settings.model = replace(settings.model, iterations=40, n_train=2000)
    return analyse(settings)


def test_expert_panels_show_each_clusters_density_over_all_events(window, demo_result):
    window._trained(demo_result)
    window.tabs.setCurrentWidget(window.experts_tab)
    panels = window.expert_grid.panels
    assert len(panels) == demo_result.model.n_clusters_
    for cluster, panel in enumerate(panels):
        inside = np.nansum(np.expm1(panel.population_image.image))
        assert inside == pytest.approx(np.sum(demo_result.clusters == cluster), rel=0.05)
    assert panels[0].getPlotItem().getAxis("bottom").labelText == "CD3"


def test_a_plot_in_a_hidden_tab_draws_when_its_tab_is_shown(qtbot, window, demo_result):
    window._trained(demo_result)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.experts_tab)
    show(window, "CD19", "CD20")
    assert window.gating_plot.getPlotItem().getAxis("bottom").labelText == "CD3"  # not yet
    window.tabs.setCurrentIndex(0)
    assert window.gating_plot.getPlotItem().getAxis("bottom").labelText == "CD19"


def test_the_expert_grid_can_show_its_own_pair_of_markers(window, demo_result):
    window._trained(demo_result)
    window.tabs.setCurrentWidget(window.experts_tab)
    grid = window.expert_grid
    grid.x_pick.setCurrentIndex(grid.x_pick.findData("CD19"))
    grid.y_pick.setCurrentIndex(grid.y_pick.findData("CD20"))
    axes = grid.panels[0].getPlotItem()
    assert (axes.getAxis("bottom").labelText, axes.getAxis("left").labelText) == ("CD19", "CD20")
    assert window.gating_plot.getPlotItem().getAxis("bottom").labelText == "CD3"
    show(window, "CD8", "CD4")  # the grid keeps its own pair
    assert grid.panels[0].getPlotItem().getAxis("bottom").labelText == "CD19"
    grid.x_pick.setCurrentIndex(0)  # back to the gating plot's X
    assert grid.panels[0].getPlotItem().getAxis("bottom").labelText == "CD8"
