"""The labelled samples the clustering is measured on: every sample of ``labeled_flow/`` and
``labeled/`` in the shared data folder (../shared/data beside the checkout, or
$CYTOMOE_TEST_DATA), with the markers and cofactors their SOURCE.md
recommends (the same for every method).

A sample belongs to a family (its data set); defaults are chosen leaving one family out, so
that no family's samples decide a default that is then scored on them.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.evaluation.labels import labels_from_column, labels_from_file
from cytomoe.core.io.plate import Plate
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.preprocessing.transform import arcsinh

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CYTOMOE_TEST_DATA", REPO.parent / "shared" / "data"))
FLOW, MASS = DATA / "labeled_flow", DATA / "labeled"

ACTIVATION_MARKERS = [  # markers.csv: CD8, Va2, CD69, Hoechst ×2, CD44, CD4, CD11c
    "Alexa Fluor 488-A",
    "PE-A",
    "7-AAD-A",
    "Alexa Fluor 405-A",
    "Alexa Fluor 430-A",
    "Alexa Fluor 647-A",
    "Alexa Fluor 700-A",
    "APC-Cy7-A",
]
ACTIVATION_SAMPLES = (1, 5, 7, 9, 15, 17, 21, 23, 25, 29, 31)
GATEMECLASS_MARKERS = [f"FL{i}-A" for i in range(1, 11)]
NILSSON_MARKERS = [
    "CD38",
    "CD34",
    "CD123",
    "CD19",
    "CD10",
    "CD110",
    "CD45",
    "CD3",
    "CD45RA",
    "CD11b",
    "CD4",
    "CD49fpur",
    "CD90bio",
]


@dataclass
class Sample:
    name: str
    family: str
    events: pd.DataFrame  # compensated where the file carries a spillover, instrument units
    markers: list[str]
    cofactor: float | None  # None: the values are already transformed
    truth: pd.Series  # None for events in no manual gate

    @property
    def n_populations(self) -> int:
        return int(self.truth.dropna().nunique())

    @property
    def cofactors(self) -> dict[str, float | None]:
        return {m: self.cofactor for m in self.markers}

    def transformed(self) -> np.ndarray:
        """The markers as FlowSOM and k-means see them (arcsinh, or as stored)."""
        return arcsinh(self.events[self.markers].to_numpy(), self.markers, self.cofactors)


def _fcs(path: Path, family: str, markers: list[str], cofactor: float | None) -> Sample:
    events = Plate.open(path).events(compensate_spillover=True)
    labels = path.with_name(path.stem + ".labels.csv")
    truth = labels_from_file(labels, len(events))
    return Sample(path.stem, family, events, markers, cofactor, truth)


def _multicenter(number: int) -> Sample:
    events = Plate.open(MASS / f"multicenter_cytof/sample{number}.csv").events()
    markers = [str(i) for i in range(8)]
    truth = labels_from_column(events, "labels")
    return Sample(f"MC{number}", "multicenter", events, markers, 5.0, truth)


def _multicenter_rare_b_cells(kept: int = 150) -> Sample:
    """Multi-Center sample 1 with its B cells thinned (fixed seed) to ``kept`` (~0.3%)."""
    sample = _multicenter(1)
    b_cells = np.flatnonzero(sample.truth.to_numpy(object) == "B_cells")
    dropped = np.random.default_rng(0).choice(b_cells, len(b_cells) - kept, replace=False)
    keep = np.ones(len(sample.events), dtype=bool)
    keep[dropped] = False
    sample.name = f"MC1-rare{kept}B"
    sample.events = sample.events[keep].reset_index(drop=True)
    sample.truth = sample.truth[keep].reset_index(drop=True)
    return sample


def _flowsom_68983() -> Sample:
    plate = Plate.open(MASS / "flowsom_68983/68983.fcs")
    events = plate.events(compensate_spillover=True)
    markers = Panel.default_for(plate.samples, plate.channels).selected  # its 10 markers
    truth = labels_from_file(MASS / "flowsom_68983/gatingResult.csv", len(events))
    return Sample("68983", "flowsom_68983", events, markers, 150.0, truth)


def _samusik() -> Sample:
    folder = MASS / "samusik01_subset"
    events = Plate.open(folder / "Samusik_01_subset_2000.csv").events()
    markers = (folder / "regular_channels.txt").read_text().split()
    truth = labels_from_column(events, "label")
    return Sample("Samusik2k", "samusik", events, markers, 5.0, truth)


def _loaders() -> dict[str, Callable[[], Sample]]:
    loaders: dict[str, Callable[[], Sample]] = {}
    for n in ACTIVATION_SAMPLES:
        path = FLOW / f"cytoexplorer_activation/Activation_{n}.fcs"
        loaders[f"Activation_{n}"] = lambda p=path: _fcs(p, "activation", ACTIVATION_MARKERS, 150.0)
    for name in ("C1", "D1", "E1"):
        path = FLOW / f"gatemeclass_pbmc/{name}.fcs"
        loaders[name] = lambda p=path: _fcs(p, "gatemeclass", GATEMECLASS_MARKERS, 150.0)
    hipc = ["CCR7", "CD4", "CD45RA", "HLADR", "CD38", "CD8"]
    loaders["HIPC"] = lambda: _fcs(FLOW / "cytometree_hipc/HIPC.fcs", "hipc", hipc, None)
    barcode = ["Pacific Blue", "Alexa", "APC"]
    loaders["barcode"] = lambda: _fcs(
        FLOW / "flowpeaks_barcode/barcode.fcs", "barcode", barcode, None
    )
    loaders["Nilsson_rare_notransform"] = lambda: _fcs(
        FLOW / "nilsson_rare/Nilsson_rare_notransform.fcs", "nilsson", NILSSON_MARKERS, 150.0
    )
    for number in (1, 2, 3):
        loaders[f"MC{number}"] = lambda n=number: _multicenter(n)
    loaders["MC1-rare150B"] = _multicenter_rare_b_cells
    loaders["68983"] = _flowsom_68983
    loaders["Samusik2k"] = _samusik
    return loaders


SAMPLES = _loaders()
# Three seeds on these (one per family where a family has several samples).
SEEDED_SAMPLES = ("Activation_1", "D1", "barcode", "MC1", "68983")


def load(name: str) -> Sample:
    return SAMPLES[name]()
