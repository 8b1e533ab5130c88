"""Linked tables at the entity level: are a few whole real people (a customer with every
payment that hangs from them) hidden among good ones refused, and is good data released?

A generated population of customers (age, region, plan) and their payments (1-8 each:
amount, day, method). Every split draws disjoint people: n training customers, n/4 held out
(the pipeline's 20%) and n independent ones, each with all their payments. Generators:
  ideal       the independent people: the best any synthesizer can do
  copied_K    the independent people with K% of them (1, 2, 5) replaced by training people,
              every payment included
  nudged_K    the same, with one payment's amount of each copied person moved by one cent
Each set is judged by the linked-tables evaluation the pipeline runs
(``relational.evaluate.evaluate_tables``: disclosure on one record per person, fidelity per
table and per relation) and the default policy's gate. A released share is given with a 95%
Wilson interval over the splits.

Usage: python benchmarks/bench_entity_leaks.py [--sizes 500,1000,2000,5000] [--reps 10]
Writes benchmarks/results/entity_leaks.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "entity_leaks.json"
SIZES = (500, 1_000, 2_000, 5_000)
KEY_OFFSET = 10_000_000
GENERATORS = ("ideal", "copied_1", "copied_2", "copied_5", "nudged_2", "nudged_5")
RELATIONS = [{"parent": "customer.customer_id", "child": "payment.customer_id"}]
TARGETS = (("ideal", 1_000, ">=", 0.90), ("copied_5", 1_000, "<=", 0.05),
           ("nudged_5", 1_000, "<=", 0.05), ("copied_2", 2_000, "<=", 0.05))


def people(n: int, seed: int) -> dict[str, pd.DataFrame]:
    """n customers and their payments; keys 0..n-1 and 0..m-1."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    plan = np.where(age + rng.normal(0, 15, n) > 55, "premium", "basic")
    customer = pd.DataFrame({
        "customer_id": np.arange(n), "age": age,
        "region": rng.choice(["north", "south", "east", "west"], n, p=[.4, .3, .2, .1]),
        "plan": plan,
    })
    counts = rng.integers(1, 9, n)
    owner = np.repeat(np.arange(n), counts)
    base = np.where(plan == "premium", 4.2, 3.4)[owner]
    payment = pd.DataFrame({
        "payment_id": np.arange(len(owner)), "customer_id": owner,
        "amount": np.round(np.exp(base + rng.normal(0, 0.6, len(owner))), 2),
        "day": rng.integers(1, 29, len(owner)),
        "method": rng.choice(["card", "transfer", "cash"], len(owner), p=[.6, .3, .1]),
    })
    return {"customer": customer, "payment": payment}


def subset(tables: dict[str, pd.DataFrame], ids: np.ndarray) -> dict[str, pd.DataFrame]:
    """These customers with their payments, keys renumbered from 0."""
    customer = tables["customer"].set_index("customer_id").loc[ids].reset_index()
    new = {int(old): i for i, old in enumerate(customer["customer_id"])}
    payment = tables["payment"][tables["payment"]["customer_id"].isin(ids)].copy()
    payment["customer_id"] = payment["customer_id"].map(new)
    customer["customer_id"] = np.arange(len(customer))
    payment = payment.sort_values("customer_id", kind="stable").reset_index(drop=True)
    payment["payment_id"] = np.arange(len(payment))
    return {"customer": customer, "payment": payment}


