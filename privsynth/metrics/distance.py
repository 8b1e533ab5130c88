"""Mixed-type distances for the disclosure checks.

Encoding: numbers and dates are scaled by the real data's range to [0, 1]; a missing number
adds an indicator column of weight 1 (its value is set to the median); categories are one-hot
at weight 1/sqrt(2), so a mismatch adds exactly 1 to the squared distance; a missing category
is its own level; a level never seen in the real data counts as a mismatch.

Distance: sqrt(sum of squared per-column differences / number of columns), a root-mean-square
Gower-style distance in [0, 1]. It is Euclidean on the encoding, so nearest neighbours come
from BLAS-backed brute force in chunks (no full distance matrix is held), which keeps
50k x 50k comparisons within minutes on 2 cores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from privsynth.schema import ColumnSchema, to_model_frame

NUMERIC = ("integer", "float", "datetime")
_ONE_HOT = 1 / np.sqrt(2)


class MixedEncoder:
    def __init__(self, schema: dict[str, ColumnSchema]) -> None:
        self.schema = schema

    def fit(self, df: pd.DataFrame) -> MixedEncoder:
        frame = to_model_frame(df, self.schema)
        self.columns_ = list(frame.columns)
        self.numeric_: dict[str, tuple[float, float, float]] = {}
        self.levels_: dict[str, list[str]] = {}
        exact: list[bool] = []
        for col in self.columns_:
            if self.schema[col].kind in NUMERIC:
                exact += [False, True]
                vals = frame[col].astype(float).to_numpy()
                finite = vals[np.isfinite(vals)]
                if len(finite) == 0:
                    self.numeric_[col] = (0.0, 1.0, 0.0)
                else:
                    lo, hi = float(finite.min()), float(finite.max())
                    self.numeric_[col] = (lo, max(hi - lo, 1e-12), float(np.median(finite)))
            else:
                self.levels_[col] = sorted(frame[col].fillna("__nan__").astype(str).unique())
                exact += [True] * (len(self.levels_[col]) + 1)
        # Encoded columns where any difference is a full mismatch (one-hot levels, missing
        # indicators), against scaled numbers.
        self.exact_ = np.array(exact, dtype=bool)
        return self

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        frame = to_model_frame(df[self.columns_], self.schema)
        parts = []
        for col in self.columns_:
            if col in self.numeric_:
                lo, span, med = self.numeric_[col]
                vals = frame[col].astype(float).to_numpy()
                missing = ~np.isfinite(vals)
                parts.append(np.clip((np.where(missing, med, vals) - lo) / span, -1, 2)[:, None])
                parts.append(missing.astype(float)[:, None])
            else:
                levels = self.levels_[col]
                codes = pd.Categorical(
                    frame[col].fillna("__nan__").astype(str), categories=levels
                ).codes
                # An unseen level (a fresh code) gets its own column: a full mismatch.
                onehot = np.zeros((len(frame), len(levels) + 1))
                seen = codes >= 0
                onehot[np.nonzero(seen)[0], codes[seen]] = _ONE_HOT
                onehot[~seen, -1] = _ONE_HOT
                parts.append(onehot)
        if not parts:
            return np.zeros((len(frame), 0))
        return np.hstack(parts).astype(np.float64)


def knn(
    reference: np.ndarray, query: np.ndarray, k: int, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (rounded to 1e-9, so exact copies tie at 0) and indices of k nearest rows."""
    k = min(k, len(reference))
    nn = NearestNeighbors(n_neighbors=k, metric="euclidean", algorithm="brute", n_jobs=1)
    nn.fit(reference)
    dist, idx = nn.kneighbors(query)
    return np.round(dist / np.sqrt(max(n_columns, 1)), 9), idx


def _knn_chunk(
    query: np.ndarray, reference: np.ndarray, k: int, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    return knn(reference, query, k, n_columns)


def chunked_knn(
    reference: np.ndarray, query: np.ndarray, k: int, n_columns: int,
    engine: Any = None, chunk_rows: int = 20_000,
) -> tuple[np.ndarray, np.ndarray]:
    """``knn`` with the query rows split into chunks, run on ``engine`` (None: here).

    The chunks are the same whatever runs them, so every engine returns the same arrays."""
    from privsynth.engine import LocalEngine, chunk_bounds

    chunks = [query[a:b] for a, b in chunk_bounds(len(query), chunk_rows)]
    if not chunks:
        return knn(reference, query, k, n_columns)
    parts = (engine or LocalEngine()).map(
        _knn_chunk, chunks, reference, k, n_columns, stage="nearest"
    )
    return np.vstack([d for d, _ in parts]), np.vstack([i for _, i in parts])


def _row_keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of a 0/1-valued block."""
    if block.shape[1] == 0:
        return np.zeros(len(block), dtype=np.uint64)
    return pd.util.hash_pandas_object(pd.DataFrame(block > 0), index=False).to_numpy()


def _block_nearest_sq(reference: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance from each query row to its nearest reference row."""
    if reference.shape[1] == 0:
        return np.zeros(len(query))
    if len(reference) * len(query) <= 250_000:
        diff = query[:, None, :] - reference[None, :, :]
        return np.einsum("qrd,qrd->qr", diff, diff).min(axis=1)
    # Few number columns: a space-partitioning tree beats brute force by orders of magnitude.
    algorithm = "kd_tree" if reference.shape[1] <= 16 else "brute"
    nn = NearestNeighbors(n_neighbors=1, algorithm=algorithm, n_jobs=1).fit(reference)
    return np.asarray(nn.kneighbors(query)[0][:, 0] ** 2)


def nearest_below_mismatch(
    reference: np.ndarray, query: np.ndarray, exact: np.ndarray, n_columns: int
) -> tuple[np.ndarray, float]:
    """Nearest-row distances that are exact below ``cap`` = 1/sqrt(n_columns), and ``cap``
    for rows whose nearest reference row is at least that far.

    A single mismatched category or missing indicator adds 1 to the squared distance, so a
    row closer than ``cap`` agrees on all of them: only rows sharing them exactly (one hash
    block) are compared, on the number columns. Returns (distances, cap); distances are
    rounded to 1e-9 like ``knn``'s.
    """
    n = max(n_columns, 1)
    cap = float(np.round(1 / np.sqrt(n), 9))
    out = np.full(len(query), cap)
    if not len(reference) or not len(query):
        return out, cap
    ref_num, q_num = reference[:, ~exact], query[:, ~exact]
    ref_keys, q_keys = _row_keys(reference[:, exact]), _row_keys(query[:, exact])
    r_order = np.argsort(ref_keys, kind="stable")
    r_sorted = ref_keys[r_order]
    q_order = np.argsort(q_keys, kind="stable")
    keys, q_start, q_count = np.unique(q_keys[q_order], return_index=True, return_counts=True)
    lo = np.searchsorted(r_sorted, keys, "left")
    hi = np.searchsorted(r_sorted, keys, "right")
    for i in np.nonzero(hi > lo)[0]:
        rows = q_order[q_start[i] : q_start[i] + q_count[i]]
        d2 = _block_nearest_sq(ref_num[r_order[lo[i] : hi[i]]], q_num[rows])
        out[rows] = np.minimum(np.round(np.sqrt(np.maximum(d2, 0) / n), 9), cap)
    return out, cap


def equal_size_sample(frame: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """A random sample as large as ``size``, so two references compare fairly."""
    if len(frame) <= size:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size, replace=False))]
