"""Differential privacy on UCI Adult: the privacy-utility curve, in one run.

For dp-mst at each epsilon (delta = 1/n^2), next to plain SDV GaussianCopula and privsynth's
default, each in its own process:
- SDMetrics quality (column shapes, column pair trends) against the training rows;
- TSTR accuracy for `income` (train on synthetic, test on the holdout) and TRTR;
- mean and max total-variation error of every 1-way and 2-way marginal (numbers in the
  training deciles, missing values as their own level);
- fit+sample seconds and peak RSS;
- the same privacy checks as the non-DP path (MIA AUC, DCR share, anonymeter-style singling
  out, linkability and inference risks), judged on the holdout.

The holdout (20%, the pipeline's seeded split) never reaches a synthesizer. DP noise cannot
be seeded, so DP rows vary from run to run; the README quotes one run.

With ``--table bank`` it runs on a generated bank-marketing-like table (``bank.py``: 6,000
training rows, heavy-tailed numbers, a rare positive class ``y``), and ``--uniform-bins``
adds dp-mst at each epsilon with values drawn uniformly inside their bins (the sampling before
within-bin shapes were kept), side by side.

Usage: python benchmarks/bench_dp.py [--epsilons 0.5,1,3,10] [--aim] [--rows N]
       [--table adult|bank] [--uniform-bins]
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
SEED = 42
CHECKS = ("mia_auc", "dcr_share", "singling_out_risk", "linkability_risk", "inference_risk")


def _codes(real: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers in the training deciles, everything else as strings; missing is a level."""
    out = {}
    for col in real.columns:
        if pd.api.types.is_numeric_dtype(real[col]):
            edges = np.unique(np.nanquantile(real[col].astype(float), np.linspace(0, 1, 11)))
            vals = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
            codes = np.searchsorted(edges[1:-1], vals, side="right").astype(object)
            codes[np.isnan(vals)] = "NA"
            out[col] = pd.Series(codes, index=frame.index).astype(str)
        else:
            out[col] = frame[col].astype(str).where(frame[col].notna(), "NA")
    return pd.DataFrame(out)


def marginal_errors(real: pd.DataFrame, syn: pd.DataFrame) -> dict[str, float]:
    r, s = _codes(real, real), _codes(real, syn[real.columns])

    def tv(cols: list[str]) -> float:
        p = r.groupby(cols).size() / len(r)
        q = s.groupby(cols).size() / len(s)
        return float(0.5 * p.subtract(q, fill_value=0).abs().sum())

    one = [tv([c]) for c in r.columns]
    two = [tv(list(pair)) for pair in itertools.combinations(r.columns, 2)]
    return {"tv_1way_mean": round(float(np.mean(one)), 4),
            "tv_1way_max": round(float(np.max(one)), 4),
            "tv_2way_mean": round(float(np.mean(two)), 4),
            "tv_2way_max": round(float(np.max(two)), 4)}


def _privacy(train: pd.DataFrame, holdout: pd.DataFrame, syn: pd.DataFrame) -> dict[str, Any]:
    from bench_privacy_gate import context

    from privsynth.checks import run_checks
    from privsynth.config import load_config
    from privsynth.pii.scan import PiiScanner

    cfg = load_config()
    scan = PiiScanner(cfg.scan, SEED).scan(train)
    results = run_checks(context(train, holdout, syn[train.columns], scan, cfg), cfg.gate)
    return {r.name: None if r.value is None else round(r.value, 3)
            for r in results if r.name in CHECKS}


