"""Structured synthesis on UCI Adult: privsynth's default vs plain SDV, judged by SDMetrics.

Prints, in one run, for each synthesizer (each in its own process, so peak RSS is its own):
- SDMetrics QualityReport score (column shapes, column pair trends) against the training rows;
- fit+sample seconds and the ratio to plain SDV GaussianCopula;
- peak RSS;
- TSTR vs TRTR accuracy for `income` (train on synthetic or real, test on the holdout).

The holdout (20%, the same seeded split the pipeline uses) never reaches any synthesizer.
CTGAN runs at a stated reduced budget (default: 20 epochs), since full training takes hours
on 2 cores.

Usage: python benchmarks/bench_structured.py [--ctgan-epochs 20] [--skip-ctgan]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult_census_uci_48842.csv"
TARGET = "income"
SEED = 42


def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    from adult import load_adult

    from privsynth.split import split_holdout

    df, _ = load_adult()
    return split_holdout(df.reset_index(drop=True), 0.2, SEED)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain_sdv(train: pd.DataFrame, kind: str, epochs: int) -> pd.DataFrame:
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    metadata = Metadata.detect_from_dataframes({"adult": train})
    if kind == "sdv_gaussian_copula":
        model = GaussianCopulaSynthesizer(metadata)
    else:
        model = CTGANSynthesizer(metadata, epochs=epochs)
    model.fit({"adult": train})
    syn = model.sample(len(train))
    return syn["adult"] if isinstance(syn, dict) else syn


def _privsynth(train: pd.DataFrame, synthesizer: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    from privsynth.config import load_config
    from privsynth.pii.scan import PiiScanner
    from privsynth.pii.stage import metadata_of
    from privsynth.tabular.structured import StructuredSynthesizer

    cfg = load_config(tabular__synthesizer=synthesizer)
    scan = PiiScanner(cfg.scan, SEED).scan(train)
    modelled = metadata_of(scan, cfg).modelled
    start = time.perf_counter()
    model = StructuredSynthesizer(cfg.tabular, SEED).fit(train[modelled], scan.schema)
    syn = model.sample(len(train), SEED)
    return syn, {"fit_sample_seconds": time.perf_counter() - start,
                 "modelled_columns": len(modelled), "protection": model.describe()}


def _quality(real: pd.DataFrame, syn: pd.DataFrame) -> dict[str, float]:
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"adult": real}).to_dict()["tables"]["adult"]
    syn = syn[real.columns].copy()
    for col in real.columns:
        if pd.api.types.is_numeric_dtype(real[col]):
            syn[col] = pd.to_numeric(syn[col], errors="coerce").astype(float)
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, syn, metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "quality_score": round(float(report.get_score()), 4),
        "column_shapes": round(float(props["Column Shapes"]), 4),
        "column_pair_trends": round(float(props["Column Pair Trends"]), 4),
    }


def tstr(train_on: pd.DataFrame, test: pd.DataFrame) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from privsynth.metrics.encoding import encode_features

    features = [c for c in test.columns if c != TARGET]
    x_train, x_test, cats = encode_features(train_on[features], test[features])
    y_train = train_on[TARGET].astype(str).str.strip().str.rstrip(".")
    y_test = test[TARGET].astype(str).str.strip().str.rstrip(".")
    model = HistGradientBoostingClassifier(random_state=0, categorical_features=cats)
    model.fit(x_train, y_train)
    return float((model.predict(x_test) == y_test.to_numpy()).mean())


def _job(kind: str, epochs: int) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    train, holdout = _split()
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind.startswith("sdv_"):
        syn = _plain_sdv(train, kind, epochs)
        seconds = time.perf_counter() - start
    else:
        syn, extra = _privsynth(train, kind.removeprefix("privsynth_"))
        seconds = extra.pop("fit_sample_seconds")
    peak = _peak_mb()
    out = {"synthesizer": kind, "fit_sample_seconds": round(seconds, 1),
           "peak_rss_mb": round(peak), **_quality(train, syn),
           "tstr_accuracy": round(tstr(syn, holdout), 4), **extra}
    if kind == "sdv_gaussian_copula":
        out["trtr_accuracy"] = round(tstr(train, holdout), 4)
    return out


def _in_process(kind: str, epochs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_job, (kind, epochs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctgan-epochs", type=int, default=20)
    parser.add_argument("--skip-ctgan", action="store_true")
    parser.add_argument("--only-ctgan", action="store_true",
                        help="plain SDV GC (the baseline) and CTGAN only")
    args = parser.parse_args()
    kinds = ["sdv_gaussian_copula"] + ([] if args.only_ctgan else ["privsynth_gaussian_copula"])
    if not args.skip_ctgan:
        kinds += ["sdv_ctgan"]
    rows = [_in_process(k, args.ctgan_epochs) for k in kinds]
    base = rows[0]
    for r in rows:
        r["time_ratio_to_sdv_gc"] = round(r["fit_sample_seconds"] / base["fit_sample_seconds"], 2)
        r["tstr_minus_trtr_points"] = round(100 * (r["tstr_accuracy"] - base["trtr_accuracy"]), 1)
    result = {"data": ADULT.name, "train_rows": None, "ctgan_epochs": args.ctgan_epochs,
              "rows": rows}
    print(json.dumps(result, indent=2, default=str))
    print(f"\n {'synthesizer':<28}{'quality':>8}{'shapes':>8}{'pairs':>8}{'fit+sample s':>14}"
          f"{'x SDV GC':>9}{'peak MB':>9}{'TSTR':>7}{'-TRTR pts':>10}")
    for r in rows:
        print(f" {r['synthesizer']:<28}{r['quality_score']:>8}{r['column_shapes']:>8}"
              f"{r['column_pair_trends']:>8}{r['fit_sample_seconds']:>14}"
              f"{r['time_ratio_to_sdv_gc']:>9}{r['peak_rss_mb']:>9}{r['tstr_accuracy']:>7}"
              f"{r['tstr_minus_trtr_points']:>10}")
    print(f" TRTR accuracy (real train -> holdout): {base['trtr_accuracy']}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "structured.json").write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
