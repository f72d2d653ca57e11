"""Similarity sources: which training cells the model should put in the same cluster (S).

MoE-Sim-VAE fits P Pᵀ to a per-batch 0/1 similarity S with a BCE loss (METHOD.md §2, §4).
A source is prepared once on the training cells and then hands out S for any batch of
training-row indices, as a boolean matrix (the loss selects by it; no float copy is made).

``PopulationSimilarity`` (default) follows the paper's Canberra-UMAP construction with two
measured changes (METHOD.md §9 explains why a plain per-batch kNN fails: P Pᵀ copies the
density of S, so a k much smaller than a population's share of the batch splits it across
experts, and a large k merges populations):

1. **Canberra with an offset.** UMAP (``metric="canberra"``, ``min_dist=0``) runs on the
   [0, 1]-scaled markers plus ``CANBERRA_OFFSET``. Canberra divides by ``|x| + |y|``, so
   on zero-inflated data (mass cytometry: many exact zeros after scaling) any tiny
   difference near zero counts as a maximal one and the embedding shatters into many
   pieces per population. The offset keeps Canberra's
   relative weighting of low intensities while bounding it.
2. **S follows the population structure of the embedding.** The dense regions of the
   2-D embedding are found once with HDBSCAN (``MAIN_POPULATION_SHARE`` of the training cells,
   then rare ones down to ``min_population_share`` lying mostly outside those, at least
   ``MIN_POPULATION_CELLS``; ``min_samples`` = UMAP's ``n_neighbors``); if there are more
   of them than experts, the pair most linked in UMAP's fuzzy Canberra kNN graph
   (w_ab / sqrt(vol_a · vol_b), ``population_links``) is merged until they fit (a link
   threshold, ``POPULATION_MERGE_LINK``, can merge further; chosen off, see
   benchmarks/RESULTS.md). A cell in no population (HDBSCAN's noise) joins the population
   of its nearest member cells in marker space (``join_nearest_population``). S_ij = 1 when i
   and j lie in the same population, so S is dense inside a population however large it
   is, P Pᵀ has no reason to split it, and the populations bound the number of clusters.
   Leiden (modularity) communities of the same graph were tried and dropped: their size
   follows the graph size, not the populations.
   Where the embedding has fewer regions than ``min_populations`` (gates that cut continuous
   gradients rather than density valleys), the cells are tiled FlowSOM-style into that many
   populations instead (subdivision.py), at most ``LEVELS_PER_MARKER`` ** markers of them.
3. **One or two markers are their own embedding** (``MAX_MARKERS_AS_EMBEDDING``): UMAP
   adds nothing there, and its spectral layout of a one-marker graph does not finish.
   The density of raw markers has broad shoulders rather than UMAP's tight clumps, so the
   main regions there are at least ``MARKERS_POPULATION_SHARE`` of the cells.

``use_populations=False`` gives the paper's similarity instead: S_ij = 1 if j is among the
``knn_k`` nearest neighbours of i *within the batch* in the embedding, symmetrised.

``LabelSimilarity`` is weak supervision: S_ij = 1 iff the cells share a label (cells
without a label are only similar to themselves).

torch is imported where S is built, not with this module: the embedding comes first, and
torch is imported beside UMAP's layout (embedding.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol, Unpack

import numpy as np
import scipy.sparse as sp

from cytomoe.core.model.subdivision import subdivide_populations
from cytomoe.core.progress import (
    Callbacks,
    CancelCheck,
    ProgressCallback,
    check_cancel,
    report,
)

if TYPE_CHECKING:
    import torch

CANBERRA_OFFSET = 0.1
MIN_POPULATION_CELLS = 10  # no population is smaller, however few cells are trained on
CANDIDATES_PER_NEIGHBOUR = 4  # Euclidean candidates in log space per Canberra neighbour
NEIGHBOUR_CHUNK = 2_048  # rows re-ranked at a time (bounds memory with many markers)
NEIGHBOUR_THREADS = min(4, os.cpu_count() or 1)  # chunks ranked at once
# Regions of the embedding are first found at this share of the training cells, then rare
# ones down to ``min_population_share`` lying mostly outside them (populations_with_rare_ones).
MAIN_POPULATION_SHARE = 0.005
# Neighbouring regions linked at least this much in the Canberra kNN graph are one population
# (``merge_linked_populations``); np.inf merges only down to the number of experts.
POPULATION_MERGE_LINK = np.inf
JOIN_NEIGHBOURS = 15  # cells outside every region join the region of their nearest members
MAX_MARKERS_AS_EMBEDDING = 2  # with this many markers or fewer they are the embedding
# A marker tells apart at most negative, dim and positive cells, so d markers define at most
# 3 ** d populations: one or two markers are never tiled beyond that.
LEVELS_PER_MARKER = 3
# Their density has broad shoulders, not UMAP's tight clumps: the main regions are larger.
MARKERS_POPULATION_SHARE = 0.02


def min_population_size(n_cells: int, share: float) -> int:
    """Smallest population the similarity (and the model) keeps: a share of the cells."""
    return max(MIN_POPULATION_CELLS, int(round(share * n_cells)))


class SimilaritySource(Protocol):
    """Prepared once on the training cells, then asked for S on batches of their rows.

    ``populations_`` (set by ``prepare``) gives each training row's population, -1 for
    rows in none: S_ij = 1 for the rows of one population."""

    populations_: np.ndarray

    def prepare(
        self,
        data: np.ndarray,
        seed: int,
        *,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> None: ...

    def batch(self, rows: np.ndarray) -> torch.Tensor: ...


def same_group_matrix(groups: np.ndarray) -> torch.Tensor:
    """S_ij true iff groups[i] == groups[j] and groups[i] >= 0; the diagonal is always true."""
    import torch

    groups = torch.as_tensor(groups)
    same = (groups[:, None] == groups[None, :]) & (groups[:, None] >= 0)
    same.fill_diagonal_(True)
    return same


def knn_matrix(points: np.ndarray, k: int, rows: np.ndarray | None = None) -> torch.Tensor:
    """Symmetrised kNN adjacency of a batch: S_ij true if j is among i's k nearest or i == j.

    ``rows`` (a boolean mask) limits the neighbour search to those points: only their
    nearest neighbours are linked (both ways), which is all a batch needs for the few
    cells outside every population."""
    import torch

    points = torch.as_tensor(points, dtype=torch.float32)
    k = min(k, len(points) - 1)
    adjacency = torch.eye(len(points), dtype=torch.bool)
    searched = torch.arange(len(points)) if rows is None else torch.as_tensor(rows).nonzero()[:, 0]
    if k > 0 and len(searched):
        distances = torch.cdist(points[searched], points)
        distances[torch.arange(len(searched)), searched] = float("inf")
        neighbours = distances.topk(k, largest=False).indices
        adjacency[searched] = adjacency[searched].scatter(1, neighbours, True)
    return adjacency | adjacency.T


def canberra_neighbours(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest rows under the Canberra distance (itself first), for positive data.

    UMAP's own search (pynndescent) compiles for about 20 s in every new process (its numba
    code cannot be cached when it takes the metric as an argument), longer than the whole
    search takes. Instead, for positive x and y each Canberra term |x − y| / (x + y) equals
    tanh(|log x − log y| / 2), so near neighbours in Canberra are near neighbours in log
    space: sklearn finds ``CANDIDATES_PER_NEIGHBOUR`` · k Euclidean candidates there and
    the exact Canberra distance ranks them (agreement with an exhaustive search: 98% of
    neighbours on Multi-Center sample 1, 95% on Samusik's 36 markers)."""
    from sklearn.neighbors import NearestNeighbors

    data = np.asarray(data, dtype=np.float32)
    k = min(k, len(data))
    n_candidates = min(len(data), CANDIDATES_PER_NEIGHBOUR * k + 1)  # with the row itself
    indices = np.empty((len(data), k), dtype=np.int64)
    distances = np.empty((len(data), k), dtype=np.float32)
    indices[:, 0], distances[:, 0] = np.arange(len(data)), 0.0
    if k < 2:
        return indices, distances
    search = NearestNeighbors(n_neighbors=n_candidates).fit(np.log(data))

    def rank_chunk(start: int) -> None:  # writes its own rows only
        chunk = data[start : start + NEIGHBOUR_CHUNK]
        candidates = search.kneighbors(np.log(chunk), return_distance=False)
        own = np.arange(start, start + len(chunk))[:, None]
        # Drop the row itself, or the farthest candidate where duplicates crowded it out.
        drop = candidates == own
        drop[~drop.any(1), -1] = True
        candidates = candidates[~drop].reshape(len(chunk), -1)
        others = data[candidates]
        canberra = (np.abs(chunk[:, None] - others) / (chunk[:, None] + others)).sum(2)
        nearest = np.argsort(canberra, axis=1, kind="stable")[:, : k - 1]
        indices[start : start + len(chunk), 1:] = np.take_along_axis(candidates, nearest, 1)
        distances[start : start + len(chunk), 1:] = np.take_along_axis(canberra, nearest, 1)

    # numpy and the tree search release the interpreter lock: chunks run side by side
    with ThreadPoolExecutor(NEIGHBOUR_THREADS) as pool:
        list(pool.map(rank_chunk, range(0, len(data), NEIGHBOUR_CHUNK)))
    return indices, distances


