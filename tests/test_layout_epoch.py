"""The two-dimensional layout epoch moves every point as UMAP's own kernel does, bit for bit."""

import numpy as np
import pytest

from cytomoe.core.model.embedding import NEGATIVE_SAMPLE_RATE, cached_jit
from cytomoe.core.model.layout_epoch import layout_epoch

EPOCHS = 40


def sampling_state(weights: np.ndarray, n_vertices: int, seed: int) -> dict:
    from umap.umap_ import make_epochs_per_sample

    epochs_per_sample = make_epochs_per_sample(weights, EPOCHS)
    per_negative = epochs_per_sample / NEGATIVE_SAMPLE_RATE
    rng = np.random.default_rng(seed).integers(-(2**31), 2**31 - 1, (n_vertices, 3))
    return {
        "epochs_per_sample": epochs_per_sample,
        "per_negative": per_negative,
        "next_negative": per_negative.copy(),
        "next_sample": epochs_per_sample.copy(),
        "rng": rng.astype(np.int64),
    }


@pytest.fixture
def graph() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random edges among 300 points, with coincident points (distance 0), far pairs whose
    gradients UMAP clips, and a self-loop."""
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 10, (300, 2)).astype(np.float32)
    points[10:20] = points[9]  # coincident
    points[20:25] *= 1e-4  # very close to the origin and to each other
    head = rng.integers(0, 300, 3000).astype(np.int32)
    tail = rng.integers(0, 300, 3000).astype(np.int32)
    head[0] = tail[0] = 5
    weights = rng.uniform(0.05, 1.0, 3000)
    return points, head, tail, weights


def test_layout_epoch_moves_points_as_umaps_kernel_does(graph):
    from umap.umap_ import find_ab_params

    points, head, tail, weights = graph
    a, b = find_ab_params(1.0, 0.0)
    ours, umaps = points.copy(), points.copy()
    ours_state, umaps_state = sampling_state(weights, 300, 2), sampling_state(weights, 300, 2)
    umaps_epoch = cached_jit("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch")
    unused = np.zeros(1, dtype=np.float32)  # densMAP's arrays, off
    alpha = 1.0
    for n in range(EPOCHS):
        s = ours_state
        layout_epoch(
            ours, head, tail, 300, s["epochs_per_sample"], a, b, s["rng"], alpha,
            s["per_negative"], s["next_negative"], s["next_sample"], n,
        )  # fmt: skip
        s = umaps_state
        umaps_epoch(
            umaps, umaps, head, tail, 300, s["epochs_per_sample"], a, b, s["rng"], 1.0, 2,
            True, alpha, s["per_negative"], s["next_negative"], s["next_sample"], n, False,
            unused, unused, 0, 0, 0, 0, unused, unused, 0,
        )  # fmt: skip
        alpha = 1.0 - n / EPOCHS
        assert np.array_equal(ours, umaps), f"epoch {n}"
    for key in ours_state:
        assert np.array_equal(ours_state[key], umaps_state[key]), key
    assert not np.array_equal(ours, points)  # the points did move
