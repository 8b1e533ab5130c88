"""Per-column distribution similarity: KS complement for numbers and dates, TV for categories."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.schema import ColumnSchema, to_model_frame


def column_similarity(
    real: pd.Series, syn: pd.Series, cs: ColumnSchema, rare_min_count: int = 0
) -> float:
    if cs.kind in ("integer", "float", "datetime"):
        r, s = real.dropna().astype(float), syn.dropna().astype(float)
        if len(r) == 0 or len(s) == 0:
            return 1.0 if len(r) == len(s) else 0.0
        return float(1 - ks_2samp(r, s).statistic)
    real_s, syn_s = real.fillna("__nan__").astype(str), syn.fillna("__nan__").astype(str)
    if rare_min_count > 1:
        counts = real_s.value_counts()
        frequent = set(counts[counts >= rare_min_count].index)
        real_s = real_s.where(real_s.isin(frequent), "__rare__")
        syn_s = syn_s.where(syn_s.isin(frequent), "__rare__")
    r = real_s.value_counts(normalize=True)
    s = syn_s.value_counts(normalize=True)
    levels = r.index.union(s.index)
    tv = 0.5 * float(
        np.abs(r.reindex(levels, fill_value=0) - s.reindex(levels, fill_value=0)).sum()
    )
    return 1 - tv


class ColumnShapes:
    name: ClassVar[str] = "column_similarity"
    category: ClassVar[str] = "fidelity"
    goal: ClassVar[str] = "at_least"
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
