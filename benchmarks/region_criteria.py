"""How far to merge the regions of the embedding: F of the merged regions on every sample
for a range of thresholds of a link criterion, and the threshold chosen leaving one data-set
family out.

Reads the embeddings that ``compare_methods.py`` saves for each cytomoe run
(benchmarks/output/embeddings/), rebuilds the training cells and UMAP's fuzzy Canberra
graph of them, finds the regions as the similarity does, then merges the most linked pair
of regions, one merge at a time, recording F (training cells; cells outside every region
take the region of their nearest training cells) after each merge.

    python benchmarks/region_criteria.py [--seed 0]
"""

import numpy as np
import pandas as pd
from compare_methods import OUTPUT, scaled_training_cells, sweep_kept_embeddings
from suite import load

from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.similarity import (
    CANBERRA_OFFSET,
    fuzzy_graph,
    min_population_size,
    population_links,
    populations_with_rare_ones,
)

SHARES = [0.005, 0.01, 0.02]  # smallest main region, share of the training cells
SELECTIONS = ["eom", "leaf"]  # HDBSCAN's cluster selection
THRESHOLDS = [0.002, 0.003, 0.005, 0.007, 0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1, np.inf]


def fill_outside(data: np.ndarray, populations: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import KNeighborsClassifier

    inside = populations >= 0
    if inside.all() or not inside.any():
        return np.where(inside, populations, 0)
    classifier = KNeighborsClassifier(n_neighbors=min(15, int(inside.sum())))
    filled = populations.copy()
    filled[~inside] = classifier.fit(data[inside], populations[inside]).predict(data[~inside])
    return filled


def merge_path(graph, populations: np.ndarray):
    """Yield (link of the merge about to happen, populations) from no merge to one region."""
    labels = populations.copy()
    while True:
        ids = np.unique(labels[labels >= 0])
        if len(ids) <= 1:
            yield 0.0, labels
            return
        _, compact = np.unique(labels[labels >= 0], return_inverse=True)
        current = np.full(len(labels), -1)
        current[labels >= 0] = compact
        link = population_links(graph, current)
        np.fill_diagonal(link, -np.inf)
        a, b = sorted(np.unravel_index(np.argmax(link), link.shape))
        yield float(link[a, b]), current
        labels = current.copy()
        labels[labels == b] = a


def sweep(name: str, seed: int) -> pd.DataFrame:
    cache = np.load(OUTPUT / "embeddings" / f"{name}_seed{seed}.npz")
    sample = load(name)
    model = MoESimVAE(seed=seed)
    rows, data, _ = scaled_training_cells(model, sample)
    assert np.array_equal(rows, cache["rows"])
    graph = fuzzy_graph(data + CANBERRA_OFFSET, 15)
    truth = sample.truth.iloc[rows].reset_index(drop=True)
    records = []
    for share, selection in [(share, selection) for share in SHARES for selection in SELECTIONS]:
        main_size = max(
            min_population_size(len(rows), 0.001), min_population_size(len(rows), share)
        )
        regions = populations_with_rare_ones(
            cache["embedding"], main_size, min_population_size(len(rows), 0.001), 15, selection
        )
        # Cells outside every region take their nearest region, and follow it through merges.
        filled = fill_outside(data, regions)
        inside = regions >= 0
        path = []
        for link, labels in merge_path(graph, regions):
            label_of_region = np.zeros(regions.max() + 1, dtype=np.int64)
            label_of_region[regions[inside]] = labels[inside]
            path.append((link, label_of_region[filled]))
        for threshold in THRESHOLDS:
            # Merging stops at the first merge whose link is below the threshold.
            step = next((i for i, (link, _) in enumerate(path) if link < threshold), len(path) - 1)
            clusters = path[step][1]
            score = evaluate(truth, clusters)
            records.append(
                {
                    "sample": name,
                    "family": sample.family,
                    "share": share,
                    "selection": selection,
                    "threshold": threshold,
                    "F": score.f_measure,
                    "clusters": len(np.unique(clusters)),
                    "populations": sample.n_populations,
                }
            )
    return pd.DataFrame(records)


def leave_one_family_out(table: pd.DataFrame) -> pd.DataFrame:
    """Per family: the setting with the best mean F over the other families' samples, and
    the F it gives on this family."""
    keys = ["share", "selection", "threshold"]
    rows = []
    for family in table["family"].unique() if table["family"].nunique() > 1 else []:
        others = table[table["family"] != family].groupby(keys)["F"].mean()
        chosen = dict(zip(keys, others.idxmax(), strict=True))
        own = table[table["family"] == family]
        for key, value in chosen.items():
            own = own[own[key] == value]
        rows.append({"left out": family, **chosen, "F on it": own["F"].mean()})
    return pd.DataFrame(rows)


def main() -> int:
    table = sweep_kept_embeddings(__doc__.splitlines()[0], sweep, "region_criteria.csv")
    keys = ["share", "selection", "threshold"]
    family = table.groupby([*keys, "family"])["F"].mean().unstack("family")
    family["mean"] = table.groupby(keys)["F"].mean()
    ratio = table.assign(r=table["clusters"] / table["populations"])
    family["median clusters/pops"] = ratio.groupby(keys)["r"].median()
    print(family.round(3).to_string())
    print(leave_one_family_out(table).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
