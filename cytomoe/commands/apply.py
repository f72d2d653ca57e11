"""`cytomoe apply MODEL INPUT... --out DIR`: assign new data with a saved model, no training."""

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        type=Path,
        metavar="MODEL",
        help="a trained model (model.cytomoe from `cytomoe run` or `batch`)",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="FCS files, plate folders or CSV/TSV event tables",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="output folder for clusters.fcs, one FCS per cluster and "
        "report.json (must not exist unless --overwrite)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the output folder if it exists"
    )
    parser.add_argument(
        "--labels",
        metavar="COLUMN",
        help="column of the data holding manual labels, for the F-measure",
    )
    parser.add_argument(
        "--sample-sheet", type=Path, metavar="CSV", help="CSV of conditions per file or well"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    from cytomoe.commands.run import print_summary
    from cytomoe.commands.terminal import TerminalProgress
    from cytomoe.core.analysis.analysis_file import AnalysisSettings, LabelSource
    from cytomoe.core.analysis.pipeline import (
        analyse,
        build_report,
        check_output_folder,
        open_plate,
        write_outputs,
    )
    from cytomoe.core.errors import InputError
    from cytomoe.core.model.estimator import MoESimVAE

    check_output_folder(args.out, args.overwrite)
    model = MoESimVAE.load(args.model)
    settings = AnalysisSettings(
        inputs=[str(p) for p in args.inputs],
        model_file=str(args.model),
        sample_sheet=str(args.sample_sheet) if args.sample_sheet else None,
        labels=LabelSource("column", args.labels) if args.labels else None,
    )
    with TerminalProgress(args.quiet) as progress:
        plate = open_plate(settings, progress)
        missing = [m for m in model.markers_ if m not in plate.channels]
        if missing:
            raise InputError(
                f"{args.model.name} was trained on marker channel(s) the data "
                f"lacks: {', '.join(missing)}. The data has: "
                f"{', '.join(plate.channels)}."
            )
        result = analyse(settings, plate=plate, model=model, progress=progress)
        write_outputs(result, settings, args.out, args.overwrite, progress)
    for failure in plate.failures:
        print(f"skipped unreadable file: {failure}")
    print_summary(build_report(result, settings), result, args.out)
    return 0
