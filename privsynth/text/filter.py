"""The post-generation filter: rejects degenerate output, copies, and near-copies of real text."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from privsynth import seeds
from privsynth.metrics.retelling import Retelling
from privsynth.seeds import Stream
from privsynth.text.exemplars import LONG_NUMBER_RE, MASK, SENTENCE_END_RE
from privsynth.text.prompts import INJECTION_RE
from privsynth.text.summary import NgramIndex, tokens

MAX_NEAREST_TEXTS = 20_000
TWIN_QUANTILE = 0.95  # as text_memorization's holdout quantile
MIN_TWINS_FOR_CUT = 20
_CHUNK = 512


def is_degenerate(text: str) -> str | None:
    """Why a generated text is unusable, or None."""
    words = text.split()
    if len(words) < 3:
        return "too_short"
    top = Counter(w.lower() for w in words).most_common(1)[0][1]
    if len(words) >= 8 and top / len(words) > 0.4:
        return "repetitive"
    toks = tokens(text)
    if len(toks) >= 12:
        trigrams = [tuple(toks[i : i + 3]) for i in range(len(toks) - 2)]
        if len(set(trigrams)) / len(trigrams) < 0.6:
            return "repetitive"
    # The prompt's own scaffolding echoed back ("Record:", "plan=Premium; topic=outage").
    if re.search(r"\bRecord:|\bEntry:|\b\w+=\S", text):
        return "format"
    return None


def tfidf_vectorizer() -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        tokenizer=tokens, lowercase=False, token_pattern=None, ngram_range=(1, 2),
        sublinear_tf=True, dtype=np.float32,
    )


def nearest_similarity(
    queries: object, reference: object, exclude_self: bool = False
) -> np.ndarray:
    """Cosine similarity of each query row to its most similar reference row (rows L2-normed)."""
    n = queries.shape[0]  # type: ignore[attr-defined]
    out = np.zeros(n, dtype=np.float32)
    ref_t = reference.T.tocsr()  # type: ignore[attr-defined]
    for start in range(0, n, _CHUNK):
        block = (queries[start : start + _CHUNK] @ ref_t).toarray()  # type: ignore[index]
        if exclude_self:
            rows = np.arange(block.shape[0])
            block[rows, rows + start] = -1.0
        out[start : start + _CHUNK] = block.max(axis=1) if block.shape[1] else 0.0
    return out


class NearestReal:
    """TF-IDF nearest real text; a generated text may be no closer to it than it is to its twin.

    A generated text is rejected when its similarity to the nearest real text exceeds both
    a cut-off and that real text's own similarity to its nearest other real text. The cut-off
    is ``threshold``, or lower: the 95th percentile of the real texts' similarities to their
    nearest other real text, which is what an unseen real text gets (the text_memorization
    check's yardstick). So on templated columns, where real texts have near-identical twins,
    typical phrasing is allowed; a near-copy of a distinctive text is not, and on a column of
    short distinctive phrases neither is a text that shares most of one real phrase's words.
    """

    def __init__(self, threshold: float = 0.9, seed: int = 0) -> None:
        self.threshold = threshold
        self.seed = seed
        self.cut_ = threshold

    def fit(self, texts: Sequence[str]) -> NearestReal:
        texts = [t for t in texts if t.strip()]
        if len(texts) > MAX_NEAREST_TEXTS:
            rng = seeds.rng(self.seed, Stream.FILTER_SAMPLE)
            pick = rng.choice(len(texts), MAX_NEAREST_TEXTS, replace=False)
            texts = [texts[i] for i in sorted(pick)]
        self.vectorizer_ = tfidf_vectorizer() if texts else None
        if self.vectorizer_ is None:
            self.twin_ = np.zeros(0, dtype=np.float32)
            return self
        try:
            self.matrix_ = self.vectorizer_.fit_transform(texts)  # type: ignore[attr-defined]
        except ValueError:  # nothing but punctuation
            self.vectorizer_ = None
            self.twin_ = np.zeros(0, dtype=np.float32)
            return self
        self.twin_ = nearest_similarity(self.matrix_, self.matrix_, exclude_self=True)
        if len(self.twin_) >= MIN_TWINS_FOR_CUT:
            self.cut_ = min(self.threshold, float(np.quantile(self.twin_, TWIN_QUANTILE)))
        return self

    def closest(self, text: str) -> tuple[float, float]:
        """(similarity to the nearest real text, the largest similarity allowed for it).

        The real texts' vocabulary has no weight for the words and word pairs a new text
        brings of its own, which would put it nearer the real texts than a real text is to
        its twin (whose own pairs are in the vocabulary): on a column of short random
        phrases, 15% of fresh phrases from the same source looked too close. So the new
        text's length counts its unseen terms too, at the weight of a term no real text has.
        The exemplars' mask is not new content: a copy of an edited exemplar stays a copy."""
        if self.vectorizer_ is None:
            return 0.0, 1.0
        v = self.vectorizer_.transform([text])  # type: ignore[attr-defined]
        sims = (self.matrix_ @ v.T).toarray().ravel()
        if not len(sims):
            return 0.0, 1.0
        sims = sims * self._seen_share(text)
        j = int(np.argmax(sims))
        return float(sims[j]), max(self.cut_, float(self.twin_[j]))

    def _seen_share(self, text: str) -> float:
        """The norm of the text's TF-IDF vector over real-vocabulary terms, over its norm
        with its unseen terms too (each weighted as a term of no real text)."""
        vec = self.vectorizer_
        terms: Counter[str] = Counter(vec.build_analyzer()(text))  # type: ignore[attr-defined]
        vocabulary, idf = vec.vocabulary_, vec.idf_  # type: ignore[attr-defined]
        unseen_idf = float(np.log((1 + self.matrix_.shape[0]) / 1) + 1)
        seen = unseen = 0.0
        mask = MASK.lower()
        for term, tf in terms.items():
            weight = 1 + np.log(tf)
            if term in vocabulary:
                seen += (weight * idf[vocabulary[term]]) ** 2
            elif mask not in term.lower():
                unseen += (weight * unseen_idf) ** 2
        return float(np.sqrt(seen / (seen + unseen))) if seen else 1.0


_SCAFFOLD_RE = re.compile(r"\b(?:Record|Entry):")
# A salvaged text keeps at least this share of the generated words, or it is regenerated.
MIN_SALVAGED_SHARE = 0.5


class OutputFilter:
    """Every reason a generated text (placeholders not yet filled) must be regenerated, and
    the repairs that save a long text instead of regenerating it."""

    def __init__(self, ngrams: NgramIndex, nearest: NearestReal, min_texts: int,
                 number_mark: str | None = MASK, retelling: Retelling | None = None) -> None:
        self.ngrams = ngrams
        self.nearest = nearest
        # Real texts a generated text may not retell (word by word, masks aside).
        self.retelling = retelling
        self.min_texts = min_texts
        # What a number the model wrote becomes: the mask, where the real texts carry masks
        # (complaint narratives); otherwise fresh digits of its shape, as a mask in a column
        # that never has one gives every such text away.
        self.number_mark = number_mark

    def salvage(self, text: str) -> tuple[str, Counter[str]]:
        """A long text loses its bad parts rather than the whole: it ends where the model
        began a new prompt item ("Record:", "Entry:"); a sentence that shares an n-gram with
        fewer than ``min_texts`` real texts, or repeats an earlier sentence, is dropped; an
        unfinished last sentence is dropped. If under half the words remain, the text is
        returned unchanged, for ``reason`` to judge whole."""
        repairs: Counter[str] = Counter()
        words = len(text.split())
        # Digits the model wrote itself (its own identifiers are placeholders until filled)
        # read as account or reference numbers: masked, as in the exemplars.
        out, numbers = LONG_NUMBER_RE.subn(self._number, text)
        if numbers:
            repairs["numbers_masked"] += numbers
        scaffold = _SCAFFOLD_RE.search(out)
        if scaffold and scaffold.start() > 0:
            out = out[: scaffold.start()].rstrip()
            repairs["cut_at_prompt_echo"] += 1
        kept: list[str] = []
        seen: set[str] = set()
        sentences = [s for s in SENTENCE_END_RE.split(out) if s.strip()]
        for k, sentence in enumerate(sentences):
            key = " ".join(tokens(sentence))
            if self.ngrams.has_rare(sentence, self.min_texts):
                repairs["sentences_dropped_rare_ngram"] += 1
            elif key in seen:
                repairs["sentences_dropped_repeated"] += 1
            elif k == len(sentences) - 1 and len(sentences) > 1 and sentence[-1] not in ".!?":
                repairs["unfinished_sentence_dropped"] += 1
            else:
                kept.append(sentence)
                seen.add(key)
        out = " ".join(kept)
        if not repairs or len(out.split()) < MIN_SALVAGED_SHARE * words:
            return text, Counter()
        return out, repairs

    def _number(self, match: re.Match[str]) -> str:
        if self.number_mark is not None:
            return self.number_mark
        digest = hashlib.sha256(match.group(0).encode()).digest()
        digits = iter(str(b % 10) for b in digest * 4)
        return "".join(next(digits) if ch.isdigit() else ch for ch in match.group(0))

    def reason(self, text: str) -> str | None:
        why = is_degenerate(text)
        if why:
            return why
        if INJECTION_RE.search(text):
            return "instruction_like"
        if self.ngrams.has_rare(text, self.min_texts):
            return "rare_ngram"
        sim, allowed = self.nearest.closest(text)
        if sim > allowed + 1e-6:
            return "too_close_to_real"
        if self.retelling is not None and self.retelling.retells(text):
            return "retells_real"
        return None
