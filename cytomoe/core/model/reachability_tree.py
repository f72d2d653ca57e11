"""HDBSCAN's single-linkage tree of an embedding, with its minimum spanning tree built by
compiled code on the machine's cores.

scikit-learn builds the tree of the mutual reachability distances with Prim's algorithm,
one pair of cells at a time through a distance object: quadratic in the cells and most of
the time of the populations step. ``single_linkage_tree`` computes the same core distances
with the same scikit-learn search, then the same Prim's algorithm in numba: each step
updates every cell's reachability and picks the nearest cell, split over threads, with ties
going to the lowest cell index as in scikit-learn's loop. The arithmetic is scikit-learn's
operation for operation (a difference, its square, a sum in marker order, a square root,
the largest of three), so the tree is the same bit for bit (tests/test_reachability_tree.py).
"""

import numba
import numpy as np

from cytomoe.core.model.compiled import jit

LEAF_SIZE = 40  # scikit-learn's HDBSCAN default for its k-d tree
TARGET_WORK_PER_THREAD = 4_096  # cells per thread and step below which threads cost more


def single_linkage_tree(points: np.ndarray, min_samples: int) -> np.ndarray:
    """The single-linkage tree that ``sklearn.cluster.HDBSCAN(min_samples=min_samples)``
    builds of the finite ``points`` (its ``_single_linkage_tree_``)."""
    from sklearn.cluster._hdbscan._linkage import MST_edge_dtype
    from sklearn.cluster._hdbscan.hdbscan import _process_mst
    from sklearn.neighbors import NearestNeighbors

    points = np.ascontiguousarray(points, dtype=np.float64)
    search = NearestNeighbors(
        n_neighbors=min_samples,
        algorithm="kd_tree",
        leaf_size=LEAF_SIZE,
        metric="euclidean",
        metric_params={},
        p=None,
    ).fit(points)
    core = np.ascontiguousarray(search.kneighbors(points, min_samples)[0][:, -1])
    sources, targets, distances = prim_spanning_tree(points, core, thread_count(len(points)))
    edges = np.empty(len(points) - 1, dtype=MST_edge_dtype)
    edges["current_node"], edges["next_node"], edges["distance"] = sources, targets, distances
    return _process_mst(edges)


def thread_count(n_points: int) -> int:
    return int(max(1, min(numba.get_num_threads(), n_points // TARGET_WORK_PER_THREAD)))


def _prim_spanning_tree(
    points: np.ndarray, core: np.ndarray, n_threads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prim's minimum spanning tree of the mutual reachability distances
    max(core_i, core_j, |x_i − x_j|), from cell 0, in scikit-learn's order of edges."""
    n, n_dims = points.shape
    sources = np.empty(n - 1, np.int64)
    targets = np.empty(n - 1, np.int64)
    distances = np.empty(n - 1, np.float64)
    in_tree = np.zeros(n, np.bool_)
    reach = np.full(n, np.inf)
    reach_source = np.ones(n, np.int64)
    bounds = np.linspace(0, n, n_threads + 1).astype(np.int64)
    best_reach = np.empty(n_threads)
    best_cell = np.empty(n_threads, np.int64)
    largest = np.finfo(np.float64).max
    current = 0
    for step in range(n - 1):
        in_tree[current] = True
        current_core = core[current]
        for part in numba.prange(n_threads):
            found_reach, found_cell = largest, -1
            for j in range(bounds[part], bounds[part + 1]):
                if in_tree[j]:
                    continue
                squared = 0.0
                for d in range(n_dims):
                    difference = points[current, d] - points[j, d]
                    squared += difference * difference
                mutual = max(current_core, core[j], np.sqrt(squared))
                if mutual < reach[j]:
                    reach[j] = mutual
                    reach_source[j] = current
                if reach[j] < found_reach:
                    found_reach, found_cell = reach[j], j
            best_reach[part], best_cell[part] = found_reach, found_cell
        new_reach, new_cell = largest, -1
        for part in range(n_threads):  # in cell order: the first of equal ones wins
            if best_reach[part] < new_reach:
                new_reach, new_cell = best_reach[part], best_cell[part]
        if new_cell < 0:  # scikit-learn's loop leaves its initial edge (0, 0) then
            sources[step], targets[step] = 0, 0
        else:
            sources[step], targets[step] = reach_source[new_cell], new_cell
        distances[step] = new_reach
        current = max(new_cell, 0)
    return sources, targets, distances


# Compiled (or loaded from numba's disk cache) when the module is imported, which
# background_imports.py does beside UMAP's layout: off the path of the run.
prim_spanning_tree = jit(
    _prim_spanning_tree,
    "Tuple((i8[::1], i8[::1], f8[::1]))(f8[:, ::1], f8[::1], i8)",
    nogil=True,
    parallel=True,
)
