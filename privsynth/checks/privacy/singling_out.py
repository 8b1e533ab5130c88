"""Singling-out risk (anonymeter's multivariate attack, re-implemented from the paper).

The attacker writes predicates from synthetic rows, such as age >= 71 AND plan == premium
AND region == r3, that match exactly one synthetic row. An attack succeeds when the predicate
matches exactly one training record. The control is the same predicates on sets as large as
the training set drawn at random from the pooled real rows (training and holdout): a
permutation test, so the control needs no holdout as large as the training set and the
draws give the risk's null spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.judge import Z95
from privsynth.checks.privacy.attack_data import aligned, is_numeric
from privsynth.vocab import Category, Goal

PREDICATE_COLUMNS = 3
MAX_TRIES_FACTOR = 50
PERMUTATIONS = 100


class SinglingOut:
    name: ClassVar[str] = "singling_out_risk"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_singling_out_risk"
    explanation: ClassVar[str] = (
        "Share of predicates built from synthetic rows that isolate exactly one real training "
        "record, beyond what they achieve on held-out records: (attack - control) / "
        "(1 - control). 0 means the synthetic data gives no extra power to single people out."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        cols = list(ctx.train.columns)
        if not cols or len(ctx.synthetic) < 10:
            raise NotApplicable("no structured columns or too few synthetic rows")
        data = aligned(ctx, cols)
        rng = ctx.rng(10)
        width = min(PREDICATE_COLUMNS, len(cols))
        (syn, train, hold), missing = _ranks(
            [data[f] for f in ("synthetic", "train", "holdout")], cols)
        numeric = np.array([is_numeric(ctx, c) for c in cols])
        queries = _unique_predicates(syn, numeric, missing, width, ctx.attacks, rng)
        if len(queries) < 30:
            raise NotApplicable(f"only {len(queries)} singling-out predicates could be built")
        # A predicate isolates one record more easily in a larger table, so the control must
        # be as large as the training set: it is a random training-sized set drawn from the
        # pooled real rows (training and holdout), many times. Under independence the training
        # set is one such draw, so the attack and the control share their expectation and the
        # spread of the draws is the null spread of the risk. A copied row is in every
        # training set but only in some draws, which is what the risk measures.
        pool = np.concatenate([train, hold])
        n_train = len(train)
        draws = np.zeros((len(pool), PERMUTATIONS), dtype=np.float32)
        for j in range(PERMUTATIONS):
            draws[rng.permutation(len(pool))[:n_train], j] = 1.0
        is_train = np.zeros((len(pool), 1), dtype=np.float32)
        is_train[:n_train] = 1.0
        members = np.hstack([is_train, draws])
        columns = np.asfortranarray(pool)
        counts = np.concatenate([
            _sparse_matches(columns, part) @ members for part in queries.batches(len(pool))
        ])
        attack = counts[:, 0] == 1
        control = counts[:, 1:] == 1  # (queries, draws)
        risk, ci, details = permutation_risk(attack, control)
        return Measurement(
            risk,
            ci,
            {**details, "predicate_columns": width,
             "attack_on": "every training row; control: training-sized draws from the pooled "
                          "training and holdout rows"},
        )


def permutation_risk(
    attack: np.ndarray, control: np.ndarray
) -> tuple[float, tuple[float, float], dict[str, Any]]:
    """(attack - control) / (1 - control), the control averaged over the draws, with a 95%
    interval of +- 1.96 times the spread of the same risk computed for each draw (its null
    distribution)."""
    a = float(attack.mean())
    per_draw = control.mean(axis=0)
    c = float(per_draw.mean())
    room = max(1 - c, 1e-9)
    risk = (a - c) / room
    se = float(np.std((per_draw - c) / room, ddof=1)) if len(per_draw) > 1 else float("nan")
    details = {"attack_rate": round(a, 4), "control_rate": round(c, 4),
               "attacks": len(attack), "control_draws": control.shape[1]}
    return risk, (risk - Z95 * se, risk + Z95 * se), details


CELLS_PER_BATCH = 32_000_000  # queries x rows compared at once (as bits: 4 MB)


@dataclass(frozen=True)
class Predicates:
    """Conjunctions of ``width`` terms, each a column index and an inclusive range of value
    ranks (== v is [v, v]; >= v is [v, top]; <= v is [0, v]; missing is its own rank)."""

    columns: np.ndarray  # (queries, width) int
    low: np.ndarray  # (queries, width) int
    high: np.ndarray  # (queries, width) int

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, keep: slice | np.ndarray) -> Predicates:
        return Predicates(self.columns[keep], self.low[keep], self.high[keep])

    def batches(self, rows: int) -> list[Predicates]:
        size = _batch_size(rows)
        return [self[i:i + size] for i in range(0, len(self), size)]


def _ranks(frames: list[dict[str, np.ndarray]],
           cols: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each frame as a (rows, columns) integer matrix of value ranks shared across the frames,
    and each column's rank of a missing value (NaN): above every value, so that a range of
    values never reaches it."""
    levels = [np.unique(np.concatenate([f[col][~np.isnan(f[col])] for f in frames]))
              for col in cols]
    missing = np.array([len(values) + 1 for values in levels])
    dtype = np.int16 if missing.max(initial=0) < np.iinfo(np.int16).max else np.int32
    out = [np.empty((len(next(iter(f.values()))), len(cols)), dtype=dtype) for f in frames]
    for j, (col, values) in enumerate(zip(cols, levels, strict=True)):
        for matrix, frame in zip(out, frames, strict=True):
            x = frame[col]
            matrix[:, j] = np.where(np.isnan(x), missing[j], np.searchsorted(values, x))
    return out, missing


