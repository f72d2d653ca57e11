"""Writing events as FCS 3.1 (through flowio) or CSV, atomically and never over a file
that exists unless asked."""

import re
from array import array
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import flowio
import numpy as np
import pandas as pd

from cytomoe import __version__
from cytomoe.core.errors import InputError
from cytomoe.core.io.outputs import atomic_output

# Keywords flowio computes itself: copying them from a source file would corrupt the output.
_LAYOUT_KEYWORDS = {
    "beginanalysis",
    "endanalysis",
    "begindata",
    "enddata",
    "beginstext",
    "endstext",
    "nextdata",
    "byteord",
    "datatype",
    "mode",
    "par",
    "tot",
    "timestep",  # written anew when the export has the time channel
}
# Per-channel keywords ($PnG, $PnE, ...) follow the source's channel numbering; the ones
# below are renumbered onto the export's channels, the others are written anew.
_CHANNEL_KEYWORD = re.compile(r"^p(\d+)([a-z]+)$")
_KEPT_CHANNEL_KEYWORDS = ("g", "display", "v")  # gain, display scale, detector voltage


def write_fcs(
    path: str | Path,
    frame: pd.DataFrame,
    channels: Sequence[str] | None = None,
    markers: Mapping[str, str] | Sequence[str] | None = None,
    keywords: Mapping[str, str] | None = None,
    overwrite: bool = False,
    record: bool = False,
    linear_ranges: Mapping[str, float] | None = None,
) -> Path:
    """Write ``frame``'s columns (or ``channels``) as an FCS 3.1 file of float32 events.

    ``markers`` gives $PnS names (a mapping from $PnN or a list). ``keywords`` are the
    source's: general ones are copied into TEXT; a channel the source has too keeps its
    $PnG, $PnDISPLAY and $PnV, and time its $TIMESTEP, with values stored so that a reader
    that multiplies time by $TIMESTEP and divides by $PnG gets ``frame`` back.
    ``linear_ranges`` gives channels of cytomoe's own (cluster, sample...) their $PnR and a
    linear display. Provenance keywords are added. ``overwrite`` and ``record`` are those
    of :func:`~cytomoe.core.io.outputs.atomic_output`.
    """
    path = Path(path)
    channels = list(frame.columns if channels is None else channels)
    missing = [c for c in channels if c not in frame.columns]
    if missing:
        raise InputError(f"Cannot export {path.name}: no column(s) {', '.join(map(str, missing))}.")
    if isinstance(markers, Mapping):
        pns = [markers.get(c, "") for c in channels]
    else:
        pns = list(markers) if markers is not None else ["" for _ in channels]
    pns = [_safe_value(m) if m and m != c else "" for m, c in zip(pns, channels, strict=True)]
    names = [str(c) for c in channels]  # $PnN is text, whatever the column labels are
    source = {str(k).lower().lstrip("$"): str(v) for k, v in (keywords or {}).items()}
    values = frame[channels].to_numpy(dtype=np.float64, copy=True)
    metadata = {
        k: _safe_value(v)
        for k, v in source.items()
        if _is_copied(k) and v != "" and _fits_channels(k, v, names)
    }
    metadata.update(_channel_keywords(source, names, values))  # scales values first
    metadata.update(_ranges(values))
    for name, top in (linear_ranges or {}).items():
        if name in names:
            i = names.index(name) + 1
            metadata[f"P{i}R"], metadata[f"P{i}DISPLAY"] = str(max(1, int(np.ceil(top)))), "LIN"
    metadata.update(_provenance(path))
    data = array("f")
    data.frombytes(np.ascontiguousarray(values, dtype="<f4").tobytes())
    with atomic_output(path, overwrite, record) as temporary, open(temporary, "wb") as handle:
        flowio.create_fcs(
            handle,
            data,
            [_safe_value(n) for n in names],
            opt_channel_names=pns if any(pns) else None,
            metadata_dict=metadata,
        )
    return path


def _channel_keywords(source: dict[str, str], names: list[str], values: np.ndarray) -> dict:
    """The source's gain, display and voltage of each exported channel, and $TIMESTEP;
    ``values`` are scaled in place to what those keywords mean (see :func:`write_fcs`)."""
    by_name: dict[str, dict[str, str]] = {}
    numbers: dict[str, str] = {}
    for key, value in source.items():
        match = _CHANNEL_KEYWORD.match(key)
        if match and match.group(2) == "n":
            numbers.setdefault(value.strip(), match.group(1))
    for name, number in numbers.items():
        by_name[name] = {
            suffix: source[f"p{number}{suffix}"]
            for suffix in _KEPT_CHANNEL_KEYWORDS
            if source.get(f"p{number}{suffix}", "").strip()
        }
    metadata: dict[str, str] = {}
    timestep = _number(source.get("timestep"))
    for i, name in enumerate(names):
        kept = by_name.get(name.strip(), {})
        is_time = name.strip().lower() == "time"
        gain = _number(kept.get("g"))
        if is_time and timestep:
            values[:, i] /= timestep
            metadata["$TIMESTEP"] = source["timestep"].strip()
        elif not is_time and gain:
            values[:, i] *= gain
        metadata.update({f"P{i + 1}{suffix.upper()}": v.strip() for suffix, v in kept.items()})
    return metadata


