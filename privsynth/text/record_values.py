"""A record's own values in its text: "the <PRODUCT> keeps disconnecting".

Texts that talk about their row (a ticket names its product, a note its plan) combine a
category value with common phrases, so an n-gram that holds the value is rare (twelve
products times ten problems) though nothing in it is personal. The exemplar editor masked
such spans to XXXX, and the model then wrote XXXX where the product belongs. Instead, a
column whose values the texts mention is replaced by a placeholder in the real texts before
anything is learned from them (n-gram counts, exemplars, phrases, the output filter); the
model writes the placeholder, and it is filled with the synthetic row's own value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

# A column is mentioned when at least this share of texts hold their own row's value, and
# at least OWN_LIFT times as many as hold another level's (texts that name a level by chance,
# whatever their row, are not about their row).
MENTION_SHARE = 0.3
OWN_LIFT = 2.0
MIN_VALUE_CHARS = 3
# Placeholder names the PII scrubber uses: a column's tag never takes one.
_RESERVED = {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION", "DATE_TIME", "URL",
             "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "NRP", "ORGANIZATION"}


def _word_re(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w<]){re.escape(value)}(?![\w>])", re.IGNORECASE)


def _usable(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if len(text) < MIN_VALUE_CHARS or text.replace(".", "").isdigit():
        return None
    return text


@dataclass(frozen=True)
class RecordValues:
    """Columns whose values the texts mention, each with its placeholder tag."""

    tags: dict[str, str] = field(default_factory=dict)

    def mask(self, text: str, row: Mapping[str, object]) -> str:
        """The text with its row's values of the mentioned columns as placeholders (longest
        value first, so "smart thermostat" is not left as "smart <...>")."""
        values = sorted(((_usable(row.get(c)), tag) for c, tag in self.tags.items()),
                        key=lambda p: -len(p[0] or ""))
        for value, tag in values:
            if value:
                text = _word_re(value).sub(f"<{tag}>", text)
        return text

    def fill(self, text: str, row: Mapping[str, object]) -> str:
        """The placeholders the model wrote, as the row's own values."""
        for column, tag in self.tags.items():
            if f"<{tag}>" in text:
                value = row.get(column)
                shown = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
                    else str(value)
                text = text.replace(f"<{tag}>", shown)
        return " ".join(text.split())


def mentioned_columns(texts: Sequence[str], rows: pd.DataFrame,
                      columns: Iterable[str]) -> RecordValues:
    """The record columns whose own value at least ``MENTION_SHARE`` of texts hold."""
    tags: dict[str, str] = {}
    for column in columns:
        if column not in rows.columns or pd.api.types.is_numeric_dtype(rows[column]):
            continue
        levels = {v: _word_re(v) for v in {_usable(x) for x in rows[column]} if v}
        own = other = seen = 0.0
        for text, value in zip(texts, rows[column], strict=True):
            usable = _usable(value)
            if not text or usable is None:
                continue
            seen += 1
            own += bool(levels[usable].search(text))
            if len(levels) > 1:
                others = [p for v, p in levels.items() if v != usable]
                other += sum(bool(p.search(text)) for p in others) / len(others)
        if seen and own >= MENTION_SHARE * seen and own >= OWN_LIFT * other:
            tags[column] = _tag(column, set(tags.values()))
    return RecordValues(tags)


def _tag(column: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Z]+", "_", column.upper()).strip("_")[:24] or "VALUE"
    if len(name) < 2 or name in _RESERVED:
        name = f"{name}_VALUE"
    while name in taken:
        name += "_"
    return name
