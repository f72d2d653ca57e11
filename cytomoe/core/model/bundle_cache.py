"""numba's disk cache in the desktop bundle, kept per bundle instead of per working folder.

PyInstaller names the bundle's code objects by their path inside the bundle
("umap/layouts.py"), and numba names a cache folder after the absolute path of a function's
file, which for such a name depends on the folder the app was started from: started from
another folder, the app compiled UMAP's and our kernels again (about 15 s) and kept another
copy of them. This locator reads those names inside the bundle instead. The rest is numba's
own handling of frozen apps: the user's cache folder, entries stamped with a hash of the
bundle's program file, which holds all of its Python code. The bundle's launcher
(packaging/cytomoe_launcher.py) names it in ``NUMBA_CACHE_LOCATOR_CLASSES``.
"""

import os
import sys

from numba.core.caching import UserWideCacheLocator


class BundleCacheLocator(UserWideCacheLocator):
    """numba's user-wide cache for a function of a frozen app, in a folder named after its
    module's path inside the bundle; no locator (None) outside a frozen app."""

    @classmethod
    def from_function(cls, py_func, py_file):  # noqa: ANN001, ANN206 - numba's signature
        bundle = getattr(sys, "_MEIPASS", None)  # the bundle's folder, in a frozen app only
        if not getattr(sys, "frozen", False) or bundle is None or os.path.isabs(py_file):
            return None
        return super().from_function(py_func, os.path.join(bundle, py_file))
