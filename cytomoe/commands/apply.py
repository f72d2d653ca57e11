"""`cytomoe apply MODEL INPUT... --out DIR`: assign new data with a saved model, no training."""

import argparse
from pathlib import Path

from cytomoe.commands.run import add_label_arguments, add_rename_argument


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
        "--overwrite",
        action="store_true",
        help="replace the outputs cytomoe wrote into DIR before (other files stay)",
    )
    parser.add_argument(
        "--sample-sheet", type=Path, metavar="CSV", help="CSV of conditions per file or well"
    )
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_label_arguments(parser)
    add_rename_argument(parser)


def main(args: argparse.Namespace) -> int:
    from cytomoe.commands.run import channel_names, label_source, run_with_arguments
    from cytomoe.core.analysis.analysis_file import AnalysisSettings
    from cytomoe.core.analysis.pipeline import input_paths
    from cytomoe.core.io.outputs import check_folder_target, check_outside_inputs
    from cytomoe.core.model.estimator import MoESimVAE

    settings = AnalysisSettings(
        inputs=[str(p) for p in args.inputs],
        model_file=str(args.model),
        sample_sheet=str(args.sample_sheet) if args.sample_sheet else None,
        labels=label_source(args),
        channel_names=channel_names(args.rename) if args.rename else {},
    )
    check_outside_inputs(args.out, input_paths(settings))  # before loading the model
    check_folder_target(args.out, args.overwrite)
    model = MoESimVAE.load(args.model, device=args.device)
    run_with_arguments(args, settings, args.out, model)
    return 0
