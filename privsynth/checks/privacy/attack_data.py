"""Common preparation for the attack-style checks: aligned numeric arrays per column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext
from privsynth.schema import to_model_frame

NUMERIC = ("integer", "float", "datetime")


def aligned(ctx: CheckContext, columns: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per frame (train, holdout, synthetic) and column: floats, or category codes as floats
    (-1 for missing), with categories shared across frames."""
    frames = {
        name: to_model_frame(getattr(ctx, name)[columns], ctx.schema)
        for name in ("train", "holdout", "synthetic")
    }
    out: dict[str, dict[str, np.ndarray]] = {name: {} for name in frames}
    for col in columns:
        if ctx.schema[col].kind in NUMERIC:
            for name, frame in frames.items():
                out[name][col] = frame[col].astype(float).to_numpy()
        else:
            seen = (set(f[col].dropna().astype(str)) for f in frames.values())
            levels = sorted(set().union(*seen))
            for name, frame in frames.items():
                codes = pd.Categorical(frame[col].astype("string"), categories=levels).codes
                out[name][col] = codes.astype(float)
    return out


def attack_targets(
    ctx: CheckContext, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training targets and holdout controls for an attack: up to ``checks.attacks`` of each.

    The two groups need not be equal: each target's success depends only on the target and
    the synthetic rows, so the rates compare whatever the group sizes, and every real row the
    budget allows is evidence."""
    targets = ctx.train.iloc[
        np.sort(rng.choice(len(ctx.train), min(ctx.attacks, len(ctx.train)), replace=False))]
    controls = ctx.holdout.iloc[
        np.sort(rng.choice(len(ctx.holdout), min(ctx.attacks, len(ctx.holdout)), replace=False))]
    return targets, controls


def is_numeric(ctx: CheckContext, col: str) -> bool:
    return ctx.schema[col].kind in NUMERIC
