"""Closed-vocabulary columns: short texts made of a small set of common words (codes, tags,
random phrases). Asked for one, the model wrote words of its own (names, numbers, "Lake
Danielleview") that no real text holds; held to the column's words by a grammar, it copied
its examples' word runs, and two texts in three were refused as too close to a real one.
Such a column is written by a word model instead: each row's target count of words, drawn
from the column's common words by their frequency, a word pair that at least k texts share
followed as often as the real texts follow it. No word or pair fewer than k texts use is
ever written, and every text still goes through the output filter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from privsynth.text.summary import PLACEHOLDER_TOKEN_RE

# A column is closed when its median text has at most SHORT_WORDS words, at most
# MAX_SENTENCE_SHARE of its texts end as a sentence does (short sentences are prose: their
# word order matters), its words that occur in at least k texts (k:
# text.rare_ngram_min_texts, so no word is one person's) cover MIN_COVERAGE of its word
# occurrences, there are at most MAX_WORDS of them, and at most MAX_BOUND_PAIR_SHARE of its
# adjacent word pairs are bound: seen at least PAIR_LIFT times as often as their words'
# frequencies make them by chance (where most are, word order carries the meaning, "asked to
# lower the monthly price", and the model writes it). Placeholders (a scrubbed name) count
# as covered but are never written: a code column holds no one's name.
SHORT_WORDS = 12
MAX_SENTENCE_SHARE = 0.2
MAX_BOUND_PAIR_SHARE = 0.5
PAIR_LIFT = 3.0
MIN_COVERAGE = 0.98
MAX_WORDS = 400
MIN_WORDS = 2


def _is_placeholder(word: str) -> bool:
    return bool(PLACEHOLDER_TOKEN_RE.match(word.lower()))


@dataclass(frozen=True)
class WordModel:
    """Common words with their counts, and the common word pairs with theirs."""

    words: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    pairs: dict[str, dict[str, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.words)

    def sample(self, count: int, rng: np.random.Generator) -> str:
        """``count`` words. After a word, one of the pairs the real texts share follows in
        the share of its occurrences those pairs make up; otherwise a word is drawn by its
        frequency."""
        weights = np.asarray(self.counts, float)
        p = weights / weights.sum()
        out = [self.words[rng.choice(len(self.words), p=p)]]
        while len(out) < count:
            after = self.pairs.get(out[-1], {})
            seen = sum(after.values())
            if seen and rng.random() < seen / self.counts[self.words.index(out[-1])]:
                nxt = list(after)
                w = np.asarray([after[x] for x in nxt], float)
                out.append(nxt[rng.choice(len(nxt), p=w / w.sum())])
            else:
                out.append(self.words[rng.choice(len(self.words), p=p)])
        return " ".join(out)


def closed_vocabulary(texts: Sequence[str], k: int) -> WordModel:
    """The column's word model if it is a closed-vocabulary column, else an empty one."""
    split = [t.split() for t in texts if t.strip()]
    if not split or float(np.median([len(w) for w in split])) > SHORT_WORDS:
        return WordModel()
    if sum(words[-1][-1] in ".!?" for words in split) > MAX_SENTENCE_SHARE * len(split):
        return WordModel()
    k = max(k, 1)
    in_texts = Counter(w for words in split for w in set(words))
    singles = Counter(w for words in split for w in words)  # occurrences
    common = {w for w, n in in_texts.items() if n >= k}
    n_words = sum(singles.values())
    covered = sum(singles[w] for w in common)
    written = sorted(w for w in common if not _is_placeholder(w))
    keep = set(written)
    if not MIN_WORDS <= len(written) <= MAX_WORDS or covered < MIN_COVERAGE * n_words:
        return WordModel()
    pair_texts = Counter(p for words in split for p in set(zip(words, words[1:], strict=False)))
    pair_counts = Counter(p for words in split for p in zip(words, words[1:], strict=False))
    n_pairs = max(sum(pair_counts.values()), 1)
    # Pairs far more often adjacent than their words' frequencies make them by chance.
    bound = sum(n for (a, b), n in pair_counts.items()
                if n >= max(k, PAIR_LIFT * n_pairs * singles[a] * singles[b] / n_words ** 2))
    if bound > MAX_BOUND_PAIR_SHARE * n_pairs:
        return WordModel()
    pairs: dict[str, dict[str, int]] = {}
    for (a, b), n in pair_counts.items():
        if pair_texts[(a, b)] >= k and a in keep and b in keep:
            pairs.setdefault(a, {})[b] = n
    return WordModel(tuple(written), tuple(singles[w] for w in written), pairs)
