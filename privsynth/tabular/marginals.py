"""Empirical marginals: numbers enter the copula as normal scores of their own distribution.

A Gaussian copula with parametric marginals forces each column into one family (beta, norm,
...), which fails on zero-inflated, multi-modal or capped columns. Here each value becomes
``Phi^-1(u)`` with ``u`` its mid-rank (ties broken at random, seeded), so every column is
exactly standard normal and the copula models only the dependence. Sampling maps back through
the column's quantile function, linearly interpolated, so atoms (a mass of zeros) and gaps
survive. Each knot of that function is the mean of a block of at least ``block`` consecutive
sorted values (at most 1,001 knots), so the knots are not individual people's values.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

KNOTS = 1001


class EmpiricalMarginal:
    def __init__(self, seed: int, block: int = 5) -> None:
        self.seed = seed
        self.block = max(int(block), 1)

    def fit_transform(self, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        ok = ~np.isnan(x)
        finite = x[ok]
        ordered = np.sort(finite)
        m = max(min(KNOTS, len(ordered) // self.block), 1)
        chunks = np.array_split(np.arange(len(ordered)), m)
        self.knots_ = np.array([ordered[c].mean() for c in chunks])
        self.probs_ = np.array([(c.mean() + 0.5) / len(ordered) for c in chunks])
        rng = np.random.default_rng(self.seed)
        order = np.lexsort((rng.random(len(finite)), finite))
        ranks = np.empty(len(finite))
        ranks[order] = np.arange(len(finite))
        out = np.full(len(x), np.nan)
        out[ok] = ndtri((ranks + 0.5) / len(finite))
        return out

    def inverse(self, scores: np.ndarray) -> np.ndarray:
        z = np.asarray(scores, dtype=float)
        out = np.interp(ndtr(z), self.probs_, self.knots_)
        return np.where(np.isnan(z), np.nan, out)
