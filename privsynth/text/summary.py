"""Scrubbed summaries of a real text column: what the LLM may see, and what it must not copy.

Everything here is built from scrubbed text (entities already replaced by ``<TAG>``
placeholders). The n-gram index keeps only 64-bit hashes and document counts, so no phrase of
the real column is stored in readable form.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TOKEN_RE = re.compile(r"<[a-z_]+>|\w+", re.UNICODE)
SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
PLACEHOLDER_TOKEN_RE = re.compile(r"^<[a-z_]+>$")
# A phrase is shown to the model only if this many texts share it (and never fewer than k).
PHRASES_PER_GROUP = 6
MIN_GROUP_ASSOCIATION = 0.15


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; placeholders such as ``<person>`` are one token."""
    return TOKEN_RE.findall(str(text).lower())


def _hash(gram: Sequence[str]) -> int:
    digest = hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=False)


def sentences(text: str) -> list[list[str]]:
    """Tokens of each sentence."""
    return [t for t in (tokens(s) for s in SENTENCE_RE.split(str(text))) if t]


def gram_hashes(text: str, n: int) -> np.ndarray:
    """Distinct hashes of the text's n-token windows within sentences.

    Windows do not cross sentence ends: a text that strings together sentences many texts
    share is typical of a templated column, not a copy of one person's text. Numbers count as
    one token class ("since 2019" and "since 2021" are the same phrase): structured values
    such as years and amounts are the table's business, and identifiers were scrubbed.
    """
    hashes = [
        _hash(toks[i : i + n])
        for sent in sentences(text)
        for toks in [["<num>" if t.isdigit() else t for t in sent]]
        for i in range(len(toks) - n + 1)
    ]
    return np.unique(np.array(hashes, dtype=np.uint64))


class NgramIndex:
    """How many real texts contain each n-token window, keyed by hash."""

    def __init__(self, n: int = 8) -> None:
        self.n = n

    def fit(self, texts: Iterable[str]) -> NgramIndex:
        parts = [gram_hashes(t, self.n) for t in texts]
        allh = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        self.hashes_, self.counts_ = np.unique(allh, return_counts=True)
        self.texts_ = len(parts)
        return self

    def counts(self, text: str) -> np.ndarray:
        """For each n-gram of ``text``, the number of real texts that contain it (0 = novel)."""
        h = gram_hashes(text, self.n)
        if not len(h) or not len(self.hashes_):
            return np.zeros(len(h), dtype=np.int64)
        pos = np.searchsorted(self.hashes_, h)
        pos = np.minimum(pos, len(self.hashes_) - 1)
        found = self.hashes_[pos] == h
        return np.where(found, self.counts_[pos], 0)

    def count_of(self, gram: Sequence[str]) -> int:
        """How many real texts contain this n-token window (tokens as ``tokens`` gives them,
        numbers as "<num>")."""
        if not len(self.hashes_):
            return 0
        h = np.uint64(_hash(gram))
        pos = min(int(np.searchsorted(self.hashes_, h)), len(self.hashes_) - 1)
        return int(self.counts_[pos]) if self.hashes_[pos] == h else 0

    def has_rare(self, text: str, k: int) -> bool:
        """True when ``text`` shares an n-gram with at least one but fewer than ``k`` real texts.

        Works for indexed texts too: each of their n-grams counts them once.
        """
        c = self.counts(text)
        return bool(np.any((c > 0) & (c < k)))


@dataclass(frozen=True)
class Association:
    column: str | None
    scores: dict[str, float]
    chosen_by: str  # "config", "association", or "none"


def choose_group_column(
    texts: Sequence[str], rows: pd.DataFrame, candidates: Sequence[str], min_texts: int
) -> Association:
    """The candidate column whose levels the text's terms depend on most (Cramér's V).

    For each term used by at least ``min_texts`` texts, the 2 x L contingency table of
    term-present by group gives Cramér's V; a column's score is the mean of its ten largest.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    scores: dict[str, float] = {}
    if not candidates or len(texts) < 2 * max(min_texts, 1):
        return Association(None, scores, "none")
    vec = CountVectorizer(
        tokenizer=tokens, lowercase=False, token_pattern=None, binary=True,
        min_df=max(min_texts, 2), max_features=2000,
    )
    try:
        x = vec.fit_transform(texts).tocsc().astype(np.float64)
    except ValueError:  # no term is common enough
        return Association(None, scores, "none")
    n = x.shape[0]
    p = np.asarray(x.sum(axis=0)).ravel() / n
    for col in candidates:
        y = rows[col].astype("string").fillna("<missing>").to_numpy()
        levels, codes = np.unique(y, return_inverse=True)
        if len(levels) < 2:
            continue
        onehot = np.zeros((n, len(levels)))
        onehot[np.arange(n), codes] = 1.0
        size = onehot.sum(axis=0)
        present = np.asarray(x.T @ onehot)  # terms x levels
        e1 = np.outer(p, size)
        e0 = np.outer(1 - p, size)
        with np.errstate(divide="ignore", invalid="ignore"):
            chi = np.nansum((present - e1) ** 2 / e1 + ((size - present) - e0) ** 2 / e0, axis=1)
        v = np.sqrt(np.clip(chi / n, 0, 1))
        scores[col] = round(float(np.mean(np.sort(v)[-10:])), 4)
    if not scores:
        return Association(None, scores, "none")
    best = max(scores, key=lambda c: (scores[c], c))
    if scores[best] < MIN_GROUP_ASSOCIATION:
        return Association(None, scores, "none")
    return Association(best, scores, "association")


def frequent_phrases(
    texts: Sequence[str], groups: Sequence[str], min_texts: int, per_group: int = PHRASES_PER_GROUP
) -> dict[str, list[str]]:
    """Per group, the 2-3 word phrases most typical of it, each shared by >= ``min_texts`` texts.

    Placeholders never appear in a phrase, and a phrase shared by fewer than ``min_texts``
    texts in the whole column is never shown, so no phrase singles out one source text.
    """
    overall: Counter[str] = Counter()
    by_group: dict[str, Counter[str]] = {}
    sizes: Counter[str] = Counter(groups)
    for text, g in zip(texts, groups, strict=True):
        toks = tokens(text)
        grams = set()
        for n in (2, 3):
            for i in range(len(toks) - n + 1):
                window = toks[i : i + n]
                if not any(PLACEHOLDER_TOKEN_RE.match(t) or t.isdigit() for t in window):
                    grams.add(" ".join(window))
        overall.update(grams)
        by_group.setdefault(g, Counter()).update(grams)
    total = max(len(texts), 1)
    out: dict[str, list[str]] = {}
    floor = max(min_texts, 2)
    for g, counts in by_group.items():
        size = max(sizes[g], 1)
        ranked = sorted(
            (
                # Typical of the group (share in it), and more so than of the column.
                (2 * c / size - overall[gram] / total, gram)
                for gram, c in counts.items()
                if overall[gram] >= floor and c >= min(floor, size)
            ),
            reverse=True,
        )
        chosen: list[str] = []
        for _, gram in ranked:
            # Skip phrases contained in one already chosen ("the plan" inside "on the plan").
            if not any(gram in other or other in gram for other in chosen):
                chosen.append(gram)
            if len(chosen) == per_group:
                break
        out[g] = chosen
    return out
