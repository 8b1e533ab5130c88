"""Too-close share: synthetic rows nearer a training record than unseen real people get.

A fresh person's distance to their nearest training record is what chance gives. Its low
tail (the 5%, 1% and 0.1% quantiles) is the reference: an ideal generator puts about that share
of its rows there, a generator that copies or nudges a few real records puts those records
there on top. The share is an excess over the reference's own, judged by a score test on the
counts (``tail.py``), so 1% copied rows are a count far beyond chance even where they hardly
move an average such as the DCR share.

The reference is every unseen real row's distance to the training rows, and every training
row's distance to the *other* training rows (leave-one-out): both are a population row's
distance to a training set of the same size. Leave-one-out hits come in pairs (two training
rows that are each other's nearest), so each counts half: together they give the tail three
times the weight the holdout alone would.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement
from privsynth.checks.privacy.distances import DistanceSet, shared_distances
from privsynth.checks.privacy.tail import (
    Worst,
    reference_weights,
    tail_cut,
    tail_excess,
    worst_of,
)
from privsynth.metrics.distance import cross_nearest
from privsynth.vocab import Category, Goal

QUANTILES = (0.05, 0.01, 0.001)
# The last real rows' reference distances, by a digest of their encoding (a few entries).
_REFERENCE_MEMO: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}


def reference_distances(d: DistanceSet, ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    """Holdout-to-train and leave-one-out train-to-train nearest distances, and each one's
    weight (``tail.LEAVE_ONE_OUT_WEIGHT``)."""
    key = (hashlib.sha256(d.train.tobytes() + d.holdout.tobytes()).hexdigest(),
           d.train.shape, d.holdout.shape)
    if key not in _REFERENCE_MEMO:
        hold = cross_nearest(d.holdout, d.train, 1, 0, d.n_columns, ctx.engine,
                             ctx.chunk_rows)[0][:, 0]
        # Each training row's two nearest training rows: itself first, so the second is its
        # nearest other row (an equal row is at 0, as it should be).
        loo = cross_nearest(d.train, d.train, 2, 0, d.n_columns, ctx.engine,
                            ctx.chunk_rows)[0][:, -1]
        if len(_REFERENCE_MEMO) >= 16:
            _REFERENCE_MEMO.clear()
        _REFERENCE_MEMO[key] = (np.concatenate([hold, loo]),
                                reference_weights(len(hold), len(loo)))
    return _REFERENCE_MEMO[key]


def tail_worst(tested: np.ndarray, reference: np.ndarray, weights: np.ndarray) -> Worst:
    """The excess at each of ``QUANTILES``, judged together (the check's and the power
    simulation's)."""
    return worst_of([(f"q{q:g}", tail_excess(tested, reference, q, weights))
                     for q in QUANTILES])


class TooClose:
    name: ClassVar[str] = "too_close_share"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_too_close_excess"
    explanation: ClassVar[str] = (
        "Share of synthetic rows nearer a training record than 95%, 99% or 99.9% of unseen real "
        "people are, minus the share of unseen people that close: the tail where a few copied "
        "or nudged real records hide. 0 means no more rows sit on top of training records "
        "than chance puts there; the default policy refuses any excess the data can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        reference, weights = reference_distances(d, ctx)
        tested = d.syn_to_train[:, 0]
        worst = tail_worst(tested, reference, weights)
        # For the power statement (checks/power.py): leaks planted into these rows.
        ctx.cache["too_close"] = (tested, reference, weights)
        cuts = {f"q{q:g}": round(tail_cut(reference, q), 6) for q in QUANTILES}
        return Measurement(worst.value, worst.ci(),
                           {"worst": worst.label, "by_cut": worst.details(), "cuts": cuts,
                            "reference_rows": len(reference),
                            "interval": "Newcombe score interval, simultaneous over the cuts"},
                           bound=worst.bound)
