"""How many populations the similarity should give at least: F of its populations,
subdivided up to a minimum (cytomoe/core/model/subdivision.py), on every sample, and the
minimum chosen leaving one data-set family out.

Reads the embeddings and regions (the populations before subdivision) that
``compare_methods.py`` keeps for each cytomoe or regions run (benchmarks/output/embeddings/),
so no embedding is computed again; scores the training cells. Two ways to subdivide are
compared: the shipped one (regions smaller than one unit kept, the rest tiled) and tiling
every cell.

    python benchmarks/minimum_populations.py [--seed 0] [--samples ...]
"""

import numpy as np
import pandas as pd
from compare_methods import OUTPUT, scaled_training_cells, sweep_kept_embeddings
from suite import load

from cytomoe.core.evaluation.fmeasure import evaluate
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.subdivision import subdivide_populations

MINIMUMS = [1, 8, 9, 10, 11, 12, 13, 15, 20]  # 1: no subdivision
KEYS = ["strategy", "minimum"]


def tile_every_cell(data: np.ndarray, regions: np.ndarray, minimum: int, seed: int) -> np.ndarray:
    """The alternative: no region is kept when there are too few of them."""
    if regions.max() + 1 >= minimum:
        return regions
    return subdivide_populations(data, np.zeros_like(regions), minimum, seed)


STRATEGIES = {
    "keep rare regions (shipped)": subdivide_populations,
    "tile every cell": tile_every_cell,
}


def sweep(name: str, seed: int) -> pd.DataFrame:
    cache = np.load(OUTPUT / "embeddings" / f"{name}_seed{seed}.npz")
    sample = load(name)
    rows, data, _ = scaled_training_cells(MoESimVAE(seed=seed), sample)
    assert np.array_equal(rows, cache["rows"])
    truth = sample.truth.iloc[rows].reset_index(drop=True)
    records = []
    for strategy, subdivide in STRATEGIES.items():
        for minimum in MINIMUMS:
            populations = subdivide(data, cache["regions"], minimum, seed)
            records.append(
                {
                    "sample": name,
                    "family": sample.family,
                    "strategy": strategy,
                    "minimum": minimum,
                    "F": evaluate(truth, populations).f_measure,
                    "clusters": len(np.unique(populations)),
                    "populations": sample.n_populations,
                }
            )
    return pd.DataFrame(records)


def family_means(table: pd.DataFrame) -> pd.Series:
    """Mean F of each family, then their mean: each data set counts once, however many
    samples it has."""
    return table.groupby([*KEYS, "family"])["F"].mean().groupby(KEYS).mean()


def leave_one_family_out(table: pd.DataFrame) -> pd.DataFrame:
    """Per family: the setting with the best mean of family means over the other families,
    and the F it gives on this family beside no subdivision and the family's own best."""
    rows = []
    for family in table["family"].unique():
        strategy, minimum = family_means(table[table["family"] != family]).idxmax()
        own = table[table["family"] == family].groupby(KEYS)["F"].mean()
        best = own.idxmax()
        rows.append(
            {
                "left out": family,
                "chosen on the others": f"{strategy}, {minimum}",
                "F on it": own[(strategy, minimum)],
                "no subdivision": own[(strategy, 1)],
                "its own best": f"{own.max():.3f} ({best[0]}, {best[1]})",
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    table = sweep_kept_embeddings(__doc__.splitlines()[0], sweep, "minimum_populations.csv")
    family = table.groupby([*KEYS, "family"])["F"].mean().unstack("family")
    family["mean over samples"] = table.groupby(KEYS)["F"].mean()
    family["mean of families"] = family_means(table)
    ratio = table.assign(r=table["clusters"] / table["populations"])
    family["median clusters/pops"] = ratio.groupby(KEYS)["r"].median()
    print(family.round(3).to_markdown())
    print()
    print(leave_one_family_out(table).round(3).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
