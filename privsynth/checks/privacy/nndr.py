"""NNDR share: are synthetic rows relatively closer to training rows than to holdout rows?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, bootstrap_ci
from privsynth.checks.privacy.dcr_share import closer_share
from privsynth.checks.privacy.distances import shared_distances
from privsynth.vocab import Category, Goal


def nndr(two_nearest: np.ndarray) -> np.ndarray:
    """Nearest over second-nearest distance; 0 when both are 0 (an exact duplicate)."""
    d1, d2 = two_nearest[:, 0], two_nearest[:, -1]
    return np.where(d2 > 0, d1 / np.where(d2 > 0, d2, 1), 0.0)


class NndrShare:
    name: ClassVar[str] = "nndr_share"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_nndr_share"
    explanation: ClassVar[str] = (
        "Nearest-neighbour distance ratio (closest / second closest real row) of each synthetic "
        "row, training sample vs holdout. A low ratio means a synthetic row sits next to one "
        "particular person rather than among many. 0.5 is ideal; higher means synthetic rows "
        "single out training records more than unseen ones."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        pairs = np.column_stack([nndr(d.syn_to_train), nndr(d.syn_to_holdout)])
        return Measurement(
            closer_share(pairs),
            bootstrap_ci(pairs, closer_share, ctx.rng(5), ctx.bootstrap),
            {
                "median_nndr_train": round(float(np.median(pairs[:, 0])), 4),
                "median_nndr_holdout": round(float(np.median(pairs[:, 1])), 4),
            },
        )
