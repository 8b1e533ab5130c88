"""Batched, cached, multi-process PII detection over many short strings.

Every stage that looks for PII (the column scan, text scrubbing, the re-scan of generated
text) goes through one ``PiiDetector``: spaCy runs over batches (``nlp.pipe``), identical
strings are analysed once per run, and large inputs are split over worker processes that
share the already-loaded engine by fork.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from privsynth.pii.engine import TEXT_ENTITIES, build_analyzer
from privsynth.pii.recognizers import user_entities

if TYPE_CHECKING:
    from privsynth.engine import Engine

logger = logging.getLogger(__name__)

# Below this many distinct strings a worker pool costs more than it saves.
PARALLEL_MIN = 400
# Distinct strings per task when a cluster engine runs the analysis.
ENGINE_CHUNK = 500


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity: str
    score: float


def default_workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


class PiiDetector:
    """Finds PII spans in strings. ``recognizers`` are the user's ``scan.recognizers`` tables."""

    def __init__(
        self,
        recognizers: Sequence[dict[str, Any]] = (),
        score_threshold: float = 0.4,
        workers: int = 0,
        batch_size: int = 64,
        engine: Engine | None = None,
    ) -> None:
        self.recognizers = [dict(r) for r in recognizers]
        self.score_threshold = score_threshold
        self.workers = workers or default_workers()
        self.batch_size = batch_size
        # A cluster engine runs the analysis chunks on its workers instead of a fork pool.
        self.engine = engine if engine is not None and engine.name != "local" else None
        self.entities = sorted(set(TEXT_ENTITIES) | set(user_entities(self.recognizers)))
        self._key = json.dumps(self.recognizers, sort_keys=True)
        self._cache: dict[tuple[str, str, tuple[str, ...]], list[Span]] = {}

    def detect(
        self,
        texts: Sequence[str],
        context: Sequence[str] = (),
        entities: Sequence[str] | None = None,
    ) -> list[list[Span]]:
        """Spans per text, in text order; overlapping spans are all kept."""
        ents = tuple(sorted(entities or self.entities))
        ctx = " ".join(context)
        todo = sorted({t for t in texts if (t, ctx, ents) not in self._cache and t.strip()})
        if todo:
            found = self._run(todo, list(context), list(ents))
            for text, spans in zip(todo, found, strict=True):
                self._cache[(text, ctx, ents)] = spans
        return [self._cache.get((t, ctx, ents), []) for t in texts]

    def _run(self, texts: list[str], context: list[str], entities: list[str]) -> list[list[Span]]:
        job = (context, entities, self.score_threshold, self.batch_size, self._key)
        if self.engine is not None:
            parts = self.engine.map(
                _analyze_single_threaded, _chunks(texts, ENGINE_CHUNK), *job, stage="pii"
            )
            return [spans for part in parts for spans in part]
        analyzer = build_analyzer(self._key)
        if self.workers < 2 or len(texts) < PARALLEL_MIN:
            return _analyze(texts, *job)
        chunks = _split(texts, self.workers * 4)
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # pragma: no cover - platforms without fork
            return _analyze(texts, *job)
        del analyzer  # loaded above, so forked workers share it instead of loading their own
        with ctx.Pool(self.workers, initializer=_default_signals) as pool:
            parts = pool.starmap(_analyze_single_threaded, [(chunk, *job) for chunk in chunks])
        return [spans for part in parts for spans in part]


def _default_signals() -> None:
    """A forked worker inherits the CLI's SIGTERM handler, which raises to unwind a run. The
    pool ends its workers with SIGTERM when it closes: they must simply exit."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _split(items: list[str], n: int) -> list[list[str]]:
    size = max(1, -(-len(items) // n))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _analyze_single_threaded(*args: Any) -> list[list[Span]]:
    """A worker's share: one BLAS thread each, so workers x threads never exceeds the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _analyze(*args)


def _analyze(
    texts: list[str],
    context: list[str],
    entities: list[str],
    score_threshold: float,
    batch_size: int,
    key: str,
) -> list[list[Span]]:
    analyzer = build_analyzer(key)
    out: list[list[Span]] = []
    artifacts = analyzer.nlp_engine.process_batch(texts, language="en", batch_size=batch_size)
    for text, nlp_artifacts in artifacts:
        results = analyzer.analyze(
            text=text,
            language="en",
            entities=entities,
            nlp_artifacts=nlp_artifacts,
            score_threshold=score_threshold,
            context=context or None,
        )
        out.append([Span(r.start, r.end, r.entity_type, float(r.score)) for r in results])
    return out
