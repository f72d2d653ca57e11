"""Shared fixtures: the real data corpus in ../shared/data beside the checkout."""

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the shared FCS corpus; its absence is a set-up error, not a reason to skip."""
    assert SHARED_DATA.is_dir(), f"expected the shared data corpus at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def multicenter_subset(shared_data, tmp_path_factory):
    """Factory: a CSV of ``n`` real Multi-Center CyTOF cells of one sample, with their
    manual gates in the `labels` column."""

    def make(sample: int, n: int, seed: int) -> Path:
        table = pd.read_csv(shared_data / f"labeled/multicenter_cytof/sample{sample}.csv")
        path = tmp_path_factory.mktemp("data") / f"mc{sample}_{n}_{seed}.csv"
        table.sample(n=n, random_state=seed).to_csv(path, index=False)
        return path

    return make
