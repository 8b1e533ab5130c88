"""Attribute disclosure by correct attribution probability (CAP), against a holdout baseline.

Key: the quasi-identifiers, with numbers and dates of more than 20 values in 20 quantile bins;
numeric sensitive values in 10 bins. For each real target, CAP is the
share of synthetic rows with the target's key that also carry its sensitive value (0 when no
synthetic row has the key). Training targets are compared with held-out targets: a positive
excess means the synthetic data discloses the sensitive values of the people it learned from.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.metrics.binning import QiBinner
from privsynth.schema import ColumnSchema
from privsynth.vocab import Category, Goal

KEY_BINS = 20
SECRET_BINS = 10


def discretise(
    frames: list[pd.DataFrame], schema: dict[str, ColumnSchema], cols: list[str], bins: int
) -> list[pd.Series]:
    """One string key per row, with numbers binned by quantiles of the first two (real) frames."""
    binner = QiBinner(frames[:2], schema, cols, bins)
    return [binner.keys(f) for f in frames]


def _cap(keys: pd.Series, vals: pd.Series, key_n: pd.Series, pair_n: pd.Series) -> np.ndarray:
    """Per target: share of synthetic rows with its key that carry its value (0 if none)."""
    idx = pd.MultiIndex.from_arrays([keys.to_numpy(), vals.to_numpy()])
    num = pair_n.reindex(idx).fillna(0).to_numpy()
    den = key_n.reindex(keys.to_numpy()).fillna(0).to_numpy()
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _gap(values: np.ndarray) -> float:
    member = values[:, 0] == 1
    if member.all() or not member.any():  # a resample that lost a group says nothing
        return float("nan")
    return float(values[member, 1].mean() - values[~member, 1].mean())


class CapDisclosure:
    name: ClassVar[str] = "cap_disclosure"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_cap_excess"
    explanation: ClassVar[str] = (
        "Correct attribution probability: how often synthetic rows sharing a person's "
        "quasi-identifiers carry that person's sensitive value, for training records minus "
        "held-out records. Above zero means sensitive values of real people are disclosed."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        keys = [c for c in ctx.quasi_identifiers if c in ctx.train.columns]
        secrets = [c for c in ctx.sensitive if c in ctx.train.columns and c not in keys]
        if not keys or not secrets:
            raise NotApplicable("needs quasi-identifier and sensitive columns")
        # A target's CAP depends only on it and the synthetic rows: every training row counts.
        train = ctx.train
        frames = [train, ctx.holdout, ctx.synthetic]
        key_t, key_h, key_s = discretise(frames, ctx.schema, keys, KEY_BINS)
        worst = None
        per: dict[str, float] = {}
        for secret in secrets:
            val_t, val_h, val_s = discretise(frames, ctx.schema, [secret], SECRET_BINS)
            syn = pd.DataFrame({"k": key_s.to_numpy(), "v": val_s.to_numpy()})
            key_n = syn.groupby("k").size()
            pair_n = syn.groupby(["k", "v"]).size()

            values = np.vstack(
                [
                    np.column_stack([np.ones(len(train)), _cap(key_t, val_t, key_n, pair_n)]),
                    np.column_stack(
                        [np.zeros(len(ctx.holdout)), _cap(key_h, val_h, key_n, pair_n)]
                    ),
                ]
            )
            gap = _gap(values)
            per[secret] = round(gap, 4)
            if worst is None or gap > worst[0]:
                worst = (gap, values, secret)
        assert worst is not None
        ci = bootstrap_ci(worst[1], _gap, ctx.rng(14), ctx.bootstrap)
        return Measurement(
            worst[0], ci, {"worst_column": worst[2], "per_column": per, "key_columns": keys}
        )
