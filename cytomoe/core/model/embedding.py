"""UMAP's fuzzy graph and 2-D layout, step by step, so that each step reports its progress
and nothing compiles anew in every process.

``umap.UMAP.fit`` on precomputed neighbours spends much of a short run compiling numba code
that it never caches (the fuzzy simplicial set and the layout epoch), and reports nothing
while it runs. Here is the same construction with the same defaults (``min_dist`` 0,
spread 1, 200 epochs above 10,000 cells and 500 below, spectral initialisation, one
thread) and the same draws from the seed, calling UMAP's own numba functions for the
graph compiled again with numba's on-disk cache (``cached_jit``): the same machine code,
so the same graph bit for bit (tests/test_embedding.py), compiled once per machine instead
of once per process. The layout's epochs run a kernel for UMAP's case of two dimensions
(layout_epoch.py), UMAP's arithmetic in fewer instructions, so the same layout bit for
bit. A numpy port of the graph was tried first: its float32 ``exp``
differs from numba's in the last bit for a third of the edges, and the layout, chaotic
in its inputs, then ends elsewhere. Our loop over the epochs reports progress with an
ETA and checks for cancellation. The layout's kernel releases the interpreter lock
(numba's ``nogil``), and once its
first epoch has run the modules needed after the embedding are imported in a thread beside
it (background_imports.py), on a core the layout leaves idle. The spectral
initialisation keeps BLAS's threads: held to one thread it returns slightly other
eigenvectors, the layout ends elsewhere, and the clusters of the barcode sample changed
beyond seed noise (benchmarks/RESULTS.md).
"""

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from cytomoe.core.background_imports import import_in_background
from cytomoe.core.model.compiled import jit
from cytomoe.core.progress import CancelCheck, ProgressCallback, check_cancel, report

NEGATIVE_SAMPLE_RATE = 5
UMAP_MODULES = ("umap.umap_", "umap.layouts", "umap.spectral")  # what the steps below use
SMALL_GRAPH = 10_000  # UMAP runs 500 epochs up to this many cells, 200 above
REPORT_EPOCHS = 10  # epochs between progress reports
_compiled: dict[str, Callable] = {}  # UMAP's numba functions, compiled with the disk cache


def cached_jit(module: str, name: str) -> Callable:
    """UMAP's numba function ``module.name`` compiled with its own options, ``nogil`` and
    numba's on-disk cache where numba finds a folder for it (compiled.py)."""
    key = f"{module}.{name}"
    if key not in _compiled:
        import importlib

        dispatcher = getattr(importlib.import_module(module), name)
        options = {k: v for k, v in dispatcher.targetoptions.items() if k != "nopython"}
        options["nogil"] = True  # other threads run while it does; the same machine code
        _compiled[key] = jit(dispatcher.py_func, locals=dict(dispatcher.locals), **options)
    return _compiled[key]


def fuzzy_graph_from_neighbours(
    indices: np.ndarray, distances: np.ndarray, n_neighbors: int
) -> sp.csr_matrix:
    """UMAP's fuzzy simplicial set of the cells' kNN (each row's own index first), as
    ``umap.umap_.fuzzy_simplicial_set`` builds it from precomputed neighbours."""
    distances = np.asarray(distances, dtype=np.float32)
    n = len(indices)
    sigmas, rhos = cached_jit("umap.umap_", "smooth_knn_dist")(
        distances, float(n_neighbors), local_connectivity=1.0
    )
    rows, cols, values, _ = cached_jit("umap.umap_", "compute_membership_strengths")(
        indices, distances, sigmas, rhos, False
    )
    graph = sp.coo_matrix((values, (rows, cols)), shape=(n, n))
    graph.eliminate_zeros()
    transpose = graph.transpose()
    product = graph.multiply(transpose)
    union = 1.0 * (graph + transpose - product) + 0.0 * product  # UMAP's set_op_mix_ratio 1
    union.eliminate_zeros()
    return union.tocsr()


def umap_layout(
    data: np.ndarray,
    graph: sp.spmatrix,
    seed: int,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    share: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """UMAP's 2-D layout of ``graph`` (``data`` places disconnected components), as
    ``umap.UMAP(min_dist=0, random_state=seed)`` lays it out. Progress goes to the "embed"
    stage from ``share[0]`` to ``share[1]`` of its total of 2."""
    from umap.distances import named_distances
    from umap.spectral import spectral_layout
    from umap.umap_ import (
        INT32_MAX,
        INT32_MIN,
        find_ab_params,
        make_epochs_per_sample,
        noisy_scale_coords,
    )

    from cytomoe.core.model.layout_epoch import layout_epoch

    random_state = np.random.RandomState(seed)
    graph = graph.tocoo()
    graph.sum_duplicates()
    n_epochs = 500 if graph.shape[0] <= SMALL_GRAPH else 200
    graph.data[graph.data < graph.data.max() / float(n_epochs)] = 0.0
    graph.eliminate_zeros()
    report(progress, "embed", share[0], 2, "Spectral initialisation of the layout")
    init = spectral_layout(data, graph, 2, random_state, metric=named_distances["canberra"])
    init = noisy_scale_coords(init, random_state, max_coord=10, noise=0.0001)
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    rng_state = random_state.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    embedding = (10.0 * (init - init.min(0)) / (init.max(0) - init.min(0))).astype(
        np.float32, order="C"
    )
    a, b = find_ab_params(1.0, 0.0)
    per_negative_sample = epochs_per_sample / NEGATIVE_SAMPLE_RATE
    next_negative_sample = per_negative_sample.copy()
    next_sample = epochs_per_sample.copy()
    rng_per_sample = np.full((len(embedding), 3), rng_state, dtype=np.int64) + embedding[
        :, 0
    ].astype(np.float64).view(np.int64).reshape(-1, 1)
    head, tail = graph.row, graph.col
    started, alpha, imports = time.perf_counter(), 1.0, None
    try:
        for n in range(n_epochs):
            check_cancel(should_cancel)
            layout_epoch(
                embedding, head, tail, graph.shape[1], epochs_per_sample, a, b, rng_per_sample,
                alpha, per_negative_sample, next_negative_sample, next_sample, n,
            )  # fmt: skip
            if imports is None:  # after the first epoch, which may compile and needs the lock then
                imports = import_in_background()
            alpha = 1.0 - float(n) / float(n_epochs)
            if (n + 1) % REPORT_EPOCHS == 0 or n + 1 == n_epochs:
                elapsed = time.perf_counter() - started
                report(
                    progress,
                    "embed",
                    share[0] + (share[1] - share[0]) * (n + 1) / n_epochs,
                    2,
                    f"Layout epoch {n + 1} of {n_epochs}",
                    eta=elapsed / (n + 1) * (n_epochs - n - 1),
                )
    finally:
        if imports is not None:  # nothing imports beside the steps after it, nor at an exit
            imports.join()
    disconnected = np.asarray(graph.tocsr().sum(axis=1)).ravel() == 0
    embedding[disconnected] = np.nan  # as UMAP marks cells without any edge
    return embedding
