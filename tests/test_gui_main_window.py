"""The real main window, offscreen: open the demo data, pick markers, train, cancel,
look at the experts, score against the manual gates, export and re-read."""

import json
import os
from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from cytomoe.core.analysis.analysis_file import LabelSource  # noqa: E402
from cytomoe.core.analysis.demo import DEMO_MARKERS  # noqa: E402
from cytomoe.core.analysis.pipeline import export_targets  # noqa: E402
from cytomoe.core.evaluation.fmeasure import evaluate  # noqa: E402
from cytomoe.core.io.fcs import read_fcs  # noqa: E402
from cytomoe.gui.cluster_heatmap import FIRST_MARKER, NAME  # noqa: E402
from cytomoe.gui.colors import cluster_color  # noqa: E402
from cytomoe.gui.export_dialog import ExportDialog  # noqa: E402
from cytomoe.gui.fmeasure_view import FMeasureView  # noqa: E402
from cytomoe.gui.main_window import EMBED_AHEAD_MS, MainWindow  # noqa: E402
from cytomoe.gui.marker_panel import COFACTOR, MARKER  # noqa: E402
from cytomoe.gui.plot_export import PlotSizeDialog  # noqa: E402

pytestmark = pytest.mark.gui
QUICK = {"iterations": 40, "train_cells": 2000}


@pytest.fixture
def window(qtbot, monkeypatch):
    errors = []
    win = MainWindow()
    monkeypatch.setattr(win, "show_error", errors.append)
    # pytest-qt closes the window after each test: quit without asking (a test may answer)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
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
    assert window.panel.selected == list(DEMO_MARKERS.values())
    assert window.fmeasure_view.source.currentData() == "labels"
    assert window.plate_view.samples.rowCount() == 1
    assert not window.errors


def test_unchecking_a_marker_removes_it_from_clustering(window):
    window.marker_panel.set_use("CD4", False)
    assert "CD4" not in window.panel.selected
    assert window.analysis_settings().panel.selected == list(DEMO_MARKERS.values())[:7]


def test_training_fills_legend_expert_grid_and_scores_against_gates(qtbot, window, tmp_path):
    window.marker_panel.set_use("CD4", False)
    train(qtbot, window)
    assert window.compute_process.is_alive()  # kept, loaded, for the next training
    result = window.result
    assert result.model.markers_ == list(DEMO_MARKERS.values())[:7]
    n = result.model.n_clusters_
    assert n >= 2
    assert window.legend.rowCount() == n
    window.tabs.setCurrentIndex(1)  # the expert panels are drawn when shown
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

    window.exports.anndata_to(tmp_path / "clusters.h5ad")
    adata = anndata.read_h5ad(tmp_path / "clusters.h5ad")
    assert adata.n_obs == 6000 and adata.obs["label"].notna().any()

    window.exports.start_clusters(tmp_path, None, separate=True)
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    files = sorted(tmp_path.glob("cluster_*.fcs"))
    assert len(files) == n
    sizes = [read_fcs(f)[0].n_events for f in files]
    assert sizes == np.bincount(result.clusters).tolist()
    assert not window.errors


def test_the_window_embeds_ahead_what_the_next_training_starts_from(qtbot, window):
    from cytomoe.core.model.embedding_cache import cache_folder

    folder = cache_folder()

    def entries() -> list:  # not the hidden part files of an entry being written
        return sorted(folder.glob("[!.]*.npz"))

    window.start_compute_process(keep=True)
    window.marker_panel.set_use("CD4", False)  # a changed panel: embedded anew once quiet
    qtbot.waitUntil(lambda: len(entries()) == 3, timeout=120_000)
    ahead = entries()  # the embedding, its regions and the populations made from them
    train(qtbot, window)
    assert entries() == ahead  # the training found all three ready
    assert window.result.model.markers_ == list(DEMO_MARKERS.values())[:7]
    window.training_panel.seed.setValue(1)  # another seed, another embedding
    qtbot.waitUntil(lambda: len(entries()) == 6, timeout=120_000)
    assert window.embed_ahead_timer.interval() == EMBED_AHEAD_MS
    assert not window.errors


def test_cancelling_training_stops_it_and_keeps_the_window_usable(qtbot, window):
    first = window.start_compute_process(keep=True)  # as the app does when it opens
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
    assert not first.is_alive()  # the cancel ended the training's process ...
    assert window.compute_process.is_alive()  # ... and a fresh one loads for the next
    window.close()
    assert window.compute_process is None and not window.errors


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
    window.exports.start_clusters(table.parent, None, separate=True)
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    assert window.errors and "contains the input" in window.errors[-1]
    assert sorted(p.name for p in table.parent.iterdir()) == before


