"""`cytomoe run` end to end on a small real file, and its refusals of bad input."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cytomoe.core.io.fcs import read_fcs

FAST = ["--iterations", "60", "--train-cells", "1500", "--quiet"]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "cytomoe", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="module")
def small_table(multicenter_subset):
    """2,000 real Multi-Center CyTOF cells with their manual gates."""
    return multicenter_subset(sample=2, n=2000, seed=0)


@pytest.fixture(scope="module")
def finished_run(small_table, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = run_cli(
        "run", small_table, "--out", out, "--labels", "labels", "--experts", "8", *FAST
    )
    return result, out


def test_run_prints_the_panel_and_cofactors_it_used(finished_run):
    result, _ = finished_run
    lines = result.stdout.splitlines()
    panel = lines.index("panel:")
    assert lines[panel + 1 : panel + 9] == [f"  {i} cofactor 5" for i in range(8)]
    assert "left out: labels" not in result.stdout  # a text column is no channel


def test_run_writes_clusters_report_and_model(finished_run):
    result, out = finished_run
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    for key in (
        "f_measure",
        "f_measure_flowcap",
        "nmi",
        "ari",
        "n_clusters",
        "populations",
        "settings",
        "timings",
    ):
        assert key in report
    assert 0.0 <= report["f_measure"] <= 1.0
    assert {p["population"] for p in report["populations"]} == {
        "B_cells",
        "CD4_Tcells",
        "CD8_Tcells",
        "Monocytes",
    }
    assert (out / "model.cytomoe").is_file()
    assert "F-measure" in result.stdout


def test_clusters_fcs_holds_every_event_with_cluster_columns(finished_run, small_table):
    _, out = finished_run
    (clusters,) = read_fcs(out / "clusters.fcs")
    table = pd.read_csv(small_table)
    assert clusters.n_events == len(table)
    assert clusters.channels[-2:] == ["cluster", "cluster_probability"]
    assert np.array_equal(
        clusters.events[:, :8], table[[str(i) for i in range(8)]].to_numpy(np.float32)
    )
    report = json.loads((out / "report.json").read_text())
    per_cluster = sorted(out.glob("cluster_*.fcs"))
    assert len(per_cluster) == report["n_clusters"]
    sizes = [read_fcs(p)[0].n_events for p in per_cluster]
    assert sizes == report["cluster_sizes"] and sum(sizes) == len(table)
    experts = [k for cluster in report["cluster_experts"] for k in cluster]
    assert len(report["cluster_experts"]) == report["n_clusters"]
    n_experts = report["settings"]["model"]["n_experts"]
    assert sorted(experts + report["silenced_experts"]) == list(range(n_experts))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--markers", "CD999"], "Unknown marker 'CD999'"),
        (["--labels", "population"], "no label column 'population'"),
        (["--cofactor", "-3"], "must be positive"),
    ],
)
def test_bad_options_exit_2_with_one_sentence_and_no_outputs(small_table, tmp_path, extra, message):
    out = tmp_path / "out"
    result = run_cli("run", small_table, "--out", out, *FAST, *extra)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_input_exits_2(tmp_path):
    result = run_cli("run", tmp_path / "absent.fcs", "--out", tmp_path / "out", *FAST)
    assert result.returncode == 2 and "absent.fcs" in result.stderr
    assert not (tmp_path / "out").exists()


def test_existing_output_folder_is_refused_and_untouched(small_table, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    result = run_cli("run", small_table, "--out", out, *FAST)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_overwrite_replaces_cytomoe_outputs_and_keeps_a_foreign_file(
    finished_run, small_table, tmp_path
):
    _, finished = finished_run
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    (out / "notes.txt").write_text("mine")
    result = run_cli("run", small_table, "--out", out, "--experts", "4", "--overwrite", *FAST)
    assert result.returncode == 0, result.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "report.json").read_text())["settings"]["model"]["n_experts"] == 4


def test_run_with_overwrite_leaves_every_input_byte_as_it_was(shared_data, tmp_path):
    plate = tmp_path / "plate"
    plate.mkdir()
    for well in ("Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs"):
        shutil.copy(shared_data / "plates" / "yeast" / well, plate / well)
    before = {p: p.read_bytes() for p in plate.rglob("*")}
    for _ in range(2):
        result = run_cli("run", plate, "--out", tmp_path / "out", "--overwrite", *FAST)
        assert result.returncode == 0, result.stderr
    assert {p: p.read_bytes() for p in plate.rglob("*")} == before


def test_output_folder_holding_the_input_is_refused(small_table, tmp_path):
    result = run_cli("run", small_table, "--out", small_table.parent, "--overwrite", *FAST)
    assert result.returncode == 2 and "contains the input" in result.stderr
    assert small_table.is_file()
