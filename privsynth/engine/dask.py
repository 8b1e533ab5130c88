"""The Dask engine: chunks run as tasks on a Dask distributed cluster.

Tasks are pure: a chunk's result depends only on its inputs and its seed, so when a worker
dies the scheduler runs the lost chunks again elsewhere and the run's result does not change.
When a chunk cannot be finished (every retry lost, scheduler gone), the run stops with a
``ClusterError`` before anything is written: there is never a partial release.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from privsynth.errors import ClusterError, ConfigError, ModelError, PrivsynthError

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT = "20s"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "the dask engine needs the optional extra: pip install 'privsynth[dask]' "
            "(dask and distributed), on the driver and on every worker"
        ) from None
    return distributed


def _identity(obj: T) -> T:
    return obj


def _worker_versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("privsynth", "dask", "distributed")}


def _file_fingerprint(path: str) -> str:
    from privsynth.io import sha256_file

    if not os.path.isfile(path):
        return "missing"
    return sha256_file(path)


class DaskEngine:
    """Runs chunks on a Dask cluster: one at ``scheduler``, or a local one when it is empty."""

    name = "dask"

    def __init__(self, client: Any, cluster: Any | None, address: str, retries: int) -> None:
        self.client = client
        self.cluster = cluster
        self.address = address
        self.retries = retries

    @classmethod
    def connect(cls, scheduler: str, workers: int = 2, threads_per_worker: int = 1,
                retries: int = 2) -> DaskEngine:
        distributed = _import_distributed()
        cluster = None
        try:
            if scheduler:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT,
                                            set_as_default=False)
            else:
                import dask

                # A chunk whose worker died counts as a failure; after `retries` of them
                # the scheduler gives up on it (KilledWorker) and the run stops unreleased.
                dask.config.set({"distributed.scheduler.allowed-failures": retries})
                # No dashboard: it needs bokeh and opens a port nobody asked for.
                cluster = distributed.LocalCluster(
                    host="127.0.0.1", n_workers=workers, processes=True,
                    threads_per_worker=threads_per_worker, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                client = distributed.Client(cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {scheduler or 'a local cluster'} "
                f"({type(exc).__name__}); start it or check --scheduler"
            ) from None
        engine = cls(client, cluster, scheduler or "local cluster", retries)
        engine._check_workers()
        return engine

    def _workers(self) -> dict[str, Any]:
        info = self.client.scheduler_info()
        return dict(info.get("workers", {}))

    def _check_workers(self) -> None:
        if not self._workers():
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        mine = _worker_versions()
        try:
            theirs = self.client.run(_worker_versions)
        except Exception as exc:
            raise ConfigError(
                f"a Dask worker could not import privsynth ({type(exc).__name__}); install "
                "'privsynth[dask]' of the same version on every worker"
            ) from None
        for worker, versions in theirs.items():
            if versions != mine:
                raise ConfigError(
                    f"Dask worker {worker} runs {versions}, the driver {mine}; install the "
                    "same versions everywhere"
                )

    def check_path(self, path: str, what: str, sha256: str = "") -> None:
        """Every worker must hold the file at ``path``, with the driver's sha256 (or the one
        given), before any work starts."""
        from privsynth.io import sha256_file

        mine = sha256 or sha256_file(path)
        found = self.client.run(_file_fingerprint, path)
        missing = sorted(w for w, h in found.items() if h == "missing")
        if missing:
            raise ModelError(
                f"{what} {path} is missing on {len(missing)} of {len(found)} Dask worker(s) "
                f"(e.g. {missing[0]}); copy it to the same path on every worker"
            )
        differ = sorted(w for w, h in found.items() if h != mine)
        if differ:
            raise ModelError(
                f"{what} {path} differs from the driver's on {len(differ)} Dask worker(s) "
                f"(e.g. {differ[0]}); copy the same file everywhere"
            )

    def map(self, fn: Callable[..., T], items: Sequence[Any], *shared: Any,
            stage: str = "") -> list[T]:
        """Items travel inside their tasks and shared objects are tasks of their own, so the
        scheduler can rebuild anything a dead worker held and run the lost chunks again."""
        if not items:
            return []
        distributed = _import_distributed()
        tag = f"{stage or fn.__name__}-{uuid.uuid4().hex[:8]}"
        try:
            with warnings.catch_warnings():
                # Chunks are meant to travel with their tasks; the size warning is expected.
                warnings.simplefilter("ignore", UserWarning)
                held = [self.client.submit(_identity, obj, key=f"{tag}-shared-{i}", pure=False)
                        for i, obj in enumerate(shared)]
                # Chunks are dealt to the workers in turn. Left alone, the scheduler keeps
                # them all on the worker that holds the shared objects. A chunk may still
                # move when its worker is busy or gone.
                workers: list[str] = sorted(self._workers())
                # With no worker registered yet there is nothing to deal to: the scheduler
                # places the chunks (Dask refuses allow_other_workers without workers).
                futures = [
                    self.client.submit(
                        fn, item, *held, key=f"{tag}-{i}", retries=self.retries, pure=False,
                        **({"workers": [workers[i % len(workers)]], "allow_other_workers": True}
                           if workers else {}),
                    )
                    for i, item in enumerate(items)
                ]
            results: list[T] = self.client.gather(futures)
        except PrivsynthError:
            raise
        except (distributed.KilledWorker, distributed.client.FutureCancelledError,
                OSError, TimeoutError, distributed.comm.CommClosedError) as exc:
            raise ClusterError(
                f"the Dask cluster lost the '{stage or fn.__name__}' stage "
                f"({type(exc).__name__}); nothing was written"
            ) from None
        logger.info("stage %s: %d chunks on %d Dask workers", stage, len(items),
                    len(self._workers()))
        return results

    def describe(self) -> dict[str, Any]:
        workers = self._workers()
        return {
            "engine": "dask",
            "scheduler": self.address,
            "workers": len(workers),
            "threads": int(sum(w.get("nthreads", 0) for w in workers.values())),
            "retries": self.retries,
            "versions": _worker_versions(),
        }

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
