"""Speed-up of `cytomoe batch` from 1 to 2 Dask workers (local cluster, 1 thread each).

    python benchmarks/batch_scaling.py [--iterations N] [--train-cells N] [PLATE...]

Runs the same per-plate batch twice into fresh folders, once on a local Dask cluster of one
worker process and once on two, and prints wall-clock times and the speed-up. Worker start
and the first-call compilation of UMAP's numba code count, as they do for a user.
"""

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from cytomoe.core.analysis.analysis_file import AnalysisSettings
from cytomoe.core.analysis.batch import run_batch

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_PLATES = [
    DATA / "plates" / "yeast",
    DATA / "plates" / "plate01",
    DATA / "labeled" / "multicenter_cytof",
    DATA / "instruments" / "fcsparser" / "Fortessa",
]


def timed_batch(settings: AnalysisSettings, plates: list[Path], workers: int) -> float:
    """Seconds to run every plate on a fresh local cluster of ``workers`` processes."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run_batch(settings, plates, Path(folder) / "out", workers=workers, use_dask=True)
        seconds = time.perf_counter() - started
    if result.failed:
        sys.exit(f"plate failed: {result.failed[0].name}: {result.failed[0].error}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plates", nargs="*", type=Path, default=DEFAULT_PLATES)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--train-cells", type=int, default=5000)
    args = parser.parse_args()
    settings = AnalysisSettings()
    settings.model = replace(
        settings.model, iterations=args.iterations, n_train=args.train_cells, device="cpu"
    )
    print(
        f"{len(args.plates)} plates ({', '.join(p.name for p in args.plates)}), "
        f"{args.iterations} iterations, {args.train_cells} training cells, "
        f"{os.cpu_count()} CPU cores"
    )
    times = {workers: timed_batch(settings, args.plates, workers) for workers in (1, 2)}
    for workers, seconds in times.items():
        print(f"{workers} worker(s): {seconds:.1f} s")
    print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
