"""Reading FCS 2.0/3.0/3.1 and list-mode (.LMD) files into `Sample`s.

Each data set is checked against the file before anything is allocated or looped over:
$PAR may not exceed the keywords its TEXT holds, every integer or ASCII channel needs a
usable $PnB, and $TOT events of those widths must fit in the file. HEADER and TEXT both
give the DATA segment's location, and files exist where they disagree; the location that
fits the declared layout is read (past HEADER, clear of TEXT, inside the file, of the
declared size or one byte more as many instruments write), HEADER first when both fit, as
fcsparser does. A file where neither fits is refused.

Values are decoded with numpy for every layout real instruments write (integers of any
width up to 64 bits in either byte order, masked to $PnR; floats; doubles; ASCII) and
follow FlowKit's 'raw' events: $PnE log amplification undone, $PnG gain divided out, time
scaled by $TIMESTEP. A broken file raises `FcsReadError` naming the file and the problem.
"""

import math
import mmap
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.wells import well_from_keywords

HEADER_SIZE = 58
RawFile = bytes | mmap.mmap  # the file's bytes, memory-mapped when not empty
_MAX_INTEGER_BITS = 64
_MAX_ASCII_DIGITS = 18  # the widest decimal field an int64 holds exactly
_MAX_COUNT_DIGITS = 20  # longer numbers are no byte offset or count of any real file


def read_fcs(path: str | Path) -> list[Sample]:
    """Every data set of an FCS or LMD file as a `Sample` (events in instrument units)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = _map(handle)
    except OSError as error:
        raise FcsReadError(path, f"cannot be opened ({error.strerror or error}).") from None
    try:
        return [
            _read_dataset(path, raw, index, layout)
            for index, layout in enumerate(_layouts(path, raw))
        ]
    finally:
        _unmap(raw)


def _map(handle: BinaryIO) -> RawFile:
    """The file's bytes, memory-mapped so a large file is not copied into memory."""
    size = os.fstat(handle.fileno()).st_size
    return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""


def _unmap(raw: RawFile) -> None:
    if isinstance(raw, mmap.mmap):
        try:
            raw.close()
        except BufferError:  # a view is still referenced (by a traceback): closed when freed
            pass


@dataclass(frozen=True)
class _Layout:
    """One data set, checked against the file: where its DATA lies and how it is stored."""

    keys: dict[str, str]  # TEXT keywords, lower case without '$'
    version: str
    offset: int  # where the data set begins in the file
    start: int  # first DATA byte, relative to the data set
    end: int  # last DATA byte, relative to the data set
    n_events: int
    datatype: str  # I, F, D or A
    widths: list[int]  # bytes (ASCII: characters) per value of each channel; 0: free ASCII

    @property
    def n_channels(self) -> int:
        return len(self.widths)


def _layouts(path: Path, raw: RawFile) -> Iterator[_Layout]:
    """The data sets of the file, following $NEXTDATA (relative to each data set)."""
    offset = 0
    while True:  # a $NEXTDATA is positive, so the chain ends at the end of the file
        layout = _layout(path, raw, offset)
        yield layout
        step = _count(layout.keys, "nextdata")
        if not step:
            return
        offset += step


def _layout(path: Path, raw: RawFile, offset: int) -> _Layout:
    header = raw[offset : offset + HEADER_SIZE]
    if len(header) < HEADER_SIZE or header[:3] != b"FCS":
        if offset:
            raise FcsReadError(
                path, f"is damaged: its $NEXTDATA points to byte {offset}, where no data set is."
            )
        raise FcsReadError(path, "is not an FCS file (no FCS header).")
    size = len(raw) - offset
    text = (_offset(header[10:18]), _offset(header[18:26]))
    if None in text or not HEADER_SIZE <= text[0] < text[1] < size:
        raise FcsReadError(path, "is truncated or damaged: its TEXT segment is missing.")
    keys = _parse_text(raw[offset + text[0] : offset + text[1] + 1])
    n_channels = _count(keys, "par")
    if not n_channels or n_channels > len(keys):
        raise FcsReadError(
            path, f"is damaged: its $PAR ({_shown(keys, 'par')}) is not a channel count."
        )
    datatype = _datatype(path, keys)
    widths = _widths(path, keys, datatype, n_channels)
    n_events = _count(keys, "tot")
    if n_events is None and (keys.get("tot", "").strip() or widths[0] == 0):
        raise FcsReadError(
            path, f"is damaged: its $TOT ({_shown(keys, 'tot')}) is not an event count."
        )
    if n_events is not None and n_events * sum(widths) > size:
        raise _truncated(path, n_events, n_channels)
    if n_events == 0:
        start = end = 0
    else:
        start, end, n_events = _locate(path, header, keys, text, size, n_events, widths)
    version = header[3:6].decode("latin-1")
    return _Layout(keys, version, offset, start, end, n_events, datatype, widths)


