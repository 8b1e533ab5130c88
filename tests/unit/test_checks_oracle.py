"""Oracle tests: copies of training data must be caught; independent samples must pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from privsynth.checks import CheckContext, run_checks
from privsynth.checks.base import ERROR, FAIL, NOT_APPLICABLE, PASS, TextColumn
from privsynth.config import default_config, load_config
from privsynth.gate import decide
from privsynth.metrics.identifiers import identifier_values
from privsynth.schema import infer_schema

GATE = default_config().gate


def population(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    plan = rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2])
    spend = np.round(rng.gamma(2.0, 20.0, n) + (plan == "premium") * 30, 2)
    region = rng.choice([f"r{i}" for i in range(12)], n)
    joined = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    income = np.where(rng.random(n) < 0.05, np.nan, np.round(rng.normal(50000, 15000, n), 0))
    ids = [f"CUST-{i:07d}-{seed}" for i in range(n)]
    # Free text: Zipf-distributed words, so each note is distinctive but the vocabulary shared.
    # Pseudo-words of letters only (digits would read as masked numbers to the retelling
    # check).
    words = np.array([f"w{chr(97 + i // 26)}{chr(97 + i % 26)}x" for i in range(400)])
    zipf = 1 / np.arange(1, 401)
    notes = [" ".join(rng.choice(words, int(rng.integers(8, 20)), p=zipf / zipf.sum()))
             for _ in range(n)]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "age": age,
            "plan": plan,
            "spend": spend,
            "region": region,
            "joined": joined.strftime("%Y-%m-%d"),
            "income": income,
            "note": notes,
        }
    )


MODELLED = ["age", "plan", "spend", "region", "joined", "income"]


def context(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame,
            columns: list[str] = MODELLED) -> CheckContext:
    schema = infer_schema(pd.concat([train, holdout]))
    return CheckContext(
        train=train[columns],
        holdout=holdout[columns],
        synthetic=synthetic[columns],
        schema=schema,
        seed=3,
        bootstrap=100,
        identifier_values=identifier_values(pd.concat([train, holdout])["customer_id"]),
        output=synthetic, quasi_identifiers=("age", "region"), sensitive=("income",),
        attacks=500, text_columns=("note",),
        texts={"note": TextColumn(list(train["note"]), list(holdout["note"]),
                                  list(synthetic["note"]))},
    )


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    pop = population(4000, seed=1)
    train, holdout, independent = pop.iloc[:1600], pop.iloc[1600:2000], pop.iloc[2000:3600]
    # The independent sample has its own identifiers, as fakes would.
    independent = independent.assign(customer_id=[f"FAKE-{i}" for i in range(len(independent))])
    return train, holdout, independent


def by_name(results: list) -> dict:
    return {r.name: r for r in results}


def test_copy_of_training_data_fails_every_disclosure_check(data) -> None:
    train, holdout, _ = data
    results = by_name(run_checks(context(train, holdout, train.copy()), GATE))
    privacy = [r for r in results.values()
               if r.category == "privacy" and r.name not in ("canaries", "leak_power")]
    assert len(privacy) == 17
    for r in privacy:
        assert r.value > r.threshold, (r.name, r.value, r.ci)  # every check flags the copy
        assert r.status == "fail", (r.name, r.value, r.ci)
    # Singling out compares every training row with training-sized draws of the pooled real
    # rows: a copy isolates training records every time and the draws only some of the time.
    assert results["singling_out_risk"].value > 0.9
    strict = by_name(run_checks(context(train, holdout, train.copy()),
                                load_config(policy="strict").gate))
    assert all(r.status == "fail" for r in strict.values()
               if r.category == "privacy" and r.name != "canaries")
    assert results["mia_auc"].value > 0.9
    assert results["exact_match"].details["ims_train"] == 1.0
    assert results["text_memorization"].value > 0.9
    assert not decide(list(results.values()), GATE).released


def test_independent_sample_passes_and_is_released(data) -> None:
    train, holdout, independent = data
    results = run_checks(context(train, holdout, independent), GATE)
    # income is noise in this population: no model predicts it, so utility cannot be judged.
    assert all(r.status == PASS or (r.status == NOT_APPLICABLE and r.name in
                                    ("canaries", "ml_utility"))
               for r in results), [(r.name, r.value, r.ci, r.status) for r in results]
    mia = by_name(results)["mia_auc"]
    assert 0.4 < mia.value < 0.6 and mia.ci[0] < 0.5 < mia.ci[1] + 0.05
    assert decide(results, GATE).released


def test_leaky_generator_copying_five_percent_is_refused(data) -> None:
    train, holdout, independent = data
    leaky = pd.concat(
        [
            independent.iloc[: int(len(independent) * 0.95)],
            train.sample(frac=0.05, random_state=0)[MODELLED].assign(customer_id="FAKE-x"),
        ]
    )
    results = by_name(run_checks(context(train, holdout, leaky), GATE))
    assert results["exact_match"].status == "fail"
    assert not decide(list(results.values()), GATE).released


def test_a_single_replayed_identifier_is_caught(data) -> None:
    train, holdout, independent = data
    out = independent.copy()
    out.iloc[5, out.columns.get_loc("customer_id")] = train["customer_id"].iloc[17]
    results = by_name(run_checks(context(train, holdout, out), GATE))
    assert results["pii_replay"].value == 1 and results["pii_replay"].status == "fail"


def test_checks_are_reproducible(data) -> None:
    train, holdout, independent = data
    def run() -> list[dict]:
        out = [r.as_dict() for r in run_checks(context(train, holdout, independent), GATE)]
        for r in out:
            r["details"].pop("seconds")  # wall-clock time is the one thing that may differ
        return out

    assert run() == run()


def test_tiny_holdout_is_not_applicable_and_gate_refuses(data) -> None:
    train, holdout, independent = data
    results = by_name(run_checks(context(train, holdout.head(5), independent), GATE))
    assert results["dcr_share"].status == NOT_APPLICABLE
    decision = decide(list(results.values()), GATE)
    assert not decision.released
    assert any("dcr_share: not applicable" in r for r in decision.reasons)


def test_a_crashing_check_fails_closed(data, monkeypatch) -> None:
    train, holdout, independent = data
    from privsynth.checks.privacy import mia_distance

    def boom(self, ctx):
        raise ValueError("synthetic failure")

    monkeypatch.setattr(mia_distance.MiaDistance, "compute", boom)
    results = by_name(run_checks(context(train, holdout, independent), GATE))
    assert results["mia_auc"].status == ERROR and not results["mia_auc"].passed
    decision = decide(list(results.values()), GATE)
    assert not decision.released and "mia_auc: could not be computed" in decision.reasons[0]


def test_gate_refuses_when_no_checks_ran() -> None:
    assert not decide([]).released


def test_policy_presets_differ_and_are_recorded() -> None:
    from privsynth.config import load_config

    strict, lenient = load_config(policy="strict").gate, load_config(policy="lenient").gate
    assert strict.max_mia_auc < GATE.max_mia_auc < lenient.max_mia_auc
    assert lenient.rule == "value"
    assert load_config(policy="strict", gate__max_mia_auc=0.58).gate.max_mia_auc == 0.58


def test_not_applicable_is_refused_unless_the_policy_allows_it(data) -> None:
    train, holdout, independent = data
    results = run_checks(context(train, holdout, independent), GATE)
    assert decide(results, GATE).released
    assert not decide(results).released  # no policy: every check is required


@pytest.mark.parametrize("columns", [["spend"], ["plan"], ["region", "plan"]])
def test_narrow_tables_give_results_or_not_applicable_never_errors(data, columns) -> None:
    train, holdout, independent = data
    schema = infer_schema(pd.concat([train, holdout]))
    ctx = CheckContext(train=train[columns], holdout=holdout[columns],
                       synthetic=independent[columns], schema=schema, seed=1, bootstrap=50,
                       output=independent[columns], attacks=300)
    results = by_name(run_checks(ctx, GATE))
    assert not [r.name for r in results.values() if r.status == ERROR]
    assert results["linkability_risk"].status == (NOT_APPLICABLE if len(columns) == 1 else PASS)
    assert results["inference_risk"].status == NOT_APPLICABLE  # no sensitive column
    assert results["mia_auc"].status == PASS


def test_all_unique_categories_are_handled(data) -> None:
    train, holdout, _ = data
    ids = train.assign(code=[f"c{i}" for i in range(len(train))])[["code", "spend"]]
    hold = holdout.assign(code=[f"h{i}" for i in range(len(holdout))])[["code", "spend"]]
    syn = ids.assign(code=[f"s{i}" for i in range(len(ids))])
    schema = infer_schema(pd.concat([ids, hold]))
    ctx = CheckContext(train=ids, holdout=hold, synthetic=syn, schema=schema, seed=1,
                       bootstrap=50, output=syn, attacks=300)
    results = by_name(run_checks(ctx, GATE))
    assert not [r.name for r in results.values() if r.status == ERROR]
    # Every code is new, but "spend" is the training rows' own: the rows sit closer to
    # training than to the holdout, and the distance check must say so.
    assert results["dcr_share"].status == FAIL
    assert results["dcr_share"].value > 0.55


def test_fidelity_checks_see_broken_relationships_and_shifted_columns(data) -> None:
    train, holdout, independent = data
    rng = np.random.default_rng(5)
    # Every column shuffled on its own: marginals intact, every relationship gone.
    shuffled = independent.copy()
    for col in MODELLED:
        shuffled[col] = rng.permutation(shuffled[col].to_numpy())
    good = by_name(run_checks(context(train, holdout, independent), GATE))
    bad = by_name(run_checks(context(train, holdout, shuffled), GATE))
    assert good["column_pair_similarity"].value > bad["column_pair_similarity"].value
    assert good["column_similarity"].value > 0.9 and bad["column_similarity"].value > 0.9
    assert good["detection_auc"].value < 0.6 and good["detection_auc"].status == PASS
    # Ages shifted by a century: a detector separates them at once.
    shifted = independent.assign(age=independent["age"] + 100)
    det = by_name(run_checks(context(train, holdout, shifted), GATE))["detection_auc"]
    assert det.value > 0.95 and det.status == "fail"


def test_ml_utility_is_near_zero_for_real_like_data_and_large_when_the_target_is_noise(
    data,
) -> None:
    def with_tier(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        # A target that real data predicts well: high spenders, with 10% label noise.
        flip = np.random.default_rng(seed).random(len(frame)) < 0.1
        return frame.assign(tier=np.where((frame["spend"] > 45) ^ flip, "high", "low"))

    train, holdout, independent = (with_tier(f, i) for i, f in enumerate(data))
    cols = [*MODELLED, "tier"]

    def ctx(syn: pd.DataFrame) -> CheckContext:
        return dataclasses.replace(context(train, holdout, syn, cols), utility_target="tier")

    good = by_name(run_checks(ctx(independent), GATE))["ml_utility"]
    assert good.status == PASS and abs(good.value) < 0.05, good.details
    assert good.details["target"] == "tier" and good.details["chosen_by"] == "config"
    assert good.details["trtr"] > 0.8
    # The target no longer depends on anything: a model trained on it learns nothing.
    noise = independent.assign(tier=np.random.default_rng(1).permutation(independent["tier"]))
    bad = by_name(run_checks(ctx(noise), GATE))["ml_utility"]
    assert bad.value > 0.2 and bad.status == "fail", bad.details
