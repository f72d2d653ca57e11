import numpy as np
import pytest

from cytomoe.core.errors import InputError
from cytomoe.core.evaluation.fmeasure import evaluate


def test_perfect_clustering_scores_one_whatever_the_cluster_ids():
    truth = ["a"] * 5 + ["b"] * 3
    result = evaluate(truth, [7] * 5 + [2] * 3)
    assert result.f_measure == result.f_measure_flowcap == result.nmi == result.ari == 1.0
    assert result.populations.set_index("population")["cluster"].to_dict() == {"a": 7, "b": 2}


def test_fewer_clusters_than_populations_scores_the_unmatched_population_zero():
    # a: 4 cells, b: 2 cells, one cluster holding all 6.
    result = evaluate(["a"] * 4 + ["b"] * 2, [0] * 6)
    table = result.populations.set_index("population")
    # a matches the cluster: precision 4/6, recall 1, F1 = 0.8; b is left without a cluster.
    assert table.loc["a", "f1"] == pytest.approx(0.8)
    assert table.loc["b", "f1"] == 0.0
    assert result.f_measure == pytest.approx(0.4)
    # FlowCAP-I: b may also take that cluster, F1 = 2*(1/3)*1/(4/3) = 0.5; weighted by size.
    assert result.f_measure_flowcap == pytest.approx((0.8 * 4 + 0.5 * 2) / 6)


def test_unlabelled_cells_are_dropped_before_scoring():
    truth = ["a", "a", None, np.nan, "b"]
    result = evaluate(truth, [0, 0, 1, 1, 1])
    assert result.n_labelled == 3
    assert result.f_measure == 1.0


def test_split_population_is_scored_by_its_best_matching_cluster():
    # a split 3/3 over clusters 0 and 1; b alone in cluster 2.
    result = evaluate(["a"] * 6 + ["b"] * 2, [0, 0, 0, 1, 1, 1, 2, 2])
    table = result.populations.set_index("population")
    assert table.loc["a", "recall"] == pytest.approx(0.5)
    assert table.loc["a", "f1"] == pytest.approx(2 / 3)
    assert result.f_measure == pytest.approx((2 / 3 + 1) / 2)


def test_nmi_and_ari_of_independent_labels_are_near_zero():
    rng = np.random.default_rng(0)
    result = evaluate(rng.integers(0, 4, 20_000), rng.integers(0, 4, 20_000))
    assert abs(result.ari) < 0.01 and result.nmi < 0.01


def test_lengths_must_agree_and_something_must_be_labelled():
    with pytest.raises(InputError):
        evaluate(["a", "b"], [0])
    with pytest.raises(InputError):
        evaluate([None, None], [0, 1])
