"""The Berka bank database loaded into a real database from its published DDL (keys
declared in the schema), read in place from the shared datasets folder."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

BERKA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "berka"
# The DDL declares one more table (trans) than there are files: it stays empty, and the runs
# pick the seven with rows.
TABLES = ("district", "account", "client", "disp", "card", "loan", "order")


def available() -> bool:
    return (BERKA / "berka_ddl.sql").is_file() and all(
        (BERKA / f"{t}.csv").is_file() for t in TABLES)


def load(url: str) -> dict[str, pd.DataFrame]:
    """Create Berka's schema at ``url`` and insert every file's rows; the frames inserted."""
    from sqlalchemy import DateTime, MetaData, create_engine, text

    from privsynth.database import _with_driver

    ddl = (BERKA / "berka_ddl.sql").read_text()
    statements = [s.strip() for s in ddl.split(";") if s.strip()]
    engine = create_engine(_with_driver(url))
    frames = {t: pd.read_csv(BERKA / f"{t}.csv") for t in TABLES}
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(re.sub(r"\s+", " ", statement)))
            meta = MetaData()
            meta.reflect(conn)
            for name in TABLES:  # parents first
                frame = frames[name].astype(object).where(frames[name].notna(), None)
                for col in meta.tables[name].columns:  # dates as the driver takes them
                    if isinstance(col.type, DateTime) and col.name in frame:
                        frame[col.name] = [pd.Timestamp(v).to_pydatetime() if v else None
                                           for v in frame[col.name]]
                conn.execute(meta.tables[name].insert(), frame.to_dict("records"))
    finally:
        engine.dispose()
    return frames
