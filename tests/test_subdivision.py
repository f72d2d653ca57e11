"""Tiling the cells when the embedding has fewer dense regions than the minimum."""

import numpy as np

from cytomoe.core.model.subdivision import UNITS, subdivide_populations, tile_cells


def _gradient(n: int, seed: int = 0) -> np.ndarray:
    """One continuous population: uniform along a CD45RA-like axis, constant in another
    marker."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(0, 1, n), np.full(n, 0.5)])


def test_enough_regions_are_kept_as_they_are():
    populations = np.repeat(np.arange(5), 200)
    data = np.random.default_rng(0).random((1_000, 3))
    assert subdivide_populations(data, populations, 5, seed=0) is populations


def test_a_continuous_population_is_cut_into_the_minimum_of_contiguous_pieces():
    data = _gradient(5_000)
    populations = subdivide_populations(data, np.zeros(5_000, np.int64), 6, seed=0)
    assert sorted(np.unique(populations)) == list(range(6))
    # Each piece is an interval of the gradient: the pieces' ranges along it do not overlap.
    ranges = sorted(
        (data[populations == p, 0].min(), data[populations == p, 0].max()) for p in range(6)
    )
    assert all(upper <= lower for (_, upper), (lower, _) in zip(ranges, ranges[1:], strict=False))
    sizes = np.bincount(populations)
    assert np.all(np.diff(sizes) <= 0)  # numbered by size, largest first


def test_a_region_smaller_than_one_unit_stays_a_population_of_its_own():
    rng = np.random.default_rng(1)
    common = _gradient(5_000)
    rare = rng.normal([3.0, 3.0], 0.01, (20, 2))  # 0.4% of the cells: less than one unit
    assert len(rare) < (len(common) + len(rare)) / UNITS
    data = np.vstack([common, rare])
    regions = np.r_[np.zeros(len(common), np.int64), np.ones(len(rare), np.int64)]
    populations = subdivide_populations(data, regions, 8, seed=0)
    assert len(np.unique(populations)) == 8
    assert len(np.unique(populations[-20:])) == 1
    assert not np.isin(populations[:-20], populations[-20:]).any()


def test_separated_populations_are_cut_apart_before_any_is_subdivided():
    rng = np.random.default_rng(2)
    blobs = [rng.normal(centre, 0.05, (1_500, 2)) for centre in ([0, 0], [2, 0], [0, 2])]
    data = np.vstack(blobs)
    groups = tile_cells(data, 5, seed=0)
    # Average linkage splits off units at a blob's edge last-but-one: every group stays
    # inside one blob.
    blob = np.repeat(np.arange(3), 1_500)
    for group in np.unique(groups):
        assert len(np.unique(blob[groups == group])) == 1


def test_few_cells_give_no_more_groups_than_cells():
    data = np.random.default_rng(3).random((7, 2))
    assert len(np.unique(tile_cells(data, 12, seed=0))) == 7
