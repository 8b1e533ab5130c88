"""The differentially private synthesizers: budget, noise, domains, bounds and bad settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privsynth.config import load_config
from privsynth.errors import ConfigError
from privsynth.schema import infer_schema
from privsynth.tabular.dp import (
    Bins,
    DpSynthesizer,
    _mst_split_ok,
    epsilon_of,
    mst_budget,
    public_grid,
    rho_for,
)

pytestmark = pytest.mark.slow


def table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1])
    b = np.where((a == "x") ^ (rng.random(n) < 0.2), "u", "v")
    age = np.clip(np.round(rng.normal(45, 12, n)), 18, 79).astype(int)
    return pd.DataFrame({"a": a, "b": b, "age": age})


def fit(df: pd.DataFrame, epsilon: float = 1.0, **kw: object) -> DpSynthesizer:
    args = {"delta": "auto", "bins": 8, "bounds_share": 0.1, "domains": {}, "bounds": {}}
    args.update(kw)
    return DpSynthesizer(
        "dp-mst", epsilon, args["delta"], args["bins"], args["bounds_share"],  # type: ignore[arg-type]
        args["domains"], args["bounds"], seed=1,  # type: ignore[arg-type]
    ).fit(df, infer_schema(df))


def tv(real: pd.Series, syn: pd.Series) -> float:
    p = real.value_counts(normalize=True)
    q = syn.value_counts(normalize=True)
    return float(0.5 * p.subtract(q, fill_value=0).abs().sum())


def test_budget_conversion_is_opendps_and_never_exceeds_epsilon() -> None:
    for eps in (0.5, 1.0, 10.0):
        rho = rho_for(eps, 1e-8)
        assert epsilon_of(rho, 1e-8) <= eps
        assert epsilon_of(rho * 1.01, 1e-8) > eps  # and it is not needlessly small
        # Bun-Steinke's closed form is a valid but looser conversion.
        log = np.log(1e8)
        assert rho >= (np.sqrt(log + eps) - np.sqrt(log)) ** 2


def test_error_falls_as_epsilon_rises() -> None:
    df = table()
    domains = {"a": ["x", "y", "z"], "b": ["u", "v"]}
    errors = {}
    for eps in (0.05, 5.0):
        runs = []
        for _ in range(3):  # OpenDP's noise cannot be seeded: average over fresh draws
            out = fit(df, eps, domains=domains, bounds={"age": (0, 100)}).sample(4000, 1)
            runs.append(tv(df["a"] + df["b"], out["a"] + out["b"]))
        errors[eps] = float(np.mean(runs))
    assert errors[0.05] > 2 * errors[5.0], errors
    assert errors[5.0] < 0.05, errors


def test_declared_domains_and_bounds_bound_the_output_and_spend_no_delta() -> None:
    df = table()
    df.loc[0, "age"] = 123  # an outlier beyond the declared bound: never reproduced
    df.loc[1, "a"] = "Zed Rarename"  # outside the declared list
    model = fit(df, 5.0, domains={"a": ["x", "y", "z"], "b": ["u", "v"]},
                bounds={"age": (18.0, 90.0)})
    acc = model.describe()["differential_privacy"]
    assert acc["split"]["contingency_table"]["delta"] == 0.0  # nothing to discover
    out = model.sample(5000, 2)
    assert set(out["a"].dropna()) <= {"x", "y", "z"} and set(out["b"].dropna()) <= {"u", "v"}
    assert out["age"].min() >= 18 and out["age"].max() <= 90
    assert 123 not in set(out["age"])


def test_undeclared_rare_categories_never_appear() -> None:
    df = table(3000)
    df.loc[:2, "a"] = ["Rare One", "Rare One", "Rare Two"]
    out = fit(df, 10.0).sample(5000, 3)
    assert not {"Rare One", "Rare Two"} & set(out["a"].dropna())
    assert {"x", "y", "z"} <= set(out["a"])
    # No raw extreme leaks: bins come from a public grid and noisy counts.
    assert out["age"].max() <= 90


def test_sampling_is_seeded_and_rows_default_to_a_noisy_count() -> None:
    df = table()
    model = fit(df, 2.0)
    pd.testing.assert_frame_equal(model.sample(500, 7), model.sample(500, 7))
    assert not model.sample(500, 7).equals(model.sample(500, 8))
    assert abs(model.estimated_rows() - len(df)) < 0.1 * len(df)


def test_bins_keep_point_masses_and_decode_inside_their_bin() -> None:
    bins = Bins(np.array([0.0, 10.0, 20.0]), integer=True)
    x = np.array([0, 5, 10, 15, 20, 25, -3, np.nan])
    codes = bins.encode(x)
    assert codes.tolist() == [0, 1, 2, 3, 4, 4, 0, -1]
    back = bins.decode(codes, np.random.default_rng(0))
    assert back[0] == 0 and 0 < back[1] < 10 and back[2] == 10 and 10 < back[3] < 20
    assert np.isnan(back[-1])
    grid = public_grid("integer", (None, None))
    assert 0 in grid and np.all(np.diff(grid) > 0)


def test_a_wide_bin_is_drawn_in_the_shape_its_noisy_grid_counts_show() -> None:
    # A heavy tail: one bin (10, 1000) over grid buckets whose counts fall off tenfold.
    grid = np.array([0.0, 10.0, 100.0, 1000.0])
    weights = np.array([0.0, 0.0, 900.0, 100.0])
    shaped = Bins(np.array([10.0, 1000.0]), integer=False, grid=grid, weights=weights)
    plain = Bins(np.array([10.0, 1000.0]), integer=False)
    codes = np.ones(20_000, dtype=np.int64)  # the gap between the two edges
    x = shaped.decode(codes, np.random.default_rng(1))
    assert np.all((x > 10) & (x < 1000))
    assert abs(np.mean(x <= 100) - 0.9) < 0.02  # the grid's shape, not the gap's width
    assert np.mean(plain.decode(codes, np.random.default_rng(1)) <= 100) < 0.15
    # Buckets that all cleared to zero leave the gap whole.
    empty = Bins(np.array([10.0, 1000.0]), False, grid, np.zeros(4))
    y = empty.decode(codes, np.random.default_rng(1))
    assert np.all((y > 10) & (y < 1000)) and np.mean(y <= 100) < 0.15


def test_noise_is_cleaned_in_blocks_so_a_thinly_spread_column_keeps_its_range() -> None:
    from privsynth.tabular.dp_bins import clean_counts

    rng = np.random.default_rng(3)
    sigma = 35.0
    true = np.zeros(200)
    true[20:100] = 75.0  # 6,000 rows over 80 one-year buckets, each below the noise level
    noisy = true + rng.normal(0, sigma, len(true))
    cleaned = clean_counts(noisy, sigma)
    # Bucket by bucket, at the level pure noise reaches in one of 200 buckets, most of the
    # mass would be gone; in blocks it is kept, and the empty buckets stay (nearly) empty.
    from scipy.stats import norm

    alone = np.where(noisy > norm.isf(0.01 / len(true)) * sigma, noisy, 0.0)
    assert alone.sum() < 0.15 * true.sum()
    assert cleaned.sum() > 0.6 * true.sum()
    kept = np.flatnonzero(cleaned)
    assert kept.min() <= 26 and kept.max() >= 90  # the column's range, nearly all of it
    assert cleaned[:16].sum() + cleaned[104:].sum() == 0  # and nothing where it has none
    # Pure noise is nothing.
    assert clean_counts(rng.normal(0, sigma, 200), sigma).sum() == 0


def test_budget_split_check_mirrors_opendp() -> None:
    # 0.0174015 is a budget OpenDP 0.16's MST refused on 15 columns; 0.0174009 it accepted.
    assert not _mst_split_ok(0.0174015, 15)
    assert _mst_split_ok(0.0174009, 15)
    # 0.0158195 on 17 columns: refused by OpenDP ("insufficient budget for query:
    # 0.000790974999...93 > ...91"), and by the check.
    assert not _mst_split_ok(0.0158195, 17)


def _opendp_select_accepts(rho: float, selections: int) -> bool:
    """OpenDP's own composition map of MST's equal selection parts, on no data."""
    import opendp.prelude as dp

    dp.enable_features("contrib")

    def prior(x: float) -> float:
        return float(np.nextafter(x, -np.inf))

    multiway = prior(prior(rho - rho * 0.5))
    select = prior(prior(multiway - multiway * 0.9))
    composed = dp.c.make_adaptive_composition(
        dp.vector_domain(dp.atom_domain(T=float)), dp.symmetric_distance(),
        dp.zero_concentrated_divergence(), 1, [prior(select / selections)] * selections,
    )
    return bool(composed.map(1) <= select)


def test_budget_check_agrees_with_opendps_composition_on_no_data() -> None:
    rng = np.random.default_rng(0)
    for columns in range(3, 41):
        for rho in rng.uniform(1e-3, 2.0, 5):
            rho = float(f"{rho:.9g}")
            assert _mst_split_ok(rho, columns) == _opendp_select_accepts(rho, columns - 1), (
                rho, columns)


def test_an_accepted_budget_is_found_for_every_width_without_data() -> None:
    for columns in range(2, 61):
        for rho in (0.0158195, 0.0037, 0.5, 1.7):
            found, selections = mst_budget(rho, columns)
            assert rho * (1 - 5e-4) <= found <= rho
            assert columns - 3 <= selections <= columns - 1
            assert _mst_split_ok(found, columns, selections=selections)
            if selections:
                assert _opendp_select_accepts(found, selections)
    # 17 columns: no budget passes with a full tree of 16 edges; 15 are selected.
    assert mst_budget(0.0158195, 17)[1] == 15


def wide(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """17 columns: wide numeric domains (balances, weights, counts) and categories."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(9):
        cols[f"num{i}"] = np.round(rng.lognormal(6 + i % 3, 1.2, n), 2 if i % 2 else 0)
    for i in range(8):
        cols[f"cat{i}"] = rng.choice([f"c{i}_{k}" for k in range(3 + i)], n)
    return pd.DataFrame(cols)


