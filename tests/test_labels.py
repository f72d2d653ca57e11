import pandas as pd
import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.labels import clean_labels, labels_from_column, labels_from_file


def test_unlabelled_spellings_become_missing():
    labels = clean_labels(["CD4", "Unlabeled", "unknown", "", None, float("nan"), "UNASSIGNED"])
    assert labels.tolist() == ["CD4", None, None, None, None, None, None]


def test_extra_unlabelled_values_and_whole_number_floats():
    labels = clean_labels([1.0, 2.0, 0.0, float("nan")], unlabeled=["0"])
    assert labels.tolist() == ["1", "2", None, None]


def test_label_file_of_68983_has_one_label_per_event(shared_data):
    labels = labels_from_file(shared_data / "labeled/flowsom_68983/gatingResult.csv", 19_225)
    assert labels.isna().sum() == 5554
    assert labels.value_counts()["CD4 T cells"] == 7487


def test_label_file_of_the_wrong_length_is_refused(shared_data):
    with pytest.raises(InputError, match="19225 labels"):
        labels_from_file(shared_data / "labeled/flowsom_68983/gatingResult.csv", 100)


def test_missing_label_column_lists_the_columns():
    events = pd.DataFrame({"CD3": [1.0], "labels": ["T"], "well": ["A1"]})
    with pytest.raises(InputError, match="CD3, labels"):
        labels_from_column(events, "population")


def test_label_file_that_is_not_text_is_refused_naming_it(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes(b"\xff\xfe\x00\xd8" * 10)
    with pytest.raises(InputError, match="labels.csv: cannot read the labels"):
        labels_from_file(labels, 10)
