"""Model settings: made from the estimator's signature, range-checked in one place, and
refused in one sentence (exit 2) whether they come from the command line or a file."""

import inspect
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from cytomoe import cli
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.parameters import InvalidSetting
from cytomoe.core.model.settings import ModelSettings
from cytomoe.core.preprocessing.panel import Panel

OUT_OF_RANGE = [
    ("n_train", 0),
    ("n_experts", 0),
    ("learning_rate", float("nan")),
    ("learning_rate", -1e-3),
    ("learning_rate", float("inf")),
    ("iterations", 0),
    ("iterations", -1),
    ("min_population_share", 5),
    ("batch_size", 10**6),
    ("hidden_sizes", (64, 10**6)),
    ("hidden_sizes", ()),
    ("latent_dim", 10**8),
    ("knn_k", 0),
    ("seed", -1),
    ("weight_kl", float("nan")),
    ("iterations", 2.5),
    ("device", "tpu"),
]


def test_settings_are_the_estimators_parameters_with_its_defaults():
    parameters = inspect.signature(MoESimVAE.__init__).parameters
    settings = {f.name: f.default for f in fields(ModelSettings)}
    assert set(parameters) - set(settings) == {
        "self",
        "markers",
        "cofactors",
        "marker_names",
        "spillover",
    }
    assert all(parameters[name].default == default for name, default in settings.items())


def test_settings_make_an_estimator_that_scales_as_the_panel_says():
    panel = Panel(["FSC-A", "CD3", "CD4"], {}, ["CD3", "CD4"], {"CD3": 150.0, "CD4": None}, True)
    model = ModelSettings(n_experts=7, hidden_sizes=(20, 10)).estimator(panel)
    params = model.get_params()
    assert params["n_experts"] == 7 and params["hidden_sizes"] == [20, 10]
    assert params["markers"] == ["CD3", "CD4"]
    assert params["cofactors"] == {"CD3": 150.0, "CD4": None}


def test_settings_round_trip_through_a_dict_with_lists_for_tuples():
    settings = ModelSettings(n_experts=7, hidden_sizes=(20, 10), knn_k=5)
    assert settings.to_dict()["hidden_sizes"] == [20, 10]
    assert ModelSettings(**settings.to_dict()) == settings


@pytest.mark.parametrize("name, value", OUT_OF_RANGE, ids=lambda v: str(v))
def test_an_out_of_range_setting_is_refused_naming_it(name, value):
    with pytest.raises(InvalidSetting) as error:
        ModelSettings(**{name: value})
    assert error.value.name == name
    assert str(error.value).startswith(f"The model setting '{name}' must be ")


def test_replacing_a_setting_checks_it_too():
    with pytest.raises(InvalidSetting, match="'iterations'"):
        replace(ModelSettings(), iterations=0)


# ----------------------------------------------------------------------------- cytomoe run
@pytest.fixture
def small_csv(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "events.csv"
    pd.DataFrame(rng.gamma(2.0, 50.0, (300, 4)), columns=["CD3", "CD4", "CD8", "CD19"]).to_csv(
        path, index=False
    )
    return path


def run_cli(capsys, *args) -> tuple[int, str]:
    code = cli.main(["run", *map(str, args), "--quiet"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "option, value",
    [
        ("--train-cells", "0"),
        ("--train-cells", "100000000000"),
        ("--experts", "0"),
        ("--iterations", "0"),
        ("--iterations", "-5"),
        ("--device", "tpu"),
    ],
)
def test_run_refuses_a_model_option_out_of_range_in_one_sentence(
    capsys, tmp_path, small_csv, option, value
):
    code, err = run_cli(capsys, small_csv, "--out", tmp_path / "out", option, value)
    assert code == 2
    assert err.startswith(f"cytomoe: error: {option} must be ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "line, key",
    [
        ("n_experts = 0", "model.n_experts"),
        ("learning_rate = nan", "model.learning_rate"),
        ("learning_rate = -0.001", "model.learning_rate"),
        ("learning_rate = inf", "model.learning_rate"),
        ("iterations = 0", "model.iterations"),
        ("min_population_share = 5", "model.min_population_share"),
        ("n_train = 10000000000", "model.n_train"),
        ("hidden_sizes = [100000, 100000]", "model.hidden_sizes"),
    ],
)
def test_run_refuses_an_analysis_file_setting_out_of_range_in_one_sentence(
    capsys, tmp_path, small_csv, line, key
):
    config = tmp_path / "analysis.toml"
    config.write_text(f"format_version = 1\n[model]\n{line}\n")
    code, err = run_cli(capsys, small_csv, "--config", config, "--out", tmp_path / "out")
    assert code == 2
    assert err.startswith(f"cytomoe: error: {config}: '{key}' must be ") and err.count("\n") == 1
