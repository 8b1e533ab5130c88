"""Tables read from a database URL: the schema's keys become relations, the run is the run
of a folder of tables, and a password never shows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from privsynth.cli import main
from privsynth.database import masked, read_database, write_database
from privsynth.errors import InputError
from tests.relational.linked import RELATIONS, linked_tables

DDL = """
CREATE TABLE branch (branch_id INTEGER PRIMARY KEY, region TEXT, size INTEGER);
CREATE TABLE advisor (advisor_id INTEGER PRIMARY KEY, years INTEGER);
CREATE TABLE customer (customer_id INTEGER PRIMARY KEY,
    branch_id INTEGER NOT NULL REFERENCES branch(branch_id), age INTEGER, segment TEXT,
    email TEXT, photo BLOB);
CREATE TABLE account (account_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer(customer_id), owner_email TEXT,
    note TEXT, kind TEXT, balance NUMERIC(12, 2));
CREATE TABLE payment (payment_id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account(account_id), amount REAL,
    channel TEXT, paid_on DATE);
CREATE TABLE advice (customer_id INTEGER NOT NULL REFERENCES customer(customer_id),
    advisor_id INTEGER NOT NULL REFERENCES advisor(advisor_id), topic TEXT);
CREATE TABLE audit (audit_id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customer(customer_id), action TEXT);
"""


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    """The linked test tables in a SQLite file, keys declared in its schema (not in any
    config), and a binary column privsynth does not model."""
    tables = linked_tables(300, seed=5)
    path = tmp_path_factory.mktemp("db") / "bank.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(DDL)
        for name in ("branch", "advisor", "customer", "account", "payment", "advice"):
            frame = tables[name]
            if name == "customer":
                frame = frame.assign(photo=[b"\x89PNG" + bytes([i % 256]) for i in
                                            range(len(frame))])
            frame.to_sql(name, conn, if_exists="append", index=False)
    return path, tables


def test_the_schema_gives_the_tables_and_their_relations(bank) -> None:
    path, tables = bank
    db = read_database(f"sqlite:///{path}")
    assert set(db.tables) == set(tables)
    assert {(r["parent"], r["child"]) for r in db.relations} == {
        (r["parent"], r["child"]) for r in RELATIONS}
    assert db.left_out == {"customer": {"photo": "BLOB"}}  # named, never cast
    assert db.notes == ["table audit has no rows: left out"]  # nothing to learn or release
    assert len(db.tables["payment"]) == len(tables["payment"])
    assert db.tables["payment"]["paid_on"].iloc[0] == tables["payment"]["paid_on"].iloc[0]
    assert db.tables["account"]["balance"].dtype == float
    picked = read_database(f"sqlite:///{path}", ["customer", "account", "advisor"])
    assert set(picked.tables) == {"customer", "account", "advisor"}
    assert picked.relations == [{"parent": "customer.customer_id",
                                 "child": "account.customer_id"}]


def test_run_from_a_database_url_writes_every_table(bank, tmp_path, capsys) -> None:
    path, tables = bank
    url = f"sqlite:///{path}"
    out = tmp_path / "out"
    code = main(["run", url, "-o", str(out), "--no-text", "--tables",
                 "branch,customer,account,payment"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["kind"] == "linked_tables"
    assert report["input"]["database"] == url
    assert set(report["input"]["tables"]) == {"branch", "customer", "account", "payment"}
    assert report["input"]["tables"]["customer"]["columns_left_out"] == {"photo": "BLOB"}
    written = {p.stem for p in (out / "synthetic").glob("*.csv")}
    assert written == {"branch", "customer", "account", "payment"}
    customer = pd.read_csv(out / "synthetic" / "customer.csv")
    account = pd.read_csv(out / "synthetic" / "account.csv")
    assert account["customer_id"].isin(customer["customer_id"]).all()
    assert "photo" not in customer.columns
    assert main(["verify", str(out)]) == 0


def test_one_table_of_a_database_is_the_single_table_path(bank, tmp_path) -> None:
    path, _ = bank
    out = tmp_path / "one"
    assert main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--tables",
                 "payment"]) in (0, 3)
    report = json.loads((out / "report.json").read_text())
    assert report.get("kind") != "linked_tables"
    assert report["input"]["table"] == "payment"
    assert report["input"]["database"] == f"sqlite:///{path}"


def test_scan_of_a_database_shows_the_reflected_graph(bank, capsys) -> None:
    path, _ = bank
    assert main(["scan", f"sqlite:///{path}", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {(r["parent"], r["child"]) for r in found["relations"]} == {
        (r["parent"], r["child"]) for r in RELATIONS}


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u:pw@localhost/bank", "unsupported URL scheme 'mysql'"),
    ("sqlite:///{missing}", "no SQLite database at"),
    ("sqlite:///{db}", "no table 'loans' in sqlite:///"),
    ("postgresql://alice:s3cret-pw@127.0.0.1:1/bank", "cannot read postgresql://alice:***@"),
])
def test_bad_database_input_is_one_line_exit_2_and_nothing_written(
        bank, tmp_path, capsys, url, message) -> None:
    path, _ = bank
    url = url.format(missing=tmp_path / "none.db", db=path)
    out = tmp_path / "out"
    code = main(["run", url, "-o", str(out), "--no-text", "--tables", "customer,loans"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "s3cret" not in err
    assert not out.exists() or not any(out.iterdir())
    assert not (tmp_path / "none.db").exists()  # reading never creates a database


def test_a_password_is_masked_wherever_a_url_is_shown() -> None:
    assert masked("postgresql://alice:s3cret@db.internal:5432/bank") == \
        "postgresql://alice:***@db.internal:5432/bank"
    assert masked("sqlite:////data/bank.db") == "sqlite:////data/bank.db"


def test_a_released_set_is_written_into_an_empty_database_with_its_keys(bank, tmp_path,
                                                                        capsys) -> None:
    path, tables = bank
    target = tmp_path / "release.db"
    out = tmp_path / "out"
    picked = "branch,customer,account,payment"
    assert main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--tables", picked,
                 "--to-db", f"sqlite:///{target}"]) == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    section = report["outputs"]["database"]
    assert section["url"] == f"sqlite:///{target}"
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []  # every key holds
        fks = {(t, row[2], row[3], row[4]) for t in ("customer", "account", "payment")
               for row in conn.execute(f"PRAGMA foreign_key_list({t})")}
        assert ("account", "customer", "customer_id", "customer_id") in fks
        orphans = conn.execute("SELECT COUNT(*) FROM payment p LEFT JOIN account a "
                               "ON p.account_id = a.account_id WHERE a.account_id IS NULL")
        assert orphans.fetchone()[0] == 0
        declared = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(payment)")}
        assert declared["paid_on"] == "DATE" and declared["account_id"] == "INTEGER"
        rows = conn.execute("SELECT COUNT(*) FROM payment").fetchone()[0]
    assert rows == section["tables"]["payment"]["rows"] == len(
        pd.read_csv(out / "synthetic" / "payment.csv"))
    assert main(["verify", str(out)]) == 0
    with sqlite3.connect(target) as conn:  # a changed release no longer verifies
        conn.execute("DELETE FROM payment WHERE rowid IN (SELECT rowid FROM payment LIMIT 1)")
    capsys.readouterr()
    assert main(["verify", str(out)]) != 0
    assert "table payment in" in capsys.readouterr().out


def test_a_target_that_is_not_empty_or_is_the_source_is_refused_before_any_work(
        bank, tmp_path, capsys) -> None:
    path, _ = bank
    out = tmp_path / "out"
    code = main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--to-db",
                 f"sqlite:///{path}"])
    err = capsys.readouterr().err
    assert code == 2 and "is the source database" in err and len(err.strip().splitlines()) == 1
    busy = tmp_path / "busy.db"
    with sqlite3.connect(busy) as conn:
        conn.execute("CREATE TABLE kept (x INTEGER)")
        conn.execute("INSERT INTO kept VALUES (7)")
    code = main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--tables",
                 "customer", "--to-db", f"sqlite:///{busy}"])
    err = capsys.readouterr().err
    assert code == 2 and "is not empty (1 tables); pass --force" in err
    assert not out.exists() or not any(out.iterdir())
    with sqlite3.connect(busy) as conn:  # left as it was
        assert conn.execute("SELECT x FROM kept").fetchall() == [(7,)]


def test_a_write_that_fails_half_way_leaves_the_target_as_it_was(tmp_path) -> None:
    target = tmp_path / "t.db"
    # The parent's third chunk repeats a key: the database refuses it after 100,000 rows.
    parent = pd.DataFrame({"id": [*range(1, 120_001), 5]})
    child = pd.DataFrame({"id": [1, 2, 3], "parent_id": [1, 2, 3]})
    with pytest.raises(InputError, match="the target was left as it was"):
        write_database(f"sqlite:///{target}", {"parent": parent, "child": child},
                       [{"parent": "parent.id", "child": "child.parent_id"}], force=False)
    with sqlite3.connect(target) as conn:  # not even the tables written first remain
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_lone_table_larger_than_the_memory_budget_is_sampled_while_read(tmp_path) -> None:
    path = tmp_path / "big.db"
    rows = pd.DataFrame({"id": range(1, 20_001), "amount": [i % 97 for i in range(20_000)],
                         "kind": [f"k{i % 5}" for i in range(20_000)]})
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, amount INTEGER, kind TEXT)")
        rows.sample(frac=1, random_state=3).to_sql("big", conn, if_exists="append",
                                                   index=False)  # stored out of key order
    url = f"sqlite:///{path}"
    whole = read_database(url, chunk_rows=3_000)
    assert whole.notes == [] and whole.tables["big"]["id"].tolist() == list(range(1, 20_001))
    first = read_database(url, chunk_rows=3_000, memory="1MB", seed=9)
    again = read_database(url, chunk_rows=3_000, memory="1MB", seed=9)
    part = first.tables["big"]
    assert 1_000 <= len(part) < 20_000
    assert part["id"].is_monotonic_increasing and part["id"].is_unique
    pd.testing.assert_frame_equal(part, again.tables["big"])  # seeded
    assert part.merge(rows, on=["id", "amount", "kind"]).shape[0] == len(part)  # real rows
    assert len(first.notes) == 1 and "sampled from 20,000 to" in first.notes[0]
    assert "while reading" in first.notes[0]


def test_linked_tables_are_read_whole_never_sampled(bank) -> None:
    path, tables = bank
    linked = read_database(f"sqlite:///{path}", ["customer", "account"], memory="200MB")
    assert linked.notes == []  # keys need every row: never sampled
    assert len(linked.tables["account"]) == len(tables["account"])


def test_an_unmodelled_column_is_dropped_kept_empty_or_refused_as_configured(
        bank, tmp_path, capsys) -> None:
    path, _ = bank
    picked = ["--no-text", "--tables", "branch,customer,account,payment"]
    refuse = tmp_path / "refuse.toml"
    refuse.write_text('[database]\nunmodelled_columns = "refuse"\n')
    code = main(["run", f"sqlite:///{path}", "-o", str(tmp_path / "r"), "--config",
                 str(refuse), *picked])
    err = capsys.readouterr().err
    assert code == 2 and "customer.photo is BLOB" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    keep = tmp_path / "keep.toml"
    keep.write_text('[database]\nunmodelled_columns = "keep"\n')
    target = tmp_path / "kept.db"
    out = tmp_path / "k"
    code = main(["run", f"sqlite:///{path}", "-o", str(out), "--config", str(keep), *picked,
                 "--to-db", f"sqlite:///{target}"])
    assert code == 0, capsys.readouterr().err
    with sqlite3.connect(target) as conn:
        declared = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(customer)")}
        assert declared["photo"] == "BLOB"  # its own type, never cast
        assert conn.execute("SELECT COUNT(*) FROM customer WHERE photo IS NOT NULL"
                            ).fetchone() == (0,)
    assert pd.read_csv(out / "synthetic" / "customer.csv")["photo"].isna().all()
    assert main(["verify", str(out)]) == 0


def test_a_withheld_run_writes_nothing_into_the_target(bank, tmp_path, capsys) -> None:
    path, _ = bank
    strict = tmp_path / "strict.toml"
    strict.write_text("[gate]\nmin_column_similarity = 0.9999\n")  # no synthetic set passes
    target = tmp_path / "release.db"
    out = tmp_path / "out"
    code = main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--config",
                 str(strict), "--tables", "branch,customer,account,payment", "--to-db",
                 f"sqlite:///{target}"])
    assert code == 3, capsys.readouterr().err
    assert not target.exists()  # not even created
    report = json.loads((out / "report.json").read_text())
    assert report["decision"]["released"] is False and "database" not in report["outputs"]


def test_linked_tables_over_the_memory_budget_stop_with_one_line(bank, tmp_path,
                                                                  capsys) -> None:
    path, _ = bank
    out = tmp_path / "out"
    code = main(["run", f"sqlite:///{path}", "-o", str(out), "--no-text", "--max-memory",
                 "1MB", "--tables", "branch,customer,account,payment"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "need more than" in err and "over the budget of 1.0 MB" in err
    assert not out.exists()
