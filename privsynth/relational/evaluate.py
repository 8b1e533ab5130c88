"""The checks of a set of linked tables: per entity, per table and per relation.

- Disclosure (every privacy check of a single table) on one record per entity
  (``entities.entity_frame``): training entities against held-out entities, so a leak of a
  person's accounts and loans together shows even when each row alone looks ordinary.
  Identifier replay spans every output table.
- Fidelity per table: column shapes, pair trends, detection and ML utility, named
  ``table:check``.
- Relations: referential integrity (every foreign key has its parent), real key values in
  the output (none may appear), the similarity of the children-per-parent distribution
  (1 - the Kolmogorov-Smirnov distance), judged like a column's shape, the same for the
  days between a parent's consecutive events (an ordered child table), and parent-child
  trends: each parent column's association with each aggregate of its children (their
  count, the mean of each number), compared between the sets, judged like the pair trends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.checks.base import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    CheckContext,
    CheckResult,
    TextColumn,
)
from privsynth.checks.fidelity.column_shapes import ColumnShapes, pool_levels
from privsynth.checks.fidelity.detection import Detection
from privsynth.checks.fidelity.pair_trends import ColumnPairTrends
from privsynth.checks.fidelity.utility import MlUtility
from privsynth.checks.power import NAME as POWER_NAME
from privsynth.checks.registry import run_checks
from privsynth.checks.stage import EvaluationInput, evaluate_stage
from privsynth.checks.text.detection import TextDetection
from privsynth.checks.text.fallbacks import TextFallbacks
from privsynth.checks.text.length import TextLength
from privsynth.checks.text.memorization import TextMemorization
from privsynth.checks.text.vocabulary import TextVocabulary
from privsynth.config import Config
from privsynth.metadata import TableMetadata
from privsynth.metrics.association import correlation_ratio
from privsynth.metrics.identifiers import identifier_values
from privsynth.relational.canaries import EntityCanaries
from privsynth.relational.entities import entity_frame, entity_metadata
from privsynth.relational.events import event_gaps, event_tables
from privsynth.relational.schema import Relation, TableSet, children_per_parent
from privsynth.relational.text import TableText
from privsynth.schema import to_model_frame
from privsynth.seeds import Stream
from privsynth.vocab import NUMERIC_KINDS, Category, Goal

# Fewer rows than this (a table of branches) say nothing about a table's shape: its
# fidelity is not judged, and a relation with fewer parents is not judged for its children
# per parent.
MIN_TABLE_ROWS = 30
TABLE_CHECKS = (ColumnShapes, ColumnPairTrends, Detection, MlUtility)
# Parent-child pairs judged per relation, at most (a seeded choice beyond).
MAX_TREND_PAIRS = 60


def released_frame(tables: dict[str, pd.DataFrame],
                   metas: dict[str, TableMetadata]) -> pd.DataFrame:
    """The output columns of every table side by side (``table.column``), for the replay
    check, which reads cells, not rows: every column but the modelled numbers (an amount
    equal to some real four-digit ID is chance, not a replayed identifier)."""
    longest = max((len(f) for f in tables.values()), default=0)
    numbers = {(t, c.name) for t, m in metas.items() for c in m.columns
               if c.name in m.modelled and c.kind in NUMERIC_KINDS}
    return pd.DataFrame({f"{t}.{c}": pd.Series(f[c].to_numpy(), dtype=object)
                         .reindex(range(longest))
                         for t, f in tables.items() for c in f.columns
                         if (t, c) not in numbers})


def real_identifiers(tables: list[dict[str, pd.DataFrame]],
                     metas: dict[str, TableMetadata]) -> frozenset[str]:
    values: list[Any] = []
    for group in tables:
        for name, frame in group.items():
            for col in metas[name].identifier_columns:
                if col in frame.columns:
                    values += frame[col].tolist()
    return identifier_values(values)


def table_results(name: str, meta: TableMetadata, modelled: list[str], train: pd.DataFrame,
                  holdout: pd.DataFrame | None, synthetic: pd.DataFrame,
                  config: Config) -> list[CheckResult]:
    """A table's fidelity checks; a reference table has no unseen rows, so no ML utility."""
    if not modelled or len(synthetic) < MIN_TABLE_ROWS or len(train) < MIN_TABLE_ROWS:
        return []
    checks = TABLE_CHECKS if holdout is not None else TABLE_CHECKS[:-1]
    ctx = CheckContext.for_run(config, meta, train, train if holdout is None else holdout,
                               synthetic, modelled)
    results = run_checks(ctx, config.gate, checks)
    return [dataclasses.replace(r, name=f"{name}:{r.name}") for r in results
            if r.category != Category.PRIVACY]