def canberra_umap(
    data: np.ndarray, n_neighbors: int, seed: int, **callbacks: Unpack[Callbacks]
) -> tuple[np.ndarray, sp.csr_matrix]:
    """2-D UMAP embedding (Canberra, ``min_dist`` 0) of the offset cells, and its fuzzy graph,
    built step by step with progress (embedding.py) and reused for the same cells and
    settings (embedding_cache.py)."""
    from cytomoe.core.model.embedding_cache import cached_embedding

    return cached_embedding(
        data,
        {"n_neighbors": n_neighbors, "seed": seed},
        lambda: embed_with_canberra_umap(data, n_neighbors, seed, **callbacks),
    )


def embed_with_canberra_umap(
    data: np.ndarray, n_neighbors: int, seed: int, **callbacks: Unpack[Callbacks]
) -> tuple[np.ndarray, sp.csr_matrix]:
    """`canberra_umap`'s embedding and graph, computed anew."""
    from cytomoe.core.background_imports import import_in_background
    from cytomoe.core.model.embedding import (
        UMAP_MODULES,
        fuzzy_graph_from_neighbours,
        umap_layout,
    )

    report(callbacks.get("progress"), "embed", 0.0, 2, "Canberra nearest neighbours")
    # UMAP is imported beside the search, whose threads mostly release the lock
    umap_import = import_in_background(UMAP_MODULES)
    try:
        indices, distances = canberra_neighbours(data, n_neighbors)
    finally:
        umap_import.join()
    report(callbacks.get("progress"), "embed", 0.2, 2, "Fuzzy neighbour graph")
    graph = fuzzy_graph_from_neighbours(indices, distances, n_neighbors)
    return umap_layout(data, graph, seed, share=(0.25, 0.95), **callbacks), graph