@pytest.fixture
def compositor_calls(monkeypatch) -> list[int]:
    """Counts OpenDP contexts: the only door to the rows, every query goes through one."""
    import opendp.prelude as dp

    calls: list[int] = []
    real = dp.Context.compositor

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dp.Context, "compositor", staticmethod(counting))
    return calls


def test_wide_table_is_released_in_one_attempt_that_alone_reads_the_data(
    compositor_calls,
) -> None:
    calls = compositor_calls
    df = wide()
    model = fit(df)
    assert len(calls) == 1
    acc = model.accounting_
    assert acc["mst_edges"] == {**acc["mst_edges"], "selected": 15, "columns": 17}
    assert acc["rho_spent"] <= acc["rho"]
    assert len(model.sample(200, seed=1)) == 200


def test_a_refused_budget_stops_the_fit_without_a_second_query(
    compositor_calls, monkeypatch
) -> None:
    from privsynth.tabular import dp as dp_module

    calls = compositor_calls
    # Force the budget OpenDP refuses on 17 columns with a full tree.
    monkeypatch.setattr(dp_module, "mst_budget", lambda rho, n: (0.0158195, 16))
    with pytest.raises(ConfigError, match="refused the budget split.*nothing was released"):
        fit(wide(600))
    assert len(calls) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"dp__epsilon": 0}, "dp.epsilon' must be greater than 0"),
        ({"dp__epsilon": -1.0}, "dp.epsilon' must be greater than 0"),
        ({"dp__delta": 0}, "dp.delta' must be greater than 0"),
        ({"dp__delta": "sometimes"}, "dp.delta' must be \"auto\" or a number"),
        ({"dp__domains": {"a": []}}, "non-empty list"),
        ({"dp__domains": {"a": ["x", "x"]}}, "lists a value twice"),
    ],
)
def test_bad_budgets_are_config_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tabular__synthesizer="dp-mst", **overrides)


