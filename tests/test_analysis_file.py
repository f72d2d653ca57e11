"""Analysis files: versioned TOML that people can edit, read back exactly, clear errors."""

import tomllib
from pathlib import Path

import pytest
from cytomoe.resources import resource_path

from cytomoe.core.analysis.analysis_file import (
    ANALYSIS_FORMAT_VERSION,
    AnalysisSettings,
    LabelSource,
    ViewSettings,
    load_analysis,
    save_analysis,
)
from cytomoe.core.errors import InputError
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.preprocessing.panel import Panel

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "analysis"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "analysis.toml"
    path.write_text(text)
    return path


def test_saved_settings_load_back_equal(tmp_path):
    panel = Panel(
        ["FSC-A", "FITC-A", "PE Cy7-A", "Time"],
        {"FITC-A": 'CD3 "bright"'},
        ["FITC-A", "PE Cy7-A"],
        {"FITC-A": 150.0, "PE Cy7-A": 5.0},
        False,
    )
    settings = AnalysisSettings(
        inputs=[str(tmp_path / "plate"), "/elsewhere/plate2"],
        panel=panel,
        model=ModelSettings(iterations=123, hidden_sizes=(16, 8), knn_k=7, device="cpu"),
        labels=LabelSource("column", "labels", ["0", "debris"]),
        sample_sheet=str(tmp_path / "sheet.csv"),
        model_file=str(tmp_path / "m.cytomoe"),
    )
    path = save_analysis(settings, tmp_path / "a.toml")
    loaded = load_analysis(path)
    assert loaded.model == settings.model
    assert loaded.labels == settings.labels
    assert loaded.inputs == settings.inputs
    assert loaded.sample_sheet == settings.sample_sheet
    assert loaded.model_file == settings.model_file
    assert loaded.panel.selected == panel.selected
    assert loaded.panel.display_name("FITC-A") == 'CD3 "bright"'
    assert loaded.panel.cofactors == {"FSC-A": None, "FITC-A": 150.0, "PE Cy7-A": 5.0, "Time": None}
    assert loaded.panel.compensate is False


def test_paths_inside_the_folder_are_written_relative(tmp_path):
    settings = AnalysisSettings(inputs=[str(tmp_path / "plates" / "p1")])
    text = save_analysis(settings, tmp_path / "a.toml").read_text()
    assert tomllib.loads(text)["inputs"] == ["plates/p1"]


def test_relative_inputs_resolve_against_the_file_folder(tmp_path, monkeypatch):
    path = _write(
        tmp_path,
        'format_version = 1\ninputs = ["plate1"]\n[labels]\nkind = "gates"\nvalue = "gates.wsp"\n',
    )
    monkeypatch.chdir(REPO)
    settings = load_analysis(path)
    assert settings.inputs == [str(tmp_path / "plate1")]
    assert settings.labels.value == str(tmp_path / "gates.wsp")


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("format_v*.toml")), ids=lambda p: p.name)
def test_every_format_version_fixture_still_loads(fixture):
    settings = load_analysis(fixture)
    assert settings.model.iterations == 150
    assert settings.panel.selected == ["FITC-A", "PE-A"]
    assert settings.labels.kind == "file"


def test_there_is_a_fixture_for_the_current_format_version():
    assert (FIXTURES / f"format_v{ANALYSIS_FORMAT_VERSION}.toml").is_file()


def test_example_runs_on_any_plate_with_default_settings():
    settings = load_analysis(resource_path("examples/analysis.toml"))
    assert settings.inputs == []
    assert settings.panel is None  # chosen per plate
    assert settings.model == ModelSettings()