def density_populations(
    embedding: np.ndarray, min_population: int, min_samples: int, selection: str = "eom"
) -> np.ndarray:
    """Populations of an embedding as HDBSCAN's dense regions; -1 marks cells in none.
    ``selection``: HDBSCAN's ``cluster_selection_method`` ("eom" or the finer "leaf")."""
    return DensityTree(embedding, min(min_samples, min_population)).regions(
        min_population, selection
    )


class DensityTree:
    """HDBSCAN's hierarchy of the (finite) cells of an embedding for one ``min_samples``,
    cut into dense regions of any smallest size.

    Building it (the minimum spanning tree of the mutual reachability, quadratic in the
    cells; reachability_tree.py) is most of HDBSCAN's time; cutting it is quick. A cut at
    a smallest size gives what an HDBSCAN fit with that size would, bit for bit
    (tests/test_similarity.py), and any number of cuts share one tree. scikit-learn exposes
    the cut only through its fit, so ``regions`` calls the function that fit calls, with
    the fit's defaults."""

    def __init__(self, embedding: np.ndarray, min_samples: int):
        from cytomoe.core.model.reachability_tree import single_linkage_tree

        embedding = np.asarray(embedding)
        self.finite = np.isfinite(embedding).all(axis=1)  # UMAP leaves cells without edges NaN
        self.min_samples = min(min_samples, int(self.finite.sum()))
        # The smallest region is chosen per cut; the tree depends on min_samples only.
        self._tree = (
            single_linkage_tree(embedding[self.finite], self.min_samples)
            if self.finite.sum() >= 2
            else None
        )

    def regions(self, min_population: int, selection: str = "eom") -> np.ndarray:
        """Dense regions of at least ``min_population`` cells (at least 2); -1 for the rest."""
        from sklearn.cluster._hdbscan._tree import tree_to_labels

        labels = np.full(len(self.finite), -1, dtype=np.int64)
        if self._tree is not None:
            size = max(2, min(min_population, len(self.finite)))
            labels[self.finite] = tree_to_labels(
                self._tree,
                size,
                selection,
                False,  # HDBSCAN's allow_single_cluster
                0.0,  # cluster_selection_epsilon
                None,  # max_cluster_size
            )[0]
        return labels


