"""Column kinds inferred from values: what a synthesizer may model and how to restore it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from privsynth.vocab import Kind

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
)

# Free text: long-ish strings with several words, mostly distinct.
TEXT_MIN_MEAN_CHARS = 30.0
TEXT_MIN_MEAN_WORDS = 5.0


# Column names that usually mark the column a model would predict.
TARGET_WORDS = frozenset({
    "target", "label", "class", "outcome", "income", "churn", "churned", "default",
    "diagnosis", "response", "fraud", "survived", "salary", "y", "converted", "readmitted",
})


def target_like(name: str) -> bool:
    """Whether a column's name reads like a prediction target ("income", "is_churned")."""
    import re

    return bool(set(re.split(r"[^a-z0-9]+", name.lower())) & TARGET_WORDS)


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    kind: Kind
    datetime_format: str | None = None
    n_distinct: int = 0
    null_share: float = 0.0
    decimals: int = 0
    # Numbers written with thousands separators ("12,500.00"): parsed for the model and
    # written back in the same style.
    thousands: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))


def infer_schema(df: pd.DataFrame) -> dict[str, ColumnSchema]:
    return {str(c): infer_column(str(c), df[c]) for c in df.columns}


def infer_column(name: str, s: pd.Series) -> ColumnSchema:
    non_null = s.dropna()
    null_share = float(1 - len(non_null) / len(s)) if len(s) else 1.0
    if len(non_null) == 0:
        return ColumnSchema(name, Kind.EMPTY, null_share=null_share)
    n_distinct = int(non_null.astype(str).nunique())
    if pd.api.types.is_bool_dtype(s):
        return ColumnSchema(name, Kind.BOOLEAN, n_distinct=n_distinct, null_share=null_share)
    if pd.api.types.is_numeric_dtype(s):
        values = pd.to_numeric(non_null, errors="coerce").astype(float)
        finite = values[np.isfinite(values)]
        if len(finite) and bool(np.all(np.mod(finite, 1) == 0)):
            if float(np.abs(finite).max()) >= 2**53:
                # Beyond a float's exact range: codes, not quantities.
                return ColumnSchema(
                    name, Kind.CATEGORICAL, n_distinct=n_distinct, null_share=null_share
                )
            return ColumnSchema(name, Kind.INTEGER, n_distinct=n_distinct, null_share=null_share)
        return ColumnSchema(
            name,
            Kind.FLOAT,
            n_distinct=n_distinct,
            null_share=null_share,
            decimals=_decimals(finite),
        )
    strings = non_null.astype(str)
    grouped = _grouped_numbers(strings)
    if grouped is not None:
        finite = grouped[np.isfinite(grouped)]
        integral = bool(len(finite)) and bool(np.all(np.mod(finite, 1) == 0))
        has_point = bool(strings.str.contains(".", regex=False).any())
        return ColumnSchema(
            name,
            Kind.FLOAT if has_point or not integral else Kind.INTEGER,
            n_distinct=n_distinct,
            null_share=null_share,
            decimals=_point_decimals(strings) if has_point else 0,
            thousands=True,
        )
    fmt = detect_datetime_format(strings)
    if fmt is not None:
        return ColumnSchema(
            name, Kind.DATETIME, datetime_format=fmt, n_distinct=n_distinct, null_share=null_share
        )
    lowered = set(strings.str.strip().str.lower().unique())
    if lowered <= {"true", "false"}:
        return ColumnSchema(name, Kind.BOOLEAN, n_distinct=n_distinct, null_share=null_share)
    if is_text(strings):
        return ColumnSchema(name, Kind.TEXT, n_distinct=n_distinct, null_share=null_share)
    return ColumnSchema(name, Kind.CATEGORICAL, n_distinct=n_distinct, null_share=null_share)


_GROUPED = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d{1,3}(?:\.\d+)?"


def _grouped_numbers(strings: pd.Series) -> pd.Series | None:
    """Values if (nearly) every string is a number with thousands separators, else None."""
    sample = strings.str.strip()
    if not sample.str.contains(",", regex=False).any():
        return None
    if sample.str.fullmatch(_GROUPED).mean() < 0.98:
        return None
    return pd.to_numeric(sample.str.replace(",", "", regex=False), errors="coerce").astype(float)


def _point_decimals(strings: pd.Series) -> int:
    parts = strings.str.strip().str.split(".", n=1).str[1].dropna()
    return int(parts.str.len().max()) if len(parts) else 0


def is_text(strings: pd.Series) -> bool:
    sample = strings.head(2000)
    mean_chars = float(sample.str.len().mean())
    mean_words = float(sample.str.split().str.len().mean())
    distinct_share = sample.nunique() / max(len(sample), 1)
    return (
        mean_chars >= TEXT_MIN_MEAN_CHARS
        and mean_words >= TEXT_MIN_MEAN_WORDS
        and distinct_share >= 0.3
    )


def detect_datetime_format(strings: pd.Series) -> str | None:
    sample = strings.head(500).str.strip()
    if not sample.str.contains(r"\d", regex=True).all():
        return None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if parsed.notna().mean() >= 0.95:
            return fmt
    return None


def _decimals(values: pd.Series) -> int:
    for d in range(1, 7):
        if bool(np.all(np.isclose(values, np.round(values, d), atol=1e-9))):
            return d
    return 6


def to_model_frame(df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> pd.DataFrame:
    """Convert columns into types every synthesizer handles: floats and strings."""
    out: dict[object, pd.Series] = {}
    for col in df.columns:
        cs = schema[str(col)]
        s = df[col]
        if cs.kind in ("integer", "float"):
            if cs.thousands:
                s = s.astype("string").str.replace(",", "", regex=False)
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
        elif cs.kind == "datetime":
            parsed = pd.to_datetime(s.astype("string"), format=cs.datetime_format, errors="coerce")
            days = (parsed - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            out[col] = days.astype(float)
        else:
            out[col] = s.astype(str).astype(object).where(s.notna(), None)
    # Built at once: inserting columns one by one fragments wide frames.
    return pd.DataFrame(out, index=df.index, columns=list(df.columns))


def from_model_frame(df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> pd.DataFrame:
    """Invert ``to_model_frame``: restore integers, precision, date formats and booleans."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        cs = schema[str(col)]
        s = df[col]
        if cs.thousands and cs.kind in ("integer", "float"):
            numbers = pd.to_numeric(s, errors="coerce").round(cs.decimals)
            out[col] = numbers.map(
                lambda v, d=cs.decimals: None if pd.isna(v) else f"{v:,.{d}f}"
            ).astype(object)
        elif cs.kind == "integer":
            out[col] = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif cs.kind == "float":
            out[col] = pd.to_numeric(s, errors="coerce").round(cs.decimals)
        elif cs.kind == "datetime":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                days = pd.to_numeric(s, errors="coerce")
                has_time = "%H" in (cs.datetime_format or "")
                seconds = (days * 86400).round() if has_time else days.round() * 86400
                ts = pd.Timestamp("1970-01-01") + pd.to_timedelta(seconds, unit="s")
            out[col] = ts.dt.strftime(cs.datetime_format or "%Y-%m-%d")
        elif cs.kind == "boolean":
            out[col] = s.map(
                lambda v: None if _isnull(v) else str(v).strip().lower() == "true"
            ).astype("boolean")
        else:
            out[col] = s
    return out


def _isnull(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def texts_of(values: object) -> list[str]:
    """Cell values as strings, missing as ""."""
    return pd.Series(values, dtype=object).fillna("").astype(str).tolist()