def _locate(
    path: Path,
    header: bytes,
    keys: dict[str, str],
    text: tuple[int, int],
    size: int,
    n_events: int | None,
    widths: list[int],
) -> tuple[int, int, int]:
    """(first byte, last byte, events) of the DATA segment: HEADER's location when it fits
    the declared layout, else TEXT's. A location of 0 is no location (FCS 3.1 writes 0 in
    HEADER for files over 99,999,999 bytes; FCS 2.0 has no TEXT offsets)."""
    row = sum(widths)
    locations = {
        "HEADER": (_offset(header[26:34]), _offset(header[34:42])),
        "TEXT": (_count(keys, "begindata"), _count(keys, "enddata")),
    }
    given, truncated = [], None
    for source, (start, end) in locations.items():
        if not start:
            continue
        given.append(f"{source} says bytes {start}-{end}")
        if end is None or end < start:
            continue
        declared = end - start + 1
        events = n_events if n_events is not None else declared // row  # row > 0 here
        need = events * row if row else declared  # free-format ASCII: the declared size
        clear = start >= HEADER_SIZE and (start + need <= text[0] or start > text[1])
        if not clear or declared not in (need, need + 1):
            continue
        if start + need > size:
            truncated = events
            continue
        return start, start + need - 1, events
    if truncated is not None:
        raise _truncated(path, truncated, len(widths))
    where = "; ".join(given) or "no location given"
    raise FcsReadError(
        path,
        f"is damaged: no DATA location fits its {n_events} events x {len(widths)} channels "
        f"({where}).",
    )


def _truncated(path: Path, n_events: int, n_channels: int) -> FcsReadError:
    return FcsReadError(
        path,
        f"is truncated: it declares {n_events} events x {n_channels} "
        "channels, but the file ends before they do.",
    )


def _datatype(path: Path, keys: dict[str, str]) -> str:
    """$DATATYPE; absent or blank reads as integers, as written by some instruments."""
    datatype = keys.get("datatype", "I").strip().upper() or "I"
    if datatype not in ("I", "F", "D", "A"):
        raise FcsReadError(path, f"has an unknown $DATATYPE ({_shown(keys, 'datatype')}).")
    return datatype


