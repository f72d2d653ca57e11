"""One entry point for every event file cytomoe reads, and expansion of input paths."""

from collections.abc import Iterable
from pathlib import Path

from cytomoe.core.errors import FcsReadError, InputError
from cytomoe.core.fcs import read_fcs
from cytomoe.core.sample import Sample
from cytomoe.core.table import read_table

FCS_SUFFIXES = (".fcs", ".lmd")
TABLE_SUFFIXES = (".csv", ".tsv", ".tab")


def read_samples(path: str | Path) -> list[Sample]:
    """Samples of one file: FCS/LMD (one per data set) or an event table."""
    path = Path(path)
    if not path.exists():
        raise FcsReadError(path, "does not exist.")
    if path.suffix.lower() in TABLE_SUFFIXES:
        return [read_table(path)]
    return read_fcs(path)  # .fcs, .lmd and unknown suffixes: the FCS header decides


def is_event_file(path: Path) -> bool:
    """FCS and table files by suffix, or any file that starts with an FCS header."""
    if path.suffix.lower() in FCS_SUFFIXES + TABLE_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(3) == b"FCS"
    except OSError:
        return False


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders become their event files (sorted, not recursive)."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder.")
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and not p.name.startswith(".") and is_event_file(p))
            if not found:
                raise InputError(f"{path}: the folder holds no FCS files or event tables.")
            files.extend(found)
        else:
            files.append(path)
    return files
