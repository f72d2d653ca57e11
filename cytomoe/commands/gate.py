"""`cytomoe gate INPUT --gates FILE --out DIR`: one FCS per gated population."""

import argparse
import json
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="FCS files or folders")
    parser.add_argument(
        "--gates",
        required=True,
        type=Path,
        metavar="FILE",
        help="FlowJo workspace (.wsp) or Gating-ML 2.0 file (.xml)",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder for the population files (created if missing)",
    )
    parser.add_argument(
        "--population", nargs="+", metavar="NAME", help="only these populations (default: all)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {sample, population, parent, events}",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")


def main(args: argparse.Namespace) -> int:
    from cytomoe.core.errors import InputError, OutputExistsError
    from cytomoe.core.evaluation.gates import load_gates
    from cytomoe.core.io.export import source_keywords, write_fcs
    from cytomoe.core.io.plate import Plate

    plate = Plate.open(args.inputs)
    gates = load_gates(args.gates, plate.samples)
    chosen = gates.populations
    if args.population:
        known = {p.label: p for p in gates.populations} | {p.name: p for p in gates.populations}
        unknown = [n for n in args.population if n not in known]
        if unknown:
            raise InputError(
                f"No population {', '.join(unknown)} in {args.gates.name}; "
                f"populations: {', '.join(p.label for p in gates.populations)}."
            )
        chosen = [known[n] for n in args.population]
    several = len(plate.samples) > 1
    jobs = []
    for sample in plate.samples:
        membership = gates.membership(sample)
        for population in chosen:
            name = _file_name(population.label, sample.name if several else None)
            jobs.append(
                (sample, population, membership[population.label].to_numpy(), args.out / name)
            )
    existing = [str(target) for *_, target in jobs if target.exists()]
    if existing and not args.overwrite:
        raise OutputExistsError(f"{existing[0]} already exists; use --overwrite to replace.")
    args.out.mkdir(parents=True, exist_ok=True)
    records = []
    for sample, population, mask, target in jobs:
        write_fcs(
            target,
            sample.to_frame()[mask],
            markers=dict(zip(sample.channels, sample.markers, strict=True)),
            keywords={
                **source_keywords(sample.keywords),
                "CYTOMOE_POPULATION": "/".join((*population.path, population.name)),
            },
            overwrite=args.overwrite,
        )
        records.append(
            {
                "sample": sample.name,
                "population": population.label,
                "parent": population.parent,
                "events": int(mask.sum()),
            }
        )
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        for record in records:
            prefix = f"{record['sample']}: " if several else ""
            print(
                f"{prefix}{record['population']}: {record['events']} events "
                f"(parent {record['parent']})"
            )
        print(f"wrote {len(records)} file(s) to {args.out}")
    return 0


def _file_name(label: str, sample: str | None) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_+" else "_" for ch in label)
    return f"{Path(sample).stem}_{safe}.fcs" if sample else f"{safe}.fcs"
