"""Membership inference against the most outlying 10% of real records."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.distances import shared_distances
from privsynth.checks.privacy.mia_distance import auc_ci, auc_of
from privsynth.vocab import Category, Goal

OUTLIER_SHARE = 0.10
MIN_PER_CLASS = 10


class MiaOutliers:
    name: ClassVar[str] = "mia_auc_outliers"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_mia_auc_outliers"
    explanation: ClassVar[str] = (
        "The distance-based membership attack restricted to the 10% of real records that are "
        "furthest from their neighbours. Outliers stay vulnerable even when the average record "
        "is safe (Stadler et al., USENIX Security 2022)."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        s_train, s_hold = d.outlier_scores()
        cut = np.quantile(np.concatenate([s_train, s_hold]), 1 - OUTLIER_SHARE)
        members, non_members = d.train_to_syn[s_train >= cut], d.holdout_to_syn[s_hold >= cut]
        if min(len(members), len(non_members)) < MIN_PER_CLASS:
            raise NotApplicable(f"fewer than {MIN_PER_CLASS} outlying records per class")
        scored = np.column_stack(
            [
                np.concatenate([np.ones(len(members)), np.zeros(len(non_members))]),
                -np.concatenate([members, non_members]),
            ]
        )
        return Measurement(
            auc_of(scored),
            auc_ci(scored, ctx.rng(7), ctx.bootstrap),
            {"members": len(members), "non_members": len(non_members)},
        )
