"""2-D event densities for gating-style plots (pure numpy, so the GUI only draws)."""

from dataclasses import dataclass

import numpy as np

DEFAULT_BINS = 256


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
    """Events per bin over the plot area; a million events take a few tens of ms."""
    x_range = x_range or plot_range(x)
    y_range = y_range or plot_range(y)
    counts, _, _ = np.histogram2d(x, y, bins=bins, range=[x_range, y_range])
    return DensityImage(counts, x_range, y_range)


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
