"""Value protection: rare categories are never reproduced; extreme values are clipped.

A category seen fewer than ``k`` times in the training rows can point at one person (a rare
zip code, a rare job title). Such levels are pooled before fitting; in the output each pooled
value becomes a fresh value in the same format for code-like columns (digits and punctuation)
or the literal ``RARE_MARKER`` for word-like columns. Neither can equal a real rare value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.errors import ConfigError, NotFittedError
from privsynth.pii.fakes import fill_shape
from privsynth.schema import ColumnSchema, from_model_frame, to_model_frame
from privsynth.seeds import Stream

_NUMERIC = ("integer", "float", "datetime")

RARE_MARKER = "_RARE_"
_POOLED = "__privsynth_rare__"


def _is_code_like(values: pd.Series) -> bool:
    sample = values.astype(str).head(200)
    return bool(sample.str.fullmatch(r"[\d\W_]+").mean() >= 0.9)


class RareCategoryProtector:
    def __init__(self, min_count: int, seed: int) -> None:
        self.min_count = min_count
        self.seed = seed

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> RareCategoryProtector:
        self.rare_: dict[str, set[str]] = {}
        self.real_: dict[str, set[str]] = {}
        self.templates_: dict[str, list[str]] = {}
        self.code_like_: dict[str, bool] = {}
        if self.min_count <= 1:
            return self
        for col in df.columns:
            if schema[str(col)].kind != "categorical":
                continue
            values = df[col].dropna().astype(str)
            counts = values.value_counts()
            rare = set(counts[counts < self.min_count].index)
            if rare:
                self.rare_[str(col)] = rare
                self.real_[str(col)] = set(counts.index)
                self.templates_[str(col)] = sorted(rare)[:50]
                self.code_like_[str(col)] = _is_code_like(values)
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "rare_"):
            raise NotFittedError("RareCategoryProtector used before fit()")
        out = df.copy()
        for col, rare in self.rare_.items():
            out[col] = out[col].map(
                lambda v, r=rare: _POOLED if isinstance(v, str) and v in r else v
            )
        return out

    def inverse(self, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        rng = seeds.rng(self.seed, Stream.RARE_CATEGORIES)
        for col in self.rare_:
            if col not in out.columns:
                continue
            mask = out[col] == _POOLED
            fresh = []
            for _ in range(int(mask.sum())):
                value = self._fresh_code(col, rng) if self.code_like_[col] else RARE_MARKER
                fresh.append(value)
            out.loc[mask, col] = fresh
        return out

    def _fresh_code(self, col: str, rng: np.random.Generator) -> str:
        """A code shaped like the rare ones that equals no real value (longer if it must)."""
        templates = self.templates_[col]
        for extra in range(4):
            for _ in range(50):
                template = templates[int(rng.integers(len(templates)))] + "0" * extra
                value = fill_shape(template, rng)
                if value not in self.real_[col]:
                    return value
        return RARE_MARKER

    def describe(self) -> dict[str, object]:
        return {
            "rare_category_min_count": self.min_count,
            "columns": {
                c: {
                    "rare_levels": len(r),
                    "replaced_by": "format-preserving new codes"
                    if self.code_like_[c]
                    else RARE_MARKER,
                }
                for c, r in getattr(self, "rare_", {}).items()
            },
        }


class ExtremeValueClipper:
    """Numbers and dates are clipped to the k-th smallest and k-th largest training value.

    A maximum income or an oldest birth date can belong to one person; after clipping, every
    value the synthesizer learns from, and so every value it emits at the edges, is shared by
    at least ``k`` training rows. User bounds from ``[tabular.columns]`` are applied too.
    """

    def __init__(
        self, k: int, enabled: bool, user_bounds: dict[str, tuple[Any, Any]] | None = None
    ) -> None:
        self.k = k
        self.enabled = enabled
        self.user_bounds = dict(user_bounds or {})

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> ExtremeValueClipper:
        self.schema_ = {c: schema[str(c)] for c in df.columns}
        self.bounds_: dict[str, tuple[float, float]] = {}
        self.clipped_: dict[str, int] = {}
        numeric = to_model_frame(
            df[[c for c in df.columns if self.schema_[c].kind in _NUMERIC]], self.schema_
        )
        for col in numeric.columns:
            values = np.sort(numeric[col].dropna().to_numpy())
            lo, hi = -np.inf, np.inf
            if self.enabled and self.k > 1 and len(values) > 2 * self.k:
                lo, hi = float(values[self.k - 1]), float(values[-self.k])
            umin, umax = self.user_bounds.get(str(col), (None, None))
            if umin is not None:
                lo = max(lo, self._number(col, umin))
            if umax is not None:
                hi = min(hi, self._number(col, umax))
            if np.isfinite(lo) or np.isfinite(hi):
                self.bounds_[str(col)] = (lo, hi)
                self.clipped_[str(col)] = int(((values < lo) | (values > hi)).sum())
        return self

    def _number(self, col: str, value: Any) -> float:
        cs = self.schema_[col]
        frame = to_model_frame(pd.DataFrame({col: [value]}), {col: cs})
        number = frame[col].iloc[0]
        if pd.isna(number):
            raise ConfigError(f"tabular.columns.{col}: bound {value!r} does not fit the column")
        return float(number)

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "bounds_"):
            raise NotFittedError("ExtremeValueClipper used before fit()")
        cols = [c for c in self.bounds_ if c in df.columns]
        if not cols:
            return df
        out = df.copy()
        schema = {c: self.schema_[c] for c in cols}
        numbers = to_model_frame(out[cols], schema)
        for c in cols:
            lo, hi = self.bounds_[c]
            numbers[c] = numbers[c].clip(lo, hi)
        restored = from_model_frame(numbers, schema)
        for c in cols:
            out[c] = restored[c]
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "k": self.k,
            "columns": {c: {"training_values_clipped": n}
                        for c, n in getattr(self, "clipped_", {}).items()},
        }
