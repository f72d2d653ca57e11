"""numba's disk cache where it can keep one, and plain compilation where it cannot."""

import numpy as np
import pytest

from cytomoe.core.model.compiled import jit


def function_without_a_source_file(file_name: str = "/nowhere/frozen_module.py"):
    """A function whose source file does not exist, as in a frozen app's modules."""
    namespace: dict = {}
    code = "def add_one(values):\n    return values + 1\n"
    exec(compile(code, file_name, "exec"), namespace)  # noqa: S102
    return namespace["add_one"]


def test_a_function_without_a_source_file_is_compiled_without_the_cache():
    import numba

    add_one = function_without_a_source_file()
    with pytest.raises(RuntimeError, match="cannot cache"):  # why compiled.jit exists
        numba.njit(cache=True)(add_one)
    compiled = jit(add_one, "f8[::1](f8[::1])", nogil=True)
    assert np.array_equal(compiled(np.zeros(3)), np.ones(3))
    assert compiled._cache.__class__.__name__ == "NullCache"


def test_a_function_with_a_source_file_is_cached():
    from cytomoe.core.model.reachability_tree import prim_in_blocks

    assert prim_in_blocks._cache.__class__.__name__ == "FunctionCache"


def bundle_locator(monkeypatch, bundle, folder):  # noqa: ANN001, ANN201
    """The cache locator numba's frozen app gets for "umap/layouts.py", started in ``folder``."""
    from numba.core.caching import UserWideCacheLocator

    from cytomoe.core.model.bundle_cache import BundleCacheLocator

    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys._MEIPASS", str(bundle), raising=False)
    monkeypatch.chdir(folder)
    function = function_without_a_source_file()
    ours = BundleCacheLocator.from_function(function, "umap/layouts.py")
    numbas = UserWideCacheLocator.from_function(function, "umap/layouts.py")
    return ours.get_cache_path(), numbas.get_cache_path()


def test_the_bundle_keeps_one_numba_cache_whatever_folder_it_is_started_from(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("bundle", "other_bundle", "here", "there"):
        (tmp_path / name).mkdir()
    ours_here, numbas_here = bundle_locator(monkeypatch, tmp_path / "bundle", tmp_path / "here")
    ours_there, numbas_there = bundle_locator(monkeypatch, tmp_path / "bundle", tmp_path / "there")
    assert numbas_here != numbas_there  # numba's own: one cache per working folder
    assert ours_here == ours_there
    assert ours_here.startswith(str(tmp_path / "cache"))
    other, _ = bundle_locator(monkeypatch, tmp_path / "other_bundle", tmp_path / "here")
    assert other != ours_here


def test_outside_a_frozen_app_the_bundle_locator_leaves_the_choice_to_numba(tmp_path):
    from cytomoe.core.model.bundle_cache import BundleCacheLocator

    function = function_without_a_source_file()
    assert BundleCacheLocator.from_function(function, "umap/layouts.py") is None


def test_the_launcher_names_locators_numba_finds(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    from numba.core import caching, config

    path = Path(__file__).resolve().parents[1] / "packaging" / "cytomoe_launcher.py"
    spec = importlib.util.spec_from_file_location("cytomoe_launcher", path)
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    monkeypatch.setattr(config, "CACHE_LOCATOR_CLASSES", launcher.NUMBA_LOCATORS)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)

    def locator(file_name: str) -> str:
        function = function_without_a_source_file(file_name)
        return type(caching.FunctionCache(function)._impl.locator).__name__

    assert locator("umap/layouts.py") == "BundleCacheLocator"  # as PyInstaller names code
    assert locator("/nowhere/frozen_module.py") == "UserWideCacheLocator"
