"""Nearest-neighbour distances shared by the distance-based checks, computed once per run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, NotApplicable
from privsynth.metrics.distance import MixedEncoder, chunked_knn, equal_size_sample, knn

MIN_HOLDOUT = 20


class DistanceSet:
    """Nearest-neighbour distances shared by the distance-based checks."""

    def __init__(self, ctx: CheckContext, columns: Sequence[str], membership: bool = True) -> None:
        if not columns:
            raise NotApplicable("no structured columns to compare")
        if len(ctx.holdout) < MIN_HOLDOUT:
            raise NotApplicable(
                f"holdout has {len(ctx.holdout)} rows; at least {MIN_HOLDOUT} are needed"
            )
        if len(ctx.synthetic) < 2:
            raise NotApplicable("fewer than two synthetic rows")
        cols = list(columns)
        enc = MixedEncoder({c: ctx.schema[c] for c in cols}).fit(
            pd.concat([ctx.train[cols], ctx.holdout[cols]])
        )
        self.train_sample_frame = equal_size_sample(ctx.train, len(ctx.holdout), ctx.rng(1))
        self.train_sample = enc.transform(self.train_sample_frame[cols])
        self.holdout = enc.transform(ctx.holdout[cols])
        self.synthetic = enc.transform(ctx.synthetic[cols])
        self.n_columns = len(cols)
        n = self.n_columns

        def nearest(reference: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
            return chunked_knn(reference, query, k, n, ctx.engine, ctx.chunk_rows)[0]

        # synthetic -> each reference, two neighbours (for NNDR)
        self.syn_to_train = nearest(self.train_sample, self.synthetic, 2)
        self.syn_to_holdout = nearest(self.holdout, self.synthetic, 2)
        # real records -> synthetic (membership inference)
        if membership:
            self.train_to_syn = nearest(self.synthetic, self.train_sample, 1)[:, 0]
            self.holdout_to_syn = nearest(self.synthetic, self.holdout, 1)[:, 0]

    def outlier_scores(self, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the k-th nearest other real record: high means an outlier."""
        real = np.vstack([self.train_sample, self.holdout])
        dist, _ = knn(real, real, k + 1, self.n_columns)
        scores = dist[:, -1]
        return scores[: len(self.train_sample)], scores[len(self.train_sample) :]


def shared_distances(ctx: CheckContext) -> DistanceSet:
    """Distances on all modelled columns, computed once per context."""
    if "distances" not in ctx.cache:
        ctx.cache["distances"] = DistanceSet(ctx, list(ctx.train.columns))
    distances: DistanceSet = ctx.cache["distances"]
    return distances
