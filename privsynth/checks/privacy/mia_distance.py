"""Distance-based membership inference: can closeness to synthetic rows reveal training members?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.metrics import roc_auc_score

from privsynth.checks.base import CheckContext, Measurement, bootstrap_ci
from privsynth.checks.privacy.distances import shared_distances
from privsynth.metrics.curves import roc_points
from privsynth.vocab import Category, Goal


def auc_of(scored: np.ndarray) -> float:
    labels, scores = scored[:, 0], scored[:, 1]
    if labels.min() == labels.max():
        return 0.5
    return float(roc_auc_score(labels, scores))


class MiaDistance:
    name: ClassVar[str] = "mia_auc"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_mia_auc"
    explanation: ClassVar[str] = (
        "An attacker guesses that a real record was in the training data when a synthetic row "
        "lies close to it. AUC of that guess over training members vs held-out non-members: "
        "0.5 is a coin toss, 1.0 means membership is fully revealed."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        labels = np.concatenate([np.ones(len(d.train_to_syn)), np.zeros(len(d.holdout_to_syn))])
        scores = -np.concatenate([d.train_to_syn, d.holdout_to_syn])
        scored = np.column_stack([labels, scores])
        return Measurement(
            auc_of(scored),
            bootstrap_ci(scored, auc_of, ctx.rng(4), ctx.bootstrap),
            {
                "members": int(len(d.train_to_syn)),
                "non_members": int(len(d.holdout_to_syn)),
                "roc": roc_points(labels, scores),
            },
        )
