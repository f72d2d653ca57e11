"""Reading CSV/TSV event tables (one row per event, one column per channel).

The layout is read from the file, not its name: the delimiter (comma, tab or semicolon),
a decimal comma, and whether the first line names the columns. A cell that would change
the events silently (text or nothing in a column of numbers) is refused with its line and
column, rather than dropping the channel or the event.
"""

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError, InputError
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.wells import well_in_name

# Columns that name a population rather than measure one: never a channel of a table, never
# a marker of a panel.
_LABEL_LIKE = re.compile(
    r"^(labels?|populations?|clusters?|gates?|gating|class(es)?|cell_?types?|"
    r"truth|ground_?truth|annotations?|phenotypes?|manual_?gates?)([ _.-]?\d+|[ _.-]\w+)?$",
    re.IGNORECASE,
)
# The first bytes of compressed files, which pandas and libxml2 would inflate without limit.
_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"PK\x03\x04": "zip",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 50
_INTEGER = re.compile(r"\d+")


def is_label_like(name: str) -> bool:
    """True for column names such as label, population_name, cluster, gate, class, cell_type."""
    return bool(_LABEL_LIKE.match(str(name).strip()))


def compression_of(path: str | Path) -> str | None:
    """The compression format of a file by its first bytes ('gzip', 'zip', ...), or None."""
    with Path(path).open("rb") as handle:
        start = handle.read(6)
    return next((name for magic, name in _COMPRESSED.items() if start.startswith(magic)), None)


def refuse_compressed(path: str | Path, what: str) -> None:
    """An InputError for a compressed ``what`` (label file, sample sheet, gates file), which
    pandas or libxml2 would inflate without a bound."""
    compression = compression_of(path)
    if compression:
        raise InputError(
            f"{Path(path).name}: the {what} is {compression}-compressed; decompress it first."
        )


@dataclass(frozen=True)
class _Layout:
    delimiter: str
    decimal: str
    header: bool
    encoding: str


