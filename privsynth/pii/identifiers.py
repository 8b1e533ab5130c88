"""The identifiers stage: direct identifiers are never modelled; each row gets one fake person.

Every synthetic row gets a persona (name, email, phone), consistent across the row's
identifier columns and its generated text. No fake equals a real value: ``forbidden`` holds
the input's identifier values and every specific PII value found in real text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from privsynth.metadata import TableMetadata
from privsynth.pii.fakes import IdentifierFaker, Persona, domain_shares, identifier_kind

PHONE_FORMAT_SAMPLES = 200
# The identifier kinds a persona supplies.
PERSONA_KINDS = frozenset({"name", "first", "last", "email", "phone"})
# Stands in for a persona where no column reads one.
NO_PERSONA = Persona("", "", "", "")


@dataclass(frozen=True)
class IdentifiersOutcome:
    """Fake identifier columns (and empty columns kept empty), one persona per row."""

    columns: pd.DataFrame = field(repr=False)
    personas: tuple[Persona, ...] = field(repr=False)
    treatments: dict[str, str] = field(default_factory=dict)
    method: dict[str, Any] = field(default_factory=dict)


def identifiers_stage(
    table: pd.DataFrame, meta: TableMetadata, n_rows: int, forbidden: frozenset[str],
    seed: int, needs_text_personas: bool, text_phones: Sequence[str] = (),
) -> IdentifiersOutcome:
    """Fakes in each identifier column's own format; personas for generated text too
    (``text_phones``: phones found in the real texts, whose shapes a persona's phone takes
    when no column holds phones)."""
    ident_cols = meta.identifier_columns
    faker = IdentifierFaker(seed)
    phone_cols = [c for c in ident_cols if identifier_kind(c, meta.entity_of(c)) == "phone"]
    phone_formats = (
        table[phone_cols[0]].dropna().astype(str).head(PHONE_FORMAT_SAMPLES).tolist()
        if phone_cols else list(text_phones[:PHONE_FORMAT_SAMPLES]) or None
    )
    # Personas feed name, email and phone columns and generated text; a table with none of
    # them (only account numbers or codes, drawn in their own shape) needs none, which at a
    # million rows saves minutes.
    needs_personas = needs_text_personas or any(
        identifier_kind(c, meta.entity_of(c)) in PERSONA_KINDS for c in ident_cols)
    email_cols = [c for c in ident_cols if identifier_kind(c, meta.entity_of(c)) == "email"]
    domains = domain_shares(table[email_cols[0]].dropna().astype(str).tolist()) \
        if email_cols else None
    personas = faker.personas(n_rows if needs_personas else 0, forbidden, phone_formats,
                              domains)
    rows = personas if needs_personas else [NO_PERSONA] * n_rows
    columns = pd.DataFrame(index=range(n_rows))
    treatments: dict[str, str] = {}
    for col in ident_cols:
        columns[col] = faker.column(col, meta.entity_of(col), table[col], rows)
        treatments[col] = "replaced with fakes"
    for col in meta.empty_columns:
        columns[col] = pd.Series([None] * n_rows, dtype=object)
        treatments[col] = "kept empty"
    return IdentifiersOutcome(
        columns, tuple(personas), treatments,
        {"library": "faker", "locale": "en_US", "seed": seed},
    )
