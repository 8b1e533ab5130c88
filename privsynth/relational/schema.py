"""The relations of a set of tables, checked against the data before any work.

A relation is a foreign key: ``child.column`` holds values of ``parent.key``, the parent's
primary key. A set of tables is usable when every relation names tables and columns that
exist, every parent key is unique and never missing, key and foreign key have the same type
(integer or text), and no chain of required foreign keys (ones never missing) leads back to
its own table. Foreign-key values with no parent row are orphans: counted here, and dropped
or refused later by the policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from privsynth.errors import InputError
from privsynth.io import input_parts, read_table


@dataclass(frozen=True)
class Relation:
    parent: str
    key: str  # the parent's primary key
    child: str
    foreign_key: str

    @classmethod
    def from_config(cls, entry: Mapping[str, str]) -> Relation:
        parent, key = entry["parent"].split(".", 1)
        child, foreign_key = entry["child"].split(".", 1)
        return cls(parent, key, child, foreign_key)

    def __str__(self) -> str:
        return f"{self.parent}.{self.key} -> {self.child}.{self.foreign_key}"


@dataclass(frozen=True)
class TableSet:
    """Validated tables and relations: the graph every relational stage reads."""

    tables: dict[str, pd.DataFrame] = field(repr=False)
    relations: tuple[Relation, ...]
    orphans: dict[str, int]  # per relation (its str), foreign-key values with no parent row

    def parents_of(self, table: str) -> list[Relation]:
        return [r for r in self.relations if r.child == table]

    def children_of(self, table: str) -> list[Relation]:
        return [r for r in self.relations if r.parent == table]

    def keys_of(self, table: str) -> set[str]:
        """The table's key columns: its primary key if a child refers to it, and its foreign
        keys."""
        return ({r.key for r in self.children_of(table)}
                | {r.foreign_key for r in self.parents_of(table)})

    def order(self) -> list[str]:
        """Tables with every parent before its children (self-references aside); ties by
        name."""
        done: list[str] = []
        waiting = sorted(self.tables)
        while waiting:
            ready = [t for t in waiting
                     if all(r.parent in done or r.parent == t for r in self.parents_of(t))]
            if not ready:  # a cycle of optional keys: break it at the first table by name
                ready = waiting[:1]
            done.append(ready[0])
            waiting.remove(ready[0])
        return done


def children_per_parent(tables: dict[str, pd.DataFrame], r: Relation) -> np.ndarray:
    """For each row of ``r``'s parent table, how many rows of its child table refer to it."""
    counts = tables[r.child][r.foreign_key].value_counts()
    return tables[r.parent][r.key].map(counts).fillna(0).to_numpy(dtype=np.int64)


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Each table file of a folder, by its stem."""
    if not Path(folder).is_dir():
        raise InputError(f"{folder} is not a folder; linked tables are read from a folder")
    tables: dict[str, pd.DataFrame] = {}
    for path in input_parts(folder):
        name = path.name.split(".")[0]
        if name in tables:
            raise InputError(f"two files in {folder} name the table {name!r}")
        tables[name] = read_table(path)
    return tables


def _kind(series: pd.Series) -> str:
    """integer, text or other; a float column of whole numbers (an integer key with missing
    values, as CSV reads it) is integer."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return "other"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "integer" if (values == values.round()).all() else "other"
    if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
        return "text"
    return "other"


def _cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle in a directed graph of (from, to) edges, as its tables, or None."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1 on the path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, [])):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def table_set(tables: dict[str, pd.DataFrame], relations: Iterable[Mapping[str, str]],
              unrelated_ok: bool = False) -> TableSet:
    """The tables and relations, validated; any problem is an InputError of one line.
    ``unrelated_ok``: tables without relations are a set too (a database's scan)."""
    rels = tuple(Relation.from_config(r) for r in relations)
    if not rels and not unrelated_ok:
        raise InputError("a set of tables needs at least one [[relations]] entry in the config "
                         "or a foreign key in the database's schema; nothing links "
                         f"{', '.join(sorted(tables))}")
    for r in rels:
        for table, column, side in ((r.parent, r.key, "parent"),
                                    (r.child, r.foreign_key, "child")):
            if table not in tables:
                raise InputError(f"relation {r}: no table {table!r} in the input "
                                 f"(tables: {', '.join(sorted(tables))})")
            if column not in tables[table].columns:
                raise InputError(f"relation {r}: the {side} table {table!r} has no column "
                                 f"{column!r}")
    for r in rels:
        key = tables[r.parent][r.key]
        if key.isna().any():
            raise InputError(f"relation {r}: the parent key {r.parent}.{r.key} has "
                             f"{int(key.isna().sum())} missing values; a key must be set")
        dupes = int(key.duplicated().sum())
        if dupes:
            raise InputError(f"relation {r}: the parent key {r.parent}.{r.key} has {dupes} "
                             "duplicate values; a parent key must be unique")
        kinds = _kind(key), _kind(tables[r.child][r.foreign_key])
        if kinds[0] == "other" or kinds[0] != kinds[1]:
            raise InputError(f"relation {r}: the key is {kinds[0]} but the foreign key is "
                             f"{kinds[1]}; they must have the same type (integer or text)")
    required = [(r.child, r.parent) for r in rels
                if r.child != r.parent and tables[r.child][r.foreign_key].notna().all()]
    loop = _cycle(required)
    if loop:
        raise InputError("the relations form a cycle of required foreign keys: "
                         f"{' -> '.join(loop)}; one of them must allow missing values")
    orphans = {}
    for r in rels:
        fk = tables[r.child][r.foreign_key].dropna()
        parent = tables[r.parent][r.key]
        if _kind(parent) == "integer":
            fk, parent = fk.astype("int64"), parent.astype("int64")
        else:
            fk, parent = fk.astype(str), parent.astype(str)
        orphans[str(r)] = int((~fk.isin(parent)).sum())
    return TableSet(dict(tables), rels, orphans)