def populations_with_rare_ones(
    embedding: np.ndarray, main_size: int, rare_size: int, min_samples: int, selection: str = "eom"
) -> np.ndarray:
    """Dense regions of at least ``main_size`` cells, plus the regions of at least
    ``rare_size`` that lie mostly outside them (numbered after them); -1 for the rest.

    One pass with the small size splits large populations into many regions; with only the
    large size a population of fewer cells is lost in HDBSCAN's noise (README, method
    item 2, has the measurements). The fine pass runs on every cell, not only the left-out
    ones: HDBSCAN never returns a lone cluster, so a single rare population among scattered
    cells would be missed. Both passes cut one tree where their ``min_samples`` agree."""
    tree = DensityTree(embedding, min(min_samples, main_size))
    populations = tree.regions(main_size, selection)
    if rare_size >= main_size:
        return populations
    outside = populations < 0
    if min(min_samples, rare_size) != tree.min_samples:
        tree = DensityTree(embedding, min(min_samples, rare_size))
    fine = tree.regions(rare_size)
    label = populations.max() + 1
    for region in np.unique(fine[fine >= 0]):
        island = (fine == region) & outside
        if island.sum() > 0.5 * np.sum(fine == region) and island.sum() >= rare_size:
            populations[island] = label
            label += 1
    return populations


def fuzzy_graph(data: np.ndarray, n_neighbors: int) -> sp.csr_matrix:
    """UMAP's fuzzy Canberra kNN graph of the (offset, positive) cells, without a layout."""
    from cytomoe.core.model.embedding import fuzzy_graph_from_neighbours

    return fuzzy_graph_from_neighbours(*canberra_neighbours(data, n_neighbors), n_neighbors)


def population_links(graph: sp.spmatrix, populations: np.ndarray) -> np.ndarray:
    """Link between populations a and b (0..n-1; -1: none) in the cell graph:
    w_ab / sqrt(vol_a · vol_b), with w_ab the weight of the edges between them and vol the
    weight of all edges of a population's cells (its inner edges twice)."""
    members = populations >= 0
    n = int(populations.max()) + 1 if members.any() else 0
    indicator = sp.csr_matrix(
        (np.ones(int(members.sum())), (np.flatnonzero(members), populations[members])),
        shape=(len(populations), n),
    )
    weights = (indicator.T @ graph @ indicator).toarray()
    volume = weights.sum(1)
    return weights / np.sqrt(np.outer(volume, volume) + 1e-12)


def merge_linked_populations(
    graph: sp.spmatrix, populations: np.ndarray, max_populations: int, min_link: float = np.inf
) -> np.ndarray:
    """Merge the two most linked populations (``population_links``) while more than
    ``max_populations`` remain or their link is at least ``min_link``.

    Cells marked -1 (in no population) stay so. Returns populations renumbered 0..n-1."""
    merged = np.full(len(populations), -1, dtype=np.int64)
    members = populations >= 0
    if not members.any():
        return merged
    _, merged[members] = np.unique(populations[members], return_inverse=True)
    while merged.max() > 0:
        link = population_links(graph, merged)
        np.fill_diagonal(link, -np.inf)
        a, b = sorted(np.unravel_index(np.argmax(link), link.shape))
        if merged.max() + 1 <= max(1, max_populations) and link[a, b] < min_link:
            break
        merged[merged == b] = a
        merged[merged > b] -= 1
    return merged


def join_nearest_population(data: np.ndarray, populations: np.ndarray) -> np.ndarray:
    """Cells in no population (-1) join the population most of their ``JOIN_NEIGHBOURS``
    nearest member cells (in ``data``) belong to."""
    from sklearn.neighbors import KNeighborsClassifier

    inside = populations >= 0
    if inside.all() or not inside.any():
        return populations
    joined = populations.copy()
    classifier = KNeighborsClassifier(n_neighbors=min(JOIN_NEIGHBOURS, int(inside.sum())))
    joined[~inside] = classifier.fit(data[inside], populations[inside]).predict(data[~inside])
    return joined


