"""Identifier values as the replay search compares them: normalised, long enough to count."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

MIN_VALUE_CHARS = 4


def normalise(value: object) -> str:
    return " ".join(str(value).lower().split())


def identifier_values(values: Iterable[object]) -> frozenset[str]:
    """Normalised values long enough that a verbatim hit is evidence, not coincidence."""
    out = set()
    for v in values:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            continue
        n = normalise(v)
        if len(n) >= MIN_VALUE_CHARS:
            out.add(n)
    return frozenset(out)
