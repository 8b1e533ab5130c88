"""The report of a run on linked tables: names, counts, roles, scores and hashes, never a
value of the input."""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from privsynth.checks.base import CheckResult
from privsynth.config import Config
from privsynth.gate import Decision
from privsynth.metadata import TableMetadata
from privsynth.relational.scan import TableSetScan
from privsynth.relational.synth import SYNTHESIS_METHOD
from privsynth.report.build import versions
from privsynth.resources import StageClock

KIND = "linked_tables"


def tables_report(
    *, config: Config, scan: TableSetScan, metas: dict[str, TableMetadata],
    lookups: frozenset[str], results: list[CheckResult], decision: Decision,
    released: dict[str, pd.DataFrame], judged: dict[str, Any], fit_rows: dict[str, int],
    input_info: dict[str, Any], command: list[str] | None, clock: StageClock,
) -> dict[str, Any]:
    found = scan.to_dict()
    ts = scan.tables
    tables = []
    for entry in found["tables"]:
        name = entry["name"]
        meta = metas[name]
        treatment = {c: "modelled" for c in meta.modelled}
        treatment.update({c: "replaced with fakes" for c in meta.identifier_columns})
        treatment.update({c: "fresh surrogate keys (its own unique key)"
                          for c in judged.get("own_keys", {}).get(name, [])})
        treatment.update({c: "kept empty" for c in meta.empty_columns})
        written = judged.get("texts", {}).get(name)
        treatment.update({c: written.outcome.treatments.get(c, "dropped") if written
                          else "dropped (text generation disabled)"
                          for c in meta.text_columns})
        treatment.update({c: f"its synthetic parent's fake ({parent})"
                          for c, parent in judged.get("carried", {}).get(name, {}).items()})
        tables.append({
            **entry,
            "reference_table": name in lookups,
            "rows_synthetic": int(len(released[name])),
            "rows_fitted": int(fit_rows.get(name, 0)),
            "columns": [{**c, "treatment": treatment.get(c["name"], "modelled")}
                        for c in entry["columns"]],
        })
    files = input_info.get("tables", {})
    input_sha = hashlib.sha256(json.dumps(
        sorted((k, v.get("sha256")) for k, v in files.items())).encode()).hexdigest() \
        if files else None
    provenance = {
        "input_sha256": input_sha,
        "config": config.to_dict(),
        "config_sha256": config.sha256(),
        "seed": config.seed,
        "versions": versions(),
        "platform": platform.platform(),
        "command": command or [],
    }
    report_id = hashlib.sha256(json.dumps(
        [input_sha, provenance["config_sha256"]]).encode()).hexdigest()[:16]
    return {
        "schema_version": "1.0",
        "kind": KIND,
        "report_id": report_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "decision": decision.as_dict(),
        "input": input_info,
        "tables": tables,
        "relations": found["relations"],
        "entities": {
            "definition": "every row linked through the relations, reference tables aside; "
                          "the holdout is a random share of whole entities",
            "reference_tables": sorted(lookups),
            "train": judged["train_entities"],
            "holdout": judged["holdout_entities"],
            "judged": judged["entities"],
            "record_columns": judged["entity_columns"],
            "suppressed": {
                "rule": "synthetic entities closer to a training entity than the "
                        f"{config.suppression.distance_quantile} quantile of holdout-to-training "
                        "distances (or equal to one), or with a quasi-identifier combination "
                        f"of fewer than {config.suppression.rare_qi_min_count} training "
                        "entities, dropped with all their rows",
                **judged.get("suppressed", {}),
            },
        },
        "method": {"synthesizer": SYNTHESIS_METHOD, "base": config.tabular.synthesizer,
                   "holdout_share": config.holdout_share, "seed": config.seed},
        "text": {name: text.outcome.section for name, text in judged.get("texts", {}).items()},
        "checks": [r.as_dict() for r in results],
        "timings_seconds": {k: round(v, 2) for k, v in clock.timings.items()},
        "peak_rss_mb": dict(clock.peak_rss or {}),
        "outputs": {},
        "provenance": provenance,
        "notes": [f"{n:,} rows of {rel} have no parent row (orphans); they were left out"
                  for rel, n in ts.orphans.items() if n],
    }
