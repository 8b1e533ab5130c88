"""End-to-end runs with the real LLM, and generation speed side by side, on three tables.

Tables (each run alone, default settings):
- sample: sample_data/customers.csv, 50 synthetic rows (one text column, a few groups);
- tickets: a generated support-ticket table (benchmarks/tickets.py), 250 real rows, 200
  synthetic rows, twelve groups (products), two text columns (descriptions of about 48
  words; resolutions of about six random words);
- narratives: the 746 real consumer-complaint narratives of
  ../shared/datasets/cfpb_complaints_even_ids.csv (read in place), 40 synthetic rows.

For each, in one run: the pipeline's generated tokens/s (batched, ``text.batch_sequences``,
one llama.cpp batch stream across groups) against raw single-stream llama-cpp-python decode
of the same model and threads, on a prompt the pipeline itself built for that table, with
the ratio; the text checks and the real and synthetic word-count p10/p50/p90 per text column;
fallbacks and identifier replay. Targets: tickets >= 1.5x raw, narratives >= 1.0x raw.

Usage: python benchmarks/bench_pipeline.py [--tables sample,tickets,narratives]
Writes benchmarks/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from privsynth.config import load_config
from privsynth.io import read_table
from privsynth.pipeline import synthesize
from privsynth.text.generator import LlamaGenerator
from privsynth.text.model import resolve_model

ROOT = Path(__file__).resolve().parents[1]
NARRATIVES = ROOT.parent / "shared" / "datasets" / "cfpb_complaints_even_ids.csv"
TARGETS = {"tickets": 1.5, "narratives": 1.0}
TEXT_CHECKS = ("text_length_similarity", "text_vocabulary_similarity", "text_memorization",
               "text_fallback_share", "text_detection_auc", "pii_replay")


class RecordingGenerator(LlamaGenerator):
    """The pipeline's generator, keeping the first prompt it was given (for the raw decode)."""

    first_prompt: str | None = None

    def generate_many(self, prompts: list[str], *, seeds: list[int], max_tokens: list[int],
                      stop: list[str], min_tokens: list[int] | None = None,
                      warmth: float = 0.0) -> list[str]:
        if self.first_prompt is None and prompts:
            self.first_prompt = prompts[len(prompts) // 2]
        return super().generate_many(prompts, seeds=seeds, max_tokens=max_tokens, stop=stop,
                                     min_tokens=min_tokens, warmth=warmth)


def narratives() -> pd.DataFrame:
    raw = pd.read_csv(NARRATIVES)
    return pd.DataFrame({
        "Complaint ID": raw["Complaint ID"], "Product": raw["Product"], "Issue": raw["Issue"],
        "State": raw["State"], "response": raw["Company response to consumer"],
        "narrative": raw["Consumer complaint narrative"],
    }).dropna(subset=["narrative"]).reset_index(drop=True)


def table_of(name: str) -> tuple[pd.DataFrame, int]:
    if name == "sample":
        return read_table(ROOT / "sample_data" / "customers.csv"), 50
    if name == "tickets":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from tickets import tickets

        return tickets(250, seed=1), 200
    return narratives(), 40


def raw_decode(model: Path, threads: int, prompt: str, n: int, max_tokens: int) -> float:
    llm = LlamaGenerator(model, n_threads=threads)._load()
    tokens, seconds = 0, 0.0
    for i in range(n):
        start = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.8, seed=i,
                                    stop=["\n"])
        seconds += time.perf_counter() - start
        tokens += out["usage"]["completion_tokens"]
    return tokens / seconds if seconds else 0.0


def words(texts: list[str]) -> list[int]:
    return [len(str(t).split()) for t in texts if isinstance(t, str) and t.strip()]


def quantiles(values: list[int]) -> list[float]:
    return [round(float(np.percentile(values, q)), 1) for q in (10, 50, 90)] if values else []


def one_table(name: str, model: Path) -> dict[str, Any]:
    df, rows = table_of(name)
    # The text checks are what this benchmark is about; the structured ones are judged by
    # the gate calibration benchmark.
    cfg = load_config(rows=rows)
    generator = RecordingGenerator(model, n_threads=cfg.text.n_threads, n_ctx=cfg.text.n_ctx,
                                   batch_sequences=cfg.text.batch_sequences)
    start = time.perf_counter()
    result = synthesize(df, cfg, generator=generator)
    total = time.perf_counter() - start
    report = result.report
    tokens = sum(info["stats"]["tokens"] for info in report["text"].values())
    seconds = generator.seconds
    pipeline_tps = tokens / seconds if seconds else 0.0
    targets = [info["stats"].get("tokens", 0) / max(rows, 1) for info in report["text"].values()]
    raw = raw_decode(model, cfg.text.n_threads, generator.first_prompt or "", 6,
                     max(16, int(max(targets) * 1.2)))
    checks = {c["name"]: c for c in report["checks"]}
    columns = {}
    for col, info in report["text"].items():
        stats = info["stats"]
        columns[col] = {
            "real_words_p10_p50_p90": quantiles(words(df[col].dropna().tolist())),
            "synthetic_words_p10_p50_p90": stats.get("synthetic_length_words_p10_p50_p90"),
            "fallbacks": stats["fallbacks"], "generated": stats["generated"],
            "rejected": stats["rejected"], "tokens_per_second": stats["tokens_per_second"],
        }
    text_checks = {}
    for n in TEXT_CHECKS:
        c = checks.get(n)
        if c is not None:
            text_checks[n] = {"status": c["status"], "value": c["value"]}
    return {
        "table": name, "rows": rows, "real_rows": len(df), "total_seconds": round(total, 1),
        "pipeline_tokens_per_second": round(pipeline_tps, 1),
        "raw_decode_tokens_per_second": round(raw, 1),
        "ratio_pipeline_to_raw": round(pipeline_tps / raw, 3) if raw else None,
        "target_ratio": TARGETS.get(name), "batch_sequences": cfg.text.batch_sequences,
        "groups": {col: info["generator"].get("groups") for col, info in report["text"].items()},
        "stage_seconds": report["timings_seconds"], "columns": columns,
        "text_checks": text_checks, "released": result.released,
        "withheld_by": [] if result.released else list(result.decision.reasons),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default="sample,tickets,narratives")
    args = parser.parse_args()
    model = resolve_model(None)
    figures = []
    for name in args.tables.split(","):
        if name == "narratives" and not NARRATIVES.exists():
            print(f"narratives: {NARRATIVES} not found; skipped")
            continue
        row = one_table(name, model)
        figures.append(row)
        target = row["target_ratio"]
        ratio = row["ratio_pipeline_to_raw"] or 0.0
        met = "" if target is None else (
            f" (target {target}x: {'met' if ratio >= target else 'NOT met'})")
        print(f"{name}: pipeline {row['pipeline_tokens_per_second']} tok/s, raw "
              f"{row['raw_decode_tokens_per_second']} tok/s, ratio "
              f"{row['ratio_pipeline_to_raw']}{met}; {row['total_seconds']} s", flush=True)
        for col, c in row["columns"].items():
            print(f"  {col}: words real {c['real_words_p10_p50_p90']} synthetic "
                  f"{c['synthetic_words_p10_p50_p90']}; fallbacks {c['fallbacks']}/"
                  f"{c['generated']}", flush=True)
        print(f"  text checks: {json.dumps(row['text_checks'])}", flush=True)
    out = ROOT / "benchmarks" / "results" / "pipeline.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
