"""The scan of a set of tables: each table's roles, its keys and the relation graph."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from privsynth.config import Config
from privsynth.pii.scan import PiiScanner, ScanResult
from privsynth.relational.schema import TableSet


@dataclass(frozen=True)
class TableSetScan:
    tables: TableSet
    scans: dict[str, ScanResult]  # each table's columns other than its keys

    def to_dict(self) -> dict[str, Any]:
        """Tables in parent-first order, each with its rows, keys and scanned columns; the
        relations with their orphan counts."""
        out: dict[str, Any] = {"tables": [], "relations": []}
        for name in self.tables.order():
            frame = self.tables.tables[name]
            keys = [{"name": r.key, "role": "primary key", "of": [f"{r.child}.{r.foreign_key}"]}
                    for r in self.tables.children_of(name)]
            keys += [{"name": r.foreign_key, "role": "foreign key",
                      "of": [f"{r.parent}.{r.key}"]} for r in self.tables.parents_of(name)]
            out["tables"].append({
                "name": name, "rows": len(frame), "keys": _merged(keys),
                "columns": [{"name": c.name, "role": str(c.role), "kind": str(c.kind),
                             "entities": [e.type for e in c.entities]}
                            for c in self.scans[name].columns],
            })
        out["relations"] = [{"parent": f"{r.parent}.{r.key}",
                             "child": f"{r.child}.{r.foreign_key}",
                             "orphans": self.tables.orphans[str(r)]}
                            for r in self.tables.relations]
        return out


def _merged(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per key column (a primary key that is also a foreign key keeps both)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for k in keys:
        entry = out.setdefault((k["name"], k["role"]), {**k, "of": []})
        entry["of"] = sorted({*entry["of"], *k["of"]})
    return list(out.values())


def scan_table_set(tables: TableSet, config: Config) -> TableSetScan:
    """Every table's non-key columns scanned as one table is. A ``scan.roles`` entry applies
    to a table when it names ``table.column``, or a bare column the table has."""
    scans = {}
    for name, frame in tables.tables.items():
        keys = tables.keys_of(name)
        columns = [c for c in frame.columns if c not in keys]
        roles = {col.split(".", 1)[1]: role for col, role in config.scan.roles.items()
                 if col.startswith(f"{name}.") and col.split(".", 1)[1] in columns}
        roles.update({col: role for col, role in config.scan.roles.items()
                      if col in columns and col not in roles})
        scanner = PiiScanner(dataclasses.replace(config.scan, roles=roles), config.seed)
        scans[name] = scanner.scan(frame[columns]) if columns else ScanResult((), {})
    return TableSetScan(tables, scans)
