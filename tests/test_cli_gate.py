"""`cytomoe gate`: file names unique per population, multi-data-set files gated per data
set, and the outputs rules (no input touched, no foreign file replaced)."""

import shutil

import pytest

from cytomoe.cli import main as cli
from cytomoe.core.io.fcs import read_fcs

LMD = "instruments/cytoflow/Beckman Coulter - Gallios.LMD"

# Two gates whose names clean to the same file name, on a channel of the LMD's first data set.
GATES = """<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML
    xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
    xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="NK_cells">
    <gating:dimension gating:compensation-ref="uncompensated" gating:min="0" gating:max="500">
      <data-type:fcs-dimension data-type:name="FL1 INT LOG" />
    </gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="NK.cells">
    <gating:dimension gating:compensation-ref="uncompensated" gating:min="100" gating:max="800">
      <data-type:fcs-dimension data-type:name="FL1 INT LOG" />
    </gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>
"""


@pytest.fixture()
def lmd(shared_data, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(shared_data / LMD, data / "gallios.lmd")
    gates = tmp_path / "gates.xml"
    gates.write_text(GATES)
    return data / "gallios.lmd", gates


def test_gate_names_that_clean_alike_get_a_file_each(lmd, tmp_path, capsys):
    data, gates = lmd
    out = tmp_path / "out"
    assert cli(["gate", str(data), "--gates", str(gates), "--out", str(out)]) == 0
    written = sorted(p.name for p in out.glob("*.fcs"))
    assert written == ["gallios_NK_cells.fcs", "gallios_NK_cells_2.fcs"]
    assert "wrote 2 file(s)" in capsys.readouterr().out
    events = {p.name: read_fcs(p)[0].n_events for p in out.glob("*.fcs")}
    assert events["gallios_NK_cells.fcs"] != events["gallios_NK_cells_2.fcs"]


def test_a_multi_data_set_file_is_gated_per_data_set(lmd, tmp_path, capsys):
    data, gates = lmd
    assert cli(["gate", str(data), "--gates", str(gates), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "gallios.lmd: NK_cells:" in printed
    assert "skipped: gallios.lmd [2]: the gates cannot apply" in printed  # no FL1 INT LOG


def test_gate_overwrite_keeps_a_foreign_file_of_the_same_name(lmd, tmp_path, capsys):
    data, gates = lmd
    out = tmp_path / "out"
    out.mkdir()
    (out / "gallios_NK_cells.fcs").write_bytes(b"mine")
    code = cli(["gate", str(data), "--gates", str(gates), "--out", str(out), "--overwrite"])
    assert code == 2 and "not written by cytomoe" in capsys.readouterr().err
    assert (out / "gallios_NK_cells.fcs").read_bytes() == b"mine"


def test_gate_refuses_an_output_folder_inside_its_input_folder(lmd, capsys):
    data, gates = lmd
    before = {p: p.read_bytes() for p in data.parent.rglob("*")}
    code = cli(["gate", str(data.parent), "--gates", str(gates), "--out", str(data.parent / "g")])
    assert code == 2 and "lies inside the input" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in data.parent.rglob("*")} == before
