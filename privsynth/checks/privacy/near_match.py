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


def near_copy_excess(hits: np.ndarray, reference: np.ndarray, weights: np.ndarray,
                     columns: list[str]) -> Worst:
    """Per left-out column, the synthetic rows' share against the reference's (each
    reference row at its weight), judged together (a column every real row shares with many
    others, such as a continuous one left out of a table of categories, matches by chance;
    the others do not)."""
    return worst_of([(col, Excess(int(hits[:, j].sum()), len(hits),
                                  float(weights[reference[:, j]].sum()), float(weights.sum())))
                     for j, col in enumerate(columns)])


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
        within = near_matches_within(train)
        reference = np.vstack([hold, within])
        # Matches within the training rows come in pairs: each counts half (tail.py).
        weights = reference_weights(len(hold), len(within))
        columns = list(ctx.train.columns)
        worst = near_copy_excess(syn, reference, weights, columns)
        # For the power statement (checks/power.py): leaks planted into these rows.
        ctx.cache["near_match"] = (syn, reference, weights, columns)
        return Measurement(
            worst.value, worst.ci(),
            {"worst_left_out_column": worst.label, "by_left_out_column": worst.details(),
             "any_column": {"share": round(float(syn.any(axis=1).mean()), 6),
                            "expected": round(float(reference.any(axis=1).mean()), 6)},
             "interval": "Newcombe score interval, simultaneous over the left-out columns"},
            bound=worst.bound,
        )
