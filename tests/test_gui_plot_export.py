"""Plot export at a chosen size and resolution, with a title (offscreen)."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from cytomoe.gui.plot_export import PlotSize, PlotSizeDialog, save_plot  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(600, 450)
    widget.plot(np.arange(10), np.arange(10) ** 2)
    return widget


def test_a_png_has_the_size_and_resolution_chosen(plot, tmp_path):
    size = PlotSize(width_mm=85, height_mm=70, dpi=300, title="CD3 against CD4")
    save_plot(plot, tmp_path / "figure.png", size)
    image = QImage(str(tmp_path / "figure.png"))
    assert (image.width(), image.height()) == size.pixels() == (1004, 827)
    assert round(image.dotsPerMeterX() * 0.0254) == 300


def test_the_title_is_drawn_for_the_export_only(plot, tmp_path):
    save_plot(plot, tmp_path / "titled.svg", PlotSize(title="CD3 against CD4"))
    assert "CD3 against CD4" in (tmp_path / "titled.svg").read_text()
    assert not plot.getPlotItem().titleLabel.isVisible()


def test_a_plot_keeps_its_own_title_after_an_export_with_another(plot, tmp_path):
    plot.setTitle("T cells: 1,234 events")
    save_plot(plot, tmp_path / "figure.png", PlotSize(title="Figure 2"))
    assert plot.getPlotItem().titleLabel.text == "T cells: 1,234 events"


def test_the_dialog_proposes_the_title_and_a_journal_size(qtbot):
    dialog = PlotSizeDialog("Gating plot")
    qtbot.addWidget(dialog)
    dialog.dpi.setValue(600)
    chosen = dialog.size_chosen()
    assert (chosen.title, chosen.dpi) == ("Gating plot", 600)
    assert chosen.pixels()[0] == round(chosen.width_mm / 25.4 * 600)
