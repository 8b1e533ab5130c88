"""Text realism: can a classifier tell generated texts from real ones?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement
from privsynth.checks.privacy.mia_distance import auc_ci, auc_of
from privsynth.checks.text.common import nonempty, text_columns
from privsynth.text.summary import tokens
from privsynth.vocab import Category, Goal

MAX_TEXTS = 2_000
FOLDS = 5


def text_detection_scores(real: list[str], synthetic: list[str], seed: int) -> np.ndarray:
    """Rows of (label, out-of-fold score): 1 for a generated text. A TF-IDF (words and word
    pairs used by at least two texts of the fold) logistic regression, fitted on the other
    folds only."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    texts = real + synthetic
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    scores = np.full(len(y), 0.5)
    folds = StratifiedKFold(min(FOLDS, len(real), len(synthetic)), shuffle=True,
                            random_state=seed)
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
        model = make_pipeline(
            TfidfVectorizer(tokenizer=tokens, lowercase=False, token_pattern=None,
                            ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            LogisticRegression(max_iter=1000, C=1.0),
        )
        try:
            model.fit([texts[i] for i in train_idx], y[train_idx])
        except ValueError:  # no term in two texts: nothing to tell them apart by
            continue
        scores[test_idx] = model.predict_proba([texts[i] for i in test_idx])[:, 1]
    return np.column_stack([y, scores])


class TextDetection:
    name: ClassVar[str] = "text_detection_auc"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_text_detection_auc"
    explanation: ClassVar[str] = (
        "ROC AUC of a TF-IDF logistic regression (words and word pairs) trained to tell real "
        "training texts from generated ones, 5-fold cross-validated, with a bootstrap CI; the "
        "highest over text columns. 0.5 means the texts read alike; 1.0 means every generated "
        "text gives itself away."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        rng = ctx.rng(83)
        per_col: dict[str, float] = {}
        sizes: dict[str, int] = {}
        worst: tuple[float, tuple[float, float], str] | None = None
        for name, col in text_columns(ctx).items():
            real, syn = nonempty(col.train), nonempty(col.synthetic)
            n = min(len(real), len(syn), MAX_TEXTS)
            real = [real[i] for i in np.sort(rng.choice(len(real), n, replace=False))]
            syn = [syn[i] for i in np.sort(rng.choice(len(syn), n, replace=False))]
            scored = text_detection_scores(real, syn, int(rng.integers(2**31)))
            auc = auc_of(scored)
            per_col[name], sizes[name] = round(auc, 4), n
            if worst is None or auc > worst[0]:
                worst = (auc, auc_ci(scored, rng, ctx.bootstrap), name)
        assert worst is not None
        return Measurement(worst[0], worst[1], {
            "per_column": per_col, "worst_column": worst[2],
            "texts_each": sizes,
            "model": "TF-IDF words and word pairs, logistic regression, 5-fold",
        })
