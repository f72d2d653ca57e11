"""The embedding step by step: UMAP's graph and layout bit for bit, progress with an ETA,
and a second training on the same cells reusing the first one's embedding."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cytomoe.core.model import embedding_cache, similarity
from cytomoe.core.model.embedding import fuzzy_graph_from_neighbours, umap_layout
from cytomoe.core.model.estimator import MoESimVAE
from cytomoe.core.model.similarity import CANBERRA_OFFSET, canberra_neighbours, canberra_umap

N_NEIGHBORS = 15


@pytest.fixture(scope="module")
def offset_cells() -> np.ndarray:
    """Three blobs of 1,200 positive cells in 4 markers (scaled and offset as the similarity
    sees them)."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.8, 0.1, 0.1, 0.3], [0.1, 0.7, 0.2, 0.1], [0.2, 0.2, 0.8, 0.6]])
    cells = centres[np.repeat([0, 1, 2], 400)] + rng.normal(0, 0.05, (1200, 4))
    return (np.clip(cells, 0, 1) + CANBERRA_OFFSET).astype(np.float32)


def test_graph_and_layout_are_umaps_own(offset_cells):
    import umap
    from umap.umap_ import fuzzy_simplicial_set

    indices, distances = canberra_neighbours(offset_cells, N_NEIGHBORS)
    graph = fuzzy_graph_from_neighbours(indices, distances, N_NEIGHBORS)
    expected, _, _ = fuzzy_simplicial_set(
        offset_cells,
        N_NEIGHBORS,
        np.random.RandomState(0),
        "canberra",
        knn_indices=indices.copy(),
        knn_dists=distances.copy(),
    )
    assert (graph != expected.tocsr()).nnz == 0
    reducer = umap.UMAP(
        n_neighbors=N_NEIGHBORS,
        min_dist=0.0,
        metric="canberra",
        random_state=3,
        n_jobs=1,
        precomputed_knn=(indices.copy(), distances.copy()),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = reducer.fit_transform(offset_cells)
    assert np.array_equal(umap_layout(offset_cells, graph, 3), reference)


def test_embedding_reports_its_steps_with_an_eta_for_the_epochs(offset_cells):
    seen = []
    canberra_umap(offset_cells, N_NEIGHBORS, 0, progress=seen.append)
    assert {p.stage for p in seen} == {"embed"}
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert all(p.done < p.total for p in seen)  # the populations finish the stage
    assert any("nearest neighbours" in p.message for p in seen)
    epochs = [p for p in seen if p.message.startswith("Layout epoch")]
    assert len(epochs) == 50 and all(p.values["eta"] >= 0 for p in epochs)  # 500 epochs


def test_the_same_cells_and_settings_reuse_the_embedding(offset_cells, monkeypatch):
    searches = []
    search = similarity.canberra_neighbours

    def counted(*args):
        searches.append(1)
        return search(*args)

    monkeypatch.setattr(similarity, "canberra_neighbours", counted)
    first = canberra_umap(offset_cells, N_NEIGHBORS, 0)
    again = canberra_umap(offset_cells, N_NEIGHBORS, 0)
    assert len(searches) == 1
    assert np.array_equal(first[0], again[0]) and (first[1] != again[1]).nnz == 0
    canberra_umap(offset_cells, N_NEIGHBORS, 1)  # another seed lays out anew
    canberra_umap(offset_cells[:-1], N_NEIGHBORS, 0)  # and so do other cells
    assert len(searches) == 3


def test_a_new_process_reads_the_embedding_from_disk(offset_cells, monkeypatch):
    first = canberra_umap(offset_cells, N_NEIGHBORS, 0)
    embedding_cache.forget_in_memory()
    monkeypatch.setattr(similarity, "canberra_neighbours", None)  # would fail if called
    again = canberra_umap(offset_cells, N_NEIGHBORS, 0)
    assert np.array_equal(first[0], again[0]) and (first[1] != again[1]).nnz == 0


def test_an_empty_cache_folder_setting_keeps_nothing_on_disk(offset_cells, monkeypatch, tmp_path):
    monkeypatch.setenv(embedding_cache.CACHE_ENV, "")
    assert embedding_cache.cache_folder() is None
    canberra_umap(offset_cells, N_NEIGHBORS, 0)
    embedding_cache.forget_in_memory()
    searches = []
    search = similarity.canberra_neighbours
    monkeypatch.setattr(
        similarity, "canberra_neighbours", lambda *a: searches.append(1) or search(*a)
    )
    canberra_umap(offset_cells, N_NEIGHBORS, 0)
    assert searches == [1]


def test_the_disk_cache_drops_the_least_recently_used_entries(monkeypatch, tmp_path):
    monkeypatch.setenv(embedding_cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(embedding_cache, "MAX_DISK_BYTES", 2_500)
    for seed in range(4):
        cells = np.random.default_rng(seed).random((50, 2)).astype(np.float32)
        embedding_cache.cached_embedding(cells, {}, lambda c=cells: (c, _graph(c)))
    kept = list((tmp_path / "embeddings").glob("*.npz"))
    assert 0 < len(kept) < 4
    assert sum(p.stat().st_size for p in kept) <= 2_500


def _graph(cells: np.ndarray):
    import scipy.sparse as sp

    return sp.csr_matrix(np.eye(len(cells), dtype=np.float32))


def test_a_second_fit_with_other_model_settings_skips_the_embedding(monkeypatch):
    table = pd.DataFrame(np.random.default_rng(1).lognormal(2, 1, (1_500, 4)), columns=list("abcd"))
    searches = []
    search = similarity.canberra_neighbours
    monkeypatch.setattr(
        similarity, "canberra_neighbours", lambda *a: searches.append(1) or search(*a)
    )
    passes = []
    tree = similarity.DensityTree
    monkeypatch.setattr(similarity, "DensityTree", lambda *a: passes.append(1) or tree(*a))
    settings = dict(n_experts=5, batch_size=64, device="cpu", cofactors=5.0)
    first = MoESimVAE(**settings, iterations=20).fit(table)
    found = len(passes)
    second = MoESimVAE(**settings, iterations=30, latent_dim=4, weight_kl=0.1).fit(table)
    assert len(searches) == 1
    assert found > 0 and len(passes) == found  # the regions came from the cache too
    assert np.array_equal(first.similarity_.regions_, second.similarity_.regions_)
    assert np.array_equal(first.similarity_.embedding_, second.similarity_.embedding_)
    MoESimVAE(**settings, iterations=20, n_train=1_000).fit(table)  # other training cells
    assert len(searches) == 2


def test_a_second_fit_takes_the_populations_from_the_cache_until_a_setting_shapes_them_anew(
    monkeypatch,
):
    rng = np.random.default_rng(2)  # four populations, tiled into six
    centres = rng.uniform(1, 6, (4, 4))
    cells = centres[rng.integers(0, 4, 1_500)] + rng.normal(0, 0.2, (1_500, 4))
    table = pd.DataFrame(np.exp(cells), columns=list("abcd"))
    tilings = []
    tile = similarity.subdivide_populations
    monkeypatch.setattr(
        similarity, "subdivide_populations", lambda *a: tilings.append(1) or tile(*a)
    )
    settings = dict(batch_size=64, device="cpu", cofactors=5.0, iterations=20)
    first = MoESimVAE(**settings, n_experts=12, min_clusters=6).fit(table)
    second = MoESimVAE(**settings, n_experts=10, min_clusters=6, latent_dim=4).fit(table)
    assert len(tilings) == 1
    for name in ("unmerged_populations_", "regions_", "populations_"):
        assert np.array_equal(getattr(first.similarity_, name), getattr(second.similarity_, name))
    MoESimVAE(**settings, n_experts=10, min_clusters=7).fit(table)
    assert len(tilings) == 2
