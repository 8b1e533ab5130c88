"""Free text of linked tables: each text column written by the local LLM, one text per
synthetic row, conditioned on its row and its parent's row.

A table's text is the text stage of a single table run on a context frame: the table's own
columns and, through its first relation, its parent's modelled columns (``parent.column``)
and identifiers. The real texts are scrubbed knowing every real identifier of the set (a
complaint names the client of the parent table); each generated text uses the row's own
fakes, and the text checks judge it against the table's real training texts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from privsynth.config import Config
from privsynth.engine import Engine
from privsynth.metadata import TableMetadata
from privsynth.pii.detect import PiiDetector
from privsynth.pii.fakes import Persona
from privsynth.relational.schema import Relation, TableSet
from privsynth.schema import ColumnSchema
from privsynth.split import Split
from privsynth.text.generator import TextGenerator
from privsynth.text.scrub_stage import ScrubOutcome, scrub_stage
from privsynth.text.stage import TextOutcome, text_stage
from privsynth.vocab import Role


@dataclass(frozen=True)
class TableText:
    """A table's generated text, and what its text checks read."""

    outcome: TextOutcome
    meta: TableMetadata  # the context frame's
    split: Split  # real context frames: training and holdout rows
    scrubbed: ScrubOutcome


def parent_of(ts: TableSet, name: str) -> Relation | None:
    return next((r for r in ts.parents_of(name) if r.parent != name), None)


def context_frame(rows: pd.DataFrame, parents: pd.DataFrame | None, relation: Relation | None,
                  columns: list[str], keys: Collection[str]) -> pd.DataFrame:
    """The table's non-key columns with its parent's ``columns`` as ``parent.column``."""
    frame = rows[[c for c in rows.columns if c not in keys]].reset_index(drop=True)
    if parents is None or relation is None:
        return frame
    indexed = parents.drop_duplicates(relation.key).set_index(relation.key)
    for c in columns:
        frame[f"{relation.parent}.{c}"] = rows[relation.foreign_key].map(indexed[c]).to_numpy()
    return frame


def context_metadata(meta: TableMetadata, parent_meta: TableMetadata | None,
                     relation: Relation | None, frame: pd.DataFrame,
                     config: Config) -> TableMetadata:
    """The context frame's columns: the table's own as scanned, its parent's as attributes
    (identifiers stay identifiers)."""
    schema: dict[str, ColumnSchema] = {}
    roles: dict[str, str] = {}
    entities: dict[str, str | None] = {}
    for c in meta.columns:
        if c.name in frame.columns:
            schema[c.name], roles[c.name], entities[c.name] = c.schema, str(c.role), c.entity
    if parent_meta is not None and relation is not None:
        for c in parent_meta.columns:
            name = f"{relation.parent}.{c.name}"
            if name in frame.columns:
                schema[name] = dataclasses.replace(c.schema, name=name)
                roles[name] = str(c.role if c.role == Role.IDENTIFIER else Role.ATTRIBUTE)
                entities[name] = c.entity
    return TableMetadata.build(schema, roles, entities, config)


def table_text(name: str, ts: TableSet, metas: dict[str, TableMetadata],
               train: dict[str, pd.DataFrame], holdout: dict[str, pd.DataFrame],
               synthetic: dict[str, pd.DataFrame], released: dict[str, pd.DataFrame],
               personas: tuple[Persona, ...], forbidden: frozenset[str], config: Config,
               engine: Engine, generator: TextGenerator | None,
               detector: PiiDetector) -> TableText:
    """One table's generated texts. ``released``: the output tables so far (fakes in place),
    ``forbidden``: every real identifier of the set, normalised."""
    relation = parent_of(ts, name)
    keys = ts.keys_of(name)
    parent_meta = metas[relation.parent] if relation else None
    columns = [] if parent_meta is None else [
        c for c in [*parent_meta.modelled, *parent_meta.identifier_columns]
        if c not in ts.keys_of(relation.parent)]  # type: ignore[union-attr]

    def frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        parents = tables[relation.parent] if relation else None
        return context_frame(tables[name], parents, relation, columns, keys)

    real_train, real_holdout = frame(train), frame(holdout)
    meta = context_metadata(metas[name], parent_meta, relation, real_train, config)
    split = Split(real_train, real_holdout)
    scrubbed = scrub_stage(pd.concat([real_train, real_holdout], ignore_index=True), split,
                           meta, config, detector, True)
    scrubbed = dataclasses.replace(scrubbed, real_ids=scrubbed.real_ids | forbidden)
    # The rows to write for: modelled columns as drawn, identifiers as released.
    rows = synthetic[name].reset_index(drop=True).copy()
    for c in metas[name].identifier_columns:
        rows[c] = released[name][c].to_numpy()
    outcome = text_stage(frame({**released, name: rows}), personas, split, meta, scrubbed,
                         config, engine, generator, detector)
    return TableText(outcome, meta, split, scrubbed)
