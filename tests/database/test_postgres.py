"""The same runs against a real PostgreSQL server (started for the session by conftest.py):
Berka in, a release out into a second database, every key checked with SQL, types that
survive the round trip, credentials the way PostgreSQL users give them, and bad input that
leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from privsynth.cli import main
from privsynth.database import _with_driver, read_database, write_database
from privsynth.errors import InputError
from tests.database import berka, pgserver

needs_berka = pytest.mark.skipif(not berka.available(), reason="the Berka files are missing")


def _sql(url: str, query: str) -> list[tuple]:
    engine = create_engine(_with_driver(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


ORPHANS = """
SELECT tc.table_name, kcu.column_name, ccu.table_name, ccu.column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name
JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name
WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
"""


def _foreign_keys_hold(url: str) -> list[tuple[str, str, str, str]]:
    """Every declared foreign key of the database, each checked for orphans with SQL."""
    keys = _sql(url, ORPHANS)
    for child, fk, parent, pk in keys:
        orphans = _sql(url, f'SELECT COUNT(*) FROM "{child}" c LEFT JOIN "{parent}" p '
                            f'ON c."{fk}" = p."{pk}" WHERE c."{fk}" IS NOT NULL '
                            f'AND p."{pk}" IS NULL')[0][0]
        assert orphans == 0, f"{child}.{fk} -> {parent}.{pk}: {orphans} orphans"
    return keys


@needs_berka
def test_berka_from_postgresql_is_released_into_a_second_database(postgres, tmp_path,
                                                                  capsys, monkeypatch) -> None:
    source = pgserver.create_database(postgres, "berka")
    target = pgserver.create_database(postgres, "berka_release")
    real = berka.load(source)
    out = tmp_path / "out"
    code = main(["run", source, "-o", str(out), "--tables", ",".join(berka.TABLES),
                 "--to-db", target])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    keys = _foreign_keys_hold(target)
    assert {(c, p) for c, _, p, _ in keys} == {
        ("account", "district"), ("client", "district"), ("disp", "account"),
        ("disp", "client"), ("card", "disp"), ("loan", "account"), ("order", "account")}
    report = json.loads((out / "report.json").read_text())
    assert set(report["input"]["tables"]) == set(berka.TABLES)  # trans (empty) never read
    for name in berka.TABLES:
        rows = _sql(target, f'SELECT COUNT(*) FROM "{name}"')[0][0]
        assert rows == report["outputs"]["database"]["tables"][name]["rows"] > 0
    # The release's types are the source's: timestamps stay timestamps, int8 stays int8.
    types = dict(_sql(target, "SELECT table_name || '.' || column_name, data_type FROM "
                              "information_schema.columns WHERE table_schema = 'public'"))
    assert types["loan.date"] == "timestamp without time zone"
    assert types["loan.amount"] == "bigint" and types["order.amount"] == "double precision"
    assert not set(_sql(target, "SELECT account_id FROM account")) & set(
        (int(v),) for v in real["account"]["account_id"])  # keys are surrogates
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert main(["verify", str(out)]) != 0  # the report holds no password to verify with
    assert "no password supplied" in capsys.readouterr().out
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)  # the user's own
    assert main(["verify", str(out)]) == 0
    everything = (captured.out + captured.err + (out / "report.json").read_text()
                  + (out / "report.html").read_text())
    assert pgserver.PASSWORD not in everything
    assert "privsynth:***@" in report["input"]["database"]


@needs_berka
def test_berka_from_sqlite_is_released_into_a_second_database(tmp_path, capsys) -> None:
    source, target = tmp_path / "berka.db", tmp_path / "release.db"
    berka.load(f"sqlite:///{source}")
    out = tmp_path / "out"
    code = main(["run", f"sqlite:///{source}", "-o", str(out), "--tables",
                 ",".join(berka.TABLES), "--to-db", f"sqlite:///{target}"])
    assert code == 0, capsys.readouterr().err[-2000:]
    report = json.loads((out / "report.json").read_text())
    treatments = {(t["name"], c["name"]): c["treatment"] for t in report["tables"]
                  for c in t["columns"]}
    # An order's own number (no table refers to it) gets surrogates too, and says so.
    assert treatments[("order", "order_id")] == "fresh surrogate keys (its own unique key)"
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        declared = sum(len(conn.execute(f'PRAGMA foreign_key_list("{t}")').fetchall())
                       for t in berka.TABLES)
        assert declared == 7
    assert main(["verify", str(out)]) == 0


TYPED = """
CREATE TABLE typed (id integer PRIMARY KEY, big bigint, price numeric(12, 2),
    rate double precision, day date, stamp timestamp, active boolean, label text,
    payload jsonb, tags text[])
