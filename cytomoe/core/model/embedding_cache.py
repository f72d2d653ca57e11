"""The embedding and fuzzy graph of a set of training cells, and the dense regions of that
embedding, kept for the next training on the same cells: a second run with other model
settings (iterations, loss weights, latent size, experts) skips the embedding, the longest
step of a run, HDBSCAN's passes over it and the populations made from its regions.

Entries are keyed by a hash of the offset, scaled training cells (so of the events, the
markers, the cofactors, the scaler and the draw of ``n_train`` cells) and of the settings
that shape the embedding (``n_neighbors``, the seed) and ``FORMAT``; regions by a hash of the
embedding and the sizes that shape them; the populations made from the merged regions (the
cells outside them joined, the regions tiled) by a hash of the cells, those regions and the
tiling's settings, so that a second run skips their neighbour search and k-means too. They
are kept in
memory for the process (``MEMORY_ENTRIES``) and on disk for the next process, in
``$CYTOMOE_CACHE_DIR`` or else the user's cache folder, at most ``MAX_DISK_BYTES``
(least recently used entries go first). ``CYTOMOE_CACHE_DIR`` set to an empty value
turns the disk cache off.
"""

import hashlib
import json
import os
import sys
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from cytomoe.core.io.outputs import atomic_output

CACHE_ENV = "CYTOMOE_CACHE_DIR"
FORMAT = 1  # raise when the construction of the embedding, regions or populations changes
MEMORY_ENTRIES = 6  # two runs' embeddings, regions and populations
MAX_DISK_BYTES = 1 << 30
Embedding = tuple[np.ndarray, sp.csr_matrix]
Arrays = dict[str, np.ndarray]
_memory: OrderedDict[str, Arrays] = OrderedDict()


def cache_folder() -> Path | None:
    """Where embeddings are kept on disk, or None when ``CYTOMOE_CACHE_DIR`` is empty."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen).expanduser() / "embeddings" if chosen else None
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cytomoe" / "embeddings"


def embedding_key(data: np.ndarray, settings: dict) -> str:
    """A hash of the cells (values, shape and type) and the settings."""
    data = np.ascontiguousarray(data)
    digest = hashlib.sha256()
    digest.update(
        json.dumps([FORMAT, data.shape, str(data.dtype), settings], sort_keys=True).encode()
    )
    digest.update(memoryview(data).cast("B"))
    return digest.hexdigest()[:32]


def cached_embedding(
    data: np.ndarray, settings: dict, compute: Callable[[], Embedding]
) -> Embedding:
    """``compute()``'s embedding and graph of ``data`` under ``settings``, or the ones kept
    from an earlier call with the same cells and settings."""

    def as_arrays() -> Arrays:
        embedding, graph = compute()
        graph = graph.tocsr()
        return {
            "embedding": embedding,
            "data": graph.data,
            "indices": graph.indices,
            "indptr": graph.indptr,
            "shape": np.array(graph.shape),
        }

    found = _cached(embedding_key(data, settings), as_arrays)
    graph = sp.csr_matrix(
        (found["data"], found["indices"], found["indptr"]), shape=tuple(found["shape"])
    )
    return found["embedding"], graph


def cached_regions(
    embedding: np.ndarray, settings: dict, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """``compute()``'s regions of ``embedding`` under ``settings`` (HDBSCAN's sizes), or the
    ones kept from an earlier call with the same embedding and settings."""
    return _cached(embedding_key(embedding, settings), lambda: {"regions": compute()})["regions"]


def cached_populations(
    data: np.ndarray, regions: np.ndarray, settings: dict, compute: Callable[[], Arrays]
) -> Arrays:
    """``compute()``'s populations made from the ``regions`` of the training cells ``data``
    under ``settings`` (the tiling's), or the ones kept from an earlier call with the same
    cells, regions and settings."""
    return _cached(
        embedding_key(data, {**settings, "regions": embedding_key(regions, {})}), compute
    )


def _cached(key: str, compute: Callable[[], Arrays]) -> Arrays:
    """Copies of the arrays kept under ``key`` (memory, then disk), computed and kept when
    there are none."""
    found = _memory.get(key) or _read(key)
    if found is None:
        found = compute()
        _write(key, found)
    _memory[key] = found
    _memory.move_to_end(key)
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)
    return {name: array.copy() for name, array in found.items()}


def forget_in_memory() -> None:
    """Drop the entries kept in this process (the disk keeps its own)."""
    _memory.clear()


def _path(key: str) -> Path | None:
    folder = cache_folder()
    return None if folder is None else folder / f"{key}.npz"


def _read(key: str) -> Arrays | None:
    path = _path(key)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path) as stored:
            found = {name: stored[name] for name in stored.files}
        os.utime(path)  # recently used: evicted last
    except (OSError, ValueError, KeyError):  # unreadable or from another version: compute anew
        return None
    return found


def _write(key: str, arrays: Arrays) -> None:
    path = _path(key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, overwrite=True) as temporary:
            np.savez(temporary, **arrays)
        _evict(path.parent)
    except OSError:  # a cache that cannot be written only costs the next run its time
        return


def _evict(folder: Path) -> None:
    """Remove the least recently used entries while the folder holds over MAX_DISK_BYTES."""
    entries = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for entry in entries:
        total += entry.stat().st_size
        if total > MAX_DISK_BYTES:
            entry.unlink(missing_ok=True)
