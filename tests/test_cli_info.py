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
    assert result.returncode == 1
    assert "corrupted.fcs" in result.stderr and "Traceback" not in result.stderr
    assert "1000 events x 9 channels" in result.stdout
    assert "well B1" in result.stdout
