"""The memory guard: estimate a run's peak memory and sample the input down to fit a budget."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config_rules import _UNITS, parse_memory
from privsynth.seeds import Stream

logger = logging.getLogger(__name__)

# Peak memory of a run per byte of input frame, measured on Adult with the default settings
# (split, model frames, 1,000+ synthetic rows, encoded check matrices): about 10x. Rounded up.
PEAK_PER_INPUT_BYTE = 12
# The same for linked tables, measured on 100,000 parents and 981,305 child rows (92 MB of
# frames, 3.07 GB peak): about 33x. Rounded up.
LINKED_PEAK_PER_INPUT_BYTE = 36
MIN_SAMPLE_ROWS = 1000


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
    rng = seeds.rng(seed, Stream.MEMORY_SAMPLE)
    index = np.sort(rng.choice(len(df), keep, replace=False))
    sampled = df.iloc[index].reset_index(drop=True)
    return sampled, sampled_note(len(df), keep, setting, budget, peak)


def sampled_note(rows: int, keep: int, setting: str, budget: int, peak: int,
                 when: str = "") -> str:
    """The report's note on an input sampled down to fit the memory budget."""
    label = "--max-memory" if setting.strip().lower() != "auto" else "the automatic memory budget"
    how = f"uniform, seeded, {when}" if when else "uniform, seeded"
    return (f"input sampled from {rows:,} to {keep:,} rows ({how}) to fit {label} of "
            f"{human_size(budget)}; all rows would need about {human_size(peak)}")


def human_size(size: int) -> str:
    for unit in ("TB", "GB", "MB", "KB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class StageClock:
    """Seconds and peak memory at the end of each stage, for the report."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.peak_rss: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self._last
        self._last = now
        self.peak_rss[stage] = peak_rss_mb()
        logger.info("stage %s done in %.1fs", stage, self.timings[stage])
