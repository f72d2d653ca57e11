"""Every instrument file in the shared corpus reads with the shape MANIFEST.md lists."""

import numpy as np
import pytest

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.io.readers import read_samples

# events x channels per data set, copied from ../shared/data/MANIFEST.md
EXPECTED = {
    "cytoflow/Accuri - C6.fcs": [(60661, 14)],
    "cytoflow/Applied Biosystems - Attune.fcs": [(22188, 26)],
    "cytoflow/Beckman Coulter - Cyan.fcs": [(5789, 12)],
    "cytoflow/Beckman Coulter - Cytomics FC500.LMD": [(27072, 4), (27072, 8)],
    "cytoflow/Beckman Coulter - Gallios.LMD": [(26383, 6), (26383, 5)],
    "cytoflow/Beckman Coulter - MoFlo Astrios - linear settings.fcs": [(6091, 68)],
    "cytoflow/Beckman Coulter - MoFlo Astrios - log settings.fcs": [(5826, 68)],
    "cytoflow/Beckman Coulter - MoFlo XDP.fcs": [(38830, 26)],
    "cytoflow/Cytek DxP10.fcs": [(20177, 15)],
    "cytoflow/Cytek NL-2000.fcs": [(20000, 27)],
    "cytoflow/Cytek xP5.fcs": [(23126, 8)],
    "cytoflow/Miltenyi Biotec - MACSQuant Analyzer.fcs": [(66165, 10)],
    "cytoflow/Partec - CyFlow v2.9.fcs": [(72989, 4)],
    "fcsparser/Cytek_xP5/Cytek_xP5.fcs": [(23126, 8)],
    "fcsparser/FACSCaliburHTS/Sample_Well_A02.fcs": [(37395, 8)],
    "fcsparser/FACS_Diva/facs_diva_test.fcs": [(83411, 12)],
    "fcsparser/Fortessa/FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs": [(11585, 11)],
    "fcsparser/GuavaMuse/Guava Muse.fcs": [(108, 10), (50081, 10), (111496, 10), (50037, 10)],
    "fcsparser/HTS_BD_LSR-II/HTS_BD_LSR_II_Mixed_Specimen_001_D6_D06.fcs": [(14945, 11)],
    "fcsparser/MiltenyiBiotec/FCS2.0/"
    "EY_2013-07-19_PBS_FCS_2.0_Custom_Without_Add_Well_A1.001.fcs": [(10000, 16)],
    "fcsparser/MiltenyiBiotec/FCS3.0/FCS3.0_Custom_Compatible.fcs": [(10000, 16)],
    "fcsparser/MiltenyiBiotec/FCS3.1/EY_2013-07-19_PBS_FCS_3.1_Custom_Add_Well_A1.001.fcs": [
        (10000, 19)
    ],
    "fcsparser/MiltenyiBiotec/FCS3.1/"
    "EY_2013-07-19_PBS_FCS_3.1_Custom_Without_Add_Well_A1.001.fcs": [(10000, 19)],
    "fcsparser/MiltenyiBiotec/FCS3.1/EY_2013-07-19_PBS_FCS_3.1_Well_A1.001.fcs": [(10000, 19)],
    "fcsparser/MiltenyiBiotec/FCS3.1/SG_2014-09-26_Duplicate_Names.fcs": [(8129, 9)],
    "fcsparser/cyflow_cube_8/cyflow_cube_8.fcs": [(725, 10)],
    "fcsparser/fake_bitmask_error/fcs1_cleaned.lmd": [(50000, 7)],
    "fcsparser/fake_large_fcs/fake_large_fcs.fcs": [(11585, 11)],
    "flowio/100715.fcs": [(65016, 16)],
    "flowio/3FITC_4PE_004.fcs": [(94569, 4)],
    "flowio/B01 KC-A-W---91-US.fcs": [(1589, 14)],
    "flowio/G11.fcs": [(5785, 12)],
    "flowio/coulter.lmd": [(18110, 8), (18110, 8)],
    "flowio/data1.fcs": [(13367, 8)],
    "flowio/data_start_offset_discrepancy_example.fcs": [(2, 26)],
    "flowio/data_stop_offset_discrepancy_example.fcs": [(2, 26)],
    "flowio/variable_int_example.fcs": [(2, 26)],
    "flowkit/test_comp_example.fcs": [(10703, 18)],
    "flowkit/index_sorted/index_sorted_example.fcs": [(384, 13)],
}
REFUSE = ["fcsparser/corrupted/corrupted.fcs", "fcsparser/cytek-nl-2000/sample_header.fcs"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_instrument_file_reads_with_the_listed_shape(shared_data, name):
    samples = read_samples(shared_data / "instruments" / name)
    assert [s.events.shape for s in samples] == EXPECTED[name]
    for index, sample in enumerate(samples):
        assert sample.dataset == index
        assert sample.events.dtype.name == "float32"
        assert len(set(sample.channels)) == len(sample.channels)
        assert len(sample.markers) == len(sample.channels)


@pytest.mark.parametrize("name", REFUSE)
def test_broken_file_is_refused_with_a_sentence_naming_it(shared_data, name):
    path = shared_data / "instruments" / name
    with pytest.raises(FcsReadError) as caught:
        read_fcs(path)
    message = str(caught.value)
    assert path.name in message and "Traceback" not in message
    assert len(message.splitlines()) == 1


def test_duplicate_channel_names_are_made_unique(shared_data):
    path = "instruments/fcsparser/MiltenyiBiotec/FCS3.1/SG_2014-09-26_Duplicate_Names.fcs"
    (sample,) = read_fcs(shared_data / path)
    assert len(set(sample.channels)) == 9


def test_markers_fall_back_to_channel_names_and_spillover_is_read(shared_data):
    (sample,) = read_fcs(shared_data / "labeled/flowsom_68983/68983.fcs")
    markers = dict(zip(sample.channels, sample.markers, strict=True))
    assert markers["PE-Cy7-A"] == "CD3"
    assert markers["FSC-A"] == "FSC-A"
    assert sample.spillover is not None
    assert set(sample.spillover.index) <= set(sample.channels)


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(FcsReadError, match="does not exist"):
        read_samples(tmp_path / "absent.fcs")


def test_truncated_copy_of_a_good_file_is_refused(shared_data, tmp_path):
    data = (shared_data / "instruments/flowio/data1.fcs").read_bytes()
    broken = tmp_path / "cut.fcs"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(FcsReadError, match="cut.fcs"):
        read_fcs(broken)


def test_csv_table_reads_numbers_as_channels_and_text_as_annotations(shared_data):
    (sample,) = read_samples(shared_data / "labeled/multicenter_cytof/sample1.csv")
    assert sample.events.shape == (55621, 8)
    assert list(sample.annotations.columns) == ["labels"]
    assert "CD4_Tcells" in set(sample.annotations["labels"])


def test_ragged_table_is_refused(tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(FcsReadError, match="bad.csv"):
        read_samples(table)


@pytest.mark.parametrize(
    "name", ["flowio/data1.fcs", "flowio/coulter.lmd", "cytoflow/Cytek xP5.fcs"]
)
def test_damaged_copies_read_or_raise_fcs_read_error_and_nothing_else(shared_data, tmp_path, name):
    data = (shared_data / "instruments" / name).read_bytes()
    rng = np.random.default_rng(1)
    text_end = int(data[18:26])
    damaged = [data[:cut] for cut in rng.integers(0, len(data), 10)]
    for _ in range(10):
        copy = bytearray(data)
        for position in rng.integers(0, text_end, 4):
            copy[position] = rng.integers(0, 256)
        damaged.append(bytes(copy))
    for index, content in enumerate(damaged):
        path = tmp_path / f"damaged_{index}.fcs"
        path.write_bytes(content)
        try:
            read_fcs(path)
        except FcsReadError as error:
            assert path.name in str(error)


@pytest.mark.parametrize(
    "name",
    [
        "cytoflow/Accuri - C6.fcs",
        "cytoflow/Beckman Coulter - MoFlo Astrios - log settings.fcs",
        "flowio/B01 KC-A-W---91-US.fcs",
        "flowio/3FITC_4PE_004.fcs",
        "fcsparser/fake_bitmask_error/fcs1_cleaned.lmd",
        "flowkit/test_comp_example.fcs",
    ],
)
@pytest.mark.filterwarnings("ignore:FCS file")  # FlowKit's note on off-by-one data ends
def test_values_are_flowkits_raw_events(shared_data, name):
    import flowkit

    path = shared_data / "instruments" / name
    expected = flowkit.Sample(
        str(path), ignore_offset_error=True, ignore_offset_discrepancy=True
    ).get_events(source="raw")
    (sample,) = read_fcs(path)
    assert np.allclose(sample.events, expected.astype(np.float32), rtol=1e-6)


def test_file_with_blank_header_offsets_equals_the_file_it_was_made_from(shared_data):
    folder = shared_data / "instruments/fcsparser"
    (blank,) = read_fcs(folder / "fake_large_fcs/fake_large_fcs.fcs")
    (source,) = read_fcs(folder / "Fortessa/FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs")
    assert blank.channels == source.channels
    assert np.array_equal(blank.events, source.events)


def test_unique_names_do_not_collide_with_existing_ones():
    from cytomoe.core.io.fcs import _unique_names

    assert _unique_names(["A", "A", "A_2", "B", "A"]) == ["A", "A_3", "A_2", "B", "A_4"]


@pytest.mark.parametrize(
    "name", ["fcsparser/GuavaMuse/Guava Muse.fcs", "cytoflow/Beckman Coulter - Gallios.LMD"]
)
def test_every_data_set_holds_flowkits_raw_events(shared_data, name):
    import flowkit

    path = shared_data / "instruments" / name
    expected = flowkit.read_multi_dataset_fcs(str(path), ignore_offset_error=True)
    samples = read_fcs(path)
    assert len(samples) == len(expected)
    for sample, theirs in zip(samples, expected, strict=True):
        raw = theirs.get_events(source="raw").astype(np.float32)
        assert np.allclose(sample.events, raw, rtol=1e-6)
