"""Runs the stages in order. Each stage returns one frozen outcome; this module holds no stage
logic, only the order:

scan → split → tabular → scrub → identifiers → text → evaluate → gate → report

and for linked tables (``synthesize_tables``):

relations → scan → split by entity → tables → identifiers → evaluate → gate → report
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from privsynth.checks.stage import EvaluationInput, evaluate_stage
from privsynth.config import Config
from privsynth.engine import Engine, make_engine
from privsynth.errors import ConfigError, InputError
from privsynth.gate import Decision, decide, gate_stage
from privsynth.io import frame_input_info
from privsynth.metadata import TableMetadata
from privsynth.metrics.identifiers import identifier_values
from privsynth.pii.detect import PiiDetector
from privsynth.pii.fakes import Persona
from privsynth.pii.identifiers import identifiers_stage
from privsynth.pii.scan import ScanResult
from privsynth.pii.stage import infinite_to_missing, metadata_of, scan_stage
from privsynth.relational.canaries import plant_entities
from privsynth.relational.entities import (
    carry_identifiers,
    lookup_tables,
    shared_identifiers,
    split_by_entity,
    suppress_entities,
)
from privsynth.relational.evaluate import evaluate_tables, real_identifiers
from privsynth.relational.report import tables_report
from privsynth.relational.scan import TableSetScan, scan_table_set
from privsynth.relational.schema import TableSet, table_set
from privsynth.relational.synth import RelationalSynthesizer, fresh_values, surrogate_keys
from privsynth.relational.text import TableText, table_text
from privsynth.report.stage import check_report, run_report
from privsynth.resources import StageClock
from privsynth.seeds import Stream, derive
from privsynth.split import split_stage
from privsynth.tabular.stage import tabular_stage
from privsynth.text.generator import TextGenerator
from privsynth.text.scrub_stage import scrub_stage
from privsynth.text.stage import open_generator, text_stage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run. ``synthetic`` is None unless the gate released it: one table,
    or for linked tables a dict of tables by name (``scan`` is then their scan)."""

    decision: Decision
    report: dict[str, Any]
    scan: ScanResult | TableSetScan
    synthetic: pd.DataFrame | dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def released(self) -> bool:
        return self.decision.released


