import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.io.plate import Plate
from cytomoe.core.io.readers import read_samples
from cytomoe.core.preprocessing.panel import Panel, is_marker_channel, is_mass_cytometry


def test_fluorescence_default_leaves_out_scatter_time_and_viability(shared_data):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    panel = Panel.default_for(plate.samples, plate.channels)
    names = {panel.display_name(c) for c in panel.selected}
    assert {"CD3", "CD4", "CD8", "CD19"} <= names
    assert not any(c.startswith(("FSC", "SSC")) or c == "Time" for c in panel.selected)
    assert "l/d" not in names
    assert panel.cofactors["PE-Cy7-A"] == 150 and panel.cofactors["FSC-A"] is None
    assert panel.compensate


def test_mass_cytometry_gets_cofactor_5_and_leaves_out_dna_and_beads(shared_data):
    path = shared_data / "cytof_unlabeled/cytonorm/Gates_PTLG021_Unstim_Control_1.fcs"
    plate = Plate.open(path)
    assert is_mass_cytometry(plate.samples)
    panel = Panel.default_for(plate.samples)
    names = {panel.display_name(c) for c in panel.selected}
    assert {"CD3", "CD19", "CD14"} <= names
    assert not any("Ir19" in c or "Ce140" in c for c in panel.selected)
    assert {panel.cofactors[c] for c in panel.selected} == {5.0}


def test_area_is_kept_over_height(shared_data):
    plate = Plate.open(shared_data / "plates/plate01")
    panel = Panel.default_for(plate.samples, plate.channels)
    assert panel.selected == ["V2-A", "Y2-A", "B1-A"]


def test_select_by_marker_or_channel_and_unknown_marker_is_named(shared_data):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    panel = Panel.default_for(plate.samples, plate.channels)
    assert panel.select(["CD3", "PE-A"]).selected == ["PE-Cy7-A", "PE-A"]
    with pytest.raises(InputError, match="CD999"):
        panel.select(["CD999"])


def test_panel_saves_and_loads(tmp_path, shared_data):
    plate = Plate.open(shared_data / "plates/yeast")
    panel = Panel.default_for(plate.samples).with_cofactor(42.0)
    panel.save(tmp_path / "panel.json")
    assert Panel.load(tmp_path / "panel.json") == panel


def test_loading_a_broken_panel_is_an_input_error(tmp_path):
    (tmp_path / "p.json").write_text("{not json")
    with pytest.raises(InputError, match="p.json"):
        Panel.load(tmp_path / "p.json")


def test_fluorescence_instrument_names_are_not_taken_for_mass_cytometry(shared_data):
    (sample,) = read_samples(shared_data / "instruments/flowio/G11.fcs")
    assert "Attune NxT" in sample.instrument
    assert not is_mass_cytometry([sample])
    assert set(Panel.default_for([sample]).cofactors.values()) == {150.0, None}


def test_metal_channel_names_mean_mass_cytometry_without_an_instrument_keyword(tmp_path):
    import numpy as np

    from cytomoe.core.io.sample import Sample

    channels = ["Time", "Event_length", "(Nd142)Dd", "Nd143Di", "Sm147Di", "Ir191Di"]
    markers = ["Time", "Event_length", "CD19", "CD3", "CD20", "DNA1"]
    sample = Sample(np.zeros((3, 6), np.float32), channels, markers, tmp_path / "x.fcs")
    panel = Panel.default_for([sample])
    assert is_mass_cytometry([sample])
    assert panel.selected == ["(Nd142)Dd", "Nd143Di", "Sm147Di"]
    assert panel.cofactors["Nd143Di"] == 5.0 and panel.cofactors["Time"] is None


@pytest.mark.parametrize(
    "marker",
    ["PI/PE-Cy5-A", "VIVID / CD14", "DOUBLET", "Zombie NIR", "Cisplatin", "Bead1", "FSC-W", "BC3"],
)
def test_viability_dump_doublet_scatter_bead_and_barcode_channels_are_left_out(marker):
    assert not is_marker_channel(marker, marker)


def test_marker_named_in_pns_on_a_bead_mass_is_a_marker(shared_data):
    (sample,) = read_samples(shared_data / "cytof_unlabeled/cytofast/cytofastData1.fcs")
    assert sample.markers[sample.channels.index("Ce140Di")] == "IgD"
    assert "Ce140Di" in Panel.default_for([sample]).selected


@pytest.mark.parametrize("pns", ["Ce140Di", "140Ce", "", "140Ce_Beads", "EQ4"])
def test_bead_mass_without_a_marker_in_pns_is_left_out(pns):
    assert not is_marker_channel("Ce140Di", pns or "Ce140Di")


def test_excluded_channel_is_never_selected(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("CD3,CD4,consensus\n1,2,1\n3,4,2\n")
    plate = Plate.open(table)
    panel = Panel.default_for(plate.samples, plate.channels, exclude=["consensus"])
    assert panel.selected == ["CD3", "CD4"]


@pytest.mark.parametrize(
    "name", ["label", "Labels", "population_name", "cluster_id", "gate", "class", "cell_type"]
)
def test_label_like_channels_are_never_markers(name):
    assert not is_marker_channel(name, name)


def test_numeric_label_column_of_a_run_is_not_clustered_on(tmp_path):
    from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
    from cytomoe.core.analysis.pipeline import resolve_panel

    table = tmp_path / "t.csv"
    table.write_text("CD3,CD4,consensus\n1,2,1\n3,4,2\n")
    settings = AnalysisSettings(inputs=[str(table)], labels=LabelSource("column", "consensus"))
    plate = Plate.open(table)
    assert "consensus" in Panel.default_for(plate.samples).selected  # a number like any other
    assert resolve_panel(settings, plate).selected == ["CD3", "CD4"]


def test_describe_names_marker_channel_and_cofactor_and_what_is_left_out(shared_data):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    panel = Panel.default_for(plate.samples, plate.channels)
    lines = panel.describe()
    assert "CD3 (PE-Cy7-A) cofactor 150" in lines
    assert len(lines) == len(panel.selected) + 1
    assert lines[-1].startswith("left out: ") and "FSC-A" in lines[-1]


def test_describe_says_when_a_channel_is_not_transformed(shared_data):
    plate = Plate.open(shared_data / "plates/yeast")
    panel = Panel.default_for(plate.samples).with_cofactor(None)
    assert all(line.endswith(" no transform") for line in panel.describe()[:-1])