TEXT_CHECKS = (TextMemorization, TextLength, TextVocabulary, TextFallbacks, TextDetection)


def text_results(name: str, text: TableText, config: Config) -> list[CheckResult]:
    """A table's text checks, named ``table:check``: its generated texts against its real
    training texts."""
    if not text.outcome.columns:
        return []
    train, holdout = text.split.train, text.split.holdout
    ctx = CheckContext.for_run(
        config, text.meta, train, holdout, train, [],
        texts={c: TextColumn.of(train[c], holdout[c], g.texts, g.fallbacks)
               for c, g in text.outcome.columns.items()})
    # The power floor belongs to the people's disclosure checks, judged on the entities.
    return [dataclasses.replace(r, name=f"{name}:{r.name}")
            for r in run_checks(ctx, config.gate, TEXT_CHECKS) if r.name != POWER_NAME]


def ks_similarity(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return float("nan")
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(1 - np.max(np.abs(fa - fb)))


def relation_results(ts: TableSet, metas: dict[str, TableMetadata],
                     real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame],
                     config: Config, lookups: frozenset[str] = frozenset(),
                     ) -> list[CheckResult]:
    """Integrity, key replay, children per parent and the gaps between events, against
    every real row (the set is synthesized at the input's size)."""
    integrity, replayed, similarity = {}, {}, {}
    for r in ts.relations:
        fk = synthetic[r.child][r.foreign_key].dropna()
        integrity[str(r)] = float(fk.isin(synthetic[r.parent][r.key]).mean()) if len(fk) \
            else 1.0
        real_keys = set(real[r.parent][r.key].astype(str))
        out_keys = pd.concat([synthetic[r.parent][r.key], fk]).astype(str)
        replayed[str(r)] = int(out_keys.isin(real_keys).sum())
        if min(len(real[r.parent]), len(synthetic[r.parent])) >= MIN_TABLE_ROWS:
            similarity[str(r)] = ks_similarity(
                children_per_parent(real, r).astype(np.float64),
                children_per_parent(synthetic, r).astype(np.float64))
    gaps = {}
    for name, events in event_tables(ts, metas, lookups).items():
        real_gaps = event_gaps(real[name], events, metas[name])
        if len(real_gaps) >= MIN_TABLE_ROWS:
            gaps[str(events)] = ks_similarity(real_gaps,
                                              event_gaps(synthetic[name], events, metas[name]))
    gate = config.gate
    worst = min(integrity.values())
    least = min(similarity.values(), default=float("nan"))
    return [
        _result("referential_integrity", Category.FIDELITY,
                Goal.AT_LEAST, 1.0, worst, integrity,
                "Share of synthetic foreign-key values that point at a synthetic parent row, "
                "for the worst relation. Anything below 1 is a broken link."),
        _result("real_keys_in_output", Category.PRIVACY, Goal.AT_MOST, 0.0,
                float(sum(replayed.values())), replayed,
                "Real key values found among the synthetic keys and foreign keys. Keys are "
                "fresh surrogates drawn outside the real values, so this must be 0."),
        _result("children_per_parent_similarity", Category.FIDELITY, Goal.AT_LEAST,
                gate.min_column_similarity, least, similarity,
                "1 - the Kolmogorov-Smirnov distance between the real and synthetic "
                "distributions of children per parent row, for the worst relation."),
        _result("event_gap_similarity", Category.FIDELITY, Goal.AT_LEAST,
                gate.min_column_similarity, min(gaps.values(), default=float("nan")), gaps,
                "1 - the Kolmogorov-Smirnov distance between the real and synthetic "
                "distributions of the days between consecutive events of a parent (a child "
                "table with a date and, on average, at least 1.5 rows per parent), for the "
                "worst such table."),
    ]


