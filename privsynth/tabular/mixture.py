"""A mixture of synthesizers: one per level of a key column, and per cluster within it.

A single Gaussian copula models one correlation matrix for everyone; the relationships that
make an outcome predictable often differ by outcome and by kind of record. Fitting one model
per level of a key column (income <=50K vs >50K), and within each level one per k-means
cluster of the rows, keeps them. A level has its own model from ``MIN_LEVEL`` rows, and a
cluster needs ``MIN_COMPONENT``, so each model is still a smooth summary of many people (a
correlation matrix and block-averaged marginals); levels below that share one pooled model
that keeps the column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.errors import NotFittedError
from privsynth.schema import ColumnSchema, to_model_frame
from privsynth.seeds import MIXTURE_GROUP_STEP, MIXTURE_PART_STEP, Stream
from privsynth.tabular import registry

MIN_COMPONENT = 1000  # rows of a k-means cluster's own model
MIN_LEVEL = 200  # rows of a key level's own model
MIN_POOL = 30
MAX_LEVELS = 30


def _encode(frame: pd.DataFrame) -> np.ndarray:
    """Numbers as ranks in [0, 1]; categories one-hot (top levels), for clustering only."""
    parts = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s):
            parts.append(s.rank(pct=True).fillna(0.5).to_numpy()[:, None])
        else:
            levels = s.fillna("__nan__").astype(str)
            top = levels.value_counts().index[:MAX_LEVELS]
            parts.append((levels.to_numpy()[:, None] == np.asarray(top)[None, :]) * 0.7)
    return np.hstack(parts) if parts else np.zeros((len(frame), 1))


class MixtureSynthesizer:
    def __init__(
        self,
        kind: str,
        params: dict[str, Any],
        seed: int,
        column: str | None,
        components: int,
        constraints: list[Any] | None = None,
    ) -> None:
        self.name = kind
        self.kind = kind
        self.params = dict(params)
        self.seed = seed
        self.column = column
        self.components = components
        self.constraints = list(constraints or [])

    def _groups(self, df: pd.DataFrame) -> list[tuple[np.ndarray, bool]]:
        """Row masks of the key column's levels; True when the level is one constant."""
        if self.column is None:
            return [(np.ones(len(df), dtype=bool), False)]
        key = df[self.column].astype("string").fillna("<NA>")
        counts = key.value_counts()
        big = [v for v in counts.index if counts[v] >= MIN_LEVEL]
        small = [v for v in counts.index if counts[v] < MIN_LEVEL]
        groups = [[v] for v in big]
        if small:
            if int(counts[small].sum()) >= MIN_POOL or not groups:
                groups.append(small)
            else:
                groups[0] = groups[0] + small
        return [(key.isin(g).to_numpy(), len(g) == 1) for g in groups]

    def _clusters(self, rows: pd.DataFrame, schema: dict[str, ColumnSchema],
                  salt: int) -> list[np.ndarray]:
        k = min(self.components, len(rows) // (2 * MIN_COMPONENT))
        if k < 2:
            return [np.ones(len(rows), dtype=bool)]
        from sklearn.cluster import KMeans

        x = _encode(to_model_frame(rows, {c: schema[c] for c in rows.columns}))
        labels = KMeans(k, n_init=3, random_state=self.seed + salt).fit_predict(x)
        sizes = np.bincount(labels, minlength=k)
        largest = int(np.argmax(sizes))
        # Clusters too small for a smooth model join the largest one.
        labels = np.where(sizes[labels] < MIN_COMPONENT, largest, labels)
        return [labels == c for c in np.unique(labels)]

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> MixtureSynthesizer:
        self.parts_: list[tuple[float, Any, Any]] = []
        self.columns_ = list(df.columns)
        for g, (mask, single) in enumerate(self._groups(df)):
            rows = df[mask]
            features = rows.drop(columns=[self.column]) if single and self.column else rows
            constant = rows[self.column].iloc[0] if single and self.column else None
            for c, sub in enumerate(self._clusters(features, schema, g)):
                part = features[sub]
                model = registry.create(
                    self.kind, self.params, seeds.step(self.seed, MIXTURE_GROUP_STEP, g) + c,
                    self.constraints,
                )
                model.fit(part, {col: schema[col] for col in part.columns})
                self.parts_.append((len(part) / len(df), model, constant))
        return self

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if not hasattr(self, "parts_"):
            raise NotFittedError("MixtureSynthesizer used before fit()")
        rng = seeds.rng(seed, Stream.MIXTURE_SAMPLE)
        sizes = rng.multinomial(n, [share for share, _, _ in self.parts_])
        frames = []
        for i, ((_, model, constant), size) in enumerate(zip(self.parts_, sizes, strict=True)):
            if size == 0:
                continue
            part = model.sample(int(size), seeds.step(seed, MIXTURE_PART_STEP, i))
            if self.column and self.column not in part.columns:
                part[self.column] = constant
            frames.append(part[self.columns_])
        out = pd.concat(frames, ignore_index=True)
        return out.iloc[rng.permutation(len(out))].reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        parts = getattr(self, "parts_", [])
        return {
            **(parts[0][1].describe() if parts else {}),
            "mixture": {
                "stratified_by": self.column,
                "clusters_per_level_max": self.components,
                "components": len(parts),
                "component_shares": [round(share, 4) for share, _, _ in parts],
                "min_component_rows": MIN_COMPONENT,
                "min_level_rows": MIN_LEVEL,
            },
        }
