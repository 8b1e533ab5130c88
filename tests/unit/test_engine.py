"""Engines, chunking, partitioned input and partitioned output (no cluster needed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from privsynth.api import synthetic_files, verify_dir, write_report_dir
from privsynth.config import load_config
from privsynth.engine import LocalEngine, chunk_bounds, chunk_seed, make_engine
from privsynth.errors import ConfigError, InputError
from privsynth.io import input_info, read_input, read_table
from privsynth.metrics.distance import chunked_knn, knn
from tests.conftest import ROOT
from tests.unit.test_report import sample_report


def test_chunks_cover_every_row_once_and_seeds_are_distinct() -> None:
    bounds = chunk_bounds(1050, 100)
    assert bounds[0] == (0, 100) and bounds[-1] == (1000, 1050) and len(bounds) == 11
    assert sum(b - a for a, b in bounds) == 1050
    assert chunk_bounds(0, 100) == []
    seeds = [chunk_seed(42, k) for k in range(50)]
    assert seeds[0] == 42 and len(set(seeds)) == 50
    assert seeds == [chunk_seed(42, k) for k in range(50)]  # derived, not drawn


def test_local_engine_keeps_item_order_and_passes_shared_objects() -> None:
    assert LocalEngine().map(lambda x, y: x * y, [3, 1, 2], 10) == [30, 10, 20]


def test_chunked_nearest_neighbours_equal_the_unchunked_search() -> None:
    rng = np.random.default_rng(0)
    ref, query = rng.normal(size=(300, 4)), rng.normal(size=(1001, 4))
    d1, i1 = knn(ref, query, 2, 4)
    d2, i2 = chunked_knn(ref, query, 2, 4, LocalEngine(), chunk_rows=128)
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_array_equal(i1, i2)


def test_unknown_engine_and_a_scheduler_without_dask_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="engine.kind 'spark' is unknown"):
        load_config(engine__kind="spark")
    with pytest.raises(ConfigError, match="engine.scheduler is set"):
        load_config(engine__scheduler="tcp://10.0.0.1:8786")
    with pytest.raises(ConfigError, match="output.format 'xlsx' is unknown"):
        load_config(output__format="xlsx")


def test_missing_dask_extra_gives_one_clear_message(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'privsynth\[dask\]'"):
        make_engine("dask")


def test_the_local_path_never_imports_dask() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from privsynth.config import load_config
        from privsynth.io import read_table
        from privsynth.pipeline import synthesize
        df = read_table({str(ROOT / 'sample_data' / 'customers.csv')!r}).head(200)
        df = df.drop(columns=["notes"])
        result = synthesize(df, load_config(rows=50, policy="lenient"))
        assert result.report["method"]["engine"]["engine"] == "local"
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        print("LOADED", loaded)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "LOADED []" in out.stdout


@pytest.fixture
def parts(tmp_path, customers):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = customers.head(90)
    for k in range(3):
        frame.iloc[k * 30:(k + 1) * 30].to_csv(folder / f"p{k}.csv", index=False)
    frame.to_csv(tmp_path / "whole.csv", index=False)
    return folder


def test_a_folder_or_glob_of_csv_parts_reads_like_the_whole_file(parts, tmp_path) -> None:
    whole = read_table(tmp_path / "whole.csv")
    pd.testing.assert_frame_equal(read_input(parts), whole)
    pd.testing.assert_frame_equal(read_input(str(parts / "p*.csv")), whole)
    # Types are inferred over all parts: "0789" in a later part keeps every code a string.
    codes = tmp_path / "codes"
    codes.mkdir()
    pd.DataFrame({"code": ["123", "456"]}).to_csv(codes / "a.csv", index=False)
    pd.DataFrame({"code": ["0789"]}).to_csv(codes / "b.csv", index=False)
    assert read_input(codes)["code"].tolist() == ["123", "456", "0789"]
    info = input_info(parts)
    assert [p["file"] for p in info["parts"]] == ["p0.csv", "p1.csv", "p2.csv"]
    assert len(info["sha256"]) == 64 and info["sha256"] != info["parts"][0]["sha256"]


def test_bad_partitioned_input_fails_with_one_line(parts, tmp_path) -> None:
    with pytest.raises(InputError, match="no input file matches"):
        read_input(str(tmp_path / "nothing-*.csv"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no .csv"):
        read_input(empty)
    pd.DataFrame({"other": [1, 2]}).to_csv(parts / "p9.csv", index=False)
    with pytest.raises(InputError, match="p9.csv has other columns"):
        read_input(parts)
    (parts / "p9.csv").unlink()
    pd.DataFrame({"a": [1]}).to_parquet(parts / "p8.parquet")
    with pytest.raises(InputError, match="mix file types"):
        read_input(parts)


def test_large_output_is_written_as_parquet_parts_and_every_part_is_verified(tmp_path) -> None:
    frame = pd.DataFrame({"a": np.arange(2500), "b": ["x"] * 2500})
    files = synthetic_files(frame, True, "auto", 1000)
    assert sorted(files) == [f"synthetic/part-0000{k}.parquet" for k in range(3)]
    assert list(synthetic_files(frame, True, "auto", 5000)) == ["synthetic.csv"]
    out = tmp_path / "out"
    report = sample_report()
    write_report_dir(out, report, frame, fmt="parquet", part_rows=1000)
    assert verify_dir(out) == []
    back = pd.concat(pd.read_parquet(out / n) for n in sorted(report["outputs"]["files"]))
    assert back["a"].tolist() == list(range(2500))
    pd.DataFrame({"a": [0]}).to_parquet(out / "synthetic" / "part-00001.parquet")
    (out / "synthetic" / "extra.parquet").write_bytes(b"x")
    problems = verify_dir(out)
    assert "synthetic/part-00001.parquet differs from the file the report released" in problems
    assert "synthetic/extra.parquet exists but the report did not release it" in problems
