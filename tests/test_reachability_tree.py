"""HDBSCAN's spanning tree built block by block is scikit-learn's, bit for bit."""

import numpy as np
import pytest

from cytomoe.core.model.reachability_tree import prim_spanning_tree, single_linkage_tree


def cells_with_ties(n_dims: int) -> np.ndarray:
    """Blobs in float32 (as UMAP gives them), a grid (many equal distances) and repeated
    cells (distance 0)."""
    rng = np.random.default_rng(n_dims)
    blobs = rng.normal(0, 1, (600, n_dims)).astype(np.float32) * [1, 3, 0.5][:n_dims]
    grid = np.stack(np.meshgrid(*[np.arange(6.0)] * n_dims), -1).reshape(-1, n_dims) + 8
    repeated = blobs[rng.integers(0, len(blobs), 50)]
    return np.vstack([blobs, grid, repeated]).astype(np.float64)


@pytest.mark.parametrize("n_dims", [2, 3])
def test_the_spanning_tree_is_scikit_learns_with_blocks_of_any_size(n_dims):
    from sklearn.cluster._hdbscan._linkage import mst_from_data_matrix
    from sklearn.metrics import DistanceMetric
    from sklearn.neighbors import NearestNeighbors

    points = cells_with_ties(n_dims)
    core = NearestNeighbors(n_neighbors=10).fit(points).kneighbors(points)[0][:, -1].copy()
    expected = mst_from_data_matrix(points, core, DistanceMetric.get_metric("euclidean"), 1.0)
    assert len(np.unique(expected["distance"])) < len(expected) - 100  # ties were there
    for block_size in (1, 7, 64, len(points)):
        sources, targets, distances = prim_spanning_tree(points, core, block_size)
        assert np.array_equal(sources, expected["current_node"])
        assert np.array_equal(targets, expected["next_node"])
        assert np.array_equal(distances, expected["distance"])


def test_the_single_linkage_tree_is_the_one_hdbscan_builds():
    from sklearn.cluster import HDBSCAN

    points = cells_with_ties(2).astype(np.float32)
    fitted = HDBSCAN(min_cluster_size=2, min_samples=15, copy=True).fit(points)
    tree = single_linkage_tree(points, 15)
    expected = fitted._single_linkage_tree_
    for field in expected.dtype.names:
        assert np.array_equal(tree[field], expected[field])
