"""State a process builds once and reuses for every chunk it runs (a PII engine, an LLM).

On a Dask worker this is one spaCy pipeline and one LLM context per worker process, loaded
by the first chunk that needs it. In the driver the local engine hands chunks the objects
the driver already holds, so nothing here is used.
"""

from __future__ import annotations

import threading
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
