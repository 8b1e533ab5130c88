"""Identical-match share: synthetic rows equal to a training row vs to a holdout row."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.tail import Excess
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal


def row_keys(df: pd.DataFrame, ctx: CheckContext) -> np.ndarray:
    frame = to_model_frame(df, ctx.schema).round(6).astype(str)
    # A 64-bit hash per row: vectorised, and equal rows always hash equal.
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def excess_of(in_train: np.ndarray, in_hold: np.ndarray, ratio: float) -> Excess:
    """Synthetic rows equal to a training row against the chance rate: the share equal to a
    holdout row, scaled to the training set's size (P(no match among r times as many rows)
    = (1 - p)^r; concave, so a mix of common and rare rows makes it an overestimate, and the
    test errs towards release). Any excess the data shows is a copied person."""
    return Excess(int(in_train.sum()), len(in_train), int(in_hold.sum()), len(in_hold), ratio)


class ExactMatch:
    name: ClassVar[str] = "exact_match"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_ims_excess"
    explanation: ClassVar[str] = (
        "Share of synthetic rows identical to a training row, minus the share expected by "
        "chance (estimated from identical matches with held-out real rows, adjusted for the "
        "larger training set), with a score interval that holds for a handful of matches. "
        "Above zero means the generator copies real records; the default policy refuses any "
        "excess the data can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.train.shape[1] == 0 or len(ctx.holdout) == 0 or len(ctx.synthetic) == 0:
            raise NotApplicable("no structured columns or rows to compare")
        syn = row_keys(ctx.synthetic, ctx)
        in_train = np.isin(syn, row_keys(ctx.train, ctx))
        in_hold = np.isin(syn, row_keys(ctx.holdout, ctx))
        ratio = len(ctx.train) / len(ctx.holdout)
        excess = excess_of(in_train, in_hold, ratio)
        return Measurement(
            excess.value,
            excess.ci(),
            {
                "copies": int(in_train.sum()),
                "expected_by_chance": round(excess.expected * len(syn), 2),
                "ims_train": round(float(in_train.mean()), 6),
                "ims_holdout": round(float(in_hold.mean()), 6),
                "train_rows": len(ctx.train),
                "holdout_rows": len(ctx.holdout),
                "interval": "Newcombe score interval (Wilson bounds per share)",
            },
            bound=excess.lower,
        )
