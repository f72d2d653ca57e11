"""Manual gates: the Gating-ML 2.0 compliance suite, FlowJo's workspace and its Gating-ML
export against the published labels of 68983, drawn gates, and `cytomoe gate`."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.gates import (
    DrawnGate,
    drawn_gate_membership,
    leaf_labels_for_plate,
    load_drawn_gates,
    load_gates,
    save_drawn_gates,
)
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.io.plate import Plate

# The suite names one result file differently from its gate (as FlowKit's own tests map it).
RESULT_FOR_GATE = {"ParQuadRect": "ParRectangle1"}


def compliance_cases(shared_data):
    gml, truth = shared_data / "gatingml/gml", shared_data / "gatingml/truth"
    return gml, {
        RESULT_FOR_GATE.get(name, name): path
        for path in truth.glob("Results_*.txt")
        for name in [path.stem[len("Results_") :]]
    }


def test_every_compliance_gate_matches_its_truth_exactly(shared_data):
    gml, truths = compliance_cases(shared_data)
    (sample,) = read_fcs(shared_data / "gatingml/data1.fcs")
    checked = {}
    for xml in sorted(gml.glob("*.xml")):
        gates = load_gates(xml)
        membership = gates.membership(sample)
        for population in gates.populations:
            if population.name in truths and population.name not in checked:
                expected = np.loadtxt(truths[population.name]).astype(bool)
                checked[population.name] = np.array_equal(
                    membership[population.label].to_numpy(), expected
                )
    assert set(checked) == set(truths), f"no gate for {set(truths) - set(checked)}"
    assert all(checked.values()), [name for name, ok in checked.items() if not ok]


@pytest.mark.parametrize("gates_file", ["gating.wsp", "manualGating.xml"])
def test_68983_leaves_match_the_published_labels_within_half_a_percent(shared_data, gates_file):
    folder = shared_data / "labeled/flowsom_68983"
    plate = Plate.open(folder / "68983.fcs")
    labels = leaf_labels_for_plate(folder / gates_file, plate)
    truth = pd.read_csv(folder / "gatingResult.csv", header=None)[0]
    table = pd.crosstab(truth, labels.fillna("none"))
    tolerance = 0.005 * len(truth)
    for population in truth.unique():
        if population == "Unlabeled":
            continue
        # The gate that holds most of the population; FlowJo's Gating-ML export has no
        # names, only ids.
        best = table.loc[population].drop("none", errors="ignore").idxmax()
        assert abs(int((labels == best).sum()) - int((truth == population).sum())) <= tolerance
        assert table.loc[population, best] >= (truth == population).sum() - tolerance


def test_drawn_gates_round_trip_through_gatingml(shared_data, tmp_path):
    plate = Plate.open(shared_data / "labeled/flowsom_68983/68983.fcs")
    events = plate.events()
    gates = [
        DrawnGate(
            "cells",
            "rectangle",
            ("FSC-A", "SSC-A"),
            (None, None),
            [(80_000, 200_000), (0, 120_000)],
        ),
        DrawnGate(
            "CD3pos_CD4pos",
            "polygon",
            ("PE-Cy7-A", "PE-Texas Red-A"),
            (150.0, 150.0),
            [(2.0, 2.0), (6.0, 2.0), (6.0, 6.5), (2.0, 6.5)],
            parent="cells",
        ),
    ]
    membership = drawn_gate_membership(gates, events)
    assert 0 < membership["CD3pos_CD4pos"].sum() < membership["cells"].sum() < len(events)
    assert not (membership["CD3pos_CD4pos"] & ~membership["cells"]).any()
    path = tmp_path / "drawn.xml"
    save_drawn_gates(gates, path, compensated=False)
    reloaded = load_gates(path)
    assert [(p.name, p.path) for p in reloaded.populations] == [
        ("cells", ("root",)),
        ("CD3pos_CD4pos", ("root", "cells")),
    ]
    import flowkit as fk

    sample = fk.Sample(
        events[["FSC-A", "SSC-A", "PE-Cy7-A", "PE-Texas Red-A"]].astype(np.float64),
        sample_id="events",
    )
    results = reloaded.strategy.gate_sample(sample)
    for gate in gates:
        assert np.array_equal(results.get_gate_membership(gate.name), membership[gate.name])
    back = load_drawn_gates(path)
    assert [(g.name, g.kind, g.channels, g.parent) for g in back] == [
        (g.name, g.kind, g.channels, g.parent) for g in gates
    ]
    for original, loaded in zip(gates, back, strict=True):
        assert loaded.cofactors == pytest.approx(original.cofactors)
        assert np.allclose(
            np.array(loaded.vertices, dtype=float), np.array(original.vertices, dtype=float)
        )


def test_gate_names_must_be_gatingml_ids_and_a_fix_is_suggested():
    with pytest.raises(InputError, match="CD4pos_T_cells"):
        DrawnGate("CD4+ T cells", "range", ("PE-A",), (None,), [(0.0, 1.0)])


def test_unreadable_gates_file_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-gating-ml/>")
    with pytest.raises(InputError, match="bad.xml"):
        load_gates(bad)


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "cytomoe", *map(str, args)], capture_output=True, text=True
    )


def test_gate_command_writes_one_fcs_per_population_and_prints_counts(shared_data, tmp_path):
    folder = shared_data / "labeled/flowsom_68983"
    result = run_cli(
        "gate",
        folder / "68983.fcs",
        "--gates",
        folder / "gating.wsp",
        "--out",
        tmp_path / "out",
        "--population",
        "CD4 T cells",
        "B cells",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [(r["population"], r["parent"], r["events"]) for r in records] == [
        ("CD4 T cells", "ab T cells", 7482),
        ("B cells", "NK1_1-", 2460),
    ]
    (cd4,) = read_fcs(tmp_path / "out/CD4_T_cells.fcs")
    assert cd4.n_events == 7482 and len(cd4.channels) == 18
    again = run_cli(
        "gate",
        folder / "68983.fcs",
        "--gates",
        folder / "gating.wsp",
        "--out",
        tmp_path / "out",
        "--population",
        "B cells",
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    unknown = run_cli(
        "gate",
        folder / "68983.fcs",
        "--gates",
        folder / "gating.wsp",
        "--out",
        tmp_path / "x",
        "--population",
        "Martians",
    )
    assert unknown.returncode == 2 and "Martians" in unknown.stderr
