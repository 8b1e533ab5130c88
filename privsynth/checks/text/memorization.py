"""Text memorisation: are generated texts closer to training texts than unseen real texts are?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.tail import Excess, worst_of
from privsynth.checks.text.common import nonempty, text_columns
from privsynth.text.filter import nearest_similarity, tfidf_vectorizer
from privsynth.vocab import Category, Goal

MIN_HOLDOUT_TEXTS = 20
QUANTILE = 0.95


def memorization(
    train: list[str], holdout: list[str], synthetic: list[str]
) -> tuple[np.ndarray, float, dict[str, float], np.ndarray]:
    """Per synthetic text, 1 if its nearest training text is more similar than the 95th
    percentile of holdout texts' nearest-training similarities; that cut-off; medians; and
    the same indicator per holdout text (about 5% by construction, less with ties)."""
    vec = tfidf_vectorizer()
    ref = vec.fit_transform(train)  # type: ignore[attr-defined]
    hold = nearest_similarity(vec.transform(holdout), ref)  # type: ignore[attr-defined]
    syn = nearest_similarity(vec.transform(synthetic), ref)  # type: ignore[attr-defined]
    cut = float(np.quantile(hold, QUANTILE))
    above = (syn > cut + 1e-6).astype(float)
    return above, cut, {
        "median_similarity_synthetic_to_train": round(float(np.median(syn)), 4),
        "median_similarity_holdout_to_train": round(float(np.median(hold)), 4),
        "exact_copies": int((syn >= 0.9999).sum()),
    }, (hold > cut + 1e-6).astype(float)


class TextMemorization:
    name: ClassVar[str] = "text_memorization"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_text_memorization_excess"
    explanation: ClassVar[str] = (
        "Share of generated texts whose nearest training text (TF-IDF cosine) is more similar "
        "than 95% of unseen holdout texts get to the training texts, minus the share of "
        "holdout texts beyond that cut (about 0.05), with a score interval; the worst text "
        "column, the columns judged together. 0 is text that learned the population, not "
        "the people."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        pairs: list[tuple[str, Excess]] = []
        per_col: dict[str, dict[str, float]] = {}
        for name, col in text_columns(ctx).items():
            holdout = nonempty(col.holdout)
            if len(holdout) < MIN_HOLDOUT_TEXTS:
                continue
            above, cut, extra, hold_above = memorization(nonempty(col.train), holdout,
                                                         nonempty(col.synthetic))
            excess = Excess(int(above.sum()), len(above), int(hold_above.sum()),
                            len(hold_above))
            pairs.append((name, excess))
            per_col[name] = {"share": round(excess.share, 4),
                             "holdout_share": round(excess.expected, 4),
                             "excess": round(excess.value, 4),
                             "holdout_p95_similarity": round(cut, 4), **extra}
        if not pairs:
            raise NotApplicable(f"fewer than {MIN_HOLDOUT_TEXTS} holdout texts per text column")
        worst = worst_of(pairs)
        return Measurement(worst.value, worst.ci(),
                           {"worst_column": worst.label, "per_column": per_col,
                            "interval": "Newcombe score interval, simultaneous over columns"},
                           bound=worst.bound)
