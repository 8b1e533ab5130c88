"""Exemplars that represent the column: real (scrubbed) texts made safe to show a model.

Long and distinctive texts are the column, not noise, so they are edited rather than dropped:

* sentences that try to steer a model (instruction-like) are cut;
* runs of digits (account or reference numbers the scrubber missed) become ``XXXX``;
* words that fewer than ``k`` real texts use become ``XXXX``;
* every n-token window that fewer than ``k`` real texts share loses its rarest word to
  ``XXXX``, so no rare n-gram is ever shown verbatim;
* the text is cut at a sentence boundary to fit the prompt's budget.

A text is left out only when nothing useful remains: empty, wholly instruction-like, or more
than half masked. What was masked, cut and left out is counted for the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from privsynth.text.prompts import INJECTION_RE
from privsynth.text.summary import (
    PLACEHOLDER_TOKEN_RE,
    SENTENCE_RE,
    TOKEN_RE,
    NgramIndex,
    tokens,
)

MASK = "XXXX"
# A run of digits this long is probably an account or ID number the scrubber missed.
LONG_NUMBER_RE = re.compile(r"\d[\d -]{4,}\d")
# Where a sentence ends within a text (the n-gram index also splits at ";" and line breaks).
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
MAX_MASKED_SHARE = 0.5


class ExemplarMaker:
    """Edits real texts into exemplars; ``counts`` says what was done to how many texts.

    Words and n-token windows are those of the n-gram index (``summary.tokens``, windows
    within sentences, numbers as one class), so "rare" means the same here as in the
    output filter."""

    def __init__(self, texts: Sequence[str], min_texts: int, ngrams: NgramIndex,
                 max_chars: int) -> None:
        self.min_texts = max(min_texts, 1)
        self.ngrams = ngrams
        self.max_chars = max_chars
        self.doc_freq: Counter[str] = Counter()
        for text in texts:
            self.doc_freq.update(set(tokens(text)))
        self.counts: Counter[str] = Counter()

    def make(self, text: str) -> tuple[str | None, str | None]:
        """(exemplar, None), or (None, the reason it is left out). ``counts`` takes the edits
        of shown texts only."""
        if not text:
            return None, "empty"
        edits: Counter[str] = Counter()
        sentences = [s for s in SENTENCE_END_RE.split(text) if s]
        kept = [s for s in sentences if not INJECTION_RE.search(s)]
        if not kept:
            return None, "instruction_like"
        edits["instruction_sentences_cut"] = len(sentences) - len(kept)
        edited, edits["numbers_masked"] = LONG_NUMBER_RE.subn(MASK, " ".join(kept))
        spans = self._rare_spans(edited, edits)
        words = sum(1 for t in tokens(edited) if not PLACEHOLDER_TOKEN_RE.match(t))
        if words == 0 or len(spans) > MAX_MASKED_SHARE * words:
            return None, "mostly_rare"
        for start, end in sorted(spans, reverse=True):
            edited = edited[:start] + MASK + edited[end:]
        edited = re.sub(rf"{MASK}(?:[\s,'-]+{MASK})+", MASK, edited)
        shown = self._fit(edited)
        edits["texts_truncated"] = int(shown != edited)
        edits["texts_shown_edited" if shown != text else "texts_shown_unchanged"] += 1
        self.counts.update(+edits)  # the positive counts
        return shown, None

    def _rare_spans(self, text: str, edits: Counter[str]) -> set[tuple[int, int]]:
        """Character spans of the words to mask: words fewer than ``k`` texts use, then the
        rarest word of each window fewer than ``k`` texts share that holds no mask yet (both
        counted in ``edits``)."""
        n, k = self.ngrams.n, self.min_texts
        masked: set[tuple[int, int]] = set()
        for a, b in _sentence_spans(text):
            found = [(m.start() + a, m.end() + a, m.group(0))
                     for m in TOKEN_RE.finditer(text[a:b].lower())]
            words = [w for _, _, w in found]
            is_mask = [w == MASK.lower() for w in words]
            fixed = [bool(PLACEHOLDER_TOKEN_RE.match(w)) or m for w, m in zip(words, is_mask,
                                                                               strict=True)]
            hit = [not f and self.doc_freq[w] < k for w, f in zip(words, fixed, strict=True)]
            edits["rare_words_masked"] += sum(hit)
            covered = [h or m for h, m in zip(hit, is_mask, strict=True)]
            norm = ["<num>" if w.isdigit() else w for w in words]
            for i in range(len(words) - n + 1):
                window = range(i, i + n)
                if any(covered[j] for j in window):
                    continue
                count = self.ngrams.count_of(norm[i:i + n])
                if not 0 < count < k:
                    continue
                choices = [j for j in window if not fixed[j]]
                if not choices:
                    continue
                rarest = min(choices, key=lambda j: (self.doc_freq[words[j]], -j))
                hit[rarest] = covered[rarest] = True
                edits["rare_ngrams_broken"] += 1
            masked.update((a, b) for (a, b, _), h in zip(found, hit, strict=True) if h)
        return masked

    def _fit(self, text: str) -> str:
        """Whole sentences up to ``max_chars``; a first sentence longer than that is cut at a
        word boundary."""
        if len(text) <= self.max_chars:
            return text
        out = ""
        for sentence in SENTENCE_END_RE.split(text):
            joined = f"{out} {sentence}".strip()
            if len(joined) > self.max_chars:
                break
            out = joined
        if not out:
            out = text[: self.max_chars].rsplit(" ", 1)[0]
        return out


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end of each sentence, as the n-gram index splits them."""
    spans, start = [], 0
    for m in SENTENCE_RE.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def spread_by_length(n_candidates: int, lengths: Sequence[int], k: int,
                     rng: np.random.Generator) -> list[int]:
    """``k`` candidate indices across the length distribution: the candidates sorted by
    length are split into ``k`` equal strata and one is drawn from each."""
    if k <= 0 or n_candidates == 0:
        return []
    if n_candidates <= k:
        return list(range(n_candidates))
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [int(stratum[rng.integers(len(stratum))]) for stratum in np.array_split(order, k)]
