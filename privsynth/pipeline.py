"""Runs the stages in order: scan, split, tables, identifiers, text, checks, gate, report."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from privsynth.canaries import make_canaries
from privsynth.checks import CheckContext, CheckResult, run_checks
from privsynth.checks.base import TextColumn, texts_of
from privsynth.checks.privacy.pii_replay import identifier_values
from privsynth.config import Config
from privsynth.engine import Engine, chunk_bounds, chunk_seed, make_engine
from privsynth.errors import InputError
from privsynth.gate import Decision, decide
from privsynth.pii.detect import ENGINE_CHUNK, PiiDetector
from privsynth.pii.fakes import IdentifierFaker, identifier_kind
from privsynth.pii.replace import ConsistentReplacer
from privsynth.pii.scan import IDENTIFIER, QUASI, TEXT, PiiScanner, ScanResult
from privsynth.pii.scrub import TextScrubber
from privsynth.report import build_report
from privsynth.report.plots import fidelity_plots
from privsynth.tabular.structured import StructuredSynthesizer
from privsynth.tabular.suppress import SuppressionRule
from privsynth.text.generator import LlamaGenerator, TextGenerator
from privsynth.text.model import resolve_model
from privsynth.text.synth import TextStats, TextSynthesizer, generate_chunk

logger = logging.getLogger(__name__)

MIN_ROWS = 10
TEXT_EXAMPLES_IN_REPORT = 5


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run. ``synthetic`` is None unless the gate released it."""

    decision: Decision
    report: dict[str, Any]
    scan: ScanResult
    synthetic: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def released(self) -> bool:
        return self.decision.released


