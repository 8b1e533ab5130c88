"""The Adult table for the benchmarks: the public file when ../shared/datasets has it, else a
generated Adult-like table of the same size (seeded), so `make bench` still runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ADULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "adult_census_uci_48842.csv"


def load_adult(rows: int = 48_842) -> tuple[pd.DataFrame, str]:
    """(table, a description of where it came from)."""
    if ADULT.exists():
        from privsynth.io import read_table

        return read_table(ADULT), ADULT.name
    from bench_scaling import population

    print(f"note: {ADULT} is missing; using a generated Adult-like table of {rows:,} rows")
    return population(rows, seed=48_842), f"generated Adult-like table ({rows} rows)"
