"""The plate panel (offscreen): which wells the plots show, each well's share of every
cluster."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.io.plate import SAMPLE, Plate  # noqa: E402
from cytomoe.gui.plate_view import SAMPLE_COLUMNS, PlateView  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def plate(shared_data):
    return Plate.open(shared_data / "plates/yeast")


@pytest.fixture
def view(qtbot, plate):
    widget = PlateView()
    qtbot.addWidget(widget)
    widget.set_plate(plate)
    return widget


def test_the_panel_says_the_plots_show_every_well_until_some_are_selected(view):
    assert "all 24 sample(s)" in view.shown.text()
    view.samples.selectRow(0)
    assert view.shown.text() == "Plots show 1 of 24 samples: B1"


def test_each_well_gets_its_share_of_every_cluster(view, plate):
    events = plate.events()
    samples = events[SAMPLE].to_numpy()
    clusters = np.arange(len(events)) % 3
    clusters[samples == 0] = 2  # the first well is all cluster 2
    view.set_cluster_statistics(samples, clusters, 3)
    columns = range(view.samples.columnCount())
    header = [view.samples.horizontalHeaderItem(c).text() for c in columns]
    assert header == SAMPLE_COLUMNS + ["% 0", "% 1", "% 2"]
    first = [float(view.samples.item(0, len(SAMPLE_COLUMNS) + c).text()) for c in range(3)]
    assert first == [0.0, 0.0, 100.0]
    shares = [
        sum(float(view.samples.item(r, len(SAMPLE_COLUMNS) + c).text()) for c in range(3))
        for r in range(len(plate.samples))
    ]
    assert shares == pytest.approx([100.0] * len(plate.samples), abs=0.2)


def test_another_plate_clears_the_shares_of_the_clusters_before(view, plate):
    events = plate.events()
    view.set_cluster_statistics(events[SAMPLE].to_numpy(), np.zeros(len(events), int), 1)
    view.set_plate(plate)
    assert view.samples.columnCount() == len(SAMPLE_COLUMNS)
