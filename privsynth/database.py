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
    # table -> column -> its type, for the columns of a type privsynth does not model
    unmodelled: dict[str, dict[str, Any]] = field(repr=False)
    types: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # read columns
    notes: list[str] = field(default_factory=list)  # for the report: e.g. sampled to fit

    @property
    def left_out(self) -> dict[str, dict[str, str]]:
        """The unmodelled columns by table, each with its database type's name."""
        return {t: {c: str(kind) for c, kind in cols.items()}
                for t, cols in self.unmodelled.items()}

    def unmodelled_columns(self, setting: str) -> dict[str, dict[str, Any]]:
        """The left-out columns to write back as all-NULL columns ("keep"), after refusing
        the run if the config says so ("refuse")."""
        left_out = self.left_out
        if not left_out:
            return {}
        if setting != "refuse":
            for name, cols in left_out.items():
                logger.warning("%s: %d column(s) of a type privsynth does not model %s: %s",
                               name, len(cols), "left out" if setting == "drop" else
                               "kept as all-NULL columns", ", ".join(
                                   f"{c} ({t})" for c, t in cols.items()))
        if setting == "drop":
            return {}
        if setting == "refuse":
            table, cols = next(iter(left_out.items()))
            column, kind = next(iter(cols.items()))
            raise InputError(f"{table}.{column} is {kind}, a type privsynth does not model; "
                             "set [database] unmodelled_columns to \"drop\" or \"keep\" "
                             "in the config, or leave the table out with --tables")
        return self.unmodelled

    def input_info(self) -> dict[str, Any]:
        """The report's ``input``: the masked URL, and each table's rows and a sha256 of
        its rows in a canonical order (columns by name, rows sorted)."""
        left_out = self.left_out
        return {"database": self.url, "notes": self.notes, "tables": {
            name: {"rows": int(len(frame)), "sha256": frame_sha256(frame),
                   "columns_left_out": left_out.get(name, {})}
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

    scheme = _scheme(url, "reads")
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
    return create_engine(_with_driver(url), connect_args={"connect_timeout": 10})


def _reason(exc: BaseException, url: str) -> str:
    """The driver's first line, without the password."""
    from sqlalchemy.engine import make_url

    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else ""
    password = make_url(url).password if is_url(url) else None
    if password:
        text = text.replace(str(password), "***")
    return text[:200] or type(exc).__name__


def read_database(url: str, only: list[str] | None = None, chunk_rows: int = CHUNK_ROWS,
                  memory: str | None = None, seed: int = 0, linked: bool = False) -> Database:
    """The chosen tables (all by default) with their rows, and the relations among them.

    ``memory`` (a budget such as "auto" or "4GB"): a lone table whose run would not fit is
    sampled (uniform, seeded) while its chunks are read, so all of its rows are never held;
    linked tables (``linked``: the config declares relations) are read whole, as their keys
    need every row, and the read stops with a one-line error past the budget."""
    from sqlalchemy import MetaData
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
            relations = []
            for name in chosen:
                for fk in meta.tables[name].foreign_key_constraints:
                    parent = fk.referred_table.name
                    if len(fk.column_keys) != 1 or parent not in chosen:
                        continue
                    relations.append({"parent": f"{parent}.{fk.elements[0].column.name}",
                                      "child": f"{name}.{fk.elements[0].parent.name}"})
            lone = memory if len(chosen) == 1 and not relations and not linked else None
            whole = _LinkedBudget(memory, shown) if memory and not lone else None
            tables, types, notes = {}, {}, []
            unmodelled: dict[str, dict[str, Any]] = {}
            for name in chosen:
                keep, dropped = _modelled_columns(meta.tables[name])
                if dropped:
                    unmodelled[name] = {c.name: c.type for c in dropped}
                frame, note = _read_rows(conn, meta.tables[name], keep, chunk_rows, lone, seed,
                                         whole)
                if note:
                    notes.append(note)
                tables[name] = _plain(frame)
                types[name] = {c.name: c.type for c in keep}
    except InputError:
        raise
    except SQLAlchemyError as exc:
        raise InputError(f"cannot read {shown}: {_reason(exc, url)}") from None
    finally:
        engine.dispose()
    empty = sorted(name for name, frame in tables.items() if frame.empty)
    if empty and len(empty) == len(tables):
        raise InputError(f"no rows in {', '.join(empty)} of {shown}: nothing to synthesize")
    for name in empty:  # nothing to learn from, and nothing to release
        notes.append(f"table {name} has no rows: left out")
        logger.warning("%s has no rows: left out", name)
        del tables[name], types[name]
        unmodelled.pop(name, None)
    relations = [r for r in relations if not {r["parent"].split(".", 1)[0],
                                              r["child"].split(".", 1)[0]} & set(empty)]
    return Database(shown, tables, relations, unmodelled, types, notes)


def _modelled_columns(table: Any) -> tuple[list[Any], list[Any]]:
    """The columns of types privsynth models, and the others."""
    keep, dropped = [], []
    for col in table.columns:
        try:
            python = col.type.python_type
        except NotImplementedError:
            python = object
        if issubclass(python, _MODELLED):
            keep.append(col)
        else:
            dropped.append(col)
    return keep, dropped


class _LinkedBudget:
    """Linked tables are read whole (their keys need every row): the read stops, with a
    one-line error, as soon as the rows read so far would need more than the budget."""

    def __init__(self, memory: str, shown: str) -> None:
        from privsynth.config_rules import parse_memory

        self.budget = parse_memory(memory)
        self.shown = shown
        self.bytes = 0

    def add(self, part: pd.DataFrame) -> None:
        from privsynth.resources import LINKED_PEAK_PER_INPUT_BYTE, human_size

        self.bytes += int(part.memory_usage(deep=True).sum())
        need = self.bytes * LINKED_PEAK_PER_INPUT_BYTE
        if self.budget is not None and need > self.budget:
            raise InputError(f"the chosen tables of {self.shown} need more than "
                             f"{human_size(need)} of memory, over the budget of "
                             f"{human_size(self.budget)}: pick fewer tables with --tables, "
                             "or raise --max-memory on a larger machine")


def _read_rows(conn: Any, table: Any, keep: list[Any], chunk_rows: int, memory: str | None,
               seed: int, linked: _LinkedBudget | None = None,
               ) -> tuple[pd.DataFrame, str | None]:
    """A table's rows in key order (a server returns rows in any order, and a seeded run must
    see them in the same order every time), in chunks; sampled while read if ``memory`` is
    a budget the whole table would not fit; ``linked`` counts a linked set's rows against
    its budget."""
    import numpy as np
    from sqlalchemy import func, select

    from privsynth import seeds
    from privsynth.config_rules import parse_memory
    from privsynth.resources import MIN_SAMPLE_ROWS, estimate_peak, sampled_note

    order = [c for c in keep if c.primary_key] or keep
    chunks = pd.read_sql_query(select(*keep).order_by(*order), conn, chunksize=chunk_rows)
    budget = parse_memory(memory) if memory else None
    picked: np.ndarray | None = None
    total = peak = 0
    parts, start = [], 0
    for part in chunks:
        if budget is not None and picked is None:
            total = int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
            peak = estimate_peak(part) * total // max(len(part), 1)
            keep_rows = max(MIN_SAMPLE_ROWS, int(total * budget / max(peak, 1)))
            picked = np.arange(total) if peak <= budget or keep_rows >= total else np.sort(
                seeds.rng(seed, seeds.Stream.MEMORY_SAMPLE).choice(total, keep_rows,
                                                                  replace=False))
        if picked is not None and len(picked) < total:
            lo, hi = np.searchsorted(picked, [start, start + len(part)])
            part = part.iloc[picked[lo:hi] - start]
        if linked is not None:
            linked.add(part)
        parts.append(part)
        start += chunk_rows
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[c.name for c in keep])
    if picked is None or len(picked) >= total:
        return frame, None
    return frame, sampled_note(total, len(frame), memory or "auto", budget or 0, peak,
                               "while reading")


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


def _same_database(a: str, b: str) -> bool:
    from sqlalchemy.engine import make_url

    ua, ub = make_url(a), make_url(b)
    if ua.get_backend_name() == ub.get_backend_name() == "sqlite":
        return bool(ua.database and ub.database) and \
            Path(str(ua.database)).resolve() == Path(str(ub.database)).resolve()
    def where(u: Any) -> tuple[Any, ...]:  # a Unix socket's folder is its host; a schema
        return (u.get_backend_name(), u.host or u.query.get("host"),  # its search_path
                u.port or u.query.get("port"), u.database, u.query.get("options"))

    return bool(where(ua) == where(ub))


def check_target(url: str, source: str | None, force: bool) -> None:
    """Before any work: the target is a database privsynth can write, is not the source,
    and holds no table (unless ``force``). Nothing is created or written here."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    shown = masked(url)
    if not is_url(url):
        raise InputError(f"--to-db needs a database URL, not {url!r}")
    _scheme(url, "writes")
    if source is not None and is_url(source) and _same_database(url, source):
        raise InputError(f"the target {shown} is the source database; write the release "
                         "into another database")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(str(parsed.database or ""))
        if not parsed.database or not path.parent.is_dir():
            raise InputError(f"cannot write a SQLite database at {parsed.database or '(none)'}")
        if not path.exists():
            return
    engine = create_engine(_with_driver(url))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql" and conn.exec_driver_sql(
                    "SELECT current_schema()").scalar() is None:
                raise InputError(f"the target {shown} names no schema that exists (its "
                                 "search_path); create the schema first")
            names = inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        raise InputError(f"cannot reach {shown}: {_reason(exc, url)}") from None
    finally:
        engine.dispose()
    if names and not force:
        raise InputError(f"the target {shown} is not empty ({len(names)} tables); pass "
                         "--force to replace them")


def _scheme(url: str, verb: str) -> str:
    """The URL's scheme without its driver, if privsynth ``verb`` (reads, writes) it."""
    match = URL_RE.match(url)
    scheme = (match.group(1) if match else "").split("+")[0].lower()
    if scheme not in SCHEMES:
        raise InputError(f"unsupported URL scheme '{scheme}': privsynth {verb} sqlite:/// and "
                         "postgresql:// databases")
    return scheme


def _with_driver(url: str) -> Any:
    """The parsed URL, PostgreSQL through psycopg 3 unless it names a driver."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _column_type(series: pd.Series, declared: Any = None) -> Any:
    from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Text

    if declared is not None:
        try:
            return declared.as_generic()
        except NotImplementedError:
            pass
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return Boolean()
    if pd.api.types.is_integer_dtype(series):
        return Integer()
    if pd.api.types.is_float_dtype(series):
        return Float()
    text = values.astype(str)
    if len(text) and text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return Date()
    if len(text) and text.str.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}").all():
        return DateTime()
    return Text()


def _python(value: Any, kind: Any) -> Any:
    """A cell as the column type takes it (dates and timestamps parsed from ISO text)."""
    from sqlalchemy import Date, DateTime, Integer

    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(kind, Integer) and isinstance(value, float):
        return int(value)
    if isinstance(kind, DateTime):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(kind, Date):
        return pd.Timestamp(value).date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_database(url: str, tables: dict[str, pd.DataFrame],
                   relations: list[dict[str, str]], force: bool,
                   declared: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Write the released tables, with their primary keys and foreign-key constraints, in
    one transaction: on any error the target is left as it was. Returns the report's
    ``outputs.database``: the masked URL and each table's rows and canonical sha256, as read
    back."""
    from sqlalchemy import Column, ForeignKeyConstraint, MetaData, Table, create_engine
    from sqlalchemy.exc import SQLAlchemyError

    keys = {r["parent"].split(".", 1)[0]: r["parent"].split(".", 1)[1] for r in relations}
    meta = MetaData()
    defined: dict[str, Table] = {}
    order = _parents_first(list(tables), relations)
    for name in order:
        frame = tables[name]
        columns = [Column(c, _column_type(frame[c], (declared or {}).get(name, {}).get(c)),
                          primary_key=(keys.get(name) == c)) for c in frame.columns]
        fks = [ForeignKeyConstraint([r["child"].split(".", 1)[1]], [r["parent"]])
               for r in relations if r["child"].split(".", 1)[0] == name]
        defined[name] = Table(name, meta, *columns, *fks)
    engine = create_engine(_with_driver(url))
    if engine.dialect.name == "sqlite":
        _transactional_ddl(engine)
    try:
        with engine.begin() as conn:  # one transaction, tables and rows
            if force:
                old = MetaData()
                old.reflect(conn)
                old.drop_all(conn)
            meta.create_all(conn)
            for name in order:
                table = defined[name]
                kinds = {c.name: c.type for c in table.columns}
                frame = tables[name]
                for start in range(0, len(frame), CHUNK_ROWS):
                    part = frame.iloc[start:start + CHUNK_ROWS]
                    rows = [{c: _python(v, kinds[c]) for c, v in zip(part.columns, row,
                                                                        strict=True)}
                            for row in part.itertuples(index=False, name=None)]
                    if rows:
                        conn.execute(table.insert(), rows)
    except SQLAlchemyError as exc:
        raise InputError(f"cannot write to {masked(url)}: {_reason(exc, url)}; the target "
                         "was left as it was") from None
    finally:
        engine.dispose()
    written = read_database(url, order)
    return {"url": written.url, "tables": {
        name: {"rows": int(len(frame)), "sha256": frame_sha256(frame)}
        for name, frame in written.tables.items()}}


def _transactional_ddl(engine: Any) -> None:
    """SQLite's Python driver commits before a CREATE TABLE on its own; with the driver's
    transaction handling off and BEGIN emitted here, the tables are in the transaction too
    (SQLAlchemy's documented recipe)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def verify_database(section: dict[str, Any]) -> list[str]:
    """What of a database release no longer matches its report. The report's URL has no
    password: the driver's own sources give it (``PGPASSWORD``, ``~/.pgpass``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(section["url"])
    if parsed.password == "***":  # URL.set(password=None) would keep it: a new URL instead
        parsed = parsed._replace(password=None)
    try:
        now = read_database(parsed.render_as_string(hide_password=False),
                            list(section["tables"]))
    except InputError as exc:
        return [str(exc)]
    problems = []
    for name, entry in section["tables"].items():
        frame = now.tables[name]
        if frame_sha256(frame) != entry["sha256"]:
            problems.append(f"table {name} in {section['url']} differs from the release "
                            f"({len(frame):,} rows; the report says {entry['rows']:,})")
    return problems


def _parents_first(names: list[str], relations: list[dict[str, str]]) -> list[str]:
    out: list[str] = []
    pending = list(names)
    while pending:
        for name in pending:
            parents = {r["parent"].split(".", 1)[0] for r in relations
                       if r["child"].split(".", 1)[0] == name} - {name}
            if parents <= set(out):
                out.append(name)
                pending.remove(name)
                break
        else:  # a cycle: the rest in their order
            out += pending
            break
    return out