def _widths(path: Path, keys: dict[str, str], datatype: str, n_channels: int) -> list[int]:
    """Bytes per value of each channel: 4 or 8 for floats; integer $PnB bits rounded up to
    whole bytes (10 bits live in 2 bytes); ASCII $PnB characters, 0 for free format ('*')."""
    if datatype in ("F", "D"):
        return [4 if datatype == "F" else 8] * n_channels
    bits = [keys.get(f"p{i}b", "").strip() for i in range(1, n_channels + 1)]
    if datatype == "A" and all(b == "*" for b in bits):
        return [0] * n_channels
    most = _MAX_ASCII_DIGITS if datatype == "A" else _MAX_INTEGER_BITS
    widths = []
    for i, value in enumerate(bits, 1):
        width = _as_count(value)
        if not width or width > most:
            raise FcsReadError(
                path, f"is damaged: its $P{i}B ({_shown(keys, f'p{i}b')}) is not a usable width."
            )
        widths.append(width if datatype == "A" else (width + 7) // 8)
    return widths


def _as_count(text: str) -> int | None:
    """A non-negative whole number written in decimal digits, else None."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= _MAX_COUNT_DIGITS:
        return int(text)
    return None


def _count(keys: dict[str, str], key: str) -> int | None:
    return _as_count(keys.get(key, ""))


def _offset(field: bytes) -> int | None:
    return _as_count(field.decode("latin-1"))


def _shown(keys: dict[str, str], key: str) -> str:
    """A keyword's value as a message quotes it: short, and 'absent' when missing."""
    value = keys.get(key)
    return "absent" if value is None else repr(value.strip()[:20])


def _float(text: str, default: float = 0.0) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        return default


def _number(keys: dict[str, str], key: str, default: float = 0.0) -> float:
    """A numeric keyword, or ``default`` when absent, blank or not a number."""
    return _float(keys.get(key, ""), default)


def _unique_names(names: list[str]) -> list[str]:
    """Duplicate channel names get a suffix (_2, _3, ...), so every column can be addressed.

    Each name's next suffix is remembered, so a file repeating one name thousands of times
    is renamed in linear time.
    """
    taken = set(names)
    given: set[str] = set()
    next_suffix: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        if name in given:
            number = next_suffix.get(name, 2)
            while f"{name}_{number}" in taken:
                number += 1
            next_suffix[name] = number + 1
            name = f"{name}_{number}"
            taken.add(name)
        given.add(name)
        unique.append(name)
    return unique


def _read_dataset(path: Path, raw: RawFile, index: int, layout: _Layout) -> Sample:
    events = _to_instrument_units(_decode(path, raw, layout), layout.keys)
    keys = {**_supplemental_text(raw, layout.offset, layout.keys), **layout.keys}
    return _build_sample(path, index, events, keys, layout.version)


def _supplemental_text(raw: RawFile, offset: int, keys: dict[str, str]) -> dict[str, str]:
    """Keywords of the FCS 3 supplemental TEXT segment (some instruments keep $SPILLOVER
    there); nothing when absent or outside the file."""
    start, end = _count(keys, "beginstext"), _count(keys, "endstext")
    if not start or not end or not start < end < len(raw) - offset:
        return {}
    return _parse_text(raw[offset + start : offset + end + 1])


def _byte_order(keys: dict[str, str]) -> str:
    """'<' or '>' from $BYTEORD such as '1,2,3,4', '4,3,2,1' or '8,7,6,5,4,3,2,1'."""
    order = re.findall(r"\d+", keys.get("byteord", ""))
    return ">" if len(order) > 1 and int(order[0]) > int(order[-1]) else "<"


def _decode(path: Path, raw: RawFile, layout: _Layout) -> np.ndarray:
    """The stored values of one data set, as float64 (n_events x n_channels)."""
    n_events, n_channels = layout.n_events, layout.n_channels
    if n_events == 0:
        return np.empty((0, n_channels))
    start = layout.offset + layout.start
    if layout.datatype == "A":
        block = raw[start : layout.offset + layout.end + 1]
        return _decode_ascii(path, block, layout.widths, n_events)
    if layout.datatype in ("F", "D"):
        dtype = np.dtype(f"{_byte_order(layout.keys)}f{layout.widths[0]}")
        events = np.frombuffer(raw, dtype, n_events * n_channels, start)
        with np.errstate(invalid="ignore"):  # signalling NaNs stay NaN
            return events.reshape(n_events, n_channels).astype(np.float64)
    return _decode_integers(raw, start, layout)


def _decode_integers(raw: RawFile, start: int, layout: _Layout) -> np.ndarray:
    """Integers of any byte width per channel (8/16/24/32/64, mixed), masked to $PnR bits."""
    widths, n_events = layout.widths, layout.n_events
    order = _byte_order(layout.keys)
    if len(set(widths)) == 1 and widths[0] in (1, 2, 4, 8):
        dtype = np.dtype(f"{order}u{widths[0]}")
        values = np.frombuffer(raw, dtype, n_events * len(widths), start)
        values = values.reshape(n_events, len(widths)).astype(np.uint64)
    else:
        row = sum(widths)
        data = np.frombuffer(raw, np.uint8, n_events * row, start).reshape(n_events, row)
        values = np.zeros((n_events, len(widths)), dtype=np.uint64)
        column = 0
        for i, width in enumerate(widths):
            chunk = data[:, column : column + width].astype(np.uint64)
            column += width
            significance = range(width) if order == "<" else range(width - 1, -1, -1)
            for shift, byte in enumerate(significance):
                values[:, i] |= chunk[:, byte] << np.uint64(8 * shift)
    return (values & _masks(layout.keys, len(widths))).astype(np.float64)


def _masks(keys: dict[str, str], n_channels: int) -> np.ndarray:
    """Per channel, the bits $PnR spans (the next power of two): unused high bits may hold
    flags, masked as FlowJo and flowio do."""
    masks = np.full(n_channels, np.iinfo(np.uint64).max, dtype=np.uint64)
    for i in range(n_channels):
        value_range = _number(keys, f"p{i + 1}r")
        if 1 < value_range < 2.0**_MAX_INTEGER_BITS:
            masks[i] = (1 << math.ceil(math.log2(value_range))) - 1
    return masks


def _decode_ascii(path: Path, block: bytes, widths: list[int], n_events: int) -> np.ndarray:
    """ASCII data: fixed-width fields of $PnB characters, or separated values ($PnB '*')."""
    n_channels = len(widths)
    if widths[0] == 0:
        fields = re.split(rb"[\s,]+", block.strip())[: n_events * n_channels]
        try:
            values = np.array(fields, dtype=np.float64)
        except ValueError:
            raise FcsReadError(path, "holds ASCII data that is not made of numbers.") from None
        if values.size < n_events * n_channels:
            raise _truncated(path, n_events, n_channels)
        return values.reshape(n_events, n_channels)
    text = np.frombuffer(block, np.uint8, n_events * sum(widths)).reshape(n_events, -1)
    digits = np.where(text == ord(" "), 0, text.astype(np.int64) - ord("0"))
    if ((digits < 0) | (digits > 9)).any():
        raise FcsReadError(path, "holds ASCII data that is not made of digits.")
    events = np.empty((n_events, n_channels), dtype=np.float64)
    column = 0
    for i, width in enumerate(widths):
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        events[:, i] = digits[:, column : column + width] @ powers
        column += width
    return events


def _to_instrument_units(events: np.ndarray, keys: dict[str, str]) -> np.ndarray:
    """FlowKit's 'raw' values: time x $TIMESTEP, $PnE log amplification undone, /$PnG.

    This follows flowio's preprocessing, but a blank or unreadable $TIMESTEP counts as 1
    rather than making the file unreadable.
    """
    numbers = range(1, events.shape[1] + 1)
    is_time = np.array([keys.get(f"p{i}n", "").strip().lower() == "time" for i in numbers])
    amplification = [keys.get(f"p{i}e", "0,0").split(",") + ["0"] for i in numbers]
    decades = np.array([_float(a[0]) for a in amplification])
    floor = np.array([_float(a[1]) or 1.0 for a in amplification])
    ranges = np.array([_number(keys, f"p{i}r") for i in numbers])
    gains = np.array([_number(keys, f"p{i}g", 1.0) for i in numbers])
    logarithmic = (decades > 0) & (ranges > 0)
    divided = ~is_time & (gains != 0.0) & (gains != 1.0)  # a gain on time makes no sense
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        events[:, is_time] *= _number(keys, "timestep", 1.0) or 1.0
        if logarithmic.any():
            exponent = decades[logarithmic] * events[:, logarithmic] / ranges[logarithmic]
            events[:, logarithmic] = floor[logarithmic] * 10**exponent
        events[:, divided] /= gains[divided]
    return events


def _build_sample(
    path: Path, index: int, events: np.ndarray, keywords: dict[str, str], version: str
) -> Sample:
    count = events.shape[1]
    names = [keywords.get(f"p{i}n", "").strip() or f"P{i}" for i in range(1, count + 1)]
    channels = _unique_names(names)
    markers = [keywords.get(f"p{i}s", "").strip() or channels[i - 1] for i in range(1, count + 1)]
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: infinite
        events = np.ascontiguousarray(events, dtype=np.float32)
    return Sample(
        events=events,
        channels=channels,
        markers=markers,
        path=path,
        keywords=keywords,
        spillover=_spillover(keywords, channels),
        instrument=keywords.get("cyt", "").strip(),
        dataset=index,
        well=well_from_keywords(keywords, path),
        fcs_version=version,
    )


def _spillover(keywords: dict[str, str], channels: list[str]) -> pd.DataFrame | None:
    """The $SPILLOVER / $SPILL / SPILL matrix as a DataFrame over channel names."""
    text = next((keywords[k] for k in ("spillover", "spill") if keywords.get(k)), None)
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    n = _as_count(parts[0])
    if n is None or len(parts) != 1 + n + n * n:
        return None
    try:
        matrix = np.array(parts[n + 1 :], dtype=np.float64).reshape(n, n)
    except ValueError:
        return None
    names = [_resolve_channel(name, channels) for name in parts[1 : n + 1]]
    if any(name is None for name in names):
        return None
    return pd.DataFrame(matrix, index=names, columns=names)


def _resolve_channel(name: str, channels: list[str]) -> str | None:
    """Spillover headers may use $PnN names or channel numbers."""
    if name in channels:
        return name
    number = _as_count(name)
    if number and number <= len(channels):
        return channels[number - 1]
    return None


def _parse_text(segment: bytes) -> dict[str, str]:
    """Keywords of a TEXT segment (lower case, without '$'): UTF-8, else Latin-1, as flowio
    reads them; the first character is the delimiter, doubled inside a value."""
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError:
        text = segment.decode("latin-1")
    if len(text) < 2:
        return {}
    delimiter = re.escape(text[0])
    tokens = re.split(f"(?<!{delimiter}){delimiter}(?!{delimiter})", text[1:])
    tokens = [t.replace(text[0] * 2, text[0]) for t in tokens]
    return {
        tokens[i].strip().lower().lstrip("$"): tokens[i + 1] for i in range(0, len(tokens) - 1, 2)
    }
