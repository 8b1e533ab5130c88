"""The memory guard: estimate a run's peak memory and sample the input down to fit a budget."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from privsynth.errors import ConfigError

# Peak memory of a run per byte of input frame, measured on Adult with the default settings
# (split, model frames, 1,000+ synthetic rows, encoded check matrices): about 10x. Rounded up.
PEAK_PER_INPUT_BYTE = 12
_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$", re.IGNORECASE)
MIN_SAMPLE_ROWS = 1000


def parse_memory(text: str) -> int | None:
    """Bytes for "4GB"/"512MB"/"auto", or None for "off". Raises ConfigError otherwise."""
    value = text.strip().lower()
    if value == "off":
        return None
    if value == "auto":
        return available_memory() // 2
    m = _SIZE.match(text)
    if not m:
        raise ConfigError(
            f"max_memory '{text}' is not a size; use a value such as 4GB or 512MB, auto or off"
        )
    unit = m.group(2).upper()
    unit = unit if unit.endswith("B") or not unit else unit + "B"
    size = int(float(m.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ConfigError("max_memory must be more than 0")
    return size


def available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30  # pragma: no cover - no /proc: assume a modest machine


def estimate_peak(df: pd.DataFrame) -> int:
    return int(df.memory_usage(deep=True).sum()) * PEAK_PER_INPUT_BYTE


def fit_to_memory(df: pd.DataFrame, setting: str, seed: int) -> tuple[pd.DataFrame, str | None]:
    """Sample ``df`` (seeded, uniformly) so its estimated peak fits the budget.

    Returns the frame and a note for the report, or None when nothing changed."""
    budget = parse_memory(setting)
    if budget is None:
        return df, None
    peak = estimate_peak(df)
    if peak <= budget:
        return df, None
    keep = max(MIN_SAMPLE_ROWS, int(len(df) * budget / peak))
    if keep >= len(df):
        return df, None
    rng = np.random.default_rng([seed, 11])
    index = np.sort(rng.choice(len(df), keep, replace=False))
    sampled = df.iloc[index].reset_index(drop=True)
    label = "--max-memory" if setting.strip().lower() != "auto" else "the automatic memory budget"
    note = (
        f"input sampled from {len(df):,} to {keep:,} rows (uniform, seeded) to fit {label} "
        f"of {_human(budget)}; all rows would need about {_human(peak)}"
    )
    return sampled, note


def _human(size: int) -> str:
    for unit in ("TB", "GB", "MB", "KB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"
