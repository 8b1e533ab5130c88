"""Gower-style encoding so that L1 distance / n_columns is the Gower distance.

Numbers and dates are scaled by their training range; categories are one-hot at weight 0.5
(a mismatch costs 1); a missing value is its own category, and for numbers an indicator
column of weight 1 marks it (the value itself is set to the training median).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from privsynth.schema import ColumnSchema, to_model_frame

if TYPE_CHECKING:
    from privsynth.checks.base import CheckContext

NUMERIC = ("integer", "float", "datetime")


class GowerEncoder:
    def __init__(self, schema: dict[str, ColumnSchema]) -> None:
        self.schema = schema

    def fit(self, df: pd.DataFrame) -> GowerEncoder:
        frame = to_model_frame(df, self.schema)
        self.columns_ = list(frame.columns)
        self.numeric_: dict[str, tuple[float, float, float]] = {}
        self.levels_: dict[str, list[str]] = {}
        for col in self.columns_:
            if self.schema[col].kind in NUMERIC:
                vals = frame[col].astype(float)
                lo, hi = (
                    float(np.nanmin(vals)) if vals.notna().any() else 0.0,
                    float(np.nanmax(vals)) if vals.notna().any() else 1.0,
                )
                med = float(np.nanmedian(vals)) if vals.notna().any() else 0.0
                self.numeric_[col] = (lo, max(hi - lo, 1e-12), med)
            else:
                self.levels_[col] = sorted(frame[col].fillna("__nan__").astype(str).unique())
        return self

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        frame = to_model_frame(df[self.columns_], self.schema)
        parts = []
        for col in self.columns_:
            if col in self.numeric_:
                lo, span, med = self.numeric_[col]
                vals = frame[col].astype(float).to_numpy()
                missing = np.isnan(vals)
                scaled = np.clip((np.where(missing, med, vals) - lo) / span, -1, 2)
                parts.append(scaled[:, None])
                parts.append(missing.astype(float)[:, None])
            else:
                cats = pd.Categorical(
                    frame[col].fillna("__nan__").astype(str), categories=self.levels_[col]
                )
                onehot = np.zeros((len(frame), len(self.levels_[col])), dtype=float)
                codes = cats.codes
                ok = codes >= 0
                onehot[np.nonzero(ok)[0], codes[ok]] = 0.5
                parts.append(onehot)
        if not parts:
            return np.zeros((len(frame), 0))
        return np.hstack(parts).astype(np.float32)


def nearest_distance(reference: np.ndarray, query: np.ndarray, n_columns: int) -> np.ndarray:
    """Gower distance from each query row to its nearest reference row."""
    nn = NearestNeighbors(n_neighbors=1, metric="manhattan", algorithm="brute")
    nn.fit(reference)
    dist, _ = nn.kneighbors(query)
    return dist[:, 0] / max(n_columns, 1)


def equal_size_split(ctx_train: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """A random train sample as large as the holdout, so the two references compare fairly."""
    if len(ctx_train) <= size:
        return ctx_train
    idx = rng.choice(len(ctx_train), size, replace=False)
    return ctx_train.iloc[np.sort(idx)]


class DistanceSet:
    """Nearest-neighbour distances shared by the distance-based checks."""

    def __init__(
        self, train_sample: np.ndarray, holdout: np.ndarray, synthetic: np.ndarray, n_columns: int
    ) -> None:
        # synthetic -> references
        self.syn_to_train = nearest_distance(train_sample, synthetic, n_columns)
        self.syn_to_holdout = nearest_distance(holdout, synthetic, n_columns)
        # real records -> synthetic (for membership inference)
        self.train_to_syn = nearest_distance(synthetic, train_sample, n_columns)
        self.holdout_to_syn = nearest_distance(synthetic, holdout, n_columns)


MIN_HOLDOUT = 20


def shared_distances(ctx: CheckContext) -> DistanceSet:
    from privsynth.checks.base import NotApplicable

    if "distances" not in ctx.cache:
        if ctx.train.shape[1] == 0:
            raise NotApplicable("no structured columns to compare")
        if len(ctx.holdout) < MIN_HOLDOUT:
            raise NotApplicable(
                f"holdout has {len(ctx.holdout)} rows; at least {MIN_HOLDOUT} needed"
            )
        if len(ctx.synthetic) == 0:
            raise NotApplicable("no synthetic rows")
        enc = GowerEncoder(ctx.schema).fit(pd.concat([ctx.train, ctx.holdout]))
        sample = equal_size_split(ctx.train, len(ctx.holdout), ctx.rng(1))
        ctx.cache["distances"] = DistanceSet(
            enc.transform(sample),
            enc.transform(ctx.holdout),
            enc.transform(ctx.synthetic),
            ctx.train.shape[1],
        )
    distances: DistanceSet = ctx.cache["distances"]
    return distances