def test_synthetic_export_names_its_cluster_and_units(qtbot, window, tmp_path, monkeypatch):
    from cytomoe.gui import main_window

    train(qtbot, window)
    window.select_cluster(1)
    window.name_cluster(1, "B cells")
    window.generate_cells()
    target = tmp_path / "synthetic.fcs"
    monkeypatch.setattr(
        main_window.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    window.export_synthetic()
    (synthetic,) = read_fcs(target)
    assert synthetic.keywords["cytomoe_cluster"] == "1"
    assert synthetic.keywords["cytomoe_cluster_name"] == "B cells"
    assert "compensated" in synthetic.keywords["cytomoe_values"]
    assert synthetic.n_events == len(window.synthetic)
    assert not window.errors


@pytest.fixture
def trained(window, demo_result):
    window._trained(demo_result)
    return window


def test_quitting_during_training_asks_then_stops_the_job(qtbot, window, monkeypatch):
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a[2]) or QMessageBox.Yes
    )
    window.training_panel.iterations.setValue(100_000)
    window.train()
    qtbot.waitUntil(lambda: window.worker is not None, timeout=5_000)
    worker = window.worker
    assert window.close()
    assert questions and "Training" in questions[0]
    assert worker.isFinished()


def test_quitting_during_training_can_be_declined(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.No)
    window.training_panel.iterations.setValue(100_000)
    window.train()
    qtbot.waitUntil(lambda: window.worker is not None, timeout=5_000)
    assert not window.close()
    assert window.worker.isRunning()
    window.cancel()
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)


def test_cancelling_training_stops_it_without_a_model(qtbot, window):
    window.training_panel.iterations.setValue(100_000)
    window.train()
    qtbot.waitUntil(
        lambda: window.training_panel.status.text().startswith("Train"), timeout=120_000
    )
    window.cancel()
    # 100,000 iterations take many minutes: only the cancel can end the job this soon.
    qtbot.waitUntil(lambda: window.worker is None, timeout=30_000)
    assert window.training_panel.status.text() == "Cancelled."
    assert window.session.result is None


def test_plot_exports_as_svg(window, tmp_path, monkeypatch):
    target = tmp_path / "plot.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(PlotSizeDialog, "exec", lambda dialog: 1)  # the default size
    window.export_plot()
    assert "<svg" in target.read_text()
    assert not window.errors


