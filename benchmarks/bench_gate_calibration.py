"""The gate's operating characteristic: how often the default policy releases safe data and
how often it refuses leaks, per table, training size and generator, with binomial CIs.

Every split draws disjoint real rows from the table's population: a training set of n rows,
a holdout of n/4 (the pipeline's 20% of n/0.8 rows) and, for the generators that need one,
an independent sample of n rows. Generators:
  ideal           an independent real sample of n rows: the best any synthesizer can do
  privsynth       privsynth's structured stage as shipped (fit, sample, suppression), on train
  copy            the training rows themselves
  copied_K        an independent sample with K% (0.5, 1, 2, 5) of its rows replaced by
                  training rows
  near_K          ... replaced by training rows with one number moved by 1 (integers) or
                  0.1% of its range (floats)
  swap_K          ... by training rows with one category given another level
  jitter_K        ... by training rows with every number moved by N(0, 1% of its range)
  near_copy       the training rows with one number column jittered by 1% of its range
Each is judged in-process by the same evaluate and gate stages as `privsynth check`, with the
roles of one scan of the population per table. A released share is given with a 95% Wilson
interval over the splits. The checks run in their usual order and stop at the first one that
refuses whatever the rest measure (``run_checks``'s ``stop_at_refusal``): the verdict is the
same, so "refused_by" names that first check only. Work on the real rows alone (the outlier
scores) is computed once per split.

Tables: adult (../shared/datasets, or the Adult-like fallback), and two generated with known
structure: customers (numbers and categories with correlations) and clinic (a sensitive
diagnosis driven by quasi-identifiers).

Usage: python benchmarks/bench_gate_calibration.py [--sizes 300,500,...] [--reps 20]
       [--tables adult,customers,clinic] [--generators ideal,privsynth,...] [--demo-seeds 1,2,3]
The demo's run (sample data, 100 rows, the real LLM) is also tried once per demo seed, and
the seeds tried are printed with their outcome.
Writes benchmarks/results/gate_calibration.json.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from privsynth.checks.stage import EvaluationInput, evaluate_stage
from privsynth.config import Config, load_config
from privsynth.engine import LocalEngine
from privsynth.gate import gate_stage
from privsynth.metadata import TableMetadata
from privsynth.pii.detect import PiiDetector
from privsynth.pii.stage import scan_stage
from privsynth.split import Split
from privsynth.tabular.stage import tabular_stage

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "gate_calibration.json"
SIZES = (300, 500, 1_000, 2_000, 5_000, 10_000, 20_000)
# A few real people hidden among good rows: k% of an independent sample replaced by training
# records, copied whole, with one number nudged, one category swapped, or every number
# jittered.
HIDDEN = tuple(f"{what}_{k}" for what in ("near", "swap", "jitter") for k in ("0.5", "1", "2", "5"))
GENERATORS = ("ideal", "privsynth", "copy", "copied_0.5", "copied_1", "copied_2", "copied_5",
              "near_copy", *HIDDEN)
# What the issue asks of the default policy, as (generator, smallest n, bound on the rate).
TARGETS = (
    ("ideal", 1_000, ">=", 0.90), ("ideal", 500, ">=", 0.75), ("privsynth", 1_000, ">=", 0.85),
    ("copy", 0, "<=", 0.0), ("copied_5", 500, "<=", 0.05), ("copied_2", 2_000, "<=", 0.10),
    ("near_copy", 1_000, "<=", 0.05),
    *((f"{what}_5", 1_000, "<=", 0.05) for what in ("near", "swap", "jitter")),
    *((f"{what}_2", 5_000, "<=", 0.05) for what in ("near", "swap", "jitter")),
    ("copied_1", 2_000, "<=", 0.05), ("copied_0.5", 10_000, "<=", 0.10),
)


def customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 85, n)
    region = rng.choice(["north", "south", "east", "west", "central"], n, p=[.3, .25, .2, .15, .1])
    plan = np.where(age + rng.normal(0, 12, n) > 50, "premium", "basic")
    plan = np.where(rng.random(n) < 0.1, "family", plan)
    tenure = np.clip(np.round((age - 18) / 3 + rng.gamma(2, 3, n)), 0, 60).astype(int)
    spend = np.round(np.exp(3.2 + 0.01 * age + 0.4 * (plan == "premium") + rng.normal(0, .35, n)),
                     2)
    churned = np.where(rng.random(n) < 1 / (1 + np.exp(0.08 * tenure - 0.5)), "yes", "no")
    return pd.DataFrame({"age": age, "region": region, "plan": plan, "tenure_months": tenure,
                         "monthly_spend": spend, "churned": churned})


def clinic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n)
    sex = rng.choice(["F", "M"], n)
    zip3 = rng.choice([f"{z:03d}" for z in range(100, 130)], n)
    bmi = np.round(np.clip(rng.normal(27 + 0.03 * (age - 50), 4.5, n), 15, 55), 1)
    smoker = np.where(rng.random(n) < 0.18, "yes", "no")
    risk = 0.03 * (age - 50) + 0.08 * (bmi - 27) + 0.9 * (smoker == "yes")
    diagnosis = np.where(risk + rng.normal(0, 1, n) > 1.2, "diabetes",
                         np.where(risk + rng.normal(0, 1, n) > 0.8, "hypertension", "none"))
    charges = np.round(np.exp(7.5 + 0.02 * age + 0.5 * (diagnosis != "none")
                              + rng.normal(0, .5, n)), 2)
    return pd.DataFrame({"age": age, "sex": sex, "zip3": zip3, "bmi": bmi, "smoker": smoker,
                         "diagnosis": diagnosis, "charges": charges})


def adult(n: int, seed: int) -> pd.DataFrame:
    from adult import load_adult

    df = load_adult()[0]
    return df.sample(n=min(n, len(df)), random_state=seed).reset_index(drop=True)


TABLES: dict[str, Callable[[int, int], pd.DataFrame]] = {
    "adult": adult, "customers": customers, "clinic": clinic,
}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _mixed_in(independent: pd.DataFrame, leaked: pd.DataFrame,
              rng: np.random.Generator) -> pd.DataFrame:
    """The independent sample with as many of its rows replaced by the leaked ones."""
    dropped = rng.choice(len(independent), len(leaked), replace=False)
    out = pd.concat([independent.drop(index=independent.index[dropped]), leaked])
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def _nudged(rows: pd.DataFrame, meta: TableMetadata, rng: np.random.Generator,
            kind: str) -> pd.DataFrame:
    """Training rows changed a little: ``near`` moves one number of each row by 1 (integers)
    or 0.1% of its range (floats); ``swap`` gives one category of each row another level;
    ``jitter`` moves every number by N(0, 1% of its range)."""
    out = rows.copy().reset_index(drop=True)
    numbers = [c for c in meta.modelled if meta.schema[c].kind in ("integer", "float")]
    categories = [c for c in meta.modelled if meta.schema[c].kind not in
                  ("integer", "float", "datetime")]
    n = len(out)
    if kind == "jitter":
        for col in numbers:
            values = out[col].astype("float64")
            span = float(values.max() - values.min()) or 1.0
            moved = values + rng.normal(0, 0.01 * span, n)
            out[col] = moved.round().astype(out[col].dtype) \
                if meta.schema[col].kind == "integer" else moved
        return out
    pool = numbers if kind == "near" else categories
    which = rng.integers(len(pool), size=n)
    for j, col in enumerate(pool):
        rows_j = np.flatnonzero(which == j)
        if not len(rows_j):
            continue
        if kind == "near":
            values = out[col].astype("float64")
            step = 1.0 if meta.schema[col].kind == "integer" else \
                0.001 * (float(values.max() - values.min()) or 1.0)
            sign = rng.choice([-1.0, 1.0], len(rows_j))
            moved = values.to_numpy(dtype="float64", na_value=np.nan)
            moved[rows_j] = moved[rows_j] + sign * step
            out[col] = pd.Series(moved, index=out.index).astype(out[col].dtype)
        else:
            levels = out[col].dropna().unique()
            if len(levels) < 2:
                continue
            current = out[col].to_numpy(dtype=object)
            for i in rows_j:
                others = levels[levels != current[i]]
                current[i] = others[int(rng.integers(len(others)))]
            out[col] = current
    return out


def synthetic_of(kind: str, train: pd.DataFrame, holdout: pd.DataFrame,
                 independent: pd.DataFrame, meta: TableMetadata, cfg: Config,
                 rng: np.random.Generator) -> pd.DataFrame:
    if kind == "ideal":
        return independent
    if kind == "copy":
        return train
    if kind != "near_copy" and kind.split("_")[0] in ("copied", "near", "swap", "jitter"):
        what, percent = kind.split("_")
        k = max(1, int(round(float(percent) / 100 * len(independent))))
        leaked = train.iloc[rng.choice(len(train), k, replace=False)]
        if what != "copied":
            leaked = _nudged(leaked, meta, rng, what)
        return _mixed_in(independent, leaked, rng)
    if kind == "near_copy":
        numeric = [c for c in meta.modelled if meta.schema[c].kind in ("integer", "float")]
        col = numeric[int(rng.integers(len(numeric)))]
        out = train.copy()
        values = out[col].astype("float64")
        span = float(values.max() - values.min()) or 1.0
        moved = values + rng.normal(0, 0.01 * span, len(out))
        out[col] = moved.round().astype(out[col].dtype) if meta.schema[col].kind == "integer" \
            else moved
        return out
    if kind == "privsynth":
        tables = tabular_stage(Split(train, holdout), meta, cfg, LocalEngine())
        return tables.evaluation_rows
    raise ValueError(kind)


_POPULATIONS: dict[str, tuple[pd.DataFrame, TableMetadata]] = {}


def population_of(table: str, cfg: Config) -> tuple[pd.DataFrame, TableMetadata]:
    """The table's population (60,000 rows, modelled columns) and the roles of one scan of it;
    made once per process."""
    if table not in _POPULATIONS:
        population = TABLES[table](60_000, 0)
        meta = scan_stage(population.head(5_000), cfg, PiiDetector()).meta
        _POPULATIONS[table] = (population[meta.modelled], meta)
    return _POPULATIONS[table]


def one_split(table: str, n: int, rep: int,
              generators: list[str]) -> list[tuple[str, bool, list[str], float]]:
    """Every generator judged on one random split: (generator, released, refusing checks,
    seconds)."""
    warnings.simplefilter("ignore")
    cfg = load_config()
    population, meta = population_of(table, cfg)
    cols = meta.modelled
    n_hold = max(n // 4, 1)
    rng = np.random.default_rng([n, rep, 97])
    order = rng.permutation(len(population))
    train = population.iloc[order[:n]].reset_index(drop=True)
    holdout = population.iloc[order[n:n + n_hold]].reset_index(drop=True)
    independent = population.iloc[order[n + n_hold:2 * n + n_hold]].reset_index(drop=True)
    run_cfg = cfg.replace(seed=rep)
    out = []
    for g in generators:
        start = time.perf_counter()
        syn = synthetic_of(g, train, holdout, independent, meta, run_cfg, rng)
        evaluation = evaluate_stage(
            EvaluationInput(train, holdout, syn[cols], syn[cols]), meta, run_cfg,
            stop_at_refusal=True,
        )
        decision = gate_stage(evaluation, run_cfg)
        refused_by = [] if decision.released else [
            r.split(":")[0] for r in decision.reasons if not r.startswith("the gate's power")]
        out.append((g, decision.released, refused_by, time.perf_counter() - start))
    return out


def run(tables: list[str], sizes: list[int], reps: int, generators: list[str],
        progress: bool = False, workers: int = 2) -> dict[str, Any]:
    """Every (table, size, split) in a pool of ``workers`` spawned processes, one BLAS thread
    each, so that the cores are used once and not oversubscribed."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    cells = []
    for table in tables:
        for n in sizes:
            if 2 * n + max(n // 4, 1) > 60_000:
                print(f"{table} n={n}: the population has 60,000 rows; skipped")
                continue
            cells.append((table, n))
    rows: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {cell: [pool.submit(one_split, *cell, rep, generators) for rep in range(reps)]
                   for cell in cells}
        for (table, n), jobs in futures.items():
            counts = {g: [0, 0, 0.0] for g in generators}  # released, runs, seconds
            failing: dict[str, Counter[str]] = {g: Counter() for g in generators}
            for rep, job in enumerate(jobs):
                for g, released, refused_by, seconds in job.result():
                    failing[g].update(refused_by)
                    counts[g][0] += int(released)
                    counts[g][1] += 1
                    counts[g][2] += seconds
                    if progress:
                        print(f"  {table} n={n} rep={rep} {g}: "
                              f"{'released' if released else 'withheld'} ({seconds:.1f} s)",
                              flush=True)
            for g, (k, m, seconds) in counts.items():
                lo, hi = wilson(k, m)
                row = {"table": table, "n": n, "generator": g, "released": k, "runs": m,
                       "rate": round(k / m, 3) if m else None, "ci95": [round(lo, 3),
                                                                       round(hi, 3)],
                       "seconds_per_evaluation": round(seconds / max(m, 1), 2),
                       "refused_by": dict(failing[g].most_common())}
                rows.append(row)
                print(f"{table:<10} n={n:<6} {g:<10} released {k:>2}/{m:<2} "
                      f"rate {row['rate']:.2f} [{lo:.2f}, {hi:.2f}]  "
                      f"{row['seconds_per_evaluation']:.1f} s/eval  "
                      f"{', '.join(f'{c} {x}' for c, x in failing[g].most_common(3))}",
                      flush=True)
    return {"rows": rows, "targets": [verdict(rows, t) for t in TARGETS]}


def demo_seeds(seeds: list[int]) -> dict[str, Any]:
    """`make demo`'s run (sample data, 100 rows, the real LLM) under the default policy, once per
    seed: released (exit 0) or withheld (exit 3)."""
    import subprocess
    import sys
    import tempfile

    exe = Path(sys.executable).with_name("privsynth")
    outcome: dict[str, Any] = {}
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            proc = subprocess.run(
                [str(exe), "--quiet", "run", str(ROOT / "sample_data" / "customers.csv"), "-o",
                 tmp, "--rows", "100", "--force", "--seed", str(seed)],
                capture_output=True, text=True, check=False,
            )
            state = {0: "released", 3: "withheld"}.get(proc.returncode,
                                                        f"exit {proc.returncode}")
            outcome[str(seed)] = state
            print(f"demo seed {seed}: {state} ({time.perf_counter() - start:.0f} s)"
                  + ("" if proc.returncode == 0 else
                     "  " + " | ".join(proc.stderr.strip().splitlines()[:3])), flush=True)
    released = sum(v == "released" for v in outcome.values())
    print(f"demo: released for {released} of {len(seeds)} seeds tried ({', '.join(outcome)}); "
          "target at least 4 of 5")
    return {"seeds": outcome, "released": released}


def verdict(rows: list[dict[str, Any]], target: tuple[str, int, str, float]) -> dict[str, Any]:
    gen, n_min, op, bound = target
    hits = [r for r in rows if r["generator"] == gen and r["n"] >= n_min]
    met = bool(hits) and all((r["rate"] >= bound) if op == ">=" else (r["rate"] <= bound)
                             for r in hits)
    return {"generator": gen, "n_at_least": n_min, "target": f"{op} {bound}",
            "measured": {f"{r['table']}@{r['n']}": r["rate"] for r in hits},
            "met": met if hits else None}


def finish(result: dict[str, Any], out: Path) -> None:
    """Print the targets and the time, and write the result (the calibration benchmarks')."""
    if result.get("targets"):
        print("\ntargets of the default policy:")
    for t in result.get("targets", []):
        state = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        print(f"  {t['generator']:<10} n >= {t['n_at_least']:<5} {t['target']:<7} {state}: "
              f"{t['measured']}")
    print(f"total {result['seconds']:.0f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--progress", action="store_true", help="print every evaluation")
    parser.add_argument("--workers", type=int, default=2, help="processes (one per core)")
    parser.add_argument("--out", default=str(OUT), help="where the JSON results go")
    parser.add_argument("--demo-seeds", default="1,2,3,4,5",
                        help="seeds of the demo run to try ('' for none)")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.tables.split(","), [int(s) for s in args.sizes.split(",")], args.reps,
                 args.generators.split(","), args.progress, args.workers)
    if args.demo_seeds:
        result["demo"] = demo_seeds([int(s) for s in args.demo_seeds.split(",")])
    result["settings"] = vars(args)
    result["seconds"] = round(time.perf_counter() - start, 1)
    finish(result, Path(args.out))


if __name__ == "__main__":
    main()
