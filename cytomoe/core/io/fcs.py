"""Reading FCS 2.0/3.0/3.1 and list-mode (.LMD) files into `Sample`s.

flowio parses HEADER and TEXT and decodes the usual data layouts. Real files are often
non-conformant, so we read them as FlowJo and cytoflow do: offset errors and HEADER/TEXT
disagreements are tolerated (flowio picks the consistent location); integer widths flowio
leaves undecoded (10, 24 bits, ...) and byte orders it would misread are decoded here; the
few files flowio refuses outright (blank HEADER data offsets, no $DATATYPE, no $TOT, ASCII
data) go through a small fallback reader that trusts TEXT. Values follow FlowKit's 'raw'
events: $PnE log amplification undone, $PnG gain divided out, time scaled by $TIMESTEP.
A file that is truly broken raises `FcsReadError` naming the file and the problem.
"""

import mmap
import os
import re
import warnings
from pathlib import Path

import flowio
import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.wells import well_from_keywords

HEADER_SIZE = 58
RawFile = bytes | mmap.mmap  # the file's bytes, memory-mapped when not empty
# The $BYTEORD values flowio understands; it reads any other value in the machine's order.
_FLOWIO_BYTE_ORDERS = {"1,2,3,4": "<", "1,2": "<", "4,3,2,1": ">", "2,1": ">"}


def read_fcs(path: str | Path) -> list[Sample]:
    """Every data set of an FCS or LMD file as a `Sample` (events in instrument units)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = _map(handle)
    except OSError as error:
        raise FcsReadError(path, f"cannot be opened ({error.strerror or error}).") from None
    try:
        return _read_mapped(path, raw)
    finally:
        _unmap(raw)


def _map(handle) -> RawFile:
    """The file's bytes, memory-mapped so a large file is not copied into memory."""
    size = os.fstat(handle.fileno()).st_size
    return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""


def _unmap(raw: RawFile) -> None:
    if isinstance(raw, mmap.mmap):
        try:
            raw.close()
        except BufferError:  # a view is still referenced (by a traceback): closed when freed
            pass


def _read_mapped(path: Path, raw: RawFile) -> list[Sample]:
    _check_header(path, raw)
    first_problem = ""
    for options in _FLOWIO_ATTEMPTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                datasets = flowio.read_multiple_data_sets(str(path), **options)
            return _samples_from_datasets(path, raw, datasets, options)
        except Exception as error:  # flowio refuses: try the next, more tolerant, reading
            first_problem = first_problem or _describe(error)
    try:
        return _read_with_fallback(path, raw)
    except FcsReadError:
        raise
    except Exception:
        raise FcsReadError(path, first_problem) from None


# From strict to tolerant: HEADER/TEXT disagreements are resolved by flowio towards the
# location that fits the declared event count; off-by-one ends are ignored.
_FLOWIO_ATTEMPTS = (
    {"ignore_offset_error": True},
    {"ignore_offset_error": True, "ignore_offset_discrepancy": True},
    {"ignore_offset_error": True, "ignore_offset_discrepancy": True, "use_header_offsets": True},
)


def _check_header(path: Path, raw: RawFile) -> None:
    if len(raw) < HEADER_SIZE or raw[:3] != b"FCS":
        raise FcsReadError(path, "is not an FCS file (no FCS header).")
    text_start, text_end = _offset(raw[10:18]), _offset(raw[18:26])
    if text_start is None or text_end is None or text_end >= len(raw):
        raise FcsReadError(path, "is truncated or damaged: its TEXT segment is missing.")


def _describe(error: Exception) -> str:
    message = str(error)
    if "greater than file size" in message or "buffer" in message:
        return "is truncated: the file ends before its declared DATA segment."
    return f"cannot be read as FCS ({type(error).__name__}: {message[:120]})."


def _truncated(path: Path, n_events: int, n_channels: int) -> FcsReadError:
    return FcsReadError(
        path,
        f"is truncated: it declares {n_events} events x {n_channels} "
        "channels, but the file ends before they do.",
    )


