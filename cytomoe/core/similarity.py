"""Similarity sources: which training cells the model should put in the same cluster (S).

MoE-Sim-VAE fits P Pᵀ to a per-batch 0/1 similarity S with a BCE loss (METHOD.md §2, §4).
A source is prepared once on the training cells and then hands out S for any batch of
training-row indices.

``UmapKnnSimilarity`` (default) follows the paper's Canberra-UMAP construction with two
measured changes (METHOD.md §9 explains why a plain per-batch kNN fails: P Pᵀ copies the
density of S, so a k much smaller than a population's share of the batch splits it across
experts, and a large k merges populations):

1. **Canberra with an offset.** UMAP (``metric="canberra"``, ``min_dist=0``) runs on the
   [0, 1]-scaled markers plus ``CANBERRA_OFFSET``. Canberra divides by ``|x| + |y|``, so
   on zero-inflated data (mass cytometry: many exact zeros after scaling) any tiny
   difference near zero counts as a maximal one and the embedding shatters into many
   islands per population (Multi-Center sample 1, 10k cells: 56 islands, F 0.34 for
   Leiden on the embedding; with the offset 0.99). The offset keeps Canberra's relative
   weighting of low intensities while bounding it; it also speeds up UMAP's neighbour
   search about 3x on such data.
2. **S follows the population structure of the embedding.** The cells are partitioned
   once into communities of UMAP's fuzzy Canberra kNN graph (Leiden, modularity at
   ``resolution``), and communities that stay strongly linked in that graph are merged
   (connectivity between communities a and b, w_ab / sqrt(vol_a · vol_b), above
   ``merge_threshold``; and always while there are more communities than experts).
   S_ij = 1 when i and j share a community, or when j is among the k nearest
   neighbours of i *within the batch* in the 2-D embedding (the paper's per-batch kNN,
   k = ``knn_k``), symmetrised. The kNN part keeps the paper's local similarity; the
   community part makes S dense inside a population however large it is, so P Pᵀ has
   no reason to split it, and the number of communities bounds the number of clusters.

``LabelSimilarity`` is weak supervision: S_ij = 1 iff the cells share a label (cells
without a label are only similar to themselves).
"""

import random
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import torch

from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

CANBERRA_OFFSET = 0.1


class SimilaritySource(Protocol):
    """Prepared once on the training cells, then asked for S on batches of their rows."""

    def prepare(
        self,
        data: np.ndarray,
        seed: int,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> None: ...

    def batch(self, rows: np.ndarray) -> torch.Tensor: ...


def same_group_matrix(groups: np.ndarray) -> torch.Tensor:
    """S_ij = 1 iff groups[i] == groups[j] and groups[i] >= 0; the diagonal is always 1."""
    groups = torch.as_tensor(groups)
    same = (groups[:, None] == groups[None, :]) & (groups[:, None] >= 0)
    same.fill_diagonal_(True)
    return same.float()


def knn_matrix(points: np.ndarray, k: int) -> torch.Tensor:
    """Symmetrised kNN adjacency of a batch: S_ij = 1 if j is among i's k nearest or i == j."""
    points = torch.as_tensor(points, dtype=torch.float32)
    k = min(k, len(points) - 1)
    adjacency = torch.eye(len(points))
    if k > 0:
        distances = torch.cdist(points, points)
        distances.fill_diagonal_(float("inf"))
        neighbours = distances.topk(k, largest=False).indices
        adjacency.scatter_(1, neighbours, 1.0)
    return torch.maximum(adjacency, adjacency.T)


def leiden_communities(graph: sp.spmatrix, resolution: float, seed: int) -> np.ndarray:
    """Modularity communities of a weighted undirected graph (igraph's Leiden), seeded."""
    import igraph

    upper = sp.triu(graph, k=1).tocoo()
    network = igraph.Graph(
        n=graph.shape[0],
        edges=np.column_stack([upper.row, upper.col]).tolist(),
        edge_attrs={"weight": upper.data.tolist()},
    )
    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = network.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=resolution,
            n_iterations=-1,
        )
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(partition.membership)


