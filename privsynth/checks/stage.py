"""The evaluate stage: every check against real rows no model saw. ``run`` and ``check`` share it.

A synthetic table from any generator is judged the same way: the training rows it was made
from, a holdout it never saw, the rows it produced (at least ``checks.min_eval_rows`` for the
structured checks) and the output table as it would be released (for replay and canaries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from privsynth.checks.base import CheckContext, CheckResult, TextColumn
from privsynth.checks.registry import run_checks
from privsynth.config import Config
from privsynth.metadata import TableMetadata
from privsynth.metrics.curves import fidelity_plots
from privsynth.metrics.identifiers import identifier_values


@dataclass(frozen=True)
class EvaluationInput:
    """What the checks read. Real values stay in memory; none is written."""

    train: pd.DataFrame = field(repr=False)
    holdout: pd.DataFrame = field(repr=False)
    synthetic: pd.DataFrame = field(repr=False)  # the rows judged (modelled columns)
    output: pd.DataFrame = field(repr=False)  # the table as released, every column
    # Normalised real identifier values and canary strings; PII values found in real text.
    real_ids: frozenset[str] = field(default=frozenset(), repr=False)
    found_pii: frozenset[str] = field(default=frozenset(), repr=False)
    # Generated text per column, with its fallback count.
    texts: dict[str, tuple[list[str], int]] = field(default_factory=dict, repr=False)
    canaries: pd.DataFrame | None = field(default=None, repr=False)
    # Output columns of free text beyond the table's own (a set of tables' texts, side by
    # side): searched inside, word by word, like the table's text columns.
    output_texts: tuple[str, ...] = ()
    canary_strings: frozenset[str] = field(default=frozenset(), repr=False)


@dataclass(frozen=True)
class Evaluation:
    """Every check's result, the report's fidelity plots and notes on what was judged."""

    results: tuple[CheckResult, ...]
    plots: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def evaluate_stage(
    data: EvaluationInput, meta: TableMetadata, config: Config, engine: Any = None,
    stop_at_refusal: bool = False,
) -> Evaluation:
    """Every check, judged; ``stop_at_refusal`` is ``run_checks``'s (a verdict only)."""
    modelled = meta.modelled
    # Values found in real text count too, unless they are ordinary category values
    # ("Premium" tagged as a name) of a modelled column.
    categories = identifier_values(
        pd.concat([data.train[c].astype(str) for c in modelled]
                  + [data.holdout[c].astype(str) for c in modelled]) if modelled else []
    )
    values = data.real_ids | (identifier_values(data.found_pii) - categories)
    text_columns = tuple(c for c in meta.text_columns if c in data.output.columns) \
        + data.output_texts
    ctx = CheckContext.for_run(
        config, meta, data.train, data.holdout, data.synthetic, modelled,
        identifier_values=values,
        output=data.output,
        text_columns=text_columns,
        texts={
            c: TextColumn.of(data.train[c], data.holdout[c], texts, fallbacks)
            for c, (texts, fallbacks) in data.texts.items()
        },
        canaries=None if data.canaries is None else data.canaries[modelled],
        canary_strings=data.canary_strings,
        engine=engine,
    )
    notes: tuple[str, ...] = ()
    if len(ctx.train) < len(data.train) or len(ctx.synthetic) < len(data.synthetic):
        notes = (
            f"the checks judged seeded samples of {len(ctx.train):,} training, "
            f"{len(ctx.holdout):,} holdout and {len(ctx.synthetic):,} synthetic rows "
            f"(checks.max_eval_rows); canaries and identifier replay saw every output row",
        )
    results = tuple(run_checks(ctx, config.gate, stop_at_refusal=stop_at_refusal))
    plots = fidelity_plots(
        data.train[modelled], data.synthetic[modelled], meta.schema,
        config.tabular.rare_category_min_count,
    )
    return Evaluation(results, plots, notes)
