"""Linkability risk (anonymeter's attack): can synthetic rows join two halves of a record?

The attacker holds two datasets about the same people with different columns (A and B). For
each target, the nearest synthetic row on A and the nearest on B are found; the attack
succeeds when it is the same synthetic row, linking the halves. Control: holdout targets.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.attack_data import attack_targets
from privsynth.checks.privacy.risk import privacy_risk
from privsynth.metrics.distance import MixedEncoder, knn
from privsynth.vocab import Category, Goal


class Linkability:
    name: ClassVar[str] = "linkability_risk"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_linkability_risk"
    explanation: ClassVar[str] = (
        "Share of real training records whose two column halves point to the same nearest "
        "synthetic row, beyond the share for held-out records: (attack - control) / "
        "(1 - control). 0 means the synthetic data does not help link datasets."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        cols = list(ctx.train.columns)
        if len(cols) < 2 or len(ctx.synthetic) < 2:
            raise NotApplicable("linkability needs at least two structured columns")
        rng = ctx.rng(11)
        order = [cols[i] for i in rng.permutation(len(cols))]
        halves = (order[: len(order) // 2], order[len(order) // 2 :])
        targets, controls = attack_targets(ctx, rng)
        nearest: dict[str, list[np.ndarray]] = {"attack": [], "control": []}
        for half in halves:
            enc = MixedEncoder({c: ctx.schema[c] for c in half}).fit(ctx.synthetic[half])
            syn = enc.transform(ctx.synthetic[half])
            for key, frame in (("attack", targets), ("control", controls)):
                nearest[key].append(knn(syn, enc.transform(frame[half]), 1, len(half))[1][:, 0])
        linked = {key: int((a == b).sum()) for key, (a, b) in nearest.items()}
        risk, ci, details = privacy_risk(
            linked["attack"], linked["control"], len(targets), len(controls)
        )
        return Measurement(risk, ci, {**details, "columns_a": halves[0], "columns_b": halves[1]})
