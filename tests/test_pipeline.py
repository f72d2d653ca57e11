"""The pipeline's pieces: one analysis shared by run, batch and the GUI; outputs appear whole
or not at all."""

import json
import shutil

import numpy as np
import pytest

from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
from cytomoe.core.analysis.pipeline import (
    CLUSTERS_FILE,
    REPORT_FILE,
    analyse,
    embed_ahead,
    open_plate,
    resolve_panel,
    run_analysis,
    write_outputs,
)
from cytomoe.core.errors import Cancelled, InputError, OutputExistsError
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.io.outputs import MANIFEST_FILE
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.settings import ModelSettings


@pytest.fixture(scope="module")
def small_table(multicenter_subset):
    """1,500 real Multi-Center CyTOF cells with their manual gates."""
    return multicenter_subset(sample=3, n=1500, seed=1)


def fast_settings(path, **changes) -> AnalysisSettings:
    model = ModelSettings(n_experts=6, iterations=40, n_train=1000, seed=3, device="cpu")
    changes.setdefault("labels", LabelSource("column", "labels"))
    return AnalysisSettings(inputs=[str(path)], model=model, **changes)


@pytest.fixture(scope="module")
def analysed(small_table):
    settings = fast_settings(small_table)
    return settings, analyse(settings)


def test_analyse_assigns_every_event_and_scores_it(analysed):
    _, result = analysed
    assert len(result.clusters) == len(result.events) == 1500
    assert result.clusters.min() == 0 and result.clusters.max() < 6
    assert ((result.probability > 0) & (result.probability <= 1)).all()
    assert result.evaluation is not None and 0 < result.evaluation.f_measure <= 1
    assert {"load", "assign"} <= set(result.timings)


def test_analyse_takes_the_clusters_fit_gave_every_event_without_assigning_again(
    small_table, monkeypatch
):
    calls = []
    assign = MoESimVAE.predict_with_latent

    def counted(self, *args, **kwargs):
        calls.append(len(args[0]))
        return assign(self, *args, **kwargs)

    monkeypatch.setattr(MoESimVAE, "predict_with_latent", counted)
    result = analyse(fast_settings(small_table))
    assert calls == [1500]  # once, inside fit
    probabilities = result.model.predict_proba(result.events)
    assert np.array_equal(result.clusters, probabilities.argmax(1))
    assert np.allclose(result.probability, probabilities.max(1))
    assert np.allclose(result.latent, result.model.transform(result.events))


def test_an_embedding_made_ahead_is_the_one_the_training_starts_from(analysed, monkeypatch):
    from cytomoe.core.model import embedding_cache, similarity

    settings, before = analysed
    embedding_cache.forget_in_memory()
    plate = open_plate(settings)
    embed_ahead(settings, plate)
    embedded = []
    compute = similarity.embed_with_canberra_umap
    monkeypatch.setattr(
        similarity,
        "embed_with_canberra_umap",
        lambda *args, **kwargs: embedded.append(True) or compute(*args, **kwargs),
    )
    after = analyse(settings, plate=plate)
    assert embedded == []  # found ready
    assert np.array_equal(after.clusters, before.clusters)
    assert np.array_equal(after.probability, before.probability)


def test_outputs_go_into_an_existing_folder_only_when_asked_and_keep_its_files(analysed, tmp_path):
    settings, result = analysed
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("not cytomoe's")
    with pytest.raises(OutputExistsError):
        write_outputs(result, settings, out)
    write_outputs(result, settings, out, overwrite=True)
    assert (out / "old.txt").read_text() == "not cytomoe's"
    assert len(read_fcs(out / CLUSTERS_FILE)[0].events) == 1500
    report = json.loads((out / REPORT_FILE).read_text())
    assert report["n_clusters"] == result.model.n_clusters_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_cancelled_export_leaves_nothing(analysed, tmp_path):
    settings, result = analysed
    with pytest.raises(Cancelled):
        write_outputs(result, settings, tmp_path / "out", should_cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_unknown_marker_is_refused_naming_it(small_table):
    settings = fast_settings(small_table, markers=["CD999"])
    with pytest.raises(InputError, match="CD999"):
        resolve_panel(settings, open_plate(settings))


def test_overwriting_removes_the_cluster_files_cytomoe_wrote_before(analysed, tmp_path):
    settings, result = analysed
    out = tmp_path / "out"
    write_outputs(result, settings, out)
    stale = out / "cluster_99.fcs"
    shutil.copy(out / "cluster_00.fcs", stale)
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    (out / MANIFEST_FILE).write_text(json.dumps({"files": manifest["files"] + [stale.name]}))
    write_outputs(result, settings, out, overwrite=True)
    assert not stale.exists()
    assert stale.name not in json.loads((out / MANIFEST_FILE).read_text())["files"]


def test_a_foreign_file_named_like_an_output_stops_the_write_untouched(analysed, tmp_path):
    settings, result = analysed
    out = tmp_path / "out"
    out.mkdir()
    (out / REPORT_FILE).write_text("mine")
    with pytest.raises(OutputExistsError, match="not written by cytomoe"):
        write_outputs(result, settings, out, overwrite=True)
    assert (out / REPORT_FILE).read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_clusters_file_numbers_samples_in_the_order_its_sources_list_them(shared_data, tmp_path):
    yeast = shared_data / "plates" / "yeast"
    wells = ["Yeast_B10_B10.fcs", "Yeast_B2_B02.fcs", "Yeast_B1_B01.fcs", "Yeast_C1_C01.fcs"]
    settings = fast_settings(yeast / wells[0], labels=None)
    settings.inputs = [str(yeast / w) for w in wells]
    out = tmp_path / "out"
    run_analysis(settings, out)
    (clusters,) = read_fcs(out / CLUSTERS_FILE)
    sources = dict(item.split("=", 1) for item in clusters.keywords["cytomoe_sources"].split(", "))
    frame = clusters.to_frame()
    for wanted in wells:
        (one,) = read_fcs(yeast / wanted)
        index = next(i for i, name in sources.items() if name == wanted)
        mine = frame[frame["sample"] == int(index)]
        assert np.array_equal(mine[one.channels[0]].to_numpy(), one.events[:, 0])
        row, column = ord(one.well[0]) - ord("A") + 1, int(one.well[1:])
        assert set(mine["well"]) == {row * 100 + column}


def test_cluster_channels_get_ranges_flowjo_shows_on_a_linear_axis(analysed, tmp_path):
    settings, result = analysed
    write_outputs(result, settings, tmp_path / "out")
    (clusters,) = read_fcs(tmp_path / "out" / CLUSTERS_FILE)
    number = clusters.channels.index("cluster") + 1
    assert clusters.keywords[f"p{number}r"] == str(result.model.n_clusters_)
    assert clusters.keywords[f"p{number}display"] == "LIN"
    probability = clusters.channels.index("cluster_probability") + 1
    assert clusters.keywords[f"p{probability}r"] == "1"


def test_an_output_folder_inside_the_input_folder_is_refused(shared_data, tmp_path):
    plate = tmp_path / "plate"
    shutil.copytree(shared_data / "plates" / "plate01", plate)
    settings = fast_settings(plate, labels=None)
    with pytest.raises(InputError, match="lies inside the input"):
        run_analysis(settings, plate / "results")
    assert not (plate / "results").exists()
