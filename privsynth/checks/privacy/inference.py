"""Attribute-inference risk (anonymeter's attack) for each sensitive column.

The attacker knows every other column of a target, finds the nearest synthetic row on those
columns and guesses its sensitive value. A guess is right when it matches (categories) or is
within 5% (numbers). Control: the same attack on held-out records.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.attack_data import NUMERIC, attack_targets
from privsynth.checks.privacy.risk import privacy_risk
from privsynth.metrics.distance import MixedEncoder, knn
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal

TOLERANCE = 0.05


def correct(guess: pd.Series, truth: pd.Series, numeric: bool) -> np.ndarray:
    if numeric:
        g, t = guess.astype(float).to_numpy(), truth.astype(float).to_numpy()
        return np.abs(g - t) <= TOLERANCE * np.abs(t) + 1e-12
    return guess.astype(str).to_numpy() == truth.astype(str).to_numpy()


class Inference:
    name: ClassVar[str] = "inference_risk"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_inference_risk"
    explanation: ClassVar[str] = (
        "For each sensitive column, an attacker who knows a person's other columns guesses the "
        "sensitive value from the nearest synthetic row. Risk is the success on training "
        "records beyond the success on held-out records; the worst column is reported."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        secrets = [c for c in ctx.sensitive if c in ctx.train.columns]
        if not secrets:
            raise NotApplicable("no sensitive columns")
        if len(ctx.train.columns) < 2:
            raise NotApplicable("no auxiliary columns to attack with")
        rng = ctx.rng(12)
        targets, controls = attack_targets(ctx, rng)
        per_secret: dict[str, dict[str, object]] = {}
        worst = None
        for secret in secrets:
            aux = [c for c in ctx.train.columns if c != secret]
            enc = MixedEncoder({c: ctx.schema[c] for c in aux}).fit(ctx.synthetic[aux])
            syn = enc.transform(ctx.synthetic[aux])
            syn_secret = to_model_frame(ctx.synthetic[[secret]], ctx.schema)[secret]
            numeric = ctx.schema[secret].kind in NUMERIC
            wins = []
            for frame in (targets, controls):
                idx = knn(syn, enc.transform(frame[aux]), 1, len(aux))[1][:, 0]
                guess = syn_secret.iloc[idx].reset_index(drop=True)
                truth = to_model_frame(frame[[secret]], ctx.schema)[secret].reset_index(drop=True)
                wins.append(int(correct(guess, truth, numeric).sum()))
            risk, ci, details = privacy_risk(wins[0], wins[1], len(targets), len(controls))
            per_secret[secret] = {"risk": round(risk, 4), **details}
            if worst is None or risk > worst[0]:
                worst = (risk, ci, secret)
        assert worst is not None
        return Measurement(worst[0], worst[1], {"worst_column": worst[2], "per_column": per_secret})
