"""Similarity sources: per-batch S from labels, kNN and the populations of a Canberra-UMAP."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from cytomoe.core.errors import InputError
from cytomoe.core.model import similarity
from cytomoe.core.model.similarity import (
    DensityTree,
    LabelSimilarity,
    PopulationSimilarity,
    canberra_neighbours,
    density_populations,
    knn_matrix,
    merge_linked_populations,
    min_population_size,
    population_links,
    populations_with_rare_ones,
    same_group_matrix,
)


def test_same_group_matrix_links_equal_groups_and_leaves_unassigned_cells_alone():
    s = same_group_matrix(np.array([0, 1, 0, -1, -1]))
    expected = torch.tensor(
        [
            [1, 0, 1, 0, 0],
            [0, 1, 0, 0, 0],
            [1, 0, 1, 0, 0],
            [0, 0, 0, 1, 0],
            [0, 0, 0, 0, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(s, expected)


def test_knn_matrix_is_the_symmetrised_nearest_neighbour_graph():
    # 1-D points 0, 1, 3, 10 with k = 1: 0->1, 1->0, 3->1, 10->3.
    s = knn_matrix(np.array([[0.0], [1.0], [3.0], [10.0]]), k=1)
    expected = torch.tensor(
        [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], dtype=torch.bool
    )
    assert torch.equal(s, expected)


def test_knn_matrix_with_k_above_the_batch_links_everything():
    assert torch.equal(
        knn_matrix(np.zeros((3, 2)) + np.arange(3)[:, None], k=10),
        torch.ones(3, 3, dtype=torch.bool),
    )


def test_knn_matrix_limited_to_some_rows_links_only_their_neighbours():
    # Same points; only point 3 (at 10) searches: it links to point 2, both ways.
    s = knn_matrix(np.array([[0.0], [1.0], [3.0], [10.0]]), k=1, rows=np.array([0, 0, 0, 1], bool))
    expected = torch.eye(4, dtype=torch.bool)
    expected[2, 3] = expected[3, 2] = True
    assert torch.equal(s, expected)


def test_canberra_neighbours_agree_with_an_exhaustive_search():
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(0)
    centres = rng.random((5, 6))
    data = (np.repeat(centres, 200, axis=0) + rng.normal(0, 0.03, (1000, 6))).clip(0, 1) + 0.1
    data[1] = data[0]  # a duplicate must not push a row out of its own first place
    indices, distances = canberra_neighbours(data, 15)
    assert indices.shape == distances.shape == (1000, 15)
    assert np.array_equal(indices[:, 0], np.arange(1000)) and np.all(distances[:, 0] == 0)
    exact = cdist(data, data, "canberra")
    assert np.allclose(distances, np.take_along_axis(exact, indices, 1), atol=1e-5)
    assert np.all(np.diff(distances[:, 1:], axis=1) >= 0)
    nearest = np.argsort(exact, axis=1)[:, :15]
    found = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(indices, nearest, strict=True)])
    assert found > 0.9


def test_canberra_neighbours_ranked_on_several_threads_equal_one_by_one(monkeypatch):
    data = np.random.default_rng(1).random((700, 5)) + 0.1
    monkeypatch.setattr(similarity, "NEIGHBOUR_CHUNK", 64)
    monkeypatch.setattr(similarity, "NEIGHBOUR_THREADS", 1)
    one_by_one = canberra_neighbours(data, 15)
    monkeypatch.setattr(similarity, "NEIGHBOUR_THREADS", 3)
    for expected, found in zip(one_by_one, canberra_neighbours(data, 15), strict=True):
        assert np.array_equal(expected, found)


def test_label_similarity_same_label_is_similar_and_missing_labels_only_to_themselves():
    source = LabelSimilarity(["B", "T", "B", None, float("nan")])
    source.prepare(np.zeros((5, 2)), seed=0)
    s = source.batch(np.array([0, 1, 2, 3, 4]))
    assert s[0, 2] == 1 and s[0, 1] == 0 and s[3, 4] == 0 and s[3, 3] == 1
    assert torch.equal(source.batch(np.array([2, 0])), torch.ones(2, 2, dtype=torch.bool))


def test_label_similarity_refuses_labels_of_the_wrong_length():
    with pytest.raises(InputError, match="2 entries for 3 cells"):
        LabelSimilarity(["a", "b"]).prepare(np.zeros((3, 2)), seed=0)


def test_min_population_size_is_a_share_with_a_floor():
    assert min_population_size(20_000, 0.005) == 100
    assert min_population_size(500, 0.005) == 10


def test_density_populations_finds_two_separated_blobs():
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 0.3, (200, 2)), rng.normal(10, 0.3, (150, 2))])
    found = density_populations(points, min_population=20, min_samples=10)
    assert len(set(found[:200]) - {-1}) == 1 and len(set(found[200:]) - {-1}) == 1
    assert found[0] != found[-1]
    assert (found == -1).mean() < 0.05


def test_one_density_tree_cut_at_two_sizes_gives_what_two_hdbscan_fits_give():
    from sklearn.cluster import HDBSCAN

    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 30, (12, 2))
    sizes = rng.integers(15, 400, len(centres))
    points = np.vstack([rng.normal(c, 0.6, (n, 2)) for c, n in zip(centres, sizes, strict=True)])
    points = np.vstack([points, rng.uniform(0, 30, (200, 2))])
    tree = DensityTree(points, min_samples=10)
    for size in (12, 40, 150):
        fitted = HDBSCAN(min_cluster_size=size, min_samples=10, copy=True).fit_predict(points)
        assert fitted.max() > 0
        assert np.array_equal(tree.regions(size), fitted)
    leaf = HDBSCAN(min_cluster_size=40, min_samples=10, cluster_selection_method="leaf", copy=True)
    assert np.array_equal(tree.regions(40, "leaf"), leaf.fit_predict(points))


def test_cells_without_a_place_in_the_embedding_are_in_no_region():
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 0.3, (200, 2)), rng.normal(10, 0.3, (150, 2))])
    points[[5, 300]] = np.nan
    found = density_populations(points, min_population=20, min_samples=10)
    assert found[5] == found[300] == -1
    assert len(set(found) - {-1}) == 2


def test_rare_islands_are_found_among_the_cells_outside_the_main_regions():
    rng = np.random.default_rng(0)
    large = [rng.normal(0, 0.3, (200, 2)), rng.normal(10, 0.3, (150, 2))]
    points = np.vstack([*large, rng.normal((-10, 10), 0.1, (15, 2))])
    main_only = density_populations(points, min_population=50, min_samples=5)
    assert (main_only[350:] == -1).all()  # too small for the main pass
    found = populations_with_rare_ones(points, main_size=50, rare_size=10, min_samples=5)
    assert len(set(found[350:])) == 1 and found[350] == 2
    assert list(found[:350]) == list(main_only[:350])


def test_merge_linked_populations_joins_the_most_linked_pair_and_keeps_outsiders():
    # Cells 0-1 population 0, 2-3 population 1, 4-5 population 2, cell 6 in none.
    populations = np.array([0, 0, 1, 1, 2, 2, -1])
    edges = [(0, 1, 1.0), (2, 3, 1.0), (4, 5, 1.0), (1, 2, 0.9), (3, 4, 0.1), (5, 6, 1.0)]
    rows, cols, weights = zip(*edges, strict=True)
    graph = sp.coo_matrix((weights, (rows, cols)), shape=(7, 7)).tocsr()
    graph = graph + graph.T
    merged = merge_linked_populations(graph, populations, max_populations=2)
    assert list(merged) == [0, 0, 0, 0, 1, 1, -1]
    assert list(merge_linked_populations(graph, populations, max_populations=5)) == [
        0,
        0,
        1,
        1,
        2,
        2,
        -1,
    ]


def test_umap_similarity_follows_the_populations_of_the_embedding():
    rng = np.random.default_rng(1)
    centres = np.array([[0.1, 0.8, 0.2, 0.7], [0.8, 0.1, 0.7, 0.2], [0.5, 0.5, 0.9, 0.9]])
    truth = np.repeat([0, 1, 2], [150, 100, 60])
    data = np.clip(centres[truth] + rng.normal(0, 0.03, (len(truth), 4)), 0, 1)
    source = PopulationSimilarity(knn_k=5, min_population_share=0.05, max_populations=15)
    source.prepare(data, seed=0)
    assert source.embedding_.shape == (len(truth), 2)
    for population in range(3):  # each true population is one found population
        found = source.populations_[truth == population]
        assert len(set(found) - {-1}) == 1
    assert len(set(source.populations_) - {-1}) == 3
    rows = np.array([0, 1, 150, 151, 300])
    s = source.batch(rows)
    assert torch.equal(s, s.T) and torch.all(s.diagonal() == 1)
    assert s[0, 1] == 1 and s[2, 3] == 1 and s[0, 2] == 0 and s[0, 4] == 0


def test_merge_linked_populations_joins_every_pair_linked_above_the_threshold():
    # Populations 0 and 1 share many edges (one population torn in two), 2 hangs on by one.
    populations = np.array([0, 0, 1, 1, 2, 2])
    edges = [(0, 1, 1.0), (2, 3, 1.0), (4, 5, 1.0), (1, 2, 1.0), (0, 3, 1.0), (3, 4, 0.05)]
    rows, cols, weights = zip(*edges, strict=True)
    graph = sp.coo_matrix((weights, (rows, cols)), shape=(6, 6)).tocsr()
    graph = graph + graph.T
    merged = merge_linked_populations(graph, populations, max_populations=5, min_link=0.2)
    assert list(merged) == [0, 0, 0, 0, 1, 1]
    linked = population_links(graph, populations)
    assert linked[0, 1] > 0.2 > linked[1, 2] > 0


def test_one_or_two_markers_are_their_own_embedding():
    rng = np.random.default_rng(0)
    data = np.clip(
        np.vstack([rng.normal(0.2, 0.03, (300, 1)), rng.normal(0.7, 0.03, (200, 1))]), 0, 1
    )
    source = PopulationSimilarity(min_population_share=0.05)
    source.prepare(data, seed=0)
    assert np.array_equal(source.embedding_, data.astype(np.float32))
    assert source.populations_.max() + 1 == 2
    assert len(set(source.populations_[:300]) - {-1}) == 1


def test_the_papers_similarity_has_no_populations_and_links_batch_neighbours():
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 1, (200, 3)).astype(np.float32)
    source = PopulationSimilarity(knn_k=5, use_populations=False)
    source.prepare(data, seed=0)
    assert (source.populations_ == -1).all()
    s = source.batch(np.arange(50))
    assert torch.equal(s, s.T) and (s.sum(1) >= 6).all()
