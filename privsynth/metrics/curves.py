"""Aggregate plot data for the report, computed from frames (never raw values).

Numeric bins span the real 1st-99th percentiles, so no extreme real value is shown;
categories seen fewer than k times are pooled into "other".
"""


from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from privsynth.schema import ColumnSchema, to_model_frame

BINS = 20
TOP_LEVELS = 12
MAX_CORR_COLUMNS = 20


def fidelity_plots(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: dict[str, ColumnSchema], rare_min: int
) -> dict[str, Any]:
    cols = [c for c in real.columns if c in synthetic.columns]
    r = to_model_frame(real[cols], schema)
    s = to_model_frame(synthetic[cols], schema)
    out: dict[str, Any] = {"columns": {}, "correlation_difference": None}
    numeric = []
    for col in cols:
        kind = schema[col].kind
        if kind in ("integer", "float", "datetime"):
            rv, sv = r[col].dropna().astype(float), s[col].dropna().astype(float)
            if len(rv) == 0:
                continue
            lo, hi = np.quantile(rv, [0.01, 0.99])
            if hi <= lo:
                hi = lo + 1
            edges = np.linspace(lo, hi, BINS + 1)
            out["columns"][col] = {
                "type": "histogram",
                "datetime": kind == "datetime",
                "range": [round(float(lo), 4), round(float(hi), 4)],
                "real": _shares(np.histogram(rv.clip(lo, hi), edges)[0]),
                "synthetic": _shares(np.histogram(sv.clip(lo, hi), edges)[0]),
            }
            numeric.append(col)
        else:
            rc = r[col].fillna("(missing)").astype(str).value_counts()
            keep = [lv for lv in rc.index if rc[lv] >= max(rare_min, 1)][:TOP_LEVELS]
            rs = _pool(r[col], keep)
            ss = _pool(s[col], keep)
            levels = keep + (["other"] if (rs == "other").any() or (ss == "other").any() else [])
            out["columns"][col] = {
                "type": "bars",
                "levels": levels,
                "real": [round(float((rs == lv).mean()), 4) for lv in levels],
                "synthetic": [round(float((ss == lv).mean()), 4) for lv in levels],
            }
    numeric = numeric[:MAX_CORR_COLUMNS]
    if len(numeric) >= 2:
        diff = (r[numeric].astype(float).corr() - s[numeric].astype(float).corr()).abs()
        out["correlation_difference"] = {
            "columns": numeric,
            "matrix": np.round(diff.fillna(0).to_numpy(), 3).tolist(),
        }
    return out


def _pool(values: pd.Series, keep: list[str]) -> pd.Series:
    named = values.fillna("(missing)").astype(str)
    return named.where(named.isin(keep), "other")


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return [round(float(c / total), 4) if total else 0.0 for c in counts]


def histogram_pair(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Shared-bin histograms of two distance samples, for the DCR plot."""
    top = float(np.quantile(np.concatenate([a, b]), 0.99)) if len(a) + len(b) else 1.0
    edges = np.linspace(0, max(top, 1e-9), BINS + 1)
    return {
        "range": [0.0, round(top, 4)],
        "first": _shares(np.histogram(np.clip(a, 0, top), edges)[0]),
        "second": _shares(np.histogram(np.clip(b, 0, top), edges)[0]),
    }


def roc_points(labels: np.ndarray, scores: np.ndarray, n: int = 40) -> list[list[float]]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores)
    idx = np.unique(np.linspace(0, len(fpr) - 1, min(n, len(fpr))).astype(int))
    return [[round(float(fpr[i]), 4), round(float(tpr[i]), 4)] for i in idx]
