"""The gate's power on this run: would it have refused a leak of copied training records?

Leaks are planted into the rows that were judged: a share of the synthetic rows is replaced
by randomly chosen training rows, and the checks that answer for copies (exact_match, and
near_copy_share and too_close_share where they ran) are judged again under the gate's rule,
``SIMULATIONS`` times per share. The share of plants refused is the power. The other checks
can only add refusals, so the figure is a lower bound on the gate's power. The same
simulation, with near copies (one column changed) as well, gives the statement of which
hidden leaks the run would refuse; it is reported beside the floor, not part of it.

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
from privsynth.checks.privacy.exact_match import (
    ExactMatch,
    exact_excess,
    population_chance,
    row_keys,
)
from privsynth.checks.privacy.near_match import near_copy_excess
from privsynth.checks.privacy.too_close import tail_worst
from privsynth.config import GateConfig
from privsynth.seeds import Stream
from privsynth.vocab import Category, Goal

SIMULATIONS = 40
SHARES = (0.01, 0.02, 0.03, 0.05, 0.10)
# Hidden leaks the statement covers, beside the floor: a few real people among good rows.
HIDDEN_SHARES = (0.005, 0.01, 0.02, 0.05, 0.10)
NAME = "leak_power"
EXPLANATION = (
    "How often the gate would refuse this data had a share of its rows been copied from the "
    "training data: copies are planted into the synthetic rows and the exact-match check is "
    "judged again under the policy's rule. Below the policy's minimum power at its reference "
    "share, the data is too small for empirical proof."
)


def _planted_refusals(ctx: CheckContext, gate: GateConfig, z: float, shares: list[float],
                      kind: str, stream: int) -> dict[float, float]:
    """Refusal rate per planted share of a leak, ``SIMULATIONS`` plants per share, each
    judged by every check that answers for it and ran on this data (their rows are in
    ``ctx.cache``; exact_match always):

    * ``exact``: training rows in place of synthetic rows (exact_match, near_copy_share,
      and too_close_share at distance 0);
    * ``near``: training rows with one column changed, a random one (near_copy_share,
      which sees them by construction; the distance checks may add refusals, so this is a
      lower bound).
    """
    syn = row_keys(ctx.synthetic, ctx)
    train = row_keys(ctx.train, ctx)
    hold = row_keys(ctx.holdout, ctx)
    in_train, in_hold = np.isin(syn, train), np.isin(syn, hold)
    ratio = len(ctx.train) / len(ctx.holdout)
    near = ctx.cache.get("near_match")
    close = ctx.cache.get("too_close")
    population = ctx.cache.get("exact_match") or population_chance(ctx, train)
    rng = seeds.rng(ctx.seed, Stream.CHECK_POWER, stream)
    n = len(syn)
    out: dict[float, float] = {}
    for share in shares:
        k = max(1, math.ceil(share * n))
        refused = 0
        for _ in range(SIMULATIONS):
            replaced = rng.choice(n, k, replace=False)
            t, h = in_train.copy(), in_hold.copy()
            if kind == "exact":
                copied = train[rng.choice(len(train), k, replace=k > len(train))]
                t[replaced], h[replaced] = True, np.isin(copied, hold)
            else:
                t[replaced], h[replaced] = False, False
            excess = exact_excess(t, h, ratio, population)
            refuse = judge(ExactMatch.goal, ExactMatch.category, excess.value, excess.ci(),
                           gate.max_ims_excess, gate.rule, z, excess.bound).status == FAIL
            if near is not None and not refuse:
                hits = near[0].copy()
                if kind == "exact":  # a copy agrees on every column
                    hits[replaced] = True
                else:  # one column changed, at random: it agrees on all the others
                    hits[replaced, rng.integers(hits.shape[1], size=k)] = True
                w = near_copy_excess(hits, near[1])
                refuse = judge(Goal.AT_MOST, Category.PRIVACY, w.value, w.ci(),
                               gate.max_too_close_excess, gate.rule, z, w.bound).status == FAIL
            if close is not None and kind == "exact" and not refuse:
                d = close[0].copy()
                d[replaced] = 0.0
                w = tail_worst(d, close[1], close[2])
                refuse = judge(Goal.AT_MOST, Category.PRIVACY, w.value, w.ci(),
                               gate.max_too_close_excess, gate.rule, z, w.bound).status == FAIL
            refused += refuse
        out[share] = refused / SIMULATIONS
    return out


def copy_power(ctx: CheckContext, gate: GateConfig, z: float) -> dict[float, float]:
    """The gate's refusal rate per planted share of copied training rows."""
    return _planted_refusals(ctx, gate, z, sorted({*SHARES, gate.power_copied_share}),
                             "exact", 0)


def hidden_power(ctx: CheckContext, gate: GateConfig, z: float) -> dict[str, dict[float, float]]:
    """Refusal rates of exact copies and near copies hidden among good rows, per share."""
    out = {"exact copies": _planted_refusals(ctx, gate, z, list(HIDDEN_SHARES), "exact", 1)}
    if "near_match" in ctx.cache:
        out["near copies"] = _planted_refusals(ctx, gate, z, list(HIDDEN_SHARES), "near", 2)
    return out


def hidden_statement(power: dict[str, dict[float, float]], min_power: float) -> str:
    """'1% exact copies, 2% near copies': the smallest share of each refused with the power."""
    parts = []
    for kind, by_share in power.items():
        smallest = next((s for s, p in by_share.items() if p >= min_power), None)
        parts.append(f"{smallest:.1%} {kind}".replace(".0%", "%") if smallest is not None
                     else f"no share up to {max(by_share):.0%} of {kind}")
    return ", ".join(parts)


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
    hidden = hidden_power(ctx, gate, z)
    hidden_line = hidden_statement(hidden, gate.min_power)
    statement += (f"; hidden among good rows, it would refuse with {gate.min_power:.0%} power: "
                  f"{hidden_line}")
    status = PASS if value >= gate.min_power else FAIL
    details: dict[str, Any] = {
        **base, "statement": statement,
        "power_by_share": {f"{s:g}": p for s, p in power.items()},
        "hidden_leaks": hidden_line,
        "power_by_hidden_leak": {kind: {f"{s:g}": p for s, p in by.items()}
                                 for kind, by in hidden.items()},
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
