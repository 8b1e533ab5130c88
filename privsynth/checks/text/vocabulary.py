"""Vocabulary: do generated texts use the real column's words in similar proportions?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement
from privsynth.checks.text.common import nonempty, text_columns, worst_column
from privsynth.text.summary import tokens
from privsynth.vocab import Category, Goal


def vocabulary_similarity(real: list[str], synthetic: list[str]) -> float:
    """Cosine similarity of the two corpora's TF-IDF-weighted word totals."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Words of at least two real texts: names and other one-off values carry no topic.
    vec = TfidfVectorizer(tokenizer=tokens, lowercase=False, token_pattern=None, min_df=2)
    try:
        r = vec.fit_transform(real)
    except ValueError:
        return 0.0
    s = vec.transform(synthetic)
    a = np.asarray(r.mean(axis=0)).ravel()
    b = np.asarray(s.mean(axis=0)).ravel()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denom) if denom else 0.0


class TextVocabulary:
    name: ClassVar[str] = "text_vocabulary_similarity"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_LEAST
    threshold_key: ClassVar[str] = "min_text_vocabulary_similarity"
    explanation: ClassVar[str] = (
        "Cosine similarity between the mean TF-IDF vectors of real training texts and generated "
        "texts, over words used by at least two real texts; the lowest over text columns. "
        "1.0 means the same words in the same proportions."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        per_col = {
            name: round(vocabulary_similarity(nonempty(col.train), nonempty(col.synthetic)), 4)
            for name, col in text_columns(ctx).items()
        }
        return worst_column(per_col, min)
