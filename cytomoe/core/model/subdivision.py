"""Populations for data with little density structure: tiling the cells, FlowSOM-style,
when the embedding has fewer dense regions than ``min_populations``.

The dense regions of the Canberra-UMAP embedding find populations separated by a density
valley, but manual gates often cut a continuous gradient (CD45RA, CCR7, CD44, CD69 …) where
no density valley lies: such a panel gives a handful of regions for twice as many gated
populations. A gated population that no cluster matches scores 0 in the one-to-one F-measure,
while a population split in two only loses part of its recall, so too few clusters cost far
more than a few extra ones. So when the regions number fewer than ``min_populations``, the
cells are tiled into ``UNITS`` k-means units (the scale of FlowSOM's 10 × 10 grid), and the
units are joined by average linkage in marker space until ``min_populations`` groups
remain, as FlowSOM's metaclustering joins its grid: the largest gaps between units are cut
first, whether or not a density valley lies there. Regions smaller than one unit, which
tiling would lose, stay populations of their own (the rare populations the embedding
finds). benchmarks/RESULTS.md compares this with subdividing each region on its own.
"""

import numpy as np

UNITS = 100  # k-means units over the tiled cells


def tile_cells(data: np.ndarray, n_groups: int, seed: int) -> np.ndarray:
    """``n_groups`` groups of the cells: ``UNITS`` k-means units joined by average linkage
    (fewer units where there are few cells)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.cluster import KMeans

    n_units = min(UNITS, len(data))
    if n_groups <= 1 or n_units <= n_groups:
        n_units = max(1, min(n_groups, len(data)))
        if n_units == 1:
            return np.zeros(len(data), dtype=np.int64)
        return KMeans(n_clusters=n_units, n_init=1, random_state=seed).fit_predict(data)
    kmeans = KMeans(n_clusters=n_units, n_init=1, random_state=seed).fit(data)
    tree = linkage(kmeans.cluster_centers_, method="average")
    return fcluster(tree, t=n_groups, criterion="maxclust")[kmeans.labels_] - 1


def subdivide_populations(
    data: np.ndarray, populations: np.ndarray, min_populations: int, seed: int
) -> np.ndarray:
    """``populations`` (every cell in one, numbered 0..R-1) when R ≥ ``min_populations``;
    otherwise ``min_populations`` tiled groups of the cells, with the regions smaller than
    one unit kept as they are (module docstring). Numbered by size, largest first."""
    n_regions = int(populations.max()) + 1 if len(populations) else 0
    if n_regions == 0 or n_regions >= min_populations:
        return populations
    sizes = np.bincount(populations, minlength=n_regions)
    rare = np.flatnonzero(sizes < len(populations) / UNITS)
    in_rare = np.isin(populations, rare)
    groups = np.empty(len(populations), dtype=np.int64)
    groups[~in_rare] = tile_cells(data[~in_rare], min_populations - len(rare), seed)
    _, groups[in_rare] = np.unique(populations[in_rare], return_inverse=True)
    groups[in_rare] += groups[~in_rare].max() + 1 if (~in_rare).any() else 0
    _, groups, counts = np.unique(groups, return_inverse=True, return_counts=True)
    rank = np.empty(len(counts), dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    return rank[groups]
