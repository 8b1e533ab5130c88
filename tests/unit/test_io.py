import gzip
from pathlib import Path

import pandas as pd
import pytest

from privsynth.errors import InputError, OutputError
from privsynth.io import (
    check_output_dir,
    frame_to_csv_bytes,
    read_table,
    write_outputs_atomically,
)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"a,b\n", "header but no data rows"),
        (b"name,city\nJos\xe9,Paris\n", "not valid UTF-8"),
        (b"a,a\n1,2\n", "duplicate column names: a"),
        (b"a,b\n1,2,3,4\n", "not a well-formed CSV"),
        (b"\x00\x01\x02binary", "binary file"),
        (b"PK\x03\x04rest-of-xlsx", "zip archive"),
    ],
)
def test_bad_csv_gives_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(p)


def test_gzip_and_missing_and_directory(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    with pytest.raises(InputError, match="gzip"):
        read_table(p)
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_table(tmp_path)
    with pytest.raises(InputError, match="unsupported input type"):
        (tmp_path / "x.xlsx").write_bytes(b"x")
        read_table(tmp_path / "x.xlsx")


def test_codes_with_leading_zeros_stay_strings_and_bom_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_bytes("\ufeffzip,n,flag\n01234,1,true\n98765,2,false\n".encode())
    df = read_table(p)
    assert list(df.columns) == ["zip", "n", "flag"]
    assert df["zip"].tolist() == ["01234", "98765"]
    assert df["n"].tolist() == [1, 2]
    assert df["flag"].tolist() == [True, False]


def test_parquet_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "in.parquet"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(p)
    assert read_table(p)["b"].tolist() == ["x", "y"]
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        read_table(tmp_path / "bad.parquet")


def test_formula_cells_are_neutralised() -> None:
    out = frame_to_csv_bytes(pd.DataFrame({"t": ['=HYPERLINK("x")', "+cmd", "@SUM(A1)", "ok"]}))
    lines = out.decode().splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2] == "'+cmd" and lines[4] == "ok"


def test_output_dir_is_never_silently_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match="--force"):
        check_output_dir(out, force=False)
    check_output_dir(out, force=True)


def test_atomic_write_swaps_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs_atomically(out, {"a.txt": b"1", "b.txt": b"2"})
    write_outputs_atomically(out, {"c.txt": b"3"})
    assert sorted(p.name for p in out.iterdir()) == ["c.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_formula_neutralising_covers_headers_and_can_be_turned_off() -> None:
    df = pd.DataFrame({"=cmd": ["=1+1", "ok"], "n": [-1, 2]})
    on = frame_to_csv_bytes(df).decode()
    assert on.splitlines()[0] == "'=cmd,n" and "'=1+1" in on and ",-1" in on
    off = frame_to_csv_bytes(df, neutralise=False).decode()
    assert off.splitlines()[0] == "=cmd,n" and "\n=1+1," in off
