import pytest

from cytomoe.core.errors import FcsReadError, InputError
from cytomoe.core.io.readers import expand_inputs, read_samples


def test_folder_gives_its_fcs_files_sorted_and_leaves_tables_beside_them(shared_data):
    files = expand_inputs([shared_data / "labeled/samusik01_subset"])
    assert [f.name for f in files] == ["Samusik_01_subset_2000_DERIVED.fcs"]


def test_folder_of_tables_gives_its_tables_but_not_notes(shared_data):
    files = expand_inputs([shared_data / "labeled/multicenter_cytof"])
    assert [f.name for f in files] == ["sample1.csv", "sample2.csv", "sample3.csv"]


def test_fcs_file_without_the_usual_suffix_is_found_by_its_header(shared_data, tmp_path):
    source = shared_data / "plates/yeast/Yeast_B1_B01.fcs"
    (tmp_path / "Yeast_B1_B01.001").write_bytes(source.read_bytes())
    (tmp_path / "notes.md").write_text("not data")
    files = expand_inputs([tmp_path])
    assert [f.name for f in files] == ["Yeast_B1_B01.001"]
    (sample,) = read_samples(files[0])
    assert sample.events.shape == (1000, 9) and sample.well == "B1"


def test_missing_input_is_an_input_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="nowhere.fcs"):
        expand_inputs([tmp_path / "nowhere.fcs"])


def test_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no FCS files"):
        expand_inputs([tmp_path])


def test_named_text_file_reads_as_a_tab_separated_table(tmp_path):
    table = tmp_path / "events.txt"
    table.write_text("CD3\tCD4\tlabel\n1.5\t2\tT\n3\t4.25\tB\n")
    (sample,) = read_samples(table)
    assert sample.channels == ["CD3", "CD4"]
    assert sample.events.tolist() == [[1.5, 2.0], [3.0, 4.25]]
    assert sample.annotations["label"].tolist() == ["T", "B"]


def test_table_without_numbers_is_refused_naming_it(tmp_path):
    table = tmp_path / "words.csv"
    table.write_text("a,b\nx,y\n")
    with pytest.raises(FcsReadError, match="words.csv"):
        read_samples(table)


def test_empty_table_is_refused_naming_it(tmp_path):
    table = tmp_path / "empty.csv"
    table.write_text("")
    with pytest.raises(FcsReadError, match="empty.csv: is empty"):
        read_samples(table)


def test_row_names_of_an_r_table_are_not_a_channel(tmp_path):
    table = tmp_path / "from_r.csv"
    table.write_text('"","CD3","CD4"\n"1",1.5,2\n"2",3,4\n')
    (sample,) = read_samples(table)
    assert sample.channels == ["CD3", "CD4"]