def _offset(field: bytes) -> int | None:
    text = field.strip()
    return int(text) if text.isdigit() else None


def _float(text: str, default: float = 0.0) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        return default


def _number(keys: dict[str, str], key: str, default: float = 0.0) -> float:
    """A numeric keyword, or ``default`` when absent, blank or not a number."""
    return _float(keys.get(key, ""), default)


def _unique_names(names: list[str]) -> list[str]:
    """Duplicate channel names get a suffix (_2, _3, ...), so every column can be addressed."""
    taken = set(names)
    unique: list[str] = []
    for name in names:
        if name in unique:
            number = 2
            while f"{name}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name)
        unique.append(name)
    return unique


def _samples_from_datasets(path: Path, raw: RawFile, datasets: list, options: dict) -> list[Sample]:
    samples, dataset_offset = [], 0
    for index, fd in enumerate(datasets):
        keys = dict(fd.text)
        n_events, n_channels = fd.event_count, fd.channel_count
        flowio_order = _FLOWIO_BYTE_ORDERS.get(str(keys.get("byteord", "")), "<")
        if fd.events is None or flowio_order != _byte_order(keys):
            # Widths flowio leaves undecoded, or a $BYTEORD it would misread.
            start = dataset_offset + _data_start(fd, options)
            events = _decode(path, raw, start, keys, n_events, n_channels)
        else:
            values = np.asarray(fd.events, dtype=np.float64)
            if values.size < n_events * n_channels:
                raise _truncated(path, n_events, n_channels)
            events = values[: n_events * n_channels].reshape(n_events, n_channels)
        events = _to_instrument_units(events, keys)
        keys = {**_supplemental_text(raw, dataset_offset, keys), **keys}
        samples.append(_build_sample(path, index, events, keys, fd.version))
        dataset_offset += int(_number(keys, "nextdata"))
    return samples


def _supplemental_text(raw: RawFile, offset: int, keys: dict[str, str]) -> dict[str, str]:
    """Keywords of the FCS 3 supplemental TEXT segment, which flowio does not read (some
    instruments keep $SPILLOVER there); nothing when absent or unreadable."""
    start, end = int(_number(keys, "beginstext")), int(_number(keys, "endstext"))
    if not 0 < start < end < len(raw) - offset:
        return {}
    try:
        text = _parse_text(raw[offset + start : offset + end + 1])
    except IndexError:
        return {}
    return {k.lower().lstrip("$"): v for k, v in text.items()}


def _data_start(fd, options: dict) -> int:
    """Where flowio located the DATA segment (relative to its data set)."""
    if fd.version == "2.0" or options.get("use_header_offsets"):
        return fd.header["data_start"]
    return int(_number(fd.text, "begindata", fd.header["data_start"]))


def _byte_order(keys: dict[str, str]) -> str:
    """'<' or '>' from $BYTEORD such as '1,2,3,4', '4,3,2,1' or '8,7,6,5,4,3,2,1'."""
    order = [int(b) for b in re.findall(r"\d+", str(keys.get("byteord", "")))]
    return ">" if len(order) > 1 and order[0] > order[-1] else "<"


def _decode(
    path: Path, raw: RawFile, start: int, keys: dict[str, str], n_events: int, n_channels: int
) -> np.ndarray:
    """The stored values of one data set, for any $DATATYPE (I, F, D, A)."""
    datatype = str(keys.get("datatype", "I")).strip().upper() or "I"
    if datatype == "A":
        return _decode_ascii(path, raw, start, keys, n_events, n_channels)
    if datatype in ("F", "D"):
        dtype = np.dtype(f"{_byte_order(keys)}f{4 if datatype == 'F' else 8}")
        if start + n_events * n_channels * dtype.itemsize > len(raw):
            raise _truncated(path, n_events, n_channels)
        events = np.frombuffer(raw, dtype, n_events * n_channels, start)
        return events.reshape(n_events, n_channels).astype(np.float64)
    return _decode_integers(path, raw, start, keys, n_events, n_channels)


