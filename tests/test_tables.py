"""Event tables as users export them: the layout is read from the content, and a cell that
would change the events silently is refused with its line and column."""

import gzip

import numpy as np
import pytest

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.readers import read_samples


def read_one(path):
    (sample,) = read_samples(path)
    return sample


def test_tab_separated_table_named_csv_reads_its_columns(tmp_path):
    table = tmp_path / "export.csv"
    table.write_text("CD3\tCD4\tlabel\n1.5\t2\tT\n3\t4.25\tB\n")
    sample = read_one(table)
    assert sample.channels == ["CD3", "CD4"]
    assert sample.events.tolist() == [[1.5, 2.0], [3.0, 4.25]]


def test_semicolon_table_with_decimal_commas_reads_as_numbers(tmp_path):
    table = tmp_path / "excel.csv"
    table.write_text("CD3;CD4;CD8\n1,5;2,25;-0,5\n3;4,75;1e3\n")
    sample = read_one(table)
    assert sample.channels == ["CD3", "CD4", "CD8"]
    assert sample.events.tolist() == [[1.5, 2.25, -0.5], [3.0, 4.75, 1000.0]]


def test_text_cell_in_a_numeric_column_is_refused_naming_line_and_column(tmp_path):
    table = tmp_path / "typo.csv"
    table.write_text("CD3,CD4\n1,2\n3,4\n5,n/a?\n7,8\n")
    with pytest.raises(FcsReadError, match=r"typo.csv: line 4, column 'CD4' holds 'n/a\?'"):
        read_samples(table)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("CD3,CD4,CD8\n1,2,3\n4,,6\n7,8,\n", "line 3, column 'CD4' has no value.*2 such"),
        ("CD3,CD4\n1,2\nNaN,4\n", "line 3, column 'CD3' has no value"),
        ("CD3\tCD4\n1\t2\n3\t-inf\n", "line 3, column 'CD4' holds -inf"),
    ],
    ids=["empty", "nan", "infinite"],
)
def test_cell_without_a_finite_number_is_refused_naming_line_and_column(tmp_path, content, problem):
    table = tmp_path / "gap.csv"
    table.write_text(content)
    with pytest.raises(FcsReadError, match=f"gap.csv: {problem}"):
        read_samples(table)


def test_table_without_a_header_keeps_its_first_event(tmp_path):
    table = tmp_path / "bare.csv"
    table.write_text("1.5,2,3\n4,5.5,6\n")
    sample = read_one(table)
    assert sample.channels == ["V1", "V2", "V3"]
    assert sample.events.tolist() == [[1.5, 2.0, 3.0], [4.0, 5.5, 6.0]]


def test_table_without_a_header_keeps_its_first_event_beside_a_text_column(tmp_path):
    table = tmp_path / "bare.csv"
    table.write_text("1.5,2,T cells\n4,5.5,B cells\n")
    sample = read_one(table)
    assert sample.events.tolist() == [[1.5, 2.0], [4.0, 5.5]]
    assert sample.annotations["V3"].tolist() == ["T cells", "B cells"]


def test_header_of_column_numbers_names_the_columns(tmp_path):
    table = tmp_path / "numbered.csv"
    table.write_text("0,1,2\n1.5,2,3\n4,5.5,6\n")
    sample = read_one(table)
    assert sample.channels == ["0", "1", "2"] and sample.n_events == 2


def test_real_table_with_numbered_columns_keeps_its_header(shared_data):
    sample = read_one(shared_data / "labeled/multicenter_cytof/sample1.csv")
    assert sample.channels == [str(i) for i in range(8)]
    assert sample.n_events == 55_621


def test_numeric_label_like_column_is_an_annotation_not_a_channel(tmp_path):
    table = tmp_path / "gated.csv"
    table.write_text("CD3,CD4,population_id\n1,2,3\n4,5,\n")
    sample = read_one(table)
    assert sample.channels == ["CD3", "CD4"]
    assert sample.annotations["population_id"].iloc[0] == 3


def test_column_of_mostly_text_is_an_annotation_even_with_numbers_in_it(tmp_path):
    table = tmp_path / "tubes.csv"
    table.write_text("CD3,tube\n1,ctrl\n2,ctrl\n3,7\n")
    sample = read_one(table)
    assert sample.channels == ["CD3"]
    assert sample.annotations["tube"].tolist() == ["ctrl", "ctrl", "7"]


def test_blank_lines_and_a_trailing_separator_add_no_events_or_channels(tmp_path):
    table = tmp_path / "excel.csv"
    table.write_text("CD3,CD4,\n1,2,\n\n3,4,\n\n")
    sample = read_one(table)
    assert sample.channels == ["CD3", "CD4"]
    assert sample.events.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_real_table_with_unassigned_labels_reads_them_as_annotations(shared_data):
    sample = read_one(shared_data / "labeled/samusik01_subset/Samusik_01_subset_2000.csv")
    assert "label" not in sample.channels and "population_name" not in sample.channels
    assert sample.annotations["label"].isna().sum() == 793
    assert np.isfinite(sample.events).all()


def test_gzip_compressed_table_is_refused_naming_it(tmp_path):
    table = tmp_path / "events.csv.gz"
    table.write_bytes(gzip.compress(b"CD3,CD4\n1,2\n"))
    with pytest.raises(FcsReadError, match="events.csv.gz: is gzip-compressed"):
        read_samples(table)


def test_binary_file_named_csv_is_refused_naming_it(tmp_path):
    table = tmp_path / "image.csv"
    table.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(FcsReadError, match="image.csv: is not a text table"):
        read_samples(table)
