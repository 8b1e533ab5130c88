"""The tabular stage: fit the structured synthesizer, sample with suppression, and say how."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from privsynth.config import Config
from privsynth.engine import Engine
from privsynth.metadata import TableMetadata
from privsynth.split import Split
from privsynth.tabular.sampling import sample_rows
from privsynth.tabular.structured import StructuredSynthesizer
from privsynth.tabular.suppress import SuppressionRule

_DP_NO_SUPPRESSION = {
    "applied": False,
    "reason": "differential privacy: suppression would read real rows outside the privacy "
    "budget",
}


@dataclass(frozen=True)
class TabularOutcome:
    """Synthetic rows of the modelled columns.

    ``evaluation_rows`` are what the checks judge (at least ``checks.min_eval_rows``); the
    first ``n_rows`` of them are released. ``method`` is the report's ``method.synthesizer``."""

    evaluation_rows: pd.DataFrame = field(repr=False)
    n_rows: int
    method: dict[str, Any] = field(default_factory=dict)
    refusals: tuple[str, ...] = ()

    @property
    def rows(self) -> pd.DataFrame:
        return self.evaluation_rows.head(self.n_rows).reset_index(drop=True)

    @property
    def dp_epsilon(self) -> float | None:
        """The epsilon of the DP guarantee covering the modelled columns, if one was applied."""
        statement = self.method.get("differential_privacy") or {}
        if not statement.get("applied"):
            return None
        return float(statement["epsilon"])


def tabular_stage(
    split: Split, meta: TableMetadata, config: Config, engine: Engine
) -> TabularOutcome:
    """Fit on the training rows' modelled columns and sample the rows the checks judge."""
    modelled = meta.modelled
    n_rows = config.rows or len(split.train)
    if not modelled:
        method = _with_dp_statement({}, None, meta, config)
        return TabularOutcome(pd.DataFrame(index=range(n_rows)), n_rows, method)
    train = split.train[modelled]
    synth = StructuredSynthesizer(config.tabular, config.seed, config.dp).fit(train, meta.schema)
    if synth.private and not config.rows:
        # "As many rows as the input" uses the model's noisy count: the exact training size is
        # not part of a DP release.
        n_rows = synth.estimated_rows() or n_rows
    # The checks judge the generator on at least min_eval_rows rows; the first n_rows of them
    # are released, so the verdict has power even when few rows are asked for.
    n_eval = max(n_rows, config.checks.min_eval_rows)
    rule = None
    if not synth.private:
        # In DP mode, dropping rows because they sit near a real row would make the release
        # depend on real rows outside the DP mechanism: the guarantee replaces it.
        fitted = train.loc[synth.fit_index_] if synth.fit_rows_ < len(train) else None
        rule = SuppressionRule.fit(
            train, split.holdout[modelled], meta.schema, meta.quasi_identifiers,
            config.suppression, fitted=fitted, seed=config.seed,
        )
    rows, counts = sample_rows(
        synth, rule, n_eval, config.seed, engine, config.engine.sample_chunk_rows
    )
    refusals: tuple[str, ...] = ()
    if len(rows) < n_eval:
        refusals = (
            f"suppression left {len(rows)} of {n_eval} rows; the generator reproduces real "
            "records too often",
        )
    suppressed = _DP_NO_SUPPRESSION if rule is None else {"applied": True, **counts}
    method = {
        **synth.describe(),
        "suppression": {**suppressed, **asdict(config.suppression)},
        "evaluation_rows": int(len(rows)),
    }
    method = _with_dp_statement(method, method.get("differential_privacy"), meta, config)
    return TabularOutcome(rows, n_rows, method, refusals)


def _with_dp_statement(
    method: dict[str, Any], accounting: dict[str, Any] | None, meta: TableMetadata,
    config: Config,
) -> dict[str, Any]:
    """In a DP run, the method says what the budget covers and what it does not."""
    if not config.differentially_private:
        return method
    from privsynth.tabular.dp import dp_statement

    statement = dp_statement(
        accounting, meta.modelled, meta.text_columns, meta.identifier_columns,
        config.dp.text_exemplars,
    )
    return {**method, "differential_privacy": statement}
