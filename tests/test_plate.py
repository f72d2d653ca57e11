import numpy as np
import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.io.plate import Plate
from cytomoe.core.io.readers import read_samples
from cytomoe.core.io.wells import normalise_well, well_in_name


def test_yeast_plate_reads_as_24_wells_in_plate_order(shared_data):
    plate = Plate.open(shared_data / "plates/yeast")
    expected = [f"B{i}" for i in range(1, 13)] + [f"C{i}" for i in range(1, 13)]
    assert plate.wells == expected
    assert plate.n_events == 24_000


def test_plate01_reads_as_seven_wells(shared_data):
    plate = Plate.open(shared_data / "plates/plate01")
    assert plate.wells == ["A3", "A4", "A6", "A7", "B3", "B4", "C7"]
    assert len(plate.channels) == 16


@pytest.mark.parametrize(
    ("name", "well"),
    [
        ("Yeast_B1_B01.fcs", "B1"),
        ("RFP_Well_A6.fcs", "A6"),
        ("EY_2013-07-19_PBS_FCS_3.1_Well_A1.001.fcs", "A1"),
        ("G11.fcs", "G11"),
        ("sample.fcs", None),
        ("CD4_Tcells.csv", None),
    ],
)
def test_well_ids_come_from_file_names(name, well):
    assert well_in_name(name) == well


def test_well_keyword_is_normalised():
    assert normalise_well("b01") == "B1"
    assert normalise_well("Z9") is None


def test_pooled_events_carry_well_sample_and_event(shared_data):
    plate = Plate.open(shared_data / "plates/plate01")
    events = plate.events()
    assert len(events) == 70_000
    assert list(events.columns[-3:]) == ["well", "sample", "event"]
    first = events[events["sample"] == 0]
    assert np.array_equal(first["event"].to_numpy(), np.arange(10_000))
    assert np.array_equal(first[plate.channels].to_numpy(), plate.samples[0].events)


def test_unreadable_file_is_listed_and_the_rest_open(shared_data, tmp_path):
    for name in ("Yeast_B1_B01.fcs", "Yeast_B2_B02.fcs"):
        (tmp_path / name).write_bytes((shared_data / "plates/yeast" / name).read_bytes())
    (tmp_path / "Yeast_B3_B03.fcs").write_bytes(b"garbage!!")
    plate = Plate.open(tmp_path)
    assert plate.wells == ["B1", "B2"]
    assert [f.path.name for f in plate.failures] == ["Yeast_B3_B03.fcs"]


def test_plate_with_nothing_readable_is_an_input_error(tmp_path):
    (tmp_path / "a.fcs").write_bytes(b"nothing")
    with pytest.raises(InputError, match="could be read"):
        Plate.open(tmp_path)


def test_compensation_changes_only_spillover_channels(shared_data):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    raw, comp = plate.events(compensate_spillover=False), plate.events()
    spill = plate.samples[0].spillover
    assert np.array_equal(raw["FSC-A"], comp["FSC-A"])
    changed = [c for c in spill.index if not np.allclose(raw[c], comp[c])]
    assert changed
    restored = comp[list(spill.index)].to_numpy(np.float64) @ spill.to_numpy()
    assert np.allclose(restored, raw[list(spill.index)].to_numpy(), rtol=1e-4, atol=1e-2)


def test_compensation_agrees_with_flowkit(shared_data):
    import flowkit

    path = shared_data / "labeled/flowsom_68983/68983.fcs"
    theirs = flowkit.Sample(str(path))
    theirs.apply_compensation(theirs.metadata["spill"])
    plate = Plate.open(path)
    ours = plate.events()[plate.samples[0].channels].to_numpy()
    assert np.allclose(ours, theirs.get_events(source="comp"), rtol=1e-4, atol=1e-2)


