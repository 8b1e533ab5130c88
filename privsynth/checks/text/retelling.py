"""Retold texts: generated texts that follow one training text word by word, masks aside.

A retold personal story is a disclosure even without a name: the same events in the same
order, its rare words masked and a fake name put in. The measure (``metrics/retelling.py``)
is the share of a text's content words that follow one training text in order. Real texts
retell each other too (form letters, a complaint filed twice), so the share of generated
texts that retell a training text is compared with the share of real texts that do (holdout
texts, and training texts each against the others, left out of the comparison), by a score
test on the counts (``checks/privacy/tail.py``), the worst text column reported
and the columns judged together."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from privsynth.checks.base import CheckContext, Measurement, NotApplicable
from privsynth.checks.privacy.tail import Excess, worst_of
from privsynth.checks.text.common import nonempty, text_columns
from privsynth.metrics.retelling import Retelling
from privsynth.vocab import Category, Goal

MIN_HOLDOUT_TEXTS = 20
# Texts judged per set, a seeded sample beyond that: each costs a few subsequence searches.
MAX_TEXTS = 5_000


def _at_most(texts: list[str], rng: np.random.Generator) -> list[str]:
    if len(texts) <= MAX_TEXTS:
        return texts
    return [texts[i] for i in np.sort(rng.choice(len(texts), MAX_TEXTS, replace=False))]


class TextRetelling:
    name: ClassVar[str] = "text_retelling"
    category: ClassVar[Category] = Category.PRIVACY
    goal: ClassVar[Goal] = Goal.AT_MOST
    threshold_key: ClassVar[str] = "max_text_retelling_excess"
    explanation: ClassVar[str] = (
        "Share of generated texts that retell one training text (half or more of their "
        "content words, or 40 of them, follow it in order, masks and placeholders aside, "
        "beyond what that text gets from its nearest real twin), minus the share of real "
        "texts that do (unseen ones, and training texts against the others). 0 means no "
        "more retellings than real people write themselves; the default policy refuses any "
        "excess the data can show."
    )

    def compute(self, ctx: CheckContext) -> Measurement:
        pairs: list[tuple[str, Excess]] = []
        per_col: dict[str, dict[str, float]] = {}
        rng = ctx.rng(43)
        for name, col in text_columns(ctx).items():
            holdout = _at_most(nonempty(col.holdout), rng)
            if len(holdout) < MIN_HOLDOUT_TEXTS:
                continue
            synthetic = _at_most(nonempty(col.synthetic), rng)
            model = Retelling().fit(nonempty(col.train))
            retold = sum(model.retells(t) for t in synthetic)
            # What chance gives: unseen texts, and training texts each against the others.
            chance = sum(model.retells(t) for t in holdout)
            n_train = len(model.texts_)
            loo = np.sort(rng.choice(n_train, min(n_train, MAX_TEXTS), replace=False))
            chance += model.retold_within([int(i) for i in loo])
            excess = Excess(retold, len(synthetic), chance, len(holdout) + len(loo))
            pairs.append((name, excess))
            per_col[name] = excess.as_dict()
        if not pairs:
            raise NotApplicable(f"fewer than {MIN_HOLDOUT_TEXTS} holdout texts per text column")
        worst = worst_of(pairs)
        return Measurement(worst.value, worst.ci(),
                           {"worst_column": worst.label, "per_column": per_col,
                            "interval": "Newcombe score interval, simultaneous over columns"},
                           bound=worst.bound)