"""


def test_types_survive_the_round_trip_through_postgresql(postgres) -> None:
    source = pgserver.create_database(postgres, "typed")
    target = pgserver.create_database(postgres, "typed_copy")
    _sql(source, TYPED)
    _sql(source, """INSERT INTO typed VALUES
        (1, 3000000000017, 1234.56, 0.125, '2021-02-03', '2021-02-03 04:05:06', true,
         'naïve café', '{"a": 1}', '{x,y}'),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, -4, 0.01, -1.5, '1999-12-31', '2000-01-01 00:00:00', false, '', '[]', '{}')""")
    db = read_database(source)
    assert db.left_out == {"typed": {"payload": "JSONB", "tags": "ARRAY"}}  # named, not cast
    frame = db.tables["typed"].sort_values("id").reset_index(drop=True)
    assert frame["big"].iloc[0] == 3000000000017  # beyond 32 bits, exact
    write_database(target, {"typed": frame}, [], force=False, declared=db.types)
    declared = dict(_sql(target, "SELECT column_name, data_type || coalesce(':' || "
                                 "numeric_scale, '') FROM information_schema.columns "
                                 "WHERE table_name = 'typed'"))
    assert declared == {"id": "integer:0", "big": "bigint:0", "price": "numeric:2",
                        "rate": "double precision", "day": "date",
                        "stamp": "timestamp without time zone", "active": "boolean",
                        "label": "text"}
    rows = _sql(target, "SELECT * FROM typed ORDER BY id")
    assert rows[0] == (1, 3000000000017, decimal.Decimal("1234.56"), 0.125,
                       dt.date(2021, 2, 3), dt.datetime(2021, 2, 3, 4, 5, 6), True,
                       "naïve café")
    assert rows[1] == (2, None, None, None, None, None, None, None)  # NULLs stay NULL
    assert rows[2][6] is False and rows[2][7] == ""  # false and '' are values, not NULL
    back = read_database(target).tables["typed"].sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, frame.drop(columns=[]), check_dtype=False)


def test_credentials_come_from_the_environment_a_pgpass_or_a_service_file(
        postgres, tmp_path, monkeypatch, capsys) -> None:
    pgserver.create_database(postgres, "creds")
    _sql(postgres.url("creds"), "CREATE TABLE t (id integer PRIMARY KEY, x integer)")
    _sql(postgres.url("creds"), "INSERT INTO t SELECT g, g % 5 FROM generate_series(1, 50) g")
    bare = postgres.url("creds", password=None)
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert main(["scan", bare, "--json"]) == 2  # no password from anywhere: refused
    assert "password" in capsys.readouterr().err
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    assert main(["scan", bare, "--json"]) == 0
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:creds:{pgserver.USER}:{pgserver.PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert main(["scan", bare, "--json"]) == 0
    services = tmp_path / "services.conf"
    services.write_text(f"[bank]\nhost={postgres.socket_dir}\nport={pgserver.PORT}\n"
                        f"dbname=creds\nuser={pgserver.USER}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    capsys.readouterr()
    assert main(["scan", "postgresql:///?service=bank", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in found["tables"]] == ["t"] and found["relations"] == []


@pytest.mark.parametrize("case", ["bad password", "unreachable", "unknown table"])
def test_bad_postgresql_input_is_one_line_exit_2_and_nothing_written(
        postgres, tmp_path, capsys, case) -> None:
    source = pgserver.create_database(postgres, "bad_input")
    _sql(source, "CREATE TABLE t (id integer PRIMARY KEY, x integer)")
    target = pgserver.create_database(postgres, "bad_target")
    url = {"bad password": postgres.url("bad_input", password="Wrong-Pw-991"),
           "unreachable": pgserver.Server(tmp_path / "nowhere", tmp_path).url("bad_input"),
           "unknown table": source}[case]
    out = tmp_path / "out"
    code = main(["run", url, "-o", str(out), "--no-text", "--tables", "t,nope",
                 "--to-db", target])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "Wrong-Pw-991" not in err and pgserver.PASSWORD not in err
    assert {"bad password": "password authentication failed",
            "unreachable": "cannot read postgresql://privsynth:***@",
            "unknown table": "no table 'nope'"}[case] in err
    assert not out.exists() or not any(out.iterdir())
    assert _sql(target, "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = 'public'") == [(0,)]


def test_a_postgresql_target_that_is_busy_or_the_source_is_refused(postgres, tmp_path,
                                                                   capsys) -> None:
    source = pgserver.create_database(postgres, "src_busy")
    _sql(source, "CREATE TABLE t (id integer PRIMARY KEY, x integer)")
    _sql(source, "INSERT INTO t SELECT g, g % 7 FROM generate_series(1, 200) g")
    busy = pgserver.create_database(postgres, "busy")
    _sql(busy, "CREATE TABLE kept (x integer)")
    _sql(busy, "INSERT INTO kept VALUES (7)")
    out = tmp_path / "out"
    for target, message in ((busy, "is not empty (1 tables); pass --force"),
                            (source, "is the source database")):
        code = main(["run", source, "-o", str(out), "--no-text", "--to-db", target])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
        assert not out.exists() or not any(out.iterdir())
    assert _sql(busy, "SELECT x FROM kept") == [(7,)]


def test_a_failed_write_leaves_a_postgresql_target_as_it_was(postgres) -> None:
    target = pgserver.create_database(postgres, "half_written")
    parent = pd.DataFrame({"id": [*range(1, 120_001), 5]})  # a repeated key, late
    child = pd.DataFrame({"id": [1, 2, 3], "parent_id": [1, 2, 3]})
    with pytest.raises(InputError, match="the target was left as it was") as caught:
        write_database(target, {"parent": parent, "child": child},
                       [{"parent": "parent.id", "child": "child.parent_id"}], force=False)
    assert pgserver.PASSWORD not in str(caught.value)
    assert _sql(target, "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = 'public'") == [(0,)]


def test_the_cluster_listens_on_its_socket_only(postgres) -> None:
    assert _sql(postgres.url("postgres"), "SHOW listen_addresses") == [("",)]
    assert Path(postgres.socket_dir, f".s.PGSQL.{pgserver.PORT}").exists()


def test_a_release_goes_into_an_empty_schema_of_the_source_database(postgres, tmp_path,
                                                                    capsys) -> None:
    from tests.relational.linked import linked_tables

    source = pgserver.create_database(postgres, "with_schema")
    payments = linked_tables(300, seed=5)["payment"].drop(columns=["account_id"])
    engine = create_engine(_with_driver(source))
    try:
        payments.rename(columns={"payment_id": "id"}).to_sql("t", engine, index=False)
    finally:
        engine.dispose()
    missing = source + "&options=-csearch_path%3Dnowhere"
    out = tmp_path / "out"
    code = main(["run", source, "-o", str(out), "--no-text", "--to-db", missing])
    err = capsys.readouterr().err
    assert code == 2 and "names no schema that exists" in err and not out.exists()
    _sql(source, "CREATE SCHEMA release")
    target = source + "&options=-csearch_path%3Drelease"
    code = main(["run", source, "-o", str(out), "--no-text", "--to-db", target])
    assert code == 0, capsys.readouterr().err
    tables = _sql(source, "SELECT table_schema, table_name FROM information_schema.tables "
                          "WHERE table_schema IN ('public', 'release') ORDER BY 1")
    assert tables == [("public", "t"), ("release", "t")]  # the source's own table untouched
    assert _sql(source, "SELECT count(*) FROM public.t") == [(len(payments),)]
