"""The real main window, offscreen: open the demo data, pick markers, train, cancel,
look at the experts, score against the manual gates, export and re-read."""

import os

import anndata
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cytomoe.core.analysis.analysis_file import LabelSource  # noqa: E402
from cytomoe.core.io.fcs import read_fcs  # noqa: E402
from cytomoe.gui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui
QUICK = {"iterations": 40, "train_cells": 2000}


@pytest.fixture
def window(qtbot, monkeypatch):
    errors = []
    win = MainWindow()
    monkeypatch.setattr(win, "show_error", errors.append)
    win.errors = errors
    qtbot.addWidget(win)
    win.training_panel.iterations.setValue(QUICK["iterations"])
    win.training_panel.train_cells.setValue(QUICK["train_cells"])
    win.open_demo()
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    return win


def train(qtbot, win):
    win.train()
    qtbot.waitUntil(lambda: win.result is not None and win.worker is None, timeout=240_000)


def test_demo_opens_with_default_markers_and_label_column(window):
    assert window.plate.n_events == 6000
    assert window.panel.selected == [str(i) for i in range(8)]
    assert window.fmeasure_view.source.currentData() == "labels"
    assert window.plate_view.samples.rowCount() == 1
    assert not window.errors


def test_unchecking_a_marker_removes_it_from_clustering(window):
    window.marker_panel.set_use("7", False)
    assert "7" not in window.panel.selected
    assert window.analysis_settings().panel.selected == [str(i) for i in range(7)]


def test_training_fills_legend_expert_grid_and_scores_against_gates(qtbot, window, tmp_path):
    window.marker_panel.set_use("7", False)
    train(qtbot, window)
    result = window.result
    assert result.model.markers_ == [str(i) for i in range(7)]
    n = result.model.n_clusters_
    assert n >= 2
    assert window.legend.rowCount() == n
    assert len(window.expert_grid.panels) == n
    assert window.training_panel._history["loss"][0], "the loss plot got no points"

    window.select_cluster(1)
    assert window.legend.selected_clusters() == [1]
    window.generate_cells()
    assert len(window.synthetic) == 1000

    window.compute_fmeasure(LabelSource("column", "labels"))
    assert window.result.evaluation is not None
    assert window.fmeasure_view.table.rowCount() == 4
    assert "F-measure" in window.fmeasure_view.score.text()

    window.export_anndata_to(tmp_path / "clusters.h5ad")
    adata = anndata.read_h5ad(tmp_path / "clusters.h5ad")
    assert adata.n_obs == 6000 and adata.obs["label"].notna().any()

    window.start_export(tmp_path, None, separate=True)
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    files = sorted(tmp_path.glob("cluster_*.fcs"))
    assert len(files) == n
    sizes = [read_fcs(f)[0].n_events for f in files]
    assert sizes == np.bincount(result.clusters).tolist()
    assert not window.errors


def test_cancelling_training_stops_it_and_keeps_the_window_usable(qtbot, window):
    window.training_panel.iterations.setValue(100_000)
    window.train()
    qtbot.waitUntil(lambda: window.worker is not None, timeout=5_000)
    cancelled = []
    window.worker.cancelled.connect(lambda: cancelled.append(True))
    window.cancel()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120_000)
    assert cancelled == [True]
    assert window.result is None
    assert window.training_panel.start.isEnabled()
    assert not window.errors


def test_unreadable_file_is_listed_and_the_rest_opens(qtbot, shared_data, tmp_path, monkeypatch):
    good = shared_data / "plates/yeast/Yeast_B1_B01.fcs"
    (tmp_path / good.name).write_bytes(good.read_bytes())
    (tmp_path / "Yeast_B2_B02.fcs").write_bytes(b"not an fcs file")
    win = MainWindow()
    qtbot.addWidget(win)
    errors = []
    monkeypatch.setattr(win, "show_error", errors.append)
    win.open_paths([str(tmp_path)])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    assert win.plate.wells == ["B1"]
    assert win.plate_view.failures.count() == 1
    assert "Yeast_B2_B02.fcs" in win.plate_view.failures.item(0).text()
    assert errors and "could not be read" in errors[0]


def test_exporting_clusters_into_the_folder_of_the_data_is_refused(
    qtbot, window, multicenter_subset
):
    table = multicenter_subset(sample=1, n=1500, seed=4)
    window.open_paths([str(table)])
    qtbot.waitUntil(lambda: window.plate.n_events == 1500 and window.worker is None)
    train(qtbot, window)
    before = sorted(p.name for p in table.parent.iterdir())
    window.start_export(table.parent, None, separate=True)
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    assert window.errors and "contains the input" in window.errors[-1]
    assert sorted(p.name for p in table.parent.iterdir()) == before


def test_synthetic_export_names_its_cluster_and_units(qtbot, window, tmp_path, monkeypatch):
    from cytomoe.gui import main_window

    train(qtbot, window)
    window.select_cluster(1)
    window.generate_cells()
    target = tmp_path / "synthetic.fcs"
    monkeypatch.setattr(
        main_window.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    window.export_synthetic()
    (synthetic,) = read_fcs(target)
    assert synthetic.keywords["cytomoe_cluster"] == "1"
    assert "compensated" in synthetic.keywords["cytomoe_values"]
    assert synthetic.n_events == len(window.synthetic)
    assert not window.errors