def synthesize(
    df: pd.DataFrame,
    config: Config,
    *,
    generator: TextGenerator | None = None,
    input_info: dict[str, Any] | None = None,
    command: list[str] | None = None,
    progress: bool = False,
    notes: list[str] | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Run the whole pipeline on a DataFrame. The API behind ``privsynth run``.

    ``notes`` are what happened to the input before it got here (sampling, say); the report
    lists them with the pipeline's own. ``engine`` runs the chunked stages; by default the
    one ``config.engine`` names, started here and closed at the end."""
    if engine is not None:
        return _run(df, config, engine, generator, input_info, command, progress, notes)
    e = config.engine
    own = make_engine(e.kind, e.scheduler, e.workers, e.threads_per_worker, e.retries)
    try:
        return _run(df, config, own, generator, input_info, command, progress, notes)
    finally:
        own.close()


def _run(
    df: pd.DataFrame, config: Config, engine: Engine, generator: TextGenerator | None,
    input_info: dict[str, Any] | None, command: list[str] | None, progress: bool,
    notes: list[str] | None,
) -> RunResult:
    table, input_notes = _prepare(df)
    clock = StageClock()
    # One detector for the run: the scan, the scrubber and the re-scan of generated text share
    # its engine and its cache.
    detector = PiiDetector(config.scan.recognizers, config.scan.score_threshold, engine=engine)
    scan = scan_stage(table, config, detector)
    clock.lap("scan")
    meta = scan.meta
    split = split_stage(table, scan.scan, config)
    tables = tabular_stage(split, meta, config, engine)
    clock.lap("tabular")
    use_text = config.text.enabled and bool(meta.text_columns)
    scrubbed = scrub_stage(table, split, meta, config, detector, use_text)
    clock.lap("scrub")
    fakes = identifiers_stage(
        table, meta, tables.n_rows, scrubbed.forbidden, config.seed, use_text, scrubbed.phones
    )
    clock.lap("identifiers")
    rows = pd.concat([tables.rows, fakes.columns], axis=1)
    text = text_stage(
        rows, fakes.personas, split, meta, scrubbed, config, engine, generator, detector,
        progress,
    )
    clock.lap("text")
    generated = pd.DataFrame({c: g.texts for c, g in text.columns.items()}, index=rows.index)
    output = pd.concat([rows, generated], axis=1)[
        [c for c in table.columns if c in rows.columns or c in generated.columns]
    ]
    evaluation = evaluate_stage(
        EvaluationInput(
            split.train, split.holdout, tables.evaluation_rows, output,
            real_ids=scrubbed.real_ids, found_pii=scrubbed.found,
            texts={c: (g.texts, g.fallbacks) for c, g in text.columns.items()},
            canaries=None if split.canaries is None else split.canaries.rows,
            canary_strings=frozenset() if split.canaries is None else split.canaries.strings,
        ),
        meta, config, engine,
    )
    decision = gate_stage(evaluation, config, tables.refusals, tables.dp_epsilon)
    clock.lap("checks")
    report = run_report(
        config=config, scan=scan, split=split, tables=tables, identifiers=fakes, text=text,
        evaluation=evaluation, decision=decision, output=output, engine=engine,
        input_info=dict(input_info or frame_input_info(df)), command=command, clock=clock,
        notes=[*(notes or []), *input_notes],
    )
    logger.info("decision: %s", "released" if decision.released else "withheld")
    return RunResult(decision, report, scan.scan, output if decision.released else None)


def evaluate_external(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    config: Config,
    *,
    input_info: dict[str, Any] | None = None,
    command: list[str] | None = None,
) -> RunResult:
    """The end of the pipeline on a synthetic table made by any generator: the same scan,
    evaluation, gate and report as ``synthesize``. The API behind ``privsynth check``."""
    for name, frame in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if len(frame) == 0:
            raise InputError(f"the {name} table has no rows")
    detector = PiiDetector(config.scan.recognizers, config.scan.score_threshold)
    scan = scan_stage(real, config, detector)
    missing = [c for c in real.columns if c not in synthetic.columns or c not in holdout.columns]
    if missing:
        raise InputError(f"synthetic or holdout table lacks column(s): {', '.join(missing[:10])}")
    meta = scan.meta
    ident = meta.identifier_columns
    evaluation = evaluate_stage(
        EvaluationInput(
            real, holdout, synthetic, synthetic[list(real.columns)],
            real_ids=_identifier_values(real, ident),
            texts={c: (list(synthetic[c]), 0) for c in meta.text_columns},
        ),
        meta, config,
    )
    decision = gate_stage(evaluation, config)
    report = check_report(
        config=config, scan=scan, evaluation=evaluation, decision=decision,
        rows=(len(real), len(holdout), len(synthetic)),
        input_info=dict(input_info or frame_input_info(real)),
        command=command,
    )
    return RunResult(decision, report, scan.scan, None)


def _identifier_values(table: pd.DataFrame, columns: list[str]) -> frozenset[str]:
    from privsynth.metrics.identifiers import identifier_values

    return identifier_values(pd.concat([table[c] for c in columns]) if columns else [])


def _prepare(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table as every stage reads it: string column names, a plain index, no infinities."""
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InputError("the input table is empty")
    df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    return infinite_to_missing(df)


def synthesize_tables(
    tables: dict[str, pd.DataFrame],
    relations: list[dict[str, str]],
    config: Config,
    *,
    input_info: dict[str, Any] | None = None,
    command: list[str] | None = None,
    generator: TextGenerator | None = None,
) -> RunResult:
    """Synthesize a set of linked tables: keys as fresh surrogates, every foreign key with
    its parent, free text by the local LLM (``generator`` None: the configured GGUF), the
    gate judging people (entities) as well as tables and relations. The API behind
    ``privsynth run`` on a folder with ``[[relations]]``."""
    clock = StageClock()
    prepared = {name: _prepare(frame)[0] for name, frame in tables.items()}
    ts = table_set(prepared, relations)
    if config.differentially_private:
        raise ConfigError("the DP synthesizers do not take linked tables yet; choose a "
                          "tabular.synthesizer without the dp- prefix")
    scan = scan_table_set(ts, config)
    metas = {name: metadata_of(result, config) for name, result in scan.scans.items()}
    clock.lap("scan")
    lookups = lookup_tables(ts)
    train, holdout, n_train, n_holdout = split_by_entity(
        ts.tables, ts, lookups, config.holdout_share, config.seed)
    # Real identifier and key values of every table: no surrogate key and no fake may be one.
    forbidden = real_identifiers([ts.tables], metas) | identifier_values(
        pd.concat([ts.tables[t][k].astype(str) for t in ts.tables for k in ts.keys_of(t)]))
    canaries = None
    every_real = ts.tables
    if config.checks.canaries:
        train, canaries = plant_entities(config.checks.canaries, train, ts, lookups,
                                         scan.scans, metas, config.seed, forbidden)
        every_real = {t: pd.concat([f, canaries.tables[t]]) if t in canaries.tables else f
                      for t, f in ts.tables.items()}
        logger.info("planted %d canary entities in the training tables", len(canaries.records))
    synth = RelationalSynthesizer(ts, metas, config, lookups).fit(train, every_real, forbidden)
    # The set is synthesized at the input's size: the held-out people are replaced too.
    synthetic = synth.strip(synth.sample(scale=(n_train + n_holdout) / max(n_train, 1)))
    # Suppression judges people: an entity on top of a real one is dropped with its rows.
    synthetic, suppressed = suppress_entities(synthetic, train, holdout, ts, lookups, metas,
                                              config)
    if suppressed["too_close"] or suppressed["rare_combination"]:
        logger.info("suppression dropped %d entities too close to a training entity and %d "
                    "with a rare quasi-identifier combination", suppressed["too_close"],
                    suppressed["rare_combination"])
    clock.lap("tabular")
    writes_text = config.text.enabled and any(m.text_columns for m in metas.values())
    released, personas = _table_identifiers(ts, metas, synthetic, forbidden, config.seed,
                                            writes_text)
    # A person's identifier repeated in a child table (their email on each order) carries
    # the fake of their synthetic parent row.
    shared = shared_identifiers(ts, metas)
    carry_identifiers(released, shared)
    carried: dict[str, dict[str, str]] = {}
    for r, c, p in shared:
        carried.setdefault(r.child, {})[c] = f"{r.parent}.{p}"
    clock.lap("identifiers")
    texts: dict[str, TableText] = {}
    if writes_text:
        texts = _table_texts(ts, metas, train, holdout, synthetic, released, personas,
                             forbidden, config, generator)
        clock.lap("text")
    results, judged = evaluate_tables(ts, metas, lookups, train, holdout, synthetic, released,
                                      config, canaries, texts)
    orphans = sum(ts.orphans.values())
    refusals = (f"{orphans:,} rows have a foreign key with no parent row; the strict policy "
                "refuses orphans",) if orphans and config.policy == "strict" else ()
    decision = decide(results, config.gate, refusals)
    clock.lap("checks")
    report = tables_report(
        config=config, scan=scan, metas=metas, lookups=lookups, results=results,
        decision=decision, released=released, judged={**judged, "train_entities": n_train,
                                                      "holdout_entities": n_holdout,
                                                      "carried": carried,
                                                      "own_keys": {
                                                          t: _own_keys(ts.tables[t], metas[t])
                                                          for t in ts.tables},
                                                      "suppressed": suppressed,
                                                      "texts": texts},
        fit_rows=synth.fit_rows_, input_info=dict(input_info or {}), command=command,
        clock=clock,
    )
    logger.info("decision: %s", "released" if decision.released else "withheld")
    return RunResult(decision, report, scan, released if decision.released else None)


def _own_keys(real: pd.DataFrame, meta: TableMetadata) -> list[str]:
    """A unique integer identifier is the table's own key (a payment's number): it gets fresh
    surrogates like the relations' keys, widened when its width is full, not fakes."""
    return [c for c in meta.identifier_columns
            if pd.api.types.is_integer_dtype(real[c]) and real[c].is_unique]


def _table_identifiers(
    ts: TableSet, metas: dict[str, TableMetadata], synthetic: dict[str, pd.DataFrame],
    forbidden: frozenset[str], seed: int, writes_text: bool,
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[Persona, ...]]]:
    """The output tables without their text: drawn columns, keys and fakes (none equal to a
    real identifier of any table), in the input's column order; each table's personas."""
    released, personas = {}, {}
    for k, name in enumerate(ts.order()):
        table_seed = derive(seed, Stream.RELATIONAL_FAKES, k)
        real = ts.tables[name]
        own_keys = _own_keys(real, metas[name])
        meta = TableMetadata(tuple(c for c in metas[name].columns if c.name not in own_keys))
        outcome = identifiers_stage(real, meta, len(synthetic[name]), forbidden, table_seed,
                                    writes_text and bool(metas[name].text_columns))
        fakes = outcome.columns
        rng = np.random.default_rng(table_seed)
        for col in fakes.columns:
            fakes[col] = fresh_values(fakes[col], forbidden, rng)
        for col in own_keys:
            fakes[col] = surrogate_keys(real[col], len(fakes), rng, forbidden).to_numpy()
        frame = pd.concat([synthetic[name].reset_index(drop=True), fakes], axis=1)
        released[name] = frame[[c for c in ts.tables[name].columns if c in frame.columns
                                and c not in metas[name].text_columns]].copy()
        personas[name] = outcome.personas
    return released, personas


def _table_texts(
    ts: TableSet, metas: dict[str, TableMetadata], train: dict[str, pd.DataFrame],
    holdout: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame],
    released: dict[str, pd.DataFrame], personas: dict[str, tuple[Persona, ...]],
    forbidden: frozenset[str], config: Config, generator: TextGenerator | None,
) -> dict[str, TableText]:
    """Every text column of every table, written into ``released`` in the input's column
    order; what each table's text checks read."""
    e = config.engine
    engine = make_engine(e.kind, e.scheduler, e.workers, e.threads_per_worker, e.retries)
    try:
        detector = PiiDetector(config.scan.recognizers, config.scan.score_threshold,
                               engine=engine)
        generator, _ = open_generator(config, engine, generator)
        texts = {}
        for name in ts.order():
            if not metas[name].text_columns:
                continue
            text = table_text(name, ts, metas, train, holdout, synthetic, released,
                              personas[name], forbidden, config, engine, generator, detector)
            frame = released[name]
            for col, made in text.outcome.columns.items():
                frame[col] = made.texts
            released[name] = frame[[c for c in ts.tables[name].columns if c in frame.columns]]
            texts[name] = text
        return texts
    finally:
        engine.close()