def pixels_on_screen(window, color: str) -> int:
    """Pixels of about this colour in what the window shows now: its backing store, not a
    fresh rendering, so a part Qt forgot to repaint still shows what it showed before."""
    image = window.screen().grabWindow(window.winId()).toImage()
    image = image.convertToFormat(image.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    target = QColor(color)
    wanted = (target.blue(), target.green(), target.red())
    close = [np.abs(pixels[..., i].astype(int) - wanted[i]) < 40 for i in range(3)]
    return int((close[0] & close[1] & close[2]).sum())


def test_deselecting_a_cluster_repaints_where_its_dots_were(qtbot, trained):
    trained.show()
    color = cluster_color(0)
    qtbot.wait(300)
    unselected = pixels_on_screen(trained, color)
    trained.select_cluster(0)
    qtbot.wait(300)
    assert pixels_on_screen(trained, color) > unselected + 1000
    trained.select_cluster(-1)
    qtbot.wait(300)
    assert pixels_on_screen(trained, color) <= unselected + 100


def test_axis_change_leaves_the_hidden_expert_panels_for_later(qtbot, trained):
    experts = 1  # the tab's index
    trained.tabs.setCurrentIndex(experts)
    draws = trained.expert_grid.draws
    trained.tabs.setCurrentIndex(0)
    trained.x_channel.setCurrentIndex(3)
    assert trained.expert_grid.draws == draws
    trained.tabs.setCurrentIndex(experts)
    assert trained.expert_grid.draws == draws + 1
    label = trained.expert_grid.panels[0].getPlotItem().getAxis("bottom").labelText
    assert label == trained.x_channel.currentText()


@pytest.mark.parametrize("typed", ["abc", "-3", "0"])
def test_a_cofactor_that_is_not_a_positive_number_is_refused_with_a_message(window, typed):
    row = window.panel.channels.index("CD14")
    before = window.panel.cofactors["CD14"]
    window.marker_panel.table.item(row, COFACTOR).setText(typed)
    assert window.panel.cofactors["CD14"] == before
    assert window.marker_panel.table.item(row, COFACTOR).text() == f"{before:g}"
    assert f"'{typed}' is not a cofactor" in window.marker_panel.message.text()


def scored_view(qtbot):
    """Three clusters: 0 and 1 hold populations A and B, 2 only unlabelled events; C is
    split over 0 and 1 and matches no cluster."""
    view = FMeasureView()
    qtbot.addWidget(view)
    truth = ["A"] * 50 + ["B"] * 50 + [None] * 20 + ["C"] * 10
    clusters = [0] * 50 + [1] * 50 + [2] * 20 + [0, 1] * 5
    view.show_evaluation(evaluate(truth, clusters), "test", n_clusters=3)
    return view


def test_fmeasure_table_shows_clusters_as_integers_and_unmatched_as_a_dash(qtbot):
    view = scored_view(qtbot)
    matched = {view.table.item(r, 0).text(): view.table.item(r, 2).text() for r in range(3)}
    assert matched == {"A": "0", "B": "1", "C": "—"}


def test_heatmap_keeps_a_column_for_a_cluster_of_unlabelled_events(qtbot):
    view = scored_view(qtbot)
    assert view.heatmap_image.image.shape == (3, 3)
    ticks = view.heatmap.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["0", "1", "2"]


def test_heatmap_prints_each_share_and_has_a_colour_scale(qtbot):
    view = scored_view(qtbot)
    assert sorted(text.textItem.toPlainText() for text in view.heatmap_values) == [
        "100",
        "100",
        "50",
        "50",
    ]
    assert view.color_bar.values == (0, 100)


def test_generating_cells_keeps_the_window_within_1100_pixels(qtbot, trained):
    trained.resize(1100, 800)
    trained.show()
    trained.tabs.setCurrentIndex(1)
    trained.select_cluster(0)
    trained.generate_cells()
    qtbot.wait(100)
    assert trained.width() == 1100
    tab = trained.tabs.currentWidget()
    controls = (trained.generate_count, trained.generate_button, trained.export_synthetic_button)
    for control in controls:
        assert control.mapTo(tab, control.rect().topRight()).x() < tab.width()


@pytest.fixture
def export_dialog(trained, monkeypatch):
    """The export dialog the window opens with cluster 1 selected (not run)."""
    shown = []
    monkeypatch.setattr(ExportDialog, "exec", lambda dialog: shown.append(dialog) or 0)
    trained.select_cluster(1)
    trained.exports.clusters()
    return shown[0]


def test_export_dialog_names_the_selected_cluster_and_its_share(trained, export_dialog):
    share = 100 * np.mean(trained.result.clusters == 1)
    expected = f"Selected cluster: cluster 1 ({share:.1f}% of events)"
    assert export_dialog.selected_clusters.text() == expected


def test_export_dialog_proposes_a_folder_away_from_the_input_files(trained, export_dialog):
    assert export_dialog.target.name == trained.plate.name
    assert Path(trained.inputs[0]).parent not in export_dialog.target.parents


def test_replacing_files_on_export_lists_every_one(trained, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(
        QMessageBox, "exec", lambda box: asked.append(box.detailedText()) or QMessageBox.No
    )
    targets = export_targets(trained.result, tmp_path, None, True, "fcs")
    for target in targets:
        target.touch()
    trained.exports.start_clusters(tmp_path, None, separate=True)
    assert asked[0].splitlines() == [target.name for target in targets]
    assert trained.worker is None


def test_an_empty_window_says_how_to_open_data(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.gating_plot.hint.isVisible()
    assert "Open a plate folder" in win.gating_plot.hint.textItem.toPlainText()


def test_the_hint_gives_way_to_the_events(window):
    assert not window.gating_plot.hint.isVisible()


def test_untrained_experts_tab_says_to_train_first(window):
    assert not window.expert_grid.hint.isHidden()
    assert "Train a model" in window.expert_grid.hint.text()


def test_ctrl_t_starts_training_and_escape_cancels_it(qtbot, window):
    window.training_panel.iterations.setValue(100_000)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.worker is not None
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    assert window.result is None


def test_a_flow_file_opens_on_forward_against_side_scatter(qtbot, shared_data):
    win = MainWindow()
    qtbot.addWidget(win)
    win.open_paths([str(shared_data / "labeled/flowsom_68983/68983.fcs")])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    assert (win.x_channel.currentData(), win.y_channel.currentData()) == ("FSC-A", "SSC-A")


def test_the_scale_of_each_axis_shows_beside_the_pickers(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    assert "arcsinh(x/5)" in window.scale_note.text()
    assert window.scale_note.width() > window.scale_note.fontMetrics().horizontalAdvance("0: ")


def test_latent_view_frames_the_cells_after_training(trained):
    (x0, x1), (y0, y1) = trained.latent_view.getViewBox().viewRange()
    x, y = np.concatenate([item.getData() for item in trained.latent_view._items], axis=1)
    assert x0 <= x.min() and x.max() <= x1 and y0 <= y.min() and y.max() <= y1


def test_quitting_with_an_unsaved_analysis_asks_first(trained, monkeypatch):
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a[2]) or QMessageBox.No
    )
    assert not trained.close()
    assert "not saved" in questions[0]


def test_save_then_open_analysis_brings_back_clusters_panel_labels_names_and_gates(
    qtbot, trained, tmp_path, monkeypatch
):
    trained.marker_panel.set_use("CD4", False)
    row = trained.panel.channels.index("CD14")
    trained.marker_panel.table.item(row, COFACTOR).setText("7")
    trained.marker_panel.table.item(0, MARKER).setText("MS4A1")
    trained.compute_fmeasure(LabelSource("column", "labels"))
    trained.tabs.setCurrentWidget(trained.cluster_heatmap)
    trained.cluster_heatmap.table.item(1, NAME).setText("B cells")
    trained.gate_editor.name.setText("low")
    trained.gate_editor.add_gate("rectangle", [(-1.0, 2.0), (-1.0, 2.0)])
    trained.select_cluster(1)
    target = tmp_path / "analysis.toml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    trained.save_analysis()
    assert target.is_file() and target.with_suffix(".cytomoe").is_file()

    opened = MainWindow()
    qtbot.addWidget(opened)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    opened.open_analysis()
    qtbot.waitUntil(lambda: opened.result is not None and opened.worker is None, timeout=60_000)
    np.testing.assert_array_equal(opened.result.clusters, trained.result.clusters)
    assert opened.panel.selected == list(DEMO_MARKERS.values())[:7]
    assert opened.panel.cofactors["CD14"] == 7
    assert opened.marker_panel.table.item(0, MARKER).text() == "MS4A1"
    assert opened.legend.rowCount() == trained.result.model.n_clusters_
    assert opened.legend.item(1, 0).text().strip() == "1 B cells"
    assert opened.fmeasure_view.source.currentData() == "labels"
    assert opened.result.evaluation is not None
    assert [gate.name for gate in opened.gate_editor.gates] == ["low"]
    assert opened.selected_cluster == 1
    assert opened.training_panel.iterations.value() == QUICK["iterations"]
    assert len(opened.training_panel._history["loss"][0]) == len(trained.result.model.history_)
    assert not opened.session.unsaved


def test_a_cluster_named_in_the_medians_tab_shows_in_legend_and_fmeasure_table(trained):
    trained.compute_fmeasure(LabelSource("column", "labels"))
    trained.tabs.setCurrentWidget(trained.cluster_heatmap)
    heatmap = trained.cluster_heatmap
    assert heatmap.table.rowCount() == trained.result.model.n_clusters_
    assert heatmap.table.columnCount() == FIRST_MARKER + len(trained.result.model.markers_)
    matched = trained.fmeasure_view.table.item(0, 2).text()
    cluster = int(matched)
    heatmap.table.item(cluster, NAME).setText("  CD4+ T   cells ")
    assert trained.session.cluster_names == {cluster: "CD4+ T cells"}
    assert trained.legend.item(cluster, 0).text().strip() == f"{cluster} CD4+ T cells"
    assert trained.fmeasure_view.table.item(0, 2).text() == f"{cluster} CD4+ T cells"
    assert heatmap.table.item(cluster, NAME).text() == "CD4+ T cells"


def test_exported_cluster_files_carry_the_names(qtbot, trained, tmp_path):
    trained.name_cluster(0, "T cells")
    trained.exports.start_clusters(tmp_path, [0], separate=True)
    qtbot.waitUntil(lambda: trained.worker is None, timeout=60_000)
    (exported,) = tmp_path.glob("cluster_*.fcs")
    assert exported.name == "cluster_00_T_cells.fcs"
    assert read_fcs(exported)[0].keywords["cytomoe_cluster_name"] == "T cells"


def test_quitting_after_naming_a_cluster_asks_first(trained, monkeypatch):
    trained.session.unsaved = False
    trained.name_cluster(0, "T cells")
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a[2]) or QMessageBox.No
    )
    assert not trained.close()
    assert "not saved" in questions[0]


