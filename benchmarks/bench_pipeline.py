"""End-to-end timings on sample_data with the real LLM, and generation speed side by side.

Prints, in one run:
- each pipeline stage's time for N synthetic rows (default 50);
- raw llama-cpp-python decode tokens/s for the same model, threads and a prompt of the same
  shape, against the pipeline's own generated tokens/s (batched, ``text.batch_sequences``),
  and their ratio;
- the same pipeline decoding one row at a time (``batch_sequences = 1``), and the ratio.

Usage: python benchmarks/bench_pipeline.py [--rows 50]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from privsynth.config import load_config
from privsynth.io import read_table
from privsynth.pipeline import synthesize
from privsynth.text.generator import LlamaGenerator
from privsynth.text.model import resolve_model

ROOT = Path(__file__).resolve().parents[1]


def raw_decode(generator: LlamaGenerator, prompt: str, n: int, max_tokens: int) -> float:
    llm = generator._load()
    tokens, seconds = 0, 0.0
    for i in range(n):
        start = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.8, seed=i,
                                    stop=["\n"])
        seconds += time.perf_counter() - start
        tokens += out["usage"]["completion_tokens"]
    return tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--skip-single", action="store_true",
                        help="skip the single-stream pipeline run used for the ratio")
    args = parser.parse_args()
    cfg = load_config(rows=args.rows)
    df = read_table(ROOT / "sample_data" / "customers.csv")
    model = resolve_model(None)
    single_stats = None
    if not args.skip_single:
        single = LlamaGenerator(model, n_threads=cfg.text.n_threads, n_ctx=cfg.text.n_ctx,
                                batch_sequences=1)
        single_stats = synthesize(df, cfg, generator=single).report["text"]["notes"]["stats"]
    generator = LlamaGenerator(model, n_threads=cfg.text.n_threads, n_ctx=cfg.text.n_ctx,
                               batch_sequences=cfg.text.batch_sequences)
    start = time.perf_counter()
    result = synthesize(df, cfg, generator=generator)
    total = time.perf_counter() - start
    stats = result.report["text"]["notes"]["stats"]
    prompt = generator_prompt_sample(result.report)
    raw = raw_decode(LlamaGenerator(model, n_threads=cfg.text.n_threads), prompt, 10,
                     cfg.text.max_tokens)
    figures = {
        "rows": args.rows,
        "stage_seconds": result.report["timings_seconds"],
        "total_seconds": round(total, 1),
        "pipeline_tokens_per_second": stats["tokens_per_second"],
        "raw_decode_tokens_per_second": round(raw, 1),
        "ratio_pipeline_to_raw": round(stats["tokens_per_second"] / raw, 3),
        "batch_sequences": cfg.text.batch_sequences,
        "pipeline_single_stream_tokens_per_second": (
            single_stats["tokens_per_second"] if single_stats else None),
        "ratio_batched_to_single_stream_pipeline": (
            round(stats["tokens_per_second"] / single_stats["tokens_per_second"], 2)
            if single_stats else None),
        "seconds_per_1000_texts": round(
            result.report["timings_seconds"]["text"] / args.rows * 1000, 0),
        "mean_tokens_per_text": round(stats["tokens"] / max(args.rows, 1), 1),
        # At the pipeline's own rate, 1,000 texts of 60 generated tokens each:
        "seconds_per_1000_texts_of_60_tokens": round(
            1000 * 60 / stats["tokens_per_second"], 0) if stats["tokens_per_second"] else None,
        "rejected": stats["rejected"],
        "fallbacks": stats["fallbacks"],
        "released": result.released,
    }
    print(json.dumps(figures, indent=2))
    (ROOT / "benchmarks" / "results" / "pipeline.json").write_text(json.dumps(figures, indent=2))


def generator_prompt_sample(report: dict) -> str:
    # A prompt of the pipeline's shape: header plus three scrubbed-style examples.
    shot = "Record: plan=Basic; ticket_topic=billing\nEntry: <PERSON> called about a double " \
           "charge on the last invoice. Account is on Basic. Call back on <PHONE_NUMBER>.\n"
    return ("The following are notes entries from a records system.\n" + shot * 3
            + "Record: plan=Premium; ticket_topic=outage\nEntry:")


if __name__ == "__main__":
    main()
