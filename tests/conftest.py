"""Shared fixtures: the real data corpus in ../shared/data beside the checkout."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the shared FCS corpus; its absence is a set-up error, not a reason to skip."""
    assert SHARED_DATA.is_dir(), f"expected the shared data corpus at {SHARED_DATA}"
    return SHARED_DATA
