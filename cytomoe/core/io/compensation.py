"""Compensation of fluorescence spillover with a file's $SPILLOVER matrix (FlowKit's
``flowutils``, the same code FlowKit's ``Matrix`` applies)."""

import numpy as np
import pandas as pd
from flowutils.compensate import compensate as flowutils_compensate


def compensate(events: np.ndarray, channels: list[str], spillover: pd.DataFrame) -> np.ndarray:
    """Compensated copy of ``events``: observed = true @ spillover, so true = observed @ S⁻¹.

    Only the spillover's channels change; the others (scatter, time) are kept as they are.
    """
    names = [c for c in spillover.index if c in channels]
    if not names:
        return events.copy()
    matrix = spillover.loc[names, names].to_numpy(dtype=np.float64)
    columns = [channels.index(c) for c in names]
    out = flowutils_compensate(events.astype(np.float64), matrix, columns)
    return out.astype(np.float32)
