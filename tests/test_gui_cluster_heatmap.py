"""The cluster x marker medians view: values readable, colours on a stated scale, a name
typed per cluster."""

import os

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.gui.cluster_heatmap import (  # noqa: E402
    FIRST_MARKER,
    NAME,
    ONE_SCALE,
    ClusterHeatmap,
    heat_fractions,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def heatmap(qtbot):
    view = ClusterHeatmap()
    qtbot.addWidget(view)
    medians = pd.DataFrame({"CD3": [4.0, 0.5, np.nan], "CD19": [0.2, 3.0, np.nan]}, index=[0, 1, 2])
    view.show_clusters(medians, [600, 300, 0], {1: "B cells"})
    return view


def test_heat_fractions_run_per_marker_or_over_all_markers():
    medians = np.array([[4.0, 0.2], [0.5, 3.0], [np.nan, np.nan]])
    per_marker = heat_fractions(medians, per_marker=True)
    np.testing.assert_allclose(per_marker[:2], [[1, 0], [0, 1]])
    assert np.isnan(per_marker[2]).all()
    np.testing.assert_allclose(heat_fractions(medians, per_marker=False)[0], [1, 0])


def test_every_cluster_is_a_row_and_every_marker_a_column_of_medians(heatmap):
    table = heatmap.table
    assert table.rowCount() == 3
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[FIRST_MARKER:] == ["CD3", "CD19"]
    assert table.item(0, FIRST_MARKER).text() == "4.00"
    assert table.item(2, FIRST_MARKER).text() == ""  # an empty cluster has no median
    assert table.item(1, NAME).text() == "B cells"


def test_a_higher_median_is_drawn_in_a_lighter_colour_with_a_legend(heatmap):
    high = heatmap.table.item(0, FIRST_MARKER).background().color()
    low = heatmap.table.item(1, FIRST_MARKER).background().color()
    assert high.lightnessF() > low.lightnessF()  # viridis: dark purple to yellow
    assert "highest" in heatmap.legend_high.text()
    heatmap.scale.setCurrentText(ONE_SCALE)
    assert heatmap.legend_low.text() == "0.20"
    assert heatmap.legend_high.text().startswith("4.00")
    assert not heatmap.legend_bar.pixmap().isNull()


def test_typing_a_name_emits_it_with_its_cluster(heatmap, qtbot):
    with qtbot.waitSignal(heatmap.name_edited) as signal:
        heatmap.table.item(0, NAME).setText("CD4+ T cells")
    assert signal.args == [0, "CD4+ T cells"]


def test_before_training_the_view_says_to_train(qtbot):
    view = ClusterHeatmap()
    qtbot.addWidget(view)
    assert not view.hint.isHidden() and "Train a model" in view.hint.text()
    assert view.table.rowCount() == 0
