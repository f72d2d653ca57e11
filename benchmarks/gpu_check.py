"""The same training on the CPU and on a CUDA GPU, from the same seed: speed and agreement.

    python benchmarks/gpu_check.py --sample MC1
    python benchmarks/gpu_check.py --table cells.csv --label-column labels \\
        --markers 0,1,2,3,4,5,6,7 --cofactor 5

Fits ``MoESimVAE`` with the defaults a user gets (or ``--iterations``, ``--n-train``) once
with ``device="cpu"`` and once with ``device="cuda"``. Both train on the same similarity:
the embedding is computed by the first fit and reused by the second (embedding_cache.py),
so the table's "embed" column shows the reuse. Printed: the card's name, per device the
iterations, training seconds and iterations per second, each stage's seconds, F of the
clusters against the manual labels, and the ARI between the CPU's and the GPU's clusters
(1 = the same clusters). Without CUDA the GPU run is skipped with a line saying so.

``--save-labels`` writes each device's clusters to an ``.npz`` file and ``--reference``
prints the ARI against such a file from another machine: with ``--devices cuda`` and the
same ``CYTOMOE_CACHE_DIR`` (so the same embedding), the CUDA run on a lent GPU machine is
compared with the CPU run where torch's CPU build is the one the project asks for.

``--sample`` takes a name of benchmarks/suite.py (which reads FCS files, so needs the
FCS readers installed); ``--table`` a CSV read with pandas alone.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def labelled_cells(
    args: argparse.Namespace,
) -> tuple[pd.DataFrame, list[str], float | None, pd.Series]:
    """Events, markers, cofactor and manual labels of the sample or table asked for."""
    if args.sample:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from suite import load

        sample = load(args.sample)
        return sample.events, sample.markers, sample.cofactor, sample.truth
    from cytomoe.core.evaluation.labels import labels_from_column

    events = pd.read_csv(args.table)
    markers = (
        args.markers.split(",")
        if args.markers
        else [c for c in events.columns if c != args.label_column]
    )
    events.columns = [str(c) for c in events.columns]
    truth = labels_from_column(events, args.label_column, args.unlabeled)
    return events, markers, args.cofactor, truth


def fit_on(
    device: str,
    events: pd.DataFrame,
    markers: list[str],
    cofactor: float | None,
    args: argparse.Namespace,
) -> dict:
    from cytomoe.core.model.estimator import MoESimVAE

    settings = {"seed": args.seed, "device": device, "markers": markers}
    settings["cofactors"] = {m: cofactor for m in markers}
    if args.iterations:
        settings["iterations"] = args.iterations
    if args.n_train:
        settings["n_train"] = args.n_train
    started = time.perf_counter()
    model = MoESimVAE(**settings).fit(events)
    wall = time.perf_counter() - started
    iterations = len(model.history_)
    return {
        "device": device,
        "iterations": iterations,
        "iterations/s": iterations / model.timings_["train"],
        **{f"{stage} s": seconds for stage, seconds in model.timings_.items()},
        "fit s": wall,
        "labels": model.labels_,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sample", help="a sample of benchmarks/suite.py, e.g. MC1")
    source.add_argument("--table", type=Path, help="a CSV of events with a label column")
    parser.add_argument("--label-column", default="labels", help="with --table")
    parser.add_argument("--unlabeled", nargs="*", default=["Unknown"], help="with --table")
    parser.add_argument("--markers", help="with --table: comma-separated columns")
    parser.add_argument("--cofactor", type=float, default=None, help="with --table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, help="training iterations (default: the model's)")
    parser.add_argument("--n-train", type=int, help="training cells (default: the model's)")
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated (cuda if present)")
    parser.add_argument("--save-labels", type=Path, help="an .npz of each device's clusters")
    parser.add_argument("--reference", type=Path, help="an .npz of clusters to compare with")
    args = parser.parse_args()

    import torch
    from sklearn.metrics import adjusted_rand_score

    from cytomoe.core.evaluation.fmeasure import evaluate

    events, markers, cofactor, truth = labelled_cells(args)
    print(f"{len(events):,} events, {len(markers)} markers, torch {torch.__version__}")
    devices = args.devices.split(",")
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    elif "cuda" in devices:
        devices.remove("cuda")
        print("No CUDA device here (torch.cuda.is_available() is False): the GPU run is skipped.")
    runs = []
    for device in devices:
        run = fit_on(device, events, markers, cofactor, args)
        run["F"] = evaluate(truth, run["labels"]).f_measure
        runs.append(run)
        print(f"  {device} done in {run['fit s']:.1f} s", file=sys.stderr, flush=True)
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "labels"} for r in runs])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if len(runs) == 2:
        agreement = adjusted_rand_score(runs[0]["labels"], runs[1]["labels"])
        print(
            f"ARI between the {runs[0]['device']} and {runs[1]['device']} clusters: {agreement:.4f}"
        )
    if args.save_labels:
        np.savez_compressed(args.save_labels, **{r["device"]: r["labels"] for r in runs})
    if args.reference:
        with np.load(args.reference) as reference:
            for name, labels in reference.items():
                for run in runs:
                    agreement = adjusted_rand_score(labels, run["labels"])
                    source = f"{name} ({args.reference.name})"
                    print(f"ARI between {source} and {run['device']}: {agreement:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
