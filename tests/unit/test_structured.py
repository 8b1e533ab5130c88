"""The structured stage: empirical marginals, value protection, constraints, metadata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privsynth.checks.fidelity.column_shapes import column_similarity
from privsynth.config import default_config
from privsynth.errors import ConfigError
from privsynth.schema import infer_schema
from privsynth.tabular.structured import StructuredSynthesizer


def table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    state = rng.choice(["CA", "NY", "TX"], n)
    city = np.where(state == "CA", rng.choice(["LA", "SF"], n),
                    np.where(state == "NY", "NYC", rng.choice(["Austin", "Dallas"], n)))
    gain = np.where(rng.random(n) < 0.85, 0.0, rng.lognormal(8, 1, n)).round(0)
    bimodal = np.where(rng.random(n) < 0.5, rng.normal(20, 2, n), rng.normal(60, 3, n)).round(1)
    amount = rng.normal(40, 25, n).round(2)
    return pd.DataFrame({
        "start": start.strftime("%Y-%m-%d"),
        "end": (start + pd.to_timedelta(rng.integers(1, 60, n), unit="D")).strftime("%Y-%m-%d"),
        "state": state, "city": city, "gain": gain, "bimodal": bimodal, "amount": amount,
    })


def fit(df: pd.DataFrame, **changes) -> StructuredSynthesizer:
    cfg = default_config().replace(**{f"tabular__{k}": v for k, v in changes.items()}).tabular
    return StructuredSynthesizer(cfg, seed=3).fit(df, infer_schema(df))


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return table()


def test_empirical_marginals_reproduce_shapes_a_parametric_fit_misses(df) -> None:
    schema = infer_schema(df)
    emp = fit(df).sample(1500, seed=1)
    sdv = fit(df, params={"marginals": "sdv"}).sample(1500, seed=1)
    for col in ("gain", "bimodal"):
        e = column_similarity(df[col], emp[col], schema[col])
        s = column_similarity(df[col], sdv[col], schema[col])
        assert e >= 0.93 and e > s, (col, e, s)


def test_no_output_value_is_beyond_the_kth_most_extreme_real_value(df) -> None:
    planted = df.copy()
    planted.loc[0, "amount"] = 1e9
    syn = fit(planted).sample(3000, seed=2)
    kth_largest = np.sort(planted["amount"].to_numpy())[-5]
    assert syn["amount"].max() <= kth_largest and (syn["amount"] != 1e9).all()
    kth_smallest = np.sort(planted["amount"].to_numpy())[4]
    assert syn["amount"].min() >= kth_smallest


def test_constraints_hold_in_every_sampled_row(df) -> None:
    rules = [
        {"type": "inequality", "low": "start", "high": "end"},
        {"type": "fixed_combinations", "columns": ["state", "city"]},
        {"type": "positive", "column": "amount"},
    ]
    model = fit(df, constraints=rules)
    syn = model.sample(800, seed=4)
    assert len(syn) == 800
    assert (pd.to_datetime(syn["start"]) <= pd.to_datetime(syn["end"])).all()
    real_pairs = set(zip(df["state"], df["city"], strict=True))
    assert set(zip(syn["state"], syn["city"], strict=True)) <= real_pairs
    assert (syn["amount"] >= 0).all() and (df["amount"] < 0).any()
    enforced = {c["type"]: c["enforced_by"] for c in model.describe()["constraints"]}
    assert enforced["inequality"] == "sdv.cag" and enforced["positive"].startswith("privsynth")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"type": "inequality", "low": "start", "high": "nope"}], "not a modelled column"),
        ([{"type": "between", "column": "amount"}], "type must be one of"),
        ([{"type": "fixed_combinations", "columns": ["gain", "amount"]}], "categorical"),
        ([{"type": "positive", "column": "amount", "extra": 1}], "unknown key"),
        ([{"type": "positive", "column": "state"}], "numeric or date"),
    ],
)
def test_bad_constraints_are_clear_config_errors(df, rules, message) -> None:
    with pytest.raises(ConfigError, match=message):
        fit(df.head(200), constraints=rules)


def test_metadata_overrides_and_bounds(df) -> None:
    model = fit(df, columns={"gain": {"kind": "categorical"},
                             "bimodal": {"decimals": 0, "min": 25, "max": 55}})
    syn = model.sample(500, seed=5)
    meta = model.describe()["metadata"]
    assert meta["gain"]["kind"] == "categorical" and meta["gain"]["source"] == "config override"
    assert meta["amount"]["source"] == "detected" and meta["amount"]["decimals"] == 2
    assert syn["bimodal"].between(25, 55).all()
    assert (syn["bimodal"] == syn["bimodal"].round(0)).all()
    assert set(syn["gain"].astype(str)) <= set(df["gain"].astype(str)) | {"_RARE_"}


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"nope": {"kind": "float"}}, "has no column 'nope'"),
        ({"gain": {"kind": "blob"}}, "kind must be one of"),
        ({"gain": {"decimals": -1}}, "decimals"),
        ({"gain": {"colour": "red"}}, "unknown key"),
        ({"start": {"min": "not a date"}}, "does not fit"),
    ],
)
def test_bad_metadata_overrides_are_clear_config_errors(df, columns, message) -> None:
    with pytest.raises(ConfigError, match=message):
        fit(df.head(200), columns=columns)


def test_large_inputs_are_fitted_on_a_stated_sample(df) -> None:
    model = fit(df, max_fit_rows=300)
    info = model.describe()
    assert info["fitted_on_sample"] and info["fit_rows"] == 300 and info["training_rows"] == 1500
    assert len(model.sample(50, seed=1)) == 50


def test_same_seed_same_rows(df) -> None:
    a, b = fit(df).sample(100, seed=8), fit(df).sample(100, seed=8)
    pd.testing.assert_frame_equal(a, b)


def test_a_target_like_column_gets_one_model_per_level() -> None:
    rng = np.random.default_rng(0)
    n = 8400
    income = rng.choice([">50K", "<=50K"], n, p=[0.5, 0.5])
    # Within each class hours and age move in opposite directions: one copula cannot hold both.
    base = rng.normal(0, 1, n)
    sign = np.where(income == ">50K", 1.0, -1.0)
    df = pd.DataFrame({
        "age": (40 + 8 * base).round(0),
        "hours": (40 + 8 * sign * base + rng.normal(0, 2, n)).round(0),
        "income": income,
    })
    model = fit(df, mixture_components=1)
    info = model.describe()
    assert info["mixture"]["stratified_by"] == "income" and info["mixture"]["components"] == 2
    # With clusters too, each level (about 4,200 rows) splits in two of >= 1,000 rows.
    assert fit(df).describe()["mixture"]["components"] == 4
    syn = model.sample(2000, seed=1)
    for level, expected in ((">50K", 1), ("<=50K", -1)):
        part = syn[syn["income"] == level]
        corr = np.corrcoef(part["age"].astype(float), part["hours"].astype(float))[0, 1]
        assert corr * expected > 0.7, (level, corr)
    assert abs((syn["income"] == ">50K").mean() - 0.5) < 0.05
    assert fit(df, stratify_by="none").describe()["mixture"]["stratified_by"] is None
    with pytest.raises(ConfigError, match="not categorical"):
        fit(df, stratify_by="age")


def test_numbers_with_thousands_separators_are_modelled_as_numbers_and_keep_their_style() -> None:
    rng = np.random.default_rng(2)
    amounts = rng.gamma(2, 3000, 600)
    df = pd.DataFrame({"amount": [f"{v:,.2f}" for v in amounts],
                       "plan": rng.choice(["a", "b"], 600)})
    schema = infer_schema(df)
    assert schema["amount"].kind == "float" and schema["amount"].thousands
    syn = fit(df).sample(300, seed=1)
    assert syn["amount"].str.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}").all()
    values = syn["amount"].str.replace(",", "").astype(float)
    assert column_similarity(pd.Series(amounts.round(2)), values, schema["amount"]) > 0.9


def test_rare_short_codes_get_fresh_values_even_when_every_short_code_is_taken() -> None:
    # Every one-digit code is real (and rare), so a fresh code must be longer; never a hang.
    df = pd.DataFrame({"code": [str(i % 10) for i in range(30)] + ["55"] * 400,
                       "plan": ["a", "b"] * 215})
    syn = fit(df, rare_category_min_count=5).sample(2000, seed=3)
    fresh = set(syn["code"]) - {"55"}
    assert fresh and not fresh & {str(i) for i in range(10)}


def test_constraints_hold_with_an_explicit_stratify_column(df) -> None:
    rules = [{"type": "inequality", "low": "start", "high": "end"}]
    syn = fit(df, constraints=rules, stratify_by="state").sample(400, seed=2)
    assert (pd.to_datetime(syn["start"]) <= pd.to_datetime(syn["end"])).all()
