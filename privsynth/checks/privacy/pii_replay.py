"""PII replay: input identifier values found verbatim anywhere in the output."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.metrics.identifiers import normalise
from privsynth.vocab import Category, Goal

MAX_NGRAM = 6
_EDGE_PUNCT = ".,;:!?\"'()[]{}<>"


def _grams(text: str, longest: int) -> set[str]:
    tokens = str(text).lower().split()
    out = set()
    for i in range(len(tokens)):
        for j in range(i + 1, min(i + longest, len(tokens)) + 1):
            gram = " ".join(tokens[i:j])
            out.add(gram)
            out.add(gram.strip(_EDGE_PUNCT))
            # Possessives and trailing punctuation hide names ("Paul's", "Merritt.").
            out.add(re.sub(r"'s$", "", gram.strip(_EDGE_PUNCT)))
    return out


def count_replay(
    output: pd.DataFrame, values: frozenset[str], text_columns: Iterable[str]
) -> tuple[set[str], Counter[str]]:
    """Distinct replayed values and hits per column. The values never leave this function."""
    hits: set[str] = set()
    per_column: Counter[str] = Counter()
    texts = set(text_columns)
    longest = min(MAX_NGRAM, max((len(v.split()) for v in values), default=1))
    for col in output.columns:
        cells = output[col].dropna()
        if col in texts:
            for cell in cells:
                found = _grams(str(cell), longest) & values
                if found:
                    hits |= found
                    per_column[str(col)] += len(found)
        else:
            found = {normalise(c) for c in cells} & values
            if found:
                hits |= found
                per_column[str(col)] += len(found)
    return hits, per_column


class PiiReplay:
    name: ClassVar[str] = "pii_replay"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_identifier_replay"
    explanation: ClassVar[str] = (
        "Number of distinct real identifier values (names, emails, phones, IDs, and personal "
        "data found in real text) that appear verbatim in any output cell or generated text."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.output is None:
            raise NotApplicable("no output table")
        hits, per_column = count_replay(ctx.output, ctx.identifier_values, ctx.text_columns)
        return Measurement(
            float(len(hits)),
            None,
            {
                "values_searched": len(ctx.identifier_values),
                "hits_per_column": dict(per_column),
            },
        )
