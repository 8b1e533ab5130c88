"""Membership inference at a low false-positive rate: does the attack expose a few members?

An AUC averages over every threshold, so a few exposed people hardly move it (Carlini et al.,
"Membership Inference Attacks From First Principles", 2022). The attacker here calls a real
record a member when a synthetic row lies closer to it than to all but 1% (or 0.1%) of
unseen real records: the true-positive rate at that false-positive rate. Members and
non-members are exchangeable for a generator that learned the population, whatever the
generator, so the excess TPR - FPR is judged by a score test on the counts (``tail.py``),
simultaneously over the two rates."""

from __future__ import annotations

from typing import ClassVar

from privsynth.checks.base import CheckContext, Measurement
from privsynth.checks.privacy.distances import shared_distances
from privsynth.checks.privacy.tail import tail_excess, worst_of
from privsynth.vocab import Category, Goal

FALSE_POSITIVE_RATES = (0.01, 0.001)


class MiaTpr:
    name: ClassVar[str] = "mia_tpr_low_fpr"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_mia_tpr_excess"
    explanation: ClassVar[str] = (
        "The distance attack's true-positive rate at a 1% and a 0.1% false-positive rate, "
        "minus that rate: training members with a synthetic row closer than all but 1% of "
        "unseen people have. 0 means the attack finds no member beyond its false alarms; the "
        "default policy refuses any excess the data can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        d = shared_distances(ctx)
        pairs = [(f"fpr{f:g}", tail_excess(d.train_to_syn, d.holdout_to_syn, f))
                 for f in FALSE_POSITIVE_RATES]
        worst = worst_of(pairs)
        rates = {label: {"tpr": round(e.share, 6), "fpr": round(e.expected, 6)}
                 for label, e in pairs}
        return Measurement(worst.value, worst.ci(),
                           {"worst": worst.label, "rates": rates, "by_rate": worst.details(),
                            "members": len(d.train_to_syn),
                            "non_members": len(d.holdout_to_syn),
                            "interval": "Newcombe score interval, simultaneous over the rates"},
                           bound=worst.bound)
