"""Writes one new text per synthetic row from scrubbed exemplars, then filters what comes out."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from privsynth import seeds
from privsynth.config import TextConfig
from privsynth.engine.worker import cached
from privsynth.errors import ConfigError, NotFittedError
from privsynth.metrics.retelling import Retelling
from privsynth.pii.detect import PiiDetector
from privsynth.pii.fakes import IdentifierFaker, Persona
from privsynth.pii.spans import PLACEHOLDER_RE, non_overlapping
from privsynth.text.exemplars import MASK, ExemplarMaker, spread_by_length
from privsynth.text.filter import NearestReal, OutputFilter
from privsynth.text.generator import TextGenerator
from privsynth.text.known_ids import Fakes, KnownIdentifiers
from privsynth.text.prompts import PromptTemplate, load_template
from privsynth.text.record_values import RecordValues, mentioned_columns
from privsynth.text.summary import Association, NgramIndex, choose_group_column, frequent_phrases
from privsynth.text.vocabulary import WordModel, closed_vocabulary

logger = logging.getLogger(__name__)

# In DP mode the prompt asks for this many words: a public constant, not a statistic.
PRIVATE_WORDS = 25
MIN_EXEMPLAR_CHARS = 300
# A group needs this many real lengths to draw its rows' target lengths from its own.
MIN_GROUP_LENGTHS = 5
# Tokens per word the shipped model writes (gemma-3 tokenizer): 1.25 to 1.35 measured on its
# complaint narratives, short to long (real narratives, with their masks and numbers, take
# about 1.4).
TOKENS_PER_WORD = 1.3
GOLDEN = (np.sqrt(5) - 1) / 2
# Redaction marks the re-scan may take for a name ("XXXX", "XX/XX/XXXX"): left as they are.
MASK_RUN_RE = re.compile(r"[Xx]{2,}(?:[\s/.,-]*[Xx]{2,})*")
# A row's text may end from LENGTH_FLOOR of its target length on (a batching generator ends
# it at its first sentence end from there), and is cut at LENGTH_CAP plus LENGTH_SLACK tokens.
LENGTH_FLOOR = 0.9
LENGTH_CAP = 1.3
LENGTH_SLACK = 8
# A column whose texts are 90% at most this many words long shows text.short_examples.
SHORT_TEXT_WORDS = 80
# Each retry samples this much hotter than the last: a small model that copied its examples or
# echoed the prompt's scaffolding does it less at a higher temperature.
RETRY_WARMTH = 0.35
MAX_EXEMPLAR_CHARS = 1500
MAX_RECORD_LEVELS = 20
MAX_RECORD_COLUMNS = 4
FALLBACK_TEXT = "No free-text entry was generated for this record."


@dataclass
class TextStats:
    generated: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    fallbacks: int = 0
    entities_replaced: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0
    # The model's ends (end-of-text or a newline) before a row's fewest tokens, overruled.
    early_ends_overruled: int = 0
    # Parts of accepted texts cut or dropped by the output filter's salvage.
    repairs: Counter[str] = field(default_factory=Counter)

    def merge(self, other: TextStats) -> TextStats:
        """This chunk's counts plus another's."""
        return TextStats(
            self.generated + other.generated, self.rejected + other.rejected,
            self.fallbacks + other.fallbacks, self.entities_replaced + other.entities_replaced,
            self.tokens + other.tokens, self.seconds + other.seconds,
            self.early_ends_overruled + other.early_ends_overruled,
            self.repairs + other.repairs,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "rejected": dict(self.rejected),
            "fallbacks": self.fallbacks,
            "entities_replaced": dict(self.entities_replaced),
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "tokens_per_second": round(self.tokens / self.seconds, 1) if self.seconds else 0.0,
            "early_ends_overruled": self.early_ends_overruled,
            "repairs": dict(self.repairs),
        }


def record_columns(frame: pd.DataFrame) -> list[str]:
    """Low-cardinality columns that make good conditioning: the text can mention them."""
    cols = []
    for col in frame.columns:
        levels = frame[col].dropna().astype(str).nunique()
        if 1 < levels <= MAX_RECORD_LEVELS:
            cols.append(str(col))
    return cols[:MAX_RECORD_COLUMNS]


def _value(v: object) -> str:
    return "" if pd.isna(v) else str(v)


def _record(row: pd.Series, cols: Sequence[str]) -> str:
    return "; ".join(f"{c}={_value(row[c])}" for c in cols)


@dataclass(frozen=True)
class GroupSummary:
    """What the model sees for one group: exemplars, typical phrases, typical length."""

    exemplars: list[tuple[str, str]]
    phrases: list[str]
    words: int
    # Real lengths in words a row's target is drawn from (a public constant in DP mode).
    lengths: tuple[int, ...] = ()


class TextSynthesizer:
    """Fit on scrubbed texts and their rows; generate one text per synthetic row."""

    def __init__(
        self,
        column: str,
        generator: TextGenerator,
        config: TextConfig,
        seed: int,
        template: PromptTemplate | None = None,
        progress: bool = False,
        detector: PiiDetector | None = None,
        private: bool = False,
        id_column: str | None = None,
    ) -> None:
        self.column = column
        # The identifier column whose row's fake an "<ID>" in generated text becomes.
        self.id_column = id_column
        # Private (DP mode): prompts carry the synthetic row only, no exemplar, phrase, group
        # or length of real text.
        self.private = private
        self.detector = detector or PiiDetector()
        self.generator = generator
        self.config = config
        self.seed = seed
        self.template = template
        self.progress = progress

    def fit(self, scrubbed: Sequence[str], rows: pd.DataFrame) -> TextSynthesizer:
        """``scrubbed[i]`` is the scrubbed text of ``rows.iloc[i]``; raw text never enters."""
        cfg = self.config
        k = max(cfg.rare_ngram_min_texts, 1)
        texts = [" ".join(str(t).split()) for t in scrubbed]
        self.template_ = self.template or load_template(
            cfg.template or None, chat=bool(getattr(self.generator, "chat", False))
        )
        self.record_columns_ = record_columns(rows)
        # Category levels (plan names, topics) are not personal data even when a recognizer
        # tags one as a name; rare levels never reach the output (value protection).
        self.levels_ = frozenset(
            str(v).lower() for c in self.record_columns_ for v in rows[c].dropna().unique()
        )
        nonempty = [t for t in texts if t]
        short = bool(nonempty) and np.quantile([len(t.split()) for t in nonempty], 0.9) \
            <= SHORT_TEXT_WORDS
        self.examples_ = cfg.short_examples if short else cfg.examples
        # Not in DP mode: the words would come from the real texts.
        self.vocabulary_ = WordModel() if self.private else closed_vocabulary(nonempty, k)
        # The row's own values as placeholders in everything learned from the texts (the
        # output filter too: the model writes the placeholders), lengths and groups aside.
        self.record_values_ = RecordValues() if self.private or self.vocabulary_ else \
            mentioned_columns(texts, rows, self.record_columns_)
        records = rows.to_dict("records")
        learned = [self.record_values_.mask(t, r) for t, r in zip(texts, records, strict=True)]
        nonempty_learned = [t for t in learned if t]
        self.ngrams_ = NgramIndex(cfg.ngram).fit(nonempty_learned)
        masked = sum(MASK in t for t in nonempty) >= k  # the real texts carry masks
        self.filter_ = OutputFilter(
            self.ngrams_,
            NearestReal(cfg.max_nearest_similarity, self.seed).fit(nonempty_learned), k,
            MASK if masked else None, Retelling().fit(nonempty_learned),
        )
        self.association_ = (
            Association(None, {}, "private") if self.private
            else self._group_column(texts, rows, k)
        )
        group_col = self.association_.column
        groups = (
            [_value(v) for v in rows[group_col]] if group_col else [""] * len(texts)
        )
        pool: dict[str, list[tuple[str, str]]] = defaultdict(list)
        excluded: Counter[str] = Counter()
        maker = ExemplarMaker(nonempty_learned, k, self.ngrams_, self._exemplar_chars())
        for text, g, (_, row) in zip(learned, groups, rows.iterrows(), strict=True):
            if self.private:
                break
            exemplar, reason = maker.make(text)
            if exemplar is None:
                excluded[reason or "empty"] += 1
            else:
                pool[g].append((_record(row, self.record_columns_), exemplar))
        self.exemplar_edits_ = dict(maker.counts)
        self.excluded_ = dict(excluded)
        phrases = {} if self.private else frequent_phrases(
            nonempty_learned, [g for g, t in zip(groups, learned, strict=True) if t], k
        )
        lengths_by_group: dict[str, list[int]] = defaultdict(list)
        for text, g in zip(texts, groups, strict=True):
            if text:
                lengths_by_group[g].append(len(text.split()))
        all_lengths = [n for v in lengths_by_group.values() for n in v] or [20]
        self.length_quantiles_ = [int(q) for q in np.quantile(all_lengths, [0.1, 0.5, 0.9])]
        self.groups_: dict[str, GroupSummary] = {}
        if self.private:
            # A public length: the real texts' lengths are not shown to the model.
            lengths_by_group = defaultdict(list)
            all_lengths = [PRIVATE_WORDS] * 9 + [2 * PRIVATE_WORDS]
        for g in sorted(set(groups) | {""}):
            lengths = lengths_by_group.get(g, [])
            if len(lengths) < MIN_GROUP_LENGTHS:  # too few to be a distribution of its own
                lengths = all_lengths
            self.groups_[g] = GroupSummary(
                exemplars=self._pick(pool.get(g) or [e for v in pool.values() for e in v], g),
                phrases=phrases.get(g, []),
                words=int(np.median(lengths)),
                lengths=tuple(sorted(lengths)),
            )
        self.exemplars_ = sum(len(v) for v in pool.values())
        logger.info(
            "text column %s: %d exemplars, %d excluded, grouped by %s%s",
            self.column, self.exemplars_, sum(excluded.values()), group_col or "nothing",
            f", a closed vocabulary of {len(self.vocabulary_.words)} words" if self.vocabulary_
            else "",
        )
        return self

    def _group_column(self, texts: list[str], rows: pd.DataFrame, k: int) -> Association:
        name = self.config.group_column
        if name == "none":
            return Association(None, {}, "config")
        if name:
            if name not in rows.columns:
                raise ConfigError(
                    f"text.group_column {name!r} is not a modelled column of the input"
                )
            return Association(name, {}, "config")
        return choose_group_column(texts, rows, self.record_columns_, k)

    def _exemplar_chars(self) -> int:
        """Characters per exemplar: the examples share about 60% of the context (at about 3.5
        characters a token), the rest is for the record and the output."""
        share = int(self.config.n_ctx * 0.6 * 3.5 / max(self.examples_, 1))
        return max(MIN_EXEMPLAR_CHARS, min(MAX_EXEMPLAR_CHARS, share))

    def _pick(self, candidates: list[tuple[str, str]], group: str) -> list[tuple[str, str]]:
        """A fixed, seeded draw per group, so every prompt of the group shares its prefix;
        spread across the group's lengths, short to long, then shown in a seeded order."""
        k = self.examples_
        if not candidates or k == 0:
            return []
        digest = hashlib.sha256(f"{self.column}|{group}|{self.seed}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        pick = spread_by_length(len(candidates), [len(t) for _, t in candidates], k, rng)
        return [candidates[i] for i in rng.permutation(pick)]

    def generate(
        self,
        rows: pd.DataFrame,
        personas: Sequence[Persona],
        faker: IdentifierFaker,
        forbidden: frozenset[str] = frozenset(),
        offset: int = 0,
    ) -> tuple[list[str], TextStats]:
        """One text per row. ``forbidden`` holds real values (normalised) no fake may equal.

        ``offset`` is the first row's number in the whole output: a row's sampling seed
        depends on that number, not on which chunk it was generated in."""
        if not hasattr(self, "groups_"):
            raise NotFittedError("TextSynthesizer used before fit()")
        stats = TextStats()
        order, prompts, limits = self._prompts(rows, offset)
        bar = tqdm(
            total=len(order), desc=f"text:{self.column}", unit="row",
            disable=not self.progress, leave=False,
        )
        tokens_before = int(getattr(self.generator, "tokens_generated", 0))
        overruled_before = int(getattr(self.generator, "early_ends_overruled", 0))
        seconds_before = float(getattr(self.generator, "seconds", 0.0))
        records = rows.to_dict("records")
        accepted = (self._words(rows, order, offset, stats, bar) if self.vocabulary_ else
                    self._attempts(order, prompts, limits, records, offset, stats, bar))
        bar.close()
        texts: list[str] = [""] * len(rows)
        for i in order:  # placeholders are filled in a fixed order, whatever was retried
            if i in accepted:
                stats.generated += 1
                own = self.record_values_.fill(accepted[i], records[i])
                code = records[i].get(self.id_column) if self.id_column else None
                texts[i] = fill_placeholders(
                    own, personas[i], faker, forbidden,
                    {"ID": str(code)} if code is not None and not pd.isna(code) else None)
            else:
                stats.fallbacks += 1
                texts[i] = FALLBACK_TEXT
        stats.tokens = int(getattr(self.generator, "tokens_generated", 0)) - tokens_before
        stats.seconds = float(getattr(self.generator, "seconds", 0.0)) - seconds_before
        stats.early_ends_overruled = (
            int(getattr(self.generator, "early_ends_overruled", 0)) - overruled_before)
        own_values = [
            {str(v).lower() for v in row if not pd.isna(v)}
            for row in rows.itertuples(index=False)
        ]
        known = KnownIdentifiers(forbidden, skip=self.levels_)
        for i, persona in enumerate(personas):
            fakes = Fakes(persona.full_name, persona.last, persona.email, persona.phone,
                          seeds.row_seed(self.seed, offset + i, 0))
            texts[i], hits = known.replace(texts[i], fakes)
            if hits:
                stats.entities_replaced["KNOWN_IDENTIFIER"] += hits
        if not self.vocabulary_:  # a closed column's words are each in at least k real
            # texts: common terms by the scrubber's own rule, never one person's value
            texts = self._rescan(texts, personas, own_values, faker, stats, forbidden)
        return texts, stats

    def _prompts(
        self, rows: pd.DataFrame, offset: int = 0
    ) -> tuple[list[int], dict[int, str], dict[int, tuple[int, int]]]:
        """The order to decode rows in (by group), and each row's prompt and (fewest, most)
        tokens."""
        cols = [c for c in self.record_columns_ if c in rows.columns]
        groups = self._groups(rows)
        records = [_record(r, cols) for _, r in rows.iterrows()]
        # Rows of a group share every prompt token up to their record, and llama.cpp keeps the
        # evaluated prefix, so only the record line is evaluated again.
        order = sorted(range(len(rows)), key=lambda i: (groups[i], records[i]))
        prompts: dict[int, str] = {}
        limits: dict[int, tuple[int, int]] = {}
        for i in order:
            summary = self.groups_.get(groups[i]) or self.groups_[""]
            prompts[i] = self.template_.render(
                column=self.column,
                words=summary.words,
                examples=summary.exemplars,
                record=records[i],
                phrases=summary.phrases,
            )
            limits[i] = self._token_range(summary, offset + i)
        return order, prompts, limits

    def _token_range(self, summary: GroupSummary, row_number: int) -> tuple[int, int]:
        """The row's target length, drawn from its group's real lengths (jittered by up to
        15%), as (fewest, most) tokens: the model may not end its text before
        ``LENGTH_FLOOR`` of the target, and is cut at ``LENGTH_CAP``. The model, measured on
        real narratives, ends a long text soon after its floor and runs a short one on to
        its cap, so the batching generator ends a text at its first sentence end past the
        floor: a cut sentence would be dropped. ``text.max_tokens`` caps both."""
        tokens = self._target_words(summary, row_number) * TOKENS_PER_WORD
        most = min(self.config.max_tokens, int(tokens * LENGTH_CAP) + LENGTH_SLACK)
        return min(int(tokens * LENGTH_FLOOR), most), most

    def _target_words(self, summary: GroupSummary, row_number: int) -> float:
        """The row's target length in words, drawn from its group's real lengths (jittered
        by up to 15%)."""
        lengths = summary.lengths or (summary.words,)
        rng = seeds.rng(seeds.row_seed(self.seed, row_number, 0), seeds.Stream.TEXT_LENGTH)
        # The rows' quantiles follow a golden-ratio sequence from a seeded start, so even 40
        # rows cover the real lengths evenly, tails included (independent draws leave the
        # p10 and p90 of a few dozen rows far off).
        start = seeds.rng(self.seed, seeds.Stream.TEXT_LENGTH).random()
        u = (start + row_number * GOLDEN) % 1.0
        pick = lengths[min(int(u * len(lengths)), len(lengths) - 1)]
        if self.vocabulary_:  # a count of words: exactly a real text's
            return float(pick)
        return max(3.0, pick * rng.uniform(0.85, 1.15))

    def _words(self, rows: pd.DataFrame, order: list[int], offset: int, stats: TextStats,
               bar: Any) -> dict[int, str]:
        """A closed-vocabulary column's texts from its word model: each row's target count
        of words, filtered and drawn again like a model's text."""
        accepted: dict[int, str] = {}
        groups = self._groups(rows)
        for i in order:
            summary = self.groups_.get(groups[i]) or self.groups_[""]
            # At least 3 words, as for any text: scrubbing can join two words into one tag,
            # so a real text's count may be shorter than the text was.
            count = max(3, round(self._target_words(summary, offset + i)))
            for attempt in range(self.config.retries + 1):
                rng = seeds.rng(seeds.row_seed(self.seed, offset + i, attempt),
                                seeds.Stream.TEXT_WORDS)
                text = self.vocabulary_.sample(count, rng)
                reason = self.filter_.reason(text)
                if reason is None:
                    accepted[i] = text
                    break
                stats.rejected[reason] += 1
            bar.update(1)
        return accepted

    def _groups(self, rows: pd.DataFrame) -> list[str]:
        """Each row's group: its value of the group column, if any."""
        column = self.association_.column
        if column and column in rows.columns:
            return [_value(v) for v in rows[column]]
        return [""] * len(rows)

    def _attempts(
        self, order: list[int], prompts: dict[int, str],
        limits: dict[int, tuple[int, int]], records: list[dict[str, Any]], offset: int,
        stats: TextStats, bar: Any,
    ) -> dict[int, str]:
        """Generate, filter and retry; the accepted text of each row that got one. The row's
        own values the model wrote out become their placeholders first, as in the real texts
        the filter learned from."""
        accepted: dict[int, str] = {}
        pending = list(order)
        # Round r is every row's r-th attempt, in one call ordered by group: a batching
        # generator shares each group's few-shot prefix among its rows and keeps its slots
        # busy across groups.
        for attempt in range(self.config.retries + 1):
            if not pending:
                break
            still: list[int] = []
            raws = self._complete(
                [prompts[i] for i in pending],
                [seeds.row_seed(self.seed, offset + i, attempt) for i in pending],
                [limits[i] for i in pending],
                RETRY_WARMTH * attempt,
            )
            for i, raw in zip(pending, raws, strict=True):
                own = self.record_values_.mask(" ".join(raw.split()), records[i])
                text, repairs = self.filter_.salvage(own)
                reason = self.filter_.reason(text)
                if reason is None:
                    stats.repairs.update(repairs)
                    accepted[i] = text
                    bar.update(1)
                else:
                    stats.rejected[reason] += 1
                    still.append(i)
            tps = getattr(self.generator, "tokens_per_second", 0.0)
            if tps:
                bar.set_postfix(tok_s=f"{tps:.1f}")
            pending = still
        bar.update(len(pending))
        return accepted

    def _complete(self, prompts: list[str], seeds: list[int],
                  limits: list[tuple[int, int]], warmth: float = 0.0) -> list[str]:
        """Raw completions: batched when the generator can decode several prompts at once.
        A generator that takes ``min_tokens`` writes on past its early stops to the row's
        fewest tokens; one that does not stops where it stops. One that takes ``warmth``
        samples a retry more freely (a model that copied its examples, copies less)."""
        many = getattr(self.generator, "generate_many", None)
        most = [m for _, m in limits]
        if many is not None:
            extra: dict[str, Any] = {}
            if _takes(many, "min_tokens"):
                extra["min_tokens"] = [f for f, _ in limits]
            if warmth and _takes(many, "warmth"):
                extra["warmth"] = warmth
            if extra or len(prompts) > 1:
                return list(many(prompts, seeds=seeds, max_tokens=most, stop=["\n"], **extra))
        one = self.generator.generate
        warm = {"warmth": warmth} if warmth and _takes(one, "warmth") else {}
        return [
            one(p, seed=seed, max_tokens=m, stop=["\n"], **warm)
            for p, seed, m in zip(prompts, seeds, most, strict=True)
        ]

    def _rescan(
        self,
        texts: list[str],
        personas: Sequence[Persona],
        own_values: Sequence[set[str]],
        faker: IdentifierFaker,
        stats: TextStats,
        forbidden: frozenset[str],
    ) -> list[str]:
        """Replace any entity in generated text that is not one of the row's own values."""
        results = self.detector.detect(texts)
        replacements: dict[str, str] = {}
        out = []
        for text, res, persona, own in zip(texts, results, personas, own_values, strict=True):
            allowed = own | {
                persona.full_name.lower(),
                persona.first.lower(),
                persona.last.lower(),
                persona.email.lower(),
                persona.phone.lower(),
            }
            spans = non_overlapping([(r.start, r.end, r.entity) for r in res])
            for start, end, entity in reversed(spans):
                value = text[start:end]
                low = value.lower()
                if low in allowed or low in self.levels_ or any(low in a for a in allowed):
                    continue
                if MASK_RUN_RE.fullmatch(value):  # a redaction mark ("XXXX"), not a person
                    continue
                if value not in replacements:
                    replacements[value] = faker.fake_for_entity(entity, forbidden)
                fake = replacements[value]
                stats.entities_replaced[entity] += 1
                text = text[:start] + fake + text[end:]
            out.append(text)
        return out

    def __getstate__(self) -> dict[str, Any]:
        """Shipped to a cluster worker with a detector of its own (no engine, no cache)."""
        state = dict(self.__dict__)
        state["detector"] = PiiDetector(
            self.detector.recognizers, self.detector.score_threshold, workers=1,
            batch_size=self.detector.batch_size,
        )
        state["progress"] = False
        return state

    def describe(self) -> dict[str, Any]:
        assoc = getattr(self, "association_", None)
        template = getattr(self, "template_", None)
        groups = getattr(self, "groups_", {})
        return {
            "column": self.column,
            "private": self.private,
            "record_columns": getattr(self, "record_columns_", []),
            "group_column": assoc.column if assoc else None,
            "group_column_chosen_by": assoc.chosen_by if assoc else None,
            "group_association_cramers_v": assoc.scores if assoc else {},
            "exemplars": getattr(self, "exemplars_", 0),
            "examples_per_prompt": getattr(self, "examples_", self.config.examples),
            "exemplars_excluded": getattr(self, "excluded_", {}),
            "exemplar_edits": getattr(self, "exemplar_edits_", {}),
            "groups": len([g for g in groups if g]),
            "phrases_shown": sum(len(s.phrases) for s in groups.values()),
            "length_words_p10_p50_p90": getattr(self, "length_quantiles_", []),
            # Words of a closed-vocabulary column, each in at least rare_ngram_min_texts
            # texts: its texts are drawn from them by a word model.
            "closed_vocabulary_words": len(getattr(self, "vocabulary_", WordModel()).words),
            # Columns whose row's own value stands as a placeholder in what is learned from
            # the texts, filled with the synthetic row's value.
            "record_value_placeholders": dict(getattr(self, "record_values_",
                                                      RecordValues()).tags),
            "filter": {
                "ngram_tokens": self.config.ngram,
                "rare_ngram_min_texts": self.config.rare_ngram_min_texts,
                "max_nearest_similarity": self.config.max_nearest_similarity,
                "nearest_method": "TF-IDF word 1-2 grams, cosine",
            },
            "template": template.source if template else None,
            "template_sha256": template.sha256 if template else None,
            "generator": self.generator.describe(),
        }


def _takes(method: Any, name: str) -> bool:
    """Whether a generator's method takes the keyword ``name`` (plug-in generators may
    predate it)."""
    import inspect

    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def fill_placeholders(
    text: str, persona: Persona, faker: IdentifierFaker, forbidden: frozenset[str] = frozenset(),
    fakes: Mapping[str, str] | None = None,
) -> str:
    """Put the row's own fake identifiers where the model wrote placeholders (``fakes``: the
    row's fakes of other tags, such as its account number for "<ID>")."""
    own = {
        "PERSON": persona.full_name,
        "EMAIL_ADDRESS": persona.email,
        "PHONE_NUMBER": persona.phone,
        **(fakes or {}),
    }
    extra: dict[str, str] = defaultdict(str)

    def swap(m: re.Match[str]) -> str:
        tag = m.group(1)
        if tag in own:
            return own[tag]
        if not extra[tag]:
            extra[tag] = faker.fake_for_entity(tag, forbidden)
        return extra[tag]

    text = PLACEHOLDER_RE.sub(swap, text)
    return text.replace("<", "").replace(">", "")


def generate_chunk(
    item: tuple[int, int, pd.DataFrame, Sequence[Persona]],
    synthesizer: TextSynthesizer,
    forbidden: frozenset[str],
) -> tuple[list[str], TextStats]:
    """Texts for one chunk of rows: (first row's number, fake seed, rows, personas).

    A process holds one model context for every chunk it runs, and one llama.cpp context
    serves one caller, so the chunks of a process take turns."""
    offset, seed, rows, personas = item
    with cached("text-generation-lock", threading.Lock):
        return synthesizer.generate(
            rows, personas, IdentifierFaker(seed), forbidden, offset=offset
        )
