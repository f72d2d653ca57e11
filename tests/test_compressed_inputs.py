"""Compressed label, sample-sheet and gates files are refused in one sentence: pandas and
libxml2 would inflate them into memory without a bound."""

import gzip
import zipfile

import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.gates import load_gates
from cytomoe.core.evaluation.labels import labels_from_file
from cytomoe.core.io.plate import Plate


def gzipped(source, target):
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


def test_gzip_label_file_is_refused(shared_data, tmp_path):
    labels = gzipped(shared_data / "labeled/flowsom_68983/gatingResult.csv", tmp_path / "l.csv.gz")
    with pytest.raises(InputError, match=r"^l.csv.gz: the label file is gzip-compressed"):
        labels_from_file(labels, 19_225)


def test_gzip_gatingml_file_is_refused_whatever_its_name(shared_data, tmp_path):
    gates = gzipped(shared_data / "labeled/flowsom_68983/manualGating.xml", tmp_path / "g.xml")
    with pytest.raises(InputError, match=r"^g.xml: the gates file is gzip-compressed"):
        load_gates(gates)


def test_gzip_flowjo_workspace_is_refused(shared_data, tmp_path):
    gates = gzipped(shared_data / "labeled/flowsom_68983/gating.wsp", tmp_path / "g.wsp")
    with pytest.raises(InputError, match=r"^g.wsp: the gates file is gzip-compressed"):
        load_gates(gates)


def test_zipped_sample_sheet_is_refused(shared_data, tmp_path):
    sheet = tmp_path / "sheet.zip"
    with zipfile.ZipFile(sheet, "w") as archive:
        archive.writestr("sheet.csv", "well,dose\nA3,1\n")
    with pytest.raises(InputError, match=r"^sheet.zip: the sample sheet is zip-compressed"):
        Plate.open(shared_data / "plates/plate01", sample_sheet=sheet)
