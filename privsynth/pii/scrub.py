"""Scrubbing free text: known identifier values first, then the PII detector.

Operators (``text.scrub_operator``) say what a found value becomes:
- ``tag``: a typed placeholder such as ``<PERSON>`` (the default; prompts use these);
- ``fake``: a consistent, format-preserving fake (the same real value, the same fake);
- ``mask``: every letter and digit becomes ``*``;
- ``drop_sentence``: the whole sentence that holds it is removed.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from privsynth.pii.detect import PiiDetector
from privsynth.pii.replace import ConsistentReplacer

logger = logging.getLogger(__name__)

PLACEHOLDER_RE = re.compile(r"<([A-Z_]{2,30})>")
OPERATORS = ("tag", "fake", "mask", "drop_sentence")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class ScrubResult:
    texts: list[str]
    entity_counts: dict[str, int]
    # Real PII strings found by the scrubber. Kept in memory for the replay check only.
    found_values: frozenset[str] = field(repr=False)
    sentences_dropped: int = 0


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
    """Replaces personal data in text according to ``operator``."""

    def __init__(
        self,
        score_threshold: float = 0.4,
        batch_size: int = 64,
        operator: str = "tag",
        detector: PiiDetector | None = None,
        replacer: ConsistentReplacer | None = None,
    ) -> None:
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {', '.join(OPERATORS)}")
        self.operator = operator
        self.detector = detector or PiiDetector(
            score_threshold=score_threshold, batch_size=batch_size
        )
        self.replacer = replacer or ConsistentReplacer(seed=0)

    def scrub(
        self, texts: Sequence[str], known: Sequence[dict[str, str]] | None = None
    ) -> ScrubResult:
        """Scrub each text. ``known[i]`` maps real values of row i to their entity type."""
        counts: Counter[str] = Counter()
        found: set[str] = set()
        plain = ["" if t is None else str(t) for t in texts]
        # Spans per text: known values first, then what the detector finds outside them.
        spans: list[list[tuple[int, int, str]]] = []
        for i, text in enumerate(plain):
            compiled = _known_pattern(known[i]) if known else None
            own = []
            if compiled is not None:
                pattern, mapping = compiled
                own = [
                    (m.start(), m.end(), mapping[m.group(0).lower()])
                    for m in pattern.finditer(text)
                ]
            spans.append(own)
        detected = self.detector.detect(plain)
        out: list[str] = []
        dropped = 0
        for text, own, extra in zip(plain, spans, detected, strict=True):
            chosen = own + non_overlapping(
                [
                    (s.start, s.end, s.entity)
                    for s in extra
                    if not any(s.start < e and s.end > b for b, e, _ in own)
                ]
            )
            chosen.sort()
            for start, end, entity in chosen:
                if _specific(text[start:end], entity):
                    found.add(text[start:end])
                counts[entity] += 1
            if self.operator == "drop_sentence":
                kept, n = _drop_sentences(text, chosen)
                dropped += n
                out.append(kept)
            else:
                out.append(self._apply(text, chosen))
        logger.info("scrubbed %d texts, %d entities", len(out), sum(counts.values()))
        return ScrubResult(
            out, dict(counts), frozenset(v for v in found if len(v.strip()) >= 3), dropped
        )

    def _apply(self, text: str, spans: list[tuple[int, int, str]]) -> str:
        pieces, last = [], 0
        for start, end, entity in spans:
            pieces.append(text[last:start])
            value = text[start:end]
            if self.operator == "tag":
                pieces.append(f"<{entity}>")
            elif self.operator == "mask":
                pieces.append(re.sub(r"\w", "*", value))
            else:
                pieces.append(self.replacer.fake(entity, value))
            last = end
        pieces.append(text[last:])
        return "".join(pieces)


def _drop_sentences(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, int]:
    kept, dropped, pos = [], 0, 0
    for piece in _SENTENCE_END.split(text):
        start = text.index(piece, pos) if piece else pos
        end = start + len(piece)
        pos = end
        if any(s < end and e > start for s, e, _ in spans):
            dropped += 1
        elif piece.strip():
            kept.append(piece.strip())
    return " ".join(kept), dropped


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
