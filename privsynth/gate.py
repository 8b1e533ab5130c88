"""The release decision. It fails closed: only a clean pass of every check releases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from privsynth.checks.base import ERROR, FAIL, NOT_APPLICABLE, CheckResult
from privsynth.checks.stage import Evaluation
from privsynth.config import Config, GateConfig


@dataclass(frozen=True)
class Decision:
    released: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"released": self.released, "reasons": list(self.reasons)}


def decide(
    results: Sequence[CheckResult],
    gate: GateConfig | None = None,
    extra_refusals: Sequence[str] = (),
) -> Decision:
    """Release only if every check passed, or is not applicable where the policy allows it."""
    allowed_na = set(gate.not_applicable_ok) if gate else set()
    reasons: list[str] = list(extra_refusals)
    if not results:
        reasons.append("no checks ran; nothing can be released without evidence")
    for r in results:
        if r.status == NOT_APPLICABLE and r.name in allowed_na:
            continue
        if r.status == FAIL:
            cmp = "above the maximum" if r.goal == "at_most" else "below the minimum"
            on = r.details.get("judged_on", "value")
            shown = (
                r.value
                if on == "value" or r.ci is None
                else (r.ci[1] if r.goal == "at_most" else r.ci[0])
            )
            reasons.append(f"{r.name}: {on} {shown:.4g} is {cmp} of {r.threshold:g}")
        elif r.status == ERROR:
            reasons.append(f"{r.name}: could not be computed ({r.details.get('error', 'error')})")
        elif r.status == NOT_APPLICABLE:
            reasons.append(
                f"{r.name}: not applicable ({r.details.get('reason', '')}); the policy requires it"
            )
        elif not r.passed:  # any status this gate does not know
            reasons.append(f"{r.name}: unknown status {r.status!r}")
    if reasons:
        return Decision(False, tuple(reasons))
    passed = sum(r.passed for r in results)
    skipped = len(results) - passed
    note = f"; {skipped} not applicable, allowed by the policy" if skipped else ""
    return Decision(True, (f"all {passed} applicable checks passed their thresholds{note}",))


def gate_stage(
    evaluation: Evaluation, config: Config, refusals: Sequence[str] = ()
) -> Decision:
    """The gate stage: the policy's decision on the evaluation, failing closed."""
    return decide(evaluation.results, config.gate, refusals)
