"""Realistic fake identifiers from Faker, seeded, never equal to a real input value."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from faker import Faker

from privsynth.pii.scan import name_tokens


@dataclass(frozen=True)
class Persona:
    """One synthetic person: every identifier column of a row is drawn from the same persona."""

    first: str
    last: str
    email: str
    phone: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


def templates_lower(values: list[str]) -> set[str]:
    return {" ".join(v.lower().split()) for v in values}


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", norm.lower())


# A character that this share of a column's real values of one length hold at one place is
# part of the format ("AC-", "T10", a phone's "555"), not of anyone's value: fakes keep it.
# Only where at least MIN_FORMAT_VALUES values of that length show it.
CONSTANT_SHARE = 0.95
MIN_FORMAT_VALUES = 20
FORMAT_SAMPLE = 10_000  # values a format's constants are read from
# An email domain at least this many distinct real addresses share is the organisation's
# (example.org), not a person's: personas use such domains as often as the real ones do.
MIN_DOMAIN_VALUES = 5


def format_constants(values: Sequence[str]) -> dict[int, dict[int, str]]:
    """Per value length, the places where (nearly) every real value has the same letter or
    digit."""
    step = max(1, len(values) // FORMAT_SAMPLE)  # evenly spaced: a sorted column's tail too
    by_length: dict[int, list[str]] = defaultdict(list)
    for v in values[::step]:
        by_length[len(v)].append(v)
    out: dict[int, dict[int, str]] = {}
    for n, same in by_length.items():
        if len(same) < MIN_FORMAT_VALUES:
            continue
        keep = {}
        for i in range(n):
            ch, count = Counter(v[i] for v in same).most_common(1)[0]
            if ch.isalnum() and count >= CONSTANT_SHARE * len(same):
                keep[i] = ch
        if keep and len(keep) < n:
            out[n] = keep
    return out


def domain_shares(values: Sequence[str]) -> dict[str, float]:
    """The email domains at least ``MIN_DOMAIN_VALUES`` distinct addresses share, each with
    the share of the real addresses at it."""
    addresses = {v.strip().lower() for v in values if "@" in v}
    counts = Counter(a.rsplit("@", 1)[1] for a in addresses)
    return {d: n / len(addresses) for d, n in counts.items() if n >= MIN_DOMAIN_VALUES}


def fill_shape(template: str, rng: np.random.Generator,
               keep: Mapping[int, str] | None = None) -> str:
    """Keep the punctuation and layout of ``template``, and the characters ``keep`` gives by
    place (the format's constants); draw every other digit and letter anew."""
    out = []
    for i, ch in enumerate(template):
        if keep and i in keep:
            out.append(keep[i])
        elif ch.isdigit():
            out.append(str(rng.integers(0, 10)))
        elif ch.isalpha():
            letter = chr(ord("a") + int(rng.integers(0, 26)))
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


_KIND_BY_TOKEN = (
    ({"email", "mail"}, "email"),
    ({"first", "given", "forename", "firstname"}, "first"),
    ({"last", "surname", "family", "lastname"}, "last"),
    ({"phone", "tel", "telephone", "mobile", "cell", "fax"}, "phone"),
    ({"ssn"}, "ssn"),
    ({"ip", "mac"}, "ip"),
    ({"address", "street", "addr"}, "address"),
    ({"username", "login", "user"}, "username"),
    ({"name", "fullname"}, "name"),
)
_KIND_BY_ENTITY = {
    "EMAIL_ADDRESS": "email",
    "PERSON": "name",
    "PHONE_NUMBER": "phone",
    "US_SSN": "ssn",
    "IP_ADDRESS": "ip",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "URL": "url",
}


def identifier_kind(name: str, entity: str | None) -> str:
    """What kind of identifier a column holds: the column name wins over Presidio's guess."""
    tokens = set(name_tokens(name))
    for words, kind in _KIND_BY_TOKEN:
        if tokens & words:
            return kind
    return _KIND_BY_ENTITY.get(entity or "", "code")


class IdentifierFaker:
    """Generates identifier columns for synthetic rows. Holds no mapping to real values."""

    def __init__(self, seed: int, locale: str = "en_US") -> None:
        self.seed = seed
        self.faker = Faker(locale)
        self.faker.seed_instance(seed)
        self.rng = np.random.default_rng(seed)

    def personas(
        self,
        n: int,
        forbidden: frozenset[str] = frozenset(),
        phone_formats: list[str] | None = None,
        domains: Mapping[str, float] | None = None,
    ) -> list[Persona]:
        """``n`` personas whose name, email and phone differ from every ``forbidden`` value.

        ``forbidden`` holds real identifier values, lowercased with single spaces. Phones
        take the shapes of ``phone_formats`` (real phones) and their constants; an email
        takes a ``domains`` domain with its probability, a free mail domain otherwise.
        """
        out: list[Persona] = []
        constants = format_constants(phone_formats) if phone_formats else {}
        shared = list((domains or {}).items())
        cut = np.cumsum([p for _, p in shared]) if shared else np.array([])
        while len(out) < n:
            first, last = self.faker.first_name(), self.faker.last_name()
            pick = int(np.searchsorted(cut, self.rng.random(), side="right")) if shared else 0
            domain = shared[pick][0] if pick < len(shared) else self.faker.free_email_domain()
            tag = int(self.rng.integers(1, 100))
            email = f"{_ascii(first)}.{_ascii(last)}{tag}@{domain}"
            if phone_formats:
                shape = phone_formats[int(self.rng.integers(len(phone_formats)))]
                phone = fill_shape(shape, self.rng, constants.get(len(shape)))
            else:
                phone = self.faker.numerify("(###) ###-####")
            persona = Persona(first, last, email, phone)
            keys = {f"{first} {last}".lower(), email, persona.phone.lower()}
            if not keys & forbidden:
                out.append(persona)
        return out

    def column(
        self, name: str, entity: str | None, real: pd.Series, personas: list[Persona]
    ) -> list[object]:
        """Fake values for one identifier column, one per persona, in the real column's format."""
        forbidden = set(real.dropna().astype(str))
        integers = pd.api.types.is_integer_dtype(real.dtype)

        def written(v: object) -> str:
            return str(int(re.sub(r"\D", "", str(v)) or 0)) if integers else str(v)

        templates = [v for v in real.dropna().astype(str).tolist() if v.strip()] or ["XXXX-9999"]
        constants = format_constants(templates)
        shares: dict[str, float] | None = None  # a fresh person's email domains, read once
        null_share = float(real.isna().mean()) if len(real) else 0.0
        values: list[object] = []
        lowered: frozenset[str] | None = None  # the real values, normalised: built once
        for persona in personas:
            if null_share and self.rng.random() < null_share:
                values.append(None)
                continue
            value = self._one(name, entity, persona, templates, constants=constants)
            tries = 0
            # Checked as it will be written: in an integer column "0412" is 412.
            while written(value) in forbidden and tries < 20:
                if lowered is None:
                    lowered = frozenset(templates_lower(templates))
                    shares = domain_shares(templates)
                value = self._one(name, entity, persona, templates, fresh=True,
                                  lowered=lowered, constants=constants, shares=shares)
                tries += 1
            if written(value) in forbidden:  # pragma: no cover - astronomically unlikely
                value = fill_shape(templates[0], self.rng) + "-x"
            values.append(value)
        if integers:
            return [None if v is None else int(written(v)) for v in values]
        return values

    def _one(
        self, name: str, entity: str | None, p: Persona, templates: list[str],
        fresh: bool = False, lowered: frozenset[str] | None = None,
        constants: Mapping[int, Mapping[int, str]] | None = None,
        shares: Mapping[str, float] | None = None,
    ) -> str:
        kind = identifier_kind(name, entity)
        if fresh and kind in ("email", "first", "last", "name", "phone"):  # a new person
            if lowered is None:
                lowered = frozenset(templates_lower(templates))
            p = self.personas(1, lowered, templates, shares)[0]
        f = self.faker
        simple = {
            "email": lambda: p.email,
            "first": lambda: p.first,
            "last": lambda: p.last,
            "name": lambda: p.full_name,
            "phone": lambda: p.phone,
            "ssn": f.ssn,
            "address": f.street_address,
            "ip": f.ipv4,
            "card": f.credit_card_number,
            "iban": f.iban,
            "url": f.url,
            "username": f.user_name,
        }
        if kind in simple:
            return str(simple[kind]())
        template = self._template(templates)
        return fill_shape(template, self.rng, (constants or {}).get(len(template)))

    def _template(self, templates: list[str]) -> str:
        return templates[int(self.rng.integers(0, len(templates)))]

    def fake_for_entity(self, entity: str, forbidden: frozenset[str] = frozenset()) -> str:
        """A free-standing fake for an entity found in generated text, never a ``forbidden``
        (real, normalised) value."""
        for _ in range(50):
            value = self._entity_fake(entity)
            if " ".join(value.lower().split()) not in forbidden:
                return value
        return "[redacted]"

    def _entity_fake(self, entity: str) -> str:
        f = self.faker
        return {
            "PERSON": f.name,
            "EMAIL_ADDRESS": f.email,
            "PHONE_NUMBER": f.phone_number,
            "US_SSN": f.ssn,
            "CREDIT_CARD": f.credit_card_number,
            "IBAN_CODE": f.iban,
            "IP_ADDRESS": f.ipv4,
            "URL": f.url,
            "LOCATION": f.city,
        }.get(entity, lambda: "[redacted]")()
