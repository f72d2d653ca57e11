"""cytomoe against FlowSOM and k-means, side by side in one run, on the labelled data sets.

For every data set and seed, each method clusters the same arcsinh-transformed markers;
the Weber & Robinson F-measure (Hungarian one-to-one, unweighted mean over populations),
NMI, ARI and wall time are printed as mean ± sd over the seeds, and written with the
command to benchmarks/RESULTS.md.

    python benchmarks/compare_methods.py [--seeds 5] [--datasets mc1 mc2 mc3 mc1-rare 68983 samusik]

The in-process times leave out what every new process pays once (imports, numba
compilation of UMAP, FlowSOM's own compilation). So the end-to-end comparison on the 50k-cell
Multi-Center sample 1 table also runs `cytomoe run` (reading, embedding, training,
assignment, export of every cluster as FCS, report) and FlowSOM (reading, arcsinh,
clustering) each in a fresh Python process.

cytomoe runs with the defaults a user gets (K = 15 experts for Multi-Center, as the task
states). FlowSOM (the `flowsom` package, 10 x 10 grid) gets 10 metaclusters, as in the
published comparison, or the number of manual populations where that is larger (Samusik:
24). k-means gets the number of manual populations.
"""

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.evaluation.labels import labels_from_column, labels_from_file
from cytomoe.core.io.plate import Plate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.preprocessing.panel import Panel
from cytomoe.core.preprocessing.transform import arcsinh

REPO = Path(__file__).resolve().parents[1]
LABELED = REPO.parent / "shared" / "data" / "labeled"


@dataclass
class Dataset:
    name: str
    events: pd.DataFrame  # compensated, instrument units
    markers: list[str]
    cofactors: dict[str, float]
    truth: pd.Series
    experts: int | None = None  # None: cytomoe's default

    @property
    def n_populations(self) -> int:
        return int(self.truth.dropna().nunique())


def multicenter(sample: int) -> Dataset:
    plate = Plate.open(LABELED / f"multicenter_cytof/sample{sample}.csv")
    events = plate.events()
    markers = [str(i) for i in range(8)]
    return Dataset(
        f"Multi-Center sample {sample}",
        events,
        markers,
        {m: 5.0 for m in markers},
        labels_from_column(events, "labels"),
        experts=15,
    )


def multicenter_rare_b_cells(kept: int = 150) -> Dataset:
    """Multi-Center sample 1 with its B cells thinned (fixed seed) to ``kept`` (~0.3%): does
    a method still find a rare population?"""
    data = multicenter(1)
    b_cells = np.flatnonzero(data.truth.to_numpy(object) == "B_cells")
    dropped = np.random.default_rng(0).choice(b_cells, len(b_cells) - kept, replace=False)
    keep = np.ones(len(data.events), dtype=bool)
    keep[dropped] = False
    return Dataset(
        f"Multi-Center sample 1, {kept} B cells",
        data.events[keep].reset_index(drop=True),
        data.markers,
        data.cofactors,
        data.truth[keep].reset_index(drop=True),
        experts=15,
    )


def flowsom_68983() -> Dataset:
    folder = LABELED / "flowsom_68983"
    plate = Plate.open(folder / "68983.fcs")
    events = plate.events(compensate_spillover=True)
    panel = Panel.default_for(plate.samples, plate.channels)  # the 10 marker channels
    return Dataset(
        "FlowSOM 68983",
        events,
        panel.selected,
        {m: 150.0 for m in panel.selected},
        labels_from_file(folder / "gatingResult.csv", len(events)),
    )


def samusik() -> Dataset:
    folder = LABELED / "samusik01_subset"
    plate = Plate.open(folder / "Samusik_01_subset_2000.csv")
    events = plate.events()
    markers = (folder / "regular_channels.txt").read_text().split()
    return Dataset(
        "Samusik_01 2k",
        events,
        markers,
        {m: 5.0 for m in markers},
        labels_from_column(events, "label"),
    )


DATASETS = {
    "mc1": lambda: multicenter(1),
    "mc2": lambda: multicenter(2),
    "mc3": lambda: multicenter(3),
    "mc1-rare": multicenter_rare_b_cells,
    "68983": flowsom_68983,
    "samusik": samusik,
}


def transformed(data: Dataset) -> np.ndarray:
    return arcsinh(data.events[data.markers].to_numpy(), data.markers, data.cofactors)


def run_cytomoe(data: Dataset, seed: int) -> np.ndarray:
    settings = {"seed": seed}
    if data.experts is not None:
        settings["n_experts"] = data.experts
    model = MoESimVAE(**settings, markers=data.markers, cofactors=data.cofactors).fit(data.events)
    return model.predict(data.events)


