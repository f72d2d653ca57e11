"""`cytomoe gate INPUT --gates FILE --out DIR`: one FCS per gated population and data set."""

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cytomoe.core.io.sample import Sample


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
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace population files cytomoe wrote into DIR before (other files stay)",
    )


def main(args: argparse.Namespace) -> int:
    from cytomoe.core.errors import FcsReadError, InputError, OutputExistsError
    from cytomoe.core.evaluation.gates import load_gates
    from cytomoe.core.io.export import source_keywords, write_fcs
    from cytomoe.core.io.outputs import check_outside_inputs, written_files
    from cytomoe.core.io.readers import expand_inputs, read_samples

    check_outside_inputs(args.out, [*args.inputs, args.gates])
    files = expand_inputs(args.inputs)
    samples, unreadable = [], []
    for path in files:  # each data set on its own: they need not share channels
        try:
            samples.extend(read_samples(path))
        except FcsReadError as error:
            unreadable.append(error)
    if not samples:
        reasons = "; ".join(str(f) for f in unreadable[:3]) or "no FCS files"
        raise InputError(f"None of the {len(files)} file(s) could be read: {reasons}")
    gates = load_gates(args.gates, samples)
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
    several = len(samples) > 1
    jobs, skipped, used = [], [], set()
    for sample in samples:
        try:
            membership = gates.membership(sample)
        except LookupError as error:  # FlowKit: a gate's channel the data set lacks
            skipped.append(f"{sample.name}: the gates cannot apply ({error})")
            continue
        for population in chosen:
            name = unique_file_name(population.label, sample if several else None, used)
            jobs.append(
                (sample, population, membership[population.label].to_numpy(), args.out / name)
            )
    if not jobs:
        raise InputError("; ".join(skipped) or "No population to export.")
    existing = [target for *_, target in jobs if target.exists()]
    if existing and not args.overwrite:
        raise OutputExistsError(f"{existing[0]} already exists; use --overwrite to replace.")
    foreign = [t for t in existing if t.name not in written_files(args.out)]
    if foreign:
        raise OutputExistsError(
            f"{foreign[0]} was not written by cytomoe, so it is left alone; move it or "
            "choose another folder."
        )
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
            record=True,
        )
        records.append(
            {
                "sample": sample.name,
                "population": population.label,
                "parent": population.parent,
                "events": int(mask.sum()),
                "file": target.name,
            }
        )
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        for record in records:
            prefix = f"{record['sample']}: " if several else ""
            print(
                f"{prefix}{record['population']}: {record['events']} events "
                f"(parent {record['parent']}) -> {record['file']}"
            )
        for note in [*map(str, unreadable), *skipped]:
            print(f"skipped: {note}")
        print(f"wrote {len(records)} file(s) to {args.out}")
    return 0


def unique_file_name(label: str, sample: "Sample | None", used: set[str]) -> str:
    """A file name for a population (of one data set of a file, when there are several)
    that no other population of this export takes: `NK cells` and `NK.cells` both clean
    to `NK_cells`, so the second becomes `NK_cells_2`."""
    safe = "".join(ch if ch.isalnum() or ch in "-_+" else "_" for ch in label)
    if sample is not None:
        data_set = f"_{sample.dataset + 1}" if sample.dataset else ""
        safe = f"{Path(sample.path).stem}{data_set}_{safe}"
    name, number = safe, 2
    while name.lower() in used:  # case-insensitive file systems
        name, number = f"{safe}_{number}", number + 1
    used.add(name.lower())
    return f"{name}.fcs"
