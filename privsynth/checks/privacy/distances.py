"""Nearest-neighbour distances shared by the distance-based checks, computed once per run."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, NotApplicable
from privsynth.metrics.distance import (
    MixedEncoder,
    cross_nearest,
    equal_size_sample,
    nearest_distances,
)

MIN_HOLDOUT = 20
# The last real rows' outlier scores, by a digest of their encoding (one entry).
_OUTLIER_MEMO: dict[str, Any] = {}


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
        # Every training row is evidence: the shares are rescaled for the sizes
        # (dcr_share.equal_size_share).
        self.train = enc.transform(ctx.train[cols])
        self.holdout = enc.transform(ctx.holdout[cols])
        self.size_ratio = len(ctx.train) / len(ctx.holdout)
        self.synthetic = enc.transform(ctx.synthetic[cols])
        self.n_columns = len(cols)
        n = self.n_columns

        def nearest(reference: np.ndarray, k_back: int) -> tuple[np.ndarray, np.ndarray]:
            return cross_nearest(self.synthetic, reference, 2, k_back, n, ctx.engine,
                                 ctx.chunk_rows)

        # synthetic -> each reference, two neighbours (for NNDR), and with membership the real
        # records -> synthetic, from the same pass
        back = 1 if membership else 0
        self.syn_to_train, train_to_syn = nearest(self.train, back)
        self.syn_to_holdout, holdout_to_syn = nearest(self.holdout, back)
        if membership:
            # An equal-size training sample, for the DOMIAS attack's balanced classes.
            sample = equal_size_sample(ctx.train, len(ctx.holdout), ctx.rng(1))
            self.train_sample = enc.transform(sample[cols])
            self.train_to_syn = train_to_syn[:, 0]
            self.holdout_to_syn = holdout_to_syn[:, 0]

    def closer_indicators(self) -> np.ndarray:
        """Per synthetic row, the train share of its nearest real rows: 1 when a training row
        is strictly nearer, 0 when a holdout row is, and on a tie the share of training rows
        among the real rows at that distance. Under independence its mean is w = r / (1 + r)
        for a training set r times the holdout (see ``equal_size_share``).

        Ties at distance 0 (the synthetic row equals real rows, common on a few discrete
        columns) are counted exactly; the rare ties at a positive distance count w."""
        w = self.size_ratio / (1 + self.size_ratio)
        t, h = self.syn_to_train[:, 0], self.syn_to_holdout[:, 0]
        out = (t < h) + w * (t == h)
        zero = (t == 0) & (h == 0)
        if zero.any():
            syn = _hashes(self.synthetic[zero])
            in_train = pd.Series(_hashes(self.train)).value_counts()
            in_hold = pd.Series(_hashes(self.holdout)).value_counts()
            k_t = in_train.reindex(syn).fillna(0).to_numpy()
            k_h = in_hold.reindex(syn).fillna(0).to_numpy()
            out[zero] = np.where(k_t + k_h > 0, k_t / np.maximum(k_t + k_h, 1), w)
        return out

    def outlier_scores(self, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the k-th nearest other real record: high means an outlier."""
        real = np.vstack([self.train, self.holdout])
        key = (hashlib.sha256(real.tobytes()).hexdigest(), real.shape, k)
        if _OUTLIER_MEMO.get("key") != key:
            # Real rows only: judging several synthetic tables against the same split (a
            # benchmark, candidate generators) computes this once.
            scores = nearest_distances(real, real, k + 1, self.n_columns)[:, -1]
            _OUTLIER_MEMO.update(key=key, scores=scores)
        scores = _OUTLIER_MEMO["scores"]
        return scores[: len(self.train)], scores[len(self.train) :]


def _hashes(encoded: np.ndarray) -> np.ndarray:
    """One 64-bit hash per encoded row: equal rows (distance 0) hash equal."""
    return pd.util.hash_pandas_object(pd.DataFrame(encoded), index=False).to_numpy()


def shared_distances(ctx: CheckContext) -> DistanceSet:
    """Distances on all modelled columns, computed once per context."""
    if "distances" not in ctx.cache:
        ctx.cache["distances"] = DistanceSet(ctx, list(ctx.train.columns))
    distances: DistanceSet = ctx.cache["distances"]
    return distances