def split_holdout(df: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded split of real rows into train and a holdout that no model sees."""
    n = len(df)
    n_hold = int(round(n * share))
    if n < MIN_ROWS or n_hold < 1 or n - n_hold < 2:
        raise InputError(
            f"the input has {n} row{'s' if n != 1 else ''}; privsynth needs at least {MIN_ROWS}"
        )
    order = np.random.default_rng([seed, 7]).permutation(n)
    return df.iloc[np.sort(order[n_hold:])], df.iloc[np.sort(order[:n_hold])]


_TAG_BY_KIND = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "name": "PERSON",
    "first": "PERSON",
    "last": "PERSON",
    "ssn": "US_SSN",
    "address": "LOCATION",
    "ip": "IP_ADDRESS",
    "card": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "url": "URL",
    "username": "USERNAME",
}


def _sample_with_suppression(
    synth: StructuredSynthesizer,
    rule: SuppressionRule | None,
    n: int,
    seed: int,
    rounds: int = 4,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Sample n rows, dropping and replacing rows the suppression rule flags (none: no rule)."""
    counts = {"too_close": 0, "rare_quasi_identifier_combination": 0, "rounds": 0}
    if rule is None:
        return synth.sample(n, seed), counts
    kept: list[pd.DataFrame] = []
    have = 0
    keep_rate = 0.9
    for r in range(rounds):
        need = n - have
        if need <= 0:
            break
        # Oversample by the share the rule kept so far, so a few rounds are enough.
        size = int(need / max(keep_rate, 0.05) * 1.1) + 5
        batch = synth.sample(size, seed + 1000 * r)
        close, rare = rule.flags(batch)
        keep_rate = max(float((~(close | rare)).mean()), 0.0) if len(batch) else keep_rate
        counts["too_close"] += int(close.sum())
        counts["rare_quasi_identifier_combination"] += int((rare & ~close).sum())
        counts["rounds"] = r + 1
        batch = batch[~(close | rare)]
        kept.append(batch)
        have += len(batch)
    out = pd.concat(kept).head(n).reset_index(drop=True) if kept else pd.DataFrame()
    return out, counts


def _sample_chunk(
    item: tuple[int, int], synth: StructuredSynthesizer, rule: SuppressionRule | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One chunk of synthetic rows: (rows wanted, seed)."""
    n, seed = item
    return _sample_with_suppression(synth, rule, n, seed)


def sample_rows(
    synth: StructuredSynthesizer,
    rule: SuppressionRule | None,
    n: int,
    seed: int,
    engine: Engine,
    chunk_rows: int,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """n synthetic rows in chunks of ``chunk_rows``, each with its own seed, on the engine."""
    items = [
        (stop - start, chunk_seed(seed, k))
        for k, (start, stop) in enumerate(chunk_bounds(n, chunk_rows))
    ]
    parts = engine.map(_sample_chunk, items, synth, rule, stage="sample")
    counts = {"too_close": 0, "rare_quasi_identifier_combination": 0, "rounds": 0, "chunks": 0}
    for _, part in parts:
        counts["too_close"] += part["too_close"]
        counts["rare_quasi_identifier_combination"] += part["rare_quasi_identifier_combination"]
        counts["rounds"] = max(counts["rounds"], part["rounds"])
    counts["chunks"] = len(parts)
    # Chunks that kept no row still carry the columns, which the checks need.
    frames = [frame for frame, _ in parts if len(frame)] or [frame for frame, _ in parts[:1]]
    out = pd.concat(frames).reset_index(drop=True) if frames else pd.DataFrame()
    if rule is not None:
        logger.info(
            "suppression dropped %d rows too close to a training row and %d with a rare "
            "quasi-identifier combination",
            counts["too_close"],
            counts["rare_quasi_identifier_combination"],
        )
    return out, counts


def _dp_statement(
    accounting: dict[str, Any] | None,
    modelled: list[str],
    text_cols: list[str],
    ident_cols: list[str],
    config: Config,
) -> dict[str, Any]:
    """The report's privacy accounting: the budget, what it covers and what it does not."""
    from privsynth.tabular.dp import explain

    if not accounting:
        return {"applied": False,
                "reason": "no structured column was modelled, so no DP model was fitted"}
    if config.dp.text_exemplars:
        text_note = ("Text was written from scrubbed real exemplars, phrases and lengths "
                     "(dp.text_exemplars = true): the text has no DP guarantee.")
    else:
        text_note = ("The LLM saw only each synthetic row and a fixed, public length: no "
                     "exemplar or statistic of real text. Generated text is still checked "
                     "against the real texts and regenerated when too similar; that filter "
                     "reads real text, so the text columns are outside the formal guarantee.")
    return {
        "applied": True,
        **accounting,
        "columns_covered": list(modelled),
        "not_covered": {
            **{c: "replaced with fakes; never modelled" for c in ident_cols},
            **{c: text_note for c in text_cols},
            "audit report": "the checks, plots and scan statistics read the real data; the "
            "report is for the reviewer and is not part of the DP release",
        },
        "reproducibility": "the DP noise comes from OpenDP's secure generator and cannot be "
        "seeded; sampling from the fitted model is seeded",
        "explanation": explain(float(accounting["epsilon"]), float(accounting["delta"])),
    }


def _engine_statement(engine: Engine, config: Config) -> dict[str, Any]:
    """Where the run's work ran, for the report."""
    e = config.engine
    return {
        **engine.describe(),
        "chunk_rows": {"sample": e.sample_chunk_rows, "text": e.text_chunk_rows,
                       "nearest_neighbour": e.check_chunk_rows, "pii_detection": ENGINE_CHUNK},
        "single_node_steps": "reading and splitting the table, the structured model's fit "
        "(on at most tabular.max_fit_rows uniformly drawn rows), text scrubbing's replacement "
        "step, the checks other than nearest-neighbour searches, the gate and the report",
    }


def _text_fake_seed(seed: int, chunk: int) -> int:
    """The seed of the fakes that replace entities in one chunk of generated text."""
    return int(np.random.SeedSequence([seed, 4099, chunk]).generate_state(1)[0])


def _tag_for(column: str, scan: ScanResult) -> str:
    """The placeholder that replaces this identifier column's values in real text."""
    return _TAG_BY_KIND.get(identifier_kind(column, scan.entity_of(column)), "ID")


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _infinite_to_missing(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """No model or check can use +/-inf; they become missing values, counted per column."""
    masks: dict[str, np.ndarray] = {}
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col].dtype):
            mask = np.isinf(df[col].to_numpy(dtype=float, na_value=np.nan))
            if mask.any():
                masks[str(col)] = mask
    if masks:
        df = df.copy()
        for col, mask in masks.items():
            df[col] = df[col].where(~mask)
    return df, {col: int(mask.sum()) for col, mask in masks.items()}


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
        return _run(df, config, generator, input_info, command, progress, notes, engine)
    e = config.engine
    own = make_engine(e.kind, e.scheduler, e.workers, e.threads_per_worker, e.retries)
    try:
        return _run(df, config, generator, input_info, command, progress, notes, own)
    finally:
        own.close()


def _run(
    df: pd.DataFrame,
    config: Config,
    generator: TextGenerator | None,
    input_info: dict[str, Any] | None,
    command: list[str] | None,
    progress: bool,
    notes: list[str] | None,
    engine: Engine,
) -> RunResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    peak_rss: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now
        peak_rss[stage] = peak_rss_mb()
        logger.info("stage %s done in %.1fs", stage, timings[stage])

    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InputError("the input table is empty")
    df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    seed = config.seed
    notes = list(notes or [])
    df, infinite = _infinite_to_missing(df)
    notes += [f"{col}: {n} infinite value(s) treated as missing" for col, n in infinite.items()]

    # One detector for the run: the scan, the scrubber and the re-scan of generated text share
    # its engine and its cache.
    distributed = engine.name != "local"
    detector = PiiDetector(config.scan.recognizers, config.scan.score_threshold, engine=engine)
    text_model = None
    if config.text.enabled and generator is None and distributed:
        # Workers load the model themselves: it must be there before any work starts.
        text_model = resolve_model(config.text.model_path or None)
        engine.check_path(str(text_model.path), "the GGUF model", text_model.sha256)
    scan = PiiScanner(config.scan, seed, detector).scan(df)
    lap("scan")
    schema = scan.schema
    ident_cols = scan.columns_with(IDENTIFIER)
    text_cols = scan.columns_with(TEXT)
    modelled = scan.modelled_columns()
    empty_cols = [
        c.name for c in scan.columns if c.kind == "empty" and c.role not in (IDENTIFIER, TEXT)
    ]
    use_text = bool(text_cols) and config.text.enabled
    if use_text and generator is None:
        text_model = text_model or resolve_model(config.text.model_path or None)
        generator = LlamaGenerator(
            text_model,
            n_threads=config.text.n_threads,
            n_ctx=config.text.n_ctx,
            temperature=config.text.temperature,
            top_p=config.text.top_p,
            prompting=config.text.prompting,
            batch_sequences=config.text.batch_sequences,
        )

    train, holdout = split_holdout(df, config.holdout_share, seed)
    n_rows = config.rows or len(train)
    canaries = None
    if config.checks.canaries:
        canaries = make_canaries(config.checks.canaries, train, scan, seed)
        train = pd.concat([train, canaries.rows])
        logger.info("planted %d canary records in the training rows", len(canaries.rows))
    # The checks judge the generator on at least min_eval_rows rows; the first n_rows of them
    # are released, so the verdict has power even when few rows are asked for.
    n_eval = max(n_rows, config.checks.min_eval_rows) if modelled else n_rows
    quasi = [c for c in scan.columns_with(QUASI) if c in modelled]
    refusals: list[str] = []
    logger.info(
        "split %d rows into %d train and %d holdout; synthesizing %d rows",
        len(df),
        len(train),
        len(holdout),
        n_rows,
    )

    treatments: dict[str, str] = {}
    synthesizer_info: dict[str, Any] = {}
    if modelled:
        synth = StructuredSynthesizer(config.tabular, seed, config.dp).fit(
            train[modelled], schema
        )
        if synth.private and not config.rows:
            # "As many rows as the input" uses the model's noisy count: the exact training
            # size is not part of a DP release.
            n_rows = synth.estimated_rows() or n_rows
            n_eval = max(n_rows, config.checks.min_eval_rows)
        # Metadata overrides ([tabular.columns]) apply to the checks and the report too.
        schema = {**schema, **synth.schema_}
        scan = dataclasses.replace(scan, schema=schema)
        fitted = (
            train.loc[synth.fit_index_, modelled] if synth.fit_rows_ < len(train) else None
        )
        suppressed: dict[str, Any]
        rule = None
        if not synth.private:
            # In DP mode, dropping rows because they sit near a real row would make the
            # release depend on real rows outside the DP mechanism: the guarantee replaces it.
            rule = SuppressionRule.fit(
                train[modelled], holdout[modelled], schema, quasi, config.suppression,
                fitted=fitted, seed=seed,
            )
        syn_all, counts = sample_rows(
            synth, rule, n_eval, seed, engine, config.engine.sample_chunk_rows
        )
        if rule is None:
            suppressed = {"applied": False, "reason": "differential privacy: suppression "
                          "would read real rows outside the privacy budget"}
        else:
            suppressed = {"applied": True, **counts}
        if len(syn_all) < n_eval:
            refusals.append(
                f"suppression left {len(syn_all)} of {n_eval} rows; the generator "
                "reproduces real records too often"
            )
        syn = syn_all.head(n_rows).reset_index(drop=True)
        synthesizer_info = {
            **synth.describe(),
            "suppression": {**suppressed, **asdict(config.suppression)},
            "evaluation_rows": int(len(syn_all)),
        }
        treatments.update({c: "modelled" for c in modelled})
    else:
        syn = pd.DataFrame(index=range(n_rows))
        syn_all = syn
    lap("tabular")

    # Real text is scrubbed first, so that no fake (persona or text entity) equals a value
    # found in any real text, training or holdout.
    scrubbed_train: dict[str, list[str]] = {}
    scrub_counts: dict[str, dict[str, int]] = {}
    found_pii: set[str] = set()
    real_ids = identifier_values(pd.concat([df[c] for c in ident_cols]) if ident_cols else [])
    if canaries is not None:
        real_ids |= canaries.strings
    if use_text:
        tags = {c: _tag_for(c, scan) for c in ident_cols}
        scrubber = TextScrubber(
            operator=config.text.scrub_operator,
            detector=detector,
            replacer=ConsistentReplacer(seed, real_ids),
        )
        for col in text_cols:
            for part, frame in (("train", train), ("holdout", holdout)):
                known = [
                    {str(row[c]): tags[c] for c in ident_cols if pd.notna(row[c])}
                    for _, row in frame[ident_cols].iterrows()
                ]
                result = scrubber.scrub(texts_of(frame[col]), known)
                found_pii |= result.found_values
                if part == "train":
                    scrubbed_train[col] = result.texts
                    scrub_counts[col] = result.entity_counts
        lap("scrub")

    forbidden = real_ids | identifier_values(found_pii)
    faker = IdentifierFaker(seed)
    phone_cols = [c for c in ident_cols if identifier_kind(c, scan.entity_of(c)) == "phone"]
    phone_formats = (
        df[phone_cols[0]].dropna().astype(str).head(200).tolist() if phone_cols else None
    )
    # Personas feed identifier columns and generated text; a table with neither needs none.
    needs_personas = bool(ident_cols) or (use_text and bool(text_cols))
    personas = faker.personas(n_rows if needs_personas else 0, forbidden, phone_formats)
    for col in ident_cols:
        syn[col] = faker.column(col, scan.entity_of(col), df[col], personas)
        treatments[col] = "replaced with fakes"
    for col in empty_cols:
        syn[col] = pd.Series([None] * n_rows, dtype=object)
        treatments[col] = "kept empty"
    lap("identifiers")

    text_report: dict[str, Any] = {}
    text_data: dict[str, TextColumn] = {}
    for col in text_cols:
        if not use_text:
            treatments[col] = "dropped (text generation disabled)"
            text_report[col] = {"stats": {}, "note": "Column dropped: text generation was off."}
            continue
        assert generator is not None
        ts = TextSynthesizer(
            col, generator, config.text, seed, progress=progress, detector=detector,
            private=config.differentially_private and not config.dp.text_exemplars,
        )
        ts.fit(scrubbed_train[col], train[[c for c in modelled if c in train.columns]])
        items = [
            (start, _text_fake_seed(seed, k), syn.iloc[start:stop], personas[start:stop])
            for k, (start, stop) in enumerate(chunk_bounds(n_rows, config.engine.text_chunk_rows))
        ]
        parts = engine.map(generate_chunk, items, ts, forbidden, stage=f"text:{col}")
        generated = [text for texts, _ in parts for text in texts]
        stats = functools.reduce(TextStats.merge, [part for _, part in parts], TextStats())
        syn[col] = generated
        text_data[col] = TextColumn.of(train[col], holdout[col], generated, stats.fallbacks)
        treatments[col] = "generated by the local LLM"
        lengths = [len(str(t).split()) for t in generated] or [0]
        text_report[col] = {
            "stats": {
                **stats.as_dict(),
                "real_length_words_p10_p50_p90": ts.length_quantiles_,
                "synthetic_length_words_p10_p50_p90": [
                    int(q) for q in np.quantile(lengths, [0.1, 0.5, 0.9])
                ],
            },
            "scrubbed_entities": scrub_counts[col],
            "generator": ts.describe(),
        }
        lap(f"text:{col}")

    out_cols = [c for c in df.columns if c in syn.columns]
    output = syn[out_cols].reset_index(drop=True)

    # Values found in real text count too, unless they are ordinary category values
    # ("Premium" tagged as a name) of a modelled column.
    categories = identifier_values(
        pd.concat([df[c].astype(str) for c in modelled]) if modelled else []
    )
    values = real_ids | (identifier_values(found_pii) - categories)
    ctx = CheckContext.for_run(
        config, scan, train, holdout, syn_all, modelled,
        identifier_values=values,
        output=output,
        text_columns=tuple(c for c in text_cols if c in output.columns),
        texts=text_data,
        canaries=None if canaries is None else canaries.rows[modelled],
        canary_strings=frozenset() if canaries is None else canaries.strings,
        engine=engine,
    )
    if len(ctx.train) < len(train) or len(ctx.synthetic) < len(syn_all):
        notes.append(
            f"the checks judged seeded samples of {len(ctx.train):,} training, "
            f"{len(ctx.holdout):,} holdout and {len(ctx.synthetic):,} synthetic rows "
            f"(checks.max_eval_rows); canaries and identifier replay saw every output row"
        )
    results: list[CheckResult] = run_checks(ctx, config.gate)
    decision = decide(results, config.gate, refusals)
    lap("checks")

    for col, info in text_report.items():
        if col in output.columns:
            if decision.released:
                info["examples"] = output[col].head(TEXT_EXAMPLES_IN_REPORT).tolist()
            else:
                info["note"] = "Examples are not shown because the data was withheld."

    info = dict(input_info or {})
    info.update(
        {
            "rows": int(len(df)),
            "columns": int(df.shape[1]),
            "train_rows": int(len(train)),
            "canaries_planted": 0 if canaries is None else int(len(canaries.rows)),
            "holdout_rows": int(len(holdout)),
            "synthetic_rows": int(n_rows),
        }
    )
    if config.differentially_private:
        synthesizer_info["differential_privacy"] = _dp_statement(
            synthesizer_info.get("differential_privacy"), modelled, text_cols, ident_cols,
            config,
        )
    method = {
        "synthesizer": synthesizer_info or None,
        "identifier_faker": {"library": "faker", "locale": "en_US", "seed": seed},
        "text_model": text_model.describe()
        if text_model
        else (generator.describe() if (generator is not None and use_text) else None),
        "holdout_share": config.holdout_share,
        "seed": seed,
        "engine": _engine_statement(engine, config),
    }
    report = build_report(
        config=config,
        scan=scan,
        treatments=treatments,
        checks=results,
        decision=decision,
        input_info=info,
        method=method,
        text=text_report,
        command=command,
        timings=timings,
        peak_rss=peak_rss,
        notes=notes,
        plots=fidelity_plots(
            train[modelled], syn_all[modelled], schema, config.tabular.rare_category_min_count
        ),
    )
    logger.info("decision: %s", "released" if decision.released else "withheld")
    return RunResult(decision, report, scan, output if decision.released else None)
