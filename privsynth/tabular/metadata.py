"""Column metadata: what was detected, and the user's overrides from ``[tabular.columns]``.

```toml
[tabular.columns.zip_code]
kind = "categorical"            # integer, float, datetime, boolean or categorical
[tabular.columns.visit_date]
kind = "datetime"
datetime_format = "%d/%m/%Y"
[tabular.columns.amount]
decimals = 2                    # numerical precision of the output
min = 0                         # bounds: output (and training values) are clipped to them
max = 10000
```
"""

from __future__ import annotations

import dataclasses
from typing import Any

from privsynth.errors import ConfigError
from privsynth.schema import ColumnSchema

KINDS = ("integer", "float", "datetime", "boolean", "categorical")
_KEYS = {"kind", "datetime_format", "decimals", "min", "max"}


def apply_overrides(
    schema: dict[str, ColumnSchema], overrides: dict[str, Any]
) -> dict[str, ColumnSchema]:
    """The schema with ``[tabular.columns]`` applied; unknown columns and keys are errors."""
    out = dict(schema)
    for col, spec in overrides.items():
        where = f"tabular.columns.{col}"
        if col not in schema:
            raise ConfigError(f"{where}: the input has no column '{col}'")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a table of settings")
        extra = set(spec) - _KEYS
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        changes: dict[str, Any] = {}
        if "kind" in spec:
            if spec["kind"] not in KINDS:
                raise ConfigError(f"{where}.kind must be one of {', '.join(KINDS)}")
            changes["kind"] = spec["kind"]
        if "datetime_format" in spec:
            if not isinstance(spec["datetime_format"], str) or "%" not in spec["datetime_format"]:
                raise ConfigError(f"{where}.datetime_format must be a strftime format")
            changes["datetime_format"] = spec["datetime_format"]
        if "decimals" in spec:
            d = spec["decimals"]
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 12:
                raise ConfigError(f"{where}.decimals must be an integer from 0 to 12")
            changes["decimals"] = d
        for bound in ("min", "max"):
            if bound in spec and (
                isinstance(spec[bound], bool) or not isinstance(spec[bound], (int, float, str))
            ):
                raise ConfigError(f"{where}.{bound} must be a number (or a date string)")
        cs = dataclasses.replace(schema[col], **changes)
        if cs.kind == "datetime" and not cs.datetime_format:
            cs = dataclasses.replace(cs, datetime_format="%Y-%m-%d")
        out[col] = cs
    return out


def bounds(overrides: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """User bounds by column: (min or None, max or None)."""
    return {
        col: (spec.get("min"), spec.get("max"))
        for col, spec in overrides.items()
        if isinstance(spec, dict) and ("min" in spec or "max" in spec)
    }


def describe(schema: dict[str, ColumnSchema], overrides: dict[str, Any]) -> dict[str, Any]:
    """What the report shows per modelled column: detected kind, format, precision, source."""
    return {
        col: {
            "kind": cs.kind,
            "sdtype": "numerical" if cs.kind in ("integer", "float", "datetime")
            else "categorical",
            **({"datetime_format": cs.datetime_format} if cs.datetime_format else {}),
            **({"decimals": cs.decimals} if cs.kind == "float" else {}),
            "levels": cs.n_distinct,
            "source": "config override" if col in overrides else "detected",
        }
        for col, cs in schema.items()
    }
