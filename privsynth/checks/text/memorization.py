"""Text memorisation: are generated texts closer to training texts than unseen real texts are?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.checks.text.common import nonempty, text_columns
from privsynth.text.filter import nearest_similarity, tfidf_vectorizer
from privsynth.vocab import Category, Goal

MIN_HOLDOUT_TEXTS = 20
QUANTILE = 0.95


def memorization(
    train: list[str], holdout: list[str], synthetic: list[str]
) -> tuple[np.ndarray, float, dict[str, float]]:
    """Per synthetic text, 1 if its nearest training text is more similar than the 95th
    percentile of holdout texts' nearest-training similarities; that cut-off; and medians."""
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
    }


class TextMemorization:
    name: ClassVar[str] = "text_memorization"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_text_memorization_share"
    explanation: ClassVar[str] = (
        "Share of generated texts whose nearest training text (TF-IDF cosine) is more similar "
        "than 95% of unseen holdout texts get to the training texts; the highest over text "
        "columns. About 0.05 is expected of text that learned the population, not the people."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        worst: tuple[float, np.ndarray] | None = None
        per_col: dict[str, dict[str, float]] = {}
        for name, col in text_columns(ctx).items():
            holdout = nonempty(col.holdout)
            if len(holdout) < MIN_HOLDOUT_TEXTS:
                continue
            above, cut, extra = memorization(nonempty(col.train), holdout, nonempty(col.synthetic))
            share = float(above.mean())
            per_col[name] = {"share": round(share, 4), "holdout_p95_similarity": round(cut, 4),
                             **extra}
            if worst is None or share > worst[0]:
                worst = (share, above)
        if worst is None:
            raise NotApplicable(f"fewer than {MIN_HOLDOUT_TEXTS} holdout texts per text column")
        share, above = worst
        ci = bootstrap_ci(above, np.mean, ctx.rng(41), ctx.bootstrap)
        return Measurement(share, ci, {"per_column": per_col})