def mixed(independent: dict[str, pd.DataFrame], train: dict[str, pd.DataFrame], share: float,
          nudge: bool, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The independent people with ``share`` of them replaced by training people whole."""
    n = len(independent["customer"])
    k = max(1, int(round(share * n)))
    keep = np.sort(rng.choice(n, n - k, replace=False))
    copied = subset(train, np.sort(rng.choice(len(train["customer"]), k, replace=False)))
    if nudge:  # one payment of each copied person moved by a cent
        pay = copied["payment"]
        first = pay.groupby("customer_id").head(1).index
        pay.loc[first, "amount"] = np.round(pay.loc[first, "amount"] + 0.01, 2)
    kept = subset(independent, keep)
    offset = len(kept["customer"])
    copied["customer"]["customer_id"] += offset
    copied["payment"]["customer_id"] += offset
    copied["payment"]["payment_id"] += len(kept["payment"])
    return {t: pd.concat([kept[t], copied[t]], ignore_index=True) for t in kept}


_SETUP: dict[str, Any] = {}


def setup() -> dict[str, Any]:
    """The population, its table set, roles and lookups: once per process."""
    if not _SETUP:
        from privsynth.config import load_config
        from privsynth.pii.stage import metadata_of
        from privsynth.relational.entities import lookup_tables
        from privsynth.relational.scan import scan_table_set
        from privsynth.relational.schema import table_set

        cfg = load_config()
        population = people(30_000, 0)
        ts = table_set(population, RELATIONS)
        scan = scan_table_set(table_set({t: f.head(5_000) for t, f in population.items()},
                                        RELATIONS), cfg)
        metas = {t: metadata_of(s, cfg) for t, s in scan.scans.items()}
        _SETUP.update(cfg=cfg, population=population, ts=ts, metas=metas,
                      lookups=lookup_tables(ts))
    return _SETUP


def one_split(n: int, rep: int, generators: list[str]) -> list[tuple[str, bool, list[str]]]:
    warnings.simplefilter("ignore")
    from privsynth.gate import decide
    from privsynth.relational.evaluate import evaluate_tables
    from privsynth.relational.schema import table_set

    s = setup()
    rng = np.random.default_rng([n, rep, 41])
    order = rng.permutation(len(s["population"]["customer"]))
    n_hold = n // 4
    train = subset(s["population"], np.sort(order[:n]))
    holdout = subset(s["population"], np.sort(order[n:n + n_hold]))
    independent = subset(s["population"], np.sort(order[n + n_hold:2 * n + n_hold]))
    cfg = s["cfg"].replace(seed=rep)
    out = []
    for g in generators:
        if g == "ideal":
            synthetic = independent
        else:
            what, percent = g.split("_")
            synthetic = mixed(independent, train, float(percent) / 100, what == "nudged", rng)
        # Fresh keys, as the pipeline's surrogates are: no real key value in the output.
        synthetic = {t: f.assign(**{c: f[c] + KEY_OFFSET for c in ("customer_id", "payment_id")
                                    if c in f.columns}) for t, f in synthetic.items()}
        ts = table_set(synthetic, RELATIONS)
        results, _ = evaluate_tables(ts, s["metas"], s["lookups"], train, holdout, synthetic,
                                     synthetic, cfg)
        decision = decide(results, cfg.gate)
        refused_by = [] if decision.released else [
            r.split(":")[0] for r in decision.reasons if not r.startswith("the gate's power")]
        out.append((g, decision.released, refused_by))
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    from bench_gate_calibration import finish, verdict, wilson

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    start = time.perf_counter()
    generators = args.generators.split(",")
    sizes = [int(x) for x in args.sizes.split(",")]
    rows: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        jobs = {n: [pool.submit(one_split, n, rep, generators) for rep in range(args.reps)]
                for n in sizes}
        for n, futures in jobs.items():
            counts: dict[str, list[int]] = {g: [0, 0] for g in generators}
            refused: dict[str, dict[str, int]] = {g: {} for g in generators}
            for job in futures:
                for g, released, by in job.result():
                    counts[g][0] += int(released)
                    counts[g][1] += 1
                    for check in by:
                        refused[g][check] = refused[g].get(check, 0) + 1
            for g, (k, m) in counts.items():
                lo, hi = wilson(k, m)
                row = {"table": "customer+payment", "n": n, "generator": g, "released": k,
                       "runs": m, "rate": round(k / m, 3), "ci95": [round(lo, 3), round(hi, 3)],
                       "refused_by": dict(sorted(refused[g].items(), key=lambda kv: -kv[1]))}
                rows.append(row)
                top = ", ".join(f"{c} {x}" for c, x in list(row["refused_by"].items())[:3])
                print(f"entities n={n:<6} {g:<10} released {k:>2}/{m:<2} rate {k / m:.2f} "
                      f"[{lo:.2f}, {hi:.2f}]  {top}", flush=True)
    result = {"rows": rows, "targets": [verdict(rows, t) for t in TARGETS],
              "settings": vars(args), "seconds": round(time.perf_counter() - start, 1)}
    finish(result, Path(args.out))


if __name__ == "__main__":
    main()
