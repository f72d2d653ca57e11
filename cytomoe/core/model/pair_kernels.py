"""The similarity loss's elementwise passes over the B × B pairs of a batch, compiled.

In torch the forward pass is four passes over the pairs (clamp, 1 − x, where, ==) and the
backward pass three more (where, division, where), each reading and writing B² values from
memory; here each is one loop. The arithmetic is torch's operation for operation in
float32 (a clamp, a subtraction from one, a division), so the loss and its gradient are the
same bit for bit (tests/test_model.py)."""

import numpy as np

from cytomoe.core.model.compiled import jit


def _chosen_pairs(
    pairs: np.ndarray,
    similarity: np.ndarray,
    low: np.float32,
    high: np.float32,
    chosen: np.ndarray,
    unclamped: np.ndarray,
) -> None:
    """``chosen``: the pair probabilities clamped to [low, high] where S holds and one minus
    them where it does not; ``unclamped``: where the clamp left them as they were."""
    one = np.float32(1.0)
    n_rows, n_columns = pairs.shape
    for i in range(n_rows):
        for j in range(n_columns):
            value = pairs[i, j]
            same = min(max(value, low), high)
            chosen[i, j] = same if similarity[i, j] else one - same
            unclamped[i, j] = same == value


def _pair_gradient(
    chosen: np.ndarray,
    similarity: np.ndarray,
    unclamped: np.ndarray,
    per_pair: np.float32,
    gradient: np.ndarray,
) -> None:
    """``gradient``: ±``per_pair`` / ``chosen`` (minus where S does not hold), zero where the
    pair was clamped."""
    zero = np.float32(0.0)
    n_rows, n_columns = chosen.shape
    for i in range(n_rows):
        for j in range(n_columns):
            signed = (per_pair if similarity[i, j] else -per_pair) / chosen[i, j]
            gradient[i, j] = signed if unclamped[i, j] else zero


# Compiled (or loaded from numba's disk cache) when the module is imported, which
# background_imports.py does beside UMAP's layout.
chosen_pairs = jit(
    _chosen_pairs, "void(f4[:, ::1], b1[:, ::1], f4, f4, f4[:, ::1], b1[:, ::1])", nogil=True
)
pair_gradient = jit(
    _pair_gradient, "void(f4[:, ::1], b1[:, ::1], b1[:, ::1], f4, f4[:, ::1])", nogil=True
)
