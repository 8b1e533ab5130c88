"""Value protection: rare categories are never reproduced.

A category seen fewer than ``k`` times in the training rows can point at one person (a rare
zip code, a rare job title). Such levels are pooled before fitting; in the output each pooled
value becomes a fresh value in the same format for code-like columns (digits and punctuation)
or the literal ``RARE_MARKER`` for word-like columns. Neither can equal a real rare value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from privsynth.errors import NotFittedError
from privsynth.pii.fakes import fill_shape
from privsynth.schema import ColumnSchema

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
        rng = np.random.default_rng([self.seed, 11])
        for col in self.rare_:
            if col not in out.columns:
                continue
            mask = out[col] == _POOLED
            fresh = []
            for _ in range(int(mask.sum())):
                if self.code_like_[col]:
                    value = fill_shape(
                        self.templates_[col][int(rng.integers(len(self.templates_[col])))], rng
                    )
                    while value in self.real_[col]:
                        value = fill_shape(self.templates_[col][0], rng)
                else:
                    value = RARE_MARKER
                fresh.append(value)
            out.loc[mask, col] = fresh
        return out

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
