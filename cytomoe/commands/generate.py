"""`cytomoe generate MODEL --cluster K -n N --out FILE`: synthetic cells of one cluster, as
FCS or CSV (the suffix of FILE decides)."""

import argparse
from pathlib import Path

MAX_CELLS = 10_000_000  # about the largest sample one instrument run records
SUFFIXES = (".fcs", ".csv")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, metavar="MODEL", help="a trained model file")
    parser.add_argument(
        "--cluster",
        type=int,
        required=True,
        metavar="K",
        help="the cluster whose experts generate (numbered as in the "
        "cluster_KK.fcs exports: 0 is the largest)",
    )
    parser.add_argument(
        "-n",
        type=cell_count,
        required=True,
        metavar="N",
        help=f"number of cells, e.g. 5000 or 1e5 (1 to {MAX_CELLS:,})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="FCS (.fcs) or CSV (.csv) file to write (never overwritten unless --overwrite)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default: the model's)")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument("--overwrite", action="store_true", help="replace FILE")


def cell_count(text: str) -> int:
    """A whole number of cells, also written as 1e5."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of cells") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of cells")
    return int(value)


def main(args: argparse.Namespace) -> int:
    from cytomoe.core.analysis.pipeline import synthetic_export
    from cytomoe.core.errors import InputError, OutputExistsError
    from cytomoe.core.io.export import write_csv, write_fcs
    from cytomoe.core.io.outputs import check_outside_inputs
    from cytomoe.core.model.estimator import MoESimVAE

    if not 1 <= args.n <= MAX_CELLS:
        raise InputError(f"-n must be between 1 and {MAX_CELLS:,}, not {args.n:,}.")
    suffix = args.out.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{args.out.name}: the file name must end in .fcs or .csv (the format to write)."
        )
    check_outside_inputs(args.out, [args.model])
    if args.out.exists() and not args.overwrite:  # before the work, not after
        raise OutputExistsError(
            f"{args.out} already exists; choose another name or use --overwrite."
        )
    model = MoESimVAE.load(args.model, device=args.device)
    cells = model.generate(args.cluster, args.n, seed=args.seed)
    events, markers, keywords = synthetic_export(model, cells, args.cluster, args.model.name)
    if suffix == ".csv":
        write_csv(args.out, events, overwrite=args.overwrite)
    else:
        write_fcs(args.out, events, markers=markers, keywords=keywords, overwrite=args.overwrite)
    accuracy = cells.attrs.get("generation_accuracy")
    routed = (
        ""
        if accuracy is None
        else (f"; the gate assigns {100 * accuracy:.0f}% of them back to cluster {args.cluster}")
    )
    print(
        f"{args.n} synthetic cells of cluster {args.cluster} ({len(cells.columns)} markers, "
        f"instrument units, uncompensated as in the cluster files) written to "
        f"{args.out}{routed}"
    )
    return 0
