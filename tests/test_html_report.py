"""report.html from plain data: the markers that set a cluster apart, and a page that needs
nothing outside itself."""

import re

import numpy as np
import pandas as pd
import pytest

from cytomoe.core.analysis.html_report import (
    cluster_shares_per_well,
    distinctive_markers,
    write_html_report,
)
from cytomoe.core.evaluation.fmeasure import evaluate


def three_populations(n=600, seed=0):
    """Cluster 1 is high on CD19 and CD20, cluster 2 high on CD3 only."""
    rng = np.random.default_rng(seed)
    clusters = np.repeat([0, 1, 2], n // 3)
    markers = ["CD19", "CD20", "CD3", "CD4", "CD8"]
    values = pd.DataFrame(rng.normal(0.5, 0.3, (n, len(markers))), columns=markers)
    values.loc[clusters == 1, ["CD19", "CD20"]] += 4
    values.loc[clusters == 2, "CD3"] += 4
    return values, clusters


def report_dict(n_events):
    return {
        "cytomoe_version": "0.1.0",
        "inputs": ["plate/A1.fcs", "plate/A2.fcs"],
        "n_events": n_events,
        "n_clusters": 3,
        "markers": {"Nd142Di": "CD19"},
        "settings": {
            "model": {"iterations": 20},
            "cofactors": {"Nd142Di": 5.0},
            "compensate": False,
            "labels": None,
            "device": "cpu",
        },
        "timings": {"train": 1.5},
    }


def test_distinctive_markers_are_those_that_set_the_cluster_apart():
    values, clusters = three_populations()
    pairs = distinctive_markers(values, clusters, 3)
    assert sorted(pairs[1]) == ["CD19", "CD20"]
    assert pairs[2][0] == "CD3"


def write_page(path, wells, evaluation=None) -> str:
    values, clusters = three_populations()
    names = ["cluster 00", "cluster 01", "cluster 02"]
    write_html_report(path, report_dict(len(values)), values, clusters, names, wells, evaluation)
    return path.read_text()


def test_report_embeds_every_figure_and_links_nowhere(tmp_path):
    _, clusters = three_populations()
    truth = pd.Series(np.array(["B", "T", "NK"])[clusters])
    wells = np.where(np.arange(len(clusters)) % 2, "A2", "A1")
    page = write_page(tmp_path / "report.html", wells, evaluate(truth, clusters))
    sources = re.findall(r"""src\s*=\s*['"]([^'"]*)""", page)
    assert len(sources) == 4  # heatmap, sizes per well, density plots, confusion
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"href\s*=|@import|url\(", page)


def test_report_without_labels_has_no_fmeasure_section(tmp_path):
    page = write_page(tmp_path / "report.html", ["A1"] * 600)
    assert "F-measure" not in page
    assert page.count("<img") == 3


def test_cluster_shares_list_wells_in_plate_order_not_alphabetically():
    wells = ["B1", "B1", "B2", "B10", "B10", "B10"]
    shares = cluster_shares_per_well(np.array([0, 1, 1, 0, 0, 2]), 3, wells)
    assert list(shares.index) == ["B1", "B2", "B10"]
    assert shares.loc["B1"].tolist() == [50, 50, 0]
    assert shares.loc["B10", 0] == pytest.approx(200 / 3)
