"""End-to-end speed and memory of `cytomoe run` beside FlowSOM, each in a fresh process.

    python benchmarks/speed.py [--sizes 50000,200000,1000000] [--no-plate] [--repeats 1]

Events are Multi-Center CyTOF cells (samples 1-3 pooled, 8 markers, raw ion counts) drawn
with replacement to each size and written as one CSV table. Both tools start in a new
process, read that table, arcsinh-transform it (cofactor 5) and cluster it: cytomoe with the
defaults a user gets (writing its FCS files and report as `run` does), FlowSOM (the Python
`flowsom` package) with a 10 x 10 grid and 10 metaclusters. The plate row is a 96-well
plate of 10,000 events per well (one CSV per well, A1..H12), pooled by `cytomoe run` and
concatenated for FlowSOM. Wall seconds and peak resident memory (the child's maxrss) are
printed as a markdown table, with cytomoe's own stage times from its report.json.

Each case starts with an empty embedding cache (``CYTOMOE_CACHE_DIR`` in the temporary
folder), so the first cytomoe run embeds as a user's first run does. The "second run" row
runs cytomoe again on the 50,000 events with other model settings (``--experts 20
--iterations 1000``), which reuses the first run's embedding as a user's second run does.
A line after the table times the same two trainings in one process, as the app and a
notebook run them: the first with its imports and the reading of the table, the second
with the embedding kept in memory.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(
    os.environ.get("CYTOMOE_TEST_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
MARKERS = [str(i) for i in range(8)]
WELLS = [f"{row}{column}" for row in "ABCDEFGH" for column in range(1, 13)]
SECOND_RUN_EVENTS = 50_000  # the case that is run a second time with other model settings

FLOWSOM_SCRIPT = """
import sys
from pathlib import Path
import flowsom
import numpy as np
import pandas as pd
source = Path(sys.argv[1])
files = sorted(source.glob("*.csv")) if source.is_dir() else [source]
events = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
markers = [str(i) for i in range(8)]
flowsom.FlowSOM(np.arcsinh(events[markers].to_numpy() / 5.0), cols_to_use=list(range(8)),
                n_clusters=10, xdim=10, ydim=10, seed=0)
"""


IN_PROCESS_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import pandas as pd
from cytomoe.core.model.estimator import MoESimVAE
events = pd.read_csv(sys.argv[1])
markers = [str(i) for i in range(8)]
cofactors = {m: 5.0 for m in markers}
MoESimVAE(markers=markers, cofactors=cofactors).fit(events)
first = time.perf_counter()
MoESimVAE(markers=markers, cofactors=cofactors, n_experts=20, iterations=1000).fit(events)
print(json.dumps([first - started, time.perf_counter() - first]))
"""


def multicenter_cells() -> pd.DataFrame:
    folder = DATA / "labeled" / "multicenter_cytof"
    tables = [pd.read_csv(folder / f"sample{i}.csv")[MARKERS] for i in (1, 2, 3)]
    return pd.concat(tables, ignore_index=True)


def draw(cells: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rows = np.random.default_rng(seed).integers(0, len(cells), n)
    return cells.iloc[rows].reset_index(drop=True)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {child.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024**2  # ru_maxrss is in kB on Linux


SECOND_RUN_SETTINGS = ["--experts", "20", "--iterations", "1000"]


def compare(source: Path, out: Path, settings: list[str] | None = None) -> dict:
    """One cytomoe run (with ``settings`` added) and one FlowSOM run on ``source``."""
    cytomoe = [sys.executable, "-m", "cytomoe", "run", str(source), "--out", str(out)]
    cytomoe += ["--markers", ",".join(MARKERS), "--cofactor", "5", "--quiet", *(settings or [])]
    cytomoe_s, cytomoe_gb = timed(cytomoe)
    flowsom_s, flowsom_gb = timed([sys.executable, "-c", FLOWSOM_SCRIPT, str(source)])
    stages = json.loads((out / "report.json").read_text()).get("timings", {})
    return {
        "cytomoe s": cytomoe_s,
        "FlowSOM s": flowsom_s,
        "ratio": cytomoe_s / flowsom_s,
        "cytomoe GB": cytomoe_gb,
        "FlowSOM GB": flowsom_gb,
        "cytomoe stages": ", ".join(f"{k} {v:.1f}" for k, v in stages.items()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,200000,1000000")
    parser.add_argument("--no-plate", action="store_true", help="skip the 96-well plate row")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    cells = multicenter_cells()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        cases = [(f"{int(n):,} events", int(n)) for n in args.sizes.split(",") if n]
        if not args.no_plate:
            cases.append(("96 wells x 10,000", None))
        for name, n in cases:
            if n is None:
                source = folder / "plate96"
                source.mkdir()
                for index, well in enumerate(WELLS):
                    draw(cells, 10_000, index).to_csv(source / f"plate_{well}.csv", index=False)
            else:
                source = folder / f"events_{n}.csv"
                draw(cells, n, 0).to_csv(source, index=False)
            for repeat in range(args.repeats):
                print(f"  {name}, run {repeat + 1} ...", file=sys.stderr, flush=True)
                cache = folder / f"cache_{len(rows)}"  # empty: the first run embeds
                os.environ["CYTOMOE_CACHE_DIR"] = str(cache)
                rows.append({"case": name, **compare(source, folder / f"out_{len(rows)}")})
                if n == SECOND_RUN_EVENTS:
                    print(f"  {name}, second run ...", file=sys.stderr, flush=True)
                    second = compare(source, folder / f"out_{len(rows)}", SECOND_RUN_SETTINGS)
                    share = second["cytomoe s"] / rows[-1]["cytomoe s"]
                    case = f"{name}, second run, other settings ({share:.0%} of the first)"
                    rows.append({"case": case, **second})
        in_process = None
        if SECOND_RUN_EVENTS in [n for _, n in cases]:
            print("  the same two trainings in one process ...", file=sys.stderr, flush=True)
            os.environ["CYTOMOE_CACHE_DIR"] = str(folder / "cache_in_process")
            source = folder / f"events_{SECOND_RUN_EVENTS}.csv"
            script = [sys.executable, "-c", IN_PROCESS_SCRIPT, str(source)]
            in_process = json.loads(subprocess.run(script, capture_output=True, check=True).stdout)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".2f"))
    if in_process:
        first, second = in_process
        print(
            f"\nIn one process (the app, a notebook), {SECOND_RUN_EVENTS:,} events: first "
            f"training {first:.2f} s with imports and reading, second with other settings "
            f"{second:.2f} s ({second / first:.0%} of the first)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
