"""The app's session without a window: a plate, a trained model, names, gates and labels,
saved and opened again whole."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import anndata
import numpy as np
import pytest

from cytomoe.core.analysis.analysis_file import LabelSource
from cytomoe.core.analysis.demo import demo_settings
from cytomoe.core.analysis.pipeline import write_outputs
from cytomoe.core.analysis.session import (
    DRAWN,
    Session,
    load_plate,
    open_session,
)
from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.gates import DrawnGate
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.preprocessing.transform import arcsinh


@pytest.fixture
def session(demo_result, tmp_path):
    """The demo plate, copied into its own folder, with the trained model on it."""
    data = tmp_path / "data"
    data.mkdir()
    source = demo_settings().inputs[0]
    copy = data / "demo.csv"
    shutil.copy(source, copy)
    settings = demo_settings()
    settings.inputs = [str(copy)]
    session = Session()
    session.set_plate(load_plate(settings), settings.inputs)
    session.model_settings = replace(settings.model, iterations=40, n_train=2000)
    result = replace(demo_result, plate=session.plate, events=session.events)
    session.set_result(result)
    return session


def square_gate(session: Session, name: str = "high_0") -> DrawnGate:
    cofactors = (session.panel.cofactors["CD20"], session.panel.cofactors["CD19"])
    return DrawnGate(name, "rectangle", ("CD20", "CD19"), cofactors, [(1.0, 8.0), (-1.0, 8.0)])


def test_a_session_saved_and_opened_again_has_everything_back(session, tmp_path):
    session.panel.markers["CD20"] = "MS4A1"
    session.panel.cofactors["CD19"] = 7.0
    session.panel.selected.remove("CD4")
    session.name_cluster(0, "CD4+ T cells")
    session.set_gates([square_gate(session)])
    session.evaluate(LabelSource(DRAWN, "gates drawn here"))
    session.selected_cluster = 1
    session.visible_samples = [0]
    session.axes = ("CD20", "CD14")
    files = session.save(tmp_path / "analysis.toml")
    assert files.model.is_file() and files.clusters.is_file() and files.gates.is_file()
    assert not session.unsaved

    opened = open_session(files.analysis)
    assert opened.problems == []
    assert opened.inputs == session.inputs
    assert opened.panel == session.panel
    assert opened.model_settings == session.model_settings
    np.testing.assert_array_equal(opened.result.clusters, session.result.clusters)
    assert opened.result.model.markers_ == session.result.model.markers_
    assert opened.cluster_names == {0: "CD4+ T cells"}
    assert [(g.name, g.channels, g.parent) for g in opened.gates] == [
        ("high_0", ("CD20", "CD19"), None)
    ]
    np.testing.assert_allclose(opened.gates[0].vertices, session.gates[0].vertices)
    np.testing.assert_array_equal(
        opened.gate_membership["high_0"], session.gate_membership["high_0"]
    )
    assert opened.labels.kind == DRAWN
    assert opened.result.evaluation.f_measure == pytest.approx(session.result.evaluation.f_measure)
    assert (opened.selected_cluster, opened.visible_samples, opened.axes) == (
        1,
        [0],
        ("CD20", "CD14"),
    )


def test_clusters_that_no_longer_fit_the_events_are_assigned_again(session, tmp_path):
    files = session.save(tmp_path / "analysis.toml")
    np.savez(files.clusters, clusters=np.zeros(3, np.int32), probability=np.ones(3))
    opened = open_session(files.analysis)
    np.testing.assert_array_equal(opened.result.clusters, session.result.clusters)


def test_a_column_label_source_comes_back_scored(session, tmp_path):
    session.evaluate(LabelSource("column", "labels", ["unassigned"]))
    opened = open_session(session.save(tmp_path / "a.toml").analysis)
    assert opened.labels == LabelSource("column", "labels", ["unassigned"])
    assert opened.result.evaluation is not None


def test_a_labels_file_moved_away_is_a_problem_not_a_failure(session, tmp_path):
    labels = tmp_path / "labels.csv"
    session.events["labels"].to_csv(labels, index=False, header=False)
    session.evaluate(LabelSource("file", str(labels)))
    files = session.save(tmp_path / "a.toml")
    labels.unlink()
    opened = open_session(files.analysis)
    assert opened.result is not None and opened.result.evaluation is None
    assert "labels.csv" in opened.problems[0]


def test_saving_into_the_input_folder_is_refused(session):
    plate_folder = Path(session.inputs[0]).parent
    session.inputs = [str(plate_folder)]
    with pytest.raises(InputError):
        session.save(plate_folder / "analysis.toml")
    assert not (plate_folder / "analysis.toml").exists()


def test_naming_a_cluster_shows_in_its_label_and_an_empty_name_removes_it(session):
    session.unsaved = False
    session.name_cluster(2, "  B   cells ")
    assert session.cluster_label(2) == "2 B cells"
    assert session.unsaved
    session.name_cluster(2, "")
    assert session.cluster_label(2) == "2" and 2 not in session.cluster_names
    with pytest.raises(InputError):
        session.name_cluster(session.n_clusters, "none")


def test_a_new_model_forgets_the_names_of_the_old_clusters(session, demo_result):
    session.name_cluster(0, "T cells")
    session.set_result(demo_result)
    assert session.cluster_names == {}


def test_a_new_plate_forgets_clusters_gates_and_names(session):
    session.name_cluster(0, "T cells")
    session.set_gates([square_gate(session)])
    session.set_plate(load_plate(demo_settings()), demo_settings().inputs)
    assert session.result is None and session.gates == [] and session.cluster_names == {}


def test_marker_medians_are_of_the_transformed_values_per_cluster(session):
    medians = session.marker_medians()
    assert medians.shape == (session.n_clusters, len(session.result.model.markers_))
    members = session.result.clusters == 0
    values = arcsinh(
        session.events[["CD45"]].to_numpy()[members], ["CD45"], session.panel.cofactors
    )
    assert medians.iloc[0][session.panel.display_name("CD45")] == pytest.approx(np.median(values))


def test_scoring_against_drawn_gates_without_gates_says_to_draw_them(session):
    with pytest.raises(InputError, match="Draw gates first"):
        session.evaluate(LabelSource(DRAWN, "gates drawn here"))


def test_cluster_names_reach_exported_file_names_keywords_and_the_report(session, tmp_path):
    session.name_cluster(1, "CD4+ T cells")
    out = tmp_path / "out"
    write_outputs(session.result, session.settings(), out)
    named = out / "cluster_01_CD4+_T_cells.fcs"
    assert named.is_file() and (out / "cluster_00.fcs").is_file()
    assert read_fcs(named)[0].keywords["cytomoe_cluster_name"] == "CD4+ T cells"
    pooled = read_fcs(out / "clusters.fcs")[0].keywords["cytomoe_cluster_names"]
    assert pooled == "1=CD4+ T cells"
    report = json.loads((out / "report.json").read_text())
    assert report["cluster_names"] == {"1": "CD4+ T cells"}
    adata = anndata.read_h5ad(out / "clusters.h5ad")
    assert "cluster 01 (CD4+ T cells)" in set(adata.obs["cluster_name"])


def test_a_missing_model_file_opens_the_plate_without_clusters(session, tmp_path):
    files = session.save(tmp_path / "analysis.toml")
    files.model.unlink()
    opened = open_session(files.analysis)
    assert opened.plate is not None and opened.result is None
    assert "analysis.cytomoe" in opened.problems[0]


def test_the_cluster_table_has_names_sizes_and_medians(session):
    session.name_cluster(1, "B cells")
    table = session.cluster_table()
    assert list(table["cluster"]) == list(range(session.n_clusters))
    assert table.loc[1, "name"] == "B cells" and table.loc[0, "name"] == ""
    assert table["events"].sum() == len(session.events)
    assert table["percent"].sum() == pytest.approx(100, abs=0.1)
    medians = session.marker_medians()
    assert list(table.columns[4:]) == list(medians.columns)
