"""`cytomoe batch`: many plates, per plate or pooled, resumable after a kill, robust to bad
files and failing plates, on Dask."""

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cytomoe.cli import main as cli
from cytomoe.core.analysis.analysis_file import (
    AnalysisSettings,
    ViewSettings,
    load_analysis,
    save_analysis,
)
from cytomoe.core.analysis.batch import (
    COMPLETE_MARKER,
    DONE,
    FAILED,
    MODEL,
    POOLED,
    SKIPPED,
    is_complete,
    run_batch,
    settings_fingerprint,
)
from cytomoe.core.errors import InputError

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "analysis" / "tiny_training.toml"


@pytest.fixture(scope="module")
def two_plates(shared_data, tmp_path_factory):
    """The yeast plate and plate01 batched once, one model per plate."""
    out = tmp_path_factory.mktemp("batch") / "out"
    plates = [shared_data / "plates" / "yeast", shared_data / "plates" / "plate01"]
    result = run_batch(load_analysis(TINY), plates, out)
    return plates, out, result


def _copy_wells(source: Path, target: Path, names: list[str]) -> Path:
    target.mkdir(parents=True)
    for name in names:
        shutil.copy(source / name, target / name)
    return target


def test_each_plate_gets_its_cluster_files_report_and_marker(two_plates):
    _, out, result = two_plates
    assert [o.status for o in result.outcomes] == [DONE, DONE]
    for plate in ("yeast", "plate01"):
        folder = out / plate
        assert is_complete(folder)
        assert (folder / "clusters.fcs").is_file()
        assert (folder / "report.json").is_file()
        n_clusters = pd.read_json(folder / "report.json", typ="series")["n_clusters"]
        assert len(list(folder.glob("cluster_*.fcs"))) == n_clusters
    assert "plate01: done" in (out / "batch.log").read_text()


def test_summary_has_one_row_per_well_with_cluster_shares(two_plates):
    _, out, _ = two_plates
    summary = pd.read_csv(out / "summary.csv")
    assert summary.groupby("plate").size().to_dict() == {"yeast": 24, "plate01": 7}
    assert set(summary.query("plate == 'yeast'")["events"]) == {1000}
    shares = summary.filter(like="cluster_").fillna(0).sum(axis=1)
    assert shares.round(4).eq(1).all()


def test_rerun_skips_plates_already_complete(two_plates):
    plates, out, _ = two_plates
    before = (out / "yeast" / "clusters.fcs").stat().st_mtime_ns
    again = run_batch(load_analysis(TINY), plates, out)
    assert [o.status for o in again.outcomes] == [SKIPPED, SKIPPED]
    assert (out / "yeast" / "clusters.fcs").stat().st_mtime_ns == before
    assert len(pd.read_csv(out / "summary.csv")) == 31


def test_pooled_refuses_plates_with_different_markers(two_plates, tmp_path):
    plates, _, _ = two_plates
    with pytest.raises(InputError, match="do not share their markers"):
        run_batch(load_analysis(TINY), plates, tmp_path / "pooled", mode=POOLED)


