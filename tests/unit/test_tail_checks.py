"""The tail tests: a few real people hidden among good rows must be refused, and ideal data
released. Each check has its oracle (a copy fails it, an independent sample passes it), and
the score test behind them keeps its false-refusal rate at small counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privsynth.checks import run_checks
from privsynth.checks.judge import leak_z
from privsynth.checks.privacy.tail import Excess, split_z, wilson
from privsynth.config import default_config
from privsynth.gate import decide

from .test_checks_oracle import context, population

GATE = default_config().gate
TAIL = ("exact_match", "near_copy_share", "too_close_share", "mia_tpr_low_fpr")


def by_name(results: list) -> dict:
    return {r.name: r for r in results}


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    pop = population(4500, seed=5)
    train, holdout = pop.iloc[:2000], pop.iloc[2000:2500]
    independent = pop.iloc[2500:].assign(customer_id="FAKE").reset_index(drop=True)
    return train, holdout, independent


def hidden(train: pd.DataFrame, independent: pd.DataFrame, share: float, how: str,
           seed: int = 0) -> pd.DataFrame:
    """The independent sample with ``share`` of its rows replaced by changed training rows."""
    rng = np.random.default_rng(seed)
    k = int(round(share * len(independent)))
    leaked = train.iloc[rng.choice(len(train), k, replace=False)].copy()
    if how == "nudge":  # one number moved by 1: age 47 -> 48
        leaked["age"] = leaked["age"] + rng.choice([-1, 1], k)
    elif how == "swap":  # one category given another level
        leaked["plan"] = np.where(leaked["plan"] == "basic", "premium", "basic")
    elif how == "jitter":  # every number moved by 1% of its range
        for col in ("spend", "income"):
            span = float(train[col].max() - train[col].min())
            leaked[col] = leaked[col] + rng.normal(0, 0.01 * span, k)
    keep = independent.drop(index=independent.index[rng.choice(len(independent), k, replace=False)])
    return pd.concat([keep, leaked.assign(customer_id="FAKE")]).sample(
        frac=1, random_state=seed).reset_index(drop=True)


def test_a_copy_fails_every_tail_check_and_an_independent_sample_passes_them(split) -> None:
    train, holdout, independent = split
    copied = by_name(run_checks(context(train, holdout, train.copy()), GATE))
    fresh = by_name(run_checks(context(train, holdout, independent), GATE))
    for name in TAIL:
        assert copied[name].status == "fail", (name, copied[name].value)
        assert copied[name].value > 0.5, name
        assert fresh[name].status == "pass", (name, fresh[name].value, fresh[name].ci)
        lo, hi = fresh[name].ci
        assert lo <= 0 <= hi + 1e-9, (name, fresh[name].ci)  # no excess shown
    assert decide(list(fresh.values()), GATE).released


@pytest.mark.parametrize(("share", "how", "caught_by"), [
    (0.01, "copy", "near_copy_share"),      # 20 verbatim records among 2,000 good rows
    (0.02, "nudge", "near_copy_share"),     # one number moved by 1
    (0.02, "swap", "near_copy_share"),      # one category swapped
    (0.05, "jitter", "too_close_share"),    # every number moved a little
])
def test_a_few_real_people_hidden_among_good_rows_are_refused(split, share, how,
                                                              caught_by) -> None:
    train, holdout, independent = split
    results = by_name(run_checks(context(train, holdout, hidden(train, independent, share,
                                                                how)), GATE))
    assert results[caught_by].status == "fail", (results[caught_by].value,
                                                 results[caught_by].details)
    # The averages these leaks hide in do not see them.
    assert results["dcr_share"].status == "pass"
    assert not decide(list(results.values()), GATE).released


def test_training_members_with_a_synthetic_twin_are_found_at_a_low_false_positive_rate(
        split) -> None:
    train, holdout, independent = split
    results = by_name(run_checks(context(train, holdout, hidden(train, independent, 0.03,
                                                                "jitter", seed=2)), GATE))
    mia = results["mia_tpr_low_fpr"]
    assert mia.status == "fail" and mia.value > 0.01
    assert mia.details["rates"]["fpr0.01"]["fpr"] <= 0.02  # the false alarms it is held to
    assert results["mia_auc"].status == "pass"  # the AUC averages the few members away


def test_the_score_test_keeps_its_false_refusal_rate_at_small_counts() -> None:
    rng = np.random.default_rng(0)
    z = leak_z(0.05, 16)
    for p, n, n0 in ((0.0005, 2000, 2500), (0.003, 1000, 1250), (0.01, 400, 500),
                     (0.05, 2000, 2500)):
        k = rng.binomial(n, p, 4000)
        k0 = rng.binomial(n0, p, 4000)
        refused = np.mean([Excess(a, n, b, n0).lower(z) > 0 for a, b in zip(k, k0, strict=True)])
        assert refused <= 0.05 / 16 * 2, (p, n, refused)  # at most twice the nominal rate
    # ... and sees 25 verbatim records among 2,000 rows when chance puts none there.
    assert Excess(25, 2000, 0, 2500).lower(z) > 0
    assert Excess(5, 2000, 0, 2500).lower(z) < 0


def test_the_interval_behaves_at_the_edges() -> None:
    assert wilson(0, 100, 1.96)[0] == 0.0 and 0 < wilson(0, 100, 1.96)[1] < 0.05
    assert wilson(100, 100, 1.96)[1] == pytest.approx(1.0)
    assert split_z(2.0, 1) == 2.0 and split_z(2.0, 3) > 2.0
    e = Excess(10, 1000, 10, 1000)
    assert e.value == pytest.approx(0) and e.lower(1.96) < 0 < e.upper(1.96)
    # A smaller reference compared against a larger set is scaled up to that set's size.
    scaled = Excess(40, 1000, 10, 1000, ratio=4.0)
    assert scaled.expected == pytest.approx(1 - 0.99 ** 4)


def test_the_power_statement_names_the_hidden_leaks_it_would_refuse(split) -> None:
    train, holdout, independent = split
    results = by_name(run_checks(context(train, holdout, independent), GATE))
    power = results["leak_power"]
    assert power.status == "pass"
    by_leak = power.details["power_by_hidden_leak"]
    assert set(by_leak) == {"exact copies", "near copies"}
    assert by_leak["exact copies"]["0.05"] == 1.0 and by_leak["near copies"]["0.05"] == 1.0
    assert by_leak["exact copies"]["0.005"] <= by_leak["exact copies"]["0.05"]
    assert "exact copies" in power.details["statement"]
    assert "near copies" in power.details["hidden_leaks"]



def test_a_table_of_two_columns_is_not_refused_for_want_of_near_copies(split) -> None:
    # "Every column but one" of two columns is one column: the test does not apply, and the
    # policy allows it.
    train, holdout, independent = split
    results = by_name(run_checks(context(train, holdout, independent, ["age", "spend"]), GATE))
    assert results["near_copy_share"].status == "not_applicable"
    assert decide(list(results.values()), GATE).released, decide(list(results.values()),
                                                                GATE).reasons
