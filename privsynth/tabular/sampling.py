"""Sampling synthetic rows in seeded chunks, dropping and replacing the rows suppression flags."""

from __future__ import annotations

import logging
from typing import TypedDict

import pandas as pd

from privsynth import seeds
from privsynth.engine import Engine, chunk_bounds, chunk_seed
from privsynth.seeds import SAMPLE_ROUND_STEP
from privsynth.tabular.structured import StructuredSynthesizer
from privsynth.tabular.suppress import SuppressionRule

logger = logging.getLogger(__name__)

ROUNDS = 4


class SuppressionCounts(TypedDict, total=False):
    too_close: int
    rare_quasi_identifier_combination: int
    rounds: int
    chunks: int


def sample_with_suppression(
    synth: StructuredSynthesizer,
    rule: SuppressionRule | None,
    n: int,
    seed: int,
    rounds: int = ROUNDS,
) -> tuple[pd.DataFrame, SuppressionCounts]:
    """Sample n rows, dropping and replacing rows the suppression rule flags (none: no rule)."""
    counts: SuppressionCounts = {
        "too_close": 0, "rare_quasi_identifier_combination": 0, "rounds": 0
    }
    if rule is None:
        return synth.sample(n, seed), counts
    kept: list[pd.DataFrame] = []
    have = 0
    keep_rate = 0.9
    for r in range(rounds):
        need = n - have
        if need <= 0:
            break
        # Oversample by the share the rule kept so far, so a few rounds are enough.
        size = int(need / max(keep_rate, 0.05) * 1.1) + 5
        batch = synth.sample(size, seeds.step(seed, SAMPLE_ROUND_STEP, r))
        close, rare = rule.flags(batch)
        keep_rate = max(float((~(close | rare)).mean()), 0.0) if len(batch) else keep_rate
        counts["too_close"] += int(close.sum())
        counts["rare_quasi_identifier_combination"] += int((rare & ~close).sum())
        counts["rounds"] = r + 1
        batch = batch[~(close | rare)]
        kept.append(batch)
        have += len(batch)
    out = pd.concat(kept).head(n).reset_index(drop=True) if kept else pd.DataFrame()
    return out, counts


def _sample_chunk(
    item: tuple[int, int], synth: StructuredSynthesizer, rule: SuppressionRule | None
) -> tuple[pd.DataFrame, SuppressionCounts]:
    """One chunk of synthetic rows: (rows wanted, seed)."""
    n, seed = item
    return sample_with_suppression(synth, rule, n, seed)


def sample_rows(
    synth: StructuredSynthesizer,
    rule: SuppressionRule | None,
    n: int,
    seed: int,
    engine: Engine,
    chunk_rows: int,
) -> tuple[pd.DataFrame, SuppressionCounts]:
    """n synthetic rows in chunks of ``chunk_rows``, each with its own seed, on the engine."""
    items = [
        (stop - start, chunk_seed(seed, k))
        for k, (start, stop) in enumerate(chunk_bounds(n, chunk_rows))
    ]
    parts = engine.map(_sample_chunk, items, synth, rule, stage="sample")
    counts: SuppressionCounts = {
        "too_close": sum(part["too_close"] for _, part in parts),
        "rare_quasi_identifier_combination": sum(
            part["rare_quasi_identifier_combination"] for _, part in parts
        ),
        "rounds": max((part["rounds"] for _, part in parts), default=0),
        "chunks": len(parts),
    }
    # Chunks that kept no row still carry the columns, which the checks need.
    frames = [frame for frame, _ in parts if len(frame)] or [frame for frame, _ in parts[:1]]
    out = pd.concat(frames).reset_index(drop=True) if frames else pd.DataFrame()
    if rule is not None:
        logger.info(
            "suppression dropped %d rows too close to a training row and %d with a rare "
            "quasi-identifier combination",
            counts["too_close"],
            counts["rare_quasi_identifier_combination"],
        )
    return out, counts
