"""The pipeline's pieces: one analysis shared by run, batch and the GUI; outputs appear whole
or not at all."""

import json

import pytest

from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
from cytomoe.core.analysis.pipeline import (
    CLUSTERS_FILE,
    REPORT_FILE,
    analyse,
    open_plate,
    resolve_panel,
    write_outputs,
)
from cytomoe.core.errors import Cancelled, InputError, OutputExistsError
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.model.settings import ModelSettings


@pytest.fixture(scope="module")
def small_table(multicenter_subset):
    """1,500 real Multi-Center CyTOF cells with their manual gates."""
    return multicenter_subset(sample=3, n=1500, seed=1)


def fast_settings(path, **changes) -> AnalysisSettings:
    model = ModelSettings(n_experts=6, iterations=40, n_train=1000, seed=3, device="cpu")
    return AnalysisSettings(
        inputs=[str(path)], model=model, labels=LabelSource("column", "labels"), **changes
    )


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


def test_outputs_replace_an_existing_folder_only_when_asked(analysed, tmp_path):
    settings, result = analysed
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("kept unless overwriting")
    with pytest.raises(OutputExistsError):
        write_outputs(result, settings, out)
    assert (out / "old.txt").exists()
    write_outputs(result, settings, out, overwrite=True)
    assert not (out / "old.txt").exists()
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