def test_an_empty_window_says_to_open_a_plate_then_to_train(qtbot, monkeypatch):
    win = MainWindow()
    qtbot.addWidget(win)
    assert "Open a plate" in win.training_panel.status.text()
    assert not win.legend_hint.isHidden()
    assert "Train a model" in win.cluster_heatmap.hint.text()
    win.open_demo()
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    assert "Train (Ctrl+T)" in win.training_panel.status.text()


def test_the_legend_hint_gives_way_to_the_clusters(trained):
    assert trained.legend_hint.isHidden()


def test_all_results_carry_the_cluster_names_into_the_report(qtbot, trained, tmp_path):
    trained.name_cluster(0, "T cells")
    trained.exports.results_to(tmp_path / "results")
    qtbot.waitUntil(lambda: trained.worker is None, timeout=120_000)
    report = json.loads((tmp_path / "results" / "report.json").read_text())
    assert report["cluster_names"] == {"0": "T cells"}
    assert (tmp_path / "results" / "cluster_00_T_cells.fcs").is_file()
    assert (tmp_path / "results" / "report.html").is_file()
    assert not trained.errors


def test_opening_other_data_over_an_unsaved_model_asks_first(trained, monkeypatch):
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a[2]) or QMessageBox.No
    )
    trained.open_demo()
    assert "not saved" in questions[0]
    assert trained.worker is None and trained.result is not None


