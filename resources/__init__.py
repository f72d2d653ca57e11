"""Data shipped with cytomoe: the demo data set and icons (see README for sources and licences)."""

from importlib.resources import files
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of a bundled resource file, e.g. ``resource_path("demo/...")``."""
    return Path(str(files(__name__).joinpath(name)))