@pytest.mark.parametrize(
    "text, key",
    [
        ("format_version = 1\nplates = []\n", "plates"),
        ("format_version = 1\n[model]\niteration = 5\n", "model.iteration"),
        ('format_version = 1\n[model]\niterations = "many"\n', "model.iterations"),
        ("format_version = 1\n[model]\niterations = 2.5\n", "model.iterations"),
        ("format_version = 1\n[model]\nhidden_sizes = 64\n", "model.hidden_sizes"),
        ('format_version = 1\ninputs = "plate"\n', "inputs"),
        ('format_version = 1\n[labels]\nkind = "colour"\nvalue = "x"\n', "labels.kind"),
        (
            'format_version = 1\n[panel]\nchannels = ["A"]\nselected = ["A"]\n'
            "[panel.cofactors]\nA = -1\n",
            "panel.cofactors.A",
        ),
    ],
)
def test_bad_key_or_type_names_file_and_key(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as error:
        load_analysis(path)
    assert str(path) in str(error.value)
    assert f"'{key}'" in str(error.value)


@pytest.mark.parametrize(
    "line, key",
    [
        ("n_experts = 0", "model.n_experts"),
        ("n_train = 0", "model.n_train"),
        ("learning_rate = nan", "model.learning_rate"),
        ("learning_rate = -0.001", "model.learning_rate"),
        ("learning_rate = inf", "model.learning_rate"),
        ("iterations = 0", "model.iterations"),
        ("iterations = -5", "model.iterations"),
        ("min_population_share = 5", "model.min_population_share"),
        ("batch_size = 1000000", "model.batch_size"),
        ("hidden_sizes = [64, 100000]", "model.hidden_sizes"),
        ("latent_dim = 100000000", "model.latent_dim"),
    ],
)
def test_out_of_range_model_setting_names_file_key_and_range(tmp_path, line, key):
    path = _write(tmp_path, f"format_version = 1\n[model]\n{line}\n")
    with pytest.raises(InputError) as error:
        load_analysis(path)
    message = str(error.value)
    assert message.startswith(f"{path}: '{key}' must be a ") and "\n" not in message


def test_newer_format_is_refused_clearly(tmp_path):
    path = _write(tmp_path, f"format_version = {ANALYSIS_FORMAT_VERSION + 1}\n")
    with pytest.raises(InputError, match="newer cytomoe"):
        load_analysis(path)


def test_missing_version_and_bad_toml_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="format_version"):
        load_analysis(_write(tmp_path, "inputs = []\n"))
    with pytest.raises(InputError, match="not a valid TOML"):
        load_analysis(_write(tmp_path, "format_version = \n"))
    with pytest.raises(InputError, match="no such analysis file"):
        load_analysis(tmp_path / "missing.toml")


def test_channel_renames_survive_saving_and_loading(tmp_path):
    settings = AnalysisSettings(channel_names={"PacificBlue-A": "Pacific Blue-A"})
    save_analysis(settings, tmp_path / "analysis.toml")
    loaded = load_analysis(tmp_path / "analysis.toml")
    assert loaded.channel_names == {"PacificBlue-A": "Pacific Blue-A"}


def test_what_the_app_saves_beside_the_settings_loads_back(tmp_path):
    settings = AnalysisSettings(
        inputs=[str(tmp_path / "plate")],
        model_file=str(tmp_path / "a.cytomoe"),
        clusters_file=str(tmp_path / "a.clusters.npz"),
        gates_file=str(tmp_path / "a.gates.xml"),
        cluster_names={0: "CD4+ T cells", 3: 'B "naive"'},
        view=ViewSettings("FSC-A", "SSC-A", 3, ["A1", "H12"]),
    )
    loaded = load_analysis(save_analysis(settings, tmp_path / "a.toml"))
    assert loaded.clusters_file == settings.clusters_file
    assert loaded.gates_file == settings.gates_file
    assert loaded.cluster_names == settings.cluster_names
    assert loaded.view == settings.view


def test_the_version_2_fixture_keeps_cluster_names_and_view():
    settings = load_analysis(FIXTURES / "format_v2.toml")
    assert settings.cluster_names == {0: "CD4 T cells", 2: "B cells"}
    assert settings.view.cluster == 2 and settings.view.wells == ["A1", "B3"]
    assert settings.clusters_file == str(FIXTURES / "analysis.clusters.npz")


@pytest.mark.parametrize(
    "text, key",
    [
        ('[cluster_names]\nCD4 = "T"\n', "cluster_names.CD4"),
        ("[cluster_names]\n1 = 2\n", "cluster_names.1"),
        ('[view]\ncluster = "one"\n', "view.cluster"),
        ("[view]\nzoom = 2\n", "view.zoom"),
    ],
)
def test_bad_cluster_names_or_view_name_the_key(tmp_path, text, key):
    path = _write(tmp_path, "format_version = 2\n" + text)
    with pytest.raises(InputError) as error:
        load_analysis(path)
    assert f"'{key}'" in str(error.value)


def test_a_view_scale_or_style_the_app_does_not_know_is_refused(tmp_path):
    path = tmp_path / "analysis.toml"
    path.write_text('version = 2\ninputs = ["plate"]\n[view]\nscale = "log"\n')
    with pytest.raises(InputError, match="view.scale"):
        load_analysis(path)
