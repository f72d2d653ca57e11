"""Scoring clusters against manual gates: F-measure (Weber & Robinson 2016), the FlowCAP-I
variant, NMI, ARI and the per-population table."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from cytomoe.core.errors import InputError


@dataclass
class Evaluation:
    f_measure: float  # Hungarian one-to-one, unweighted mean over populations (primary)
    f_measure_flowcap: float  # best cluster per population, weighted by population size
    nmi: float
    ari: float
    populations: pd.DataFrame  # population, size, cluster, precision, recall, f1
    confusion: pd.DataFrame  # population x cluster counts
    n_labelled: int

    def to_dict(self) -> dict:
        return {
            "f_measure": self.f_measure,
            "f_measure_flowcap": self.f_measure_flowcap,
            "nmi": self.nmi,
            "ari": self.ari,
            "n_labelled": self.n_labelled,
            "populations": self.populations.to_dict(orient="records"),
        }


def evaluate(
    truth: Sequence | np.ndarray | pd.Series, clusters: Sequence[int] | np.ndarray | pd.Series
) -> Evaluation:
    """Score ``clusters`` (one id per event) against ``truth`` (one label per event; missing
    values, i.e. None/NaN, are unlabelled events and are dropped)."""
    truth = pd.Series(truth, dtype=object).reset_index(drop=True)
    clusters = pd.Series(np.asarray(clusters)).reset_index(drop=True)
    if len(truth) != len(clusters):
        raise InputError(f"{len(truth)} labels for {len(clusters)} events.")
    labelled = truth.notna().to_numpy()
    if not labelled.any():
        raise InputError("No event has a manual label, so there is nothing to score.")
    truth_labelled, clusters_labelled = truth[labelled].astype(str), clusters[labelled]
    confusion = pd.crosstab(truth_labelled, clusters_labelled)
    counts = confusion.to_numpy(dtype=np.float64)
    sizes, cluster_sizes = counts.sum(axis=1), counts.sum(axis=0)
    precision = counts / cluster_sizes[None, :]
    recall = counts / sizes[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    rows, cols = linear_sum_assignment(f1, maximize=True)
    matched = dict(zip(rows, cols, strict=True))
    table = pd.DataFrame(
        {
            "population": confusion.index.astype(str),
            "size": sizes.astype(int),
            "cluster": [
                confusion.columns[matched[i]] if i in matched else None for i in range(len(sizes))
            ],
            "precision": [
                precision[i, matched[i]] if i in matched else 0.0 for i in range(len(sizes))
            ],
            "recall": [recall[i, matched[i]] if i in matched else 0.0 for i in range(len(sizes))],
            "f1": [f1[i, matched[i]] if i in matched else 0.0 for i in range(len(sizes))],
        }
    )
    return Evaluation(
        f_measure=float(table["f1"].mean()),
        f_measure_flowcap=float((f1.max(axis=1) * sizes).sum() / sizes.sum()),
        nmi=float(normalized_mutual_info_score(truth_labelled, clusters_labelled)),
        ari=float(adjusted_rand_score(truth_labelled, clusters_labelled)),
        populations=table,
        confusion=confusion,
        n_labelled=int(labelled.sum()),
    )
