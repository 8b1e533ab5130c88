"""People, not rows: the unit of privacy in a set of linked tables.

An entity is every row that hangs together through the relations: a client, the account
they hold with another client, its loans, orders and cards. Entities are the connected
components of the rows, with reference tables left aside: a root table whose rows each stand
for many child rows (districts, branches, products) describes places or things shared by
many people, and would join everyone into one component.

The holdout is a random share of whole entities, so a held-out client's accounts, loans and
orders are all unseen. The disclosure checks judge one record per entity: the counts of its
rows per table, and per table the mean of each number and the most common value of each
category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config import Config
from privsynth.metadata import TableMetadata
from privsynth.relational.schema import Relation, TableSet
from privsynth.schema import infer_schema
from privsynth.seeds import Stream
from privsynth.tabular.suppress import SuppressionRule
from privsynth.vocab import Kind, Role

# A root table is reference data when every relation gives its rows this many children
# each, on average.
LOOKUP_FANOUT = 10


# A root table whose rows each join more than this many rows of the main table (the root
# table with most rows: the people) into one entity links unrelated people (an advisor and
# their clients), not a household: it is taken as reference data.
MAX_PEOPLE_PER_ROW = 2.0


def _fanout(ts: TableSet, name: str) -> float:
    children = [r for r in ts.children_of(name) if r.child != name]
    rows = len(ts.tables[name])
    if not children or not rows:
        return 0.0
    return min(len(ts.tables[r.child]) / rows for r in children)


def lookup_tables(ts: TableSet) -> frozenset[str]:
    """Reference tables: roots whose rows each stand for many children, and roots whose
    rows each join many people (rows of the largest root table) into one entity."""
    def roots(reference: set[str]) -> list[str]:
        """Tables with no parent but reference tables (and themselves)."""
        return [t for t in ts.tables if t not in reference and not [
            r for r in ts.parents_of(t) if r.parent != t and r.parent not in reference]]

    out = {t for t in roots(set()) if _fanout(ts, t) >= LOOKUP_FANOUT}
    while True:
        people = roots(out)
        if len(people) < 2:
            return frozenset(out)
        main = max(people, key=lambda t: (len(ts.tables[t]), t))
        labels = components(ts.tables, ts.relations, frozenset(out))
        per_entity = np.bincount(labels[main], minlength=1 + max(
            int(v.max()) for v in labels.values() if len(v)))
        joined = {t: float(per_entity[labels[t]].mean()) for t in people
                  if t != main and len(labels[t])}
        hubs = [t for t, n in joined.items() if n > MAX_PEOPLE_PER_ROW]
        if not hubs:
            return frozenset(out)
        out.add(max(hubs, key=lambda t: (joined[t], t)))


def components(tables: dict[str, pd.DataFrame], relations: tuple[Relation, ...],
               lookups: frozenset[str]) -> dict[str, np.ndarray]:
    """Each non-reference table's rows labelled by their entity (numbered from 0)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    names = [t for t in tables if t not in lookups]
    offset, total = {}, 0
    for t in names:
        offset[t] = total
        total += len(tables[t])
    rows, cols = [], []
    for r in relations:
        if r.parent in lookups or r.child in lookups:
            continue
        position = pd.Series(np.arange(len(tables[r.parent])), index=tables[r.parent][r.key])
        parent_row = tables[r.child][r.foreign_key].map(position)
        linked = parent_row.notna().to_numpy()
        rows.append(offset[r.child] + np.flatnonzero(linked))
        cols.append(offset[r.parent] + parent_row[linked].to_numpy(dtype=np.int64))
    edges_a = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    edges_b = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    graph = coo_matrix((np.ones(len(edges_a)), (edges_a, edges_b)), shape=(total, total))
    _, labels = connected_components(graph, directed=False)
    return {t: labels[offset[t]:offset[t] + len(tables[t])] for t in names}


def split_by_entity(tables: dict[str, pd.DataFrame], ts: TableSet, lookups: frozenset[str],
                    share: float, seed: int) -> tuple[dict[str, pd.DataFrame],
                                                     dict[str, pd.DataFrame], int, int]:
    """Training and holdout tables, a random ``share`` of entities held out whole; the
    reference tables are in both. Returns the two sets and their entity counts."""
    labels = components(tables, ts.relations, lookups)
    n = 1 + max((int(v.max()) for v in labels.values() if len(v)), default=-1)
    rng = seeds.rng(seed, Stream.ENTITY_SPLIT)
    held = np.zeros(n, dtype=bool)
    held[rng.choice(n, int(round(share * n)), replace=False)] = True
    train, holdout = {}, {}
    for name, frame in tables.items():
        if name in lookups:
            train[name] = holdout[name] = frame
            continue
        out = held[labels[name]]
        train[name] = frame[~out].reset_index(drop=True)
        holdout[name] = frame[out].reset_index(drop=True)
    return train, holdout, int(n - held.sum()), int(held.sum())


