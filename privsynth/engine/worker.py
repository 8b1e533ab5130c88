"""State a process builds once and reuses for every chunk it runs (a PII engine, an LLM).

On a Dask worker this is one spaCy pipeline and one LLM context per worker process, loaded
by the first chunk that needs it. In the driver the local engine hands chunks the objects
the driver already holds, so nothing here is used.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_CACHE: dict[str, Any] = {}
_LOCK = threading.RLock()  # a factory may itself look something up


def cached(key: str, factory: Callable[[], T]) -> T:
    """The object stored under ``key`` in this process, built by ``factory`` the first time."""
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = factory()
        value: T = _CACHE[key]
        return value


# Objects that hold native memory (a llama.cpp model, a decoding context), in creation order.
# They are closed at interpreter exit, newest first (a context before its model), while the
# libraries they call are still loaded; left to the garbage collector at teardown, their
# destructors raise into stderr.
_NATIVE: list[weakref.ref[Any]] = []


def close_at_exit(obj: Any) -> None:
    """Close ``obj`` (it has ``close()``) at exit unless it is collected before."""
    with _LOCK:
        _NATIVE.append(weakref.ref(obj))


def _close_native() -> None:
    with _LOCK:
        refs = list(reversed(_NATIVE))
        _NATIVE.clear()
        _CACHE.clear()
    for ref in refs:
        obj = ref()
        if obj is not None:
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - exit must not fail over a destructor
                pass


atexit.register(_close_native)
