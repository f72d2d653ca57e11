"""numba compilation with numba's disk cache wherever numba can keep one.

numba keeps compiled code beside a function's source file or in the user's cache folder
(in the desktop bundle, per bundle: bundle_cache.py), and refuses ``cache=True`` where it
can use neither: code without a source file outside a frozen app, or a cache folder it
cannot write, say. There the code is compiled in each process instead."""

from collections.abc import Callable


def jit(function: Callable, signature: str | None = None, **options: object) -> Callable:
    """``function`` compiled by ``numba.njit`` with ``options`` (and ``signature``: then
    compiled, or loaded from the cache, now rather than at the first call)."""
    import numba

    given = (signature,) if signature else ()
    try:
        return numba.njit(*given, cache=True, **options)(function)
    except RuntimeError:  # no folder numba can cache in
        return numba.njit(*given, **options)(function)
