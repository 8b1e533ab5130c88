"""Suppression before release: drop synthetic rows that sit on top of a real person.

Two rules, both counted in the report:
- a row closer to its nearest training row than the ``distance_quantile`` of holdout-to-train
  nearest distances (or an exact copy of a training row) is too close;
- a row whose quasi-identifier combination (numbers in quintiles) occurs in fewer than
  ``rare_qi_min_count`` training rows reproduces a rare, re-identifying combination.
The pipeline samples replacements for dropped rows.

At scale, the nearest-row search runs against the rows the model was fitted on (at most
``tabular.max_fit_rows``): the model never saw the others. Exact copies of *any* training row
are still caught, by hashing every encoded training row. The holdout distances that set the
threshold come from a seeded sample of at most ``THRESHOLD_ROWS`` holdout rows. Both searches
compare only rows that agree on every category (``nearest_below_mismatch``) whenever the
threshold is below one full mismatch, which it nearly always is; otherwise they fall back to
brute force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config import SuppressionConfig
from privsynth.metrics.binning import QiBinner
from privsynth.metrics.distance import MixedEncoder, nearest_below_mismatch, nearest_distances
from privsynth.schema import ColumnSchema
from privsynth.seeds import Stream

# Quasi-identifier numbers and dates are compared in quintiles: exact ages or birth dates
# make almost every combination rare, and suppression would then remove ordinary rows.
QI_BINS = 5
THRESHOLD_ROWS = 50_000


def _row_hashes(encoded: np.ndarray) -> np.ndarray:
    """One 64-bit hash per encoded row; equal rows (to 1e-9) hash alike."""
    return pd.util.hash_pandas_object(pd.DataFrame(np.round(encoded, 9)), index=False).to_numpy()


def _reference_quantile(
    reference: np.ndarray, probe: np.ndarray, exact: np.ndarray, n_columns: int, q: float
) -> float:
    """The ``q`` quantile of probe-to-reference nearest distances.

    Capped blocked distances give the exact quantile when the order statistics it
    interpolates between are below the cap; otherwise the search is repeated by brute force.
    """
    d, cap = nearest_below_mismatch(reference, probe, exact, n_columns)
    upper = int(np.ceil(q * (len(d) - 1)))
    if np.partition(d, upper)[upper] >= cap:
        d = nearest_distances(reference, probe, 1, n_columns)[:, 0]
    return float(np.quantile(d, q))


@dataclass(frozen=True)
class SuppressionRule:
    """Fitted on real rows; flags synthetic rows to drop."""

    encoder: MixedEncoder | None
    train_encoded: np.ndarray | None
    threshold: float
    rare_combos: frozenset[str]
    quasi: tuple[str, ...]
    binner: QiBinner | None
    schema: dict[str, ColumnSchema]
    train_hashes: np.ndarray | None = None

    @classmethod
    def fit(
        cls,
        train: pd.DataFrame,
        holdout: pd.DataFrame,
        schema: dict[str, ColumnSchema],
        quasi: list[str],
        config: SuppressionConfig,
        fitted: pd.DataFrame | None = None,
        seed: int = 0,
    ) -> SuppressionRule:
        """``fitted``: the training rows the model saw (a subset of ``train``'s index), when it
        saw a sample of ``train``."""
        cols = list(train.columns)
        encoder, encoded, threshold, hashes = None, None, -1.0, None
        if cols and config.distance_quantile > 0 and len(holdout) >= 20:
            encoder = MixedEncoder({c: schema[c] for c in cols}).fit(pd.concat([train, holdout]))
            everyone = encoder.transform(train)
            hashes = np.unique(_row_hashes(everyone))
            # The fitted rows are rows of train: take their encoding instead of encoding again.
            encoded = (
                everyone if fitted is None else everyone[train.index.get_indexer(fitted.index)]
            )
            probe = holdout
            if len(holdout) > THRESHOLD_ROWS:
                rng = seeds.rng(seed, Stream.SUPPRESSION_THRESHOLD)
                probe = holdout.iloc[np.sort(rng.choice(len(holdout), THRESHOLD_ROWS, False))]
            threshold = _reference_quantile(
                encoded, encoder.transform(probe), encoder.exact_, len(cols),
                config.distance_quantile,
            )
        rare: frozenset[str] = frozenset()
        qis = tuple(c for c in quasi if c in cols)
        binner = None
        if qis and config.rare_qi_min_count > 1:
            # Bins are fixed here, once: flags() keys each synthetic batch with them.
            binner = QiBinner([train, holdout], schema, list(qis), QI_BINS)
            counts = binner.keys(train).value_counts()
            rare = frozenset(counts[counts < config.rare_qi_min_count].index)
        return cls(encoder, encoded, threshold, rare, qis, binner, schema, hashes)

    def flags(self, synthetic: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(too_close, rare_combination) boolean masks over synthetic rows."""
        n = len(synthetic)
        too_close = np.zeros(n, bool)
        rare = np.zeros(n, bool)
        if self.encoder is not None and self.train_encoded is not None and n:
            cols = self.encoder.columns_
            query = self.encoder.transform(synthetic[cols])
            d, cap = nearest_below_mismatch(
                self.train_encoded, query, self.encoder.exact_, len(cols)
            )
            if self.threshold > cap:  # the blocked search cannot see that far
                d = nearest_distances(self.train_encoded, query, 1, len(cols))[:, 0]
            too_close = (d < self.threshold) | (d == 0)
            if self.train_hashes is not None:
                too_close |= np.isin(_row_hashes(query), self.train_hashes)
        if self.rare_combos and n and self.binner is not None:
            rare = self.binner.keys(synthetic).isin(self.rare_combos).to_numpy()
        return too_close, rare
