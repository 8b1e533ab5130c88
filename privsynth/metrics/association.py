"""How much one column tells about another."""

from __future__ import annotations

import numpy as np
import pandas as pd


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float:
    """How much of a number's variance its category explains (eta, 0 to 1); NaN without
    two levels or any variance."""
    known = categories.notna().to_numpy() & values.notna().to_numpy()
    groups, x = categories[known].to_numpy(), values[known].to_numpy(dtype=float)
    if len(x) < 2 or len(set(groups)) < 2:
        return float("nan")
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    frame = pd.DataFrame({"g": groups, "x": x}).groupby("g")["x"].agg(["mean", "size"])
    between = float((frame["size"] * (frame["mean"] - x.mean()) ** 2).sum())
    return float(np.sqrt(between / total))
