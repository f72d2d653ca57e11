"""What an analysis loads before it reaches its first cell, loaded ahead of it.

An analysis in a new process first imports torch, scikit-learn, UMAP and AnnData and loads
numba's compiled kernels (UMAP's graph and layout, our spanning tree and loss passes): a few
seconds, and on a machine's first run their compilation besides (about 15 s; numba keeps
the result on disk). `warm_up` does all of it by embedding a small table of random cells,
which calls every kernel with the types an analysis calls it with. The desktop app's
compute process (gui/worker.py) runs it as it starts, while the user opens data and picks
markers, so that a training starts at once. Nothing is cached or written but numba's own
compiled code.
"""

import numpy as np

from cytomoe.core.progress import ProgressCallback, report

WARM_UP_CELLS = 300  # enough for a connected neighbour graph; the layout takes milliseconds


def warm_up(progress: ProgressCallback | None = None) -> None:
    """Import what an analysis needs and load (or compile) its numba kernels."""
    report(progress, "prepare", 0, None, "Loading the analysis libraries")
    from cytomoe.core.analysis import pipeline  # noqa: F401 - what the app's jobs run
    from cytomoe.core.model.similarity import (
        CANBERRA_OFFSET,
        MAX_MARKERS_AS_EMBEDDING,
        embed_with_canberra_umap,
    )

    shape = (WARM_UP_CELLS, MAX_MARKERS_AS_EMBEDDING + 1)  # the fewest markers UMAP embeds
    cells = np.random.default_rng(0).random(shape, dtype=np.float32)
    # the layout imports the modules needed after an embedding, and waits for them
    embed_with_canberra_umap(cells + CANBERRA_OFFSET, n_neighbors=15, seed=0)
