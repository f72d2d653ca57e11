"""The layout's epochs with cytomoe's two-dimensional kernel against UMAP's own, in one process.

    python benchmarks/layout_epoch.py [--cells 20000] [--repeats 3]

Multi-Center CyTOF cells (samples 1-3, 8 markers, arcsinh with cofactor 5, scaled to [0, 1]
and offset as the similarity embeds them) are drawn to the size of a run's training cells;
their Canberra neighbour graph is built once. Then ``umap_layout`` lays them out (spectral
initialisation and 200 epochs) with each kernel in turn, alternating, and the table gives
the seconds of each whole layout and whether the two layouts are equal bit for bit.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import draw, multicenter_cells  # noqa: E402

from cytomoe.core.model import layout_epoch as kernels  # noqa: E402
from cytomoe.core.model.embedding import (  # noqa: E402
    cached_jit,
    fuzzy_graph_from_neighbours,
    umap_layout,
)
from cytomoe.core.model.similarity import CANBERRA_OFFSET, canberra_neighbours  # noqa: E402

N_NEIGHBORS = 15


def umaps_epoch(embedding, head, tail, n_vertices, *state) -> None:
    """UMAP's general kernel, called as the two-dimensional one is."""
    (epochs_per_sample, a, b, rng, alpha, per_negative, next_negative, next_sample, n) = state
    unused = np.zeros(1, dtype=np.float32)  # densMAP's arrays, off
    cached_jit("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch")(
        embedding, embedding, head, tail, n_vertices, epochs_per_sample, a, b, rng, 1.0, 2,
        True, alpha, per_negative, next_negative, next_sample, n, False, unused, unused,
        0, 0, 0, 0, unused, unused, 0,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cells = np.arcsinh(draw(multicenter_cells(), args.cells, 0).to_numpy(np.float64) / 5.0)
    low, high = cells.min(0), cells.max(0)
    cells = ((cells - low) / (high - low) + CANBERRA_OFFSET).astype(np.float32)
    graph = fuzzy_graph_from_neighbours(*canberra_neighbours(cells, N_NEIGHBORS), N_NEIGHBORS)
    ours = kernels.layout_epoch
    rows, layouts = [], {}
    for repeat in range(args.repeats):
        for name, kernel in (("UMAP's kernel", umaps_epoch), ("cytomoe's kernel", ours)):
            kernels.layout_epoch = kernel
            started = time.perf_counter()
            layouts[name] = umap_layout(cells, graph, seed=0)
            rows.append(
                {"kernel": name, "run": repeat + 1, "layout s": time.perf_counter() - started}
            )
    kernels.layout_epoch = ours
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"))
    equal = np.array_equal(*layouts.values(), equal_nan=True)
    print(
        f"\n{args.cells:,} cells, {graph.nnz:,} edges; the layouts are equal bit for bit: {equal}"
    )
    return 0 if equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
