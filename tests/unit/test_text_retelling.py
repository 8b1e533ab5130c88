"""Retold texts: a generated text that follows one training text word by word, its rare words
masked and a fake name put in, is a disclosure; the check refuses a release with a few of
them, passes unseen real texts, and the generator's filter rejects them before they are kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from privsynth.checks import run_checks
from privsynth.checks.text.memorization import TextMemorization
from privsynth.checks.text.retelling import TextRetelling
from privsynth.config import default_config
from privsynth.metrics.retelling import Retelling, content_words, lcs_length

from .test_checks_oracle import context, population

GATE = default_config().gate
# Pronounceable pseudo-words, none of them an English stop word ("has", "bit").
VOCABULARY = np.array([w for w in (f"{a}{b}{c}" for a in "bcdfghklmnprstvz" for b in "aeiou"
                                   for c in "lmnrstk") if content_words(w)])


def stories(n: int, seed: int) -> list[str]:
    """Distinct 40-90 word texts over a shared Zipf vocabulary: each one person's own."""
    rng = np.random.default_rng(seed)
    zipf = 1 / np.arange(1, len(VOCABULARY) + 1) ** 0.9
    p = zipf / zipf.sum()
    return [" ".join(rng.choice(VOCABULARY, int(rng.integers(40, 90)), p=p)) + "."
            for _ in range(n)]


def retold(text: str, rng: np.random.Generator) -> str:
    """The text retold: a quarter of its words masked, a fake name in, a tenth dropped."""
    words = [("XXXX" if rng.random() < 0.25 else w) for w in text.rstrip(".").split()
             if rng.random() > 0.1]
    words.insert(3, "Ryan Chavez")
    return "I wrote to them. " + " ".join(words) + "."


@pytest.fixture(scope="module")
def texts() -> tuple[list[str], list[str], list[str]]:
    real = stories(2200, seed=3)
    return real[:1000], real[1000:1200], real[1200:]


def judged(train: list[str], holdout: list[str], synthetic: list[str]) -> dict:
    pop = population(len(train) + len(holdout) + len(synthetic), seed=9)
    tr = pop.iloc[:len(train)].assign(note=train)
    ho = pop.iloc[len(train):len(train) + len(holdout)].assign(note=holdout)
    sy = pop.iloc[len(train) + len(holdout):].assign(note=synthetic, customer_id="FAKE")
    results = run_checks(context(tr, ho, sy), GATE, checks=(TextRetelling, TextMemorization))
    return {r.name: r for r in results}


def test_the_measure_follows_words_in_order_with_masks_aside() -> None:
    assert lcs_length("a b c d e".split(), "a x c y e".split()) == 3
    assert lcs_length([], ["a"]) == 0
    assert content_words("The XXXX payroll <PERSON> 1500 department, and wages") == [
        "payroll", "department", "wages"]


def test_a_copy_fails_and_unseen_real_texts_pass(texts) -> None:
    train, holdout, fresh = texts
    copy = judged(train, holdout, train[:1000])["text_retelling"]
    assert copy.status == "fail" and copy.value > 0.9
    independent = judged(train, holdout, fresh)["text_retelling"]
    assert independent.status == "pass", independent.details
    assert independent.ci[0] <= 0 <= independent.ci[1] + 1e-9


def test_five_percent_retold_texts_among_good_ones_are_refused(texts) -> None:
    train, holdout, fresh = texts
    rng = np.random.default_rng(1)
    leaked = [retold(train[i], rng) for i in rng.choice(len(train), 50, replace=False)]
    synthetic = fresh[:950] + leaked
    results = judged(train, holdout, synthetic)
    assert results["text_retelling"].status == "fail", results["text_retelling"].details
    # TF-IDF nearness misses most of them: the masks and the name move the vectors apart.
    assert results["text_memorization"].value < results["text_retelling"].value + 0.05


def test_the_generator_filter_rejects_a_retelling_and_keeps_a_fresh_text(texts) -> None:
    from privsynth.text.filter import OutputFilter
    from privsynth.text.summary import NgramIndex

    class Far:  # a nearness filter that lets everything through: only retelling is tested
        def closest(self, text: str) -> tuple[float, float]:
            return 0.0, 1.0

    train, _, fresh = texts
    model = Retelling().fit(train)
    rng = np.random.default_rng(2)
    assert all(model.retells(retold(t, rng)) for t in train[:40])
    assert np.mean([model.retells(t) for t in fresh[:200]]) <= 0.02
    # Wired into the filter every generated text passes through.
    out = OutputFilter(NgramIndex(99).fit(train), Far(), 1, retelling=model)  # type: ignore[arg-type]
    assert out.reason(retold(train[7], rng)) == "retells_real"
    assert out.reason(fresh[0]) is None


def test_templated_real_texts_that_are_each_others_twins_are_not_retellings() -> None:
    template = ("the device stopped working after the update and support told me to restart "
                "it again and again but the problem came back every single morning")
    real = [template + f" {w}" for w in VOCABULARY[:300]]
    model = Retelling().fit(real)
    # Following the column's template is what every real text does.
    assert not model.retells(template + " " + VOCABULARY[400])
    assert pd.Series([model.retells(t, exclude=i) for i, t in enumerate(real[:50])]).sum() == 0
