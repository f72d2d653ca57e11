"""`cytomoe apply` assigns new data with a saved model; `cytomoe generate` writes one
expert's synthetic cells in instrument units."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cytomoe.cli import main as cli
from cytomoe.core.analysis.analysis_file import load_analysis
from cytomoe.core.analysis.pipeline import fit_model, resolve_panel
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.io.plate import Plate

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "analysis" / "tiny_training.toml"


@pytest.fixture(scope="module")
def yeast_model(shared_data, tmp_path_factory):
    """A tiny model trained on two wells of the yeast plate, saved; and those events."""
    yeast = shared_data / "plates" / "yeast"
    plate = Plate.open([yeast / "Yeast_B1_B01.fcs", yeast / "Yeast_B2_B02.fcs"])
    settings = load_analysis(TINY)
    panel = resolve_panel(settings, plate)
    events = plate.events(compensate_spillover=panel.compensate)
    model = fit_model(events, panel, settings.model)
    path = tmp_path_factory.mktemp("model") / "yeast.cytomoe"
    model.save(path)
    return path, model, events


@pytest.fixture()
def unseen_plate(shared_data, tmp_path):
    """Two BD files (Fortessa, LSR-II) sharing the yeast plate's FITC-A and PerCP-Cy5-5-A."""
    fcsparser = shared_data / "instruments" / "fcsparser"
    plate = tmp_path / "bd_plate"
    plate.mkdir()
    shutil.copy(fcsparser / "Fortessa" / "FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs", plate)
    shutil.copy(fcsparser / "HTS_BD_LSR-II" / "HTS_BD_LSR_II_Mixed_Specimen_001_D6_D06.fcs", plate)
    return plate


