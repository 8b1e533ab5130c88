"""Aggregate plot data for the report (never raw values) and inline SVG rendering.

Numeric bins span the real 1st-99th percentiles, so no extreme real value is shown;
categories seen fewer than k times are pooled into "other".
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from privsynth.schema import ColumnSchema, to_model_frame

BINS = 20
TOP_LEVELS = 12
MAX_CORR_COLUMNS = 20
REAL, SYN = "#4c72b0", "#dd8452"


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


# ---- SVG -------------------------------------------------------------------------------


def _legend(a: str, b: str) -> str:
    return (
        f"<rect x='8' y='6' width='10' height='10' fill='{REAL}'/>"
        f"<text x='22' y='15' font-size='10'>{escape(a)}</text>"
        f"<rect x='110' y='6' width='10' height='10' fill='{SYN}'/>"
        f"<text x='124' y='15' font-size='10'>{escape(b)}</text>"
    )


def bars_svg(
    first: list[float],
    second: list[float],
    labels: list[str] | None = None,
    names: tuple[str, str] = ("real", "synthetic"),
    caption: str = "",
) -> str:
    w, h, top, bottom = 360, 170, 22, 30
    n = max(len(first), 1)
    peak = max(first + second + [1e-9])
    slot = (w - 20) / n
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' role='img' "
        f"aria-label='{escape(caption)}'>",
        _legend(*names),
    ]
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        x = 10 + i * slot
        for j, (v, color) in enumerate(((a, REAL), (b, SYN))):
            bh = (h - top - bottom) * v / peak
            parts.append(
                f"<rect x='{x + j * slot / 2:.1f}' y='{h - bottom - bh:.1f}' "
                f"width='{max(slot / 2 - 1, 1):.1f}' height='{bh:.1f}' fill='{color}'/>"
            )
        if labels and n <= TOP_LEVELS + 1:
            parts.append(
                f"<text x='{x + slot / 2:.1f}' y='{h - bottom + 12}' font-size='8' "
                f"text-anchor='middle'>{escape(labels[i][:10])}</text>"
            )
    parts.append(
        f"<text x='10' y='{h - 4}' font-size='9' fill='#57606a'>{escape(caption)}</text></svg>"
    )
    return "".join(parts)


def heatmap_svg(columns: list[str], matrix: list[list[float]]) -> str:
    n = len(columns)
    cell = max(min(24, 360 // max(n, 1)), 8)
    pad = 110
    size = pad + cell * n
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' "
        "role='img' aria-label='correlation difference'>"
    ]
    for i in range(n):
        parts.append(
            f"<text x='{pad - 4}' y='{pad + i * cell + cell * 0.7:.1f}' font-size='9' "
            f"text-anchor='end'>{escape(columns[i][:16])}</text>"
        )
        for j in range(n):
            v = min(max(matrix[i][j], 0.0), 1.0)
            shade = int(255 - 200 * v)
            parts.append(
                f"<rect x='{pad + j * cell}' y='{pad + i * cell}' width='{cell}' "
                f"height='{cell}' fill='rgb(255,{shade},{shade})'><title>"
                f"{escape(columns[i])} × {escape(columns[j])}: {v:.3f}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def roc_svg(points: list[list[float]], auc: float | None) -> str:
    s = 160
    path = " ".join(
        f"{'M' if k == 0 else 'L'}{20 + x * s:.1f},{10 + (1 - y) * s:.1f}"
        for k, (x, y) in enumerate(points)
    )
    label = "" if auc is None else f"AUC {auc:.3f}"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{s + 40}' height='{s + 40}' "
        "role='img' aria-label='membership inference ROC'>"
        f"<rect x='20' y='10' width='{s}' height='{s}' fill='none' stroke='#d0d7de'/>"
        f"<path d='M20,{10 + s} L{20 + s},10' stroke='#aaa' stroke-dasharray='3'/>"
        f"<path d='{path}' fill='none' stroke='{SYN}' stroke-width='2'/>"
        f"<text x='24' y='{s + 30}' font-size='10'>false positive rate → {label}</text>"
        "</svg>"
    )
