"""Column-pair trends: are relationships between columns kept?"""

from __future__ import annotations

import itertools
from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.fidelity.column_shapes import pool_levels
from privsynth.schema import to_model_frame
from privsynth.vocab import Category, Goal

MAX_PAIRS = 300
MAX_ROWS = 20_000
BINS = 10
_NUMERIC = ("integer", "float", "datetime")


def _binned(real: pd.Series, syn: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers into the real column's quantile bins; missing values are their own level."""
    edges = np.unique(np.nanquantile(real.astype(float), np.linspace(0, 1, BINS + 1)))
    if len(edges) < 2:
        return real.astype(str), syn.astype(str)
    inner = edges[1:-1]
    return (
        pd.Series(np.digitize(real.astype(float), inner)).where(real.notna().to_numpy(), -1),
        pd.Series(np.digitize(syn.astype(float), inner)).where(syn.notna().to_numpy(), -1),
    )


def contingency_similarity(a_real: pd.Series, b_real: pd.Series, a_syn: pd.Series,
                           b_syn: pd.Series) -> float:
    """1 - total variation distance between the two joint frequency tables (rows with a
    missing value in either column left out)."""
    n_real = len(a_real)
    a_codes, a_levels = pd.factorize(np.concatenate([a_real.to_numpy(), a_syn.to_numpy()]))
    b_codes, b_levels = pd.factorize(np.concatenate([b_real.to_numpy(), b_syn.to_numpy()]))
    cells = a_codes * len(b_levels) + b_codes
    known = (a_codes >= 0) & (b_codes >= 0)
    size = len(a_levels) * len(b_levels)

    def share(part: slice) -> np.ndarray:
        counts = np.bincount(cells[part][known[part]], minlength=size).astype(float)
        return counts / counts.sum() if counts.sum() else counts

    return 1 - 0.5 * float(np.abs(share(slice(0, n_real)) - share(slice(n_real, None))).sum())


def correlation_similarity(a_real: pd.Series, b_real: pd.Series, a_syn: pd.Series,
                           b_syn: pd.Series) -> float:
    """1 - |Pearson(real) - Pearson(synthetic)| / 2."""
    r = pd.concat([a_real, b_real], axis=1).dropna().corr().iloc[0, 1]
    s = pd.concat([a_syn, b_syn], axis=1).dropna().corr().iloc[0, 1]
    if pd.isna(r) or pd.isna(s):
        return 1.0 if pd.isna(r) and pd.isna(s) else 0.5
    return 1 - abs(float(r) - float(s)) / 2


def pair_scores(real: pd.DataFrame, syn: pd.DataFrame, kinds: dict[str, str],
                pairs: list[tuple[str, str]], rare_min_count: int) -> dict[str, float]:
    """Each pair's similarity (``"a | b"``), on model frames (numbers and dates as numbers):
    correlation for two numbers, the joint frequency table otherwise (numbers binned, rare
    levels pooled)."""
    real, syn = real.copy(), syn.copy()
    for c in {c for pair in pairs for c in pair}:
        if kinds[c] not in _NUMERIC:
            real[c], syn[c] = pool_levels(real[c], syn[c], rare_min_count)
    scores: dict[str, float] = {}
    for a, b in pairs:
        if kinds[a] in _NUMERIC and kinds[b] in _NUMERIC:
            score = correlation_similarity(real[a], real[b], syn[a], syn[b])
        else:
            ra, sa = _binned(real[a], syn[a]) if kinds[a] in _NUMERIC else (real[a], syn[a])
            rb, sb = _binned(real[b], syn[b]) if kinds[b] in _NUMERIC else (real[b], syn[b])
            score = contingency_similarity(ra, rb, sa, sb)
        scores[f"{a} | {b}"] = round(score, 4)
    return scores


class ColumnPairTrends:
    name: ClassVar[str] = "column_pair_similarity"
    category: ClassVar[Category] = Category.FIDELITY
    goal: ClassVar[Goal] = Goal.AT_LEAST
    threshold_key: ClassVar[str] = "min_pair_similarity"
    explanation: ClassVar[str] = (
        "Mean over column pairs of 1 - |correlation difference| / 2 (two numeric or date "
        "columns, Pearson) or 1 - total variation distance of the joint frequency table "
        "(numbers binned into 10 quantile bins), synthetic vs real training rows."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        cols = [str(c) for c in ctx.train.columns]
        if len(cols) < 2 or len(ctx.synthetic) == 0:
            raise NotApplicable("fewer than two structured columns")
        rng = ctx.rng(61)
        pairs = list(itertools.combinations(cols, 2))
        if len(pairs) > MAX_PAIRS:
            pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), MAX_PAIRS, replace=False))]
        real = ctx.train if len(ctx.train) <= MAX_ROWS else ctx.train.sample(
            MAX_ROWS, random_state=int(rng.integers(2**31)))
        syn = ctx.synthetic if len(ctx.synthetic) <= MAX_ROWS else ctx.synthetic.sample(
            MAX_ROWS, random_state=int(rng.integers(2**31)))
        real_m = to_model_frame(real, ctx.schema).reset_index(drop=True)
        syn_m = to_model_frame(syn[real.columns], ctx.schema).reset_index(drop=True)
        kinds = {c: str(ctx.schema[c].kind) for c in cols}
        scores = pair_scores(real_m, syn_m, kinds, pairs, ctx.rare_min_count)
        worst = sorted(scores.items(), key=lambda kv: kv[1])[:5]
        return Measurement(
            float(np.mean(list(scores.values()))), None,
            {"pairs": len(scores), "pairs_total": len(list(itertools.combinations(cols, 2))),
             "worst_pairs": dict(worst)},
        )
