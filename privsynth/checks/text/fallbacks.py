"""Text fallbacks: how many rows got the safe fallback text instead of generated text."""

from __future__ import annotations

from typing import ClassVar

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.text.common import worst_column
from privsynth.vocab import Category, Goal


class TextFallbacks:
    name: ClassVar[str] = "text_fallback_share"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_text_fallback_share"
    explanation: ClassVar[str] = (
        "Share of rows whose every generation attempt was rejected (degenerate, copied, too "
        "close to a real text) and which got the fixed fallback text; the highest over text "
        "columns."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        per_col = {
            name: round(col.fallbacks / len(col.synthetic), 4)
            for name, col in ctx.texts.items()
            if col.synthetic
        }
        if not per_col:
            raise NotApplicable("no generated text column")
        return worst_column(per_col, max)
