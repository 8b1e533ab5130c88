"""DCR share: how often a synthetic row is closer to the training data than to the holdout."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, bootstrap_ci
from privsynth.checks.privacy.distances import shared_distances
from privsynth.metrics.curves import histogram_pair
from privsynth.vocab import Category, Goal


def closer_share(pairs: np.ndarray) -> float:
    """P(first < second) + half the ties, over rows of an (n, 2) array."""
    closer = pairs[:, 0] < pairs[:, 1]
    tie = pairs[:, 0] == pairs[:, 1]
    return float(closer.mean() + 0.5 * tie.mean())


def equal_size_share(s: float, size_ratio: float) -> float:
    """A share of synthetic rows nearer the training rows, rescaled to equal sizes.

    Against a training set ``size_ratio`` (r) times the holdout, independence gives a share
    of w = r / (1 + r). The observed share s maps to (s / r) / (s / r + 1 - s): 0.5 when
    s = w, 1 when every synthetic row is nearer the training data."""
    return s / size_ratio / (s / size_ratio + 1 - s)


class DcrShare:
    name: ClassVar[str] = "dcr_share"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_dcr_share"
    explanation: ClassVar[str] = (
        "P(distance to nearest training row < distance to nearest holdout row), ties shared, "
        "over synthetic rows, against every training row and rescaled to equal sizes. 0.5 "
        "means the synthetic data is no closer to the people it learned from than to people "
        "it never saw; 1 means every synthetic row sits nearer a training record."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        indicators = d.closer_indicators()

        def share(values: np.ndarray) -> float:
            return equal_size_share(float(values.mean()), d.size_ratio)

        return Measurement(
            share(indicators),
            bootstrap_ci(indicators, share, ctx.rng(3), ctx.bootstrap),
            {
                "median_dcr_train": round(float(np.median(d.syn_to_train[:, 0])), 6),
                "median_dcr_holdout": round(float(np.median(d.syn_to_holdout[:, 0])), 6),
                "zero_distance_train": int((d.syn_to_train[:, 0] == 0).sum()),
                "histogram": histogram_pair(d.syn_to_train[:, 0], d.syn_to_holdout[:, 0]),
            },
        )
