"""Shared fixtures: the real data corpus beside the checkout, and small data in the repo.

The corpus is found at ``$CYTOMOE_TEST_DATA`` or ``../shared/data``. A user's clone may not
have it: the tests that need it are skipped there, with the reason. CI sets
``CYTOMOE_REQUIRE_CORPUS=1`` so that a missing corpus fails instead.
"""

import os
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CYTOMOE_TEST_DATA") or REPO.parent / "shared" / "data")
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the shared FCS corpus."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    message = f"the shared data corpus is not at {SHARED_DATA} (set CYTOMOE_TEST_DATA)"
    if os.environ.get("CYTOMOE_REQUIRE_CORPUS"):
        pytest.fail(message)
    pytest.skip(message)


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
