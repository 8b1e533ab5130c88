"""Canaries: planted fake records must be neither found nor reproduced in the output."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.pii_replay import count_replay
from privsynth.metrics.distance import MixedEncoder, nearest_distances
from privsynth.vocab import Category, Goal


class Canaries:
    name: ClassVar[str] = "canaries"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_canaries_found"
    explanation: ClassVar[str] = (
        "Unique fake records planted in the training data. A canary is found when one of its "
        "identifiers or unique text phrases appears in the output, or a synthetic row "
        "reproduces its structured values exactly. The report also gives how close canaries "
        "sit to synthetic rows compared with held-out real records (50% is expected)."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        if ctx.canaries is None or len(ctx.canaries) == 0:
            raise NotApplicable("no canaries were planted (use --canaries N)")
        found_strings, _ = count_replay(
            ctx.output if ctx.output is not None else pd.DataFrame(),
            ctx.canary_strings,
            ctx.text_columns,
        )
        cols = list(ctx.train.columns)
        reproduced = np.zeros(len(ctx.canaries), bool)
        percentile = float("nan")
        if cols:
            enc = MixedEncoder({c: ctx.schema[c] for c in cols}).fit(ctx.train)
            # Every synthetic row: a canary copied once must be found, not sampled away.
            every = ctx.synthetic_all if ctx.synthetic_all is not None else ctx.synthetic
            syn = enc.transform(every)
            d_can = nearest_distances(syn, enc.transform(ctx.canaries[cols]), 1, len(cols))[:, 0]
            d_hold = nearest_distances(syn, enc.transform(ctx.holdout), 1, len(cols))[:, 0]
            reproduced = d_can == 0
            percentile = float(np.mean([(d_hold < d).mean() for d in d_can]))
        found = len(found_strings) + int(reproduced.sum())
        return Measurement(
            float(found),
            None,
            {
                "canaries": len(ctx.canaries),
                "strings_found": len(found_strings),
                "rows_reproduced": int(reproduced.sum()),
                "mean_distance_percentile_vs_holdout": round(percentile, 3),
            },
        )
