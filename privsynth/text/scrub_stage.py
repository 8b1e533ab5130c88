"""Scrubbing real text before anything reads it: known identifiers first, then Presidio."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from privsynth.config import Config
from privsynth.metadata import TableMetadata
from privsynth.metrics.identifiers import identifier_values
from privsynth.pii.detect import PiiDetector
from privsynth.pii.fakes import identifier_kind
from privsynth.pii.replace import ConsistentReplacer
from privsynth.schema import texts_of
from privsynth.split import Split

logger = logging.getLogger(__name__)

# The placeholder that replaces an identifier column's values in real text, by its kind.
_TAG_BY_KIND = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "name": "PERSON",
    "first": "PERSON",
    "last": "PERSON",
    "ssn": "US_SSN",
    "address": "LOCATION",
    "ip": "IP_ADDRESS",
    "card": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "url": "URL",
    "username": "USERNAME",
}



@dataclass(frozen=True)
class ScrubOutcome:
    """Scrubbed training texts per text column, and what the run knows of real identifiers.

    ``real_ids``: every identifier column value and canary string, normalised. ``found``: the
    specific PII values the scrubber found in real text (training and holdout). Both stay in
    memory: the fakes avoid them and the replay check searches for them."""

    texts: dict[str, list[str]] = field(repr=False)
    entity_counts: dict[str, dict[str, int]]
    real_ids: frozenset[str] = field(repr=False)
    found: frozenset[str] = field(repr=False)
    # The code identifier column (an account number) whose own value the texts mention most:
    # an "<ID>" the model writes is that column's fake of the row.
    id_column: str | None = None
    # Phones found in the real texts (in memory only), for the fake phones' shapes.
    phones: tuple[str, ...] = field(default=(), repr=False)

    @property
    def forbidden(self) -> frozenset[str]:
        """Values no fake may equal."""
        return self.real_ids | identifier_values(self.found)


def scrub_stage(
    table: pd.DataFrame, split: Split, meta: TableMetadata, config: Config,
    detector: PiiDetector, use_text: bool,
) -> ScrubOutcome:
    """Scrub real text, training and holdout, so no fake equals a value found in any of it."""
    ident_cols = meta.identifier_columns
    real_ids = identifier_values(
        pd.concat([table[c] for c in ident_cols]) if ident_cols else []
    )
    if split.canaries is not None:
        real_ids |= split.canaries.strings
    if not use_text:
        return ScrubOutcome({}, {}, real_ids, frozenset())
    tags = {
        c: _TAG_BY_KIND.get(identifier_kind(c, meta.entity_of(c)), "ID") for c in ident_cols
    }
    from privsynth.pii.scrub import TextScrubber  # presidio-anonymizer: seconds to import

    scrubber = TextScrubber(
        operator=config.text.scrub_operator,
        detector=detector,
        replacer=ConsistentReplacer(config.seed, real_ids),
    )
    texts: dict[str, list[str]] = {}
    counts: dict[str, dict[str, int]] = {}
    found: set[str] = set()
    real_texts: list[str] = []
    mentions: Counter[str] = Counter()
    phones: tuple[str, ...] = ()
    for col in meta.text_columns:
        for part, frame in (("train", split.train), ("holdout", split.holdout)):
            known = [
                {str(row[c]): tags[c] for c in ident_cols if pd.notna(row[c])}
                for _, row in frame[ident_cols].iterrows()
            ]
            plain = texts_of(frame[col])
            real_texts += plain
            if part == "train":
                _count_mentions(mentions, frame, ident_cols, tags, plain)
            result = scrubber.scrub(plain, known)
            found |= result.found_values
            phones += result.phones
            if part == "train":
                texts[col] = result.texts
                counts[col] = result.entity_counts
    common = _common_values(found, real_texts, config.text.rare_ngram_min_texts)
    if common:
        logger.info("%d values found as PII are in at least %d real texts each; they are "
                    "treated as common terms", len(common), config.text.rare_ngram_min_texts)
    id_column = mentions.most_common(1)[0][0] if mentions else None
    return ScrubOutcome(texts, counts, real_ids, frozenset(found - common), id_column,
                        phones)


def _count_mentions(mentions: Counter[str], frame: pd.DataFrame, columns: list[str],
                    tags: dict[str, str], texts: list[str]) -> None:
    """Texts that hold their own row's value of each code identifier column."""
    for column in (c for c in columns if tags[c] == "ID"):
        for value, text in zip(frame[column], texts, strict=True):
            if pd.notna(value) and len(str(value)) >= 3 and str(value).lower() in text.lower():
                mentions[column] += 1


def _common_values(found: set[str], texts: list[str], min_texts: int) -> set[str]:
    """Found values that at least ``min_texts`` different real texts contain (as whole words,
    any case): names of companies, laws and products that a recognizer took for a person or
    place ("Fair Credit Reporting"), not one person's identifier. They stay scrubbed from the
    real text, but are neither searched for in the output nor avoided by the fakes."""
    import re

    lowered = [t.lower() for t in texts]
    common = set()
    for value in found:
        needle = value.lower().strip()
        if len(needle) < 3:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)")
        hits = 0
        for text in lowered:
            if needle in text and pattern.search(text):
                hits += 1
                if hits >= min_texts:
                    common.add(value)
                    break
    return common