def test_the_cluster_medians_export_as_csv_with_their_names(trained, tmp_path, monkeypatch):
    trained.name_cluster(0, "T cells")
    target = tmp_path / "medians.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    trained.tabs.setCurrentWidget(trained.cluster_heatmap)
    trained.cluster_heatmap.export_button.click()
    table = pd.read_csv(target, keep_default_na=False)
    assert table.loc[0, "name"] == "T cells"
    assert len(table) == trained.result.model.n_clusters_
    assert not trained.errors


def test_an_analysis_file_given_as_a_path_opens_the_analysis(qtbot, window, tmp_path):
    window.marker_panel.set_use("CD4", False)
    window.save_analysis_to(tmp_path / "untrained")
    opened = MainWindow()
    qtbot.addWidget(opened)
    opened.open_paths([str(tmp_path / "untrained.toml")])
    qtbot.waitUntil(lambda: opened.plate is not None and opened.worker is None, timeout=30_000)
    assert opened.panel.selected == list(DEMO_MARKERS.values())[:7]
    assert opened.result is None


def test_the_wells_shown_the_axes_scale_and_style_come_back_with_the_analysis(
    qtbot, shared_data, tmp_path, monkeypatch
):
    plate = tmp_path / "plate"
    plate.mkdir()
    for name in ("Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs", "Yeast_B3_B03.fcs"):
        (plate / name).write_bytes((shared_data / "plates/yeast" / name).read_bytes())
    win = MainWindow()
    qtbot.addWidget(win)
    win.open_paths([str(plate)])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    win.y_channel.setCurrentIndex(win.plate.channels.index("FSC-H"))
    win.plate_view.samples.selectRow(2)
    win.plot_options.scale.setCurrentIndex(win.plot_options.scale.findData("logicle"))
    win.plot_options.style.setCurrentIndex(win.plot_options.style.findData("contour"))
    win.save_analysis_to(tmp_path / "wells.toml")
    opened = MainWindow()
    qtbot.addWidget(opened)
    opened.open_analysis_file(tmp_path / "wells.toml")
    qtbot.waitUntil(lambda: opened.plate is not None and opened.worker is None, timeout=30_000)
    assert opened.visible_samples == [2]
    assert [i.row() for i in opened.plate_view.samples.selectionModel().selectedRows()] == [2]
    assert opened.y_channel.currentData() == "FSC-H"
    assert opened.plot_options.scale.currentData() == "logicle"
    assert opened.plot_options.style.currentData() == "contour"
    assert opened.session.scale == "logicle" and opened.session.style == "contour"
    n_shown = int((opened.events["sample"] == 2).sum())
    assert len(opened._shown[0]) == n_shown
