"""How the policy turns a measurement into pass or fail: the gate's decision rules.

Three rules, chosen by ``gate.rule``:

* ``leak_evidence`` (the default policy). A privacy check with a confidence interval fails
  when the data shows a leak beyond the policy's tolerance: the lower confidence bound of the
  value exceeds the threshold. The bound is one-sided at level ``gate.alpha`` split over the
  privacy checks that have an interval (Bonferroni), so the chance that any of them refuses data
  sitting exactly at its tolerances is at most ``alpha``, however many checks run. Failing
  closed is then the job of the power floor (``checks/power.py``): the run must also show that
  it would have refused a reference leak, or the data is too small for empirical proof and is
  withheld. A fidelity or text check with an interval fails when the data shows it unfit:
  its one-sided 95% bound on the favourable side is beyond the threshold, so that noise in a
  small holdout does not refuse useful data. Checks without an interval are judged on their
  value.
* ``upper_ci`` (the strict policy). Every check with an interval must show it is inside the
  threshold: the pessimistic bound is judged. Safe but small tables are mostly refused.
* ``value``. Point estimates only (the lenient policy, for test environments).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

from privsynth.vocab import Category, Goal, Status

Z95 = 1.959963984540054
Z_ONE_SIDED = 1.6448536269514722  # one-sided 95%


@dataclass(frozen=True)
class Judgement:
    status: Status
    judged_on: str  # "value", "upper CI bound", "lower CI bound", "leak evidence"
    number: float  # the number compared with the threshold


def leak_z(alpha: float, family: int) -> float:
    """One-sided normal quantile for a leak test at ``alpha`` split over ``family`` checks."""
    return NormalDist().inv_cdf(1 - alpha / max(family, 1))


def leak_bound(value: float, ci: tuple[float, float], goal: Goal, z: float) -> float:
    """The value's bound on the safe side at ``z``, from the half of the 95% CI towards it.

    A bootstrap interval need not be symmetric; the half between the value and the safe side
    gives the standard error there (normal approximation)."""
    if goal == Goal.AT_MOST:
        se = max(value - ci[0], 0.0) / Z95
        return value - z * se
    se = max(ci[1] - value, 0.0) / Z95
    return value + z * se


def detectable(ci: tuple[float, float], goal: Goal, threshold: float, z: float,
               power_z: float = Z_ONE_SIDED) -> float:
    """The smallest true value (largest, for at_least) this check refuses with 95% power."""
    se = (ci[1] - ci[0]) / (2 * Z95)
    sign = 1 if goal == Goal.AT_MOST else -1
    return threshold + sign * (z + power_z) * se


def has_interval(ci: tuple[float, float] | None) -> bool:
    return ci is not None and not any(math.isnan(x) for x in ci)


def judge(
    goal: Goal, category: Category, value: float, ci: tuple[float, float] | None,
    threshold: float, rule: str, z: float, bound: Callable[[float], float] | None = None,
) -> Judgement:
    """Pass or fail under ``rule``; ``z`` is the leak test's quantile for this gate.

    ``bound``, when the check gives one, is its own safe-side bound at a quantile: the leak
    test then uses it at ``z`` instead of extrapolating from the 95% interval."""
    if value is None or math.isnan(value):
        return Judgement(Status.ERROR, "value", float("nan"))
    number, on = value, "value"
    if has_interval(ci) and ci is not None:
        if rule == "upper_ci":
            number = max(value, ci[1]) if goal == Goal.AT_MOST else min(value, ci[0])
            on = "upper CI bound" if goal == Goal.AT_MOST else "lower CI bound"
        elif rule == "leak_evidence" and category == Category.PRIVACY:
            number = bound(z) if bound is not None else leak_bound(value, ci, goal, z)
            on = "leak evidence"
        elif rule == "leak_evidence":
            number, on = leak_bound(value, ci, goal, Z_ONE_SIDED), "favourable 95% bound"
    ok = number <= threshold if goal == Goal.AT_MOST else number >= threshold
    return Judgement(Status.PASS if ok else Status.FAIL, on, number)
