"""Reading FCS 2.0/3.0/3.1 and list-mode (.LMD) files into `Sample`s.

flowio does the parsing. Real files are often non-conformant, so we read them as FlowJo
and cytoflow do: offset errors and HEADER/TEXT disagreements are tolerated (flowio picks
the consistent location), and the few files flowio refuses outright (blank HEADER data
offsets, a missing $DATATYPE) go through a small fallback reader that trusts TEXT.
A file that is truly broken raises `FcsReadError` naming the file and the problem.
"""

import re
import warnings
from pathlib import Path

import flowio
import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError
from cytomoe.core.sample import Sample
from cytomoe.core.wells import well_from_keywords

HEADER_SIZE = 58


def read_fcs(path: str | Path) -> list[Sample]:
    """Every data set of an FCS or LMD file as a `Sample` (events in instrument units)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FcsReadError(path, f"cannot be opened ({error.strerror or error}).") from None
    _check_header(path, raw)
    first_error: Exception | None = None
    for options in _FLOWIO_ATTEMPTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                datasets = flowio.read_multiple_data_sets(str(path), **options)
            return _samples_from_datasets(path, raw, datasets)
        except Exception as error:  # flowio refuses: try the next, more tolerant, reading
            first_error = first_error or error
    try:
        return [_read_with_fallback(path, raw)]
    except FcsReadError:
        raise
    except Exception:
        raise FcsReadError(path, _describe(first_error)) from None


# From strict to tolerant: HEADER/TEXT disagreements are resolved by flowio towards the
# location that fits the declared event count; off-by-one ends are ignored.
_FLOWIO_ATTEMPTS = (
    {"ignore_offset_error": True},
    {"ignore_offset_error": True, "ignore_offset_discrepancy": True},
    {"ignore_offset_error": True, "ignore_offset_discrepancy": True, "use_header_offsets": True},
)


def _check_header(path: Path, raw: bytes) -> None:
    if len(raw) < HEADER_SIZE or not raw.startswith(b"FCS"):
        raise FcsReadError(path, "is not an FCS file (no FCS header).")
    text_start, text_end = _offset(raw[10:18]), _offset(raw[18:26])
    if text_start is None or text_end is None or text_end >= len(raw):
        raise FcsReadError(path, "is truncated or damaged: its TEXT segment is missing.")


def _describe(error: Exception) -> str:
    message = str(error)
    if "greater than file size" in message or "buffer" in message:
        return "is truncated: the file ends before its declared DATA segment."
    return f"cannot be read as FCS ({type(error).__name__}: {message[:120]})."


def _offset(field: bytes) -> int | None:
    text = field.strip()
    return int(text) if text.isdigit() else None


def _unique_names(names: list[str]) -> list[str]:
    """Duplicate channel names get a suffix, so every column can be addressed."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def _samples_from_datasets(path: Path, raw: bytes, datasets: list) -> list[Sample]:
    samples, dataset_offset = [], 0
    for index, fd in enumerate(datasets):
        if fd.events is None:  # integer widths flowio leaves undecoded (10, 24 bits, ...)
            start = dataset_offset + fd.header["data_start"]
            events = _decode_integers(path, raw, start, fd.text, fd.event_count,
                                      fd.channel_count)
            events = _apply_amplification(events, fd.text)
        else:
            try:
                events = fd.as_array(preprocess=True)
            except ValueError:  # unusable gain/log/timestep keywords: keep the stored values
                events = fd.as_array(preprocess=False)
        events = np.asarray(events, dtype=np.float32).reshape(fd.event_count, fd.channel_count)
        samples.append(_build_sample(path, index, events, dict(fd.text), fd.version))
        dataset_offset += int(str(fd.text.get("nextdata", "0")).strip() or 0)
    return samples


