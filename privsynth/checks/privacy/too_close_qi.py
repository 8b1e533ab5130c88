"""Too-close share on quasi-identifier subsets: the tail an attacker who knows a few QIs sees.

The same test as ``too_close.py`` on each subset of up to three quasi-identifiers (the
subsets of ``dcr_share_qi``), judged together: each subset at the family's quantile split
over the subsets, and the worst reported."""

from __future__ import annotations

from typing import ClassVar

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.dcr_share_qi import qi_subsets
from privsynth.checks.privacy.distances import DistanceSet
from privsynth.checks.privacy.tail import worst_of
from privsynth.checks.privacy.too_close import measurement, too_close
from privsynth.vocab import Category, Goal

QUANTILE = 0.01


class TooCloseQuasi:
    name: ClassVar[str] = "too_close_share_qi"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_too_close_excess"
    explanation: ClassVar[str] = (
        "The too-close share on subsets of up to three quasi-identifiers (at most 12), the "
        "worst subset reported, judged simultaneously over the subsets: synthetic rows whose "
        "age, zip and sex sit nearer a training person's than 99% of unseen people's do."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        subsets = qi_subsets(ctx)
        if not subsets:
            raise NotApplicable("no quasi-identifier columns")
        pairs = []
        for subset in subsets:
            worst, _ = too_close(DistanceSet(ctx, subset, membership=False), ctx, (QUANTILE,))
            pairs.append(("+".join(subset), worst.excesses[0]))
        return measurement(worst_of(pairs), {"quantile": QUANTILE})
