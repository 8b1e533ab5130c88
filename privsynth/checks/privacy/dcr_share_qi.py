"""DCR share on quasi-identifier subsets: the worst case an attacker who knows some QIs sees.

Taking the worst of up to 12 subsets pushes the value up by itself, so the interval is a
simultaneous one: every subset's share is bootstrapped on the same resampled synthetic rows,
and the interval's half-width is the 95% quantile of the largest standardised deviation over
the subsets (a max-statistic bootstrap), not the 95% quantile of one subset's."""

from __future__ import annotations

from itertools import combinations
from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.dcr_share import equal_size_share
from privsynth.checks.privacy.distances import DistanceSet
from privsynth.vocab import Category, Goal

MAX_SUBSET_SIZE = 3
MAX_SUBSETS = 12
BOOTSTRAP_CHUNK = 100


def simultaneous(
    indicators: np.ndarray, size_ratio: float, rng: np.random.Generator, resamples: int
) -> tuple[np.ndarray, tuple[float, float]]:
    """Each column's equal-size share and a simultaneous 95% interval for the largest."""
    n, _ = indicators.shape
    shares = np.array([equal_size_share(m, size_ratio) for m in indicators.mean(axis=0)])
    draws = []
    for start in range(0, resamples, BOOTSTRAP_CHUNK):
        b = min(BOOTSTRAP_CHUNK, resamples - start)
        weights = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(np.float64) / n
        draws.append(equal_size_share(weights @ indicators, size_ratio))
    boot = np.vstack(draws)
    se = np.maximum(boot.std(axis=0), 1e-12)
    crit = float(np.quantile(np.max(np.abs(boot - shares) / se, axis=1), 0.95))
    return shares, (float(np.max(shares - crit * se)), float(np.max(shares + crit * se)))


def qi_subsets(ctx: CheckContext) -> list[tuple[str, ...]]:
    """Subsets of up to three quasi-identifiers, singles and pairs first, at most 12."""
    qis = [c for c in ctx.quasi_identifiers if c in ctx.train.columns]
    return [
        s for k in range(1, min(MAX_SUBSET_SIZE, len(qis)) + 1) for s in combinations(qis, k)
    ][:MAX_SUBSETS]


class DcrShareQuasi:
    name: ClassVar[str] = "dcr_share_qi"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_dcr_share"
    explanation: ClassVar[str] = (
        "The DCR share computed on subsets of up to three quasi-identifiers (singles and pairs "
        "first, at most 12 subsets), reporting the worst subset with a simultaneous interval "
        "over the subsets. An attacker who knows only a person's age, zip and gender compares "
        "on those columns; leakage hidden across all columns can show up there."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        subsets = qi_subsets(ctx)
        if not subsets:
            raise NotApplicable("no quasi-identifier columns")
        sets = [DistanceSet(ctx, subset, membership=False) for subset in subsets]
        indicators = np.column_stack([d.closer_indicators() for d in sets])
        shares, ci = simultaneous(indicators, sets[0].size_ratio, ctx.rng(6), ctx.bootstrap)
        per_subset = {"+".join(s): round(float(v), 4) for s, v in zip(subsets, shares, strict=True)}
        return Measurement(
            float(shares.max()),
            ci,
            {"worst_subset": "+".join(subsets[int(shares.argmax())]), "per_subset": per_subset,
             "interval": "simultaneous over the subsets (max-statistic bootstrap)"},
        )