def test_sample_sheet_adds_conditions_by_well(shared_data, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("well,dose\nA3,1\nC7,10\n")
    plate = Plate.open(shared_data / "plates/plate01", sample_sheet=sheet)
    assert plate.conditions["dose"].tolist()[0] == "1"
    assert plate.conditions["dose"].tolist()[-1] == "10"


def test_samples_without_a_common_channel_are_refused(shared_data, tmp_path):
    yeast = shared_data / "plates/yeast/Yeast_B1_B01.fcs"
    table = tmp_path / "other.csv"
    table.write_text("x,y\n1,2\n3,4\n")
    with pytest.raises(InputError, match="share no channel"):
        Plate.open([yeast, table])


def test_sample_sheet_finds_the_column_naming_the_files(shared_data):
    folder = shared_data / "cytof_unlabeled/cytonorm"
    plate = Plate.open(folder, sample_sheet=folder / "metadata.csv")
    by_file = dict(
        zip([s.path.name for s in plate.samples], plate.conditions["batch"], strict=True)
    )
    assert by_file["Gates_PTLG021_Unstim_Control_1.fcs"] == "1"
    assert set(plate.conditions.columns) == {"reference", "batch"}


def test_sample_sheet_naming_nothing_of_the_plate_is_an_input_error(shared_data, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("tube,dose\nx,1\n")
    with pytest.raises(InputError, match="sheet.csv"):
        Plate.open(shared_data / "plates/plate01", sample_sheet=sheet)


def test_table_text_columns_travel_into_the_pooled_events(shared_data):
    plate = Plate.open(shared_data / "labeled/multicenter_cytof/sample1.csv")
    events = plate.events()
    assert events["labels"].iloc[0] == "CD4_Tcells"
    assert len(events) == 55_621 and plate.channels == [str(i) for i in range(8)]


def test_plate_order_runs_along_rows_for_96_and_384_well_plates():
    from cytomoe.core.io.wells import well_sort_key

    wells = ["P24", "A10", "B1", None, "A2", "H12", "A1"]
    assert sorted(wells, key=well_sort_key) == ["A1", "A2", "A10", "B1", "H12", "P24", None]


def test_wellid_keyword_wins_over_the_file_name():
    from cytomoe.core.io.wells import well_from_keywords

    assert well_from_keywords({"wellid": "D06"}, "Plate_A1.fcs") == "D6"
    assert well_from_keywords({"src": "Specimen_001_C3"}, "tube.fcs") == "C3"


def test_table_columns_named_well_sample_and_event_keep_their_values_renamed(tmp_path):
    table = tmp_path / "own.csv"
    table.write_text("CD3,well,sample,event\n1.5,7,8,9\n3,10,11,12\n")
    plate = Plate.open(table)
    events = plate.events()
    assert plate.channels == ["CD3", "well_in_file", "sample_in_file", "event_in_file"]
    assert events["sample_in_file"].tolist() == [8.0, 11.0]
    assert events["event"].tolist() == [0, 1]


def test_fcs_channels_named_sample_and_event_are_not_overwritten(shared_data):
    path = shared_data / "labeled/samusik01_subset/Samusik_01_subset_2000_DERIVED.fcs"
    (raw,) = read_samples(path)
    column = raw.events[:, raw.channels.index("event")]
    assert not np.array_equal(column, np.arange(raw.n_events))  # the file's own numbering
    events = Plate.open(path).events()
    assert np.array_equal(events["event_in_file"].to_numpy(), column)


def test_sample_sheet_conditions_travel_into_the_pooled_events(shared_data, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("well,dose\nA3,1\nC7,10\n")
    events = Plate.open(shared_data / "plates/plate01", sample_sheet=sheet).events()
    by_well = events.groupby("well", observed=True)["dose"].first()
    assert by_well["A3"] == "1" and by_well["C7"] == "10"
    assert events.loc[events["well"] == "B3", "dose"].isna().all()


def test_sample_sheet_column_named_like_a_channel_is_refused(shared_data, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("well,dose,FSC-A\nA3,1,x\n")
    with pytest.raises(InputError, match="sheet.csv: .*FSC-A"):
        Plate.open(shared_data / "plates/plate01", sample_sheet=sheet)
