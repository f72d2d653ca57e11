"""FCS layouts real instruments write, built byte by byte so each case is explicit."""

import numpy as np
import pytest

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.fcs import read_fcs


def text_segment(pairs: dict[str, str]) -> bytes:
    return ("/" + "/".join(f"{k}/{v}" for k, v in pairs.items()) + "/").encode("latin-1")


def fcs_bytes(
    keywords: dict[str, str],
    data: bytes,
    version: str = "3.0",
    blank_data_offsets: bool = False,
    supplemental: dict[str, str] | None = None,
    header_data: tuple[int, int] | None = None,
    text_data: tuple[int, int] | None = None,
) -> bytes:
    """A one-data-set FCS file: HEADER, TEXT (with $BEGINDATA/$ENDDATA), DATA and an
    optional supplemental TEXT after the data. The DATA location HEADER or TEXT gives can
    be overridden (as (first byte, last byte)) to make them disagree."""
    stext = text_segment(supplemental) if supplemental else b""

    def text_for(begin: int, end: int) -> bytes:
        pairs = {**keywords, "$BEGINDATA": f"{begin:010d}", "$ENDDATA": f"{end:010d}"}
        if stext:
            pairs.update(
                {"$BEGINSTEXT": f"{end + 1:010d}", "$ENDSTEXT": f"{end + len(stext):010d}"}
            )
        return text_segment(pairs)

    size = len(text_for(0, 0))  # fixed-width offsets: the TEXT size does not depend on them
    begin, end = 58 + size, 58 + size + len(data) - 1
    text = text_for(*(text_data or (begin, end)))
    header_begin, header_end = header_data or (begin, end)
    offsets = [58, 58 + size - 1]
    offsets += [0, 0] if blank_data_offsets else [header_begin, header_end]
    offsets += [0, 0]
    fields = [
        " " * 8 if blank_data_offsets and i in (2, 3) else f"{v:8d}" for i, v in enumerate(offsets)
    ]
    return f"FCS{version}    ".encode() + "".join(fields).encode() + text + data + stext


def channel_keywords(names: list[str], bits: list, ranges: list[int]) -> dict[str, str]:
    keywords = {"$PAR": str(len(names)), "$MODE": "L", "$NEXTDATA": "0"}
    for i, (name, width, value_range) in enumerate(zip(names, bits, ranges, strict=True), 1):
        keywords.update(
            {f"$P{i}N": name, f"$P{i}B": str(width), f"$P{i}R": str(value_range), f"$P{i}E": "0,0"}
        )
    return keywords


