"""One entry point for every event file cytomoe reads, and expansion of input paths."""

from collections.abc import Iterable
from pathlib import Path

from cytomoe.core.errors import FcsReadError, InputError
from cytomoe.core.io.fcs import read_fcs
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.table import compression_of, read_table

FCS_SUFFIXES = (".fcs", ".lmd")
# Tables found in folders; a .txt file is read as a table only when named explicitly,
# since folders often hold notes as .txt.
FOLDER_TABLE_SUFFIXES = (".csv", ".tsv", ".tab")
TABLE_SUFFIXES = (*FOLDER_TABLE_SUFFIXES, ".txt")


def read_samples(path: str | Path) -> list[Sample]:
    """Samples of one file: FCS/LMD (one per data set) or an event table (CSV/TSV/TXT).

    Any other suffix is read as FCS: the FCS header decides, whatever the name. Compressed
    files are refused: they would be inflated into memory without a bound.
    """
    path = Path(path)
    if not path.exists():
        raise FcsReadError(path, "does not exist.")
    if path.is_dir():
        raise FcsReadError(path, "is a folder, not a data file.")
    try:
        compression = compression_of(path)
    except OSError as error:
        raise FcsReadError(path, f"cannot be read ({error.strerror or error}).") from None
    if compression:
        raise FcsReadError(path, f"is {compression}-compressed; decompress it first.")
    if path.suffix.lower() in TABLE_SUFFIXES and not _has_fcs_header(path):
        return [read_table(path)]
    return read_fcs(path)


def _has_fcs_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(3) == b"FCS"
    except OSError:
        return False


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder becomes its FCS files (by suffix or FCS header), sorted and
    not recursive, or, when it holds none, its CSV/TSV event tables.

    Tables beside FCS files are sample sheets, gating results and the like, not wells.
    """
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder.")
        if not path.is_dir():
            files.append(path)
            continue
        candidates = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        found = [p for p in candidates if p.suffix.lower() in FCS_SUFFIXES or _has_fcs_header(p)]
        found = found or [p for p in candidates if p.suffix.lower() in FOLDER_TABLE_SUFFIXES]
        if not found:
            raise InputError(f"{path}: the folder holds no FCS files or event tables.")
        files.extend(found)
    return files
