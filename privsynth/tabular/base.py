"""The synthesizer contract every implementation follows."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pandas as pd

from privsynth.schema import ColumnSchema


@runtime_checkable
class Synthesizer(Protocol):
    """``fit(df, schema)`` learns from real rows and returns self; ``sample`` draws new rows.

    Implementations store settings in ``__init__`` only; learned state ends in ``_``.
    """

    name: str

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> Synthesizer: ...

    def sample(self, n: int, seed: int) -> pd.DataFrame: ...

    def describe(self) -> dict[str, Any]: ...
