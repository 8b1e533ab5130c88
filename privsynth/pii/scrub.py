"""Scrubbing free text: known identifier values first, then the PII detector.

privsynth chooses the spans (a row's own identifier values first, then what Presidio finds
outside them, the longest where detections overlap); presidio-anonymizer's
``AnonymizerEngine`` applies the operator. ``text.scrub_operator`` says what a found value
becomes:
- ``tag``: a typed placeholder such as ``<PERSON>`` (the default; prompts use these),
  Presidio's built-in ``replace``;
- ``mask``: every letter and digit becomes ``*``, Presidio's built-in ``custom`` operator;
- ``redact``: removed, Presidio's built-in ``redact``;
- ``fake``: a consistent, format-preserving fake (the same real value, the same fake), a
  custom operator;
- ``drop_sentence``: the whole sentence that holds it is removed, a custom operator.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult
from presidio_anonymizer.operators import Operator, OperatorType

from privsynth.pii.detect import PiiDetector
from privsynth.pii.replace import ConsistentReplacer
from privsynth.pii.spans import non_overlapping
from privsynth.vocab import SCRUB_OPERATORS

logger = logging.getLogger(__name__)

OPERATORS = SCRUB_OPERATORS
# What drop_sentence leaves where a span was, before the sentences that hold it are removed.
_DROP_MARK = "\x00privsynth-drop\x00"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


MAX_PHONES = 200


@dataclass(frozen=True)
class ScrubResult:
    texts: list[str]
    entity_counts: dict[str, int]
    # Real PII strings found by the scrubber. Kept in memory for the replay check only.
    found_values: frozenset[str] = field(repr=False)
    sentences_dropped: int = 0
    # Phone numbers found in the texts, in memory only: their shapes and format constants
    # shape the fake phones a text gets when no column holds phones.
    phones: tuple[str, ...] = field(default=(), repr=False)


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
        self.engine = _anonymizer()

    def scrub(
        self, texts: Sequence[str], known: Sequence[dict[str, str]] | None = None
    ) -> ScrubResult:
        """Scrub each text. ``known[i]`` maps real values of row i to their entity type."""
        counts: Counter[str] = Counter()
        found: set[str] = set()
        phones: list[str] = []
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
                if entity == "PHONE_NUMBER" and len(phones) < MAX_PHONES:
                    phones.append(text[start:end])
                counts[entity] += 1
            scrubbed = self._apply(text, chosen)
            if self.operator == "drop_sentence":
                scrubbed, n = _drop_marked_sentences(scrubbed)
                dropped += n
            out.append(scrubbed)
        logger.info("scrubbed %d texts, %d entities", len(out), sum(counts.values()))
        return ScrubResult(
            out, dict(counts), frozenset(v for v in found if len(v.strip()) >= 3), dropped,
            tuple(phones),
        )

    def _apply(self, text: str, spans: list[tuple[int, int, str]]) -> str:
        """The operator applied to ``spans`` (non-overlapping) by presidio-anonymizer."""
        if not spans:
            return text
        results = [RecognizerResult(entity, start, end, 1.0) for start, end, entity in spans]
        fakes: dict[str, dict[str, str]] = {}
        if self.operator == "fake":
            # Drawn in text order, as the replacer's stream expects; the anonymizer then
            # applies them from the end of the text backwards.
            for start, end, entity in spans:
                value = text[start:end]
                fakes.setdefault(entity, {}).setdefault(value, self.replacer.fake(entity, value))
        operators = {entity: self._operator(entity, fakes.get(entity)) for _, _, entity in spans}
        return str(
            self.engine.anonymize(
                text, results, operators, merge_entities_with_spaces=False
            ).text
        )

    def _operator(self, entity: str, fakes: dict[str, str] | None) -> OperatorConfig:
        if self.operator == "tag":
            return OperatorConfig("replace", {"new_value": f"<{entity}>"})
        if self.operator == "mask":
            # Presidio's "mask" would star spaces and dashes too; the length and punctuation of
            # the value stay readable with its "custom" operator.
            return OperatorConfig("custom", {"lambda": _mask_word_chars})
        if self.operator == "redact":
            return OperatorConfig("redact", {})
        if self.operator == "fake":
            return OperatorConfig(ConsistentFake.NAME, {"fakes": fakes or {}})
        return OperatorConfig(DropSentence.NAME, {})


class ConsistentFake(Operator):
    """A custom presidio-anonymizer operator: the same real value always gets the same
    format-preserving fake. ``fakes`` maps each value to the fake the run's
    ``ConsistentReplacer`` drew for it."""

    NAME = "privsynth_consistent_fake"

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        return (params or {})["fakes"][text]

    def validate(self, params: dict[str, Any] | None = None) -> None:
        if not params or not isinstance(params.get("fakes"), dict):
            raise ValueError("the consistent-fake operator needs the fakes of the text")

    def operator_name(self) -> str:
        return self.NAME

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


class DropSentence(Operator):
    """A custom presidio-anonymizer operator: marks every sentence the span touches, so
    ``_drop_marked_sentences`` removes them. Sentence ends inside the span are kept, so the
    text splits into the same sentences as before."""

    NAME = "privsynth_drop_sentence"

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        def mark_next(m: re.Match[str]) -> str:
            # A sentence end inside the span: the span goes on into the next sentence.
            return m.group(0) + (_DROP_MARK if m.end() < len(text) else "")

        lead = _SENTENCE_END.match(text)
        return ("" if lead else _DROP_MARK) + _SENTENCE_END.sub(mark_next, text)

    def validate(self, params: dict[str, Any] | None = None) -> None:
        return None

    def operator_name(self) -> str:
        return self.NAME

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


def _mask_word_chars(value: str) -> str:
    return re.sub(r"\w", "*", value)


def _anonymizer() -> AnonymizerEngine:
    engine = AnonymizerEngine()
    engine.add_anonymizer(ConsistentFake)
    engine.add_anonymizer(DropSentence)
    return engine


def _drop_marked_sentences(text: str) -> tuple[str, int]:
    """Remove every sentence that holds a drop mark; count them."""
    kept, dropped = [], 0
    for piece in _SENTENCE_END.split(text):
        if _DROP_MARK in piece:
            dropped += 1
        elif piece.strip():
            kept.append(piece.strip())
    return " ".join(kept), dropped


def _specific(value: str, entity: str) -> bool:
    """Whether a found value identifies someone by itself: a lone first name or city does not."""
    if entity in ("PERSON", "LOCATION"):
        return len(value.split()) >= 2
    return True
