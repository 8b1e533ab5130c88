"""DCR share on quasi-identifier subsets: the worst case an attacker who knows some QIs sees."""

from __future__ import annotations

from itertools import combinations
from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.checks.privacy.dcr_share import closer_share
from privsynth.checks.privacy.distances import DistanceSet
from privsynth.vocab import Category, Goal

MAX_SUBSET_SIZE = 3
MAX_SUBSETS = 12


class DcrShareQuasi:
    name: ClassVar[str] = "dcr_share_qi"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_dcr_share"
    explanation: ClassVar[str] = (
        "The DCR share computed on subsets of up to three quasi-identifiers (singles and pairs "
        "first, at most 12 subsets), reporting the worst subset. An attacker who knows only "
        "a person's age, zip and gender compares on "
        "those columns; leakage hidden across all columns can show up there."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        qis = [c for c in ctx.quasi_identifiers if c in ctx.train.columns]
        if not qis:
            raise NotApplicable("no quasi-identifier columns")
        subsets = [
            s for k in range(1, min(MAX_SUBSET_SIZE, len(qis)) + 1) for s in combinations(qis, k)
        ][:MAX_SUBSETS]
        worst, worst_pairs, per_subset = -1.0, None, {}
        for subset in subsets:
            d = DistanceSet(ctx, subset, membership=False)
            pairs = np.column_stack([d.syn_to_train[:, 0], d.syn_to_holdout[:, 0]])
            share = closer_share(pairs)
            per_subset["+".join(subset)] = round(share, 4)
            if share > worst:
                worst, worst_pairs = share, pairs
        assert worst_pairs is not None
        ci = bootstrap_ci(worst_pairs, closer_share, ctx.rng(6), ctx.bootstrap)
        return Measurement(
            worst,
            ci,
            {"worst_subset": max(per_subset, key=per_subset.__getitem__), "per_subset": per_subset},
        )
