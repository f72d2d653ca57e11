"""`cytomoe batch PLATE... --config ANALYSIS --out DIR`: one analysis over many plates."""

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cytomoe.core.analysis.batch import PlateOutcome

from cytomoe.resources import resource_path

EXAMPLE = "examples/analysis.toml"  # shipped with the package

EXIT_SOME_FAILED = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "plates",
        nargs="*",
        metavar="PLATE",
        help="plate folders (or single data files); default: the analysis "
        "file's inputs, one plate each",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="ANALYSIS",
        help="analysis file (TOML); default settings without one; "
        f"{resource_path(EXAMPLE)} lists every setting",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="output folder: one folder per plate, summary.csv, batch.log; "
        "re-running into it skips the plates already finished with the same settings",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="redo plates that finished earlier with other settings or inputs "
        "(without it such plates stop the batch)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--pooled",
        action="store_true",
        help="train one model on all plates pooled (they must share markers) "
        "instead of one model per plate",
    )
    mode.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="apply this trained model to every plate instead of training "
        "(default: the model the analysis file records, if any)",
    )
    mode.add_argument(
        "--train",
        action="store_true",
        help="train one model per plate even when the analysis file records a trained model",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="plates in parallel on a local Dask cluster of N processes "
        "(default 1: in this process, without Dask)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://host:8786",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from cytomoe.core.analysis.analysis_file import AnalysisSettings, load_analysis
    from cytomoe.core.analysis.batch import FAILED, MODEL, PER_PLATE, POOLED, run_batch
    from cytomoe.core.errors import InputError

    settings = load_analysis(args.config) if args.config else AnalysisSettings()
    plates = [str(p) for p in args.plates] or list(settings.inputs)
    if not plates:
        raise InputError(
            "No plates: name plate folders on the command line or list them "
            "as inputs in the analysis file."
        )
    if not args.out.parent.resolve().is_dir():
        raise InputError(f"{args.out.parent}: the folder to write into does not exist.")
    # A model saved with the analysis (by the app) is what the analysis means, unless the
    # command line asks for training.
    model_file = args.model or (None if args.pooled or args.train else settings.model_file)
    mode = POOLED if args.pooled else MODEL if model_file else PER_PLATE
    with _PlateBars(args.quiet) as bars:
        result = run_batch(
            settings,
            plates,
            args.out,
            mode,
            model_file,
            args.workers,
            args.scheduler,
            progress=bars,
            overwrite=args.overwrite,
        )
    for outcome in result.outcomes:
        if outcome.status == FAILED:
            print(f"{outcome.name}: FAILED: {outcome.error}")
        else:
            note = "" if outcome.status == "done" else " (finished earlier, skipped)"
            print(f"{outcome.name}: {len(outcome.wells)} wells{note}")
        for failure in outcome.unreadable:
            print(f"{outcome.name}: unreadable file left out: {failure}")
    failed = len(result.failed)
    print(
        f"{len(result.outcomes) - failed} of {len(result.outcomes)} plate(s) finished; "
        f"summary: {result.summary or 'none'}; log: {result.log}"
    )
    return EXIT_SOME_FAILED if failed else 0


class _PlateBars:
    """Two tqdm bars on stderr: plates and wells finished."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int, outcome: "PlateOutcome | None") -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if stage not in self.bars:
            self.bars[stage] = tqdm(
                total=total,
                desc=stage.capitalize(),
                unit=stage[:-1],
                position=len(self.bars),
                file=sys.stderr,
                dynamic_ncols=True,
            )
        bar = self.bars[stage]
        bar.n = done
        if outcome is not None and stage == "plates":
            bar.set_postfix_str(f"{outcome.name} {outcome.status}", refresh=False)
        bar.refresh()

    def __enter__(self) -> "_PlateBars":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()
