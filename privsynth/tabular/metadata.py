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

from typing import Any

from privsynth.metadata import apply_overrides, bounds
from privsynth.schema import ColumnSchema

__all__ = ["apply_overrides", "bounds", "describe"]

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
