"""The Dask engine against local mode, measured side by side in one run.

Part 1, overhead: the structured pipeline (``--no-text``) on a generated Adult-like table of
``--rows`` rows (default 1M) x 15 columns, run by the CLI in local mode and with
``--engine dask`` (a 2-worker local cluster, 1 thread per worker), each in its own process.
Reports wall time per stage, the ratio dask/local and whether both released byte-identical
synthetic tables.

Part 2, scaling with workers: the two stages a cluster is for, each run on local clusters of
1, 2 and 4 workers with 1 thread each (``--workers``), models loaded before the clock starts:
- scan: Presidio over the distinct values of the sample customers table (enlarged, seeded);
- text: the real GGUF model writing ``--texts`` texts, one model per worker.
For each: wall seconds, speed-up over 1 worker, and parallel efficiency = busy task time
summed over workers / (workers x wall), from the scheduler's task stream. This machine has 2
cores, so 4 workers share them: the speed-up cannot pass about 2 here, but the efficiency
shows whether the work splits evenly, which is what makes more cores pay.

Usage: python benchmarks/bench_dask.py [--rows 1000000] [--workers 1,2,4] [--texts 48]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
OUT = ROOT / "benchmarks" / "results" / "dask.json"
SEED = 42


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _digest(out: Path, report: dict[str, Any]) -> str:
    """One sha256 over the released table's files (if any), the decision and every check's
    measurement (timings left out): equal digests mean equal results."""
    files = sorted([out / "synthetic.csv"] if (out / "synthetic.csv").exists()
                   else (out / "synthetic").glob("*.parquet"))
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    h.update(json.dumps(_untimed([report["decision"], report["checks"]]), sort_keys=True,
                        default=str).encode())
    return h.hexdigest()


def run_cli(source: Path, out: Path, engine: str) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "privsynth", "-q", "run", str(source), "-o", str(out),
         "--no-text", "--force", "--max-memory", "off", "--engine", engine],
        capture_output=True, text=True, cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{engine} run failed: {proc.stderr[-800:]}")
    report = json.loads((out / "report.json").read_text("utf-8"))
    return {
        "engine": engine,
        "wall_seconds": round(wall, 1),
        "released": proc.returncode == 0,
        "stages": report["timings_seconds"],
        "peak_rss_mb_driver": max(report["peak_rss_mb"].values()),
        "result_sha256": _digest(out, report),
    }


def overhead(rows: int) -> dict[str, Any]:
    from bench_scaling import population

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "table.csv"
        population(rows, seed=rows).to_csv(source, index=False)
        runs = [run_cli(source, Path(tmp) / f"out_{e}", e) for e in ("local", "dask")]
    local, dask = runs
    ratio = round(dask["wall_seconds"] / local["wall_seconds"], 2)
    same = local["result_sha256"] == dask["result_sha256"]
    print(f"part 1: {rows:,} rows x 15 columns, structured only")
    for r in runs:
        print(f"  {r['engine']:>5}: wall {r['wall_seconds']:7.1f} s; "
              + ", ".join(f"{k} {v:.1f}s" for k, v in r["stages"].items()))
    print(f"  dask / local wall = {ratio}; identical results (table, checks, decision): "
          f"{same}")
    return {"rows": rows, "runs": runs, "ratio_dask_over_local": ratio, "identical": same}


def _busy(stream: list[dict[str, Any]]) -> float:
    return sum(s["stop"] - s["start"] for t in stream for s in t["startstops"]
               if s["action"] == "compute")


def _scan_table() -> pd.DataFrame:
    from privsynth.io import read_table

    base = read_table(ROOT / "sample_data" / "customers.csv")
    rng = np.random.default_rng(SEED)
    # Distinct strings: every copy of a row gets a different number appended to its texts.
    frames = []
    for k in range(2):
        f = base.copy()
        for col in ("notes", "street_address", "email"):
            f[col] = f[col].astype(str) + f" ref {k}-" + pd.Series(
                rng.integers(0, 10**6, len(f)).astype(str), index=f.index)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def scaling(workers: list[int], texts: int) -> dict[str, Any]:
    from distributed import get_task_stream

    from privsynth.config import load_config
    from privsynth.engine.dask import DaskEngine
    from privsynth.pii.detect import PiiDetector
    from privsynth.pii.scan import PiiScanner
    from privsynth.text.generator import LlamaGenerator
    from privsynth.text.model import resolve_model

    df = _scan_table()
    cfg = load_config(scan__sample_size=len(df))
    model = resolve_model(None)
    prompts = [
        "Support ticket notes.\nEntry: Customer asked about the premium plan and a refund.\n"
        f"Entry: Caller reported slow speeds in the evening, case {i}.\nEntry:"
        for i in range(texts)
    ]
    results: dict[str, Any] = {"scan": [], "text": [], "scan_strings": 0, "texts": texts}
    for n in workers:
        engine = DaskEngine.connect("", workers=n, threads_per_worker=1, retries=2)
        try:
            detector = PiiDetector(cfg.scan.recognizers, cfg.scan.score_threshold,
                                   engine=engine)
            detector.detect([f"warm up {i} John Smith" for i in range(4 * n)])
            generator = LlamaGenerator(model, n_threads=1, n_ctx=512, temperature=0.8)
            warm = engine.map(_complete, [(p, i) for i, p in enumerate(prompts[: 2 * n])],
                              generator, stage="warm")
            assert len(warm) == 2 * n
            # A fresh detector: nothing cached from the warm-up.
            detector = PiiDetector(cfg.scan.recognizers, cfg.scan.score_threshold,
                                   engine=engine)
            with get_task_stream(engine.client) as stream:
                start = time.perf_counter()
                scan = PiiScanner(cfg.scan, SEED, detector).scan(df)
                scan_wall = time.perf_counter() - start
            results["scan_strings"] = sum(c.sampled for c in scan.columns)
            scan_busy = _busy([t for t in stream.data if "pii" in str(t["key"])])
            with get_task_stream(engine.client) as stream:
                start = time.perf_counter()
                outs = engine.map(_complete, [(p, i) for i, p in enumerate(prompts)],
                                  generator, stage="text")
                text_wall = time.perf_counter() - start
            text_busy = _busy([t for t in stream.data if "text" in str(t["key"])])
            tokens = sum(t for _, t in outs)
        finally:
            engine.close()
        for stage, wall, busy in (("scan", scan_wall, scan_busy),
                                  ("text", text_wall, text_busy)):
            results[stage].append({"workers": n, "wall_seconds": round(wall, 1),
                                   "efficiency": round(busy / (n * wall), 2)})
        results["text"][-1]["tokens"] = tokens
    for stage in ("scan", "text"):
        base = results[stage][0]["wall_seconds"]
        for r in results[stage]:
            r["speedup"] = round(base / r["wall_seconds"], 2)
    print(f"part 2: scan of {results['scan_strings']:,} distinct strings; {texts} texts by the "
          f"real model ({os.cpu_count()} cores)")
    for stage in ("scan", "text"):
        for r in results[stage]:
            print(f"  {stage:>4} {r['workers']} worker(s): wall {r['wall_seconds']:6.1f} s, "
                  f"speed-up {r['speedup']:.2f}, efficiency {r['efficiency']:.2f}")
    return results


def _complete(item: tuple[str, int], generator: Any) -> tuple[str, int]:
    """One text; workers have one thread, so nothing else uses the model meanwhile."""
    prompt, seed = item
    before = generator.tokens_generated
    text = generator.generate(prompt, seed=seed, max_tokens=32, stop=["\n"])
    return text, generator.tokens_generated - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--texts", type=int, default=48)
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"cores": os.cpu_count()}
    if not args.skip_overhead:
        result["overhead"] = overhead(args.rows)
    elif OUT.exists():  # keep part 1 of the previous run, marked as such
        previous = json.loads(OUT.read_text("utf-8")).get("overhead")
        if previous:
            result["overhead"] = {**previous, "from_previous_run": True}
    result["scaling"] = scaling([int(w) for w in args.workers.split(",")], args.texts)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
