"""How a channel is drawn on a plot axis: linear, arcsinh with its cofactor, or logicle
(biexponential, FlowKit's transform), and where the decades 0, 10², 10³, ... fall on it.

Plots draw transformed values but a cytometrist reads instrument values, so an axis is
ticked at round instrument values (0, ±10^k, minor ticks at 2..9 × 10^k) placed where the
transform puts them.
"""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import flowkit as fk

LINEAR, ARCSINH, LOGICLE = "linear", "arcsinh", "logicle"

# Logicle as FlowJo sets it up for a channel: the decades down from the top (4.5 for an
# 18-bit range, 262,144: the log part ends near 10), the width of the linear zone around
# zero from how far the data go below zero.
LOGICLE_DECADES = 4.5
LOGICLE_LOG_FLOOR = 0.9  # log10 of where the logarithmic part of the axis ends
LOGICLE_DEFAULT_WIDTH = 0.5
WIDTH_SAMPLE = 100_000  # events the width of the linear zone is read from
# A decade's label is left out (its tick kept) when it would sit closer than this share of
# the axis to the label before it: arcsinh squeezes the decades below the cofactor.
MIN_LABEL_GAP = 0.06
_TABLE_COFACTOR, _TABLE_SIZE = 10.0, 1 << 15
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True)
class DisplayScale:
    """``kind`` is linear, arcsinh (``cofactor``) or logicle (``top`` the largest value,
    ``width`` the decades of the linear zone)."""

    kind: str = LINEAR
    cofactor: float | None = None
    top: float = 262_144.0
    width: float = LOGICLE_DEFAULT_WIDTH
    decades: float = LOGICLE_DECADES

    def forward(self, values: np.ndarray) -> np.ndarray:
        """Instrument values to plot coordinates (float32 stays float32: twice as fast
        for a million events, and precise enough to draw)."""
        values = np.asarray(values)
        if values.dtype != np.float32:
            values = values.astype(np.float64)
        if self.kind == ARCSINH:
            return np.arcsinh(values / values.dtype.type(self.cofactor))
        if self.kind == LOGICLE:
            return self._fast_logicle(values)
        return values

    def _fast_logicle(self, values: np.ndarray) -> np.ndarray:
        """Logicle through a table: FlowKit's exact transform solves an equation per value
        (a quarter of a second for a million events), the table is read by arithmetic on
        arcsinh of the values, where logicle is smooth (error below 1e-6 of the axis)."""
        grid_u, grid_y = self._logicle_table()
        u = np.arcsinh(values / _TABLE_COFACTOR)
        step = grid_u[1] - grid_u[0]
        position = np.clip((u - grid_u[0]) / step, 0, len(grid_u) - 1.000001)
        index = position.astype(np.int64)
        fraction = position - index
        return grid_y[index] + fraction * (grid_y[index + 1] - grid_y[index])

    def _logicle_table(self) -> tuple[np.ndarray, np.ndarray]:
        edge = np.arcsinh(2 * self.top / _TABLE_COFACTOR)
        grid_u = np.linspace(-edge, edge, _TABLE_SIZE)
        grid_x = np.sinh(grid_u) * _TABLE_COFACTOR
        grid_y = self._logicle().apply(grid_x.reshape(-1, 1)).ravel()
        return grid_u, grid_y

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Plot coordinates to instrument values."""
        values = np.asarray(values, dtype=np.float64)
        if self.kind == ARCSINH:
            return np.sinh(values) * self.cofactor
        if self.kind == LOGICLE:
            return self._logicle().inverse(values.reshape(-1, 1)).reshape(values.shape)
        return values

    def _logicle(self) -> "fk.transforms.LogicleTransform":
        import flowkit as fk  # imported here: a second of start-up that `run` never needs

        return fk.transforms.LogicleTransform(
            param_t=self.top, param_w=self.width, param_m=self.decades, param_a=0.0
        )

    def describe(self) -> str:
        """The scale in words, e.g. 'arcsinh(x/150)' or 'logicle (W 0.6)'."""
        if self.kind == ARCSINH:
            return f"arcsinh(x/{self.cofactor:g})"
        if self.kind == LOGICLE:
            return f"logicle (T {self.top:,.0f}, W {self.width:.2f}, M {self.decades:.1f})"
        return "linear"


def scale_for(kind: str, cofactor: float | None, values: np.ndarray | None = None) -> DisplayScale:
    """The scale of a channel: linear without a cofactor (scatter, time, data already
    transformed), else arcsinh or logicle as chosen. Logicle's top and width come from
    the values, as FlowJo's automatic biexponential does."""
    if cofactor is None:
        return DisplayScale()
    if kind != LOGICLE:
        return DisplayScale(ARCSINH, cofactor)
    if values is None or not len(values):
        return DisplayScale(LOGICLE)
    finite = values[np.isfinite(values)]
    top = float(max(np.max(finite, initial=0.0), 1_000.0))
    decades = float(np.clip(math.log10(top) - LOGICLE_LOG_FLOOR, 2.0, LOGICLE_DECADES))
    sample = finite[:: max(1, finite.size // WIDTH_SAMPLE)]  # percentiles of 1M values are slow
    negatives = sample[sample < 0]
    width = LOGICLE_DEFAULT_WIDTH
    if negatives.size:  # FlowJo: W = (M - log10(T / |r|)) / 2, r the 5th percentile of them
        low = float(np.percentile(negatives, 5))
        width = (decades - math.log10(top / abs(low))) / 2
    width = float(np.clip(width, 0.0, decades / 2))
    return DisplayScale(LOGICLE, top=top, width=width, decades=decades)


def decade_label(value: float) -> str:
    """0, 10, 10², 10³, ... and their negatives."""
    if value == 0:
        return "0"
    exponent = round(math.log10(abs(value)))
    text = "10" if exponent == 1 else f"10{str(exponent).translate(SUPERSCRIPT)}"
    return f"-{text}" if value < 0 else text


@dataclass(frozen=True)
class AxisTicks:
    major: list[tuple[float, str]]  # (plot coordinate, label); a blank label is a bare tick
    minor: list[float]


def decade_ticks(scale: DisplayScale, low: float, high: float) -> AxisTicks:
    """Ticks at 0 and ±10^k between plot coordinates ``low`` and ``high``, labelled where
    there is room, minor ticks at 2..9 × 10^k."""
    if high <= low:
        return AxisTicks([], [])
    lowest, highest = (float(v) for v in scale.inverse(np.array([low, high])))
    largest = max(abs(lowest), abs(highest), 1.0)
    exponents = range(0, math.ceil(math.log10(largest)) + 1)
    values = [0.0] + [s * 10.0**k for k in exponents for s in (1, -1)]
    majors = sorted(v for v in values if lowest <= v <= highest)
    positions = [float(p) for p in scale.forward(np.array(majors))] if majors else []
    # Zero first, then from the largest decade down, so the decades arcsinh squeezes
    # together near zero give way to the others.
    order = sorted(range(len(majors)), key=lambda i: (majors[i] != 0, -abs(majors[i])))
    gap = MIN_LABEL_GAP * (high - low)
    kept: list[int] = []
    for index in order:
        if all(abs(positions[index] - positions[j]) >= gap for j in kept):
            kept.append(index)
    # 1 (10⁰) is a tick only: it is no round number to a cytometrist, and sits on zero.
    labelled = [
        (position, decade_label(value) if index in kept and abs(value) != 1 else "")
        for index, (value, position) in enumerate(zip(majors, positions, strict=True))
    ]
    minors = [sign * m * 10.0**k for k in exponents for m in range(2, 10) for sign in (1, -1)]
    minors = [v for v in minors if lowest <= v <= highest]
    minor_positions = scale.forward(np.array(minors)).tolist() if minors else []
    return AxisTicks(labelled, [float(p) for p in minor_positions])
