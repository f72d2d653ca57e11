"""`cytomoe info PATH...`: one record per sample; unreadable files get one line each and
the exit status 2, as for any bad input."""

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cytomoe.core.io.sample import Sample


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="FCS/LMD files, event tables (CSV/TSV) or folders of them",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of records")


def main(args: argparse.Namespace) -> int:
    from cytomoe.core.errors import CytomoeError, FcsReadError
    from cytomoe.core.io.readers import expand_inputs, read_samples

    records, failures = [], []
    for item in args.paths:
        try:
            files = expand_inputs([item])
        except CytomoeError as error:
            failures.append({"path": str(item), "error": str(error)})
            continue
        for path in files:
            try:
                records.extend(_record(sample) for sample in read_samples(path))
            except CytomoeError as error:
                problem = error.problem if isinstance(error, FcsReadError) else str(error)
                failures.append({"path": str(path), "error": problem})
    if args.json:
        print(json.dumps(records + failures, indent=2))
    else:
        for record in records:
            print(_line(record))
        for failure in failures:
            print(f"{failure['path']}: cannot read: {failure['error']}", file=sys.stderr)
    return 2 if failures else 0


def _record(sample: "Sample") -> dict:
    return {
        "path": str(sample.path),
        "data_set": sample.dataset + 1,
        "fcs_version": sample.fcs_version,
        "events": sample.n_events,
        "channels": sample.channels,
        "markers": sample.markers,
        "well": sample.well,
        "instrument": sample.instrument,
        "spillover": sample.spillover is not None,
    }


def _line(record: dict) -> str:
    named = [m for c, m in zip(record["channels"], record["markers"], strict=True) if m != c]
    kind = "table" if record["fcs_version"] == "table" else f"FCS {record['fcs_version']}"
    return (
        f"{record['path']} [data set {record['data_set']}]: {kind}, "
        f"{record['events']} events x {len(record['channels'])} channels, "
        f"well {record['well'] or '-'}, instrument {record['instrument'] or '-'}, "
        f"spillover {'yes' if record['spillover'] else 'no'}; "
        f"channels {', '.join(record['channels'])}"
        + (f"; markers {', '.join(named)}" if named else "")
    )
