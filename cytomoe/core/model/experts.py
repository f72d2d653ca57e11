"""From experts to clusters: silence experts left without a population, merge experts that
share one, and sum the gate's probabilities per cluster.

Every cell goes to the expert with the highest gate probability. Experts that receive no
training cells are silenced, and so are experts left with fewer training cells than the
smallest population the similarity allows (``min_population_share``, at least 10 cells;
their cells go to their next most probable expert). Experts whose training cells the
similarity puts in one population are then merged into one cluster. ``n_experts`` is thus an
upper bound: the populations of the similarity (similarity.py) decide the number.
"""

import numpy as np
from scipy.sparse.csgraph import connected_components

MERGE_OVERLAP = 0.5  # share of same-population pairs between two experts that joins them


def keep_populated_experts(
    probabilities: np.ndarray, min_cells: int
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Experts that keep at least ``min_cells`` of the training cells, largest first.

    Experts with no cells are silent (the paper's mechanism); experts with fewer than the
    smallest population the similarity allows are silenced too, one at a time from the
    smallest, and their cells go to their next most probable expert. Returns the kept
    experts, each cell's expert and the cells per expert."""
    kept = np.ones(probabilities.shape[1], dtype=bool)
    while True:
        expert = np.where(kept, probabilities, -1.0).argmax(1)
        counts = np.bincount(expert, minlength=probabilities.shape[1])
        small = np.flatnonzero(kept & (counts < min_cells))
        if len(small) == 0 or kept.sum() == 1:
            break
        kept[small[np.argmin(counts[small])]] = False
    order = [int(k) for k in np.argsort(-counts, kind="stable") if kept[k] and counts[k] > 0]
    return order, expert, counts


def merge_experts_of_one_population(
    experts: list[int], expert: np.ndarray, populations: np.ndarray
) -> list[list[int]]:
    """Group ``experts`` whose training cells the similarity puts in the same population.

    ``expert`` and ``populations`` give each training cell's expert and similarity
    population (-1: none). With c_a the share of expert a's cells in each population, the
    share of same-population pairs between a and b is c_a · c_b; experts linked by at least
    ``MERGE_OVERLAP`` (directly or through others) form one cluster. Why: a population
    whose cells the gate splits evenly between two experts is a stationary point of the
    similarity loss (the gradient of P Pᵀ vanishes at the even split), and DEPICT's
    balancing target holds it there. The similarity says they are one population.
    Returns the groups in the order of ``experts``' first members."""
    n_populations = int(populations.max()) + 1 if len(populations) else 0
    composition = np.zeros((len(experts), max(1, n_populations)))
    for row, k in enumerate(experts):
        cells = expert == k
        counted = populations[cells & (populations >= 0)]
        composition[row, :n_populations] = np.bincount(counted, minlength=n_populations)
        composition[row] /= max(1, int(cells.sum()))
    linked = composition @ composition.T >= MERGE_OVERLAP
    np.fill_diagonal(linked, True)
    _, component = connected_components(linked, directed=False)
    groups: dict[int, list[int]] = {}
    for row, k in enumerate(experts):
        groups.setdefault(int(component[row]), []).append(k)
    return list(groups.values())


def cluster_probabilities(probabilities: np.ndarray, clusters: list[list[int]]) -> np.ndarray:
    """Expert probabilities summed per cluster (cluster c is the experts ``clusters[c]``),
    renormalised without the silenced experts."""
    kept = np.stack([probabilities[:, experts].sum(1) for experts in clusters], axis=1)
    return kept / np.clip(kept.sum(1, keepdims=True), 1e-12, None)
