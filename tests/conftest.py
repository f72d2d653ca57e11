"""Shared fixtures: the real data corpus beside the checkout, and small data in the repo.

The corpus is found at ``$CYTOMOE_TEST_DATA`` or ``../shared/data``. A user's clone may not
have it: the tests that need it are skipped there, with the reason. CI sets
``CYTOMOE_REQUIRE_CORPUS=1`` so that a missing corpus fails instead.
"""

import os
from pathlib import Path

import pandas as pd
import pytest

from cytomoe.core.analysis.demo import DEMO_MARKERS

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
def multicenter_subset(tmp_path_factory):
    """Factory: a CSV of ``n`` real Multi-Center CyTOF cells of one sample, with their
    manual gates in the `labels` column. Without the corpus, the cells come from the 6,000
    of sample 1 bundled as the demo data, whatever sample is asked for."""

    def make(sample: int, n: int, seed: int) -> Path:
        source = SHARED_DATA / f"labeled/multicenter_cytof/sample{sample}.csv"
        if not source.is_file():
            if os.environ.get("CYTOMOE_REQUIRE_CORPUS"):
                pytest.fail(f"the shared data corpus lacks {source}")
            source = REPO / "resources" / "demo" / "multicenter_pbmc_sample1_6k.csv"
        # the demo names the markers; the corpus, like its source, numbers them
        table = pd.read_csv(source).rename(columns={v: k for k, v in DEMO_MARKERS.items()})
        path = tmp_path_factory.mktemp("data") / f"mc{sample}_{n}_{seed}.csv"
        table.sample(n=n, random_state=seed).to_csv(path, index=False)
        return path

    return make


@pytest.fixture(autouse=True)
def own_embedding_cache(tmp_path_factory, monkeypatch):
    """Each test keeps embeddings in a cache folder of its own and starts with none in memory:
    no test reads the user's cache or another test's entries."""
    from cytomoe.core.model import embedding_cache

    monkeypatch.setenv(embedding_cache.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
    embedding_cache.forget_in_memory()
