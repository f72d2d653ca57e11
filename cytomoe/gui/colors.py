"""Colours of clusters and of density plots."""

import numpy as np
import pyqtgraph as pg

# Distinguishable on white and on a grey density background (Tableau 20, reordered).
CLUSTER_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
    "#393b79",
]
BACKGROUND_GREY = (170, 170, 170)


def cluster_color(cluster: int) -> str:
    return CLUSTER_COLORS[cluster % len(CLUSTER_COLORS)]


def density_colormap() -> pg.ColorMap:
    """Blue-to-red density colours as in flow cytometry software."""
    return pg.colormap.get("turbo")


def grey_lookup_table() -> np.ndarray:
    """Light to mid grey with density, for 'all cells' behind an expert's cells."""
    ramp = np.linspace(225, 120, 256)
    return np.stack([ramp, ramp, ramp, np.full(256, 255)], axis=1).astype(np.ubyte)
