"""Quasi-identifier keys: numbers binned by quantiles fixed once, other values as they are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privsynth.schema import ColumnSchema, to_model_frame


class QiBinner:
    """One string key per row: numbers binned by quantiles of the real rows it was built on,
    other values as they are. Built once, it keys any number of frames the same way."""

    def __init__(
        self, real: list[pd.DataFrame], schema: dict[str, ColumnSchema], cols: list[str],
        bins: int,
    ) -> None:
        self.schema = {c: schema[c] for c in cols}
        self.cols = list(cols)
        self.edges: dict[str, np.ndarray] = {}
        model = [to_model_frame(f[cols], schema) for f in real]
        for col in cols:
            values = pd.concat([m[col] for m in model]).dropna()
            if schema[col].kind in ("float", "datetime", "integer") and values.nunique() > bins:
                self.edges[col] = (
                    np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
                    if len(values) else np.array([])
                )

    def keys(self, frame: pd.DataFrame) -> pd.Series:
        if not self.cols:
            return pd.Series(dtype=str)
        m = to_model_frame(frame[self.cols], self.schema)
        parts = []
        for col in self.cols:
            if col in self.edges:
                edges = self.edges[col]
                binned = (
                    np.digitize(m[col].to_numpy(dtype=float), edges[1:-1])
                    if len(edges) > 2
                    else np.zeros(len(m), int)
                )
                parts.append(
                    pd.Series(np.where(m[col].isna(), "nan", binned.astype(str)), index=m.index)
                )
            else:
                parts.append(m[col].fillna("nan").astype(str))
        return pd.concat(parts, axis=1).agg("\x1f".join, axis=1)
