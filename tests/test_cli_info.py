import json
import subprocess
import sys


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "cytomoe", *map(str, args)], capture_output=True, text=True
    )


def test_info_prints_one_record_per_data_set(shared_data):
    result = run_cli("info", "--json", shared_data / "instruments/flowio/coulter.lmd")
    assert result.returncode == 0
    records = json.loads(result.stdout)
    assert [(r["data_set"], r["events"], len(r["channels"])) for r in records] == [
        (1, 18110, 8),
        (2, 18110, 8),
    ]


def test_info_reports_unreadable_files_and_carries_on(shared_data):
    result = run_cli(
        "info",
        shared_data / "instruments/fcsparser/corrupted/corrupted.fcs",
        shared_data / "plates/yeast/Yeast_B1_B01.fcs",
    )
    assert "corrupted.fcs" in result.stderr and "Traceback" not in result.stderr
    assert "1000 events x 9 channels" in result.stdout
    assert "well B1" in result.stdout


def test_info_exits_2_when_a_file_cannot_be_read(shared_data):
    result = run_cli("info", shared_data / "instruments/fcsparser/corrupted/corrupted.fcs")
    assert result.returncode == 2


def test_info_refuses_a_table_with_an_empty_cell_naming_line_and_column(tmp_path):
    table = tmp_path / "gap.csv"
    table.write_text("CD3,CD4\n1,2\n3,\n")
    result = run_cli("info", table)
    assert result.returncode == 2
    assert "gap.csv: cannot read: line 3, column 'CD4' has no value" in result.stderr
