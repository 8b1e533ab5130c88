"""Writes one new text per synthetic row from scrubbed exemplars, then filters what comes out."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from privsynth.config import TextConfig
from privsynth.errors import NotFittedError
from privsynth.pii.engine import TEXT_ENTITIES, build_analyzer
from privsynth.pii.fakes import IdentifierFaker, Persona
from privsynth.pii.scrub import PLACEHOLDER_RE, non_overlapping
from privsynth.text.generator import TextGenerator
from privsynth.text.prompts import INJECTION_RE, PromptTemplate, load_template

logger = logging.getLogger(__name__)

MAX_EXEMPLAR_CHARS = 600
MAX_RECORD_LEVELS = 20
MAX_RECORD_COLUMNS = 4


@dataclass
class TextStats:
    generated: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    fallbacks: int = 0
    entities_replaced: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "rejected": dict(self.rejected),
            "fallbacks": self.fallbacks,
            "entities_replaced": dict(self.entities_replaced),
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "tokens_per_second": round(self.tokens / self.seconds, 1) if self.seconds else 0.0,
        }


def record_columns(frame: pd.DataFrame) -> list[str]:
    """Low-cardinality columns that make good conditioning: the text can mention them."""
    cols = []
    for col in frame.columns:
        levels = frame[col].dropna().astype(str).nunique()
        if 1 < levels <= MAX_RECORD_LEVELS:
            cols.append(str(col))
    return cols[:MAX_RECORD_COLUMNS]


def _record(row: pd.Series, cols: Sequence[str]) -> str:
    return "; ".join(f"{c}={'' if pd.isna(row[c]) else row[c]}" for c in cols)


def is_degenerate(text: str) -> str | None:
    """Why a generated text is unusable, or None."""
    words = text.split()
    if len(words) < 3:
        return "too_short"
    top = Counter(w.lower() for w in words).most_common(1)[0][1]
    if len(words) >= 8 and top / len(words) > 0.4:
        return "repetitive"
    if re.search(r"\bRecord:|\bEntry:", text):
        return "format"
    return None


class TextSynthesizer:
    """Fit on scrubbed texts and their rows; generate one text per synthetic row."""

    def __init__(
        self,
        column: str,
        generator: TextGenerator,
        config: TextConfig,
        seed: int,
        template: PromptTemplate | None = None,
        progress: bool = False,
    ) -> None:
        self.column = column
        self.generator = generator
        self.config = config
        self.seed = seed
        self.template = template or load_template()
        self.progress = progress

    def fit(self, scrubbed: Sequence[str], rows: pd.DataFrame) -> TextSynthesizer:
        """``scrubbed[i]`` is the scrubbed text of ``rows.iloc[i]``; raw text never enters."""
        self.record_columns_ = record_columns(rows)
        pool: list[tuple[tuple[str, ...], str]] = []
        excluded: Counter[str] = Counter()
        for text, (_, row) in zip(scrubbed, rows.iterrows(), strict=True):
            text = " ".join(str(text).split())
            if not text:
                excluded["empty"] += 1
            elif len(text) > MAX_EXEMPLAR_CHARS:
                excluded["too_long"] += 1
            elif INJECTION_RE.search(text):
                excluded["instruction_like"] += 1
            else:
                key = tuple("" if pd.isna(row[c]) else str(row[c]) for c in self.record_columns_)
                pool.append((key, text))
        self.pool_ = pool
        self.excluded_ = dict(excluded)
        lengths = [len(t.split()) for _, t in pool] or [20]
        self.words_ = int(np.median(lengths))
        self.length_quantiles_ = [int(q) for q in np.quantile(lengths, [0.1, 0.5, 0.9])]
        logger.info(
            "text column %s: %d exemplars, %d excluded",
            self.column,
            len(pool),
            sum(excluded.values()),
        )
        return self

    def _examples(self, key: tuple[str, ...]) -> list[tuple[str, str]]:
        """Exemplars matching the record best; fixed per key so prompts share a prefix."""
        k = self.config.examples
        if not self.pool_ or k == 0:
            return []
        scores = np.array(
            [sum(a == b for a, b in zip(pk, key, strict=True)) for pk, _ in self.pool_]
        )
        digest = hashlib.sha256(("|".join(key) + str(self.seed)).encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        order = np.lexsort((rng.random(len(scores)), -scores))[:k]
        cols = self.record_columns_
        return [
            (
                "; ".join(f"{c}={v}" for c, v in zip(cols, self.pool_[i][0], strict=True)),
                self.pool_[i][1],
            )
            for i in order
        ]

    def generate(
        self, rows: pd.DataFrame, personas: Sequence[Persona], faker: IdentifierFaker
    ) -> tuple[list[str], TextStats]:
        if not hasattr(self, "pool_"):
            raise NotFittedError("TextSynthesizer used before fit()")
        stats = TextStats()
        cols = [c for c in self.record_columns_ if c in rows.columns]
        keys = [tuple("" if pd.isna(r[c]) else str(r[c]) for c in cols) for _, r in rows.iterrows()]
        # Rows with the same record share a prompt, so llama.cpp reuses its cached prefix.
        order = sorted(range(len(rows)), key=lambda i: keys[i])
        texts: list[str] = [""] * len(rows)
        cache: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        bar = tqdm(
            order, desc=f"text:{self.column}", unit="row", disable=not self.progress, leave=False
        )
        for i in bar:
            key = keys[i]
            if key not in cache:
                cache[key] = self._examples(key)
            prompt = self.template.render(
                column=self.column,
                words=self.words_,
                examples=cache[key],
                record=_record(rows.iloc[i], cols),
            )
            texts[i] = self._one(prompt, i, personas[i], faker, stats)
            tps = getattr(self.generator, "tokens_per_second", 0.0)
            if tps:
                bar.set_postfix(tok_s=f"{tps:.1f}")
        stats.tokens = int(getattr(self.generator, "tokens_generated", 0))
        stats.seconds = float(getattr(self.generator, "seconds", 0.0))
        texts = self._rescan(texts, personas, faker, stats)
        return texts, stats

    def _one(
        self, prompt: str, i: int, persona: Persona, faker: IdentifierFaker, stats: TextStats
    ) -> str:
        for attempt in range(self.config.retries + 1):
            seed = (self.seed * 1_000_003 + i * 7919 + attempt) % (2**31 - 1)
            raw = self.generator.generate(
                prompt, seed=seed, max_tokens=self.config.max_tokens, stop=["\n"]
            )
            text = " ".join(raw.split())
            reason = is_degenerate(text)
            if reason is None and INJECTION_RE.search(text):
                reason = "instruction_like"
            if reason is None:
                stats.generated += 1
                return fill_placeholders(text, persona, faker)
            stats.rejected[reason] += 1
        stats.fallbacks += 1
        return "No free-text entry was generated for this record."

    def _rescan(
        self,
        texts: list[str],
        personas: Sequence[Persona],
        faker: IdentifierFaker,
        stats: TextStats,
    ) -> list[str]:
        """Replace any entity in generated text that is not the row's own fake value."""
        from presidio_analyzer import BatchAnalyzerEngine

        batch = BatchAnalyzerEngine(analyzer_engine=build_analyzer())
        results = batch.analyze_iterator(
            texts, language="en", batch_size=32, entities=TEXT_ENTITIES, score_threshold=0.4
        )
        replacements: dict[str, str] = {}
        out = []
        for text, res, persona in zip(texts, results, personas, strict=True):
            allowed = {
                persona.full_name.lower(),
                persona.first.lower(),
                persona.last.lower(),
                persona.email.lower(),
                persona.phone.lower(),
            }
            spans = non_overlapping([(r.start, r.end, r.entity_type) for r in res])
            for start, end, entity in reversed(spans):
                value = text[start:end]
                if value.lower() in allowed or any(value.lower() in a for a in allowed):
                    continue
                fake = replacements.setdefault(value, faker.fake_for_entity(entity))
                stats.entities_replaced[entity] += 1
                text = text[:start] + fake + text[end:]
            out.append(text)
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "record_columns": getattr(self, "record_columns_", []),
            "exemplars": len(getattr(self, "pool_", [])),
            "exemplars_excluded": getattr(self, "excluded_", {}),
            "length_words_p10_p50_p90": getattr(self, "length_quantiles_", []),
            "template": self.template.source,
            "template_sha256": self.template.sha256,
            "generator": self.generator.describe(),
        }


def fill_placeholders(text: str, persona: Persona, faker: IdentifierFaker) -> str:
    """Put the row's own fake identifiers where the model wrote placeholders."""
    own = {
        "PERSON": persona.full_name,
        "EMAIL_ADDRESS": persona.email,
        "PHONE_NUMBER": persona.phone,
    }
    extra: dict[str, str] = defaultdict(str)

    def swap(m: re.Match[str]) -> str:
        tag = m.group(1)
        if tag in own:
            return own[tag]
        if not extra[tag]:
            extra[tag] = faker.fake_for_entity(tag)
        return extra[tag]

    text = PLACEHOLDER_RE.sub(swap, text)
    return text.replace("<", "").replace(">", "")
