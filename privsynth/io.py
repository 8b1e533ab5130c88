"""Reading tables with clear errors, hashing, and atomic writes of output folders."""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from privsynth.errors import InputError, OutputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
TABLE_SUFFIXES = CSV_SUFFIXES | PARQUET_SUFFIXES | JSONL_SUFFIXES

# Leading characters that make spreadsheet programs evaluate a cell as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_parts(path: str | Path) -> list[Path]:
    """The files a path names: one file, every table file in a folder, or a glob's matches.

    Parts are read in sorted name order, so the table (and every result) does not depend on
    the order a file system lists them in."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        parts = sorted(Path(m) for m in glob.glob(text) if Path(m).is_file())
        if not parts:
            raise InputError(f"no input file matches {text}")
    elif Path(text).is_dir():
        parts = sorted(
            f for f in Path(text).iterdir()
            if f.is_file() and not f.name.startswith((".", "_"))
            and f.suffix.lower() in TABLE_SUFFIXES
        )
        if not parts:
            raise InputError(
                f"input folder {text} holds no .csv, .tsv, .parquet or .jsonl file"
            )
    else:
        return [Path(text)]
    kinds = {_kind(p) for p in parts}
    if len(kinds) > 1:
        raise InputError(f"input parts under {text} mix file types ({', '.join(sorted(kinds))})")
    return parts


def _kind(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return "tsv" if suffix == ".tsv" else "csv"


def read_input(path: str | Path) -> pd.DataFrame:
    """One table from a file, a folder of parts or a glob; parts must share their columns.

    CSV parts are joined as text before types are inferred, so a partitioned file gets the
    same column types as the whole file would."""
    parts = input_parts(path)
    if len(parts) == 1:
        return read_table(parts[0])
    if _kind(parts[0]) in ("csv", "tsv"):
        sep = "\t" if _kind(parts[0]) == "tsv" else ","
        frames = [_read_csv_text(p, sep) for p in parts]
    else:
        frames = [read_table(p) for p in parts]
    first = list(frames[0].columns)
    for p, frame in zip(parts[1:], frames[1:], strict=True):
        if list(frame.columns) != first:
            raise InputError(
                f"input part {p.name} has other columns than {parts[0].name}; every part "
                "needs the same header"
            )
    df = pd.concat(frames, ignore_index=True)
    if _kind(parts[0]) in ("csv", "tsv"):
        df = df.apply(_infer_csv_column)
    if len(df) == 0:
        raise InputError(f"the input parts under {path} have no data rows")
    return df


def input_info(path: str | Path) -> dict[str, Any]:
    """What the report records of the input: each part's name, size and sha256, and one
    sha256 over the parts (the file's own for a single file)."""
    parts = input_parts(path)
    if len(parts) == 1:
        p = parts[0]
        return {"file": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
    listed = [{"file": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
              for p in parts]
    combined = hashlib.sha256(
        "\n".join(f"{x['file']} {x['sha256']}" for x in listed).encode()
    ).hexdigest()
    return {"file": str(path), "sha256": combined, "bytes": sum(x["bytes"] for x in listed),
            "parts": listed}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV, TSV, Parquet or JSONL into a DataFrame, or raise InputError with one line."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input file not found: {p}")
    if p.is_dir():
        raise InputError(f"input path is a directory, not a file: {p}")
    if p.stat().st_size == 0:
        raise InputError(f"input file is empty: {p}")
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        df = _read_parquet(p)
    elif suffix in JSONL_SUFFIXES:
        df = _read_jsonl(p)
    elif suffix in CSV_SUFFIXES:
        df = _read_csv(p, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(
            f"unsupported input type '{suffix or '(none)'}' for {p.name}; use .csv, .tsv, "
            ".parquet or .jsonl"
        )
    if df.shape[1] == 0:
        raise InputError(f"input file has no columns: {p}")
    if len(df) == 0:
        raise InputError(f"input file has a header but no data rows: {p}")
    return df


def _decode(p: Path) -> str:
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raise InputError(f"{p.name} is gzip-compressed; decompress it first")
    if raw[:4] == b"PK\x03\x04":
        raise InputError(f"{p.name} is a zip archive (an Excel file?); export it as CSV")
    if b"\x00" in raw[:8192]:
        raise InputError(f"{p.name} is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{p.name} is not valid UTF-8 (bad byte at offset {exc.start}); re-save it as UTF-8"
        ) from None


def _read_csv(p: Path, sep: str) -> pd.DataFrame:
    return _read_csv_text(p, sep).apply(_infer_csv_column)


def _read_csv_text(p: Path, sep: str) -> pd.DataFrame:
    """Every cell as a string (or missing), with the file's shape checked."""
    if not p.exists():
        raise InputError(f"input file not found: {p}")
    text = _decode(p)
    if not text.strip():
        raise InputError(f"input file is empty: {p}")
    _check_shape(text, sep, p)
    try:
        raw = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=True, index_col=False
        )
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise InputError(f"{p.name} is not a well-formed CSV: {first}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"input file is empty: {p}") from None
    return raw


_LEADING_ZERO = re.compile(r"^[+-]?0\d")


# Cells that stand for a missing number in a column of numbers ("?" in census tables).
MISSING_MARKS = frozenset({"?", "-", "--", "."})
# ... when they are at most this share of the column's cells.
MAX_MISSING_MARKS = 0.05


def _infer_csv_column(s: pd.Series) -> pd.Series:
    """Numbers become numbers unless a leading zero says they are codes (zip codes, IDs). A
    few "?" or "-" cells among numbers are missing numbers."""
    values = s.dropna().str.strip()
    if values.empty:
        return s
    marks = values.isin(MISSING_MARKS)
    if marks.any() and marks.mean() <= MAX_MISSING_MARKS and not marks.all() and \
            pd.to_numeric(values[~marks], errors="coerce").notna().all():
        return _infer_csv_column(s.where(~s.str.strip().isin(MISSING_MARKS)))
    lowered = values.str.lower()
    if lowered.isin(["true", "false"]).all():
        return s.map(lambda v: v if pd.isna(v) else v.strip().lower() == "true").astype("boolean")
    if values.str.match(_LEADING_ZERO).any():
        return s
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        out = pd.to_numeric(s.str.strip(), errors="coerce")
        finite = out[np.isfinite(out.astype(float))]
        integral = bool((finite % 1 == 0).all()) and len(finite) == out.notna().sum()
        if integral and values.str.fullmatch(r"[+-]?\d+").all() and finite.abs().max() >= 2**53:
            return s  # integers too large for a float are codes (IDs, account numbers)
        if integral and out.abs().max() < 2**53:
            return out.astype("Int64")
        return out
    return s


def _check_shape(text: str, sep: str, p: Path) -> None:
    """Reject ragged rows: pandas would silently drop or shift their cells."""
    csv.field_size_limit(2**31 - 1)  # long free-text cells are legitimate
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader, [])
        _check_header(header, p)
        for record in reader:
            if record and len(record) != len(header):
                raise InputError(
                    f"{p.name} is not a well-formed CSV: record ending on line {reader.line_num} "
                    f"has {len(record)} fields, the header has {len(header)}"
                )
    except csv.Error as exc:
        raise InputError(f"{p.name} is not a well-formed CSV: {exc}") from None


def _check_header(header: list[str], p: Path) -> None:
    names = [h.strip() for h in header]
    if any(not n for n in names):
        raise InputError(f"{p.name} has an unnamed column at position {names.index('') + 1}")
    dup = sorted(n for n, c in Counter(names).items() if c > 1)
    if dup:
        raise InputError(f"{p.name} has duplicate column names: {', '.join(dup)}")


def _read_parquet(p: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise InputError(
            f"{p.name} is not a readable Parquet file ({type(exc).__name__})"
        ) from None


def _read_jsonl(p: Path) -> pd.DataFrame:
    text = _decode(p)
    try:
        return pd.read_json(io.StringIO(text), lines=True)
    except ValueError:
        raise InputError(f"{p.name} is not valid JSON Lines") from None


def _neutral(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES) else value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix cells (and column names) that a spreadsheet would run as formulas with a quote."""
    out = df.copy()
    out.columns = [_neutral(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_neutral)
    return out


def frame_to_csv_bytes(df: pd.DataFrame, neutralise: bool = True) -> bytes:
    """CSV bytes; with ``neutralise`` (``output.neutralise_formulas``), formula cells are quoted."""
    frame = neutralise_formulas(df) if neutralise else df
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def check_output_dir(outdir: str | Path, force: bool) -> Path:
    """Fail early, before any work, if OUTDIR cannot be written."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path exists and is not a directory: {out}")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"output directory {out} is not empty; pass --force to replace it")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"parent folder of the output does not exist: {parent}")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write to {parent}")
    return out


_UNFINISHED: set[Path] = set()  # temporary output folders being written


def remove_unfinished_outputs() -> None:
    """Remove the temporary folders of writes still in progress (the process is about to end
    without finishing them)."""
    for tmp in list(_UNFINISHED):
        shutil.rmtree(tmp, ignore_errors=True)


def write_outputs_atomically(outdir: str | Path, payload: dict[str, bytes]) -> None:
    """Write every file into a sibling temporary folder, then swap it into place.

    A crash at any point leaves either the old folder or the complete new one, never a mix.
    """
    out = Path(outdir).resolve()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    _UNFINISHED.add(tmp)
    try:
        for name, data in payload.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        _UNFINISHED.discard(tmp)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def frame_input_info(df: pd.DataFrame) -> dict[str, Any]:
    """What the report records of a DataFrame given to the API with no file behind it: a
    sha256 of its CSV form, so two runs on the same data can be matched."""
    data = df.to_csv(index=False).encode("utf-8")
    return {"sha256": hashlib.sha256(data).hexdigest(),
            "sha256_of": "the input DataFrame written as CSV", "bytes": len(data)}