def test_delta_at_or_above_one_over_n_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"below 1/n = 0\.0005 for 2,000 training rows"):
        fit(table(), 1.0, delta=1e-3)


def test_pipeline_in_dp_mode_accounts_for_the_budget_and_keeps_the_gate(
    small_customers: pd.DataFrame,
) -> None:
    from privsynth.pipeline import synthesize
    from privsynth.report.html import render_html
    from tests.fakes import ScriptedGenerator

    gen = ScriptedGenerator()
    config = load_config(tabular__synthesizer="dp-mst", dp__epsilon=3.0,
                         dp__delta=1e-6, checks__bootstrap=20)
    res = synthesize(small_customers, config, generator=gen)
    synth = res.report["method"]["synthesizer"]
    dp = synth["differential_privacy"]
    assert dp["applied"] and dp["epsilon"] == 3.0 and dp["delta"] == 1e-6
    assert dp["certified_epsilon"] <= 3.0 and dp["rho"] > 0
    assert 0 < dp["rho_spent"] <= dp["rho"]
    assert set(dp["columns_covered"]) == {
        c["name"] for c in res.report["columns"] if c["treatment"] == "modelled"
    }
    assert "notes" in dp["not_covered"] and "e^3" in dp["explanation"]
    assert synth["suppression"]["applied"] is False
    assert "value_protection" not in synth  # counts of real values are not reported
    # The LLM saw only the synthetic row: no real exemplar, phrase or group.
    text = res.report["text"]["notes"]["generator"]
    assert text["private"] and text["exemplars"] == 0 and text["phrases_shown"] == 0
    assert gen.prompts and all(p.count("Record:") == 1 for p in gen.prompts)
    # Rows default to the model's noisy count, and the gate still decided.
    assert res.report["decision"]["released"] in (True, False)
    assert res.report["checks"]
    html = render_html(res.report)
    assert "id='dp'" in html and "Certified epsilon" in html
