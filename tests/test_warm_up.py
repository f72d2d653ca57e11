"""Loading ahead (core/analysis/warm_up.py): after `warm_up`, an analysis's embedding finds
every one of UMAP's kernels compiled for the types it calls them with."""

import sys

import numpy as np


def test_after_warming_up_an_embedding_compiles_no_kernel_again():
    from cytomoe.core.analysis.warm_up import warm_up
    from cytomoe.core.model import embedding
    from cytomoe.core.model.layout_epoch import layout_epoch
    from cytomoe.core.model.similarity import CANBERRA_OFFSET, embed_with_canberra_umap

    stages = []
    warm_up(lambda progress: stages.append(progress.stage))
    assert stages == ["prepare"]
    graph_kernels = ("umap.umap_.smooth_knn_dist", "umap.umap_.compute_membership_strengths")
    kernels = {name: embedding._compiled[name] for name in graph_kernels}
    kernels["layout_epoch"] = layout_epoch
    assert all(len(kernel.signatures) == 1 for kernel in kernels.values())
    for module in ("torch", "anndata", "cytomoe.core.model.pair_kernels"):
        assert module in sys.modules  # what an analysis needs after its embedding
    # as PopulationSimilarity.prepare calls it: another size, another panel
    cells = np.random.default_rng(1).lognormal(size=(800, 8))
    embed_with_canberra_umap(np.asarray(cells, dtype=np.float32) + CANBERRA_OFFSET, 15, 1)
    for name, dispatcher in kernels.items():
        assert len(dispatcher.signatures) == 1, f"{name} was compiled again for other types"
