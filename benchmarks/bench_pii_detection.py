"""PII detection in free text and in tables: privsynth's detector vs plain Presidio.

Prints, in one run:
1. Span-level precision, recall and F2 per entity type and overall on the labelled
   presidio_synth_dataset_v2 (1,500 texts), for plain Presidio at default settings
   (``AnalyzerEngine().analyze(text, language="en")``, every default recognizer, threshold 0)
   and for privsynth's detector (its recognizers, threshold 0.4). Both use the same installed
   spaCy model, the only one on an offline machine.
2. Throughput: texts/s of privsynth's scrubber vs a plain loop of ``analyze`` over the same
   1,500 texts, and the ratio.
3. Table scan: privsynth's scan of Adult (48,842 x 15) and a naive per-cell Presidio loop,
   timed on a sample of cells and extrapolated.

Scoring. Labels map to detector types: STREET_ADDRESS and GPE -> LOCATION, ZIP_CODE ->
POSTAL_CODE, DOMAIN_NAME -> URL; DATE_OF_BIRTH counts as DATE_TIME. ORGANIZATION, TITLE and AGE
are not scored (neither detector looks for them); predictions of unscored types are ignored.
A labelled span is found when predicted spans of its type cover at least half of its
letters and digits; a predicted span is correct when at least half of its letters and digits
lie inside labelled spans of its type. "overall" is the micro-average over the identifier
types privsynth scrubs; "overall incl. DATE_TIME, NRP" adds those two.

Usage: python benchmarks/bench_pii_detection.py [--limit N] [--skip-table]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets"
TEXTS = DATA / "presidio_synth_dataset_v2.json"
ADULT = DATA / "adult_census_uci_48842.csv"
OUT = ROOT / "benchmarks" / "results" / "pii_detection.json"

LABEL_MAP = {
    "STREET_ADDRESS": "LOCATION",
    "GPE": "LOCATION",
    "ZIP_CODE": "POSTAL_CODE",
    "DOMAIN_NAME": "URL",
}
PRED_MAP = {"DATE_OF_BIRTH": "DATE_TIME"}
UNSCORED = {"ORGANIZATION", "TITLE", "AGE"}
IDENTIFIER_TYPES = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "LOCATION",
    "US_DRIVER_LICENSE",
    "URL",
    "POSTAL_CODE",
]
REQUIRED = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
]
ALL_TYPES = IDENTIFIER_TYPES + ["DATE_TIME", "NRP"]
Spans = list[tuple[int, int, str]]


def load(limit: int | None) -> tuple[list[str], list[Spans]]:
    records = json.loads(TEXTS.read_text(encoding="utf-8"))[:limit]
    texts, gold = [], []
    for r in records:
        texts.append(r["full_text"])
        gold.append(
            [
                (
                    s["start_position"],
                    s["end_position"],
                    LABEL_MAP.get(s["entity_type"], s["entity_type"]),
                )
                for s in r["spans"]
                if s["entity_type"] not in UNSCORED
            ]
        )
    return texts, gold


def _chars(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if text[i].isalnum()}


def score(texts: list[str], gold: list[Spans], pred: list[Spans]) -> dict[str, dict[str, float]]:
    tp_r: dict[str, int] = defaultdict(int)
    n_gold: dict[str, int] = defaultdict(int)
    tp_p: dict[str, int] = defaultdict(int)
    n_pred: dict[str, int] = defaultdict(int)
    for text, g, p in zip(texts, gold, pred, strict=True):
        g_chars: dict[str, set[int]] = defaultdict(set)
        p_chars: dict[str, set[int]] = defaultdict(set)
        for s, e, t in g:
            g_chars[t] |= _chars(text, s, e)
        for s, e, t in p:
            p_chars[t] |= _chars(text, s, e)
        for s, e, t in g:
            c = _chars(text, s, e)
            n_gold[t] += 1
            tp_r[t] += bool(c) and len(c & p_chars[t]) >= len(c) / 2
        for s, e, t in p:
            c = _chars(text, s, e)
            n_pred[t] += 1
            tp_p[t] += bool(c) and len(c & g_chars[t]) >= len(c) / 2
    out: dict[str, dict[str, float]] = {}
    for t in ALL_TYPES:
        out[t] = _prf(tp_p[t], n_pred[t], tp_r[t], n_gold[t])
    for name, types in (("overall", IDENTIFIER_TYPES), ("overall incl. DATE_TIME, NRP", ALL_TYPES)):
        out[name] = _prf(
            sum(tp_p[t] for t in types),
            sum(n_pred[t] for t in types),
            sum(tp_r[t] for t in types),
            sum(n_gold[t] for t in types),
        )
    return out


def _prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> dict[str, float]:
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_r / n_gold if n_gold else 0.0
    f2 = 5 * p * r / (4 * p + r) if p + r else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f2": round(f2, 3),
        "labelled": n_gold,
        "predicted": n_pred,
    }


def plain_presidio() -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from privsynth.offline import ensure_offline
    from privsynth.pii.engine import SPACY_MODEL

    ensure_offline()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def _keep(entity: str) -> str | None:
    entity = PRED_MAP.get(entity, entity)
    return entity if entity in ALL_TYPES else None


def run_plain(texts: list[str]) -> tuple[list[Spans], float]:
    engine = plain_presidio()
    engine.analyze("warm up", language="en")
    start = time.perf_counter()
    raw = [engine.analyze(t, language="en") for t in texts]
    seconds = time.perf_counter() - start
    pred = [[(r.start, r.end, e) for r in res if (e := _keep(r.entity_type))] for res in raw]
    return pred, seconds


def run_privsynth(texts: list[str]) -> tuple[list[Spans], float, float]:
    from privsynth.pii.detect import PiiDetector
    from privsynth.pii.engine import build_analyzer
    from privsynth.pii.scrub import TextScrubber

    build_analyzer()  # model load is not part of throughput, as for the plain engine
    detector = PiiDetector()
    found = detector.detect(texts, entities=detector.entities + ["DATE_TIME", "NRP"])
    pred = [[(s.start, s.end, e) for s in spans if (e := _keep(s.entity))] for spans in found]
    # Throughput is the scrubber as the pipeline runs it, with a cold cache.
    start = time.perf_counter()
    TextScrubber(detector=PiiDetector()).scrub(texts)
    seconds = time.perf_counter() - start
    return pred, seconds, float(detector.workers)


def without_lexicon(texts: list[str], gold: list[Spans]) -> dict[str, float]:
    from privsynth.pii.detect import PiiDetector
    from privsynth.pii.recognizers import names

    # Last step of the run: the name recognizer keeps its patterns (pairs of proper nouns,
    # "my name is", titles) but knows no names.
    names.lexicon = lambda: (frozenset(), frozenset())  # type: ignore[assignment]
    found = PiiDetector(workers=1).detect(texts, entities=["PERSON"])
    pred = [[(s.start, s.end, "PERSON") for s in spans] for spans in found]
    person_gold = [[g for g in spans if g[2] == "PERSON"] for spans in gold]
    return score(texts, person_gold, pred)["PERSON"]


def table_scan() -> dict[str, float]:
    import numpy as np
    from adult import load_adult

    from privsynth.config import default_config
    from privsynth.pii.scan import PiiScanner
    from privsynth.vocab import Role

    df = load_adult()[0]
    start = time.perf_counter()
    result = PiiScanner(default_config().scan, seed=42).scan(df)
    scan_s = time.perf_counter() - start
    identifiers = result.columns_with(Role.IDENTIFIER)
    engine = plain_presidio()
    rng = np.random.default_rng(0)
    cells = [
        str(df.iat[int(rng.integers(len(df))), int(rng.integers(df.shape[1]))]) for _ in range(300)
    ]
    start = time.perf_counter()
    for cell in cells:
        engine.analyze(cell, language="en")
    per_cell = (time.perf_counter() - start) / len(cells)
    naive = per_cell * df.size
    print(
        f"\ntable scan of Adult {df.shape[0]:,} x {df.shape[1]}: privsynth {scan_s:.1f} s; "
        f"naive per-cell Presidio {naive:,.0f} s (extrapolated from {len(cells)} cells, "
        f"{per_cell * 1000:.1f} ms/cell); ratio {naive / scan_s:,.0f}x"
    )
    print(f"columns flagged as direct identifiers: {identifiers or 'none'}")
    return {
        "privsynth_seconds": round(scan_s, 2),
        "naive_seconds_extrapolated": round(naive, 1),
        "naive_ms_per_cell": round(per_cell * 1000, 2),
        "ratio": round(naive / scan_s, 1),
        "identifier_columns": len(identifiers),
        "rows": df.shape[0],
        "columns": df.shape[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip-table", action="store_true")
    args = parser.parse_args()
    if not TEXTS.exists():
        print(f"missing {TEXTS}: the labelled PII benchmark needs the public dataset; "
              "only the table scan runs")
        if not args.skip_table:
            table_scan()
        return
    texts, gold = load(args.limit)
    print(f"input: {TEXTS.name}, {len(texts)} texts, {sum(map(len, gold))} scored labelled spans")
    plain_pred, plain_s = run_plain(texts)
    ours_pred, ours_s, workers = run_privsynth(texts)
    plain, ours = score(texts, gold, plain_pred), score(texts, gold, ours_pred)
    print(f"\n{'entity':30} {'n':>5}  {'plain P/R/F2':>20}  {'privsynth P/R/F2':>20}")
    for t in [*ALL_TYPES, "overall", "overall incl. DATE_TIME, NRP"]:
        a, b = plain[t], ours[t]
        mark = " *" if t in REQUIRED else ""
        print(
            f"{t + mark:30} {a['labelled']:>5}  "
            f"{a['precision']:.3f}/{a['recall']:.3f}/{a['f2']:.3f}  "
            f"{b['precision']:.3f}/{b['recall']:.3f}/{b['f2']:.3f}"
        )
    print("(* recall target >= 0.80; overall F2 target >= 0.75)")
    speed = {
        "texts": len(texts),
        "plain_texts_per_s": round(len(texts) / plain_s, 1),
        "privsynth_texts_per_s": round(len(texts) / ours_s, 1),
        "ratio": round(plain_s / ours_s, 2),
        "privsynth_workers": workers,
    }
    print(
        f"\nthroughput over {len(texts)} texts: plain analyze loop {speed['plain_texts_per_s']} "
        f"texts/s; privsynth scrubber {speed['privsynth_texts_per_s']} texts/s "
        f"({int(workers)} workers); ratio {speed['ratio']}x"
    )
    table = table_scan() if not args.skip_table else None
    ablation = without_lexicon(texts, gold)
    print(
        f"PERSON with an empty name lexicon (privsynth's lists come from Faker, which may also "
        f"have generated this dataset's names): P/R/F2 {ablation['precision']:.3f}/"
        f"{ablation['recall']:.3f}/{ablation['f2']:.3f}"
    )
    result: dict[str, Any] = {
        "plain": plain,
        "privsynth": ours,
        "throughput": speed,
        "person_without_lexicon": ablation,
    }
    if table is not None:
        result["table_scan"] = table
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
