"""Per-column distribution similarity: KS complement for numbers and dates, TV for categories."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.schema import ColumnSchema, to_model_frame
from privsynth.vocab import Category, Goal


def pool_levels(real: pd.Series, syn: pd.Series, k: int) -> tuple[pd.Series, pd.Series]:
    """Categories as strings, missing as its own level, levels rarer than ``k`` in the real
    column pooled (they are never reproduced, so they are compared as one)."""
    real_s, syn_s = real.fillna("__nan__").astype(str), syn.fillna("__nan__").astype(str)
    if k > 1:
        counts = real_s.value_counts()
        frequent = set(counts[counts >= k].index)
        real_s = real_s.where(real_s.isin(frequent), "__rare__")
        syn_s = syn_s.where(syn_s.isin(frequent), "__rare__")
    return real_s, syn_s


def tv_similarity(p: pd.Series, q: pd.Series) -> float:
    """1 - total variation distance between two frequency tables indexed by level."""
    levels = p.index.union(q.index)
    return 1 - 0.5 * float(
        np.abs(p.reindex(levels, fill_value=0) - q.reindex(levels, fill_value=0)).sum()
    )


def column_similarity(
    real: pd.Series, syn: pd.Series, cs: ColumnSchema, rare_min_count: int = 0
) -> float:
    if cs.kind in ("integer", "float", "datetime"):
        r, s = real.dropna().astype(float), syn.dropna().astype(float)
        if len(r) == 0 or len(s) == 0:
            return 1.0 if len(r) == len(s) else 0.0
        return float(1 - ks_2samp(r, s).statistic)
    real_s, syn_s = pool_levels(real, syn, rare_min_count)
    return tv_similarity(real_s.value_counts(normalize=True), syn_s.value_counts(normalize=True))


class ColumnShapes:
    name: ClassVar[str] = "column_similarity"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_LEAST
    threshold_key: ClassVar[str] = "min_column_similarity"
    explanation: ClassVar[str] = (
        "Mean over modelled columns of 1 - KS statistic (numbers, dates) or 1 - total variation "
        "distance (categories), synthetic vs real training rows. 1.0 means identical marginals."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.train.shape[1] == 0 or len(ctx.synthetic) == 0:
            raise NotApplicable("no structured columns to compare")
        real = to_model_frame(ctx.train, ctx.schema)
        syn = to_model_frame(ctx.synthetic[ctx.train.columns], ctx.schema)
        per_col = {
            str(c): round(
                column_similarity(real[c], syn[c], ctx.schema[str(c)], ctx.rare_min_count), 4
            )
            for c in real.columns
        }
        return Measurement(float(np.mean(list(per_col.values()))), None, {"per_column": per_col})
