"""Identical-match share: synthetic rows equal to a training row vs to a holdout row."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal


def _row_keys(df: pd.DataFrame, ctx: CheckContext) -> np.ndarray:
    frame = to_model_frame(df, ctx.schema).round(6).astype(str)
    # A 64-bit hash per row: vectorised, and equal rows always hash equal.
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


class ExactMatch:
    name: ClassVar[str] = "exact_match"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_ims_excess"
    explanation: ClassVar[str] = (
        "Share of synthetic rows identical to a training row, minus the share expected by "
        "chance (estimated from identical matches with held-out real rows, adjusted for the "
        "larger training set). Above zero means the generator copies real records."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.train.shape[1] == 0 or len(ctx.holdout) == 0 or len(ctx.synthetic) == 0:
            raise NotApplicable("no structured columns or rows to compare")
        syn = _row_keys(ctx.synthetic, ctx)
        in_train = np.isin(syn, _row_keys(ctx.train, ctx)).astype(float)
        in_hold = np.isin(syn, _row_keys(ctx.holdout, ctx)).astype(float)
        ratio = len(ctx.train) / len(ctx.holdout)

        def excess(pairs: np.ndarray) -> float:
            # P(no match among n) = (1 - p)^n, so scale the holdout rate to the train size.
            expected = 1 - (1 - pairs[:, 1].mean()) ** ratio
            return float(pairs[:, 0].mean() - expected)

        pairs = np.column_stack([in_train, in_hold])
        ci = bootstrap_ci(pairs, excess, ctx.rng(2), ctx.bootstrap)
        return Measurement(
            excess(pairs),
            ci,
            {
                "ims_train": round(float(in_train.mean()), 6),
                "ims_holdout": round(float(in_hold.mean()), 6),
                "train_rows": len(ctx.train),
                "holdout_rows": len(ctx.holdout),
            },
        )
