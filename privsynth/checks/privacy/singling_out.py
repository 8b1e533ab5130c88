"""Singling-out risk (anonymeter's multivariate attack, re-implemented from the paper).

The attacker writes predicates from synthetic rows, such as age >= 71 AND plan == premium
AND region == r3, that match exactly one synthetic row. An attack succeeds when the predicate
matches exactly one record of a training sample as large as the holdout. The control is the
same predicates on the holdout.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.attack_data import aligned, is_numeric
from privsynth.checks.privacy.risk import privacy_risk
from privsynth.vocab import Category, Goal

PREDICATE_COLUMNS = 3
MAX_TRIES_FACTOR = 50


class SinglingOut:
    name: ClassVar[str] = "singling_out_risk"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_singling_out_risk"
    explanation: ClassVar[str] = (
        "Share of predicates built from synthetic rows that isolate exactly one real training "
        "record, beyond what they achieve on held-out records: (attack - control) / "
        "(1 - control). 0 means the synthetic data gives no extra power to single people out."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        cols = list(ctx.train.columns)
        if not cols or len(ctx.synthetic) < 10:
            raise NotApplicable("no structured columns or too few synthetic rows")
        data = aligned(ctx, cols)
        rng = ctx.rng(10)
        width = min(PREDICATE_COLUMNS, len(cols))
        n_syn = len(ctx.synthetic)
        queries: list[list[tuple[str, str, float]]] = []
        tries = 0
        while len(queries) < ctx.attacks and tries < ctx.attacks * MAX_TRIES_FACTOR:
            tries += 1
            row = int(rng.integers(n_syn))
            query = []
            for col in rng.choice(cols, width, replace=False):
                value = data["synthetic"][col][row]
                op = ("ge" if rng.random() < 0.5 else "le") if is_numeric(ctx, col) else "eq"
                query.append((str(col), op, float(value)))
            if _count(data["synthetic"], query) == 1:
                queries.append(query)
        if len(queries) < 30:
            raise NotApplicable(f"only {len(queries)} singling-out predicates could be built")
        # A predicate isolates one record more easily in a small table, so the attack is
        # scored on a random training sample as large as the holdout: under independence
        # attack and control are then exchangeable and the risk is unbiased.
        sample = np.sort(
            rng.choice(len(ctx.train), min(len(ctx.train), len(ctx.holdout)), replace=False)
        )
        train_sample = {c: v[sample] for c, v in data["train"].items()}
        attack = sum(_count(train_sample, q) == 1 for q in queries)
        control = sum(_count(data["holdout"], q) == 1 for q in queries)
        risk, ci, details = privacy_risk(attack, control, len(queries), len(queries))
        return Measurement(
            risk,
            ci,
            {**details, "predicate_columns": width, "attack_on": "training sample of holdout size"},
        )


def _count(frame: dict[str, np.ndarray], query: list[tuple[str, str, float]]) -> int:
    mask = None
    for col, op, value in query:
        x = frame[col]
        if np.isnan(value):
            m = np.isnan(x)
        elif op == "eq":
            m = x == value
        elif op == "ge":
            m = x >= value
        else:
            m = x <= value
        mask = m if mask is None else mask & m
    return int(mask.sum()) if mask is not None else 0
