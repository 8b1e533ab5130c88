"""The structured stage: metadata, value protection, constraints and a synthesizer, as one."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config import DpConfig, TabularConfig, default_config
from privsynth.errors import ConfigError, NotFittedError
from privsynth.schema import ColumnSchema, target_like
from privsynth.seeds import CONSTRAINT_ROUND_STEP, Stream
from privsynth.tabular import metadata, registry
from privsynth.tabular.base import Synthesizer
from privsynth.tabular.constraints import parse_constraints
from privsynth.tabular.mixture import MixtureSynthesizer
from privsynth.tabular.protect import ExtremeValueClipper, RareCategoryProtector

logger = logging.getLogger(__name__)

MAX_CONSTRAINT_ROUNDS = 10


class StructuredSynthesizer:
    """Fits the configured synthesizer on protected training rows; samples protected rows.

    - Metadata: detected kinds, with ``[tabular.columns]`` overrides.
    - Value protection: rare categories pooled, extremes clipped (before fit and after sample).
    - Constraints: SDV's fixed combinations and inequalities; positive/negative by rejection.
    - Large inputs: fitted on a uniform sample of ``max_fit_rows`` rows.
    - Mixture: one model per level of a target-like column and per cluster (see ``mixture``).
    """

    def __init__(self, config: TabularConfig, seed: int, dp: DpConfig | None = None) -> None:
        self.config = config
        self.seed = seed
        self.dp = dp

    @property
    def private(self) -> bool:
        return self.config.synthesizer in registry.DP_NAMES

    def fit(
        self, df: pd.DataFrame, schema: dict[str, ColumnSchema]
    ) -> StructuredSynthesizer:
        cfg = self.config
        full = metadata.apply_overrides(schema, cfg.columns)
        self.schema_ = {c: full[str(c)] for c in df.columns}
        self.rows_seen_ = len(df)
        if cfg.max_fit_rows and len(df) > cfg.max_fit_rows:
            rng = seeds.rng(self.seed, Stream.FIT_SAMPLE)
            df = df.iloc[np.sort(rng.choice(len(df), cfg.max_fit_rows, replace=False))]
            logger.info("fitting on a uniform sample of %d of %d rows", len(df), self.rows_seen_)
        self.fit_rows_ = len(df)
        # Index labels of the rows the model saw: suppression searches these.
        self.fit_index_ = df.index
        self.constraints_ = parse_constraints(
            cfg.constraints, {c: cs.kind for c, cs in self.schema_.items()}
        )
        if self.private:
            return self._fit_private(df)
        self.rare_ = RareCategoryProtector(cfg.rare_category_min_count, self.seed)
        self.rare_.fit(df, self.schema_)
        self.clipper_ = ExtremeValueClipper(
            cfg.rare_category_min_count, cfg.clip_extremes, metadata.bounds(cfg.columns)
        ).fit(df, self.schema_)
        self.stratify_by_ = self._stratify_column(df)
        # Knots of empirical marginals average at least k values, like rare categories.
        params = {"marginal_block": max(cfg.rare_category_min_count, 1), **cfg.params}
        components = cfg.mixture_components if cfg.synthesizer == "gaussian_copula" else 1
        self.model_: Synthesizer
        if self.stratify_by_ or (components > 1 and not self.constraints_):
            self.model_ = MixtureSynthesizer(
                cfg.synthesizer, params, self.seed, self.stratify_by_,
                components if not self.constraints_ else 1, self.constraints_,
            )
        else:
            self.model_ = registry.create(cfg.synthesizer, params, self.seed, self.constraints_)
        self.model_.fit(self.clipper_.transform(self.rare_.transform(df)), self.schema_)
        return self

    def _fit_private(self, df: pd.DataFrame) -> StructuredSynthesizer:
        """The DP path: every statistic of the real rows goes through the DP synthesizer.

        Value protection that reads real values (rare-category pooling, clipping at the k-th
        value), stratification and mixtures would spend privacy outside the budget, so they are
        off; clipping to declared bounds is public and stays. Only rejection constraints
        (positive, negative), which are post-processing, are allowed."""
        cfg = self.config
        sdv_constraints = [c for c in self.constraints_ if c.sdv]
        if sdv_constraints:
            raise ConfigError(
                f"tabular.constraints: {sdv_constraints[0].type} constraints are not available "
                f"with {cfg.synthesizer}; only positive and negative are"
            )
        if cfg.stratify_by not in ("", "none"):
            raise ConfigError(f"tabular.stratify_by is not available with {cfg.synthesizer}")
        # No [dp] section given (the API, not the CLI): the shipped budget, recorded in the
        # report like any other.
        dp = self.dp if self.dp is not None else default_config().dp
        self.rare_ = RareCategoryProtector(0, self.seed).fit(df, self.schema_)
        self.clipper_ = ExtremeValueClipper(0, False, metadata.bounds(cfg.columns)).fit(
            df, self.schema_
        )
        # Declared bounds in model units (numbers, days for dates); they are public.
        numeric_bounds = {
            c: (lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)
            for c, (lo, hi) in self.clipper_.bounds_.items()
        }
        self.stratify_by_ = None
        self.model_ = registry.create(
            cfg.synthesizer,
            {**dataclasses.asdict(dp), "bounds": numeric_bounds},
            self.seed,
        ).fit(df, self.schema_)
        return self

    def estimated_rows(self) -> int | None:
        """A DP estimate of the training size, for "as many rows as the input" in DP mode."""
        estimate = getattr(self.model_, "estimated_rows", None)
        return int(estimate()) if estimate is not None else None

    def _stratify_column(self, df: pd.DataFrame) -> str | None:
        """The configured column, else (Gaussian copula only) a target-like categorical one."""
        name = self.config.stratify_by
        constrained = {c for con in self.constraints_ for c in con.columns}
        if name == "none":
            return None
        if name:
            if name not in self.schema_:
                raise ConfigError(f"tabular.stratify_by: '{name}' is not a modelled column")
            if self.schema_[name].kind not in ("categorical", "boolean"):
                raise ConfigError(f"tabular.stratify_by: '{name}' is not categorical")
            if name in constrained:
                raise ConfigError(
                    f"tabular.stratify_by: '{name}' is also used by a constraint"
                )
            return name
        if self.config.synthesizer != "gaussian_copula" or self.constraints_:
            return None
        for col, cs in self.schema_.items():
            levels = df[col].nunique(dropna=False)
            if target_like(col) and cs.kind in ("categorical", "boolean") and 2 <= levels <= 10:
                return col
        return None

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if not hasattr(self, "model_"):
            raise NotFittedError("StructuredSynthesizer used before fit()")
        own = [c for c in self.constraints_ if not c.sdv]
        kept: list[pd.DataFrame] = []
        have = 0
        for r in range(MAX_CONSTRAINT_ROUNDS if own else 1):
            need = n - have
            if need <= 0:
                break
            batch = self.model_.sample(need if not own else int(need * 1.3) + 5,
                                       seeds.step(seed, CONSTRAINT_ROUND_STEP, r))
            batch = self.clipper_.transform(self.rare_.inverse(batch))
            for con in own:
                batch = batch[con.valid(batch)]
            kept.append(batch)
            have += len(batch)
        out = pd.concat(kept) if kept else pd.DataFrame(columns=list(self.schema_))
        return out.head(n).reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        if self.private:
            # Counts of real values (clipped, pooled) would be statistics outside the budget.
            meta = metadata.describe(self.schema_, self.config.columns)
            return {
                **self.model_.describe(),
                # distinct counts of real values are left out
                "metadata": {c: {k: v for k, v in m.items() if k != "levels"}
                             for c, m in meta.items()},
                "fit_rows": self.fit_rows_,
                "training_rows": self.rows_seen_,
                "fitted_on_sample": self.fit_rows_ < self.rows_seen_,
            }
        return {
            **self.model_.describe(),
            "metadata": metadata.describe(self.schema_, self.config.columns),
            "value_protection": {
                "rare_categories": self.rare_.describe(),
                "extreme_values": self.clipper_.describe(),
            },
            "fit_rows": self.fit_rows_,
            "training_rows": self.rows_seen_,
            "fitted_on_sample": self.fit_rows_ < self.rows_seen_,
        }
