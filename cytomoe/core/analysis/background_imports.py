"""The libraries that write a run's output files, imported in a background thread while
the run computes.

AnnData and matplotlib take about a second together to import, and a run that writes
its outputs would import them only after training, with nothing else to do meanwhile.
Most of a run before then is compiled code that releases the interpreter lock (UMAP's
layout epochs, the kNN search, BLAS), so on a second core the imports come free."""

import importlib
import threading

OUTPUT_LIBRARIES = (
    "anndata",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "scipy.ndimage",
)


def import_in_background(modules: tuple[str, ...] = OUTPUT_LIBRARIES) -> threading.Thread:
    """A started thread importing ``modules``; join it before the process may end."""

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                return  # the writer that needs it imports it again and reports the error

    thread = threading.Thread(target=load, name="cytomoe-output-imports", daemon=True)
    thread.start()
    return thread