def child_aggregates(tables: dict[str, pd.DataFrame], r: Relation,
                     meta: TableMetadata) -> pd.DataFrame:
    """Per parent row (in the parent's order): its children's count and the mean of each of
    their modelled numbers and dates (missing for a parent without children)."""
    parent_keys = tables[r.parent][r.key]
    child = tables[r.child]
    out = {f"{r.child}.rows": children_per_parent(tables, r).astype(float)}
    numbers = [c.name for c in meta.columns if c.name in meta.modelled
               and c.kind in NUMERIC_KINDS and c.name != r.foreign_key]
    if numbers:
        model = to_model_frame(child[numbers], meta.schema)
        means = model.groupby(child[r.foreign_key].to_numpy()).mean()
        for col in numbers:
            out[f"{r.child}.{col}.mean"] = parent_keys.map(means[col]).to_numpy(dtype=float)
    return pd.DataFrame(out, index=parent_keys.index)


def trend_similarity(real: tuple[pd.Series, pd.Series], syn: tuple[pd.Series, pd.Series],
                     numeric: bool) -> float:
    """How alike a parent column's association with a child aggregate is in the two sets:
    1 - |difference of Pearson correlations| / 2 for a number, 1 - |difference of
    correlation ratios| for a category (both 1 when neither set has one, 0.5 when one
    lacks it)."""
    if numeric:
        a = real[0].corr(real[1])
        b = syn[0].corr(syn[1])
        spread = 2.0
    else:
        a, b = correlation_ratio(*real), correlation_ratio(*syn)
        spread = 1.0
    if pd.isna(a) or pd.isna(b):
        return 1.0 if pd.isna(a) and pd.isna(b) else 0.5
    return 1 - abs(float(a) - float(b)) / spread


def trend_results(ts: TableSet, metas: dict[str, TableMetadata],
                  real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame],
                  config: Config) -> CheckResult:
    """Parent-child trends: the mean similarity of (parent column, child aggregate)
    associations over the relations with enough parents."""
    rng = np.random.default_rng(seeds.derive(config.seed, Stream.RELATIONAL_CHECKS, 0))
    per_relation: dict[str, float] = {}
    worst: dict[str, float] = {}
    for r in ts.relations:
        if min(len(real[r.parent]), len(synthetic[r.parent])) < MIN_TABLE_ROWS:
            continue
        meta = metas[r.parent]
        keys = set(ts.keys_of(r.parent))
        own = [c for c in meta.modelled if c not in keys]
        if not own:
            continue
        frames = []
        for tables in (real, synthetic):
            parents = to_model_frame(tables[r.parent][own], meta.schema)
            frames.append((parents.reset_index(drop=True),
                           child_aggregates(tables, r, metas[r.child]).reset_index(drop=True)))
        pairs = [(p, a) for p in own for a in frames[0][1].columns]
        if len(pairs) > MAX_TREND_PAIRS:
            pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), MAX_TREND_PAIRS,
                                                         replace=False))]
        (rp, ra), (sp, sa) = frames
        numeric = {p: meta.schema[p].kind in NUMERIC_KINDS for p in own}
        for p in own:  # a category's rare levels pooled once, as for the pair trends
            if not numeric[p]:
                rp[p], sp[p] = pool_levels(rp[p], sp[p], config.tabular.rare_category_min_count)
        scores = {f"{p} | {a}": round(trend_similarity((rp[p], ra[a]), (sp[p], sa[a]),
                                                       numeric[p]), 4) for p, a in pairs}
        per_relation[str(r)] = float(np.mean(list(scores.values())))
        worst.update({f"{r}: {k}": v for k, v in scores.items()})
    value = float(np.mean(list(per_relation.values()))) if per_relation else float("nan")
    result = _result(
        "parent_child_trends", Category.FIDELITY, Goal.AT_LEAST,
        config.gate.min_pair_similarity, value, per_relation,
        "Mean over relations of the mean similarity of (parent column, child aggregate) "
        "associations: a parent's column against its children's count and the mean of each "
        "of their numbers; 1 - |difference of Pearson correlations| / 2 for a numeric "
        "parent column, 1 - |difference of correlation ratios| for a category, synthetic "
        "set against the real one.")
    if result.status != NOT_APPLICABLE:
        lowest = dict(sorted(worst.items(), key=lambda kv: kv[1])[:5])
        result = dataclasses.replace(result, details={**result.details, "worst_pairs": lowest})
    return result


