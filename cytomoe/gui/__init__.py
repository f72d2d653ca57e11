"""PySide6 + pyqtgraph views over cytomoe.core objects."""
