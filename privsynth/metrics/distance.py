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


# Squared distances held at once per block of a pass (doubles): 32 MB.
BLOCK_CELLS = 4_000_000


def _unique_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` (in order of first appearance), the index of each row's
    distinct row, and their counts. Rows are grouped by a 64-bit hash and the grouping is
    verified exactly; on a collision, an exact sort groups them instead."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    if len(x) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return x, empty, empty
    keys = pd.util.hash_pandas_object(pd.DataFrame(x), index=False).to_numpy()
    inverse, distinct = pd.factorize(keys)
    first = np.zeros(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(x) - 1, -1, -1)
    unique = x[first]
    if not np.array_equal(unique[inverse], x):
        unique, inverse = np.unique(x, axis=0, return_inverse=True)[:2]
    inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
    return unique, inverse, np.bincount(inverse, minlength=len(unique))


def _smallest_along_rows(d2: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k smallest values of each row (in no particular order).

    For a few neighbours, repeated argmins are several times faster than a partition."""
    if k > 8:
        return np.argpartition(d2, k - 1, axis=1)[:, :k]
    rows = np.arange(len(d2))
    out = np.empty((len(d2), k), dtype=np.int64)
    held = []
    for j in range(k):
        out[:, j] = d2.argmin(axis=1)
        if j < k - 1:
            held.append(d2[rows, out[:, j]])
            d2[rows, out[:, j]] = np.inf
    for j, values in enumerate(held):  # leave the block as it was
        d2[rows, out[:, j]] = values
    return out


def _cross_chunk(
    a: np.ndarray, b: np.ndarray, b_sq: np.ndarray, k_a: int, toward_b: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of ``cross_nearest``'s pass, on the ||x||^2 + ||y||^2 - 2xy expansion: for
    each row of ``a`` the indices of its k_a nearest rows of ``b``, and (``toward_b``) each
    row of ``b``'s smallest squared distance to this chunk's rows."""
    a_near = np.zeros((len(a), k_a), dtype=np.int64)
    b_min = np.full(len(b) if toward_b else 0, np.inf)
    a_sq = np.einsum("ij,ij->i", a, a)
    step = max(1, BLOCK_CELLS // max(len(b), 1))
    for start in range(0, len(a), step):
        stop = min(start + step, len(a))
        d2 = a[start:stop] @ b.T
        d2 *= -2
        d2 += a_sq[start:stop, None]
        d2 += b_sq[None, :]
        if toward_b:
            np.minimum(b_min, d2.min(axis=0), out=b_min)
        if k_a:
            a_near[start:stop] = _smallest_along_rows(d2, k_a)
    return a_near, b_min


def _exact_sorted(query: np.ndarray, reference: np.ndarray,
                  idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared distances from each query row to its candidate rows ``idx`` (computed
    from differences, so equal rows are at exactly 0), candidates sorted nearest first."""
    d2 = np.empty(idx.shape)
    for j in range(idx.shape[1]):
        diff = query - reference[idx[:, j]]
        d2[:, j] = np.einsum("ij,ij->i", diff, diff)
    order = np.argsort(d2, axis=1, kind="stable")
    return np.take_along_axis(d2, order, axis=1), np.take_along_axis(idx, order, axis=1)


def _expand(d2_sorted: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """The k nearest distances of each row when its distinct neighbours (nearest first)
    stand for ``counts`` equal rows each."""
    covered = np.cumsum(counts, axis=1)
    position = np.arange(k)
    column = (covered[:, :, None] <= position[None, None, :]).sum(axis=1)
    return np.take_along_axis(d2_sorted, np.minimum(column, d2_sorted.shape[1] - 1), axis=1)


def _partners(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """For each query row, the index of an equal reference row, or -1."""
    position = {row.tobytes(): j for j, row in enumerate(reference)}
    return np.array([position.get(row.tobytes(), -1) for row in query], dtype=np.int64)


def cross_nearest(
    a: np.ndarray, b: np.ndarray, k_a: int, k_b: int, n_columns: int,
    engine: Any = None, chunk_rows: int = 20_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each row of ``a`` to its ``k_a`` nearest rows of ``b``, and from each
    row of ``b`` to its nearest row of ``a`` (``k_b`` 1, or 0 for none), from one pass over
    the a x b distances, like ``knn``'s (scaled by sqrt(n_columns), rounded to 1e-9).

    Equal rows are compared once and stand for their count, so few distinct rows (a few
    quasi-identifiers, categories) cost little. Candidates come from the BLAS expansion and
    the k_a distances are then computed exactly; a row with an equal row on the other side
    is at exactly 0 both ways. Rows of ``a`` are split into chunks of ``chunk_rows`` run on
    ``engine``."""
    from privsynth.engine import LocalEngine, chunk_bounds

    if k_b not in (0, 1):
        raise ValueError("cross_nearest gives one neighbour toward b")
    k_a, k_b = min(k_a, len(b)), min(k_b, len(a))
    out_a, out_b = np.zeros((len(a), k_a)), np.zeros((len(b), k_b))
    if not len(a) or not len(b) or (k_a == 0 and k_b == 0):
        return out_a, out_b
    ua, inv_a, _ = _unique_rows(a)
    ub, inv_b, count_b = _unique_rows(b)
    ka = min(k_a, len(ub))
    chunks = [ua[s:e] for s, e in chunk_bounds(len(ua), chunk_rows)]
    if k_b:
        parts = (engine or LocalEngine()).map(
            _cross_chunk, chunks, ub, np.einsum("ij,ij->i", ub, ub), ka, True, stage="nearest",
        )
    else:  # one way only: the library's fused search is quicker than a pass of our own
        parts = [(i, None) for _, i in (engine or LocalEngine()).map(
            _knn_chunk, chunks, ub, ka, n_columns, stage="nearest")]
    scale = float(max(n_columns, 1))
    partner = _partners(ua, ub)
    if k_a:
        idx = np.vstack([p[0] for p in parts])
        missing = (partner >= 0) & ~(idx == partner[:, None]).any(axis=1)
        idx[missing, -1] = partner[missing]  # rounding hid the copy; it is the nearest
        d2, idx = _exact_sorted(ua, ub, idx)
        d2 = _expand(d2, count_b[idx], k_a)
        out_a = np.round(np.sqrt(np.maximum(d2, 0) / scale), 9)[inv_a]
    if k_b:
        d2_b = np.min(np.vstack([p[1] for p in parts]), axis=0)
        d2_b[np.isin(np.arange(len(ub)), partner[partner >= 0])] = 0.0
        out_b = np.round(np.sqrt(np.maximum(d2_b, 0) / scale), 9)[inv_b][:, None]
    return out_a, out_b


def nearest_distances(
    reference: np.ndarray, query: np.ndarray, k: int, n_columns: int,
    engine: Any = None, chunk_rows: int = 20_000,
) -> np.ndarray:
    """``knn``'s distances (without indices) from ``cross_nearest``: exact, and cheap on
    repeated rows."""
    return cross_nearest(query, reference, k, 0, n_columns, engine, chunk_rows)[0]


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
