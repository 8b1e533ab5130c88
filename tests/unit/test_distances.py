"""Nearest-neighbour distances and predicate counting against brute force, and the
early-stopping checks runner against the full one."""

from __future__ import annotations

import numpy as np

from privsynth.checks import run_checks
from privsynth.checks.privacy.singling_out import Predicates, _match_counts
from privsynth.engine import LocalEngine
from privsynth.gate import decide
from privsynth.metrics.distance import cross_nearest, knn, nearest_distances
from tests.unit.test_checks_oracle import GATE, context, population


def brute(reference: np.ndarray, query: np.ndarray, k: int, n_columns: int) -> np.ndarray:
    d2 = ((query[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)
    return np.round(np.sqrt(np.sort(d2, axis=1)[:, :k] / n_columns), 9)


def test_cross_nearest_equals_brute_force_both_ways_with_copies_and_repeats() -> None:
    rng = np.random.default_rng(4)
    train = rng.random((400, 7))
    train[:60] = np.round(train[:60], 1)  # repeated rows on a coarse grid
    train[60:90] = train[:30]  # exact duplicates within the reference
    syn = rng.random((333, 7))
    syn[:50] = train[100:150]  # copies
    syn[50:70] = np.round(rng.random((20, 7)), 1)
    to_train, back = cross_nearest(syn, train, 2, 1, 7, LocalEngine(), chunk_rows=70)
    np.testing.assert_array_equal(to_train, brute(train, syn, 2, 7))
    np.testing.assert_array_equal(back, brute(syn, train, 1, 7))
    # Every copy is at exactly 0, both ways (the BLAS expansion alone misses some).
    assert (to_train[:50, 0] == 0).all() and (back[100:150, 0] == 0).all()
    assert (to_train[:50, 1] > 0).all()  # each copied row is in the training set once
    # A duplicated reference row is its own second neighbour.
    np.testing.assert_array_equal(nearest_distances(train, train[:30], 3, 7)[:, :2], 0.0)


def test_nearest_distances_on_few_distinct_rows_equal_the_library_search() -> None:
    rng = np.random.default_rng(5)
    ref = rng.integers(0, 3, (2_000, 2)).astype(float)  # nine distinct rows
    query = rng.integers(0, 4, (500, 2)).astype(float)
    expected = knn(ref, query, 6, 2)[0]
    np.testing.assert_allclose(nearest_distances(ref, query, 6, 2), expected, atol=1e-8)
    assert nearest_distances(ref[:3], query, 6, 2).shape == (500, 3)  # k capped at the rows


def test_predicate_counts_equal_a_row_by_row_count() -> None:
    rng = np.random.default_rng(6)
    frame = rng.integers(0, 9, (1_001, 5)).astype(np.int16)
    q = 300
    columns = np.argsort(rng.random((q, 5)), axis=1)[:, :3]
    low = rng.integers(0, 9, (q, 3))
    high = np.minimum(low + rng.integers(0, 4, (q, 3)), 8)
    expected = np.ones((q, len(frame)), bool)
    for k in range(3):
        x = frame[:, columns[:, k]].T
        expected &= (x >= low[:, k:k + 1]) & (x <= high[:, k:k + 1])
    counts = _match_counts(np.asfortranarray(frame), Predicates(columns, low, high))
    np.testing.assert_array_equal(counts, expected.sum(axis=1))


def test_stopping_at_the_first_refusal_gives_the_full_runs_verdict() -> None:
    pop = population(3_000, seed=2)
    train, holdout, independent = pop.iloc[:1200], pop.iloc[1200:1500], pop.iloc[1500:2700]
    independent = independent.assign(customer_id=[f"FAKE-{i}" for i in range(len(independent))])
    copy = train.copy()
    stopped = run_checks(context(train, holdout, copy), GATE, stop_at_refusal=True)
    full = run_checks(context(train, holdout, copy), GATE)
    assert [r.name for r in stopped] == ["exact_match"] and stopped[0].status == "fail"
    assert not decide(stopped, GATE).released and not decide(full, GATE).released
    # Without a refusal nothing stops: the same results, check for check.
    safe_stopped = run_checks(context(train, holdout, independent), GATE, stop_at_refusal=True)
    safe_full = run_checks(context(train, holdout, independent), GATE)
    assert [(r.name, r.status, r.value) for r in safe_stopped] == \
        [(r.name, r.status, r.value) for r in safe_full]
    assert decide(safe_stopped, GATE).released == decide(safe_full, GATE).released
