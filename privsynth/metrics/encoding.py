"""Feature encoding shared by the model-based fidelity checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_LEVELS = 250


def encode_features(
    train: pd.DataFrame, test: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric columns as floats; others as integer codes of their (at most 250) most
    frequent training levels, with -1... mapped to NaN for unseen or rare levels.

    Returns both matrices and the boolean mask of categorical features.
    """
    cols = list(train.columns)
    x_train = np.empty((len(train), len(cols)))
    x_test = np.empty((len(test), len(cols)))
    categorical = np.zeros(len(cols), dtype=bool)
    for j, col in enumerate(cols):
        a, b = train[col], test[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x_train[:, j] = pd.to_numeric(a, errors="coerce").astype(float)
            x_test[:, j] = pd.to_numeric(b, errors="coerce").astype(float)
            continue
        categorical[j] = True
        levels = a.astype("string").value_counts().index[:MAX_LEVELS]
        codes = {v: i for i, v in enumerate(levels)}
        x_train[:, j] = a.astype("string").map(codes).astype(float)
        x_test[:, j] = b.astype("string").map(codes).astype(float)
    return x_train, x_test, categorical
