"""Closed-vocabulary columns: which columns are written by a word model, and what it writes."""

from __future__ import annotations

from collections import Counter

import numpy as np

from privsynth.text.vocabulary import closed_vocabulary

WORDS = ["amber", "ledger", "quartz", "harbor", "velvet", "signal", "meadow", "copper"]


def _phrases(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(4, 9)))) for _ in range(n)]


def test_short_phrases_of_common_words_are_a_closed_vocabulary() -> None:
    model = closed_vocabulary(_phrases(200), k=5)
    assert model.words == tuple(sorted(WORDS))
    drawn = [model.sample(6, np.random.default_rng(s)) for s in range(300)]
    assert all(len(t.split()) == 6 and set(t.split()) <= set(WORDS) for t in drawn)
    share = Counter(w for t in drawn for w in t.split())
    assert min(share.values()) > 0.5 * max(share.values())  # about as often as the real
    assert drawn[0] == model.sample(6, np.random.default_rng(0))  # seeded


def test_a_word_or_pair_in_fewer_than_k_texts_is_never_written() -> None:
    texts = _phrases(200)
    texts[7] += " Kowalski"  # one person's word, in one text
    texts += ["escalated tier two"] * 4 + ["refund issued"] * 30
    model = closed_vocabulary(texts, k=5)
    assert "Kowalski" not in model.words and "tier" not in model.words
    assert model.pairs["refund"] == {"issued": 30}  # shared by 30 texts: followed
    drawn = [model.sample(2, np.random.default_rng(s)) for s in range(400)]
    assert "refund issued" in drawn and "Kowalski" not in " ".join(drawn)


def test_a_placeholder_counts_as_covered_but_is_never_written() -> None:
    texts = _phrases(200)
    texts = [t + " <PERSON>" if i % 10 == 0 else t for i, t in enumerate(texts)]
    model = closed_vocabulary(texts, k=5)
    assert model.words == tuple(sorted(WORDS))


def test_sentences_and_open_vocabularies_are_not_closed() -> None:
    long = [" ".join(["the router stopped working after the update"] * 3)] * 50
    assert not closed_vocabulary(long, k=5)  # median 21 words: prose
    short = [f"The {w} stopped working." for w in WORDS] * 20
    assert not closed_vocabulary(short, k=5)  # short sentences are prose too
    phrases = [f"asked to lower the {w} price ticket {i % 7}" for i, w in enumerate(WORDS * 8)]
    assert not closed_vocabulary(phrases, k=5)  # word order carries the meaning
    rng = np.random.default_rng(1)
    varied = [" ".join(f"w{rng.integers(0, 5000)}" for _ in range(5)) for _ in range(300)]
    assert not closed_vocabulary(varied, k=5)  # most words rare: an open vocabulary
    assert not closed_vocabulary([], k=5)


def test_a_closed_column_is_written_from_its_words_without_the_model() -> None:
    import pandas as pd

    from privsynth.config import load_config
    from privsynth.pii.fakes import IdentifierFaker
    from privsynth.text.synth import TextSynthesizer
    from tests.fakes import ScriptedGenerator

    texts = _phrases(300, seed=4)
    rows = pd.DataFrame({"plan": ["Basic", "Plus", "Premium"] * 100})
    model = ScriptedGenerator()
    synth = TextSynthesizer("code", model, load_config().text, seed=2).fit(texts, rows)
    faker = IdentifierFaker(1)
    out, stats = synth.generate(rows.head(50), faker.personas(50), faker)
    assert model.prompts == []  # the model is never asked
    assert all(set(t.split()) <= set(WORDS) for t in out) and stats.fallbacks == 0
    lengths = sorted(len(t.split()) for t in out)
    assert lengths[0] >= 4 and lengths[-1] <= 8  # the real texts' lengths
    assert synth.describe()["closed_vocabulary_words"] == len(WORDS)
