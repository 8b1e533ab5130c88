"""Detection: can a classifier tell synthetic rows from real ones?"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal

MAX_ROWS = 5_000
FOLDS = 3
MAX_LEVELS = 50


def _design(frame: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Standardised numbers with a missing flag; one-hot of the reference's top levels."""
    parts = []
    for col in reference.columns:
        ref, s = reference[col], frame[col]
        if pd.api.types.is_numeric_dtype(ref):
            mu, sd = float(np.nanmean(ref)), float(np.nanstd(ref)) or 1.0
            values = (s.astype(float) - mu) / sd
            parts.append(values.fillna(0).to_numpy()[:, None])
            parts.append(s.isna().to_numpy(dtype=float)[:, None])
        else:
            levels = ref.fillna("__nan__").astype(str).value_counts().index[:MAX_LEVELS]
            values = s.fillna("__nan__").astype(str).to_numpy()
            parts.append((values[:, None] == np.asarray(levels)[None, :]).astype(float))
    return np.hstack(parts) if parts else np.zeros((len(frame), 0))


class Detection:
    name: ClassVar[str] = "detection_auc"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_detection_auc"
    explanation: ClassVar[str] = (
        "ROC AUC of a logistic regression trained to tell real training rows from synthetic "
        "rows (3-fold cross-validated, up to 5,000 rows each). 0.5 means indistinguishable; "
        "1.0 means every synthetic row gives itself away."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        if ctx.train.shape[1] == 0 or len(ctx.synthetic) < 2 * FOLDS:
            raise NotApplicable("no structured columns or too few synthetic rows")
        rng = ctx.rng(67)
        n = min(len(ctx.train), len(ctx.synthetic), MAX_ROWS)
        real = ctx.train.iloc[np.sort(rng.choice(len(ctx.train), n, replace=False))]
        syn = ctx.synthetic.iloc[np.sort(rng.choice(len(ctx.synthetic), n, replace=False))]
        real_m = to_model_frame(real, ctx.schema)
        syn_m = to_model_frame(syn[real.columns], ctx.schema)
        x = np.vstack([_design(real_m, real_m), _design(syn_m, real_m)])
        y = np.r_[np.zeros(n), np.ones(n)]
        scores = np.zeros(len(y))
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=int(rng.integers(2**31)))
        for train_idx, test_idx in folds.split(x, y):
            model = LogisticRegression(max_iter=500)
            model.fit(x[train_idx], y[train_idx])
            scores[test_idx] = model.predict_proba(x[test_idx])[:, 1]
        auc = float(roc_auc_score(y, scores))
        return Measurement(auc, None, {
            "rows_each": n, "features": int(x.shape[1]), "model": "logistic regression",
            "sdmetrics_style_score": round(1 - (max(auc, 0.5) * 2 - 1), 4),
        })