def _batch_size(rows: int) -> int:
    return max(16, CELLS_PER_BATCH // max(rows, 1))


def _unique_predicates(synthetic: np.ndarray, numeric: np.ndarray, missing: np.ndarray,
                       width: int, attacks: int, rng: np.random.Generator) -> Predicates:
    """Up to ``attacks`` predicates, each from a random synthetic row on ``width`` random
    columns (>= or <= on numbers, == on categories and on missing values), that match exactly
    one synthetic row. Candidates are drawn and counted in batches; at most
    attacks x MAX_TRIES_FACTOR are tried."""
    n_syn, n_cols = synthetic.shape
    by_column = np.asfortranarray(synthetic)
    found: list[Predicates] = []
    tries = total = 0
    while total < attacks and tries < attacks * MAX_TRIES_FACTOR:
        size = min(_batch_size(n_syn), attacks * MAX_TRIES_FACTOR - tries)
        tries += size
        rows = rng.integers(n_syn, size=size)
        columns = np.argsort(rng.random((size, n_cols)), axis=1)[:, :width]
        value = synthetic[rows[:, None], columns]
        up = rng.random((size, width)) < 0.5
        ranged = numeric[columns] & (value != missing[columns])
        low = np.where(ranged & ~up, 0, value)
        high = np.where(ranged & up, missing[columns] - 1, value)
        batch = Predicates(columns, low, high)
        unique = batch[_match_counts(by_column, batch) == 1]
        found.append(unique)
        total += len(unique)
    every = Predicates(*(np.concatenate([getattr(p, f) for p in found])
                         for f in ("columns", "low", "high")))
    return every[:attacks]


def _match_bits(frame: np.ndarray, queries: Predicates) -> np.ndarray:
    """Packed bits (queries, ceil(rows / 8)): does query q match row i of ``frame`` (a rank
    matrix, best column-major). Each distinct term (column and range) of a batch is compared
    with its column once, and the terms of a query are joined on the packed bits."""
    out: np.ndarray | None = None
    for k in range(queries.columns.shape[1]):
        terms, which = np.unique(
            np.column_stack([queries.columns[:, k], queries.low[:, k], queries.high[:, k]]),
            axis=0, return_inverse=True)
        bits = np.empty((len(terms), (len(frame) + 7) // 8), dtype=np.uint8)
        for col in np.unique(terms[:, 0]):
            rows = np.nonzero(terms[:, 0] == col)[0]
            x = frame[:, col]
            inside = (x >= terms[rows, 1:2]) & (x <= terms[rows, 2:3])
            bits[rows] = np.packbits(inside, axis=1)
        part = bits[which.reshape(-1)]
        out = part if out is None else np.bitwise_and(out, part, out=out)
    assert out is not None
    return out


def _match_counts(frame: np.ndarray, queries: Predicates) -> np.ndarray:
    """How many rows of ``frame`` each query matches."""
    return np.bitwise_count(_match_bits(frame, queries)).sum(axis=1, dtype=np.int64)


def _sparse_matches(frame: np.ndarray, queries: Predicates) -> Any:
    """The (queries, rows) match matrix, sparse: a predicate matches few rows."""
    from scipy.sparse import csr_matrix

    matched = np.unpackbits(_match_bits(frame, queries), axis=1, count=len(frame))
    q, row = np.nonzero(matched)
    return csr_matrix((np.ones(len(q), dtype=np.float32), (q, row)),
                      shape=(len(queries), len(frame)))
