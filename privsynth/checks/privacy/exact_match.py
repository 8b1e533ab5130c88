"""Identical-match share: synthetic rows equal to a training row vs to a holdout row."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal


def row_keys(df: pd.DataFrame, ctx: CheckContext) -> np.ndarray:
    frame = to_model_frame(df, ctx.schema).round(6).astype(str)
    # A 64-bit hash per row: vectorised, and equal rows always hash equal.
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _excess(train_rate: np.ndarray, hold_rate: np.ndarray, ratio: float) -> np.ndarray:
    # P(no match among n) = (1 - p)^n, so scale the holdout rate to the train size.
    return train_rate - (1 - (1 - hold_rate) ** ratio)


def excess_measurement(
    in_train: np.ndarray, in_hold: np.ndarray, ratio: float, rng: np.random.Generator,
    resamples: int,
) -> tuple[float, tuple[float, float]]:
    """The excess and its 95% percentile bootstrap CI over synthetic rows.

    Each row falls in one of four cells (matches a training row or not, a holdout row or
    not), so a bootstrap resample is a multinomial draw of the cell counts."""
    n = len(in_train)
    cells = (in_train.astype(int) * 2 + in_hold.astype(int))
    share = np.bincount(cells, minlength=4) / n
    value = float(_excess(share[2] + share[3], share[1] + share[3], ratio))
    draws = rng.multinomial(n, share, size=resamples) / n
    stats = _excess(draws[:, 2] + draws[:, 3], draws[:, 1] + draws[:, 3], ratio)
    lo, hi = np.quantile(stats, [0.025, 0.975])
    return value, (float(lo), float(hi))


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
        syn = row_keys(ctx.synthetic, ctx)
        in_train = np.isin(syn, row_keys(ctx.train, ctx))
        in_hold = np.isin(syn, row_keys(ctx.holdout, ctx))
        ratio = len(ctx.train) / len(ctx.holdout)
        value, ci = excess_measurement(in_train, in_hold, ratio, ctx.rng(2), ctx.bootstrap)
        return Measurement(
            value,
            ci,
            {
                "ims_train": round(float(in_train.mean()), 6),
                "ims_holdout": round(float(in_hold.mean()), 6),
                "train_rows": len(ctx.train),
                "holdout_rows": len(ctx.holdout),
            },
        )
