"""Leakage of generated text, with the real LLM, on sample_data and on a public PII text set.

Prints, in one run and for each data set:
- how many planted canary strings appear in generated text (must be 0);
- how many labelled input PII values (names, emails, phones, card and account numbers...)
  appear in generated text, other than the row's own fake values (must be 0);
- apart, how many real name words (a sample name's first or last name; a public person
  value of one word, a first name labelled alone) appear in it: informational, as common
  names collide with made-up ones by chance;
- the filter's rejections and fallbacks, and the text checks.

The public set is ../shared/datasets/presidio_synth_dataset_v2.json (read in place, never
copied): each record's full_text becomes a note, with its labelled spans as ground truth.

Usage: python benchmarks/bench_text_leakage.py [--rows 40] [--source-rows 600]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from privsynth.checks.privacy.pii_replay import _grams
from privsynth.config import load_config
from privsynth.io import read_table
from privsynth.metrics.identifiers import identifier_values, normalise
from privsynth.pipeline import synthesize
from privsynth.text.generator import LlamaGenerator
from privsynth.text.model import resolve_model
from privsynth.text.synth import TextSynthesizer

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT.parent / "shared" / "datasets" / "presidio_synth_dataset_v2.json"
PII_TYPES = {
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
    "STREET_ADDRESS", "IP_ADDRESS", "US_BANK_NUMBER", "US_DRIVER_LICENSE", "US_PASSPORT",
    "DATE_OF_BIRTH",
}


def public_table(n: int, seed: int) -> tuple[pd.DataFrame, frozenset[str], frozenset[str]]:
    """The notes; the labelled PII values; and, apart, the person values that are one word
    (a first name labelled alone, "Joseph"): like the sample data's name words, these collide
    with any made-up name by chance and identify no one on their own."""
    records = json.loads(PUBLIC.read_text("utf-8"))
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(records), size=min(n, len(records)), replace=False)
    rows, values, name_words = [], [], []
    for i in pick:
        rec = records[int(i)]
        types = sorted({s["entity_type"] for s in rec["spans"]}) or ["NONE"]
        rows.append({"kind": types[0].lower(), "length_band": "long"
                     if len(rec["full_text"]) > 120 else "short",
                     "message": rec["full_text"]})
        for span in rec["spans"]:
            value, kind = span["entity_value"], span["entity_type"]
            if kind == "PERSON" and len(value.split()) == 1:
                name_words.append(value)
            elif kind in PII_TYPES:
                values.append(value)
    return pd.DataFrame(rows), identifier_values(values), identifier_values(name_words)


def leaks(texts: list[str], own: list[frozenset[str]], values: frozenset[str]) -> int:
    """Distinct input values found in generated texts, other than the row's own fakes."""
    longest = min(6, max((len(v.split()) for v in values), default=1))
    found: set[str] = set()
    for text, mine in zip(texts, own, strict=True):
        found |= (_grams(text, longest) & values) - mine
    return len(found)


def run(name: str, df: pd.DataFrame, values: frozenset[str], cfg, generator,
        name_parts: frozenset[str] = frozenset()) -> dict:
    # Capture the generated texts even when the gate withholds the release.
    captured: list[tuple[list[str], list]] = []
    original = TextSynthesizer.generate

    def spy(self, rows, personas, faker, forbidden=frozenset(), offset=0):
        texts, stats = original(self, rows, personas, faker, forbidden, offset=offset)
        captured.append((texts, list(personas)))
        return texts, stats

    TextSynthesizer.generate = spy  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        result = synthesize(df, cfg, generator=generator)
        seconds = time.perf_counter() - start
    finally:
        TextSynthesizer.generate = original  # type: ignore[method-assign]
    text_col = next(iter(result.report["text"]))
    info = result.report["text"][text_col]
    checks = {c["name"]: c for c in result.report["checks"]}
    figures: dict = {
        "data": name,
        "rows_in": int(len(df)),
        "rows_generated": int(cfg.rows),
        "released": result.released,
        "seconds": round(seconds, 1),
        "text_stats": info["stats"],
        "exemplars": info["generator"]["exemplars"],
        "exemplars_excluded": info["generator"]["exemplars_excluded"],
        "group_column": info["generator"]["group_column"],
        "checks": {k: {"value": v["value"], "status": v["status"]} for k, v in checks.items()
                   if k.startswith("text_") or k in ("pii_replay", "canaries")},
    }
    texts, personas = captured[0]
    own = [frozenset(normalise(v) for v in (p.full_name, p.first, p.last, p.email, p.phone))
           for p in personas]
    figures["input_pii_values_searched"] = len(values)
    figures["input_pii_in_generated_text"] = leaks(texts, own, values)
    if name_parts:
        # Informational: a fake "Samantha Price" shares a word with some real "Price"; common
        # first and last names collide by chance and identify no one on their own.
        figures["real_name_words_in_generated_text"] = leaks(texts, own, name_parts)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--source-rows", type=int, default=600)
    args = parser.parse_args()
    model = resolve_model(None)
    generator = LlamaGenerator(model, n_threads=2, n_ctx=2048)
    results = []

    sample = read_table(ROOT / "sample_data" / "customers.csv")
    ident = ["customer_name", "email", "phone", "ssn", "street_address"]
    values = identifier_values([v for c in ident for v in sample[c].dropna()])
    parts = identifier_values([p for n in sample["customer_name"] for p in str(n).split()])
    cfg = load_config(rows=args.rows, checks__canaries=5)
    results.append(run("sample_data/customers.csv", sample, values, cfg, generator, parts))

    if PUBLIC.exists():
        table, values, words = public_table(args.source_rows, 7)
        cfg = load_config(rows=args.rows, checks__canaries=5, scan__roles={"message": "text"})
        results.append(run("presidio_synth_dataset_v2 (public)", table, values, cfg, generator,
                           words))
    else:
        print(f"skipped the public set: {PUBLIC} not found")

    print(json.dumps(results, indent=2))
    print("\n data                                   canaries  input PII  rejected  fallbacks")
    for r in results:
        canary = r["checks"].get("canaries", {}).get("value")
        rejected = sum(r["text_stats"]["rejected"].values())
        print(f" {r['data']:<38} {canary!s:>8}  {r.get('input_pii_in_generated_text', '-')!s:>9}"
              f"  {rejected:>8}  {r['text_stats']['fallbacks']:>9}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "text_leakage.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
