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
from privsynth.tabular.marginals import EmpiricalMarginal

logger = logging.getLogger(__name__)

TABLE = "table"
_SDV_CLASSES = {
    "gaussian_copula": "GaussianCopulaSynthesizer",
    "ctgan": "CTGANSynthesizer",
    "tvae": "TVAESynthesizer",
    "copulagan": "CopulaGANSynthesizer",
}
# privsynth's own parameters; everything else in tabular.params goes to SDV.
# marginals = "empirical": numbers and dates enter SDV as normal scores of their empirical
# distribution (a quantile transform), so a Gaussian copula reproduces every marginal shape
# (zero-inflated, multi-modal, skewed) instead of forcing a parametric family on it.
_OWN_PARAMS = {"marginals", "marginal_block"}


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

    def __init__(
        self,
        kind: str,
        params: dict[str, Any] | None = None,
        seed: int = 0,
        constraints: list[Any] | None = None,
    ) -> None:
        self.name = kind
        self.kind = kind
        self.params = dict(params or {})
        self.seed = seed
        self.constraints = list(constraints or [])

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> SdvSynthesizer:
        import sdv.single_table as single_table
        from sdv.metadata import Metadata

        if df.shape[1] == 0:
            raise SynthesisError("no structured columns to model")
        self.schema_ = {c: schema[c] for c in df.columns}
        frame = to_model_frame(df, self.schema_)
        sdv_params = {k: v for k, v in self.params.items() if k not in _OWN_PARAMS}
        marginals = self.params.get("marginals", "empirical" if self.kind == "gaussian_copula"
                                    else "sdv")
        if marginals not in ("empirical", "sdv"):
            raise ConfigError("tabular.params.marginals must be 'empirical' or 'sdv'")
        # Columns a cross-column constraint reads keep their own scale.
        constrained = {c for con in self.constraints for c in con.columns}
        self.quantile_columns_ = (
            [
                c for c in frame.columns
                if self.schema_[c].kind in ("integer", "float", "datetime")
                and c not in constrained and frame[c].notna().sum() >= 2
            ]
            if marginals == "empirical" else []
        )
        self.quantiles_: dict[str, EmpiricalMarginal] = {}
        for i, c in enumerate(self.quantile_columns_):
            marginal = EmpiricalMarginal(self.seed + i, self.params.get("marginal_block", 5))
            frame[c] = marginal.fit_transform(frame[c].to_numpy())
            self.quantiles_[c] = marginal
        if self.quantile_columns_ and self.kind == "gaussian_copula":
            sdv_params.setdefault(
                "numerical_distributions", {c: "norm" for c in self.quantile_columns_}
            )
        metadata = Metadata.load_from_dict(
            {"tables": {TABLE: {"columns": {c: _sdtype(self.schema_[c]) for c in frame.columns}}}}
        )
        cls = getattr(single_table, _SDV_CLASSES[self.kind])
        try:
            model = cls(metadata, **sdv_params)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"tabular.params is invalid for {self.kind}: {exc}") from None
        sdv_constraints = [con.to_sdv() for con in self.constraints if con.sdv]
        if sdv_constraints:
            try:
                model.add_constraints(sdv_constraints)
            except Exception as exc:  # noqa: BLE001 - SDV raises many error types here
                raise ConfigError(
                    f"tabular.constraints cannot be applied: {str(exc).splitlines()[0]}"
                ) from None
        with warnings.catch_warnings(), _seeded(self.seed):
            warnings.simplefilter("ignore")
            try:
                model.fit({TABLE: frame})
            except Exception as exc:  # noqa: BLE001
                if sdv_constraints and "constraint" in type(exc).__name__.lower():
                    raise ConfigError(
                        "the training data breaks a tabular.constraints entry: "
                        f"{str(exc).splitlines()[0][:200]}"
                    ) from None
                raise
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
        for c, marginal in self.quantiles_.items():
            frame[c] = marginal.inverse(frame[c].to_numpy(dtype=float))
        return from_model_frame(frame, self.schema_)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.kind,
            "engine": f"sdv.{_SDV_CLASSES[self.kind]}",
            "params": self.params,
            "empirical_marginals": list(getattr(self, "quantile_columns_", [])),
            "constraints": [con.describe() for con in self.constraints],
        }


def _sdtype(cs: ColumnSchema) -> dict[str, str]:
    if cs.kind in ("integer", "float", "datetime"):
        return {"sdtype": "numerical"}
    return {"sdtype": "categorical"}