def test_apply_assigns_unseen_data_without_training(yeast_model, unseen_plate, tmp_path):
    model_path, model, _ = yeast_model
    out = tmp_path / "applied"
    assert cli(["apply", str(model_path), str(unseen_plate), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["n_events"] == 11585 + 14945
    assert "fit" not in report["timings"]  # assigned, not retrained
    assert report["n_clusters"] == model.n_clusters_
    clusters = read_fcs(out / "clusters.fcs")[0]
    assert clusters.n_events == 11585 + 14945
    per_cluster = sum(read_fcs(f)[0].n_events for f in out.glob("cluster_*.fcs"))
    assert per_cluster == clusters.n_events


def test_apply_names_the_missing_markers(yeast_model, shared_data, tmp_path, capsys):
    model_path, _, _ = yeast_model
    plate01 = shared_data / "plates" / "plate01" / "CFP_Well_A4.fcs"
    code = cli(["apply", str(model_path), str(plate01), "--out", str(tmp_path / "o")])
    error = capsys.readouterr().err
    assert code == 2
    assert "yeast.cytomoe" in error and "FITC-A" in error and "PerCP-Cy5-5-A" in error
    assert "Traceback" not in error
    assert not (tmp_path / "o").exists()


def test_apply_refuses_an_existing_output_folder(yeast_model, unseen_plate, tmp_path, capsys):
    out = tmp_path / "exists"
    out.mkdir()
    assert cli(["apply", str(yeast_model[0]), str(unseen_plate), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_generate_writes_one_experts_cells_in_instrument_units(yeast_model, tmp_path):
    model_path, model, events = yeast_model
    out = tmp_path / "synthetic.fcs"
    assert (
        cli(
            [
                "generate",
                str(model_path),
                "--cluster",
                "0",
                "-n",
                "700",
                "--out",
                str(out),
                "--seed",
                "3",
            ]
        )
        == 0
    )
    sample = read_fcs(out)[0]
    assert sample.n_events == 700
    assert sample.channels == list(model.markers_)
    expected = model.generate(0, 700, seed=3)
    np.testing.assert_allclose(sample.events, expected.to_numpy(np.float32), rtol=1e-6)
    # instrument units: the spread of the real events, not the model's [0, 1] scale
    real = events[model.markers_].to_numpy()
    generated = np.median(sample.events, axis=0)
    assert np.all((generated >= real.min(axis=0)) & (generated <= real.max(axis=0)))
    assert np.abs(generated).max() > 2


def test_generate_is_repeatable_with_a_seed(yeast_model, tmp_path):
    paths = [tmp_path / "a.fcs", tmp_path / "b.fcs"]
    for path in paths:
        cli(
            [
                "generate",
                str(yeast_model[0]),
                "--cluster",
                "1",
                "-n",
                "50",
                "--out",
                str(path),
                "--seed",
                "11",
            ]
        )
    first, second = (read_fcs(p)[0].events for p in paths)
    np.testing.assert_array_equal(first, second)


def test_generate_refuses_to_overwrite(yeast_model, tmp_path, capsys):
    out = tmp_path / "keep.fcs"
    out.write_bytes(b"precious")
    code = cli(["generate", str(yeast_model[0]), "--cluster", "0", "-n", "10", "--out", str(out)])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"


def test_generate_rejects_an_unknown_expert(yeast_model, tmp_path, capsys):
    code = cli(
        [
            "generate",
            str(yeast_model[0]),
            "--cluster",
            "99",
            "-n",
            "10",
            "--out",
            str(tmp_path / "x.fcs"),
        ]
    )
    assert code == 2 and "no cluster 99" in capsys.readouterr().err
    assert not (tmp_path / "x.fcs").exists()


def test_apply_runs_the_model_on_the_device_asked(yeast_model, unseen_plate, tmp_path):
    out = tmp_path / "applied"
    code = cli(
        ["apply", str(yeast_model[0]), str(unseen_plate), "--out", str(out), "--device", "cpu"]
    )
    assert code == 0
    assert json.loads((out / "report.json").read_text())["settings"]["device"] == "cpu"


def test_generate_writes_a_table_when_the_name_ends_in_csv(yeast_model, tmp_path):
    model_path, model, _ = yeast_model
    out = tmp_path / "syn.csv"
    code = cli(["generate", str(model_path), "--cluster", "0", "-n", "25", "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == list(model.markers_) and len(table) == 25


def test_generate_refuses_a_suffix_that_names_no_format(yeast_model, tmp_path, capsys):
    out = tmp_path / "syn.txt"
    code = cli(["generate", str(yeast_model[0]), "--cluster", "0", "-n", "5", "--out", str(out)])
    assert code == 2 and ".fcs or .csv" in capsys.readouterr().err
    assert not out.exists()


def test_generate_refuses_more_cells_than_the_cap(yeast_model, tmp_path, capsys):
    out = tmp_path / "huge.fcs"
    code = cli(["generate", str(yeast_model[0]), "--cluster", "0", "-n", "1e11", "--out", str(out)])
    assert code == 2 and "-n must be between 1 and 10,000,000" in capsys.readouterr().err
    assert not out.exists()


def test_generated_cells_of_compensated_data_are_written_as_the_cluster_files_hold_events(
    shared_data, tmp_path
):
    """68983 is compensated for training: the generated cells are written uncompensated
    with the spillover and $PnS names, so compensating the file gives the model's values."""
    plate = Plate.open([shared_data / "labeled" / "flowsom_68983" / "68983.fcs"])
    settings = load_analysis(TINY)
    panel = resolve_panel(settings, plate)
    assert panel.compensate
    events = plate.events(compensate_spillover=True)
    model = fit_model(events, panel, settings.model, plate.samples[0].spillover)
    model_path = tmp_path / "68983.cytomoe"
    model.save(model_path)
    out = tmp_path / "synthetic.fcs"
    command = ["generate", str(model_path), "--cluster", "0", "-n", "300", "--seed", "1"]
    assert cli([*command, "--out", str(out)]) == 0
    written = Plate.open([out])
    assert written.samples[0].spillover is not None
    assert written.samples[0].markers == [panel.display_name(c) for c in model.markers_]
    compensated = written.events(compensate_spillover=True)[model.markers_].to_numpy()
    expected = model.generate(0, 300, seed=1).to_numpy()
    np.testing.assert_allclose(compensated, expected, rtol=1e-4, atol=1e-2)
    uncompensated = written.events(compensate_spillover=False)[model.markers_].to_numpy()
    assert np.abs(uncompensated - expected).max() > 1  # the spillover was put back


def test_apply_scores_against_a_labels_file(multicenter_subset, tmp_path):
    table = multicenter_subset(sample=1, n=1500, seed=2)
    labels = tmp_path / "labels.csv"
    truth = pd.read_csv(table)["labels"]
    truth.to_csv(labels, index=False, header=False)
    trained = tmp_path / "trained"
    quick = ["--iterations", "20", "--train-cells", "500", "--quiet"]
    assert cli(["run", str(table), "--out", str(trained), "--markers", "0,1,2,3", *quick]) == 0
    applied = tmp_path / "applied"
    command = ["apply", str(trained / "model.cytomoe"), str(table), "--out", str(applied)]
    assert cli([*command, "--labels-file", str(labels), "--quiet"]) == 0
    report = json.loads((applied / "report.json").read_text())
    assert report["n_labelled"] == int((truth != "Unknown").sum())  # Unknown: not gated
    assert 0 < report["f_measure"] <= 1


def test_apply_matches_a_channel_spelled_otherwise_through_a_rename(
    multicenter_subset, tmp_path, capsys
):
    table = multicenter_subset(sample=1, n=1500, seed=3)
    trained = tmp_path / "trained"
    quick = ["--iterations", "20", "--train-cells", "500", "--quiet"]
    assert cli(["run", str(table), "--out", str(trained), "--markers", "0,1,2,3", *quick]) == 0
    other = tmp_path / "other_instrument.csv"
    pd.read_csv(table).rename(columns={"0": "CD45 (89Y)"}).to_csv(other, index=False)
    model = str(trained / "model.cytomoe")
    assert cli(["apply", model, str(other), "--out", str(tmp_path / "no"), "--quiet"]) == 2
    assert "trained on marker channel(s) the data lacks: 0." in capsys.readouterr().err
    out = tmp_path / "renamed"
    command = ["apply", model, str(other), "--out", str(out), "--rename", "CD45 (89Y)=0"]
    assert cli([*command, "--quiet"]) == 0
    assert json.loads((out / "report.json").read_text())["n_events"] == 1500


def test_a_rename_without_an_equals_sign_is_refused(multicenter_subset, tmp_path, capsys):
    table = multicenter_subset(sample=1, n=1500, seed=3)
    command = ["run", str(table), "--out", str(tmp_path / "o"), "--rename", "CD45"]
    assert cli(command) == 2
    assert "OLD=NEW" in capsys.readouterr().err
