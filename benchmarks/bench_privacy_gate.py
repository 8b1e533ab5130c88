"""Calibration of the privacy checks and the gate on UCI Adult, all in one run.

Scenarios (real = one half of Adult, split 80/20 into train and holdout):
  copy         synthetic = the training rows                      -> must be refused
  independent  synthetic = rows from the other half of Adult      -> must be released
  leaky        independent rows with 5% of training rows copied   -> must be refused
  privsynth_default  the structured stage as shipped (mixture of empirical-marginal copulas,
                     value protection), without the pipeline's suppression step
  ctgan              the SDV CTGAN adapter, at a stated reduced budget
Then the cost of all checks at ~50k x 50k rows, with peak RSS, in a child process.

Usage: python benchmarks/bench_privacy_gate.py [--ctgan-epochs 30] [--skip-cost]
Reads ../shared/datasets/adult_census_uci_48842.csv; writes benchmarks/results/privacy_gate.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from privsynth.checks import CheckContext, run_checks
from privsynth.config import load_config
from privsynth.gate import decide
from privsynth.pii.scan import PiiScanner
from privsynth.pii.stage import metadata_of
from privsynth.tabular import create
from privsynth.tabular.structured import StructuredSynthesizer

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult_census_uci_48842.csv"
KEYS = ("exact_match", "dcr_share", "nndr_share", "mia_auc", "mia_auc_domias",
        "mia_auc_outliers", "singling_out_risk", "linkability_risk", "inference_risk",
        "cap_disclosure", "column_similarity", "column_pair_similarity", "detection_auc",
        "ml_utility")


def context(train, holdout, synthetic, scan, cfg) -> CheckContext:
    cols = list(train.columns)
    return CheckContext.for_run(cfg, metadata_of(scan, cfg), train, holdout, synthetic, cols,
                                output=synthetic[cols])


def evaluate(name, train, holdout, synthetic, scan, cfg) -> dict:
    start = time.perf_counter()
    results = run_checks(context(train, holdout, synthetic, scan, cfg), cfg.gate)
    decision = decide(results, cfg.gate)
    row = {"scenario": name, "released": decision.released,
           "check_seconds": round(time.perf_counter() - start, 1)}
    print(f"  {name}: released={decision.released} in {row['check_seconds']}s", flush=True)
    for r in results:
        if r.name in KEYS:
            row[r.name] = None if r.value is None else round(r.value, 3)
            row[r.name + "_ci"] = None if r.ci is None else [round(x, 3) for x in r.ci]
            row[r.name + "_status"] = r.status
    return row


def cost_child(n: int) -> None:
    """Run every check on n real x n synthetic rows and print seconds and peak RSS."""
    from adult import load_adult

    df = load_adult()[0]
    cfg = load_config()
    scan = PiiScanner(cfg.scan).scan(df)
    rng = np.random.default_rng(0)
    real = df.sample(n=min(n, len(df)), random_state=1).reset_index(drop=True)
    synthetic = df.sample(n=n, replace=True, random_state=2).reset_index(drop=True)
    synthetic = synthetic.apply(lambda s: s.sample(frac=1, random_state=int(rng.integers(1e6)))
                                .reset_index(drop=True))  # shuffle columns: no real rows
    n_hold = len(real) // 5
    start = time.perf_counter()
    run_checks(context(real.iloc[n_hold:], real.iloc[:n_hold], synthetic, scan, cfg), cfg.gate)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows_real": len(real), "rows_synthetic": n, "seconds": round(seconds, 1),
                      "peak_rss_mb": round(rss_mb)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctgan-epochs", type=int, default=30)
    parser.add_argument("--ctgan-rows", type=int, default=10000)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--cost-child", type=int, default=0)
    args = parser.parse_args()
    if args.cost_child:
        cost_child(args.cost_child)
        return
    cfg = load_config()
    from adult import load_adult

    df = load_adult()[0].sample(frac=1, random_state=0).reset_index(drop=True)
    scan = PiiScanner(cfg.scan).scan(df)
    cols = metadata_of(scan, cfg).modelled
    half = len(df) // 2
    real, other = df.iloc[:half][cols], df.iloc[half:][cols]
    n_hold = len(real) // 5
    holdout, train = real.iloc[:n_hold], real.iloc[n_hold:]
    independent = other.iloc[: len(train)]
    leaky = pd.concat([independent.iloc[: int(len(train) * 0.95)],
                       train.sample(n=len(train) - int(len(train) * 0.95), random_state=3)])
    rows = [
        evaluate("copy", train, holdout, train, scan, cfg),
        evaluate("independent", train, holdout, independent, scan, cfg),
        evaluate("leaky_5pct", train, holdout, leaky, scan, cfg),
    ]
    for name, params, fit_rows in (("privsynth_default", {}, len(train)),
                                   ("ctgan", {"epochs": args.ctgan_epochs}, args.ctgan_rows)):
        start = time.perf_counter()
        fit_on = train.iloc[:fit_rows]
        synth: Any = (
            StructuredSynthesizer(cfg.tabular, cfg.seed) if name == "privsynth_default"
            else create(name, params, seed=cfg.seed)
        )
        synth.fit(fit_on, scan.schema)
        synthetic = synth.sample(len(train), seed=cfg.seed)
        fit_seconds = time.perf_counter() - start
        row = evaluate(name, train, holdout, synthetic, scan, cfg)
        row.update({"fit_sample_seconds": round(fit_seconds, 1), "fit_rows": len(fit_on),
                    "params": params})
        rows.append(row)
    print(f"{'scenario':18s} {'released':8s} " + " ".join(f"{k[:9]:>9s}" for k in KEYS))
    for row in rows:
        vals = " ".join(f"{'-' if row.get(k) is None else row[k]:>9}" for k in KEYS)
        print(f"{row['scenario']:18s} {str(row['released']):8s} {vals}")
    result = {"scenarios": rows, "gate": cfg.to_dict()["gate"]}
    if not args.skip_cost:
        proc = subprocess.run([sys.executable, __file__, "--cost-child", "50000"],
                              capture_output=True, text=True, check=True)
        result["cost_50k"] = json.loads(proc.stdout.strip().splitlines()[-1])
        print("cost of all checks:", result["cost_50k"])
    out = ROOT / "benchmarks" / "results" / "privacy_gate.json"
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
