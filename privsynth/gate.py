"""The release decision. It fails closed: only a clean pass of every check releases.

One exception, when the policy asks for it: a DP synthesizer with epsilon at most
``gate.accept_dp_epsilon`` is its own evidence for the structured disclosure checks and the
power floor, whose guarantee does not shrink with the table. Identifier replay, canaries and
the text checks still apply, and every check is still reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from privsynth.checks.base import ERROR, FAIL, NOT_APPLICABLE, PASS, CheckResult
from privsynth.checks.stage import Evaluation
from privsynth.config import Config, GateConfig


@dataclass(frozen=True)
class Decision:
    released: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"released": self.released, "reasons": list(self.reasons)}


# The checks a DP guarantee answers for: disclosure through the modelled columns.
DP_COVERED = frozenset({
    "exact_match", "near_copy_share", "too_close_share", "mia_tpr_low_fpr",
    "dcr_share", "dcr_share_qi", "nndr_share", "mia_auc", "mia_auc_outliers",
    "mia_auc_domias", "singling_out_risk", "linkability_risk", "inference_risk",
    "cap_disclosure", "leak_power",
})


def decide(
    results: Sequence[CheckResult],
    gate: GateConfig | None = None,
    extra_refusals: Sequence[str] = (),
    dp_epsilon: float | None = None,
) -> Decision:
    """Release only if every check passed, or is not applicable where the policy allows it."""
    allowed_na = set(gate.not_applicable_ok) if gate else set()
    dp_accepted = (
        gate is not None and dp_epsilon is not None and 0 < dp_epsilon <= gate.accept_dp_epsilon
    )
    reasons: list[str] = list(extra_refusals)
    set_aside: list[str] = []
    if not results:
        reasons.append("no checks ran; nothing can be released without evidence")
    for r in results:
        # A check of one of several linked tables is named "table:check".
        if r.status == NOT_APPLICABLE and r.name.rsplit(":", 1)[-1] in allowed_na:
            continue
        if dp_accepted and r.name in DP_COVERED and r.status != PASS:
            set_aside.append(r.name)
            continue
        if r.status == FAIL:
            if "refusal" in r.details:
                reasons.append(f"{r.name}: {r.details['refusal']}")
                continue
            cmp = "above the maximum" if r.goal == "at_most" else "below the minimum"
            on = r.details.get("judged_on", "value")
            shown = r.details.get("judged_number", r.value)
            if on == "leak evidence":
                reasons.append(f"{r.name}: the data shows a leak: even the lower bound "
                               f"{shown:.4g} is {cmp} of {r.threshold:g}")
                continue
            reasons.append(f"{r.name}: {on} {shown:.4g} is {cmp} of {r.threshold:g}")
        elif r.status == ERROR:
            reasons.append(f"{r.name}: could not be computed ({r.details.get('error', 'error')})")
        elif r.status == NOT_APPLICABLE:
            reasons.append(
                f"{r.name}: not applicable ({r.details.get('reason', '')}); the policy requires it"
            )
        elif not r.passed:  # any status this gate does not know
            reasons.append(f"{r.name}: unknown status {r.status!r}")
    power = next((r for r in results if r.name == "leak_power" and "statement" in r.details),
                 None)
    power_line = (
        (f"the gate's power on this data: {power.details['statement']}",)
        if power is not None and power.status == PASS else ()
    )
    if reasons:
        return Decision(False, (*reasons, *power_line))
    passed = sum(r.passed for r in results)
    skipped = len(results) - passed - len(set_aside)
    note = f"; {skipped} not applicable, allowed by the policy" if skipped else ""
    out = [f"all {passed} applicable checks passed their thresholds{note}"]
    if set_aside:
        out.append(
            f"the DP guarantee (epsilon {dp_epsilon:g}, at most the policy's "
            f"{gate.accept_dp_epsilon:g}) is accepted as the evidence for "
            f"{', '.join(set_aside)}, which did not pass on their own" if gate else ""
        )
    return Decision(True, (*out, *power_line))


def gate_stage(
    evaluation: Evaluation, config: Config, refusals: Sequence[str] = (),
    dp_epsilon: float | None = None,
) -> Decision:
    """The gate stage: the policy's decision on the evaluation, failing closed."""
    return decide(evaluation.results, config.gate, refusals, dp_epsilon)
