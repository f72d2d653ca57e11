"""Which events train the model: an even share of every group (well), so that no well
dominates the training cells however many events it holds."""

import numpy as np


def even_subsample(groups: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` row indices spread evenly over the groups (e.g. wells), sorted.

    Every group gets the same quota; groups smaller than it give all their rows and the
    rest is shared among the others."""
    groups = np.asarray(groups)
    if n >= len(groups):
        return np.arange(len(groups))
    names, codes = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(codes == g) for g in range(len(names))]
    remaining, open_groups, quota = n, sorted(range(len(names)), key=lambda g: len(members[g])), {}
    while open_groups:
        share = remaining // len(open_groups)
        group = open_groups[0]
        if len(members[group]) <= share:
            quota[group] = len(members[group])
            remaining -= quota[group]
            open_groups.pop(0)
            continue
        for position, group in enumerate(open_groups):  # the rest all have more than the share
            quota[group] = share + (1 if position < remaining - share * len(open_groups) else 0)
        break
    chosen = [rng.choice(members[g], quota[g], replace=False) for g in range(len(names))]
    return np.sort(np.concatenate(chosen))
