"""Canary entities: whole fake people planted in the training tables, each with its children.

A canary entity has the shape of a real training entity drawn at random (one client with two
accounts, three loans and five orders), but none of its values: every row is a canary record
of its table (``split.canaries``: unique fake identifiers, attributes drawn one by one from
the real columns), its keys are fresh, its foreign keys point at its own canary rows, and at
the real rows of reference tables (a district). The checks then look for the canaries'
identifiers in every output table, and for a synthetic entity equal to a canary entity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.metadata import TableMetadata
from privsynth.pii.scan import ScanResult
from privsynth.relational.entities import components, entity_frame
from privsynth.relational.schema import TableSet
from privsynth.relational.synth import surrogate_keys
from privsynth.seeds import Stream
from privsynth.split.canaries import make_canaries


@dataclass(frozen=True)
class EntityCanaries:
    tables: dict[str, pd.DataFrame]  # each table's canary rows
    records: pd.DataFrame  # one entity record per canary (``entity_frame``)
    strings: frozenset[str]  # normalised identifiers and phrases; never written anywhere


def plant_entities(n: int, train: dict[str, pd.DataFrame], ts: TableSet,
                   lookups: frozenset[str], scans: dict[str, ScanResult],
                   metas: dict[str, TableMetadata], seed: int,
                   forbidden: frozenset[str]) -> tuple[dict[str, pd.DataFrame], EntityCanaries]:
    """The training tables with ``n`` canary entities added, and the canaries."""
    rng = seeds.rng(seed, Stream.CANARIES)
    labels = components(train, ts.relations, lookups)
    people = np.unique(np.concatenate([v for t, v in labels.items() if t not in lookups]))
    chosen = rng.choice(people, min(n, len(people)), replace=False)
    new_keys: dict[tuple[str, str], dict[object, object]] = {}
    planted: dict[str, pd.DataFrame] = {}
    strings: set[str] = set()
    for k, name in enumerate(ts.order()):
        if name in lookups:
            continue
        shape = train[name][np.isin(labels[name], chosen)].reset_index(drop=True)
        keys = ts.keys_of(name)
        values = [c for c in train[name].columns if c not in keys]
        made = make_canaries(len(shape), train[name][values], scans[name],
                             seeds.derive(seed, Stream.CANARIES, k))
        rows = made.rows.reset_index(drop=True)
        strings |= made.strings
        for r in ts.children_of(name):
            if r.key in rows.columns:
                continue
            fresh = surrogate_keys(ts.tables[name][r.key], len(shape), rng, forbidden)
            new_keys[(name, r.key)] = dict(zip(shape[r.key], fresh, strict=True))
            rows[r.key] = fresh.to_numpy()
        for r in ts.parents_of(name):
            if r.parent in lookups:
                rows[r.foreign_key] = shape[r.foreign_key].to_numpy()  # a real place
            else:
                rows[r.foreign_key] = shape[r.foreign_key].map(
                    new_keys[(r.parent, r.key)]).to_numpy()
        planted[name] = rows[list(train[name].columns)]
    with_lookups = {**planted, **{t: train[t] for t in lookups}}
    records = entity_frame(with_lookups, ts, lookups, metas)
    out = {t: pd.concat([train[t], planted[t]], ignore_index=True) if t in planted else train[t]
           for t in train}
    return out, EntityCanaries(planted, records, frozenset(strings))
