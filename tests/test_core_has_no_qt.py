"""cytomoe.core must stay usable without Qt: importing every core module loads no Qt."""

import pkgutil
import subprocess
import sys

import cytomoe.core


def test_importing_every_core_module_loads_no_qt_module():
    modules = [m.name for m in pkgutil.iter_modules(cytomoe.core.__path__, "cytomoe.core.")]
    assert modules, "no core modules found"
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6', 'qtpy'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"core imported Qt: {result.stdout}"


def test_core_sources_do_not_mention_qt_imports():
    import pathlib

    root = pathlib.Path(cytomoe.core.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for qt in ("PySide6", "PyQt", "pyqtgraph", "qtpy"):
            assert f"import {qt}" not in text and f"from {qt}" not in text, path
