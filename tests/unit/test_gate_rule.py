"""The gate's decision rule: leak evidence with a family-wise bound, the power floor, and the
DP route. Each is tested on both error rates: safe data released, leaks refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from privsynth.checks import run_checks
from privsynth.checks.base import FAIL, PASS, CheckResult
from privsynth.checks.judge import judge, leak_z
from privsynth.checks.power import copy_power, power_result
from privsynth.config import default_config, load_config
from privsynth.errors import ConfigError
from privsynth.gate import decide
from privsynth.vocab import Category, Goal

from .test_checks_oracle import context, population

GATE = default_config().gate


def split(n_train: int, n_hold: int, seed: int = 1) -> tuple[pd.DataFrame, ...]:
    pop = population(2 * n_train + n_hold, seed=seed)
    train, holdout = pop.iloc[:n_train], pop.iloc[n_train:n_train + n_hold]
    independent = pop.iloc[n_train + n_hold:].assign(customer_id="FAKE")
    return train, holdout, independent


def test_leak_evidence_fails_only_when_the_lower_bound_is_beyond_the_tolerance() -> None:
    z = leak_z(0.05, 10)
    privacy = (Goal.AT_MOST, Category.PRIVACY)
    # Above the threshold, but the interval reaches below it: not evidence of a leak.
    assert judge(*privacy, 0.57, (0.52, 0.62), 0.55, "leak_evidence", z).status == PASS
    # The same numbers under the strict rule: the upper bound decides.
    assert judge(*privacy, 0.57, (0.52, 0.62), 0.55, "upper_ci", z).status == FAIL
    # A clear leak.
    assert judge(*privacy, 0.70, (0.66, 0.74), 0.55, "leak_evidence", z).status == FAIL
    # Fidelity fails when the data shows it unfit: the favourable one-sided bound.
    fidelity = (Goal.AT_LEAST, Category.FIDELITY)
    assert judge(*fidelity, 0.65, (0.6, 0.8), 0.7, "leak_evidence", z).status == PASS
    assert judge(*fidelity, 0.55, (0.5, 0.6), 0.7, "leak_evidence", z).status == FAIL
    assert judge(*fidelity, 0.65, None, 0.7, "leak_evidence", z).status == FAIL


def test_the_family_bound_widens_with_the_number_of_checks() -> None:
    assert leak_z(0.05, 1) == pytest.approx(1.6449, abs=1e-3)
    assert leak_z(0.05, 12) == pytest.approx(2.6383, abs=1e-3)
    # A value just significant alone is not significant among 12 checks.
    privacy = (Goal.AT_MOST, Category.PRIVACY)
    args = (0.60, (0.55, 0.65), 0.55)
    assert judge(*privacy, *args, "leak_evidence", 1.0).status == FAIL
    assert judge(*privacy, *args, "leak_evidence", leak_z(0.05, 12)).status == PASS


def test_copies_are_seen_by_the_power_simulation_and_safe_data_has_power() -> None:
    train, holdout, independent = split(1600, 400)
    ctx = context(train, holdout, independent)
    power = copy_power(ctx, GATE, leak_z(0.05, 12))
    assert power[0.05] == 1.0 and power[0.1] == 1.0
    assert list(power.values()) == sorted(power.values())  # power grows with the leak
    # At 300 rows and 75 unseen ones, 3 copies (1%) are within chance; 30 (10%) are not.
    small = context(*split(300, 75, seed=2)[:2], split(300, 75, seed=2)[2].iloc[:300])
    small_power = copy_power(small, GATE, leak_z(0.05, 12))
    assert small_power[0.01] < small_power[0.1] == 1.0
    result = power_result(ctx, GATE, leak_z(0.05, 12))
    assert result.status == PASS
    assert "1,600 synthetic rows" in result.details["statement"]


def test_too_small_a_table_is_withheld_for_lack_of_power_not_passed() -> None:
    train, holdout, independent = split(60, 20, seed=2)
    results = run_checks(context(train, holdout, independent), GATE)
    power = {r.name: r for r in results}["leak_power"]
    assert power.status == FAIL and power.value < GATE.min_power
    decision = decide(results, GATE)
    assert not decision.released
    assert any("too small for empirical proof" in r for r in decision.reasons)


def test_the_power_floor_is_the_policys(monkeypatch) -> None:
    train, holdout, independent = split(1600, 400)
    ctx = context(train, holdout, independent)
    strict_floor = dataclasses.replace(GATE, power_copied_share=0.005)
    assert power_result(ctx, strict_floor, leak_z(0.05, 12)).status == FAIL


def failing(name: str) -> CheckResult:
    return CheckResult(name, Category.PRIVACY, Goal.AT_MOST, 0.1, FAIL, 0.3, (0.2, 0.4), "",
                       {"judged_on": "leak evidence", "judged_number": 0.2})


def passing(name: str) -> CheckResult:
    return CheckResult(name, Category.PRIVACY, Goal.AT_MOST, 0.1, PASS, 0.0, (0.0, 0.0), "")


def test_a_dp_release_within_the_policys_epsilon_stands_in_for_disclosure_checks() -> None:
    results = [failing("inference_risk"), passing("pii_replay"), passing("canaries")]
    assert not decide(results, GATE).released
    accepted = decide(results, GATE, dp_epsilon=1.0)
    assert accepted.released
    assert "inference_risk" in accepted.reasons[1] and "epsilon 1" in accepted.reasons[1]
    # Above the policy's epsilon, or with no DP at all, the empirical checks decide.
    assert not decide(results, GATE, dp_epsilon=1.5).released
    strict = load_config(policy="strict").gate
    assert not decide(results, strict, dp_epsilon=0.5).released


def test_the_dp_route_never_covers_replayed_identifiers_or_canaries() -> None:
    for name in ("pii_replay", "canaries", "text_memorization"):
        results = [passing("inference_risk"), failing(name)]
        assert not decide(results, GATE, dp_epsilon=0.5).released


def test_the_old_upper_ci_switch_names_its_replacement(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gate]\njudge_upper_ci = false\n", encoding="utf-8")
    with pytest.raises(ConfigError, match='replaced by gate.rule: "upper_ci" for true'):
        load_config(path)
    with pytest.raises(ConfigError, match="gate.rule"):
        load_config(**{"gate.rule": "sometimes"})


def test_a_copy_is_refused_and_an_independent_sample_released_at_500_rows() -> None:
    """Both error rates at a small size, on one seed each (the benchmark gives the rates)."""
    train, holdout, independent = split(500, 125, seed=5)
    released = decide(run_checks(context(train, holdout, independent.iloc[:500]), GATE), GATE)
    assert released.released, released.reasons
    copy = decide(run_checks(context(train, holdout, train.copy()), GATE), GATE)
    assert not copy.released
    rng = np.random.default_rng(0)
    leaky = independent.iloc[:500].copy()
    rows = rng.choice(500, 25, replace=False)
    leaky.iloc[rows] = train.iloc[rng.choice(500, 25, replace=False)].to_numpy()
    refused = decide(run_checks(context(train, holdout, leaky), GATE), GATE)
    assert not refused.released
    # 25 copies among 500 rows: beyond what 125 unseen rows let exact_match show on its own,
    # and far beyond the near copies and too-close rows chance puts there.
    assert any(r.startswith(("exact_match", "near_copy_share", "too_close_share"))
               for r in refused.reasons), refused.reasons


def test_power_is_computed_when_synthetic_rows_outnumber_training_rows() -> None:
    train, holdout, independent = split(30, 10, seed=4)
    synthetic = population(1000, seed=9).assign(customer_id="FAKE")
    result = power_result(context(train, holdout, synthetic), GATE, leak_z(0.05, 12))
    assert result.status in (PASS, FAIL) and 0.0 <= result.value <= 1.0