def _decode_integers(path: Path, raw: bytes, start: int, keys: dict[str, str], n_events: int,
                     n_channels: int) -> np.ndarray:
    """Integers of any byte width per channel (8/16/24/32, mixed), masked to $PnR bits."""
    bits = [int(str(keys.get(f"p{i}b", "0")).strip() or 0) for i in range(1, n_channels + 1)]
    widths = [max(1, (b + 7) // 8) for b in bits]  # 10-bit values live in 2-byte words
    row = sum(widths)
    if start + n_events * row > len(raw):
        raise FcsReadError(path, "is truncated: the file ends before its events do.")
    data = np.frombuffer(raw, np.uint8, n_events * row, start).reshape(n_events, row)
    little = str(keys.get("byteord", "1,2,3,4")).strip().startswith("1")
    events = np.empty((n_events, n_channels), dtype=np.float64)
    column = 0
    for i, width in enumerate(widths):
        chunk = data[:, column:column + width].astype(np.uint64)
        column += width
        order = range(width) if little else range(width - 1, -1, -1)
        value = np.zeros(n_events, dtype=np.uint64)
        for shift, byte in enumerate(order):
            value |= chunk[:, byte] << np.uint64(8 * shift)
        value_range = float(str(keys.get(f"p{i + 1}r", "0")).strip() or 0)
        if value_range > 0:  # unused high bits may hold flags: mask like FlowJo does
            value &= np.uint64((1 << int(np.ceil(np.log2(value_range)))) - 1)
        events[:, i] = value
    return events


def _build_sample(path: Path, index: int, events: np.ndarray, text: dict[str, str],
                  version: str) -> Sample:
    keywords = {k.lower().lstrip("$"): str(v) for k, v in text.items()}
    count = events.shape[1]
    names = [keywords.get(f"p{i}n", "").strip() or f"P{i}" for i in range(1, count + 1)]
    channels = _unique_names(names)
    markers = [keywords.get(f"p{i}s", "").strip() or channels[i - 1]
               for i in range(1, count + 1)]
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
        names, values = parts[1:n + 1], np.array(parts[n + 1:n + 1 + n * n], dtype=np.float64)
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

def _read_with_fallback(path: Path, raw: bytes) -> Sample:
    version = raw[3:6].decode("ascii", "replace")
    text_start, text_end = _offset(raw[10:18]), _offset(raw[18:26])
    text = _parse_text(raw[text_start:text_end + 1])
    keys = {k.lower().lstrip("$"): v for k, v in text.items()}
    n_channels, n_events = int(keys["par"]), int(keys["tot"])
    begin = _offset(raw[26:34]) or int(keys.get("begindata", "0").strip() or 0)
    if begin == 0:
        raise FcsReadError(path, "gives no location for its DATA segment.")
    datatype = keys.get("datatype", "I").strip().upper() or "I"
    order = ">" if keys.get("byteord", "1,2,3,4").strip().startswith(("4", "2,1")) else "<"
    if datatype in ("F", "D"):
        dtype = np.dtype(f"{order}f{4 if datatype == 'F' else 8}")
        if begin + n_events * n_channels * dtype.itemsize > len(raw):
            raise FcsReadError(path, "is truncated: the file ends before its events do.")
        events = np.frombuffer(raw, dtype, n_events * n_channels, begin)
        events = events.reshape(n_events, n_channels).astype(np.float64)
    else:
        events = _decode_integers(path, raw, begin, keys, n_events, n_channels)
        events = _apply_amplification(events, keys)
    return _build_sample(path, 0, events, text, version)


def _parse_text(segment: bytes) -> dict[str, str]:
    delimiter = segment[:1].decode("latin-1")
    body = segment[1:].decode("latin-1")
    # A doubled delimiter is an escaped literal delimiter inside a value.
    escaped = re.escape(delimiter)
    tokens = re.split(f"(?<!{escaped}){escaped}(?!{escaped})", body)
    tokens = [t.replace(delimiter * 2, delimiter) for t in tokens]
    return {tokens[i].strip(): tokens[i + 1] for i in range(0, len(tokens) - 1, 2)}


def _apply_amplification(events: np.ndarray, keys: dict[str, str]) -> np.ndarray:
    """Integer channels: decode log amplification ($PnE) and gain ($PnG), as flowio does."""
    keys = {k.lower().lstrip("$"): str(v) for k, v in keys.items()}
    for i in range(events.shape[1]):
        decades, offset = (float(v) for v in keys.get(f"p{i + 1}e", "0,0").split(",")[:2])
        value_range = float(keys.get(f"p{i + 1}r", "0") or 0)
        if decades > 0 and value_range > 0:
            offset = offset or 1.0
            events[:, i] = offset * 10 ** (decades * events[:, i] / value_range)
        elif keys.get(f"p{i + 1}n", "").lower() != "time":
            gain = float(keys.get(f"p{i + 1}g", "1") or 1)
            if gain not in (0.0, 1.0):
                events[:, i] /= gain
    return events
