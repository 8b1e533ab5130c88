"""Where the parallel parts of a run execute: this process, or a Dask cluster.

The pipeline splits its heavy work into chunks whose boundaries depend only on the data and
the config (never on the engine), and each chunk is a pure function of its inputs and a seed
derived from the run's seed and the chunk's number. An engine only decides where a chunk runs,
so the local engine and a Dask cluster give the same results for the same seed and input.

Chunked stages: PII detection (scan, scrubbing, re-scan of generated text), sampling with
suppression, text generation, and the nearest-neighbour searches of the checks. The table
itself, the structured fit and the gate stay in the driver process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from privsynth import seeds
from privsynth.errors import ConfigError
from privsynth.seeds import Stream
from privsynth.vocab import ENGINES

T = TypeVar("T")



class Engine(Protocol):
    """Runs ``fn(item, *shared)`` for every item and returns the results in item order."""

    name: str

    def map(self, fn: Callable[..., T], items: Sequence[Any], *shared: Any,
            stage: str = "") -> list[T]: ...

    def describe(self) -> dict[str, Any]: ...

    def check_path(self, path: str, what: str, sha256: str = "") -> None: ...

    def close(self) -> None: ...


class LocalEngine:
    """Every chunk in this process, in order. Imports nothing beyond the standard pipeline."""

    name = "local"

    def map(self, fn: Callable[..., T], items: Sequence[Any], *shared: Any,
            stage: str = "") -> list[T]:
        return [fn(item, *shared) for item in items]

    def describe(self) -> dict[str, Any]:
        return {"engine": "local"}

    def check_path(self, path: str, what: str, sha256: str = "") -> None:
        """The driver checks its own paths already; nothing to do on other machines."""

    def close(self) -> None:
        pass


def chunk_seed(seed: int, index: int) -> int:
    """Chunk 0 keeps the run's seed; the others get independent seeds derived from it."""
    if index == 0:
        return seed
    return seeds.derive(seed, Stream.CHUNK, index)


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """[start, stop) row ranges of at most ``size`` rows covering ``n`` rows (none when 0)."""
    size = max(int(size), 1)
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def make_engine(kind: str, scheduler: str = "", workers: int = 2,
                threads_per_worker: int = 1, retries: int = 2) -> Engine:
    """The engine a config names. ``dask`` without a scheduler starts a local cluster."""
    if kind == "local":
        return LocalEngine()
    if kind == "dask":
        from privsynth.engine.dask import DaskEngine

        return DaskEngine.connect(scheduler, workers, threads_per_worker, retries)
    raise ConfigError(f"engine '{kind}' is unknown; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "LocalEngine", "chunk_bounds", "chunk_seed", "make_engine"]
