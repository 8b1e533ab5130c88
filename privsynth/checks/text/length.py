"""Text length: do generated texts have the real column's length distribution?"""

from __future__ import annotations

from typing import ClassVar

from scipy.stats import ks_2samp

from privsynth.checks.base import CheckContext, Measurement
from privsynth.checks.text.common import nonempty, text_columns, worst_column
from privsynth.vocab import Category, Goal


class TextLength:
    name: ClassVar[str] = "text_length_similarity"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_LEAST
    threshold_key: ClassVar[str] = "min_text_length_similarity"
    explanation: ClassVar[str] = (
        "1 - KS statistic between the lengths in words of real training texts and generated "
        "texts; the lowest over text columns. 1.0 means identical length distributions."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        per_col = {}
        for name, col in text_columns(ctx).items():
            real = [len(t.split()) for t in nonempty(col.train)]
            syn = [len(t.split()) for t in nonempty(col.synthetic)]
            per_col[name] = round(float(1 - ks_2samp(real, syn).statistic), 4)
        return worst_column(per_col, min)