def run_flowsom(data: Dataset, seed: int) -> np.ndarray:
    import flowsom

    k = max(10, data.n_populations)
    result = flowsom.FlowSOM(
        transformed(data),
        cols_to_use=list(range(len(data.markers))),
        n_clusters=k,
        xdim=10,
        ydim=10,
        seed=seed,
    )
    return result.get_cell_data().obs["metaclustering"].to_numpy()


def run_kmeans(data: Dataset, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=data.n_populations, n_init=10, random_state=seed).fit_predict(
        transformed(data)
    )


METHODS = {"cytomoe": run_cytomoe, "FlowSOM": run_flowsom, "k-means": run_kmeans}


def measure(data: Dataset, seeds: int) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        for method, run in METHODS.items():
            print(f"  {data.name}: {method}, seed {seed} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            clusters = run(data, seed)
            seconds = time.perf_counter() - started
            score = evaluate(data.truth, clusters)
            rows.append(
                {
                    "data set": data.name,
                    "method": method,
                    "seed": seed,
                    "F": score.f_measure,
                    "NMI": score.nmi,
                    "ARI": score.ari,
                    "clusters": len(np.unique(clusters)),
                    "seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


FLOWSOM_SCRIPT = """
import sys
import flowsom
import numpy as np
import pandas as pd
events = pd.read_csv(sys.argv[1])
markers = [str(i) for i in range(8)]
flowsom.FlowSOM(np.arcsinh(events[markers].to_numpy() / 5.0), cols_to_use=list(range(8)),
                n_clusters=10, xdim=10, ydim=10, seed=0)
"""


def end_to_end() -> dict[str, float]:
    """Seconds of a fresh-process `cytomoe run` and FlowSOM on Multi-Center sample 1."""
    table = LABELED / "multicenter_cytof" / "sample1.csv"
    with tempfile.TemporaryDirectory() as folder:
        commands = {
            "cytomoe run": [
                sys.executable,
                "-m",
                "cytomoe",
                "run",
                str(table),
                "--out",
                f"{folder}/out",
                "--markers",
                ",".join(str(i) for i in range(8)),
                "--cofactor",
                "5",
                "--labels",
                "labels",
                "--experts",
                "15",
                "--quiet",
            ],
            "FlowSOM": [sys.executable, "-c", FLOWSOM_SCRIPT, str(table)],
        }
        seconds = {}
        for name, command in commands.items():
            print(f"  end to end: {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            seconds[name] = time.perf_counter() - started
    return seconds


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    def mean_sd(values: pd.Series) -> str:
        return f"{values.mean():.3f} ± {values.std(ddof=0):.3f}"

    grouped = results.groupby(["data set", "method"], sort=False)
    return pd.DataFrame(
        {
            "F-measure": grouped["F"].apply(mean_sd),
            "NMI": grouped["NMI"].apply(mean_sd),
            "ARI": grouped["ARI"].apply(mean_sd),
            "clusters": grouped["clusters"].mean().round(1),
            "seconds": grouped["seconds"].apply(lambda s: f"{s.mean():.1f}"),
        }
    ).reset_index()


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--no-end-to-end",
        action="store_true",
        help="skip the fresh-process timing on Multi-Center sample 1",
    )
    args = parser.parse_args()
    results = pd.concat([measure(DATASETS[name](), args.seeds) for name in args.datasets])
    table = summarise(results)
    print(table.to_string(index=False))
    timing = ""
    if not args.no_end_to_end:
        seconds = end_to_end()
        ratio = seconds["cytomoe run"] / seconds["FlowSOM"]
        timing = (
            f"\nEnd to end in a fresh process, Multi-Center sample 1 (55k cells): "
            f"`cytomoe run` {seconds['cytomoe run']:.1f} s, FlowSOM "
            f"{seconds['FlowSOM']:.1f} s, ratio {ratio:.1f}.\n"
        )
        print(timing)
    if not args.no_write:
        command = "python benchmarks/compare_methods.py " + " ".join(sys.argv[1:])
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"# cytomoe vs FlowSOM vs k-means\n\nMeasured {stamp} on a 2-core CPU "
            f"machine shared with other work, in one run:\n\n    {command}\n\n"
            f"{markdown(table)}\n\nSeconds are the wall time of one "
            "clustering (cytomoe: embedding, training and assignment of every cell; "
            "for Multi-Center, all ~50k cells, so the cytomoe/FlowSOM ratio there is "
            f"the 50k-cell comparison within one process).\n{timing}"
        )
        (REPO / "benchmarks" / "RESULTS.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
