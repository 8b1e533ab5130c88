"""Singling-out risk (anonymeter's multivariate attack, re-implemented from the paper).

The attacker writes predicates from synthetic rows, such as age >= 71 AND plan == premium
AND region == r3, that match exactly one synthetic row. An attack succeeds when the predicate
matches exactly one record of a training sample as large as the holdout. The control is the
same predicates on the holdout.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable, bootstrap_ci
from privsynth.checks.privacy.attack_data import aligned, is_numeric
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
        # scored on training chunks as large as the holdout: under independence each chunk and
        # the holdout are exchangeable and the risk is unbiased. Every training row is in one
        # chunk; a query's attack success is its mean over the chunks.
        n_hold = len(ctx.holdout)
        chunks = max(1, len(ctx.train) // n_hold)
        order = rng.permutation(len(ctx.train))[: chunks * min(n_hold, len(ctx.train))]
        parts = [
            {c: v[np.sort(idx)] for c, v in data["train"].items()}
            for idx in np.array_split(order, chunks)
        ]
        attack = np.array([np.mean([_count(p, q) == 1 for p in parts]) for q in queries])
        control = np.array([_count(data["holdout"], q) == 1 for q in queries], dtype=float)
        risk, ci, details = paired_risk(attack, control, rng, ctx.bootstrap)
        return Measurement(
            risk,
            ci,
            {**details, "predicate_columns": width, "training_chunks": chunks,
             "attack_on": "training chunks of holdout size"},
        )


def paired_risk(
    attack: np.ndarray, control: np.ndarray, rng: np.random.Generator, resamples: int
) -> tuple[float, tuple[float, float], dict[str, float]]:
    """(attack - control) / (1 - control) over paired queries, with a bootstrap CI over them."""

    def risk(pairs: np.ndarray) -> float:
        a, c = pairs[:, 0].mean(), pairs[:, 1].mean()
        return float((a - c) / max(1 - c, 1e-9))

    pairs = np.column_stack([attack, control])
    details = {"attack_rate": round(float(attack.mean()), 4),
               "control_rate": round(float(control.mean()), 4),
               "attacks": len(attack), "controls": len(control)}
    return risk(pairs), bootstrap_ci(pairs, risk, rng, resamples), details


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