def merge_linked_communities(
    graph: sp.spmatrix, communities: np.ndarray, threshold: float, max_communities: int
) -> np.ndarray:
    """Merge the most linked pair of communities while their link is above ``threshold`` or
    there are more than ``max_communities``. Link = w_ab / sqrt(vol_a · vol_b). Returns
    communities renumbered 0..n-1."""
    _, labels = np.unique(communities, return_inverse=True)
    n = labels.max() + 1
    indicator = sp.csr_matrix(
        (np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), n)
    )
    weights = (indicator.T @ graph @ indicator).toarray()
    while len(weights) > 1:
        volume = weights.sum(1)
        link = weights / np.sqrt(np.outer(volume, volume) + 1e-12)
        np.fill_diagonal(link, -np.inf)
        a, b = np.unravel_index(np.argmax(link), link.shape)
        if link[a, b] <= threshold and len(weights) <= max_communities:
            break
        a, b = min(a, b), max(a, b)
        weights[a] += weights[b]
        weights[:, a] += weights[:, b]
        weights = np.delete(np.delete(weights, b, 0), b, 1)
        labels[labels == b] = a
        labels[labels > b] -= 1
    return labels


class UmapKnnSimilarity:
    """Canberra-UMAP similarity following the communities of the embedding (module docstring)."""

    def __init__(
        self,
        knn_k: int = 10,
        n_neighbors: int = 15,
        resolution: float = 1.0,
        merge_threshold: float = 0.1,
        max_communities: int = 15,
    ):
        self.knn_k = knn_k
        self.n_neighbors = n_neighbors
        self.resolution = resolution
        self.merge_threshold = merge_threshold
        self.max_communities = max_communities

    def prepare(
        self,
        data: np.ndarray,
        seed: int,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> None:
        import umap

        check_cancel(should_cancel)
        report(progress, "embed", 0, 2, "Canberra-UMAP embedding of the training cells")
        reducer = umap.UMAP(
            n_neighbors=min(self.n_neighbors, len(data) - 1),
            min_dist=0.0,
            metric="canberra",
            random_state=seed,
            n_jobs=1,
        )
        self.embedding_ = reducer.fit_transform(
            np.asarray(data, dtype=np.float32) + CANBERRA_OFFSET
        )
        check_cancel(should_cancel)
        report(progress, "embed", 1, 2, "Communities of the embedding")
        graph = reducer.graph_.tocsr()
        communities = leiden_communities(graph, self.resolution, seed)
        self.communities_ = merge_linked_communities(
            graph, communities, self.merge_threshold, self.max_communities
        )
        report(
            progress,
            "embed",
            2,
            2,
            "Embedding done",
            communities=float(self.communities_.max() + 1),
        )

    def batch(self, rows: np.ndarray) -> torch.Tensor:
        same = same_group_matrix(self.communities_[rows])
        if self.knn_k <= 0:
            return same
        return torch.maximum(same, knn_matrix(self.embedding_[rows], self.knn_k))


class LabelSimilarity:
    """Weak supervision: cells with the same label are similar. ``labels`` index the training
    rows; missing labels (None, NaN) make a cell similar only to itself."""

    def __init__(self, labels: Sequence | np.ndarray):
        values = np.asarray(labels, dtype=object)
        missing = np.array(
            [v is None or (isinstance(v, float) and np.isnan(v)) for v in values], bool
        )
        _, codes = np.unique(values[~missing].astype(str), return_inverse=True)
        self.codes = np.full(len(values), -1, dtype=np.int64)
        self.codes[~missing] = codes

    def prepare(
        self,
        data: np.ndarray,
        seed: int,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> None:
        if len(self.codes) != len(data):
            from cytomoe.core.errors import InputError

            raise InputError(
                f"The similarity labels have {len(self.codes)} entries for {len(data)} cells."
            )

    def batch(self, rows: np.ndarray) -> torch.Tensor:
        return same_group_matrix(self.codes[rows])
