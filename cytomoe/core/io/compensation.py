"""Compensation of fluorescence spillover with a file's $SPILLOVER matrix."""

import numpy as np
import pandas as pd


def compensate(events: np.ndarray, channels: list[str], spillover: pd.DataFrame) -> np.ndarray:
    """Compensated copy of ``events``: observed = true @ spillover, so true = observed @ S⁻¹.

    Only the spillover's channels change; the others (scatter, time) are kept as they are.
    """
    names = [c for c in spillover.index if c in channels]
    if not names:
        return events.copy()
    matrix = spillover.loc[names, names].to_numpy(dtype=np.float64)
    columns = [channels.index(c) for c in names]
    out = events.astype(np.float64, copy=True)
    out[:, columns] = np.linalg.solve(matrix.T, out[:, columns].T).T
    return out.astype(np.float32)