def write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def pack_integers(values: np.ndarray, widths: list[int], big_endian: bool) -> bytes:
    rows = []
    for row in values:
        rows.append(
            b"".join(
                int(v).to_bytes(w // 8, "big" if big_endian else "little")
                for v, w in zip(row, widths, strict=True)
            )
        )
    return b"".join(rows)


@pytest.mark.parametrize("big_endian", [False, True])
def test_mixed_integer_widths_8_16_24_32_in_either_byte_order(tmp_path, big_endian):
    widths = [8, 16, 24, 32]
    rng = np.random.default_rng(0)
    values = np.column_stack([rng.integers(0, 2**w, 50, dtype=np.uint64) for w in widths])
    keywords = channel_keywords(["A", "B", "C", "D"], widths, [2**w for w in widths])
    keywords.update(
        {"$TOT": "50", "$DATATYPE": "I", "$BYTEORD": "4,3,2,1" if big_endian else "1,2,3,4"}
    )
    path = write(
        tmp_path, "ints.fcs", fcs_bytes(keywords, pack_integers(values, widths, big_endian))
    )
    (sample,) = read_fcs(path)
    assert np.array_equal(sample.events, values.astype(np.float32))


def test_unused_high_bits_are_masked_by_the_range(tmp_path):
    values = np.array([[5], [1023], [7]], dtype=np.uint64)
    flagged = values | np.uint64(0xFC00)  # flags in the 6 bits above a 10-bit range
    keywords = channel_keywords(["FL1"], [16], [1024])
    keywords.update({"$TOT": "3", "$DATATYPE": "I", "$BYTEORD": "1,2"})
    path = write(tmp_path, "flags.fcs", fcs_bytes(keywords, pack_integers(flagged, [16], False)))
    assert read_fcs(path)[0].events[:, 0].tolist() == [5, 1023, 7]


def test_ten_bit_values_stored_in_two_byte_words(tmp_path):
    values = np.array([[1, 1000], [512, 3]], dtype=np.uint64)
    keywords = channel_keywords(["FS", "SS"], [10, 10], [1024, 1024])
    keywords.update({"$TOT": "2", "$DATATYPE": "I", "$BYTEORD": "1,2"})
    path = write(tmp_path, "ten.lmd", fcs_bytes(keywords, pack_integers(values, [16, 16], False)))
    assert np.array_equal(read_fcs(path)[0].events, values.astype(np.float32))


def test_blank_header_data_offsets_use_the_text_keywords(tmp_path):
    values = np.arange(12, dtype="<f4").reshape(4, 3)
    keywords = channel_keywords(["X", "Y", "Z"], [32] * 3, [1024] * 3)
    keywords.update({"$TOT": "4", "$DATATYPE": "F", "$BYTEORD": "1,2,3,4"})
    path = write(
        tmp_path, "blank.fcs", fcs_bytes(keywords, values.tobytes(), blank_data_offsets=True)
    )
    assert np.array_equal(read_fcs(path)[0].events, values)


def test_missing_datatype_reads_as_integers(tmp_path):
    values = np.array([[1, 2], [300, 65535]], dtype=np.uint64)
    keywords = channel_keywords(["A", "B"], [16, 16], [65536, 65536])
    keywords.update({"$TOT": "2", "$BYTEORD": "1,2,3,4"})
    path = write(
        tmp_path, "nodatatype.fcs", fcs_bytes(keywords, pack_integers(values, [16, 16], False))
    )
    assert np.array_equal(read_fcs(path)[0].events, values.astype(np.float32))


def test_big_endian_doubles_with_an_eight_byte_order(tmp_path):
    values = np.array([[1.5, -2.25], [1e6, 3.0]])
    keywords = channel_keywords(["A", "B"], [64, 64], [1024, 1024])
    keywords.update({"$TOT": "2", "$DATATYPE": "D", "$BYTEORD": "8,7,6,5,4,3,2,1"})
    path = write(tmp_path, "doubles.fcs", fcs_bytes(keywords, values.astype(">f8").tobytes()))
    assert np.array_equal(read_fcs(path)[0].events, values.astype(np.float32))


def test_ascii_data_fixed_width_and_separated(tmp_path):
    keywords = channel_keywords(["A", "B"], [4, 3], [10000, 1000])
    keywords.update({"$TOT": "2", "$DATATYPE": "A", "$BYTEORD": "1,2,3,4"})
    fixed = write(tmp_path, "fixed.fcs", fcs_bytes(keywords, b"  123459999  7", "2.0"))
    assert read_fcs(fixed)[0].events.tolist() == [[12, 345], [9999, 7]]
    keywords.update({"$P1B": "*", "$P2B": "*"})
    separated = write(tmp_path, "free.fcs", fcs_bytes(keywords, b"12,345\n9999 7\n", "2.0"))
    assert read_fcs(separated)[0].events.tolist() == [[12, 345], [9999, 7]]


def test_missing_event_count_is_taken_from_the_data_size(tmp_path):
    values = np.arange(10, dtype="<f4").reshape(5, 2)
    keywords = channel_keywords(["A", "B"], [32, 32], [1024, 1024])
    keywords.update({"$DATATYPE": "F", "$BYTEORD": "1,2,3,4"})
    path = write(tmp_path, "notot.fcs", fcs_bytes(keywords, values.tobytes(), "2.0"))
    assert np.array_equal(read_fcs(path)[0].events, values)


def test_log_amplification_gain_and_timestep_give_instrument_units(tmp_path):
    # As FlowKit's 'raw' events: 10^(decades * x / range) * floor, / gain, time * timestep.
    values = np.array([[512, 100, 40]], dtype=np.uint64)
    keywords = channel_keywords(["FL1 Log", "FL2", "Time"], [16] * 3, [1024] * 3)
    keywords.update(
        {
            "$P1E": "4,1",
            "$P2G": "2.0",
            "$P3G": "5.0",
            "$TIMESTEP": "0.01",
            "$TOT": "1",
            "$DATATYPE": "I",
            "$BYTEORD": "1,2",
        }
    )
    path = write(tmp_path, "amp.fcs", fcs_bytes(keywords, pack_integers(values, [16] * 3, False)))
    assert np.allclose(read_fcs(path)[0].events, [[100.0, 50.0, 0.4]])


def test_unreadable_timestep_is_ignored_rather_than_refusing_the_file(tmp_path):
    values = np.array([[7, 40]], dtype=np.uint64)
    keywords = channel_keywords(["FL1", "Time"], [16, 16], [1024, 1024])
    keywords.update({"$TIMESTEP": "xxxx", "$TOT": "1", "$DATATYPE": "I", "$BYTEORD": "1,2"})
    path = write(tmp_path, "step.fcs", fcs_bytes(keywords, pack_integers(values, [16, 16], False)))
    assert read_fcs(path)[0].events.tolist() == [[7, 40]]


def test_data_segment_beyond_the_end_of_the_file_is_refused(tmp_path):
    keywords = channel_keywords(["A"], [32], [1024])
    keywords.update({"$TOT": "1000", "$DATATYPE": "F", "$BYTEORD": "1,2,3,4"})
    path = write(tmp_path, "short.fcs", fcs_bytes(keywords, b"\0" * 400))
    with pytest.raises(FcsReadError, match="short.fcs: is truncated"):
        read_fcs(path)


def test_spillover_in_the_supplemental_text_is_read(tmp_path):
    values = np.arange(4, dtype="<f4").reshape(2, 2)
    keywords = channel_keywords(["FITC-A", "PE-A"], [32, 32], [262144, 262144])
    keywords.update({"$TOT": "2", "$DATATYPE": "F", "$BYTEORD": "1,2,3,4", "$CYT": "Test"})
    spill = {"$SPILLOVER": "2,FITC-A,PE-A,1,0.2,0.05,1", "$CYT": "ignored"}
    path = write(tmp_path, "stext.fcs", fcs_bytes(keywords, values.tobytes(), supplemental=spill))
    (sample,) = read_fcs(path)
    assert sample.spillover.loc["FITC-A", "PE-A"] == 0.2
    assert sample.instrument == "Test"  # the primary TEXT wins
    assert np.array_equal(sample.events, values)


def float_file(values: np.ndarray, padding: int = 0, **locations) -> tuple[bytes, int]:
    """A float file of ``values`` after ``padding`` zero bytes, and where its DATA begins."""
    keywords = channel_keywords(["A", "B"], [32, 32], [1024, 1024])
    keywords.update({"$TOT": str(len(values)), "$DATATYPE": "F", "$BYTEORD": "1,2,3,4"})
    data = b"\0" * padding + values.astype("<f4").tobytes()
    content = fcs_bytes(keywords, data, **locations)
    return content, len(content) - len(data)


VALUES = np.arange(1, 21, dtype=np.float32).reshape(10, 2)
NEED = VALUES.nbytes


def test_header_location_is_read_when_text_points_inside_text(tmp_path):
    content, _ = float_file(VALUES, text_data=(100, 100 + NEED - 1))
    (sample,) = read_fcs(write(tmp_path, "text_inside.fcs", content))
    assert np.array_equal(sample.events, VALUES)


def test_text_location_is_read_when_header_points_inside_text(tmp_path):
    content, _ = float_file(VALUES, header_data=(100, 100 + NEED - 1))
    (sample,) = read_fcs(write(tmp_path, "header_inside.fcs", content))
    assert np.array_equal(sample.events, VALUES)


def test_header_location_wins_when_both_fit(tmp_path):
    _, begin = float_file(VALUES, padding=8)  # values 8 bytes (one event) into DATA
    content, _ = float_file(
        VALUES,
        padding=8,
        header_data=(begin + 8, begin + 8 + NEED - 1),
        text_data=(begin, begin + NEED - 1),
    )
    (sample,) = read_fcs(write(tmp_path, "both_fit.fcs", content))
    assert np.array_equal(sample.events, VALUES)


def test_location_of_another_size_than_the_declared_events_is_not_read(tmp_path):
    _, begin = float_file(VALUES, padding=8)
    content, _ = float_file(
        VALUES,
        padding=8,
        header_data=(begin, begin + NEED + 7),  # 9 bytes too many
        text_data=(begin + 8, begin + 8 + NEED - 1),
    )
    (sample,) = read_fcs(write(tmp_path, "sized.fcs", content))
    assert np.array_equal(sample.events, VALUES)


def test_file_where_no_location_fits_is_refused_in_one_sentence(tmp_path):
    content, _ = float_file(
        VALUES, header_data=(100, 100 + NEED - 1), text_data=(60, 60 + NEED - 1)
    )
    path = write(tmp_path, "nowhere.fcs", content)
    with pytest.raises(
        FcsReadError, match="nowhere.fcs: is damaged: no DATA location fits"
    ) as caught:
        read_fcs(path)
    assert len(str(caught.value).splitlines()) == 1


def test_integer_width_over_64_bits_is_refused(tmp_path):
    keywords = channel_keywords(["A"], [72], [1024])
    keywords.update({"$TOT": "1", "$DATATYPE": "I", "$BYTEORD": "1,2,3,4"})
    path = write(tmp_path, "wide.fcs", fcs_bytes(keywords, b"\0" * 9))
    with pytest.raises(FcsReadError, match=r"wide.fcs: is damaged: its \$P1B \('72'\)"):
        read_fcs(path)


def test_next_data_set_beyond_the_end_of_the_file_is_refused(tmp_path):
    keywords = channel_keywords(["A"], [32], [1024])
    keywords.update({"$TOT": "1", "$DATATYPE": "F", "$BYTEORD": "1,2,3,4", "$NEXTDATA": "9999"})
    path = write(tmp_path, "chain.fcs", fcs_bytes(keywords, b"\0" * 4))
    with pytest.raises(FcsReadError, match=r"chain.fcs: is damaged: its \$NEXTDATA points"):
        read_fcs(path)
