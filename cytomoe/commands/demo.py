"""`cytomoe demo`: the whole analysis on the bundled demo data, in the terminal."""

import argparse
from pathlib import Path

from cytomoe.commands.run import add_analysis_arguments


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Cluster 6,000 PBMC from the Multi-Center CyTOF study (bundled, GPL-3) and score "
        "the clusters against their manual gates."
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the outputs to DIR (default: a new folder cytomoe-demo here)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace DIR if it exists")
    add_analysis_arguments(parser, inputs=False)


def main(args: argparse.Namespace) -> int:
    from cytomoe.commands.run import run_with_arguments, settings_from_arguments
    from cytomoe.core.analysis.demo import demo_settings
    from cytomoe.core.io.outputs import new_results_folder

    settings = settings_from_arguments(args)
    demo = demo_settings()
    settings.inputs = demo.inputs
    if settings.labels is None:
        settings.labels = demo.labels
    print(
        f"cytomoe demo: {Path(settings.inputs[0]).name} (Multi-Center CyTOF PBMC, "
        "manual gates in the 'labels' column)"
    )
    out = args.out if args.out is not None else new_results_folder("demo")
    report = run_with_arguments(args, settings, out)
    print(f"F-measure against the manual gates: {report['f_measure']:.3f}")
    return 0
