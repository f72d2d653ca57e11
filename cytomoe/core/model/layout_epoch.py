"""One epoch of UMAP's 2-D layout, as ``umap.layouts`` computes it, in a kernel written for
the one case cytomoe runs: two dimensions, head and tail the same embedding, no densMAP.

UMAP's kernel is general in all three, so each sampled edge walks short loops over the
dimensions and tests densMAP's flag. Here the two coordinates live in registers and the
point moved by the negative samples is written once per sample. The arithmetic is UMAP's
operation for operation, in its types: the squared distance summed in float32 (as
``umap.layouts.rdist`` declares it), the gradient in float64, each coordinate rounded to
float32 after each step, compiled with the same fastmath options, so that the layout is
the same bit for bit (tests/test_layout_epoch.py, tests/test_embedding.py).
"""

from functools import partial

import numba
import numpy as np
from umap.utils import tau_rand_int  # UMAP's random draws, to draw its negative samples

from cytomoe.core.model.compiled import jit

GRADIENT_CLIP = 4.0  # UMAP's clip()
NEGATIVE_DISTANCE_FLOOR = 0.001  # UMAP's repulsion: (0.001 + d²) in the denominator


@partial(jit, fastmath=True, inline="always")
def _clipped(value: float) -> float:
    if value > GRADIENT_CLIP:
        return GRADIENT_CLIP
    if value < -GRADIENT_CLIP:
        return -GRADIENT_CLIP
    return value


@partial(jit, fastmath=True, inline="always", locals={"squared": numba.float32})
def _squared_distance(diff_0: float, diff_1: float) -> float:
    """UMAP's ``rdist`` of two points whose coordinates differ by ``diff_0`` and ``diff_1``:
    summed in float32, as it declares its sum."""
    squared = np.float32(0.0)
    squared += diff_0 * diff_0
    squared += diff_1 * diff_1
    return squared


def _layout_epoch(
    embedding: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    n_vertices: int,
    epochs_per_sample: np.ndarray,
    a: float,
    b: float,
    rng_state_per_vertex: np.ndarray,
    alpha: float,
    epochs_per_negative_sample: np.ndarray,
    next_negative_sample: np.ndarray,
    next_sample: np.ndarray,
    epoch: int,
) -> None:
    for i in range(epochs_per_sample.shape[0]):
        if next_sample[i] > epoch:
            continue
        j = head[i]
        k = tail[i]
        current_0, current_1 = embedding[j, 0], embedding[j, 1]
        other_0, other_1 = embedding[k, 0], embedding[k, 1]
        diff_0, diff_1 = current_0 - other_0, current_1 - other_1
        distance_squared = _squared_distance(diff_0, diff_1)
        if distance_squared > 0.0:
            coefficient = -2.0 * a * b * pow(distance_squared, b - 1.0)
            coefficient /= a * pow(distance_squared, b) + 1.0
        else:
            coefficient = 0.0
        # UMAP moves both ends one coordinate after the other. Reading both coordinates
        # first is the same: for j == k the distance is 0, and so is every step.
        step = _clipped(coefficient * diff_0)
        embedding[j, 0] = current_0 + step * alpha
        embedding[k, 0] = other_0 + -step * alpha
        step = _clipped(coefficient * diff_1)
        embedding[j, 1] = current_1 + step * alpha
        embedding[k, 1] = other_1 + -step * alpha
        next_sample[i] += epochs_per_sample[i]

        n_negative = int((epoch - next_negative_sample[i]) / epochs_per_negative_sample[i])
        current_0, current_1 = embedding[j, 0], embedding[j, 1]
        state = rng_state_per_vertex[j]
        for _ in range(n_negative):
            k = tau_rand_int(state) % n_vertices
            diff_0, diff_1 = current_0 - embedding[k, 0], current_1 - embedding[k, 1]
            distance_squared = _squared_distance(diff_0, diff_1)
            if distance_squared > 0.0:
                coefficient = 2.0 * b
                coefficient /= (NEGATIVE_DISTANCE_FLOOR + distance_squared) * (
                    a * pow(distance_squared, b) + 1
                )
            elif j == k:
                continue
            else:
                coefficient = 0.0
            if coefficient > 0.0:
                current_0 = np.float32(current_0 + _clipped(coefficient * diff_0) * alpha)
                current_1 = np.float32(current_1 + _clipped(coefficient * diff_1) * alpha)
                embedding[j, 0] = current_0
                embedding[j, 1] = current_1
        next_negative_sample[i] += n_negative * epochs_per_negative_sample[i]


_FLOAT32_LOCALS = {
    name: numba.float32
    for name in ("current_0", "current_1", "other_0", "other_1", "diff_0", "diff_1")
}
layout_epoch = jit(_layout_epoch, fastmath=True, nogil=True, locals=_FLOAT32_LOCALS)
layout_epoch.__doc__ = """One epoch (number ``epoch``) of UMAP's layout with learning rate
``alpha``: ``embedding`` (float32, n x 2) and the sampling state arrays change in place,
as ``umap.layouts._optimize_layout_euclidean_single_epoch`` changes them (gamma 1)."""
