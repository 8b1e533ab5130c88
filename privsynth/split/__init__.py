"""The split stage: real rows into training rows and a holdout no model ever sees.

Canary records, when asked for, are planted in the training rows here, so every later stage
treats them as the people the model learned from."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config import Config
from privsynth.errors import InputError
from privsynth.pii.scan import ScanResult
from privsynth.seeds import Stream
from privsynth.split.canaries import CanarySet, make_canaries

logger = logging.getLogger(__name__)

MIN_ROWS = 10


@dataclass(frozen=True)
class Split:
    """Training rows (canaries included) and the holdout, as frames of the input's columns."""

    train: pd.DataFrame = field(repr=False)
    holdout: pd.DataFrame = field(repr=False)
    canaries: CanarySet | None = field(default=None, repr=False)

    def section(self) -> dict[str, Any]:
        """The split's part of the report's ``input`` section."""
        return {
            "train_rows": int(len(self.train)),
            "canaries_planted": 0 if self.canaries is None else int(len(self.canaries.rows)),
            "holdout_rows": int(len(self.holdout)),
        }


def split_holdout(df: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded split of real rows into train and a holdout that no model sees."""
    n = len(df)
    n_hold = int(round(n * share))
    if n < MIN_ROWS or n_hold < 1 or n - n_hold < 2:
        raise InputError(
            f"the input has {n} row{'s' if n != 1 else ''}; privsynth needs at least {MIN_ROWS}"
        )
    order = seeds.rng(seed, Stream.SPLIT).permutation(n)
    return df.iloc[np.sort(order[n_hold:])], df.iloc[np.sort(order[:n_hold])]


def split_stage(table: pd.DataFrame, scan: ScanResult, config: Config) -> Split:
    """Split the table; plant ``checks.canaries`` canary records in the training rows."""
    train, holdout = split_holdout(table, config.holdout_share, config.seed)
    canaries = None
    if config.checks.canaries:
        canaries = make_canaries(config.checks.canaries, train, scan, config.seed)
        train = pd.concat([train, canaries.rows])
        logger.info("planted %d canary records in the training rows", len(canaries.rows))
    return Split(train, holdout, canaries)


__all__ = ["MIN_ROWS", "Split", "split_holdout", "split_stage"]
