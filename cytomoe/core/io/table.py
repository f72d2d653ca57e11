"""Reading CSV/TSV event tables (one row per event, one column per channel)."""

from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.errors import FcsReadError
from cytomoe.core.io.sample import Sample
from cytomoe.core.io.wells import well_in_name


def read_table(path: str | Path) -> Sample:
    """An event table as a `Sample`: numeric columns become channels, text columns
    (such as a label column) go to ``annotations``."""
    path = Path(path)
    separator = {".csv": ",", ".tsv": "\t", ".tab": "\t"}.get(path.suffix.lower())
    try:
        frame = pd.read_csv(path, sep=separator, engine="python" if separator is None else "c")
        if separator is None and frame.shape[1] == 1:
            raise pd.errors.ParserError("no column separator found")
    except FileNotFoundError:
        raise FcsReadError(path, "does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FcsReadError(path, f"cannot be read as a table ({error}).") from None
    except pd.errors.EmptyDataError:
        raise FcsReadError(path, "is empty.") from None
    except pd.errors.ParserError as error:
        raise FcsReadError(path, f"is not a regular table ({str(error).strip()}).") from None
    if frame.empty:
        raise FcsReadError(path, "holds no events.")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.columns[0] == "" or frame.columns[0].startswith("Unnamed: 0"):
        frame = frame.iloc[:, 1:]  # row names, as R's write.csv puts them first
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    text = [c for c in frame.columns if c not in numeric]
    if not numeric:
        raise FcsReadError(path, "has no numeric columns to use as channels.")
    return Sample(
        events=frame[numeric].to_numpy(dtype=np.float32),
        channels=numeric,
        markers=list(numeric),
        path=path,
        keywords={"fil": path.name},
        well=well_in_name(path.name),
        fcs_version="table",
        annotations=frame[text].reset_index(drop=True) if text else None,
    )