def entity_frame(tables: dict[str, pd.DataFrame], ts: TableSet, lookups: frozenset[str],
                 metas: dict[str, TableMetadata]) -> pd.DataFrame:
    """One record per entity: per table, its rows, and the mean of each number and the
    most common value of each category among them."""
    labels = components(tables, ts.relations, lookups)
    n = 1 + max((int(v.max()) for v in labels.values() if len(v)), default=-1)
    parts: dict[str, pd.Series] = {}
    for name in ts.order():
        if name in lookups:
            continue
        frame, label = tables[name], labels[name]
        keys = ts.keys_of(name)
        parts[f"{name}.rows"] = pd.Series(np.bincount(label, minlength=n))
        for col in metas[name].modelled:
            if col in keys or col not in frame.columns:
                continue
            kind = metas[name].schema[col].kind
            values = frame[col]
            if kind in (Kind.INTEGER, Kind.FLOAT):
                grouped = pd.to_numeric(values, errors="coerce").groupby(label).mean()
                parts[f"{name}.{col}.mean"] = grouped.reindex(range(n))
            elif kind == Kind.DATETIME:
                stamps = pd.to_datetime(values, errors="coerce")
                days = (stamps - pd.Timestamp("1970-01-01")).dt.days
                parts[f"{name}.{col}.mean_day"] = days.groupby(label).mean().reindex(range(n))
            else:
                text = values.astype("string").fillna("(missing)")
                parts[f"{name}.{col}.mode"] = _modes(text, label).reindex(range(n)) \
                    .fillna("(none)").astype(str)
    return pd.DataFrame(parts)


def _modes(values: pd.Series, label: np.ndarray) -> pd.Series:
    """Each entity's most common value (ties: the smallest, so an entity's mode does not
    depend on the other rows of its table), counted at once for all entities."""
    codes, uniques = pd.factorize(values.to_numpy(), sort=True)
    counts = pd.DataFrame({"g": label, "v": codes}).groupby(["g", "v"]).size() \
        .reset_index(name="n").sort_values(["g", "n", "v"], ascending=[True, False, True])
    first = counts.drop_duplicates("g")
    return pd.Series(np.asarray(uniques)[first["v"].to_numpy()], index=first["g"].to_numpy())


def entity_roles(columns: list[str], metas: dict[str, TableMetadata]) -> dict[str, str]:
    """An entity column keeps its source column's role (quasi-identifier, sensitive);
    counts are attributes."""
    roles = {}
    for col in columns:
        table, rest = col.split(".", 1)
        source = rest.rsplit(".", 1)[0]
        role = Role.ATTRIBUTE
        if table in metas and rest != "rows":
            found = next((c.role for c in metas[table].columns if c.name == source), None)
            if found in (Role.QUASI, Role.SENSITIVE):
                role = found
        roles[col] = str(role)
    return roles


# An identifier column of a child holds its parent's identifier when at least this share of
# the rows with both values agree.
SHARED_IDENTIFIER_SHARE = 0.9


def shared_identifiers(ts: TableSet, metas: dict[str, TableMetadata],
                       ) -> list[tuple[Relation, str, str]]:
    """(relation, child column, parent column) for each identifier of a child table that
    repeats its parent's (a client's email on each of their orders), parents first: the
    output carries the synthetic parent's fake there, so the same person has the same fake in
    every table."""
    found = []
    for name in ts.order():
        for r in ts.parents_of(name):
            parent = ts.tables[r.parent].drop_duplicates(r.key).set_index(r.key)
            child = ts.tables[name]
            for c in metas[name].identifier_columns:
                for p in metas[r.parent].identifier_columns:
                    theirs = child[r.foreign_key].map(parent[p])
                    both = child[c].notna() & theirs.notna()
                    if both.sum() and (child[c][both].astype(str).str.strip().str.lower()
                                       == theirs[both].astype(str).str.strip().str.lower()
                                       ).mean() >= SHARED_IDENTIFIER_SHARE:
                        found.append((r, c, p))
                        break
    return found


def carry_identifiers(released: dict[str, pd.DataFrame],
                      shared: list[tuple[Relation, str, str]]) -> None:
    """Set each shared identifier of a child to its synthetic parent's fake, in place."""
    for r, c, p in shared:
        parent = released[r.parent].drop_duplicates(r.key).set_index(r.key)[p]
        released[r.child][c] = released[r.child][r.foreign_key].map(parent).to_numpy()


def entity_metadata(frame: pd.DataFrame, metas: dict[str, TableMetadata],
                    config: Config) -> TableMetadata:
    """Roles and kinds of the entity records' columns."""
    schema = infer_schema(frame)
    return TableMetadata.build(schema, entity_roles(list(frame.columns), metas),
                               dict.fromkeys(frame.columns), config)


def suppress_entities(synthetic: dict[str, pd.DataFrame], train: dict[str, pd.DataFrame],
                      holdout: dict[str, pd.DataFrame], ts: TableSet, lookups: frozenset[str],
                      metas: dict[str, TableMetadata], config: Config,
                      ) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Suppression on people: a synthetic entity whose record sits on a training entity's
    (closer than the ``suppression.distance_quantile`` of holdout-to-training distances, or
    equal) or repeats a rare combination of their quasi-identifiers is dropped whole, with
    every row of it. Counts of what was dropped."""
    frames = [entity_frame(t, ts, lookups, metas) for t in (train, holdout, synthetic)]
    meta = entity_metadata(pd.concat(frames[:2]), metas, config)
    cols = meta.modelled
    rule = SuppressionRule.fit(frames[0][cols], frames[1][cols], meta.schema,
                               meta.quasi_identifiers, config.suppression, seed=config.seed)
    too_close, rare = rule.flags(frames[2][cols])
    drop = np.flatnonzero(too_close | rare)
    labels = components(synthetic, ts.relations, lookups)
    out = {t: f if t in lookups else f[~np.isin(labels[t], drop)].reset_index(drop=True)
           for t, f in synthetic.items()}
    return out, {"entities": len(frames[2]), "too_close": int(too_close.sum()),
                 "rare_combination": int((rare & ~too_close).sum())}
