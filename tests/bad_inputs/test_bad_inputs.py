"""Every case of the bad-input corpus ends in its stated exit code and message, with no
traceback, no partial output and no lost data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from privsynth.cli import main
from tests.bad_inputs.cases import CASES, Case

FULL = bool(os.environ.get("PRIVSYNTH_FULL_TESTS"))


def _param(case: Case) -> object:
    marks = [getattr(pytest.mark, m) for m in case.marks if m != "extended"]
    if "extended" in case.marks:
        marks.append(
            pytest.mark.skipif(not FULL, reason="extended case: set PRIVSYNTH_FULL_TESTS=1")
        )
    return pytest.param(case, id=case.name, marks=marks)


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.make(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    code = main(["-q", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == case.exit_code, (code, err[-2000:])
    out_dir = tmp_path / "out"
    # No temporary folders are left beside the output, whatever happened.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    if case.exit_code == 2:
        errors = [line for line in err.splitlines() if line.startswith("privsynth: error:")]
        assert len(errors) == 1, err
        assert case.message in errors[0], errors[0]
        if case.name == "output_not_empty":
            assert (out_dir / "keep.txt").read_text(encoding="utf-8") == "precious"
        else:
            assert not out_dir.exists()
        assert {p for p in tmp_path.rglob("*")} == before  # nothing written anywhere
        return
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    synthetic_path = out_dir / "synthetic.csv"
    assert synthetic_path.exists() == (code == 0)
    synthetic = pd.read_csv(synthetic_path, dtype=str) if code == 0 else None
    if code == 3:
        assert report["decision"]["reasons"], "a withheld release must say why"
    assert case.expect is not None
    case.expect(report, synthetic)
