"""Writing events as FCS 3.1 (through flowio) or CSV, atomically and never over a file
that exists unless asked."""

import os
import re
import tempfile
from array import array
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import flowio
import numpy as np
import pandas as pd

from cytomoe import __version__
from cytomoe.core.errors import InputError, OutputExistsError

# Keywords flowio computes itself, and $TIMESTEP (our time values are already scaled):
# copying them from a source file would corrupt the output.
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
    "timestep",
}
# Per-channel keywords ($PnG, $PnE, ...) describe the source's channel numbering and its
# stored (not instrument-unit) values; ours are written anew.
_CHANNEL_KEYWORD = re.compile(r"^p\d+[a-z]+$")


@contextmanager
def atomic_output(path: str | Path, overwrite: bool = False):
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    A failure leaves neither a partial file nor a changed ``path`` behind.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; choose another name or allow overwriting.")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: the output folder does not exist.")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_fcs(
    path: str | Path,
    frame: pd.DataFrame,
    channels: Sequence[str] | None = None,
    markers: Mapping[str, str] | Sequence[str] | None = None,
    keywords: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``frame``'s columns (or ``channels``) as an FCS 3.1 file of float32 events.

    ``markers`` gives $PnS names (a mapping from $PnN or a list); ``keywords`` are copied
    into TEXT (per-channel ones such as $PnR included), and provenance keywords are added.
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
    values = np.ascontiguousarray(frame[channels].to_numpy(dtype=np.float32), dtype="<f4")
    names = [str(c) for c in channels]  # $PnN is text, whatever the column labels are
    data = array("f")
    data.frombytes(values.tobytes())
    metadata = {
        k: _safe_value(str(v))
        for k, v in (keywords or {}).items()
        if _is_copied(k) and str(v) != "" and _fits_channels(k, str(v), names)
    }
    metadata.update(_ranges(values))
    metadata.update(_provenance(path))
    with atomic_output(path, overwrite) as temporary, open(temporary, "wb") as handle:
        flowio.create_fcs(
            handle, data, names, opt_channel_names=pns if any(pns) else None, metadata_dict=metadata
        )
    return path


# Keywords of a source file worth keeping in files derived from it: its spillover (the
# exported values stay uncompensated), instrument, acquisition date and source.
SOURCE_KEYWORDS = ("spillover", "spill", "cyt", "date", "src")


def source_keywords(keywords: Mapping[str, str]) -> dict[str, str]:
    """The keywords of a source sample that an export of its events carries over."""
    return {k: v for k, v in keywords.items() if k in SOURCE_KEYWORDS}


def write_csv(path: str | Path, frame: pd.DataFrame, overwrite: bool = False) -> Path:
    """Write ``frame`` as CSV with the same atomic, no-overwrite rules as FCS."""
    with atomic_output(path, overwrite) as temporary:
        frame.to_csv(temporary, index=False)
    return Path(path)


def _is_copied(keyword: str) -> bool:
    key = keyword.lower().lstrip("$")
    return key not in _LAYOUT_KEYWORDS and not _CHANNEL_KEYWORD.match(key)


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
    if keyword.lower().lstrip("$") not in ("spill", "spillover"):
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
