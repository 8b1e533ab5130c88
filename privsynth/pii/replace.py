"""Consistent, format-preserving replacement of real values by fakes.

Within one run the same real value always gets the same fake, whichever column or text it
appears in, and two different real values never share a fake. The mapping lives in memory
for the run only: it is never written, logged or returned. Fakes are drawn from Faker and a
seeded generator, so a run is reproducible from its seed and input.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
from faker import Faker

from privsynth.pii.fakes import fill_shape
from privsynth.pii.recognizers import checksums
from privsynth.pii.recognizers.names import lexicon

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y/%m/%d",
)
# Dates move by up to this many days, so a fake date of birth stays in its decade.
DATE_SHIFT_DAYS = 365


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


class ConsistentReplacer:
    """``fake(entity, value)``: the same (entity class, value) gives the same fake in a run."""

    def __init__(self, seed: int, forbidden: frozenset[str] = frozenset(), locale: str = "en_US"):
        self.faker = Faker(locale)
        self.faker.seed_instance(seed)
        self.rng = np.random.default_rng(seed)
        # Normalised real values a fake must never equal.
        self.forbidden = set(forbidden)
        self._map: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def __repr__(self) -> str:  # never show the mapping
        return f"ConsistentReplacer(<{len(self._map)} values>)"

    def fake(self, entity: str, value: str) -> str:
        if entity == "PERSON":
            return self._person(value)
        key = (_entity_class(entity), _norm(value))
        if key not in self._map:
            self.forbidden.add(key[1])
            self._map[key] = self._fresh(lambda: self._draw(entity, value))
        return self._map[key]

    def _fresh(self, draw: object) -> str:
        for _ in range(100):
            candidate = draw()  # type: ignore[operator]
            norm = _norm(candidate)
            if norm not in self.forbidden and norm not in self._used:
                self._used.add(norm)
                return str(candidate)
        return "[redacted]"  # pragma: no cover - only when the fake space is exhausted

    def _person(self, value: str) -> str:
        """Each name part maps on its own, so "Maria Lopez" and a later "Maria" agree."""
        given, _ = lexicon()
        parts = value.split()
        out = []
        for i, part in enumerate(parts):
            if len(part) == 2 and part.endswith("."):  # an initial
                out.append(part)
                continue
            is_given = (i == 0 and len(parts) > 1) or (len(parts) == 1 and part.lower() in given)
            kind = "GIVEN" if is_given else "SURNAME"
            key = (kind, part.lower())
            if key not in self._map:
                self.forbidden.add(part.lower())
                draw = self.faker.first_name if is_given else self.faker.last_name
                self._map[key] = self._fresh(draw)
            fake = self._map[key]
            out.append(fake.upper() if part.isupper() and len(part) > 1 else fake)
        return " ".join(out)

    def _draw(self, entity: str, value: str) -> str:
        f = self.faker
        if entity == "EMAIL_ADDRESS":
            local = (
                re.sub(r"[^a-z0-9]", "", f.first_name().lower())
                + "."
                + re.sub(r"[^a-z0-9]", "", f.last_name().lower())
            )
            return f"{local}{int(self.rng.integers(1, 1000))}@{f.free_email_domain()}"
        if entity == "PHONE_NUMBER":
            return _keep_country(value, self.rng)
        if entity == "CREDIT_CARD":
            return _card_like(value, self.rng)
        if entity == "US_SSN":
            return _ssn_like(value, self.rng)
        if entity == "IBAN_CODE":
            return str(f.iban())
        if entity == "IP_ADDRESS":
            return str(f.ipv6() if ":" in value else f.ipv4())
        if entity in ("DATE_OF_BIRTH", "DATE_TIME"):
            return _shift_date(value, self.rng) or fill_shape(value, self.rng)
        if entity == "URL":
            return str(f.url())
        if entity == "LOCATION":
            return str(f.city())
        if entity == "USERNAME":
            return ("@" if value.startswith("@") else "") + str(f.user_name())
        return fill_shape(value, self.rng)


def _entity_class(entity: str) -> str:
    # One class for dates, so a DOB in a column and in a note get the same fake.
    return "DATE" if entity in ("DATE_OF_BIRTH", "DATE_TIME") else entity


def _keep_country(phone: str, rng: np.random.Generator) -> str:
    """Same layout; a leading +CC (or 00CC) country code is kept, the rest is redrawn."""
    m = re.match(r"^\s*(\+\d{1,3}|00\d{1,3})", phone)
    head = m.group(1) if m else ""
    body = fill_shape(phone[len(head) if m else 0 :], rng)
    # A first subscriber digit of 0 or 1 is invalid in NANP; keep the first digit as it was.
    first = next((i for i, c in enumerate(body) if c.isdigit()), None)
    original = phone[len(head) :] if m else phone
    first_orig = next((c for c in original if c.isdigit()), None)
    if first is not None and first_orig is not None:
        body = body[:first] + first_orig + body[first + 1 :]
    return (phone[: m.start(1)] if m else "") + head + body


def _card_like(card: str, rng: np.random.Generator) -> str:
    """Same length, grouping and issuer digit; a valid Luhn check digit."""
    shape = fill_shape(card, rng)
    positions = [i for i, c in enumerate(shape) if c.isdigit()]
    chars = list(shape)
    chars[positions[0]] = next(c for c in card if c.isdigit())
    for d in range(10):
        chars[positions[-1]] = str(d)
        if checksums.luhn_ok("".join(chars)):
            break
    return "".join(chars)


def _ssn_like(ssn: str, rng: np.random.Generator) -> str:
    for _ in range(50):
        candidate = fill_shape(ssn, rng)
        if checksums.ssn_plausible(candidate):
            return candidate
    return fill_shape(ssn, rng)  # pragma: no cover


def _shift_date(value: str, rng: np.random.Generator) -> str | None:
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        shift = int(rng.integers(1, DATE_SHIFT_DAYS + 1)) * (1 if rng.random() < 0.5 else -1)
        return (parsed + dt.timedelta(days=shift)).strftime(fmt)
    return None
