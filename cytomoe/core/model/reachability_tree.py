"""HDBSCAN's single-linkage tree of an embedding, with its minimum spanning tree built by
compiled code that skips the cells a step cannot change.

scikit-learn builds the tree of the mutual reachability distances with Prim's algorithm,
one pair of cells at a time through a distance object: quadratic in the cells and most of
the time of the populations step. ``single_linkage_tree`` computes the same core distances
with the same scikit-learn search, then the same Prim's algorithm in numba, with the cells
in blocks of nearby cells. At each step the cell that joined the tree can only lower a
cell's reachability to max(its core distance, the cell's core distance, their distance);
a block whose cells all have reachabilities at or below a lower bound of that (from the
smallest core distance in the block and the distance to the block's bounding box) is left
as it is, with its nearest cell kept from the step before. The next cell is the nearest
of the blocks' nearest, ties going to the lowest cell index as in scikit-learn's loop.
The arithmetic is scikit-learn's operation for operation (a difference, its square, a sum
in marker order, a square root, the largest of three), and every rounding step of the
bound is monotone, so the bound never exceeds the distance it stands for and the tree is
the same bit for bit (tests/test_reachability_tree.py).
"""

import numpy as np

from cytomoe.core.model.compiled import jit

LEAF_SIZE = 40  # scikit-learn's HDBSCAN default for its k-d tree
BLOCK_SIZE = 64  # cells per block of the spanning tree's search


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
    sources, targets, distances = prim_spanning_tree(points, core)
    edges = np.empty(len(points) - 1, dtype=MST_edge_dtype)
    edges["current_node"], edges["next_node"], edges["distance"] = sources, targets, distances
    return _process_mst(edges)


def prim_spanning_tree(
    points: np.ndarray, core: np.ndarray, block_size: int = BLOCK_SIZE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prim's minimum spanning tree of the mutual reachability distances
    max(core_i, core_j, |x_i − x_j|) of the float64 ``points``, from cell 0, in
    scikit-learn's order of edges: sources, targets and distances."""
    order, starts = spatial_blocks(points, block_size)
    return prim_in_blocks(points, core, order, starts)


def spatial_blocks(points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells in blocks of at most ``size`` nearby cells (each block split in two at the
    median of its widest dimension until small enough): the cells block by block, and
    where each block starts (with the number of cells at the end)."""
    order = np.arange(len(points))
    pending, starts = [(0, len(points))], [len(points)]
    while pending:
        start, end = pending.pop()
        if end - start <= size:
            starts.append(start)
            continue
        part = points[order[start:end]]
        widest = int(np.argmax(part.max(0) - part.min(0)))
        middle = (end - start) // 2
        order[start:end] = order[start:end][np.argpartition(part[:, widest], middle)]
        pending += [(start, start + middle), (start + middle, end)]
    return order, np.array(sorted(starts), dtype=np.int64)


def _prim_in_blocks(
    points: np.ndarray, core: np.ndarray, members: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, n_dims = points.shape
    n_blocks = len(starts) - 1
    low = np.full((n_blocks, n_dims), np.inf)
    high = np.full((n_blocks, n_dims), -np.inf)
    min_core = np.full(n_blocks, np.inf)
    block_of = np.empty(n, np.int64)
    for b in range(n_blocks):
        for m in range(starts[b], starts[b + 1]):
            j = members[m]
            block_of[j] = b
            min_core[b] = min(min_core[b], core[j])
            for d in range(n_dims):
                low[b, d] = min(low[b, d], points[j, d])
                high[b, d] = max(high[b, d], points[j, d])
    largest = np.finfo(np.float64).max
    # Over each block's cells outside the tree: the largest reachability, the smallest and
    # its cell (-1: none).
    block_top = np.full(n_blocks, np.inf)
    block_reach = np.full(n_blocks, largest)
    block_cell = np.full(n_blocks, -1, np.int64)
    sources = np.empty(n - 1, np.int64)
    targets = np.empty(n - 1, np.int64)
    distances = np.empty(n - 1, np.float64)
    in_tree = np.zeros(n, np.bool_)
    reach = np.full(n, np.inf)
    reach_source = np.ones(n, np.int64)
    current = 0
    for step in range(n - 1):
        in_tree[current] = True
        current_core = core[current]
        for b in range(n_blocks):
            if b != block_of[current]:  # that block lost a cell to the tree: always redone
                bound = max(current_core, min_core[b])
                if bound >= block_top[b]:
                    continue
                squared = 0.0  # to the bounding box: at most the distance to any cell in it
                for d in range(n_dims):
                    x = points[current, d]
                    if x < low[b, d]:
                        difference = x - low[b, d]
                    elif x > high[b, d]:
                        difference = x - high[b, d]
                    else:
                        difference = 0.0
                    squared += difference * difference
                if max(bound, np.sqrt(squared)) >= block_top[b]:
                    continue
            found_reach, found_cell, top = largest, -1, -np.inf
            for m in range(starts[b], starts[b + 1]):
                j = members[m]
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
                if reach[j] < found_reach or (reach[j] == found_reach and j < found_cell):
                    found_reach, found_cell = reach[j], j
                top = max(top, reach[j])
            block_reach[b], block_cell[b], block_top[b] = found_reach, found_cell, top
        new_reach, new_cell = largest, -1
        for b in range(n_blocks):  # the first of equal ones wins, as in scikit-learn's loop
            if block_cell[b] >= 0 and (
                block_reach[b] < new_reach
                or (block_reach[b] == new_reach and block_cell[b] < new_cell)
            ):
                new_reach, new_cell = block_reach[b], block_cell[b]
        if new_cell < 0:  # scikit-learn's loop leaves its initial edge (0, 0) then
            sources[step], targets[step] = 0, 0
        else:
            sources[step], targets[step] = reach_source[new_cell], new_cell
        distances[step] = new_reach
        current = max(new_cell, 0)
    return sources, targets, distances


# Compiled (or loaded from numba's disk cache) when the module is imported, which
# background_imports.py does beside UMAP's layout: off the path of the run.
prim_in_blocks = jit(
    _prim_in_blocks,
    "Tuple((i8[::1], i8[::1], f8[::1]))(f8[:, ::1], f8[::1], i8[::1], i8[::1])",
    nogil=True,
)
