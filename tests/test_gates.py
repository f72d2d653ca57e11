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
    quadrant_gates,
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


def _events(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"A": rng.normal(500, 800, n), "B": rng.normal(800, 1500, n)}).astype(
        np.float64
    )


def test_a_display_name_with_spaces_and_plus_is_kept_beside_its_gatingml_id(tmp_path):
    gate = DrawnGate.named(
        "CD4+ T cells", "rectangle", ("A", "B"), (150.0, 150.0), [(0, 3), (0, 3)]
    )
    assert (gate.name, gate.label) == ("CD4pos_T_cells", "CD4+ T cells")
    path = tmp_path / "named.xml"
    save_drawn_gates([gate], path, compensated=False)
    (back,) = load_drawn_gates(path)
    assert (back.name, back.label) == ("CD4pos_T_cells", "CD4+ T cells")


def test_an_ellipse_gate_holds_the_events_inside_its_boundary_and_round_trips(tmp_path):
    events = _events()
    centre, half_axes, angle = (2.0, 2.0), (1.5, 0.6), 0.5
    gate = DrawnGate("round", "ellipse", ("A", "B"), (150.0, 150.0), [centre, half_axes, (angle,)])
    inside = drawn_gate_membership([gate], events)["round"].to_numpy()
    x, y = (np.arcsinh(events[c].to_numpy() / 150) for c in ("A", "B"))
    u = (x - centre[0]) * np.cos(angle) + (y - centre[1]) * np.sin(angle)
    v = -(x - centre[0]) * np.sin(angle) + (y - centre[1]) * np.cos(angle)
    expected = (u / half_axes[0]) ** 2 + (v / half_axes[1]) ** 2 <= 1
    assert 0 < inside.sum() < len(events)
    assert np.array_equal(inside, expected)
    path = tmp_path / "ellipse.xml"
    save_drawn_gates([gate], path, compensated=False)
    (back,) = load_drawn_gates(path)
    assert back.kind == "ellipse"
    assert np.allclose(back.vertices[0], centre) and np.allclose(back.vertices[1], half_axes)
    assert np.isclose(np.tan(back.vertices[2][0]), np.tan(angle))


def test_a_quadrant_gate_splits_its_parent_into_four_named_populations(tmp_path):
    events = _events()
    gates = quadrant_gates("T split", ("A", "B"), (150.0, 150.0), (1.0, 1.5), ("CD3", "CD4"))
    membership = drawn_gate_membership(gates, events)
    counts = membership.sum(axis=1).to_numpy()
    assert (counts == 1).all()  # every event in exactly one quadrant
    assert [g.label for g in gates] == [
        "Q1: CD3- CD4+",
        "Q2: CD3+ CD4+",
        "Q3: CD3+ CD4-",
        "Q4: CD3- CD4-",
    ]
    x = np.arcsinh(events["A"].to_numpy() / 150)
    y = np.arcsinh(events["B"].to_numpy() / 150)
    assert np.array_equal(membership[gates[1].name].to_numpy(), (x >= 1.0) & (y >= 1.5))
    path = tmp_path / "quadrants.xml"
    save_drawn_gates(gates, path, compensated=False)
    back = load_drawn_gates(path)
    assert {g.quadrant for g in back} == {"T_split"}
    assert [g.label for g in back] == [g.label for g in gates]
