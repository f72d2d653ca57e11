"""Transforms of event values: arcsinh with a cofactor per channel, and its inverse."""

from collections.abc import Callable, Mapping, Sequence

import numpy as np

MASS_CYTOMETRY_COFACTOR = 5.0
FLUORESCENCE_COFACTOR = 150.0


def _cofactor_row(channels: Sequence[str], cofactors: Mapping[str, float | None] | float | None):
    """Cofactor per column; NaN marks a channel left untransformed."""
    if cofactors is None or isinstance(cofactors, int | float):
        value = np.nan if cofactors is None else float(cofactors)
        return np.full(len(channels), value, dtype=np.float64)
    return np.array([np.nan if cofactors.get(c) is None else float(cofactors[c]) for c in channels])


def _per_channel(
    values: np.ndarray,
    channels: Sequence[str],
    cofactors: Mapping[str, float | None] | float | None,
    function: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """``function(values, cofactor row)`` on the channels with a cofactor; the others pass
    through unchanged."""
    values = np.asarray(values, dtype=np.float64)
    row = _cofactor_row(channels, cofactors)
    keep = np.isnan(row)
    out = function(values, np.where(keep, 1.0, row))
    out[:, keep] = values[:, keep]
    return out.astype(np.float32)


def arcsinh(
    values: np.ndarray,
    channels: Sequence[str],
    cofactors: Mapping[str, float | None] | float | None,
) -> np.ndarray:
    """``asinh(x / cofactor)`` column by column; channels without a cofactor pass through."""
    return _per_channel(values, channels, cofactors, lambda x, c: np.arcsinh(x / c))


def inverse_arcsinh(
    values: np.ndarray,
    channels: Sequence[str],
    cofactors: Mapping[str, float | None] | float | None,
) -> np.ndarray:
    """``sinh(y) * cofactor``, the inverse of :func:`arcsinh`."""
    return _per_channel(values, channels, cofactors, lambda y, c: np.sinh(y) * c)
