"""Helpers shared by the text checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, TextColumn

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


def worst_column(
    per_col: dict[str, float], worst: Callable[[Iterable[float]], float]
) -> Measurement:
    """The worst column's value (``min`` or ``max``), with every column's in the details."""
    return Measurement(worst(per_col.values()), None, {"per_column": per_col})
