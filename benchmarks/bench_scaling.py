"""The scaling curve: the structured pipeline on 1k, 10k, 100k and 1M generated rows x 15
columns, each size in its own process, with per-stage wall time and peak RSS, and the fitted
growth exponent k in time ~ n^k per stage.

The table is generated (seeded), Adult-like: 6 numeric columns with correlations, 8
categorical columns that depend on them, and a binary target. Defaults are used
(``--no-text``; the structured fit runs on a uniform sample of at most
``tabular.max_fit_rows`` = 200,000 rows, so "tabular" grows with sampling, not fitting).

Usage: python benchmarks/bench_scaling.py [--sizes 1000,10000,100000] (add 1000000 for 1M rows;
see the README for why that size is still too slow)
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "scaling.json"
STAGES = ("load", "scan", "tabular", "checks", "report")


def population(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(3), [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]], n)
    age = np.clip(np.round(40 + 13 * z[:, 0]), 17, 90).astype(int)
    hours = np.clip(np.round(40 + 10 * z[:, 1]), 1, 99).astype(int)
    edu_num = np.clip(np.round(10 + 2.5 * z[:, 2]), 1, 16).astype(int)
    gain = np.where(rng.random(n) < 0.08, np.round(rng.lognormal(8, 1, n)), 0).astype(int)
    loss = np.where(rng.random(n) < 0.05, np.round(rng.lognormal(7, 0.5, n)), 0).astype(int)
    weight = np.round(rng.lognormal(12, 0.5, n)).astype(int)

    def pick(levels: list[str], score: np.ndarray) -> np.ndarray:
        idx = np.clip(
            ((score - score.min()) / (np.ptp(score) + 1e-9) * len(levels)), 0, len(levels) - 1
        ).astype(int)
        flip = rng.random(n) < 0.3
        idx[flip] = rng.integers(0, len(levels), flip.sum())
        return np.array(levels)[idx]

    income = np.where(z[:, 0] + z[:, 2] + rng.normal(0, 1, n) > 1.2, ">50K", "<=50K")
    return pd.DataFrame(
        {
            "age": age,
            "workclass": pick(["Private", "Self-emp", "Gov", "Other"], z[:, 1]),
            "fnlwgt": weight,
            "education": pick([f"edu{i}" for i in range(16)], z[:, 2]),
            "education_num": edu_num,
            "marital_status": pick(["Never", "Married", "Divorced", "Widowed"], z[:, 0]),
            "occupation": pick([f"occ{i}" for i in range(14)], z[:, 1] + z[:, 2]),
            "relationship": pick(["Husband", "Wife", "Own-child", "Unmarried"], z[:, 0]),
            "race": pick(["A", "B", "C", "D", "E"], rng.normal(size=n)),
            "sex": pick(["Female", "Male"], z[:, 1]),
            "capital_gain": gain,
            "capital_loss": loss,
            "hours_per_week": hours,
            "native_country": pick([f"c{i}" for i in range(20)], rng.normal(size=n)),
            "income": income,
        }
    )


def run_one(n: int, workdir: Path) -> dict[str, object]:
    source = workdir / f"rows_{n}.csv"
    population(n, seed=n).to_csv(source, index=False)
    out = workdir / f"out_{n}"
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "privsynth",
            "-q",
            "run",
            str(source),
            "-o",
            str(out),
            "--no-text",
            "--force",
            "--max-memory",
            "off",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"run of {n} rows failed: {proc.stderr[-500:]}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    timings = report["method"].get("timings_seconds") or report.get("timings_seconds") or {}
    rss = report["method"].get("peak_rss_mb") or report.get("peak_rss_mb") or {}
    return {
        "rows": n,
        "wall_seconds": round(wall, 1),
        "released": proc.returncode == 0,
        "stages": timings,
        "peak_rss_mb": rss,
    }


def exponent(ns: list[int], ts: list[float]) -> float | None:
    pts = [(math.log(n), math.log(t)) for n, t in zip(ns, ts, strict=True) if t > 0.05]
    if len(pts) < 2:
        return None
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"input: generated Adult-like table, 15 columns, sizes {sizes}; structured only")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = run_one(n, Path(tmp))
            results.append(r)
            stages = r["stages"]
            assert isinstance(stages, dict)
            rss = r["peak_rss_mb"]
            assert isinstance(rss, dict)
            print(
                f"{n:>9,} rows: wall {r['wall_seconds']:>7.1f} s, peak RSS "
                f"{max(rss.values()) if rss else 0:>7.0f} MB; "
                + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items())
            )
    print("\ngrowth exponent k (time ~ n^k) per stage:")
    keys = sorted({k for r in results for k in r["stages"]})  # type: ignore[union-attr]
    fits = {}
    for key in keys:
        ns = [int(r["rows"]) for r in results if key in r["stages"]]  # type: ignore[operator]
        ts = [float(r["stages"][key]) for r in results if key in r["stages"]]  # type: ignore[index]
        fits[key] = exponent(ns, ts)
        print(f"  {key:>10}: k = {fits[key]}")
    fits["wall"] = exponent(sizes, [float(r["wall_seconds"]) for r in results])  # type: ignore[arg-type]
    print(f"  {'wall':>10}: k = {fits['wall']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"runs": results, "exponents": fits}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