def _split(table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import bench_structured as bs

    if table == "adult":
        return bs._split()
    from bank import bank

    from privsynth.split import split_holdout

    bs.TARGET = "y"
    return split_holdout(bank(), 0.2, SEED)


def _uniform_inside_bins(model: Any) -> None:
    """Drop the within-bin shapes of a fitted dp model (the sampling they replaced)."""
    import dataclasses

    inner = model.model_
    inner.bins_ = {c: dataclasses.replace(b, grid=None, weights=None)
                   for c, b in inner.bins_.items()}


def _job(kind: str, epsilon: float | None, rows: int | None,
         table: str = "adult") -> dict[str, Any]:
    warnings.simplefilter("ignore")
    import bench_structured as bs

    from privsynth.config import load_config
    from privsynth.pii.scan import PiiScanner
    from privsynth.pii.stage import metadata_of
    from privsynth.tabular.structured import StructuredSynthesizer

    uniform = kind.endswith("+uniform")
    kind = kind.removesuffix("+uniform")
    train, holdout = _split(table)
    if rows:
        train = train.head(rows)
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind == "sdv_gaussian_copula":
        syn = bs._plain_sdv(train, kind, 0)
    else:
        overrides: dict[str, Any] = {"tabular__synthesizer": kind}
        if epsilon is not None:
            overrides["dp__epsilon"] = epsilon
        cfg = load_config(**overrides)
        scan = PiiScanner(cfg.scan, SEED).scan(train)
        modelled = metadata_of(scan, cfg).modelled
        model = StructuredSynthesizer(cfg.tabular, SEED, cfg.dp).fit(train[modelled],
                                                                      scan.schema)
        if uniform:
            _uniform_inside_bins(model)
        syn = model.sample(len(train), SEED)
        dp = model.describe().get("differential_privacy")
        if dp:
            extra = {"delta": dp["delta"], "rho": dp["rho"],
                     "certified_epsilon": dp["certified_epsilon"]}
    seconds = time.perf_counter() - start
    cols = [c for c in train.columns if c in syn.columns]  # identifiers are never modelled
    train, holdout, syn = train[cols], holdout[cols], syn[cols]
    one_way = {c: round(v, 4) for c, v in _one_way(train, syn).items()}
    out = {"synthesizer": kind + ("+uniform" if uniform else ""), "epsilon": epsilon,
           "tv_1way_by_column": one_way, "fit_sample_seconds": round(seconds, 1),
           "peak_rss_mb": round(bs._peak_mb()), **bs._quality(train, syn),
           "tstr_accuracy": round(bs.tstr(syn, holdout), 4), **marginal_errors(train, syn),
           **_privacy(train, holdout, syn), **extra}
    if kind == "sdv_gaussian_copula":
        out["trtr_accuracy"] = round(bs.tstr(train, holdout), 4)
    return out


def _one_way(real: pd.DataFrame, syn: pd.DataFrame) -> dict[str, float]:
    r, s = _codes(real, real), _codes(real, syn[real.columns])
    out = {}
    for c in r.columns:
        p, q = r[c].value_counts(normalize=True), s[c].value_counts(normalize=True)
        out[c] = float(0.5 * p.subtract(q, fill_value=0).abs().sum())
    return out


def _in_process(kind: str, epsilon: float | None, rows: int | None,
                table: str = "adult") -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_job, (kind, epsilon, rows, table))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epsilons", default="0.5,1,3,10")
    parser.add_argument("--aim", action="store_true", help="also dp-aim at epsilon 1")
    parser.add_argument("--rows", type=int, default=None, help="cap the training rows")
    parser.add_argument("--table", default="adult", choices=("adult", "bank"))
    parser.add_argument("--uniform-bins", action="store_true",
                        help="also dp-mst with values drawn uniformly inside their bins")
    args = parser.parse_args()
    from adult import load_adult

    source = load_adult()[1] if args.table == "adult" else \
        "generated bank-marketing-like table (benchmarks/bank.py, 7,500 rows)"
    epsilons = [float(e) for e in args.epsilons.split(",")]
    print(f"input: {source}; dp-mst at epsilon {epsilons}, delta = 1/n^2", flush=True)
    jobs: list[tuple[str, float | None]] = [
        ("sdv_gaussian_copula", None), ("gaussian_copula", None),
        *[("dp-mst", e) for e in epsilons],
        *([("dp-mst+uniform", e) for e in epsilons] if args.uniform_bins else []),
        *([("dp-aim", 1.0)] if args.aim else []),
    ]
    rows = []
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    name = "dp.json" if args.table == "adult" else f"dp_{args.table}.json"
    for kind, eps in jobs:
        row = _in_process(kind, eps, args.rows, args.table)
        print(f"  {kind} eps={eps}: {row['fit_sample_seconds']} s", flush=True)
        rows.append(row)
        # Written after every job, so a long run that is stopped keeps what it measured.
        (out / name).write_text(json.dumps(
            {"data": source, "seed": SEED, "rows": rows, "complete": False}, indent=2,
            default=str))
    trtr = rows[0]["trtr_accuracy"]
    header = (f" {'synthesizer':<22}{'eps':>5}{'quality':>8}{'TSTR':>7}{'1way TV':>8}"
              f"{'2way TV':>8}{'MIA AUC':>8}{'DCR':>6}{'single':>7}{'link':>6}{'infer':>6}"
              f"{'fit s':>7}{'MB':>6}")
    print("\n" + header)
    for r in rows:
        print(f" {r['synthesizer']:<22}{r['epsilon'] or '-':>5}{r['quality_score']:>8}"
              f"{r['tstr_accuracy']:>7}{r['tv_1way_mean']:>8}{r['tv_2way_mean']:>8}"
              f"{r.get('mia_auc', '-')!s:>8}{r.get('dcr_share', '-')!s:>6}"
              f"{r.get('singling_out_risk', '-')!s:>7}{r.get('linkability_risk', '-')!s:>6}"
              f"{r.get('inference_risk', '-')!s:>6}{r['fit_sample_seconds']:>7}"
              f"{r['peak_rss_mb']:>6}")
    print(f" TRTR accuracy (real train -> holdout): {trtr}")
    result = {"data": source, "seed": SEED, "rows": rows, "complete": True}
    (out / name).write_text(json.dumps(result, indent=2, default=str))
    worst = {r["synthesizer"]: max(r["tv_1way_by_column"].items(), key=lambda kv: kv[1])
             for r in rows}
    for synth, (col, tv) in worst.items():
        print(f" {synth}: largest 1-way TV {tv} ({col})")


if __name__ == "__main__":
    main()
