"""The FCS reader reads or refuses any file within seconds and bounded memory.

Each file is read in a child process with an alarm and an address-space limit (the harness
of benchmarks/fuzz_fcs.py), so a reader that hangs fails the test instead of stalling it.
"""

import pytest

from benchmarks.fuzz_fcs import FAILURES, fuzz_cases, run_guarded

TIME_LIMIT = 10.0  # seconds per file
MEMORY_LIMIT_MB = 2048  # address space of the reading process
# Small real files of different layouts: FCS 2.0 integers, mixed integer widths, floats,
# 10-bit LMD with two data sets, 24-bit integers, and HEADER/TEXT disagreements.
SOURCES = [
    "flowio/data1.fcs",
    "flowio/variable_int_example.fcs",
    "flowio/data_start_offset_discrepancy_example.fcs",
    "flowkit/index_sorted/index_sorted_example.fcs",
    "fcsparser/cyflow_cube_8/cyflow_cube_8.fcs",
    "cytoflow/Beckman Coulter - Cyan.fcs",
    "cytoflow/Beckman Coulter - Cytomics FC500.LMD",
    "cytoflow/Cytek xP5.fcs",
]
CASES = 300


@pytest.fixture(scope="module")
def fuzz_report(shared_data):
    files = [shared_data / "instruments" / name for name in SOURCES]
    return run_guarded(fuzz_cases(files, CASES, seed=0), TIME_LIMIT, MEMORY_LIMIT_MB)


def test_every_fuzzed_file_is_read_or_refused(fuzz_report):
    assert len(fuzz_report.outcomes) == CASES
    assert [(o.file, o.mutation, o.detail) for o in fuzz_report.failures("other", "crash")] == []


def test_no_fuzzed_file_runs_past_the_time_limit(fuzz_report):
    assert [(o.file, o.mutation) for o in fuzz_report.failures("hang")] == []


def test_every_refusal_names_the_file_in_one_line(fuzz_report):
    assert [(o.mutation, o.detail) for o in fuzz_report.failures("unclear")] == []


def test_fuzzing_reaches_both_reading_and_refusing(fuzz_report):
    counts = fuzz_report.counts
    assert counts["read"] >= CASES // 10 and counts["refused"] >= CASES // 10
    assert set(counts) <= {"read", "refused", *FAILURES}


def header(text: bytes, data: bytes) -> bytes:
    begin = 58 + len(text)
    offsets = (58, begin - 1, begin, begin + len(data) - 1, 0, 0)
    return b"FCS3.0    " + b"".join(b"%8d" % value for value in offsets) + text + data


def test_a_135_byte_file_declaring_2_to_the_31_channels_is_refused(tmp_path):
    text = b"/$PAR/2147483648/$TOT/1/$DATATYPE/I/$MODE/L/$BYTEORD/1,2,3,4/$NEXTDATA/0/"
    content = header(text, b"\0" * (135 - 58 - len(text)))
    assert len(content) == 135
    path = tmp_path / "par.fcs"
    path.write_bytes(content)
    (outcome,) = run_guarded([{"file": str(path)}], TIME_LIMIT, MEMORY_LIMIT_MB).outcomes
    assert (outcome.result, outcome.detail) == (
        "refused",
        "par.fcs: is damaged: its $PAR ('2147483648') is not a channel count.",
    )


def test_50000_channels_sharing_one_name_are_read_within_the_time_limit(tmp_path):
    channels = 50_000
    keywords = b"".join(b"$P%dN/X/" % i for i in range(1, channels + 1))
    text = b"/$PAR/%d/$TOT/1/$DATATYPE/F/$MODE/L/$BYTEORD/1,2,3,4/$NEXTDATA/0/" % channels
    path = tmp_path / "wide.fcs"
    path.write_bytes(header(text + keywords, b"\0" * 4 * channels))
    (outcome,) = run_guarded([{"file": str(path)}], TIME_LIMIT, MEMORY_LIMIT_MB).outcomes
    assert (outcome.result, outcome.detail) == ("read", f"[(1, {channels})]")
