"""text_detection_auc: real-looking text passes, text that gives itself away fails."""

from __future__ import annotations

import dataclasses

import numpy as np

from privsynth.checks import run_checks
from privsynth.checks.base import TextColumn
from privsynth.checks.text.detection import TextDetection
from tests.unit.test_checks_oracle import GATE, by_name, context, population


def test_texts_from_the_same_population_read_alike_and_pass() -> None:
    pop = population(3000, seed=7)
    train, holdout, other = pop.iloc[:1200], pop.iloc[1200:1500], pop.iloc[1500:2700]
    ctx = context(train, holdout, other)
    result = by_name(run_checks(ctx, GATE, (TextDetection,)))["text_detection_auc"]
    # Cross-validated AUC under no signal sits at or a little below 0.5.
    assert abs(result.value - 0.5) < 0.06, result.value
    assert result.ci[1] - result.ci[0] < 0.1
    assert result.status == "pass"


def test_generated_text_that_gives_itself_away_fails() -> None:
    pop = population(3000, seed=7)
    train, holdout, other = pop.iloc[:1200], pop.iloc[1200:1500], pop.iloc[1500:2700]
    rng = np.random.default_rng(0)
    # Right words, wrong voice: every generated text opens with the same boilerplate.
    fake = [f"As an assistant I note the following details {t}" for t in other["note"]]
    ctx = context(train, holdout, other)
    ctx = dataclasses.replace(ctx, texts={"note": TextColumn(
        list(train["note"]), list(holdout["note"]), list(rng.permutation(fake)))})
    result = by_name(run_checks(ctx, GATE, (TextDetection,)))["text_detection_auc"]
    assert result.value > 0.99 and result.ci[0] > GATE.max_text_detection_auc
    assert result.status == "fail"
    assert result.details["per_column"] == {"note": round(result.value, 4)}
