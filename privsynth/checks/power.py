"""The gate's power on this run: would it have refused a leak of copied training records?

Leaks are planted into the rows that were judged: a share of the synthetic rows is replaced
by randomly chosen training rows, and the exact-match check is judged again under the
gate's rule, ``SIMULATIONS`` times per share. The share of plants refused is the power. Only
the exact-match check is re-run (it is the one that answers for copies, and it is cheap); the
other checks can only add refusals, so the figure is a lower bound on the gate's power.

The power floor makes the leak-evidence rule fail closed: when the run's power against the
policy's reference leak (``gate.power_copied_share``) is below ``gate.min_power``, the data is
too small for empirical proof and the result fails, whatever the other checks say.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from privsynth import seeds
from privsynth.checks.base import FAIL, NOT_APPLICABLE, PASS, CheckContext, CheckResult
from privsynth.checks.judge import judge
from privsynth.checks.privacy.exact_match import ExactMatch, excess_measurement, row_keys
from privsynth.config import GateConfig
from privsynth.seeds import Stream
from privsynth.vocab import Category, Goal

SIMULATIONS = 40
SHARES = (0.01, 0.02, 0.03, 0.05, 0.10)
NAME = "leak_power"
EXPLANATION = (
    "How often the gate would refuse this data had a share of its rows been copied from the "
    "training data: copies are planted into the synthetic rows and the exact-match check is "
    "judged again under the policy's rule. Below the policy's minimum power at its reference "
    "share, the data is too small for empirical proof."
)


def copy_power(ctx: CheckContext, gate: GateConfig, z: float) -> dict[float, float]:
    """Refusal rate of the exact-match check per planted share of copied training rows."""
    syn = row_keys(ctx.synthetic, ctx)
    train = row_keys(ctx.train, ctx)
    hold = row_keys(ctx.holdout, ctx)
    in_train = np.isin(syn, train)
    in_hold = np.isin(syn, hold)
    ratio = len(ctx.train) / len(ctx.holdout)
    rng = seeds.rng(ctx.seed, Stream.CHECK_POWER)
    shares = sorted({*SHARES, gate.power_copied_share})
    power: dict[float, float] = {}
    for share in shares:
        k = max(1, math.ceil(share * len(syn)))
        refused = 0
        for _ in range(SIMULATIONS):
            replaced = rng.choice(len(syn), k, replace=False)
            copied = train[rng.choice(len(train), k, replace=k > len(train))]
            t, h = in_train.copy(), in_hold.copy()
            t[replaced] = True
            h[replaced] = np.isin(copied, hold)
            value, ci = excess_measurement(t, h, ratio, rng, ctx.bootstrap)
            verdict = judge(ExactMatch.goal, ExactMatch.category, value, ci,
                            gate.max_ims_excess, gate.rule, z)
            refused += verdict.status == FAIL
        power[share] = refused / SIMULATIONS
    return power


def power_result(ctx: CheckContext, gate: GateConfig, z: float) -> CheckResult:
    """The power floor as a check result: fails when the run cannot show a leak would be seen."""
    base: dict[str, Any] = {"simulations": SIMULATIONS, "reference_share": gate.power_copied_share}
    if len(ctx.holdout) == 0 or len(ctx.synthetic) == 0 or ctx.train.shape[1] == 0:
        return CheckResult(NAME, Category.PRIVACY, Goal.AT_LEAST, gate.min_power,
                           NOT_APPLICABLE, None, None, EXPLANATION,
                           {**base, "reason": "no structured rows to plant copies into"})
    power = copy_power(ctx, gate, z)
    value = power[gate.power_copied_share]
    smallest = next((s for s, p in power.items() if p >= gate.min_power), None)
    k = max(1, math.ceil(gate.power_copied_share * len(ctx.synthetic)))
    statement = (
        f"with {len(ctx.holdout):,} unseen rows and {len(ctx.synthetic):,} synthetic rows, a "
        f"leak of {gate.power_copied_share:.0%} copied records ({k:,} rows) would be refused "
        f"with probability {value:.0%}"
    )
    if smallest is not None:
        statement += (
            f"; the smallest share refused with {gate.min_power:.0%} power is {smallest:.0%}"
        )
    status = PASS if value >= gate.min_power else FAIL
    details: dict[str, Any] = {
        **base, "statement": statement,
        "power_by_share": {f"{s:g}": p for s, p in power.items()},
        "judged_on": "value",
    }
    if status == FAIL:
        details["refusal"] = (
            f"the data is too small for empirical proof: {statement}, below the policy's "
            f"{gate.min_power:.0%}; a DP synthesizer within the policy's epsilon needs no "
            "empirical power"
        )
    return CheckResult(NAME, Category.PRIVACY, Goal.AT_LEAST, gate.min_power, status, value,
                       None, EXPLANATION, details)
