"""`run`, `apply` and `batch` leave clusters.h5ad (for scanpy) and report.html beside
report.json."""

import re
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest

from cytomoe.cli import main as cli
from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource, load_analysis
from cytomoe.core.analysis.batch import run_batch
from cytomoe.core.analysis.pipeline import analyse, build_report
from cytomoe.core.analysis.result_files import (
    ANNDATA_FILE,
    HTML_REPORT_FILE,
    cluster_names,
    write_anndata,
    write_result_files,
)
from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.model.settings import ModelSettings

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "analysis" / "tiny_training.toml"
SLASHED = "FL1/CD45"  # channel names may hold a slash, which HDF5 reads as a subgroup
RUN_OPTIONS = ["--cofactor", "5", "--iterations", "30", "--train-cells", "1000", "--quiet"]


@pytest.fixture(scope="module")
def labelled_table(multicenter_subset):
    """1,500 real Multi-Center CyTOF cells with their manual gates in `labels`."""
    return multicenter_subset(sample=2, n=1500, seed=4)


@pytest.fixture(scope="module")
def run_folder(labelled_table, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    code = cli(["run", str(labelled_table), "--labels", "labels", "--out", str(out), *RUN_OPTIONS])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def clusters_h5ad(run_folder):
    return anndata.read_h5ad(run_folder / ANNDATA_FILE)


def test_run_writes_every_event_to_h5ad_with_its_cluster_and_label(clusters_h5ad):
    adata = clusters_h5ad
    assert adata.n_obs == 1500
    assert {"sample", "well", "event", "cluster", "cluster_name", "cluster_probability"} <= set(
        adata.obs
    )
    assert adata.obs["label"].notna().sum() == adata.uns["f_measure"]["n_labelled"]
    assert adata.obs["event"].tolist() == list(range(1500))
    assert ((adata.obs["cluster_probability"] > 0) & (adata.obs["cluster_probability"] <= 1)).all()


def test_h5ad_x_is_the_arcsinh_of_the_raw_layer_with_the_channels_cofactor(clusters_h5ad):
    adata = clusters_h5ad
    assert (adata.var["cofactor"] == 5).all() and adata.var["used_for_clustering"].all()
    np.testing.assert_allclose(adata.X, np.arcsinh(adata.layers["raw"] / 5), rtol=1e-5, atol=1e-6)


def test_h5ad_uns_holds_settings_fmeasure_table_and_version(clusters_h5ad, run_folder):
    report = (run_folder / "report.json").read_text()
    uns = clusters_h5ad.uns
    assert uns["cytomoe"]["cytomoe_version"] in report
    assert uns["cytomoe"]["settings"]["model"]["iterations"] == 30
    populations = uns["f_measure"]["populations"]
    assert {"population", "size", "cluster", "f1"} <= set(populations.columns)
    assert 0 < uns["f_measure"]["f_measure"] <= 1


def test_scanpy_ranks_the_markers_of_each_cluster_from_the_h5ad(clusters_h5ad):
    import scanpy as sc

    adata = clusters_h5ad.copy()
    sizes = adata.obs["cluster"].value_counts()
    adata = adata[adata.obs["cluster"].isin(sizes.index[sizes >= 10])].copy()
    adata.obs["cluster"] = adata.obs["cluster"].cat.remove_unused_categories()
    sc.tl.rank_genes_groups(adata, "cluster", method="wilcoxon")
    ranked = adata.uns["rank_genes_groups"]["names"]
    assert set(ranked.dtype.names) == set(adata.obs["cluster"].cat.categories)
    assert set(ranked[ranked.dtype.names[0]]) == set(adata.var_names)


def test_run_writes_a_report_page_with_its_sections_and_no_outside_links(run_folder):
    page = (run_folder / HTML_REPORT_FILE).read_text()
    for heading in (
        "Cluster x marker medians",
        "Cluster sizes",
        "two most distinctive markers",
        "F-measure against the manual gates",
        "Settings and timings",
    ):
        assert heading in page
    links = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)""", page)
    assert links  # the density plots' images
    assert all(link.startswith("data:image/png;base64,") for link in links)
    assert not re.search(r"https?://", page)


def test_apply_writes_h5ad_and_report_without_labels(run_folder, labelled_table, tmp_path):
    out = tmp_path / "applied"
    code = cli(["apply", str(run_folder / "model.cytomoe"), str(labelled_table), "--out", str(out)])
    assert code == 0
    adata = anndata.read_h5ad(out / ANNDATA_FILE)
    assert adata.n_obs == 1500 and "label" not in adata.obs
    assert adata.obsm["X_cytomoe"].shape[0] == 1500
    assert "F-measure" not in (out / HTML_REPORT_FILE).read_text()


def test_batch_writes_h5ad_and_report_per_plate(shared_data, tmp_path):
    yeast = shared_data / "plates" / "yeast"
    plate = tmp_path / "plates" / "yeast3"
    plate.mkdir(parents=True)
    for name in ("Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs", "Yeast_B10_B10.fcs"):
        shutil.copy(yeast / name, plate / name)
    run_batch(load_analysis(TINY), [plate], tmp_path / "out")
    adata = anndata.read_h5ad(tmp_path / "out" / "yeast3" / ANNDATA_FILE)
    assert adata.obs["well"].cat.categories.tolist() == ["B1", "B2", "B10"]
    assert (tmp_path / "out" / "yeast3" / HTML_REPORT_FILE).is_file()


@pytest.fixture(scope="module")
def small_result(labelled_table, tmp_path_factory):
    """A quick analysis of the table with its first channel renamed to one with a slash."""
    table = tmp_path_factory.mktemp("slash") / "slash.csv"
    pd.read_csv(labelled_table).rename(columns={"0": SLASHED}).to_csv(table, index=False)
    settings = AnalysisSettings(
        inputs=[str(table)],
        cofactors=5.0,
        model=ModelSettings(n_experts=4, iterations=10, n_train=500, device="cpu"),
        labels=LabelSource("column", "labels"),
    )
    return settings, analyse(settings)


def test_markers_are_named_by_their_display_names(small_result, tmp_path):
    settings, result = small_result
    panel = result.panel
    result.panel = replace(panel, markers={**panel.markers, SLASHED: "CD19"})
    try:
        write_result_files(result, build_report(result, settings), tmp_path)
    finally:
        result.panel = panel
    assert "CD19" in anndata.read_h5ad(tmp_path / ANNDATA_FILE).var_names
    assert "<td>CD19</td>" in (tmp_path / HTML_REPORT_FILE).read_text()


def test_clusters_matched_to_a_population_are_named_after_it(small_result):
    _, result = small_result
    names = cluster_names(result)
    matched = result.evaluation.populations.dropna(subset=["cluster"])
    assert len(matched)
    for population, cluster in zip(matched["population"], matched["cluster"], strict=True):
        assert names[int(cluster)] == f"cluster {int(cluster):02d} ({population})"


def test_h5ad_takes_labels_from_a_headerless_file(small_result, tmp_path):
    """Labels read from a file come as a series named 0, which HDF5 cannot name a column."""
    settings, result = small_result
    unnamed = replace(result, evaluation=evaluate(result.truth.rename(0), result.clusters))
    write_anndata(unnamed, build_report(unnamed, settings), tmp_path / ANNDATA_FILE)
    confusion = anndata.read_h5ad(tmp_path / ANNDATA_FILE).uns["f_measure"]["confusion"]
    assert confusion.to_numpy().sum() == result.evaluation.n_labelled


def test_h5ad_keeps_a_channel_name_with_a_slash_whole(small_result, tmp_path):
    settings, result = small_result
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # anndata: slashes in keys go away
        write_anndata(result, build_report(result, settings), tmp_path / ANNDATA_FILE)
    adata = anndata.read_h5ad(tmp_path / ANNDATA_FILE)
    assert SLASHED in adata.var["channel"].tolist()
    assert adata.var.set_index("channel").loc[SLASHED, "cofactor"] == 5
