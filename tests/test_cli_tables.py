"""Bad event tables through the command line: exit status 2 and one sentence."""

import subprocess
import sys


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "cytomoe", *map(str, args)], capture_output=True, text=True
    )


def test_run_on_a_table_with_a_stray_text_cell_exits_2_in_one_sentence(tmp_path):
    table = tmp_path / "typo.csv"
    table.write_text("CD3,CD4,CD8\n1,2,3\n4,5,six\n7,8,9\n")
    result = run_cli("run", table, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 2
    assert "line 3, column 'CD8' holds 'six'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
