"""Near copies: synthetic rows equal to a training record on every column but one.

A real record with one number nudged (age 47 -> 48) or one category swapped is still that
person, and an attacker who links on the other columns finds them. Such a row is at a small
but non-zero distance, which a distance average hardly notices; here it is an exact match
once the changed column is left out. Per synthetic row: does some training record agree with
it on all columns but one (any one)? The share is compared with the same share among unseen
real people (holdout rows against the training rows, and each training row against the
*other* training rows, each counted half as such matches come in pairs), which is what
chance gives, by a score test on the counts (``tail.py``). Exact copies count too.

Rows are compared as ``exact_match`` compares them (numbers to 6 decimals), each row's
leave-one-column-out keys from a sum of per-column 64-bit hashes, so the test costs a few
hash passes however large the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.tail import Excess, Worst, reference_weights, worst_of
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal

MIN_COLUMNS = 3


def column_hashes(df: pd.DataFrame, ctx: CheckContext) -> np.ndarray:
    """(rows, columns) 64-bit hashes of each cell, salted by its column."""
    frame = to_model_frame(df, ctx.schema).round(6).astype(str)
    out = np.empty(frame.shape, dtype=np.uint64)
    for j, col in enumerate(frame.columns):
        out[:, j] = pd.util.hash_pandas_object(
            frame[col], index=False, hash_key=f"privsynth-{j:06d}"[:16]).to_numpy()
    return out


def leave_one_out_keys(hashes: np.ndarray) -> np.ndarray:
    """(rows, columns) keys: key j of a row stands for the row without column j."""
    with np.errstate(over="ignore"):
        total = hashes.sum(axis=1, dtype=np.uint64)
        return total[:, None] - hashes


def near_matches(tested: np.ndarray, train: np.ndarray) -> np.ndarray:
    """(rows, columns): does a training row agree with the tested row on all but column j?"""
    return np.column_stack([np.isin(tested[:, j], train[:, j]) for j in range(train.shape[1])])


def near_matches_within(train: np.ndarray) -> np.ndarray:
    """(rows, columns): does another training row agree with it on all but column j?"""
    out = []
    for j in range(train.shape[1]):
        _, inverse, counts = np.unique(train[:, j], return_inverse=True, return_counts=True)
        out.append(counts[inverse.reshape(-1)] >= 2)
    return np.column_stack(out)


# A left-out column is "rare by chance" when at most this share of training rows agree with
# another training row on every other column.
LOW_CHANCE = 0.01


@dataclass(frozen=True)
class NearReference:
    """What chance gives: the holdout rows' matches per left-out column, the training rows'
    matches among themselves, and the columns chosen from the latter alone."""

    holdout: np.ndarray  # (holdout rows, columns)
    within: np.ndarray  # (training rows, columns)
    columns: tuple[str, ...]

    @property
    def rare(self) -> np.ndarray:
        """Columns whose left-out matches are rare among the training rows."""
        return self.within.mean(axis=0) <= LOW_CHANCE if len(self.within) else \
            np.zeros(len(self.columns), dtype=bool)


def near_copy_excess(hits: np.ndarray, ref: NearReference) -> Worst:
    """Two unions of near matches, judged together.

    * Over the columns whose left-out matches are rare among the training rows (a table of
      categories with one continuous column has the continuous one left out of it: leave it
      out and 11% of fresh people agree with a training record on the rest).
    * Over every column.
    Each against the holdout rows and the training rows among themselves (counted half, as
    their matches come in pairs). The choice of columns reads the training rows' matches,
    which are part of the reference too; a column is chosen only below 1%, so the choice can
    lower the expected share by a fraction of a percent at most, and the calibration
    benchmark measures what that costs ideal data.
    A near copy with any one column changed is in the first union whenever that column is
    one of the rare ones, which is most of them on a wide table; testing each column apart
    would spread a few near copies over fifteen tests and see none."""
    rare = ref.rare
    weights = reference_weights(len(ref.holdout), len(ref.within))
    reference = np.vstack([ref.holdout, ref.within])
    pairs: list[tuple[str, Excess]] = []
    for label, cols in (("rare columns", rare), ("every column", np.ones_like(rare))):
        if not cols.any():
            continue
        chance = reference[:, cols].any(axis=1)
        pairs.append((label, Excess(int(hits[:, cols].any(axis=1).sum()), len(hits),
                                    float(weights[chance].sum()), float(weights.sum()))))
    return worst_of(pairs)


class NearMatch:
    name: ClassVar[str] = "near_copy_share"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_too_close_excess"
    explanation: ClassVar[str] = (
        "Share of synthetic rows equal to a training record on every column but one (a real "
        "person with one number nudged or one category swapped, or copied whole), minus the "
        "share of unseen real people who agree that closely with a training record. 0 means "
        "no more near copies than chance; the default policy refuses any excess the data "
        "can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.train.shape[1] < MIN_COLUMNS:
            raise NotApplicable(f"fewer than {MIN_COLUMNS} structured columns")
        if len(ctx.holdout) == 0 or len(ctx.synthetic) == 0:
            raise NotApplicable("no holdout or synthetic rows to compare")
        train = leave_one_out_keys(column_hashes(ctx.train, ctx))
        syn = near_matches(leave_one_out_keys(column_hashes(ctx.synthetic, ctx)), train)
        hold = near_matches(leave_one_out_keys(column_hashes(ctx.holdout, ctx)), train)
        ref = NearReference(hold, near_matches_within(train), tuple(ctx.train.columns))
        worst = near_copy_excess(syn, ref)
        # For the power statement (checks/power.py): leaks planted into these rows.
        ctx.cache["near_match"] = (syn, ref)
        rare = [c for c, r in zip(ref.columns, ref.rare, strict=True) if r]
        return Measurement(
            worst.value, worst.ci(),
            {"worst": worst.label, "by_union": worst.details(),
             "rare_columns": rare,
             "left_out_match_share": {
                 c: round(float(m), 6) for c, m in zip(ref.columns, ref.within.mean(axis=0),
                                                       strict=True)},
             "interval": "Newcombe score interval, simultaneous over the two unions"},
            bound=worst.bound,
        )
