"""Tables read straight from a database: SQLite or PostgreSQL, by URL.

``read_database`` reflects the schema (SQLAlchemy): the tables, their primary keys and their
single-column foreign keys, which become the set's relations. Only the chosen tables are
read, in chunks. Column types privsynth models (integers, numerics, floats, text, dates,
timestamps, booleans) are read as such; any other (binary, JSON, arrays, geometry) is named
and left out, never cast. A URL is only ever shown with its password masked: in messages,
logs and the report.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from privsynth.errors import InputError

logger = logging.getLogger(__name__)

SCHEMES = ("sqlite", "postgresql")
URL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
CHUNK_ROWS = 50_000
# Python types of the column types privsynth models.
_MODELLED = (int, float, decimal.Decimal, str, dt.date, dt.datetime, bool)


def is_url(text: str | Path) -> bool:
    return isinstance(text, str) and URL_RE.match(text) is not None


def masked(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


@dataclass(frozen=True)
class Database:
    """Tables read from a database, their reflected relations and what was left out."""

    url: str  # masked
    tables: dict[str, pd.DataFrame] = field(repr=False)
    relations: list[dict[str, str]]
    left_out: dict[str, dict[str, str]]  # table -> column -> its database type

    def input_info(self) -> dict[str, Any]:
        """The report's ``input``: the masked URL, and each table's rows and a sha256 of
        its rows in a canonical order (columns by name, rows sorted)."""
        return {"database": self.url, "tables": {
            name: {"rows": int(len(frame)), "sha256": frame_sha256(frame),
                   "columns_left_out": self.left_out.get(name, {})}
            for name, frame in self.tables.items()}}


def frame_sha256(frame: pd.DataFrame) -> str:
    """A hash of a table's rows that ignores row and column order."""
    cols = sorted(frame.columns)
    text = frame[cols].astype(str).agg("\x1f".join, axis=1) if cols else pd.Series([], dtype=str)
    digest = hashlib.sha256("\x1f".join(cols).encode())
    for row in sorted(text.tolist()):
        digest.update(row.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    match = URL_RE.match(url)
    scheme = (match.group(1) if match else "").split("+")[0].lower()
    if scheme not in SCHEMES:
        raise InputError(f"unsupported URL scheme '{scheme}': privsynth reads sqlite:/// and "
                         "postgresql:// databases")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"{masked(url)} is not a database URL") from None
    if scheme == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise InputError(f"no SQLite database at {path or '(no path)'}")
        # Read-only: reading must never create or change the source.
        return create_engine(f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, connect_args={"connect_timeout": 10})


def _reason(exc: BaseException, url: str) -> str:
    """The driver's first line, without the password."""
    from sqlalchemy.engine import make_url

    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else ""
    password = make_url(url).password if is_url(url) else None
    if password:
        text = text.replace(str(password), "***")
    return text[:200] or type(exc).__name__


def read_database(url: str, only: list[str] | None = None,
                  chunk_rows: int = CHUNK_ROWS) -> Database:
    """The chosen tables (all by default) with their rows, and the relations among them."""
    from sqlalchemy import MetaData, select
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(url)
    shown = masked(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            names = sorted(meta.tables)
            chosen = names if not only else list(dict.fromkeys(only))
            unknown = [t for t in chosen if t not in meta.tables]
            if unknown:
                raise InputError(f"no table {unknown[0]!r} in {shown}; it has: "
                                 f"{', '.join(names[:20]) or 'no tables'}")
            tables, left_out = {}, {}
            for name in chosen:
                table = meta.tables[name]
                keep, dropped = [], {}
                for col in table.columns:
                    try:
                        python = col.type.python_type
                    except NotImplementedError:
                        python = object
                    if issubclass(python, _MODELLED):
                        keep.append(col)
                    else:
                        dropped[col.name] = str(col.type)
                if dropped:
                    left_out[name] = dropped
                    logger.warning("%s: left out %d column(s) of a type privsynth does not "
                                   "model: %s", name, len(dropped), ", ".join(
                                       f"{c} ({t})" for c, t in dropped.items()))
                parts = list(pd.read_sql_query(select(*keep), conn, chunksize=chunk_rows))
                frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
                    columns=[c.name for c in keep])
                tables[name] = _plain(frame)
            relations = []
            for name in chosen:
                for fk in meta.tables[name].foreign_key_constraints:
                    parent = fk.referred_table.name
                    if len(fk.column_keys) != 1 or parent not in chosen:
                        continue
                    relations.append({"parent": f"{parent}.{fk.elements[0].column.name}",
                                      "child": f"{name}.{fk.elements[0].parent.name}"})
    except InputError:
        raise
    except SQLAlchemyError as exc:
        raise InputError(f"cannot read {shown}: {_reason(exc, url)}") from None
    finally:
        engine.dispose()
    return Database(shown, tables, relations, left_out)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Database values as a table file reads them: numerics as floats, dates and timestamps
    as ISO text."""
    out = frame.copy()
    for col in out.columns:
        values = out[col].dropna()
        if not len(values):
            continue
        first = values.iloc[0]
        if isinstance(first, decimal.Decimal):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
        elif isinstance(first, dt.datetime) or pd.api.types.is_datetime64_any_dtype(out[col]):
            stamps = pd.to_datetime(out[col], errors="coerce")
            fmt = "%Y-%m-%d" if (stamps.dropna().dt.normalize() == stamps.dropna()).all() \
                else "%Y-%m-%d %H:%M:%S"
            out[col] = stamps.dt.strftime(fmt).where(stamps.notna(), None)
        elif isinstance(first, dt.date):
            out[col] = out[col].map(lambda v: v.isoformat() if isinstance(v, dt.date) else None)
    return out


def merge_relations(reflected: list[dict[str, str]],
                    declared: list[dict[str, str]]) -> list[dict[str, str]]:
    """The reflected relations plus the config's, each once."""
    seen = {(r["parent"], r["child"]) for r in reflected}
    return reflected + [r for r in declared if (r["parent"], r["child"]) not in seen]
