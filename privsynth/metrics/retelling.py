"""Retold texts: does a text follow one real text word by word, masks aside?

A generated text that retells one person's complaint (the same events in the same order,
its rare words masked and a fake name put in) is a disclosure even without a name, and
TF-IDF similarity misses it: the masks and fakes move the vectors apart. Here the measure is
the longest common subsequence of the two texts' content words (stop words, masks,
placeholders and numbers left out, so a mask where the real text has its word costs nothing
but that word): the share of the text's content words that follow the real text in order.

A text retells a real text when that share is at least ``SHARE`` over at least ``MIN_WORDS``
content words (or ``LONG_RUN`` words follow it, whatever the share), and more than the real
text gets from its own nearest other real text (on a templated column real texts are
near-twins, and following the template is not retelling). Real texts retell each other too
(form letters, a complaint filed twice): the check compares with the share of unseen real
texts that retell a training text.
Candidates are the few real texts nearest by TF-IDF, so the cost stays linear in the texts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

SHARE = 0.5
MIN_WORDS = 15
# ... or this many content words of one real text in order, whatever the share: a retelling
# that goes on to other things is still a retelling.
LONG_RUN = 40
# A shorter text (at least this many content words) retells only as a whole copy.
MIN_SHORT_WORDS = 5
CANDIDATES = 5
_TOKEN = re.compile(r"<[A-Za-z_]+>|\[[A-Za-z_ ]+\]|\w+", re.UNICODE)
_MASK = re.compile(r"^(?:x{2,}|<[a-z_]+>|\[[a-z_ ]+\]|\d+|\w*\d\w*)$")


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def content_words(text: str) -> list[str]:
    """Lower-cased words without stop words, masks, placeholders and numbers."""
    stop = _stop_words()
    return [w for w in (t.lower() for t in _TOKEN.findall(str(text)))
            if w not in stop and not _MASK.match(w) and len(w) > 1]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two word lists.

    Row by row: with A_j = max(M[i-1][j], M[i-1][j-1] + [a_i == b_j]), the row is the running
    maximum of A, since M[i][j] = max(M[i][j-1], A_j) and M[i-1] is non-decreasing."""
    if not a or not b:
        return 0
    vocab: dict[str, int] = {}
    codes_a = np.array([vocab.setdefault(w, len(vocab)) for w in a])
    codes_b = np.array([vocab.setdefault(w, len(vocab)) for w in b])
    prev = np.zeros(len(b) + 1, dtype=np.int32)
    for code in codes_a:
        diagonal = prev[:-1] + (codes_b == code)
        row = np.maximum(prev[1:], diagonal)
        prev = np.concatenate(([0], np.maximum.accumulate(row)))
    return int(prev[-1])


def follow_share(text: Sequence[str], real: Sequence[str]) -> float:
    """The share of ``text``'s content words that follow ``real`` in order; 1 for a run of
    at least ``LONG_RUN`` words."""
    if len(text) < MIN_WORDS:
        # A short text retells only by being the real one: every content word, in order.
        whole = len(text) >= MIN_SHORT_WORDS and list(text) == list(real)
        return 1.0 if whole else 0.0
    common = lcs_length(text, real)
    return 1.0 if common >= LONG_RUN else common / len(text)


class Retelling:
    """Real texts to compare generated texts against (memory only, never written)."""

    def __init__(self, share: float = SHARE, candidates: int = CANDIDATES) -> None:
        self.share = share
        self.candidates = candidates

    def fit(self, texts: Sequence[str]) -> Retelling:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts_ = [t for t in texts if str(t).strip()]
        self.words_ = [content_words(t) for t in self.texts_]
        self.twin_: dict[int, list[tuple[int, float]]] = {}
        self.vectorizer_: TfidfVectorizer | None = None
        if self.texts_:
            try:
                self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
                self.matrix_ = self.vectorizer_.fit_transform(self.texts_)
            except ValueError:  # no words at all
                self.vectorizer_ = None
        return self

    def _nearest(self, text: str, exclude: int = -1, extra: int = 0) -> list[int]:
        if self.vectorizer_ is None:
            return []
        sims = (self.matrix_ @ self.vectorizer_.transform([text]).T).toarray().ravel()
        if 0 <= exclude < len(sims):
            sims[exclude] = -1.0
        k = min(self.candidates + extra, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if k else np.zeros(0, dtype=int)
        return [int(j) for j in top if sims[j] > 0]

    def twin(self, j: int, exclude: int = -1) -> float:
        """How closely real text j follows its nearest other real text (not ``exclude``)."""
        if j not in self.twin_:
            words = self.words_[j]
            # One candidate more than a query gets, so that leaving one text out still
            # leaves as many to compare.
            self.twin_[j] = [(i, follow_share(words, self.words_[i]))
                             for i in self._nearest(self.texts_[j], exclude=j, extra=1)]
        return max((share for i, share in self.twin_[j] if i != exclude), default=0.0)

    def score(self, text: str, exclude: int = -1) -> tuple[float, int]:
        """(the largest share of the text's content words that follow one real text, that
        text's index; -1 when none). ``exclude`` leaves one real text out."""
        words = content_words(text)
        if len(words) < MIN_SHORT_WORDS:
            return 0.0, -1
        best, which = 0.0, -1
        for j in self._nearest(text, exclude):
            s = follow_share(words, self.words_[j])
            if s > best:
                best, which = s, j
        return best, which

    def retells(self, text: str, exclude: int = -1) -> bool:
        """Does the text follow one real text beyond the floor and that text's own twin?"""
        share, j = self.score(text, exclude)
        return j >= 0 and share >= self.share and share > self.twin(j, exclude) + 1e-9

    def retold_within(self, sample: Sequence[int]) -> int:
        """How many of these real texts retell another real text, each left out of the
        texts it is compared with (and of its candidates' twins): a fresh text's chance."""
        return sum(self.retells(self.texts_[i], exclude=i) for i in sample)
