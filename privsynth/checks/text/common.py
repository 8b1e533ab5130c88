"""Helpers shared by the text checks."""

from __future__ import annotations

from privsynth.checks.base import CheckContext, NotApplicable, TextColumn

MIN_TEXTS = 5


def text_columns(ctx: CheckContext) -> dict[str, TextColumn]:
    """Text columns with enough real and synthetic texts to compare."""
    usable = {
        name: col
        for name, col in ctx.texts.items()
        if len(nonempty(col.train)) >= MIN_TEXTS and len(nonempty(col.synthetic)) >= MIN_TEXTS
    }
    if not usable:
        raise NotApplicable("no generated text column with enough texts to compare")
    return usable


def nonempty(texts: list[str]) -> list[str]:
    return [t for t in texts if t and t.strip()]
