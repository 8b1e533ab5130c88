"""ML utility: does a model trained on synthetic rows work on real rows it never saw?

TSTR (train on synthetic, test on the real holdout) against TRTR (train on real training
rows of the same number, test on the same holdout), for one target column.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.metrics.encoding import encode_features
from privsynth.schema import target_like, to_model_frame
from privsynth.vocab import Category, Goal

__all__ = ["MlUtility", "guess_target"]

MAX_ROWS = 20_000
MIN_HOLDOUT = 50
MAX_CLASSES = 20
_NUMERIC = ("integer", "float", "datetime")


def guess_target(ctx: CheckContext) -> str | None:
    """A column named like a target, else the last categorical column with 2-10 levels."""
    cols = [str(c) for c in ctx.train.columns]
    for col in cols:
        if target_like(col):
            return col
    for col in reversed(cols):
        cs = ctx.schema[col]
        if cs.kind in ("categorical", "boolean") and 2 <= cs.n_distinct <= 10:
            return col
    return None


class MlUtility:
    name: ClassVar[str] = "ml_utility"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_utility_gap"
    explanation: ClassVar[str] = (
        "TRTR minus TSTR: accuracy (classification) or R^2 (regression) of a gradient-boosted "
        "model predicting the target column on the real holdout, trained on real training "
        "rows minus trained on as many synthetic rows. 0 means synthetic data trains models "
        "as well as real data does."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        target = ctx.utility_target or guess_target(ctx)
        if not target:
            raise NotApplicable("no target column named in checks.utility_target or guessed")
        if target not in ctx.train.columns:
            raise NotApplicable(f"target column '{target}' is not a modelled column")
        if len(ctx.holdout) < MIN_HOLDOUT or len(ctx.synthetic) < MIN_HOLDOUT:
            raise NotApplicable(f"fewer than {MIN_HOLDOUT} holdout or synthetic rows")
        cs = ctx.schema[target]
        regression = cs.kind in _NUMERIC and cs.n_distinct > MAX_CLASSES
        rng = ctx.rng(71)
        n = min(len(ctx.train), len(ctx.synthetic), MAX_ROWS)
        real = ctx.train.iloc[np.sort(rng.choice(len(ctx.train), n, replace=False))]
        syn = ctx.synthetic.iloc[np.sort(rng.choice(len(ctx.synthetic), n, replace=False))]
        frames = [to_model_frame(f[ctx.train.columns], ctx.schema) for f in (real, syn,
                                                                               ctx.holdout)]
        frames = [f[f[target].notna()] for f in frames]
        real_m, syn_m, hold_m = frames
        if min(len(f) for f in frames) < MIN_HOLDOUT:
            raise NotApplicable("too few rows with a target value")
        features = [c for c in real_m.columns if c != target]
        if not features:
            raise NotApplicable("no feature columns besides the target")

        truth = hold_m[target]

        def per_row(train: pd.DataFrame) -> np.ndarray:
            """Per holdout row: squared error (regression) or 1 for a right class."""
            x_tr, x_te, cats = encode_features(train[features], hold_m[features])
            if regression:
                model = HistGradientBoostingRegressor(random_state=0, categorical_features=cats)
                model.fit(x_tr, train[target].astype(float))
                return np.asarray((truth.astype(float) - model.predict(x_te)) ** 2)
            y_tr = train[target].astype(str).to_numpy()
            if len(set(y_tr)) < 2:
                return np.asarray(truth.astype(str).to_numpy() == y_tr[0], dtype=float)
            model = HistGradientBoostingClassifier(random_state=0, categorical_features=cats)
            model.fit(x_tr, y_tr)
            return np.asarray(model.predict(x_te) == truth.astype(str).to_numpy(), dtype=float)

        extra = [truth.astype(float).to_numpy()] if regression else []

        def scores(rows: np.ndarray) -> tuple[float, float]:
            """TRTR and TSTR on these holdout rows (columns: real, synthetic[, truth])."""
            if not regression:
                return float(rows[:, 0].mean()), float(rows[:, 1].mean())
            sst = float(((rows[:, 2] - rows[:, 2].mean()) ** 2).sum()) or 1e-12
            return 1 - float(rows[:, 0].sum()) / sst, 1 - float(rows[:, 1].sum()) / sst

        real_rows = per_row(real_m)
        trtr = scores(np.column_stack([real_rows, real_rows, *extra]))[0]
        baseline = 0.0 if regression else float(
            truth.astype(str).value_counts(normalize=True).iloc[0])
        if trtr <= baseline + 0.01:
            raise NotApplicable(
                f"'{target}' cannot be predicted even from real rows "
                f"({'R^2' if regression else 'accuracy'} {trtr:.3f} vs baseline {baseline:.3f})"
            )
        paired = np.column_stack([real_rows, per_row(syn_m), *extra])
        trtr, tstr = scores(paired)

        def gap(rows: np.ndarray) -> float:
            a, b = scores(rows)
            return a - b

        # The holdout is a sample too: the gap's interval resamples its rows, both models
        # scored on the same rows (paired).
        ci = bootstrap_ci(paired, gap, ctx.rng(72), min(ctx.bootstrap, 500))
        details: dict[str, object] = {
            "target": target,
            "chosen_by": "config" if ctx.utility_target else "guessed",
            "task": "regression (R^2)" if regression else "classification (accuracy)",
            "trtr": round(trtr, 4),
            "tstr": round(tstr, 4),
            "training_rows": n,
            "holdout_rows": len(hold_m),
        }
        details["baseline"] = round(baseline, 4)
        return Measurement(trtr - tstr, ci, details)
