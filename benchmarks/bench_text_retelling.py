"""Retold texts hidden among good ones: how often the text privacy checks refuse them, and
how often they pass unseen real texts, on the real complaint narratives.

Each split draws disjoint narratives: a training set, a holdout of a quarter of its size and
an independent set as the "generated" texts. Cases:
  ideal       the independent narratives: real people's own texts, none of them a training one
  retold_K    the same with K% (5, 10) replaced by training narratives retold as a small model
              retells its few-shot examples: the first 80 words, words fewer than 5 training
              texts use masked as XXXX, a made-up name put in, a tenth of the words dropped,
              and another narrative's opening after it
Each set is judged by ``text_retelling`` and ``text_memorization`` under the default policy,
at the leak test's quantile of the whole gate's privacy family (17 checks), as the gate
judges them. A released share is given with a 95% Wilson interval.

The narratives are read in place from ../shared/datasets (never copied).
Usage: python benchmarks/bench_text_retelling.py [--train 400] [--reps 20]
Writes benchmarks/results/text_retelling.json.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "cfpb_complaints_even_ids.csv"
OUT = ROOT / "benchmarks" / "results" / "text_retelling.json"
CASES = ("ideal", "retold_5", "retold_10")
FAMILY = 17  # the default gate's privacy checks with an interval
NAMES = ("Ryan Chavez", "Maria Lopez", "David Kim", "Sarah Olsen")


def narratives() -> list[str]:
    frame = pd.read_csv(DATA, usecols=["Consumer complaint narrative"])
    return [str(t) for t in frame["Consumer complaint narrative"].dropna()]


def retold(text: str, other: str, rare: Counter[str], rng: np.random.Generator) -> str:
    from privsynth.metrics.retelling import content_words

    out = []
    for word in text.split()[:80]:
        if rng.random() < 0.1:
            continue
        cw = content_words(word)
        out.append("XXXX" if cw and rare[cw[0]] < 5 else word)
    out.insert(min(6, len(out)), NAMES[int(rng.integers(len(NAMES)))])
    return " ".join(out) + " " + " ".join(other.split()[:40])


def judge_case(train: list[str], holdout: list[str], synthetic: list[str],
               z: float) -> dict[str, Any]:
    from privsynth.checks.base import CheckContext, TextColumn
    from privsynth.checks.judge import judge
    from privsynth.checks.text.memorization import TextMemorization
    from privsynth.checks.text.retelling import TextRetelling
    from privsynth.config import default_config

    gate = default_config().gate
    ctx = CheckContext(train=pd.DataFrame(), holdout=pd.DataFrame(),
                       synthetic=pd.DataFrame(), schema={}, seed=0, bootstrap=200,
                       texts={"narrative": TextColumn(train, holdout, synthetic)})
    out: dict[str, Any] = {}
    for cls in (TextRetelling, TextMemorization):
        m = cls().compute(ctx)
        threshold = float(getattr(gate, cls.threshold_key))
        verdict = judge(cls.goal, cls.category, m.value, m.ci, threshold, gate.rule, z,
                        m.bound)
        out[cls.name] = {"value": round(m.value, 4), "refused": verdict.status == "fail"}
    out["released"] = not any(v["refused"] for v in out.values() if isinstance(v, dict))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=400)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    from bench_gate_calibration import finish, wilson

    from privsynth.checks.judge import leak_z
    from privsynth.metrics.retelling import content_words

    texts = narratives()
    n_train, n_hold = args.train, args.train // 4
    n_syn = len(texts) - n_train - n_hold
    z = leak_z(0.05, FAMILY)
    print(f"{len(texts)} narratives: {n_train} training, {n_hold} holdout, {n_syn} generated; "
          f"leak test at z = {z:.3f}", flush=True)
    start = time.perf_counter()
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in CASES}
    for rep in range(args.reps):
        rng = np.random.default_rng([rep, 53])
        order = rng.permutation(len(texts))
        train = [texts[i] for i in order[:n_train]]
        holdout = [texts[i] for i in order[n_train:n_train + n_hold]]
        fresh = [texts[i] for i in order[n_train + n_hold:]]
        rare = Counter(w for t in train for w in set(content_words(t)))
        for case in CASES:
            synthetic = list(fresh)
            if case != "ideal":
                k = max(1, round(int(case.split("_")[1]) / 100 * len(fresh)))
                spots = rng.choice(len(fresh), k, replace=False)
                sources = rng.choice(len(train), k, replace=False)
                for spot, source in zip(spots, sources, strict=True):
                    other = fresh[int(rng.integers(len(fresh)))]
                    synthetic[spot] = retold(train[source], other, rare, rng)
            results[case].append(judge_case(train, holdout, synthetic, z))
    rows = []
    for case, runs in results.items():
        k = sum(r["released"] for r in runs)
        lo, hi = wilson(k, len(runs))
        refused = Counter(name for r in runs for name, v in r.items()
                          if isinstance(v, dict) and v["refused"])
        mean = {name: round(float(np.mean([r[name]["value"] for r in runs])), 4)
                for name in ("text_retelling", "text_memorization")}
        rows.append({"case": case, "released": k, "runs": len(runs),
                     "ci95": [round(lo, 3), round(hi, 3)], "refused_by": dict(refused),
                     "mean_value": mean})
        print(f"{case:<10} released {k:>2}/{len(runs)} [{lo:.2f}, {hi:.2f}]  "
              f"mean retelling excess {mean['text_retelling']:+.4f}, memorisation excess "
              f"{mean['text_memorization']:+.4f}  refused by {dict(refused)}", flush=True)
    result = {"rows": rows, "settings": vars(args), "z": z,
              "seconds": round(time.perf_counter() - start, 1)}
    finish(result, Path(args.out))


if __name__ == "__main__":
    main()
