"""SDV single-table synthesizers behind the privsynth protocol."""

from __future__ import annotations

import contextlib
import logging
import random
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from privsynth.errors import ConfigError, NotFittedError, SynthesisError
from privsynth.schema import ColumnSchema, from_model_frame, to_model_frame

logger = logging.getLogger(__name__)

TABLE = "table"
_SDV_CLASSES = {"gaussian_copula": "GaussianCopulaSynthesizer", "ctgan": "CTGANSynthesizer"}


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """SDV and RDT draw from numpy's and torch's global generators; pin both for a step."""
    state = np.random.get_state()
    py_state = random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch comes with SDV
        pass
    try:
        yield
    finally:
        np.random.set_state(state)
        random.setstate(py_state)


class SdvSynthesizer:
    """Wraps an SDV 2 single-table synthesizer. Datetimes enter as day numbers."""

    def __init__(self, kind: str, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.name = kind
        self.kind = kind
        self.params = dict(params or {})
        self.seed = seed

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> SdvSynthesizer:
        import sdv.single_table as single_table
        from sdv.metadata import Metadata

        if df.shape[1] == 0:
            raise SynthesisError("no structured columns to model")
        self.schema_ = {c: schema[c] for c in df.columns}
        frame = to_model_frame(df, self.schema_)
        metadata = Metadata.load_from_dict(
            {"tables": {TABLE: {"columns": {c: _sdtype(self.schema_[c]) for c in frame.columns}}}}
        )
        cls = getattr(single_table, _SDV_CLASSES[self.kind])
        try:
            model = cls(metadata, **self.params)
        except TypeError as exc:
            raise ConfigError(f"tabular.params is invalid for {self.kind}: {exc}") from None
        with warnings.catch_warnings(), _seeded(self.seed):
            warnings.simplefilter("ignore")
            model.fit({TABLE: frame})
        self.model_ = model
        self.columns_ = list(df.columns)
        logger.info("fitted %s on %d rows x %d columns", self.kind, len(df), df.shape[1])
        return self

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{self.kind} synthesizer used before fit()")
        model = self.model_
        with warnings.catch_warnings(), _seeded(seed):
            warnings.simplefilter("ignore")
            model.reset_sampling()
            model._set_random_state(seed)  # SDV's own per-sample seed; public API has none
            frame = model.sample(num_rows=n)
        if isinstance(frame, dict):
            frame = frame[TABLE]
        frame = frame.reset_index(drop=True)[self.columns_]
        return from_model_frame(frame, self.schema_)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.kind,
            "engine": f"sdv.{_SDV_CLASSES[self.kind]}",
            "params": self.params,
        }


def _sdtype(cs: ColumnSchema) -> dict[str, str]:
    if cs.kind in ("integer", "float", "datetime"):
        return {"sdtype": "numerical"}
    return {"sdtype": "categorical"}
