"""The CLI: exit codes, one-line errors, no partial output, help for every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from privsynth.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "privsynth", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def test_every_command_has_help(capsys) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {"run", "scan", "check", "doctor", "verify", "report"}
    for name in commands:
        assert main([name, "--help"]) == 0
        assert "usage: privsynth " + name in capsys.readouterr().out


def bad_inputs(tmp: Path) -> list[tuple[list[str], str]]:
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "header.csv").write_bytes(b"a,b\n")
    (tmp / "latin1.csv").write_bytes(b"name,city\nJos\xe9,Paris\n")
    good = tmp / "good.csv"
    pd.DataFrame({"a": range(30), "b": ["x", "y", "z"] * 10}).to_csv(good, index=False)
    (tmp / "unknown_col.toml").write_text("[scan.roles]\nno_such_column = 'identifier'\n")
    (tmp / "invalid.toml").write_text("[gate]\nmax_mia_auc = 'high'\n")
    dp = "[tabular]\nsynthesizer = 'dp-mst'\n[dp]\n"
    (tmp / "eps.toml").write_text(dp + "epsilon = 0\n")
    (tmp / "delta.toml").write_text(dp + "delta = 0.2\n")
    return [
        (["run", str(tmp / "missing.csv"), "-o", str(tmp / "o")], "input file not found"),
        (["run", str(tmp / "empty.csv"), "-o", str(tmp / "o")], "is empty"),
        (["run", str(tmp / "header.csv"), "-o", str(tmp / "o")], "header but no data rows"),
        (["run", str(tmp / "latin1.csv"), "-o", str(tmp / "o")], "not valid UTF-8"),
        (
            ["run", str(good), "-o", str(tmp / "o"), "--config", str(tmp / "unknown_col.toml")],
            "unknown column(s): no_such_column",
        ),
        (
            ["run", str(good), "-o", str(tmp / "o"), "--config", str(tmp / "invalid.toml")],
            "'gate.max_mia_auc' must be a number",
        ),
        (
            ["run", str(good), "-o", str(tmp / "o"), "--config", str(tmp / "eps.toml")],
            "'dp.epsilon' must be greater than 0",
        ),
        (
            ["-q", "run", str(good), "-o", str(tmp / "o"), "--config", str(tmp / "delta.toml"),
             "--no-text"],
            "dp.delta (0.2) must be below 1/n",
        ),
        (
            ["run", str(good), "-o", str(tmp / "o"), "--model", str(tmp / "nope.gguf")],
            "model file not found",
        ),
        (
            ["run", str(good), "-o", str(tmp / "o"), "--model", str(tmp)],
            "model path is a directory",
        ),
        (["run", str(good), "-o", str(tmp / "o"), "--model", str(good)], "not a GGUF file"),
        (["run", str(good), "-o", str(tmp / "o"), "--seed", "-4"], "'seed' must be between"),
        (["run", str(good)], "the following arguments are required: -o/--output"),
        (["frobnicate"], "invalid choice"),
    ]


def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path: Path, capsys) -> None:
    for argv, message in bad_inputs(tmp_path):
        code = main(argv)
        err = capsys.readouterr().err.strip()
        assert code == 2, (argv, err)
        assert message in err, (argv, err)
        assert err.count("\n") == 0 and "Traceback" not in err, err
        assert not (tmp_path / "o").exists()


def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    proc = run_cli("run", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("privsynth: error: input file not found")
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_run_no_text_writes_report_and_respects_existing_output(
    small_customers, customers, tmp_path
) -> None:
    src = tmp_path / "in.csv"
    small_customers.to_csv(src, index=False)
    out = tmp_path / "out"
    # 240 training rows: the default policy refuses this small a table (the QI-subset DCR
    # share shows zip codes reproduced at their training frequencies).
    code = main(["-q", "run", str(src), "-o", str(out), "--rows", "60", "--no-text"])
    assert code == 3
    files = {p.name for p in out.iterdir()}
    assert files == {"report.json", "report.html"}
    assert json.loads((out / "report.json").read_text())["decision"]["released"] is False
    assert main(["-q", "run", str(src), "-o", str(out), "--no-text"]) == 2
    # The whole sample (2,000 rows) is released under the default policy.
    customers.to_csv(src, index=False)
    code = main(["-q", "run", str(src), "-o", str(out), "--rows", "30", "--no-text", "--force"])
    assert code == 0
    files = {p.name for p in out.iterdir()}
    assert files == {"report.json", "report.html", "synthetic.csv"}
    assert len(pd.read_csv(out / "synthetic.csv")) == 30


def test_scan_json_lists_roles_without_values(small_customers, tmp_path, capsys) -> None:
    src = tmp_path / "in.csv"
    small_customers.to_csv(src, index=False)
    assert main(["-q", "scan", str(src), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    roles = {c["name"]: c["role"] for c in data["columns"]}
    assert roles["email"] == "identifier" and roles["notes"] == "text"
    blob = json.dumps(data)
    assert not any(v in blob for v in small_customers["email"].head(100))


def test_check_refuses_a_copy_and_passes_a_fresh_sample(tmp_path, capsys) -> None:
    from tests.unit.test_checks_oracle import population

    pop = population(4000, seed=1)
    real, hold, fresh = pop.iloc[:1600], pop.iloc[1600:2000], pop.iloc[2000:3600]
    fresh = fresh.assign(customer_id=[f"NEW-{i}" for i in range(len(fresh))])
    paths = {}
    for name, frame in {"real": real, "hold": hold, "fresh": fresh}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)

    def check(synthetic: str, out: str) -> int:
        return main(["-q", "check", str(paths["real"]), str(paths[synthetic]),
                     "--holdout", str(paths["hold"]), "-o", str(tmp_path / out)])

    copy, ok = check("real", "c1"), check("fresh", "c2")
    assert (copy, ok) == (3, 0), capsys.readouterr()
    assert not (tmp_path / "c1" / "synthetic.csv").exists()


def test_doctor_reports_offline_readiness(capsys) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "[ok] spaCy model" in out and "[ok] tldextract offline" in out
    assert "[ok] default GGUF model" in out


def test_verify_detects_tampering_and_report_rerenders(tmp_path, capsys) -> None:
    from privsynth.api import write_report_dir
    from tests.unit.test_report import sample_report

    out = tmp_path / "out"
    write_report_dir(out, sample_report(), pd.DataFrame({"a": [1, 2]}))
    assert main(["verify", str(out)]) == 0
    (out / "synthetic.csv").write_text("a\n1\n3\n")
    assert main(["verify", str(out)]) == 3
    assert "synthetic.csv differs" in capsys.readouterr().out
    (out / "report.html").write_text("<html>edited</html>")
    assert main(["report", str(out)]) == 0
    assert "Verdict" in (out / "report.html").read_text()
    assert main(["verify", str(tmp_path)]) == 2  # no report.json there


def test_scan_of_linked_tables_shows_roles_keys_and_relations(tmp_path, capsys) -> None:
    from tests.bad_inputs.cases import _linked

    def orphan_and_email(tables) -> None:
        tables["payment"].loc[:2, "account_id"] = 999  # three payments of no account
        tables["customer"]["email"] = [f"person{i}@example.org" for i in range(60)]

    args = _linked(tmp_path, orphan_and_email)
    assert main(["-q", *args, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    tables = {t["name"]: t for t in found["tables"]}
    assert [t["name"] for t in found["tables"]] == ["customer", "account", "payment"]
    assert tables["account"]["keys"] == [
        {"name": "account_id", "role": "primary key", "of": ["payment.account_id"]},
        {"name": "customer_id", "role": "foreign key", "of": ["customer.customer_id"]},
    ]
    roles = {c["name"]: c["role"] for c in tables["customer"]["columns"]}
    assert roles == {"age": "quasi_identifier", "email": "identifier"}  # keys are not scanned
    orphans = {r["child"]: r["orphans"] for r in found["relations"]}
    assert orphans == {"account.customer_id": 0, "payment.account_id": 3}
    assert "person1@example.org" not in json.dumps(found)
    assert main(["-q", *args]) == 0
    text = capsys.readouterr().out
    assert "table payment (400 rows)" in text and "account.account_id -> payment.account_id" \
        "  3 orphan rows" in text