def read_table(path: str | Path) -> Sample:
    """An event table as a `Sample`: numeric columns become channels; text columns and
    label-like columns (label, population, cluster, ...) go to ``annotations``.

    A first line of numbers is the first event, and the columns are named V1, V2, ... as R
    names them. Empty cells, NaN and infinities in a channel are refused, as is a text cell
    in a column of numbers; blank lines are skipped.
    """
    path = Path(path)
    try:
        layout = _sniff(path)
        frame = pd.read_csv(
            path,
            sep=layout.delimiter,
            decimal=layout.decimal,
            header=0 if layout.header else None,
            encoding=layout.encoding,
            skip_blank_lines=False,
            low_memory=False,
        )
    except FileNotFoundError:
        raise FcsReadError(path, "does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FcsReadError(path, f"cannot be read as a table ({error}).") from None
    except pd.errors.EmptyDataError:
        raise FcsReadError(path, "is empty.") from None
    except pd.errors.ParserError as error:
        raise FcsReadError(path, f"is not a regular table ({str(error).strip()}).") from None
    if not layout.header:
        frame.columns = [f"V{i + 1}" for i in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    first_line = 2 if layout.header else 1
    frame.index = np.arange(len(frame)) + first_line  # file line of each row
    frame = frame.dropna(how="all")  # blank lines
    if frame.empty:
        raise FcsReadError(path, "holds no events.")
    if _unnamed(frame.columns[0]):
        frame = frame.iloc[:, 1:]  # row names, as R's write.csv puts them first
    # A separator at the end of every line makes an empty column without a name.
    frame = frame.drop(columns=[c for c in frame.columns if _unnamed(c) and frame[c].isna().all()])
    numeric, text = [], []
    for column in frame.columns:
        if is_label_like(column) or not _is_channel(path, frame[column], column, layout.decimal):
            text.append(column)
        else:
            numeric.append(column)
    if not numeric:
        raise FcsReadError(path, "has no numeric columns to use as channels.")
    values = frame[numeric].apply(lambda c: _numbers(c, layout.decimal))
    _check_finite(path, values)
    return Sample(
        events=values.to_numpy(dtype=np.float32),
        channels=numeric,
        markers=list(numeric),
        path=path,
        keywords={"fil": path.name},
        well=well_in_name(path.name),
        fcs_version="table",
        annotations=frame[text].reset_index(drop=True) if text else None,
    )


def _unnamed(column: str) -> bool:
    return column == "" or column.startswith("Unnamed: ")


def _sniff(path: Path) -> _Layout:
    """Delimiter, decimal mark, header and encoding from the first lines of the file."""
    with path.open("rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
    if b"\x00" in raw:
        raise FcsReadError(path, "is not a text table (it holds binary data).")
    encoding = "utf-8-sig"
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(raw, final=False)
    except UnicodeDecodeError:
        encoding, text = "latin-1", raw.decode("latin-1")
    lines = text.splitlines()
    if len(raw) == _SNIFF_BYTES:
        lines = lines[:-1]  # cut short
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]
    if not lines:
        raise pd.errors.EmptyDataError
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","  # one column, or a ragged table that pandas will name
    rows = [next(csv.reader([line], delimiter=delimiter)) for line in lines]
    cells = [cell.strip() for row in rows[1:] for cell in row]
    decimal = "," if delimiter != "," and _uses_decimal_comma(cells) else "."
    return _Layout(delimiter, decimal, _has_header(rows, decimal), encoding)


def _uses_decimal_comma(cells: list[str]) -> bool:
    comma = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")
    point = re.compile(r"[+-]?\d*\.\d+([eE][+-]?\d+)?")
    return any(comma.fullmatch(c) for c in cells) and not any(point.fullmatch(c) for c in cells)


def _is_number(text: str, decimal: str) -> bool:
    try:
        float(text.strip().replace(decimal, "."))
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]], decimal: str) -> bool:
    """The first line names the columns when a text cell of it sits above numbers, or when
    its numbers are names: whole numbers that count the columns (0, 1, 2, ... or 1, 2, 3,
    ...), or distinct whole numbers above events with decimals. Otherwise it is an event."""
    first = [cell.strip() for cell in rows[0]]
    below = [[cell.strip() for cell in row] for row in rows[1:]]
    for i, cell in enumerate(first):
        if not _is_number(cell, decimal):
            column = [row[i] for row in below if i < len(row) and row[i]]
            if not column or all(_is_number(c, decimal) for c in column):
                return True
    numbers = [cell for cell in first if _is_number(cell, decimal)]
    if not all(_INTEGER.fullmatch(n) for n in numbers) or len(set(numbers)) < len(numbers):
        return False
    values = sorted(int(n) for n in numbers)
    counting = values in (list(range(len(first))), list(range(1, len(first) + 1)))
    decimals = any(
        not _INTEGER.fullmatch(c) for row in below for c in row if _is_number(c, decimal)
    )
    return counting or decimals


def _numbers(column: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        return column
    text = column.astype(str).str.strip()
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text.where(column.notna()), errors="coerce")


def _is_channel(path: Path, column: pd.Series, name: str, decimal: str) -> bool:
    """Numbers: a channel. Mostly text: an annotation. Mostly numbers with some text: a
    channel with a stray cell, which is refused."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    numbers = _numbers(column, decimal)
    stray = column.notna() & numbers.isna()
    if numbers.notna().sum() <= stray.sum():
        return False
    line = stray.idxmax()
    raise FcsReadError(
        path,
        f"line {line}, column '{name}' holds '{column[line]}' where a number belongs "
        f"({int(stray.sum())} such cell(s) in that column); correct or remove it.",
    )


def _check_finite(path: Path, values: pd.DataFrame) -> None:
    """Refuse the first cell (in reading order) without a finite number, counting them all."""
    first, count = None, 0
    for column in values.columns:
        bad = ~np.isfinite(values[column].to_numpy(dtype=np.float64))
        if bad.any():
            count += int(bad.sum())
            line = values.index[bad.argmax()]
            if first is None or line < first[0]:
                first = (line, column)
    if first is None:
        return
    line, column = first
    value = values.at[line, column]
    what = "has no value (empty or NaN)" if np.isnan(value) else f"holds {value}"
    raise FcsReadError(
        path,
        f"line {line}, column '{column}' {what} where a number belongs "
        f"({count} such cell(s) in the table); fill or remove those events.",
    )