class PopulationSimilarity:
    """Canberra-UMAP similarity following the populations of the embedding (module docstring).

    ``use_populations=False`` is the paper's similarity: the per-batch kNN of the embedding for
    every cell, no populations."""

    def __init__(
        self,
        knn_k: int = 10,
        n_neighbors: int = 15,
        min_population_share: float = 0.001,
        max_populations: int = 15,
        merge_link: float = POPULATION_MERGE_LINK,
        use_populations: bool = True,
        min_populations: int = 1,
    ):
        self.knn_k = knn_k
        self.n_neighbors = n_neighbors
        self.min_population_share = min_population_share
        self.max_populations = max_populations
        self.merge_link = merge_link
        self.use_populations = use_populations
        self.min_populations = min_populations

    def prepare(self, data: np.ndarray, seed: int, **callbacks: Unpack[Callbacks]) -> None:
        """See `SimilaritySource.prepare`."""
        progress, should_cancel = callbacks.get("progress"), callbacks.get("should_cancel")
        check_cancel(should_cancel)
        report(progress, "embed", 0, 2, "Canberra-UMAP embedding of the training cells")
        n_neighbors = min(self.n_neighbors, len(data) - 1)
        shifted = np.asarray(data, dtype=np.float32) + CANBERRA_OFFSET
        main_share = MAIN_POPULATION_SHARE
        if data.shape[1] <= MAX_MARKERS_AS_EMBEDDING:
            # One or two markers are their own map: UMAP adds nothing, and its spectral
            # layout of a one-marker graph (many tied cells) does not finish.
            self.embedding_ = np.asarray(data, dtype=np.float32)
            graph = fuzzy_graph(shifted, n_neighbors)
            main_share = MARKERS_POPULATION_SHARE
        else:
            self.embedding_, graph = canberra_umap(shifted, n_neighbors, seed, **callbacks)
        check_cancel(should_cancel)
        report(progress, "embed", 1, 2, "Populations of the embedding")
        self.min_population_ = min_population_size(len(data), self.min_population_share)
        if not self.use_populations:
            self.populations_ = np.full(len(data), -1, dtype=np.int64)
            report(progress, "embed", 2, 2, "Embedding done")
            return
        main_size = max(self.min_population_, min_population_size(len(data), main_share))
        from cytomoe.core.model.embedding_cache import cached_populations, cached_regions

        self.unmerged_populations_ = cached_regions(
            self.embedding_,
            {"main": main_size, "rare": self.min_population_, "min_samples": n_neighbors},
            lambda: populations_with_rare_ones(
                self.embedding_, main_size, self.min_population_, n_neighbors
            ),
        )
        merged = merge_linked_populations(
            graph, self.unmerged_populations_, self.max_populations, self.merge_link
        )
        minimum = min(
            self.min_populations, self.max_populations, LEVELS_PER_MARKER ** data.shape[1]
        )

        def join_and_tile() -> dict[str, np.ndarray]:
            regions = join_nearest_population(data, merged)
            return {
                "regions": regions,
                "populations": subdivide_populations(data, regions, minimum, seed),
            }

        found = cached_populations(
            data, merged, {"min_populations": minimum, "seed": seed}, join_and_tile
        )
        self.regions_, self.populations_ = found["regions"], found["populations"]
        n_populations = float(self.populations_.max() + 1)
        report(progress, "embed", 2, 2, "Embedding done", populations=n_populations)

    def batch(self, rows: np.ndarray) -> torch.Tensor:
        import torch

        populations = self.populations_[rows]
        same = same_group_matrix(populations)
        outside = torch.as_tensor(populations < 0)
        if self.knn_k <= 0 or not bool(outside.any()):
            return same
        # Cells in no population (the paper's similarity: every cell) are similar to their
        # nearest neighbours in the batch.
        pairs = outside[:, None] | outside[None, :]
        neighbours = knn_matrix(self.embedding_[rows], self.knn_k, rows=outside)
        return torch.where(pairs, neighbours, same)


class LabelSimilarity:
    """Weak supervision: cells with the same label are similar. ``labels`` index the training
    rows; missing labels (None, NaN) make a cell similar only to itself."""

    def __init__(self, labels: Sequence | np.ndarray):
        values = np.asarray(labels, dtype=object)
        missing = np.array(
            [v is None or (isinstance(v, float) and np.isnan(v)) for v in values], bool
        )
        _, codes = np.unique(values[~missing].astype(str), return_inverse=True)
        self.populations_ = np.full(len(values), -1, dtype=np.int64)
        self.populations_[~missing] = codes

    def prepare(self, data: np.ndarray, seed: int, **callbacks: Unpack[Callbacks]) -> None:
        """See `SimilaritySource.prepare`; labels need no preparation, so neither callback is
        used."""
        if len(self.populations_) != len(data):
            from cytomoe.core.errors import InputError

            raise InputError(
                f"The similarity labels have {len(self.populations_)} entries "
                f"for {len(data)} cells."
            )

    def batch(self, rows: np.ndarray) -> torch.Tensor:
        return same_group_matrix(self.populations_[rows])