def _result(name: str, category: Category, goal: Goal, threshold: float, value: float,
            per_relation: Mapping[str, float], explanation: str) -> CheckResult:
    if np.isnan(value):
        return CheckResult(name, category, goal, threshold, NOT_APPLICABLE, None, None,
                           explanation, {"reason": "no rows to compare", "per_relation": {}})
    ok = value >= threshold if goal == Goal.AT_LEAST else value <= threshold
    return CheckResult(name, category, goal, threshold, PASS if ok else FAIL, value, None,
                       explanation, {"per_relation": {k: round(float(v), 6)
                                                      for k, v in per_relation.items()}})


def evaluate_tables(ts: TableSet, metas: dict[str, TableMetadata], lookups: frozenset[str],
                    train: dict[str, pd.DataFrame], holdout: dict[str, pd.DataFrame],
                    synthetic: dict[str, pd.DataFrame], released: dict[str, pd.DataFrame],
                    config: Config, canaries: EntityCanaries | None = None,
                    texts: Mapping[str, TableText] | None = None,
                    ) -> tuple[list[CheckResult], dict[str, Any]]:
    """Every check of the set, and what the report says of the entities judged. The
    canary entities, if planted, are among the training tables."""
    frames = {k: entity_frame(v, ts, lookups, metas)
              for k, v in (("train", train), ("holdout", holdout), ("synthetic", synthetic))}
    meta = entity_metadata(pd.concat([frames["train"], frames["holdout"]]), metas, config)
    evaluation = evaluate_stage(
        EvaluationInput(frames["train"], frames["holdout"], frames["synthetic"],
                        released_frame(released, metas),
                        real_ids=real_identifiers([train, holdout], metas),
                        found_pii=frozenset().union(*(t.scrubbed.found
                                                      for t in (texts or {}).values())),
                        output_texts=tuple(f"{t}.{c}" for t, m in metas.items()
                                           for c in m.text_columns if c in released[t]),
                        canaries=None if canaries is None else canaries.records,
                        canary_strings=frozenset() if canaries is None else canaries.strings),
        meta, config)
    # People are judged for disclosure; fidelity is judged per table and per relation.
    results = [dataclasses.replace(r, details={**r.details, "unit": "entity"})
               for r in evaluation.results if r.category == Category.PRIVACY]
    for name in ts.order():
        keys = ts.keys_of(name)
        modelled = [c for c in metas[name].modelled if c not in keys]
        results += table_results(name, metas[name], modelled, train[name],
                                 None if name in lookups else holdout[name], synthetic[name],
                                 config)
    for name, text in (texts or {}).items():
        results += text_results(name, text, config)
    whole = {t: pd.concat([train[t], holdout[t]]) if t not in lookups else train[t]
             for t in train}
    results += relation_results(ts, metas, whole, synthetic, config, lookups)
    results.append(trend_results(ts, metas, whole, synthetic, config))
    section = {name: int(len(frame)) for name, frame in frames.items()}
    return results, {"entities": section, "entity_columns": list(frames["train"].columns)}
