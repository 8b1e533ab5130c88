"""Property: any small table with mixed types and nulls is either released with the input's
schema or withheld with reasons. The pipeline never crashes on it."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privsynth.config import load_config
from privsynth.errors import UserError
from privsynth.pipeline import synthesize

EXAMPLES = 40 if os.environ.get("PRIVSYNTH_FULL_TESTS") else 5
KINDS = ("int", "float", "category", "bool", "date", "code")


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(60, 160))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**16))
    null_share = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, kind in enumerate(kinds):
        if kind == "int":
            values: list[object] = list(rng.integers(-50, 500, n))
        elif kind == "float":
            values = list(np.round(rng.normal(0, 1e3, n), 3))
        elif kind == "category":
            values = list(rng.choice(["a", "b", "c", "d d", "é"], n))
        elif kind == "bool":
            values = list(rng.random(n) < 0.4)
        elif kind == "date":
            values = [
                str(pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(d)))[:10]
                for d in rng.integers(0, 900, n)
            ]
        else:
            values = [f"X{int(v):06d}" for v in rng.integers(0, 10**6, n)]
        mask = rng.random(n) < (null_share if i == 0 else null_share / 4)
        cols[f"{kind}_{i}"] = [None if m else v for v, m in zip(values, mask, strict=True)]
    return pd.DataFrame(cols)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(df=tables())
def test_random_tables_release_with_their_schema_or_withhold_with_reasons(df) -> None:
    config = load_config(text__enabled=False, rows=30, policy="lenient")
    try:
        result = synthesize(df, config)
    except UserError as exc:  # a clear refusal of unusable input is allowed, a crash is not
        assert str(exc) and "\n" not in str(exc)
        return
    if result.released:
        assert result.synthetic is not None
        assert list(result.synthetic.columns) == list(df.columns)
        assert len(result.synthetic) == 30
    else:
        assert result.synthetic is None
        assert result.decision.reasons
