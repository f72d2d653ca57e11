"""Every instrument file in the shared corpus reads with the shape MANIFEST.md lists and
the values an independent reader gives (damaged copies: tests/test_fcs_fuzz.py)."""

import math
import re
import warnings
from pathlib import Path

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


def _fix_bytes(pattern: bytes, replace):
    """A repair of one quirk, as a regular expression whose replacement keeps the file's
    length, so every offset in HEADER and TEXT stays valid."""

    def repair(data: bytes) -> bytes:
        repaired, count = re.subn(pattern, replace, data)
        assert count and len(repaired) == len(data)
        return repaired

    return repair


def _blank_header_offsets_from_text(data: bytes) -> bytes:
    begin, end = (re.search(rb"\$%s\W *(\d+)" % key, data)[1] for key in (b"BEGINDATA", b"ENDDATA"))
    return data[:26] + b"%8d%8d" % (int(begin), int(end)) + data[42:]


# Quirks flowio refuses, repaired in a copy so that flowio can read the same values.
_READABLE_TIMESTEP = _fix_bytes(rb"(?<=\$TIMESTEP\\)x+(?=\\)", lambda m: b"1".ljust(len(m[0])))
REPAIRS = {
    # 10-bit values in 16-bit words: flowio decodes only $PnB 8/16/32 ($PnR masks the rest).
    "cytoflow/Beckman Coulter - Cytomics FC500.LMD": _fix_bytes(rb"(?<=\$P\dB\\)10", b"16"),
    # Spaces before a keyword, which flowio keeps in the key: a filler keyword instead.
    "cytoflow/Partec - CyFlow v2.9.fcs": _fix_bytes(
        rb"(?<=/) {4,}(?=\$DATATYPE)", lambda m: b"X/" + b"y" * (len(m[0]) - 3) + b"/"
    ),
    "fcsparser/fake_large_fcs/fake_large_fcs.fcs": _blank_header_offsets_from_text,
    # $TIMESTEP 'xxxxxxxxx', which we read as 1.
    "flowio/data_start_offset_discrepancy_example.fcs": _READABLE_TIMESTEP,
    "flowio/data_stop_offset_discrepancy_example.fcs": _READABLE_TIMESTEP,
    "flowio/variable_int_example.fcs": _READABLE_TIMESTEP,
}
# HEADER's DATA location is the reference (fcsparser's choice) except where it cannot
# hold the data: there TEXT's, the only location that fits.
AT_TEXT_OFFSETS = {
    "flowio/data_start_offset_discrepancy_example.fcs",  # HEADER points inside TEXT
    "flowio/data_stop_offset_discrepancy_example.fcs",  # HEADER's DATA ends past the file
}
# 24-bit integers, which no library here decodes: compared with a plain-Python reading.
TWENTY_FOUR_BIT = {"cytoflow/Cytek xP5.fcs", "fcsparser/Cytek_xP5/Cytek_xP5.fcs"}


def flowio_reading(path: Path, name: str, scratch: Path) -> list[np.ndarray]:
    """Every data set's events as flowio reads them (FlowKit's 'raw' events); a repaired
    copy goes to the folder ``scratch``."""
    import flowio

    if name in REPAIRS:
        repaired = scratch / path.name
        repaired.write_bytes(REPAIRS[name](path.read_bytes()))
        path = repaired
    options = {"ignore_offset_discrepancy": True} if name in AT_TEXT_OFFSETS else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flowio's note on off-by-one data ends
        datasets = flowio.read_multiple_data_sets(
            str(path),
            ignore_offset_error=True,
            use_header_offsets=name not in AT_TEXT_OFFSETS,
            **options,
        )
    return [dataset.as_array() for dataset in datasets]


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - TWENTY_FOUR_BIT))
def test_values_equal_flowios_reading(shared_data, tmp_path, name):
    source = shared_data / "instruments" / name
    expected = flowio_reading(source, name, tmp_path)
    samples = read_fcs(source)
    assert len(samples) == len(expected)
    for sample, theirs in zip(samples, expected, strict=True):
        assert np.allclose(sample.events, theirs.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(TWENTY_FOUR_BIT))
def test_24_bit_values_equal_a_plain_python_reading(shared_data, name):
    path = shared_data / "instruments" / name
    (sample,) = read_fcs(path)
    data = path.read_bytes()
    start = int(data[26:34])  # HEADER and TEXT agree here
    channels = sample.events.shape[1]
    for row in (0, 1, sample.n_events // 2, sample.n_events - 1):
        for column in range(channels):
            at = start + 3 * (row * channels + column)
            stored = int.from_bytes(data[at : at + 3], "big")  # $BYTEORD 4,3,2,1
            expected = _instrument_units(stored, sample.keywords, column + 1)
            assert sample.events[row, column] == pytest.approx(expected, rel=1e-6)


def _instrument_units(stored: int, keywords: dict[str, str], number: int) -> float:
    """One stored value in instrument units, written out from the FCS standard."""
    value_range = float(keywords[f"p{number}r"])
    stored %= 2 ** math.ceil(math.log2(value_range))
    decades, floor = (float(x) for x in keywords[f"p{number}e"].split(","))
    if keywords[f"p{number}n"].lower() == "time":
        return stored * float(keywords["timestep"])
    if decades > 0:
        return (floor or 1.0) * 10 ** (decades * stored / value_range)
    return stored / (float(keywords.get(f"p{number}g", "1")) or 1.0)


def test_accuri_c6_is_read_at_the_header_offset_as_text_points_inside_text(shared_data, tmp_path):
    path = shared_data / "instruments/cytoflow/Accuri - C6.fcs"
    (expected,) = flowio_reading(path, "cytoflow/Accuri - C6.fcs", tmp_path)
    (sample,) = read_fcs(path)
    assert np.array_equal(sample.events, expected.astype(np.float32))


def test_cyan_is_read_at_the_header_offset_when_both_locations_fit(shared_data, tmp_path):
    path = shared_data / "instruments/cytoflow/Beckman Coulter - Cyan.fcs"
    (expected,) = flowio_reading(path, "cytoflow/Beckman Coulter - Cyan.fcs", tmp_path)
    (sample,) = read_fcs(path)
    assert np.array_equal(sample.events, expected.astype(np.float32))


def test_file_with_blank_header_offsets_equals_the_file_it_was_made_from(shared_data):
    folder = shared_data / "instruments/fcsparser"
    (blank,) = read_fcs(folder / "fake_large_fcs/fake_large_fcs.fcs")
    (source,) = read_fcs(folder / "Fortessa/FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs")
    assert blank.channels == source.channels
    assert np.array_equal(blank.events, source.events)


def test_unique_names_do_not_collide_with_existing_ones():
    from cytomoe.core.io.fcs import _unique_names

    assert _unique_names(["A", "A", "A_2", "B", "A"]) == ["A", "A_3", "A_2", "B", "A_4"]