def _integer_widths(keys: dict[str, str], n_channels: int) -> list[int]:
    """Bytes per channel: $PnB bits rounded up to whole bytes (10 bits live in 2 bytes)."""
    return [max(1, (int(_number(keys, f"p{i}b", 16)) + 7) // 8) for i in range(1, n_channels + 1)]


def _decode_integers(
    path: Path, raw: RawFile, start: int, keys: dict[str, str], n_events: int, n_channels: int
) -> np.ndarray:
    """Integers of any byte width per channel (8/16/24/32, mixed), masked to $PnR bits."""
    widths = _integer_widths(keys, n_channels)
    row = sum(widths)
    if start + n_events * row > len(raw):
        raise _truncated(path, n_events, n_channels)
    data = np.frombuffer(raw, np.uint8, n_events * row, start).reshape(n_events, row)
    little = _byte_order(keys) == "<"
    events = np.empty((n_events, n_channels), dtype=np.float64)
    column = 0
    for i, width in enumerate(widths):
        chunk = data[:, column : column + width].astype(np.uint64)
        column += width
        order = range(width) if little else range(width - 1, -1, -1)
        value = np.zeros(n_events, dtype=np.uint64)
        for shift, byte in enumerate(order):
            value |= chunk[:, byte] << np.uint64(8 * shift)
        value_range = _number(keys, f"p{i + 1}r")
        if value_range > 1:  # unused high bits may hold flags: mask like FlowJo does
            bits = min(64, int(np.ceil(np.log2(value_range))))
            value &= np.uint64((1 << bits) - 1)
        events[:, i] = value
    return events


def _decode_ascii(
    path: Path, raw: RawFile, start: int, keys: dict[str, str], n_events: int, n_channels: int
) -> np.ndarray:
    """ASCII data: fixed-width fields of $PnB characters, or separated values ($PnB '*')."""
    end = int(_number(keys, "enddata", len(raw) - 1))
    block = raw[start : end + 1]
    if all(str(keys.get(f"p{i}b", "")).strip() == "*" for i in range(1, n_channels + 1)):
        values = np.array(re.split(rb"[\s,]+", block.strip()), dtype=np.float64)
        if values.size < n_events * n_channels:
            raise _truncated(path, n_events, n_channels)
        return values[: n_events * n_channels].reshape(n_events, n_channels)
    widths = [int(_number(keys, f"p{i}b")) for i in range(1, n_channels + 1)]
    row = sum(widths)
    if row == 0 or n_events * row > len(block):
        raise _truncated(path, n_events, n_channels)
    text = np.frombuffer(block, np.uint8, n_events * row).reshape(n_events, row)
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
    keys = {k.lower().lstrip("$"): str(v) for k, v in keys.items()}
    for i in range(events.shape[1]):
        is_time = keys.get(f"p{i + 1}n", "").strip().lower() == "time"
        if is_time:
            events[:, i] *= _number(keys, "timestep", 1.0) or 1.0
        amplification = keys.get(f"p{i + 1}e", "0,0").split(",") + ["0"]
        decades, floor = _float(amplification[0]), _float(amplification[1])
        value_range = _number(keys, f"p{i + 1}r")
        if decades > 0 and value_range > 0:
            events[:, i] = (floor or 1.0) * 10 ** (decades * events[:, i] / value_range)
        gain = _number(keys, f"p{i + 1}g", 1.0)
        if not is_time and gain not in (0.0, 1.0):  # a gain on time makes no sense
            events[:, i] /= gain
    return events


def _build_sample(
    path: Path, index: int, events: np.ndarray, text: dict[str, str], version: str
) -> Sample:
    keywords = {k.strip().lower().lstrip("$"): str(v) for k, v in text.items()}
    count = events.shape[1]
    names = [keywords.get(f"p{i}n", "").strip() or f"P{i}" for i in range(1, count + 1)]
    channels = _unique_names(names)
    markers = [keywords.get(f"p{i}s", "").strip() or channels[i - 1] for i in range(1, count + 1)]
    return Sample(
        events=np.ascontiguousarray(events, dtype=np.float32),
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
    try:
        n = int(parts[0])
        names, values = parts[1 : n + 1], np.array(parts[n + 1 : n + 1 + n * n], dtype=np.float64)
        matrix = values.reshape(n, n)
    except (ValueError, IndexError):
        return None
    names = [_resolve_channel(name, channels) for name in names]
    if any(name is None for name in names):
        return None
    return pd.DataFrame(matrix, index=names, columns=names)


def _resolve_channel(name: str, channels: list[str]) -> str | None:
    """Spillover headers may use $PnN names or channel numbers."""
    if name in channels:
        return name
    if name.isdigit() and 1 <= int(name) <= len(channels):
        return channels[int(name) - 1]
    return None


# --- tolerant fallback: TEXT is trusted, HEADER data offsets may be blank ---------------


def _read_with_fallback(path: Path, raw: RawFile) -> list[Sample]:
    """Every data set, following $NEXTDATA, read from TEXT keywords alone."""
    samples: list[Sample] = []
    offset, visited = 0, set()
    while offset not in visited and offset + HEADER_SIZE <= len(raw):
        visited.add(offset)
        header = raw[offset : offset + HEADER_SIZE]
        if not header.startswith(b"FCS"):
            break
        version = header[3:6].decode("ascii", "replace")
        text_start, text_end = _offset(header[10:18]), _offset(header[18:26])
        if text_start is None or text_end is None:
            raise FcsReadError(path, "is damaged: a data set has no TEXT segment.")
        text = _parse_text(raw[offset + text_start : offset + text_end + 1])
        keys = {k.lower().lstrip("$"): v for k, v in text.items()}
        n_channels = int(_number(keys, "par"))
        begin = _offset(header[26:34]) or int(_number(keys, "begindata"))
        if n_channels <= 0 or begin == 0:
            raise FcsReadError(path, "gives no location or layout for its DATA segment.")
        n_events = int(_number(keys, "tot", -1))
        if n_events < 0:  # $TOT is optional in FCS 2.0: the DATA size tells
            end = _offset(header[34:42]) or int(_number(keys, "enddata"))
            n_events = (end - begin + 1) // _row_bytes(keys, n_channels)
        events = _decode(path, raw, offset + begin, keys, n_events, n_channels)
        events = _to_instrument_units(events, keys)
        keys = {**_supplemental_text(raw, offset, keys), **keys}
        samples.append(_build_sample(path, len(samples), events, keys, version))
        step = int(_number(keys, "nextdata"))
        if step <= 0:
            break
        offset += step
    if not samples:
        raise FcsReadError(path, "holds no readable data set.")
    return samples


def _row_bytes(keys: dict[str, str], n_channels: int) -> int:
    datatype = str(keys.get("datatype", "I")).strip().upper() or "I"
    if datatype in ("F", "D"):
        return n_channels * (4 if datatype == "F" else 8)
    if datatype == "A":
        return max(1, sum(int(_number(keys, f"p{i}b")) for i in range(1, n_channels + 1)))
    return sum(_integer_widths(keys, n_channels))


def _parse_text(segment: bytes) -> dict[str, str]:
    delimiter = segment[:1].decode("latin-1")
    body = segment[1:].decode("latin-1")
    # A doubled delimiter is an escaped literal delimiter inside a value.
    escaped = re.escape(delimiter)
    tokens = re.split(f"(?<!{escaped}){escaped}(?!{escaped})", body)
    tokens = [t.replace(delimiter * 2, delimiter) for t in tokens]
    return {tokens[i].strip(): tokens[i + 1] for i in range(0, len(tokens) - 1, 2)}
