"""No real identifier in generated text, by construction: an exact-match pass before the re-scan.

Every real identifier value a run knows (identifier columns, canary strings, names, emails,
phones and IDs found in the real text; normalised, at least ``MIN_VALUE_CHARS`` characters) is
put in one Aho-Corasick automaton, so a text is searched for all of them in time linear in its
length. A hit that stands as whole words is replaced by the row's own fake of the same shape.
The gate's ``pii_replay`` check stays as the independent test of the result."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from privsynth.metrics.identifiers import MIN_VALUE_CHARS

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
_PHONE = re.compile(r"\+?[\d\s().-]{7,}")


@dataclass(frozen=True)
class Fakes:
    """The row's own fakes a hit is replaced with."""

    full_name: str
    last: str
    email: str
    phone: str
    seed: int

    def code_like(self, value: str) -> str:
        """A random code of the value's shape: digits for digits, letters for letters."""
        rng = random.Random(self.seed * 1_000_003 + zlib.crc32(value.encode()))
        return "".join(
            str(rng.randrange(10)) if c.isdigit()
            else chr(rng.randrange(26) + (65 if c.isupper() else 97)) if c.isalpha()
            else c
            for c in value
        )


def shape(value: str) -> str:
    """Which fake stands in for a real value: email, phone, name, word or code."""
    if _EMAIL.fullmatch(value):
        return "email"
    if _PHONE.fullmatch(value) and sum(c.isdigit() for c in value) >= 7:
        return "phone"
    if all(part.isalpha() for part in value.replace("-", " ").replace("'", " ").split()):
        return "name" if " " in value else "word"
    return "code"


def _lower_same_length(text: str) -> str:
    """Lower case, one character for one, so offsets stay those of ``text``."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class KnownIdentifiers:
    """An automaton over the real identifier values of a run (normalised: lower case, single
    spaces). ``skip`` holds values that are ordinary words of the table (category levels)."""

    def __init__(self, values: Iterable[str], skip: Iterable[str] = ()) -> None:
        skipped = set(skip)
        self.automaton = ahocorasick.Automaton()
        for value in values:
            if len(value) >= MIN_VALUE_CHARS and value not in skipped:
                self.automaton.add_word(value, value)
        self.size = len(self.automaton)
        if self.size:
            self.automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Whole-word hits as (start, end, value), leftmost-longest, not overlapping."""
        if not self.size or not text:
            return []
        low = _lower_same_length(text)
        hits = []
        for end_index, value in self.automaton.iter(low):
            start, end = end_index - len(value) + 1, end_index + 1
            before = low[start - 1] if start > 0 else " "
            after = low[end] if end < len(low) else " "
            if before.isalnum() or after.isalnum():
                continue
            hits.append((start, end, value))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[int, int, str]] = []
        for hit in hits:
            if not out or hit[0] >= out[-1][1]:
                out.append(hit)
        return out

    def replace(self, text: str, fakes: Fakes) -> tuple[str, int]:
        """The text with every hit replaced by the row's fake of its shape; the hit count."""
        hits = self.find(text)
        for start, end, value in reversed(hits):
            kind = shape(value)
            fake = {"email": fakes.email, "phone": fakes.phone, "name": fakes.full_name,
                    "word": fakes.last}.get(kind) or fakes.code_like(text[start:end])
            text = text[:start] + fake + text[end:]
        return text, len(hits)
