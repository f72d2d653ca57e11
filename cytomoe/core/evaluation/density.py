"""2-D event densities and contours for gating-style plots (no Qt: the GUI only draws)."""

from dataclasses import dataclass

import contourpy
import numpy as np
from scipy.ndimage import gaussian_filter

DEFAULT_BINS = 256
RANGE_SAMPLE = 100_000  # events an axis range is read from


@dataclass
class DensityImage:
    counts: np.ndarray  # (bins_x, bins_y) events per bin
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def log_counts(self) -> np.ndarray:
        """log1p of the counts, NaN where a bin is empty (drawn transparent)."""
        image = np.log1p(self.counts.astype(np.float32))
        image[self.counts == 0] = np.nan
        return image


def plot_range(
    values: np.ndarray, low: float = 0.1, high: float = 99.9, margin: float = 0.05
) -> tuple[float, float]:
    """Axis range that keeps outliers from squeezing the populations into a corner."""
    if len(values) > RANGE_SAMPLE:  # percentiles of a million values cost ~50 ms
        values = values[:: len(values) // RANGE_SAMPLE]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = np.percentile(finite, [low, high])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * margin
    return (float(lo - pad), float(hi + pad))


def density_image(
    x: np.ndarray,
    y: np.ndarray,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    bins: int = DEFAULT_BINS,
) -> DensityImage:
    """Events per bin over the plot area (events outside left out)."""
    x_range = x_range or plot_range(x)
    y_range = y_range or plot_range(y)
    counts = grouped_counts(x, y, np.zeros(len(x), np.int64), 1, x_range, y_range, bins)[0]
    return DensityImage(counts, x_range, y_range)


def grouped_counts(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    bins: int = DEFAULT_BINS,
) -> np.ndarray:
    """(n_groups, bins, bins) events per bin of each group (e.g. cluster) in one pass:
    arithmetic binning and one bincount, several times faster than np.histogram2d."""
    ix, x_inside = _bin_index(x, x_range, bins)
    iy, y_inside = _bin_index(y, y_range, bins)
    groups = np.asarray(groups)
    inside = x_inside & y_inside & (groups >= 0) & (groups < n_groups)
    size = n_groups * bins * bins
    # Events outside go to one extra bin, dropped after counting: cheaper than a mask copy.
    flat = np.where(inside, (groups.astype(np.int64) * bins + ix) * bins + iy, size)
    return np.bincount(flat, minlength=size + 1)[:size].reshape(n_groups, bins, bins)


def _bin_index(
    values: np.ndarray, value_range: tuple[float, float], bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bin of each value and whether it lies in the range (its top edge in the last bin)."""
    low, high = value_range
    scaled = (np.asarray(values, dtype=np.float32) - np.float32(low)) * np.float32(
        bins / (high - low)
    )
    inside = (scaled >= 0) & (scaled <= bins)
    return np.minimum(scaled.astype(np.int32), bins - 1), inside


def point_density(x: np.ndarray, y: np.ndarray, bins: int = 128) -> np.ndarray:
    """Each event's local density (its bin's count, log-scaled to [0, 1]) for colouring
    dots the way flow cytometry software does."""
    image = density_image(x, y, bins=bins)
    (x0, x1), (y0, y1) = image.x_range, image.y_range
    ix = np.clip(((x - x0) / (x1 - x0) * bins).astype(int), 0, bins - 1)
    iy = np.clip(((y - y0) / (y1 - y0) * bins).astype(int), 0, bins - 1)
    density = np.log1p(image.counts[ix, iy])
    top = density.max()
    return density / top if top > 0 else density


def subsample(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """At most ``limit`` sorted indices out of ``n`` (all when n <= limit)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


@dataclass
class Contours:
    lines: list[np.ndarray]  # per level, outermost first: (n, 2) points, NaN between lines
    outside: np.ndarray  # events outside the outermost contour


def probability_contours(
    x: np.ndarray,
    y: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    levels: int = 10,
    bins: int = 96,
) -> Contours:
    """Contours of the smoothed density at equal probability: the outermost encloses
    all but 1/levels of the events, each next one another 1/levels fewer."""
    counts = grouped_counts(x, y, np.zeros(len(x), np.int64), 1, x_range, y_range, bins)[0]
    density = gaussian_filter(counts.astype(np.float64), sigma=1.2)
    # The density level above which a given share of the events lies.
    ordered = np.sort(density.ravel())[::-1]
    enclosed = np.cumsum(ordered) / max(ordered.sum(), 1e-12)
    shares = 1 - np.arange(1, levels) / levels  # 0.9, 0.8, ... of the events inside
    thresholds = [
        float(ordered[min(np.searchsorted(enclosed, s), len(ordered) - 1)]) for s in shares
    ]
    (x0, x1), (y0, y1) = x_range, y_range
    centres_x = x0 + (np.arange(bins) + 0.5) * (x1 - x0) / bins
    centres_y = y0 + (np.arange(bins) + 0.5) * (y1 - y0) / bins
    generator = contourpy.contour_generator(centres_x, centres_y, density.T)
    lines = []
    for threshold in thresholds:
        pieces = generator.lines(threshold)
        gap = np.full((1, 2), np.nan)
        lines.append(
            np.concatenate([part for piece in pieces for part in (piece, gap)])
            if pieces
            else np.empty((0, 2))
        )
    ix, x_inside = _bin_index(x, x_range, bins)
    iy, y_inside = _bin_index(y, y_range, bins)
    outside = ~(x_inside & y_inside) | (density[ix, iy] < thresholds[0])
    return Contours(lines, outside)


def histograms(
    values: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    value_range: tuple[float, float],
    bins: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """(bin edges, (n_groups, bins) events per bin of each group) in one pass; values
    outside the range and groups outside 0..n_groups-1 are left out."""
    index, inside = _bin_index(values, value_range, bins)
    groups = np.asarray(groups)
    inside &= (groups >= 0) & (groups < n_groups)
    size = n_groups * bins
    flat = np.where(inside, groups.astype(np.int64) * bins + index, size)
    counts = np.bincount(flat, minlength=size + 1)[:size].reshape(n_groups, bins)
    return np.linspace(value_range[0], value_range[1], bins + 1), counts
