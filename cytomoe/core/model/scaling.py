"""``CytometryScaler``: events in instrument units → the model's input in [0, 1] and back.

arcsinh with a cofactor per marker (METHOD.md 1.3; None leaves a marker linear), then a
robust [0, 1] scale from the 0.5th/99.5th percentiles of the cells it was fitted on, clipped
(METHOD.md 1.5). It belongs to the model, so new data is mapped as the training data was.
"""

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from cytomoe.core.errors import InputError
from cytomoe.core.preprocessing.transform import arcsinh, inverse_arcsinh

SCALER_PERCENTILES = (0.5, 99.5)

Cofactors = Mapping[str, float | None] | float | None


def as_frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """``X`` as a table; an array's columns are named "0", "1", ... by position."""
    if isinstance(X, pd.DataFrame):
        return X
    values = np.asarray(X)
    if values.ndim != 2:
        raise InputError(f"The events must be a table of cells × markers, not {values.ndim}-D.")
    return pd.DataFrame(values, columns=[str(i) for i in range(values.shape[1])])


class CytometryScaler(TransformerMixin, BaseEstimator):
    """arcsinh per marker, then robust [0, 1] (module docstring).

    markers: the columns ($PnN) to use, in order; None: every column of the data.
    cofactors: one arcsinh cofactor for all markers, one per marker (a marker left out, or
    None, stays linear), or None for no arcsinh at all.
    """

    def __init__(
        self,
        markers: Sequence[str] | None = None,
        cofactors: Cofactors = None,
        percentiles: tuple[float, float] = SCALER_PERCENTILES,
    ):
        self.markers = markers
        self.cofactors = cofactors
        self.percentiles = percentiles

    def fit(self, X: pd.DataFrame | np.ndarray, y: None = None) -> "CytometryScaler":
        frame = as_frame(X)
        markers = list(frame.columns if self.markers is None else self.markers)
        missing = [m for m in markers if m not in frame.columns]
        if missing:
            raise InputError(f"Unknown marker channel(s): {', '.join(map(str, missing))}.")
        if not markers:
            raise InputError("No marker channels were selected for clustering.")
        self.markers_ = markers
        self.cofactors_ = cofactor_per_marker(self.cofactors, markers)
        transformed = arcsinh(self._values(frame), markers, self.cofactors_)
        low, high = np.percentile(transformed, self.percentiles, axis=0)
        self.low_ = low.astype(np.float32)
        self.span_ = np.where(high > low, high - low, 1.0).astype(np.float32)
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The markers of ``X`` in [0, 1], float32, one row per event."""
        frame = as_frame(X)
        missing = [m for m in self.markers_ if m not in frame.columns]
        if missing:
            raise InputError(
                f"The data lacks the model's marker channel(s): {', '.join(map(str, missing))}."
            )
        transformed = arcsinh(self._values(frame), self.markers_, self.cofactors_)
        return np.clip((transformed - self.low_) / self.span_, 0.0, 1.0).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Instrument units of scaled values (exact inside the percentile range)."""
        transformed = np.asarray(X) * self.span_ + self.low_
        return inverse_arcsinh(transformed, self.markers_, self.cofactors_)

    @classmethod
    def fitted(
        cls, markers: list[str], cofactors: Cofactors, low: np.ndarray, span: np.ndarray
    ) -> "CytometryScaler":
        """A scaler as ``fit`` left it, from what a model file keeps."""
        scaler = cls(markers, cofactors)
        scaler.markers_ = list(markers)
        scaler.cofactors_ = cofactor_per_marker(cofactors, scaler.markers_)
        scaler.low_, scaler.span_ = low, span
        return scaler

    def _values(self, frame: pd.DataFrame) -> np.ndarray:
        try:
            return frame[self.markers_].to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(
                "The marker columns must hold numbers; choose the markers to cluster on."
            ) from None


def cofactor_per_marker(cofactors: Cofactors, markers: list[str]) -> dict[str, float | None]:
    """Each marker's cofactor (None: linear), refusing anything but positive numbers."""
    if cofactors is None or isinstance(cofactors, numbers.Real):
        values = {m: cofactors for m in markers}
    elif isinstance(cofactors, Mapping):
        values = {m: cofactors.get(m) for m in markers}
    else:
        raise InputError(f"The cofactors must be a number or one per marker, not {cofactors!r}.")
    for marker, value in values.items():
        if value is not None and not (
            isinstance(value, numbers.Real) and math.isfinite(value) and value > 0
        ):
            raise InputError(f"The cofactor of {marker} must be a positive number, not {value}.")
    return {m: None if v is None else float(v) for m, v in values.items()}
