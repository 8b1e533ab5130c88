"""Business rules the synthetic rows must keep, declared in the config.

```toml
[[tabular.constraints]]
type = "fixed_combinations"      # only combinations seen in the real data
columns = ["city", "state"]

[[tabular.constraints]]
type = "inequality"              # low < high (or <= unless strict = false)
low = "start_date"
high = "end_date"

[[tabular.constraints]]
type = "positive"                # or "negative"; strict = true excludes 0
column = "amount"
```

Fixed combinations and inequalities are SDV's own constraints (``sdv.cag``). Positive and
negative values are enforced by privsynth: rows that break them are dropped and resampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from privsynth.errors import ConfigError

TYPES = ("fixed_combinations", "inequality", "positive", "negative")
_KEYS = {
    "fixed_combinations": {"type", "columns"},
    "inequality": {"type", "low", "high", "strict"},
    "positive": {"type", "column", "strict"},
    "negative": {"type", "column", "strict"},
}


@dataclass(frozen=True)
class Constraint:
    type: str
    columns: tuple[str, ...]
    strict: bool = False
    sdv: bool = field(default=False)

    def to_sdv(self) -> Any:
        from sdv.cag import FixedCombinations, Inequality

        if self.type == "fixed_combinations":
            return FixedCombinations(column_names=list(self.columns))
        low, high = self.columns
        return Inequality(low_column_name=low, high_column_name=high,
                          strict_boundaries=self.strict)

    def valid(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` (synthetic, in output form) that keep this rule; nulls pass."""
        if self.type in ("positive", "negative"):
            raw = frame[self.columns[0]].astype("string").str.replace(",", "", regex=False)
            values = pd.to_numeric(raw, errors="coerce").astype(float)
            sign = 1.0 if self.type == "positive" else -1.0
            ok = values * sign > 0 if self.strict else values * sign >= 0
            return np.asarray(ok | values.isna())
        return np.ones(len(frame), dtype=bool)

    def describe(self) -> dict[str, Any]:
        return {"type": self.type, "columns": list(self.columns), "strict": self.strict,
                "enforced_by": "sdv.cag" if self.sdv else "privsynth (reject and resample)"}


def parse_constraints(
    raw: list[dict[str, Any]], kinds: dict[str, str]
) -> list[Constraint]:
    """Validate config entries against the modelled columns and their kinds."""
    out = []
    for i, entry in enumerate(raw):
        where = f"tabular.constraints[{i}]"
        kind = entry.get("type")
        if kind not in TYPES:
            raise ConfigError(f"{where}: type must be one of {', '.join(TYPES)}, got {kind!r}")
        extra = set(entry) - _KEYS[kind]
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))} for {kind}")
        strict = entry.get("strict", False)
        if not isinstance(strict, bool):
            raise ConfigError(f"{where}: strict must be true or false")
        if kind == "fixed_combinations":
            cols = entry.get("columns")
            if not isinstance(cols, list) or len(cols) < 2 or not all(
                isinstance(c, str) for c in cols
            ):
                raise ConfigError(f"{where}: columns must list at least two column names")
        elif kind == "inequality":
            cols = [entry.get("low"), entry.get("high")]
            if not all(isinstance(c, str) for c in cols):
                raise ConfigError(f"{where}: low and high must be column names")
        else:
            cols = [entry.get("column")]
            if not isinstance(cols[0], str):
                raise ConfigError(f"{where}: column must be a column name")
        for c in cols:
            if c not in kinds:
                raise ConfigError(f"{where}: column '{c}' is not a modelled column of the input")
        if kind == "fixed_combinations" and any(
            kinds[c] not in ("categorical", "boolean") for c in cols
        ):
            raise ConfigError(f"{where}: fixed combinations need categorical columns")
        if kind != "fixed_combinations" and any(
            kinds[c] not in ("integer", "float", "datetime") for c in cols
        ):
            raise ConfigError(f"{where}: {kind} needs numeric or date columns")
        out.append(Constraint(kind, tuple(cols), strict,
                              sdv=kind in ("fixed_combinations", "inequality")))
    return out
