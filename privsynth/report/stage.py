"""The report stage: the report dict assembled from the stages' outcomes, for ``run`` and
``check`` alike. It holds no raw input value: names, counts, scores and hashes only."""

from __future__ import annotations

from typing import Any

import pandas as pd

from privsynth.checks.stage import Evaluation
from privsynth.config import Config
from privsynth.engine import Engine
from privsynth.gate import Decision
from privsynth.pii.detect import ENGINE_CHUNK
from privsynth.pii.identifiers import IdentifiersOutcome
from privsynth.pii.stage import ScanOutcome
from privsynth.report.build import build_report
from privsynth.resources import StageClock
from privsynth.split import Split
from privsynth.tabular.stage import TabularOutcome
from privsynth.text.stage import TextOutcome

TEXT_EXAMPLES_IN_REPORT = 5


def run_report(
    *, config: Config, scan: ScanOutcome, split: Split, tables: TabularOutcome,
    identifiers: IdentifiersOutcome, text: TextOutcome, evaluation: Evaluation,
    decision: Decision, output: pd.DataFrame, engine: Engine, input_info: dict[str, Any],
    command: list[str] | None, clock: StageClock, notes: list[str],
) -> dict[str, Any]:
    """The report of a full run."""
    text_section = {col: dict(info) for col, info in text.section.items()}
    for col, info in text_section.items():
        if col in output.columns:
            if decision.released:
                info["examples"] = output[col].head(TEXT_EXAMPLES_IN_REPORT).tolist()
            else:
                info["note"] = "Examples are not shown because the data was withheld."
    info = {
        **input_info,
        "rows": int(len(split.train) + len(split.holdout) - split.section()["canaries_planted"]),
        "columns": int(len(scan.meta.columns)),
        **split.section(),
        "synthetic_rows": int(tables.n_rows),
    }
    method = {
        "synthesizer": tables.method or None,
        "identifier_faker": identifiers.method,
        "text_model": text.model,
        "holdout_share": config.holdout_share,
        "seed": config.seed,
        "engine": engine_statement(engine, config),
    }
    treatments = {
        **{c: "modelled" for c in scan.meta.modelled if tables.method},
        **identifiers.treatments,
        **text.treatments,
    }
    return build_report(
        config=config, scan=scan.scan, treatments=treatments, checks=list(evaluation.results),
        decision=decision, input_info=info, method=method, text=text_section,
        command=command, timings=clock.timings, peak_rss=clock.peak_rss,
        notes=[*notes, *evaluation.notes], plots=evaluation.plots,
    )


def check_report(
    *, config: Config, scan: ScanOutcome, evaluation: Evaluation, decision: Decision,
    rows: tuple[int, int, int], input_info: dict[str, Any], command: list[str] | None,
) -> dict[str, Any]:
    """The report of ``privsynth check`` on (real, holdout, synthetic) rows from any generator."""
    real, holdout, synthetic = rows
    info = {
        **input_info,
        "rows": real,
        "columns": len(scan.meta.columns),
        "train_rows": real,
        "holdout_rows": holdout,
        "synthetic_rows": synthetic,
    }
    return build_report(
        config=config, scan=scan.scan,
        treatments={c.name: "external generator" for c in scan.meta.columns},
        checks=list(evaluation.results), decision=decision, input_info=info,
        method={"synthesizer": "external (privsynth check)", "seed": config.seed},
        text={}, command=command, timings={}, plots=evaluation.plots,
        notes=list(evaluation.notes),
    )


def engine_statement(engine: Engine, config: Config) -> dict[str, Any]:
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
