"""The scan stage: roles from Presidio, names and formats, then the metadata every stage reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from privsynth.config import Config
from privsynth.metadata import TableMetadata, check_config_columns
from privsynth.pii.detect import PiiDetector
from privsynth.pii.scan import PiiScanner, ScanResult

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class ScanOutcome:
    """The scan's evidence per column (``scan``, the report's ``columns``) and the metadata
    every later stage reads."""

    scan: ScanResult
    meta: TableMetadata


def infinite_to_missing(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """No model or check can use +/-inf; they become missing values, noted per column."""
    masks: dict[str, np.ndarray] = {}
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col].dtype):
            mask = np.isinf(df[col].to_numpy(dtype=float, na_value=np.nan))
            if mask.any():
                masks[str(col)] = mask
    if masks:
        df = df.copy()
        for col, mask in masks.items():
            df[col] = df[col].where(~mask)
    return df, [f"{col}: {int(m.sum())} infinite value(s) treated as missing"
                for col, m in masks.items()]


def scan_stage(table: pd.DataFrame, config: Config, detector: PiiDetector) -> ScanOutcome:
    """Roles from Presidio, names and formats; then the metadata, overrides applied."""
    check_config_columns(list(table.columns), config)
    scan = PiiScanner(config.scan, config.seed, detector).scan(table)
    return ScanOutcome(scan, metadata_of(scan, config))


def metadata_of(scan: ScanResult, config: Config) -> TableMetadata:
    """The metadata of a scanned table: detected kinds, the scan's roles, the config's
    overrides."""
    return TableMetadata.build(
        scan.schema,
        {c.name: c.role for c in scan.columns},
        {c.name: c.dominant_entity for c in scan.columns},
        config,
    )
