"""Awkward structured tables: handled, or refused with a clear message; never a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privsynth.config import load_config
from privsynth.errors import InputError
from privsynth.pipeline import synthesize

CFG = load_config(rows=60, text__enabled=False, policy="lenient")


def base(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "plan": rng.choice(["a", "b", "c"], n),
        "spend": rng.gamma(2, 20, n).round(2),
    })


def test_constant_empty_and_numbers_stored_as_text_are_handled() -> None:
    rng = np.random.default_rng(1)
    df = base().assign(
        constant="x", constant_number=7, empty=[None] * 400,
        amount=[f"{v:,.2f}" for v in rng.gamma(2, 2000, 400)],
        mixed_dates=[f"2020-01-{i % 28 + 1:02d}" if i % 2 else f"{i % 28 + 1:02d}/01/2020"
                     for i in range(400)],
    )
    res = synthesize(df, CFG)
    assert res.released, res.decision.reasons
    out = res.synthetic
    assert list(out.columns) == list(df.columns)
    assert (out["constant"] == "x").all() and (out["constant_number"] == 7).all()
    assert out["empty"].isna().all()
    assert out["amount"].str.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}").all()
    kinds = {c["name"]: c["kind"] for c in res.report["columns"]}
    assert kinds["amount"] == "float" and kinds["mixed_dates"] == "categorical"


def test_more_columns_than_rows_is_withheld_with_reasons_not_a_crash() -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(20, 50)).round(2), columns=[f"c{i}" for i in range(50)])
    res = synthesize(df, CFG)
    assert not res.released and res.synthetic is None
    assert any("holdout has 4 rows" in r for r in res.decision.reasons)


@pytest.mark.parametrize("rows", [1, 2])
def test_a_table_too_small_to_split_is_refused_clearly(rows: int) -> None:
    with pytest.raises(InputError, match="needs at least 10"):
        synthesize(base().head(rows), CFG)
