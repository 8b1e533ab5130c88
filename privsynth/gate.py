"""The release decision. It fails closed: only a clean pass of every check releases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from privsynth.checks.base import ERROR, FAIL, NOT_APPLICABLE, CheckResult


@dataclass(frozen=True)
class Decision:
    released: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"released": self.released, "reasons": list(self.reasons)}


def decide(results: Sequence[CheckResult], extra_refusals: Sequence[str] = ()) -> Decision:
    reasons: list[str] = list(extra_refusals)
    if not results:
        reasons.append("no checks ran; nothing can be released without evidence")
    for r in results:
        if r.status == FAIL:
            cmp = "above the maximum" if r.goal == "at_most" else "below the minimum"
            reasons.append(f"{r.name}: {r.value:.4g} is {cmp} of {r.threshold:g}")
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
    return Decision(True, (f"all {len(results)} checks passed their thresholds",))
