"""Scrubbing free text: known identifier values first, then Presidio, into typed placeholders."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from privsynth.pii.engine import TEXT_ENTITIES, build_analyzer

logger = logging.getLogger(__name__)

PLACEHOLDER_RE = re.compile(r"<([A-Z_]{2,30})>")


@dataclass(frozen=True)
class ScrubResult:
    texts: list[str]
    entity_counts: dict[str, int]
    # Real PII strings found by the scrubber. Kept in memory for the replay check only.
    found_values: frozenset[str] = field(repr=False)


def _known_pattern(values: dict[str, str]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One regex over the row's own identifier values (and name parts), longest first."""
    mapping: dict[str, str] = {}
    for value, tag in values.items():
        v = " ".join(value.split())
        if len(v) >= 3:
            mapping.setdefault(v.lower(), tag)
        if tag == "PERSON":
            # "Chat with Maria today": a first or last name alone is scrubbed too.
            for part in v.split():
                if len(part) >= 3 and part[0].isupper():
                    mapping.setdefault(part.lower(), tag)
    if not mapping:
        return None
    alternation = "|".join(re.escape(v) for v in sorted(mapping, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE), mapping


class TextScrubber:
    """Replaces personal data in text with ``<ENTITY>`` placeholders."""

    def __init__(self, score_threshold: float = 0.4, batch_size: int = 32) -> None:
        self.score_threshold = score_threshold
        self.batch_size = batch_size

    def scrub(
        self, texts: Sequence[str], known: Sequence[dict[str, str]] | None = None
    ) -> ScrubResult:
        """Scrub each text. ``known[i]`` maps real values of row i to the tag that replaces them."""
        from presidio_analyzer import BatchAnalyzerEngine

        counts: Counter[str] = Counter()
        found: set[str] = set()
        staged: list[str] = []
        for i, text in enumerate(texts):
            text = "" if text is None else str(text)
            compiled = _known_pattern(known[i]) if known else None
            if compiled is not None:
                pattern, mapping = compiled

                def swap(m: re.Match[str], mapping: dict[str, str] = mapping) -> str:
                    if _specific(m.group(0), mapping[m.group(0).lower()]):
                        found.add(m.group(0))
                    counts[mapping[m.group(0).lower()]] += 1
                    return f"<{mapping[m.group(0).lower()]}>"

                text = pattern.sub(swap, text)
            staged.append(text)
        batch = BatchAnalyzerEngine(analyzer_engine=build_analyzer())
        results = batch.analyze_iterator(
            staged,
            language="en",
            batch_size=self.batch_size,
            entities=TEXT_ENTITIES,
            score_threshold=self.score_threshold,
        )
        out = []
        for text, res in zip(staged, results, strict=True):
            tags = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
            spans = non_overlapping(
                [
                    (r.start, r.end, r.entity_type)
                    for r in res
                    if not any(r.start < t_end and r.end > t_start for t_start, t_end in tags)
                ]
            )
            pieces, last = [], 0
            for start, end, entity in spans:
                if _specific(text[start:end], entity):
                    found.add(text[start:end])
                counts[entity] += 1
                pieces.append(text[last:start])
                pieces.append(f"<{entity}>")
                last = end
            pieces.append(text[last:])
            out.append("".join(pieces))
        logger.info("scrubbed %d texts, %d entities", len(out), sum(counts.values()))
        return ScrubResult(out, dict(counts), frozenset(v for v in found if len(v.strip()) >= 3))


def _specific(value: str, entity: str) -> bool:
    """Whether a found value identifies someone by itself: a lone first name or city does not."""
    if entity in ("PERSON", "LOCATION"):
        return len(value.split()) >= 2
    return True


def non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the longest span where spans overlap, in text order."""
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)
