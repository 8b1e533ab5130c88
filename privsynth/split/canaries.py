"""Canary records: unique fakes planted in the training rows to prove they do not come out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from faker import Faker

from privsynth import seeds
from privsynth.metrics.identifiers import identifier_values
from privsynth.pii.fakes import fill_shape, identifier_kind
from privsynth.pii.scan import ScanResult
from privsynth.seeds import Stream
from privsynth.vocab import Role


@dataclass(frozen=True)
class CanarySet:
    rows: pd.DataFrame
    # Normalised identifiers and unique phrases of the canaries. Never written anywhere.
    strings: frozenset[str]


def make_canaries(n: int, train: pd.DataFrame, scan: ScanResult, seed: int) -> CanarySet:
    """``n`` plausible records whose identifiers and text phrases are unique."""
    rng = seeds.rng(seed, Stream.CANARIES)
    fake = Faker("en_US")
    fake.seed_instance(seed + Stream.CANARIES)
    rows: dict[str, list[object]] = {c: [] for c in train.columns}
    strings: list[str] = []
    for i in range(n):
        tag = f"{int(rng.integers(16**6)):06x}"
        first = fake.first_name()
        last = f"{fake.last_name()}-{fake.last_name()}"
        name = f"{first} {last}"
        email = f"{first.lower()}.{tag}@canary.example.org"
        phrase = f"{fake.word()} {fake.word()} {fake.word()} {tag}"
        strings += [name, email, phrase]
        for col in train.columns:
            role = scan.role_of(col)
            real = train[col].dropna()
            if role == Role.IDENTIFIER:
                kind = identifier_kind(col, scan.entity_of(col))
                template = str(real.iloc[int(rng.integers(len(real)))]) if len(real) else "X9"
                value = {"name": name, "first": first, "last": last, "email": email}.get(
                    kind, fill_shape(template, rng)
                )
                strings.append(str(value))
                rows[col].append(value)
            elif role == Role.TEXT:
                rows[col].append(
                    f"{name} asked us to record the reference {phrase} on the "
                    f"account before closing ticket {i + 1}."
                )
            else:
                rows[col].append(real.iloc[int(rng.integers(len(real)))] if len(real) else None)
    frame = pd.DataFrame(rows, index=[f"canary-{i}" for i in range(n)])
    for col in train.columns:
        if len(frame) and frame[col].notna().any():
            try:
                frame[col] = frame[col].astype(train[col].dtype)
            except (TypeError, ValueError):
                pass
    return CanarySet(frame, identifier_values(strings))
