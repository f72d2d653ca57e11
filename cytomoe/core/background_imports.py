"""Modules imported in a thread beside work that releases the interpreter lock: UMAP beside
the Canberra neighbour search (similarity.py), and what an analysis needs after its
embedding beside UMAP's layout (embedding.py).

The layout is one thread of numba code, so on a machine with two or more cores the imports
of torch, AnnData and the report's libraries overlap it instead of adding to the run
(benchmarks/RESULTS.md). Only modules are imported here and no data is touched, so the
results are the same with or without the thread."""

import importlib
import threading
from collections.abc import Sequence

AFTER_EMBEDDING = (
    "cytomoe.core.model.training",  # torch, the network and the optimiser
    "sklearn.cluster",  # HDBSCAN, for the populations
    "cytomoe.core.model.reachability_tree",  # and its spanning tree's compiled kernel
    "cytomoe.core.model.pair_kernels",  # the similarity loss's compiled passes
    "anndata",  # clusters.h5ad
    "PIL.Image",  # report.html's density images
)


def import_in_background(names: Sequence[str] = AFTER_EMBEDDING) -> threading.Thread:
    """Start importing ``names`` in a daemon thread. Another thread importing one of them
    meanwhile waits until it is done (Python locks each module while it is imported)."""
    thread = threading.Thread(target=_import_each, args=(names,), name="imports", daemon=True)
    thread.start()
    return thread


def _import_each(names: Sequence[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the code that needs the module imports it again and reports the error there
            pass
