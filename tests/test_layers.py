"""The package layers import one way, and cytomoe.core stays usable without Qt.

Layers, bottom to top: core's root (errors, progress), io, preprocessing, evaluation,
model, analysis; then gui; then commands and the CLI. A module may import its own layer
and the layers below it, never one above."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import cytomoe
import cytomoe.core

LAYERS = [
    "cytomoe.core.errors|cytomoe.core.progress|cytomoe.core.background_imports",
    "cytomoe.core.io",
    "cytomoe.core.preprocessing",
    "cytomoe.core.evaluation",
    "cytomoe.core.model",
    "cytomoe.core.analysis",
    "cytomoe.gui",
    "cytomoe.commands|cytomoe.cli",
]
QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6", "qtpy")
PACKAGE_ROOT = Path(cytomoe.__file__).parent


def layer_of(module: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        for prefix in layer.split("|"):
            if module == prefix or module.startswith(prefix + "."):
                return index
    return None


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in PACKAGE_ROOT.rglob("*.py"):
        own = layer_of(module_name(path))
        if own is None:
            continue
        for name in imported_modules(path):
            other = layer_of(name)
            if other is not None and other > own:
                upward.append(f"{module_name(path)} imports {name}")
    assert not upward, upward


def test_every_core_module_belongs_to_a_layer():
    core = Path(cytomoe.core.__file__).parent
    orphans = [
        module_name(p)
        for p in core.rglob("*.py")
        if module_name(p) != "cytomoe.core" and layer_of(module_name(p)) is None
    ]
    assert not orphans, orphans


def test_importing_every_core_module_loads_no_qt_module():
    modules = [m.name for m in pkgutil.walk_packages(cytomoe.core.__path__, "cytomoe.core.")]
    assert "cytomoe.core.model.estimator" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core imported Qt: {result.stdout}"


def test_core_sources_do_not_import_qt():
    for path in Path(cytomoe.core.__file__).parent.rglob("*.py"):
        for name in imported_modules(path):
            assert name.split(".")[0] not in QT_PACKAGES, f"{path} imports {name}"


def test_the_scanner_finds_imports_inside_functions(tmp_path):
    source = tmp_path / "module.py"
    source.write_text("def f():\n    from cytomoe.gui.app import run_app\n")
    names = imported_modules(source)
    assert "cytomoe.gui.app" in names
    assert layer_of("cytomoe.gui.app") > layer_of("cytomoe.core.io.plate")
