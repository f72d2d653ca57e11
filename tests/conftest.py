"""Shared fixtures: the real data corpus beside the checkout, and small data in the repo.

The corpus is found at ``$CYTOMOE_TEST_DATA`` or ``../shared/data``. A user's clone may not
have it: the tests that need it are skipped there, with the reason. CI sets
``CYTOMOE_REQUIRE_CORPUS=1`` so that a missing corpus fails instead.
"""

import gc
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


@pytest.fixture
def window_on_68983(qtbot, monkeypatch, shared_data):
    """The main window with FlowSOM's 68983 sample open (errors collected in ``errors``)."""
    from cytomoe.gui.main_window import MainWindow

    win = MainWindow()
    errors = []
    monkeypatch.setattr(win, "show_error", errors.append)
    win.errors = errors
    qtbot.addWidget(win)
    win.open_paths([str(shared_data / "labeled/flowsom_68983/68983.fcs")])
    qtbot.waitUntil(lambda: win.plate is not None and win.worker is None, timeout=30_000)
    return win


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    """One quick analysis of the demo data per test module, for the tests that need
    clusters (its own embedding cache folder, like every test)."""
    from dataclasses import replace

    from cytomoe.core.analysis.demo import demo_settings
    from cytomoe.core.analysis.pipeline import analyse
    from cytomoe.core.model import embedding_cache

    settings = demo_settings()
    settings.model = replace(settings.model, iterations=40, n_train=2000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(embedding_cache.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        return analyse(settings)


@pytest.fixture(autouse=True)
def widgets_collected_in_the_main_thread(request):
    """After a test that made widgets, collect its garbage here, in the main thread: left to
    a later collection, the widgets of a closed window can be destroyed inside the next
    test's worker thread, which deadlocks Qt against the interpreter's lock."""
    yield
    if "qtbot" in request.fixturenames:
        gc.collect()
