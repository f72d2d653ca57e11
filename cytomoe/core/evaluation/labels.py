"""Manual labels (truth for the F-measure) from a column of the events or from a file."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cytomoe.core.errors import InputError
from cytomoe.core.io.table import refuse_compressed

UNLABELED_DEFAULTS = ("", "nan", "none", "unlabeled", "unlabelled", "unknown", "unassigned")


def clean_labels(values: Iterable, unlabeled: Iterable[str] = ()) -> pd.Series:
    """Labels as strings, with unlabelled events (NaN, empty, 'Unlabeled', 'Unknown',
    'unassigned', and any value in ``unlabeled``) set to None. Whole numbers read as
    floats (1.0) become '1', so a label column and a label file agree."""
    series = pd.Series(
        list(values) if not isinstance(values, pd.Series) else values, dtype=object
    ).reset_index(drop=True)
    missing = {v.strip().lower() for v in UNLABELED_DEFAULTS} | {
        str(v).strip().lower() for v in unlabeled
    }

    def normalise(value: object) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        text = str(value).strip()
        return None if text.lower() in missing else text

    return series.map(normalise)


def labels_from_column(
    events: pd.DataFrame, column: str, unlabeled: Iterable[str] = ()
) -> pd.Series:
    if column not in events.columns:
        available = ", ".join(
            str(c) for c in events.columns if c not in ("well", "sample", "event")
        )
        raise InputError(f"There is no label column '{column}'. Columns: {available}.")
    return clean_labels(events[column], unlabeled)


def labels_from_file(path: str | Path, n_events: int, unlabeled: Iterable[str] = ()) -> pd.Series:
    """One label per line (a CSV's first column; no header expected). A compressed file is
    refused: pandas would inflate it without a bound."""
    path = Path(path)
    try:
        refuse_compressed(path, "label file")
        table = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            compression=None,
        )
    except FileNotFoundError:
        raise InputError(f"{path}: the label file does not exist.") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path.name}: cannot read the labels ({error}).") from None
    if len(table) == n_events + 1:  # a header line
        table = table.iloc[1:]
    if len(table) != n_events:
        raise InputError(f"{path.name} has {len(table)} labels but the data has {n_events} events.")
    return clean_labels(table.iloc[:, 0], unlabeled)
