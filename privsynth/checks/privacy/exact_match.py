"""Identical-match share: synthetic rows equal to a training row vs to a holdout row."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.tail import Excess, Worst, reference_weights, worst_of
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal


def row_keys(df: pd.DataFrame, ctx: CheckContext) -> np.ndarray:
    frame = to_model_frame(df, ctx.schema).round(6).astype(str)
    # A 64-bit hash per row: vectorised, and equal rows always hash equal.
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def population_chance(ctx: CheckContext, train: np.ndarray) -> tuple[float, float]:
    """(hits, rows) of what chance gives a fresh person: holdout rows equal to a training
    row, and training rows equal to another one (counted half: they come in pairs)."""
    hold = np.isin(row_keys(ctx.holdout, ctx), train)
    _, inverse, counts = np.unique(train, return_inverse=True, return_counts=True)
    duplicated = counts[inverse.reshape(-1)] >= 2
    w = reference_weights(len(hold), len(duplicated))
    return float(w[np.concatenate([hold, duplicated])].sum()), float(w.sum())


def exact_excess(in_train: np.ndarray, in_hold: np.ndarray, ratio: float,
                 population: tuple[float, float]) -> Worst:
    """Verbatim training records against two chance rates, judged together: the
    generator's own (its rows equal to a holdout row, scaled), which holds for any
    generator that did not see the holdout; and a fresh person's (``population_chance``),
    which has the training set's weight behind it as well as the holdout's, so that 15
    copies among 300 rows are evidence where 75 holdout rows alone cannot show it."""
    n = len(in_train)
    return worst_of([("generator's chance", excess_of(in_train, in_hold, ratio)),
                     ("a fresh person's chance", Excess(int(in_train.sum()), n, *population))])


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
        "chance: the generator's (its rows identical to held-out real rows, adjusted for the "
        "larger training set) and a fresh person's (held-out rows identical to a training "
        "row, and training rows to one another), judged together with a score interval "
        "that holds for a handful of matches. "
        "Above zero means the generator copies real records; the default policy refuses any "
        "excess the data can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.train.shape[1] == 0 or len(ctx.holdout) == 0 or len(ctx.synthetic) == 0:
            raise NotApplicable("no structured columns or rows to compare")
        syn = row_keys(ctx.synthetic, ctx)
        train = row_keys(ctx.train, ctx)
        in_train = np.isin(syn, train)
        in_hold = np.isin(syn, row_keys(ctx.holdout, ctx))
        ratio = len(ctx.train) / len(ctx.holdout)
        population = population_chance(ctx, train)
        ctx.cache["exact_match"] = population  # for the power floor (checks/power.py)
        excess = exact_excess(in_train, in_hold, ratio, population)
        return Measurement(
            excess.value,
            excess.ci(),
            {
                "copies": int(in_train.sum()),
                "worst": excess.label,
                "by_chance_rate": excess.details(),
                "ims_train": round(float(in_train.mean()), 6),
                "ims_holdout": round(float(in_hold.mean()), 6),
                "train_rows": len(ctx.train),
                "holdout_rows": len(ctx.holdout),
                "interval": "Newcombe score interval, simultaneous over the two chance rates",
            },
            bound=excess.bound,
        )