def _number(text: str | None) -> float | None:
    """A positive number from a keyword value, or None."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if np.isfinite(value) and value > 0 else None


# Keywords of a source file worth keeping in files derived from it: its spillover (the
# exported values stay uncompensated), instrument, acquisition date and source.
SOURCE_KEYWORDS = ("spillover", "spill", "cyt", "date", "src")


def source_keywords(keywords: Mapping[str, str]) -> dict[str, str]:
    """The keywords of a source sample that an export of its events carries over: those
    above, $TIMESTEP and the per-channel ones (:func:`write_fcs` keeps the gain, display
    and voltage of each channel it writes)."""
    return {
        k: v
        for k, v in keywords.items()
        if k in SOURCE_KEYWORDS or k == "timestep" or _CHANNEL_KEYWORD.match(k)
    }


# The name a user gave the cluster a file holds; a file of several clusters lists them all.
CLUSTER_NAME_KEYWORD, CLUSTER_NAMES_KEYWORD = "CYTOMOE_CLUSTER_NAME", "CYTOMOE_CLUSTER_NAMES"


def cluster_file_stem(cluster: int, name: str = "") -> str:
    """``cluster_03``, or ``cluster_03_CD4+_T_cells`` for a named cluster: the name kept
    readable, with only characters that every file system accepts."""
    safe = re.sub(r"[^A-Za-z0-9+_.-]+", "_", name).strip("_.")
    return f"cluster_{cluster:02d}" + (f"_{safe}" if safe else "")


def cluster_name_keywords(names: Mapping[int, str], clusters: Sequence[int]) -> dict[str, str]:
    """The keywords naming the clusters of a file: the one cluster's name, or for several
    ``0=CD4+ T cells; 3=B cells``; none for unnamed clusters."""
    named = [c for c in clusters if names.get(c)]
    if len(clusters) == 1:
        return {CLUSTER_NAME_KEYWORD: names[clusters[0]]} if named else {}
    if not named:
        return {}
    return {CLUSTER_NAMES_KEYWORD: "; ".join(f"{c}={names[c]}" for c in named)}


def write_csv(
    path: str | Path, frame: pd.DataFrame, overwrite: bool = False, record: bool = False
) -> Path:
    """Write ``frame`` as CSV with the same atomic, no-overwrite rules as FCS."""
    with atomic_output(path, overwrite, record) as temporary:
        frame.to_csv(temporary, index=False)
    return Path(path)


def _is_copied(keyword: str) -> bool:
    return keyword not in _LAYOUT_KEYWORDS and not _CHANNEL_KEYWORD.match(keyword)


def _safe_value(value: str) -> str:
    """flowio writes TEXT with '/' as delimiter and doubles a '/' inside a value; a value that
    starts or ends with '/' would then run into its delimiters and shift every later keyword,
    so such a value gets a space at that end (a path like '/data/run1/' stays readable)."""
    if value.startswith("/"):
        value = " " + value
    if value.endswith("/"):
        value = value + " "
    return value


def _fits_channels(keyword: str, value: str, channels: Sequence[str]) -> bool:
    """A spillover matrix is copied only when the export still has all of its channels."""
    if keyword not in ("spill", "spillover"):
        return True
    parts = [p.strip() for p in value.split(",")]
    if not parts[0].isdigit():
        return False
    return set(parts[1 : int(parts[0]) + 1]) <= set(channels)


def _ranges(values: np.ndarray) -> dict[str, str]:
    """$PnR: FlowJo's usual 262144, or the next power of two above the largest value."""
    finite = np.where(np.isfinite(values), np.abs(values), 0.0)
    top = finite.max(axis=0, initial=0.0) if values.size else []
    return {
        f"P{i + 1}R": str(max(262144, 1 << int(np.ceil(np.log2(max(v, 1.0)) + 1e-9))))
        for i, v in enumerate(top)
    }


def _provenance(path: Path) -> dict[str, str]:
    return {
        "$FIL": path.name,
        "CYTOMOE_VERSION": __version__,
        "CYTOMOE_EXPORTED": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