# Run in a child process: kill it (SIGKILL, no clean-up possible) while it writes plate01.
_KILLED_MID_WAY = """
import os, signal, sys
import cytomoe.core.analysis.pipeline as pipeline
from cytomoe.cli import main

real_write_fcs = pipeline.write_fcs

def write_then_die(path, *args, **kwargs):
    real_write_fcs(path, *args, **kwargs)
    if path.parent.name.startswith(".plate01.") and path.name == "cluster_00.fcs":
        os.kill(os.getpid(), signal.SIGKILL)

pipeline.write_fcs = write_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_run_killed_mid_plate_is_resumed(two_plates, tmp_path):
    plates, finished, _ = two_plates
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(finished / "yeast", out / "yeast")  # the first plate had completed
    command = [
        sys.executable,
        "-c",
        _KILLED_MID_WAY,
        "batch",
        *map(str, plates),
        "--config",
        str(TINY),
        "--out",
        str(out),
        "--quiet",
    ]
    killed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list(out.glob(".plate01.*.partial"))  # half-written, under a temporary name
    assert not is_complete(out / "plate01")

    resumed = run_batch(load_analysis(TINY), plates, out)
    assert [o.status for o in resumed.outcomes] == [SKIPPED, DONE]
    assert is_complete(out / "plate01")
    assert not list(out.glob(".plate01.*"))
    assert len(pd.read_csv(out / "summary.csv")) == 31


def test_unmarked_output_folder_is_not_taken_for_finished(tmp_path):
    folder = tmp_path / "plate"
    folder.mkdir()
    (folder / "report.json").write_text("{}")  # renamed into place, then killed
    assert not is_complete(folder)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / COMPLETE_MARKER).write_text("{}")
    assert not is_complete(tmp_path / "other")  # a marker without the well table


def test_unreadable_file_is_reported_and_failing_plate_does_not_stop_others(
    shared_data, tmp_path, capsys
):
    good = _copy_wells(
        shared_data / "plates" / "plate01",
        tmp_path / "good",
        ["CFP_Well_A4.fcs", "RFP_Well_A3.fcs"],
    )
    (good / "Broken_Well_B9.fcs").write_bytes(b"not an FCS file at all")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Garbage_A1.fcs").write_bytes(b"\x00" * 64)
    out = tmp_path / "out"
    code = cli(["batch", str(bad), str(good), "--config", str(TINY), "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "bad: FAILED" in printed and "Garbage_A1.fcs" in printed
    assert "Broken_Well_B9.fcs" in printed
    assert is_complete(out / "good") and not (out / "bad").exists()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["plate"]) == ["good", "good"]
    log = (out / "batch.log").read_text()
    assert "bad: FAILED" in log and "Broken_Well_B9.fcs" in log


def test_saved_model_applies_to_a_plate_it_was_not_trained_on(two_plates, shared_data, tmp_path):
    _, out, _ = two_plates
    # BD instruments with the yeast plate's FITC-A and PerCP-Cy5-5-A channels
    fcsparser = shared_data / "instruments" / "fcsparser"
    unseen = tmp_path / "bd_plate"
    unseen.mkdir()
    shutil.copy(fcsparser / "Fortessa" / "FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs", unseen)
    shutil.copy(fcsparser / "HTS_BD_LSR-II" / "HTS_BD_LSR_II_Mixed_Specimen_001_D6_D06.fcs", unseen)
    model = out / "yeast" / "model.cytomoe"
    result = run_batch(
        load_analysis(TINY),
        [unseen, shared_data / "plates" / "plate01"],
        tmp_path / "applied",
        mode=MODEL,
        model_file=model,
    )
    applied, lacking = result.outcomes
    assert applied.status == DONE
    assert sum(row["events"] for row in applied.wells) == 11585 + 14945
    assert lacking.status == FAILED and "FITC-A" in lacking.error


def test_plates_run_on_a_local_dask_cluster_with_two_workers(shared_data, tmp_path):
    yeast = shared_data / "plates" / "yeast"
    first = _copy_wells(yeast, tmp_path / "row_b", ["Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs"])
    second = _copy_wells(yeast, tmp_path / "row_c", ["Yeast_C1_C01.fcs", "Yeast_C2_C02.fcs"])
    out = tmp_path / "out"
    result = run_batch(load_analysis(TINY), [first, second], out, mode=POOLED, workers=2)
    assert [o.status for o in result.outcomes] == [DONE, DONE]
    reports = [pd.read_json(out / p / "report.json", typ="series") for p in ("row_b", "row_c")]
    assert reports[0]["n_clusters"] == reports[1]["n_clusters"]  # one pooled model
    assert (out / "pooled_model.cytomoe").is_file()
    assert len(pd.read_csv(out / "summary.csv")) == 4


def test_plates_run_on_an_existing_dask_cluster_by_its_address(two_plates, shared_data, tmp_path):
    from distributed import LocalCluster

    _, finished, _ = two_plates
    yeast = shared_data / "plates" / "yeast"
    plates = [
        _copy_wells(yeast, tmp_path / f"row_{row}", [f"Yeast_{row}3_{row}03.fcs"]) for row in "BC"
    ]
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_batch(
            load_analysis(TINY),
            plates,
            tmp_path / "out",
            mode=MODEL,
            model_file=finished / "yeast" / "model.cytomoe",
            scheduler=cluster.scheduler_address,
        )
    assert [o.status for o in result.outcomes] == [DONE, DONE]
    assert f"scheduler {cluster.scheduler_address}" in result.log.read_text()


def test_analysis_file_with_a_saved_model_applies_it_unless_told_to_train(
    two_plates, shared_data, tmp_path
):
    _, finished, _ = two_plates
    settings = load_analysis(TINY)
    settings.model_file = str(finished / "yeast" / "model.cytomoe")
    config = tmp_path / "with_model.toml"
    save_analysis(settings, config)
    plate = _copy_wells(shared_data / "plates" / "yeast", tmp_path / "row_b", ["Yeast_B1_B01.fcs"])
    for flags, mode in (([], "mode model"), (["--train"], "mode per_plate")):
        out = tmp_path / f"out{len(flags)}"
        code = cli(
            ["batch", str(plate), "--config", str(config), "--out", str(out), "--quiet", *flags]
        )
        assert code == 0
        assert mode in (out / "batch.log").read_text()


def test_pooled_model_trains_on_the_plates_that_open_and_fails_the_one_that_does_not(
    shared_data, tmp_path
):
    yeast = shared_data / "plates" / "yeast"
    good = _copy_wells(yeast, tmp_path / "row_b", ["Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs"])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Garbage_A1.fcs").write_bytes(b"\x00" * 64)
    out = tmp_path / "out"
    result = run_batch(load_analysis(TINY), [bad, good], out, mode=POOLED)
    failed, done = result.outcomes
    assert failed.status == FAILED and "Garbage_A1.fcs" in failed.error
    assert done.status == DONE and is_complete(out / "row_b")
    assert (out / "pooled_model.cytomoe").is_file()
    assert "bad: cannot be opened" in (out / "batch.log").read_text()


def test_batch_into_the_folder_holding_the_plate_refuses_and_keeps_the_plate(
    shared_data, tmp_path, capsys, monkeypatch
):
    plate = _copy_wells(shared_data / "plates" / "yeast", tmp_path / "plateA", ["Yeast_B1_B01.fcs"])
    before = {p.name: p.read_bytes() for p in plate.iterdir()}
    monkeypatch.chdir(tmp_path)
    code = cli(["batch", "plateA", "--config", str(TINY), "--out", ".", "--quiet"])
    assert code == 2 and "contains the input" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in plate.iterdir()} == before


def test_rerun_with_changed_settings_is_refused_naming_the_plate(two_plates, tmp_path):
    plates, finished, _ = two_plates
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(finished / "yeast", out / "yeast")
    before = (out / "yeast" / "clusters.fcs").read_bytes()
    changed = load_analysis(TINY)
    changed.model.seed += 1
    with pytest.raises(InputError, match="yeast finished earlier with other settings"):
        run_batch(changed, plates[:1], out)
    assert (out / "yeast" / "clusters.fcs").read_bytes() == before


def test_rerun_with_changed_settings_and_overwrite_redoes_the_plate(two_plates, tmp_path):
    plates, finished, _ = two_plates
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(finished / "yeast", out / "yeast")
    (out / "yeast" / "notes.txt").write_text("mine")
    changed = load_analysis(TINY)
    changed.model.seed += 1
    result = run_batch(changed, plates[:1], out, overwrite=True)
    assert [o.status for o in result.outcomes] == [DONE]
    assert (out / "yeast" / "notes.txt").read_text() == "mine"
    assert run_batch(changed, plates[:1], out).outcomes[0].status == SKIPPED


def test_a_rerun_that_skips_a_plate_still_removes_its_stale_staging_folder(two_plates):
    plates, out, _ = two_plates
    stale = out / ".yeast.x1y2z3w4.partial"
    stale.mkdir()
    (stale / "cluster_00.fcs").write_bytes(b"half")
    again = run_batch(load_analysis(TINY), plates[:1], out)
    assert [o.status for o in again.outcomes] == [SKIPPED]
    assert not stale.exists()


def test_summary_covers_every_plate_in_the_output_not_only_this_runs(two_plates):
    plates, out, _ = two_plates
    again = run_batch(load_analysis(TINY), plates[1:], out)
    assert [o.status for o in again.outcomes] == [SKIPPED]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.groupby("plate").size().to_dict() == {"yeast": 24, "plate01": 7}


def test_parallel_plates_without_dask_installed_ask_for_the_batch_extra(
    shared_data, tmp_path, monkeypatch
):
    import sys

    from cytomoe.core.errors import InputError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    yeast = shared_data / "plates" / "yeast"
    with pytest.raises(InputError, match=r"cytomoe\[batch\]"):
        run_batch(load_analysis(TINY), [yeast], tmp_path / "out", workers=2)


def test_what_the_app_saves_for_itself_does_not_make_plates_run_again():
    settings = AnalysisSettings(inputs=["plateA"])
    as_the_app_saved_it = replace(
        settings,
        view=ViewSettings(x="FSC-A", y="SSC-A", cluster=2),
        clusters_file="analysis.clusters.npz",
        gates_file="analysis.gates.xml",
    )
    renamed = replace(settings, cluster_names={0: "CD4+ T cells"})
    first = settings_fingerprint(settings, "train", None)
    assert settings_fingerprint(as_the_app_saved_it, "train", None) == first
    assert settings_fingerprint(renamed, "train", None) != first  # names are in file names
