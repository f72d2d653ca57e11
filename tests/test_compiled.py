"""numba's disk cache where it can keep one, and plain compilation where it cannot."""

import numpy as np
import pytest

from cytomoe.core.model.compiled import jit


def function_without_a_source_file():
    """A function whose source file does not exist, as in a frozen app's modules."""
    namespace: dict = {}
    code = "def add_one(values):\n    return values + 1\n"
    exec(compile(code, "/nowhere/frozen_module.py", "exec"), namespace)  # noqa: S102
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
