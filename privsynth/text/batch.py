"""Decoding several prompts at once: one llama.cpp batch, one sequence per prompt.

A small model on a CPU spends a decode step reading its weights for a single token
(matrix-vector work). With S sequences in one batch, each step reads the weights once for S
tokens (matrix-matrix work), so aggregate tokens/s grows with S until compute is the limit.
Prompts of one group share their few-shot prefix; it is evaluated once into a holder
sequence and shared with every sequence of the group through the KV cache
(``llama_memory_seq_cp``), so prompt evaluation is paid once per group. Groups follow each
other in one stream: a slot freed by one group's row takes the next group's row at once, so a
table of many small groups keeps every slot busy.

Each sequence has its own sampler chain (markup tokens banned, repeat penalty, DRY against
loops, top-k 40, top-p, min-p 0.05, temperature, and a distribution seeded by that row's
seed): llama-cpp-python's single-stream chain, plus DRY and the ban.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from privsynth.errors import TextGenerationError

# A finished sentence: a word's last letter (or a closing bracket or quote), then . ! or ?
# ("$12." is not one).
_SENTENCE_END_RE = re.compile(r"[A-Za-z)\"'][.!?][\"')]?$")
# KV cells a slot expects to need beyond the shared prefix (record line + output).
SLOT_CELLS = 256
# The DRY sampler's settings (the values its authors suggest): penalty multiplier, base,
# repeats allowed free, and tokens looked back over.
DRY_MULTIPLIER = 0.8
DRY_BASE = 1.75
DRY_ALLOWED_LENGTH = 2
DRY_LAST_N = 1024


@dataclass
class _Seq:
    index: int
    tokens: list[int]
    seed: int
    max_tokens: int
    min_tokens: int = 0
    sampler: Any = None
    pos: int = 0
    out: list[int] = field(default_factory=list)
    text: str = ""
    done: bool = False
    batch_index: int = -1
    next_token: int | None = None
    slot: int = -1
    temperature: float = 0.8
    run: int = 0  # the run of prompts sharing this prompt's prefix
    shared: int = 0  # that prefix's length in tokens


class BatchDecoder:
    """Generates completions for many prompts with ``n_seq`` sequences decoded together."""

    def __init__(
        self,
        llm: Any,
        *,
        n_seq: int = 8,
        n_ctx_per_seq: int = 1024,
        n_threads: int = 2,
        temperature: float = 0.8,
        top_p: float = 0.95,
        repeat_penalty: float = 1.1,
    ) -> None:
        import llama_cpp

        self.llm = llm
        self.n_seq = n_seq
        self.temperature = temperature
        self.top_p = top_p
        self.repeat_penalty = repeat_penalty
        model = llm._model.model
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        params = llama_cpp.llama_context_default_params()
        # Two groups' shared prefixes (one finishing, the next starting), plus room for each
        # slot's own record line and output.
        params.n_ctx = 2 * n_ctx_per_seq + n_seq * SLOT_CELLS
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_seq_max = n_seq + 1  # the slots, and one holder of the shared prefix
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.kv_unified = True  # sequences share the prompt prefix's cache cells
        self.ctx = llama_cpp.llama_init_from_model(model, params)
        if not self.ctx:
            raise TextGenerationError("could not create a batched llama.cpp context")
        self.n_ctx_per_seq = n_ctx_per_seq
        self.n_ctx = params.n_ctx
        self.n_batch = params.n_batch
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, n_seq + 1)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.tokens_generated = 0
        self.prompt_tokens = 0
        # Early ends overruled: an end or stop token before a sequence's fewest tokens is
        # replaced by a space, and the model writes on.
        self.continued = 0
        space = llm.tokenize(b" ", add_bos=False, special=False)
        self.space_token = int(space[-1]) if space else None
        self.banned = _markup_tokens(self.vocab, self.n_vocab, llm)

    def close(self) -> None:
        import llama_cpp

        if self.ctx:
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def generate(
        self,
        prompts: Sequence[str],
        *,
        seeds: Sequence[int],
        max_tokens: Sequence[int],
        stop: Sequence[str],
        min_tokens: Sequence[int] | None = None,
        warmth: float = 0.0,
    ) -> list[str]:
        """Completions in prompt order; none ends before its ``min_tokens``; sampled at the
        decoder's temperature plus ``warmth`` (retries sample more freely).

        Continuous batching: up to ``n_seq`` prompts decode together, and a finished one's
        slot takes the next prompt at once. Consecutive prompts that share most of their
        tokens (one group's few-shot prefix) form a run; a run's common prefix is evaluated
        once into a holder sequence and copied into each of its slots. Pass prompts ordered
        by group."""
        import llama_cpp

        if not prompts:
            return []
        llama_cpp.llama_memory_clear(self.memory, True)
        floors = list(min_tokens) if min_tokens is not None else [0] * len(prompts)
        queue = [
            _Seq(i, self._tokens(p, m), s, m, min(f, m), temperature=self.temperature + warmth)
            for i, (p, s, m, f) in enumerate(
                zip(prompts, seeds, max_tokens, floors, strict=True))
        ]
        _mark_runs(queue)
        waiting = list(reversed(queue))
        slots: list[_Seq | None] = [None] * self.n_seq
        self._held = (-1, 0)  # the run whose prefix the holder has, and its length
        try:
            while waiting or any(slots):
                entries: list[tuple[int, int, int, bool]] = []
                owners: list[_Seq] = []
                # One token for every sequence that is generating.
                for slot, seq in enumerate(slots):
                    if seq is not None and seq.next_token is not None:
                        if self._advance(seq, list(stop)):
                            seq.sampler.close()
                            llama_cpp.llama_memory_seq_rm(self.memory, slot, -1, -1)
                            slots[slot] = None
                            continue
                        entries.append((seq.next_token, seq.pos, slot, True))
                        owners.append(seq)
                        seq.pos += 1
                self._admit(waiting, slots, entries, owners)
                if not entries:
                    continue
                self._fill(entries)
                self._decode()
                for i, (owner, entry) in enumerate(zip(owners, entries, strict=True)):
                    if entry[3]:
                        owner.next_token = llama_cpp.llama_sampler_sample(
                            owner.sampler.sampler, self.ctx, i
                        )
        finally:
            for seq in queue:
                if seq.sampler is not None and not seq.done:
                    seq.sampler.close()
        return [q.text for q in queue]

    def _cells_in_use(self, slots: list[_Seq | None]) -> int:
        """KV cells the running slots and the holder need at most: each resident run's
        prefix once, and every slot's own tokens and output."""
        prefixes = {q.run: q.shared for q in slots if q is not None}
        held_run, held_len = self._held
        prefixes.setdefault(held_run, held_len)
        own = sum(len(q.tokens) - q.shared + q.max_tokens for q in slots if q is not None)
        return sum(prefixes.values()) + own

    def _hold(self, seq: _Seq) -> None:
        """Put the prefix of ``seq``'s run into the holder sequence, instead of the last."""
        import llama_cpp

        holder = self.n_seq  # a sequence id no slot uses
        if self._held[0] == seq.run:
            return
        # Slots of the last run keep their copies of its cells; the holder lets go of them.
        llama_cpp.llama_memory_seq_rm(self.memory, holder, -1, -1)
        if seq.shared > 0:
            self._decode_prompt(seq.tokens[:seq.shared], holder)
            self.prompt_tokens += seq.shared
        self._held = (seq.run, seq.shared)

    def _admit(
        self, waiting: list[_Seq], slots: list[_Seq | None],
        entries: list[tuple[int, int, int, bool]], owners: list[_Seq],
    ) -> None:
        """Free slots take the next prompts, as far as the batch and the cache have room."""
        import llama_cpp

        for slot in range(self.n_seq):
            if slots[slot] is not None or not waiting:
                continue
            seq = waiting[-1]
            suffix = seq.tokens[seq.shared:]
            if entries and len(entries) + len(suffix) > self.n_batch:
                return
            new_prefix = seq.shared if self._held[0] != seq.run else 0
            needed = self._cells_in_use(slots) + new_prefix + len(suffix) + seq.max_tokens
            if any(slots) and needed > self.n_ctx:
                return  # the cache is full; wait for a slot to finish
            waiting.pop()
            self._hold(seq)
            slots[slot] = seq
            seq.sampler = self._sampler(seq.seed, seq.temperature)
            seq.slot = slot
            if seq.shared > 0:
                llama_cpp.llama_memory_seq_cp(self.memory, self.n_seq, slot, -1, -1)
            seq.pos = seq.shared
            if len(suffix) > self.n_batch - len(entries):  # a long suffix on its own
                self._decode_prompt(suffix[:-1], slot, start_pos=seq.shared)
                seq.pos += len(suffix) - 1
                suffix = suffix[-1:]
            for j, tok in enumerate(suffix):
                entries.append((tok, seq.pos, slot, j == len(suffix) - 1))
                owners.append(seq)
                seq.pos += 1
            self.prompt_tokens += len(seq.tokens) - seq.shared

    def _tokens(self, prompt: str, max_tokens: int) -> list[int]:
        tokens: list[int] = self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        budget = self.n_ctx_per_seq - max_tokens - 1
        if len(tokens) > budget:  # keep the end: the record and the answer cue
            tokens = tokens[:1] + tokens[len(tokens) - budget + 1 :]
        return tokens

    def _advance(self, seq: _Seq, stop: list[str]) -> bool:
        """Take the sampled token; True when the sequence is finished."""
        import llama_cpp

        tok = seq.next_token
        if tok is None:
            seq.done = True
            return True
        early = len(seq.out) < seq.min_tokens and self.space_token is not None
        if llama_cpp.llama_vocab_is_eog(self.vocab, tok):
            if not early:
                seq.done = True
                return True
            tok = seq.next_token = self._overrule()
        seq.out.append(tok)
        self.tokens_generated += 1
        seq.text = self.llm.detokenize(seq.out).decode("utf-8", errors="ignore")
        hit = _first_stop(seq.text, stop)
        if hit is not None and early:
            seq.out[-1] = seq.next_token = self._overrule()
            seq.text = self.llm.detokenize(seq.out).decode("utf-8", errors="ignore")
            hit = _first_stop(seq.text, stop)
        if hit is not None:
            seq.text = seq.text[:hit]
            seq.done = True
            return True
        if seq.min_tokens and len(seq.out) >= seq.min_tokens and \
                _SENTENCE_END_RE.search(seq.text):
            seq.done = True  # past its length, the text ends with its sentence
            return True
        if len(seq.out) >= seq.max_tokens:
            seq.done = True
            return True
        return False

    def _overrule(self) -> int:
        """The token written instead of an early end: a space."""
        assert self.space_token is not None
        self.continued += 1
        return self.space_token

    def _sampler(self, seed: int, temperature: float) -> Any:
        from llama_cpp._internals import LlamaSampler

        sampler = LlamaSampler()
        if self.banned:
            sampler.add_logit_bias(self.n_vocab, self.banned)
        sampler.add_penalties(
            n_vocab=self.n_vocab,
            penalty_last_n=64,
            penalty_repeat=self.repeat_penalty,
            penalty_freq=0.0,
            penalty_present=0.0,
        )
        # DRY: a repeat of the text's own earlier tokens longer than two is penalised,
        # growing with its length, so a long text does not loop over its sentences (a base
        # model's habit past 200 words; the filter then dropped the repeats and the text
        # ended far short of its length).
        sampler.add_dry(self.llm._model, DRY_MULTIPLIER, DRY_BASE, DRY_ALLOWED_LENGTH,
                        DRY_LAST_N, ["\n", ":", '"', "*"])
        sampler.add_top_k(40)
        sampler.add_top_p(self.top_p, 1)
        sampler.add_min_p(0.05, 1)
        sampler.add_temp(temperature)
        sampler.add_dist(seed & 0xFFFFFFFF)
        return sampler

    def _fill(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """entries: (token, position, sequence id, want logits)."""
        b = self.batch
        for i, (tok, pos, seq_id, logits) in enumerate(entries):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq_id
            b.logits[i] = logits
        b.n_tokens = len(entries)

    def _decode(self) -> None:
        import llama_cpp

        rc = llama_cpp.llama_decode(self.ctx, self.batch)
        if rc != 0:
            raise TextGenerationError(f"llama_decode failed (code {rc})")

    def _decode_prompt(self, tokens: list[int], seq_id: int, start_pos: int = 0) -> None:
        for off in range(0, len(tokens), self.n_batch):
            part = tokens[off : off + self.n_batch]
            self._fill([(t, start_pos + off + j, seq_id, False) for j, t in enumerate(part)])
            self._decode()


# A prompt joins the run before it when they share at least this share of its tokens: rows of
# one group share the few-shot prefix (most of the prompt), different groups the header only.
RUN_SHARE = 0.5


def _markup_tokens(vocab: Any, n_vocab: int, llm: Any) -> dict[int, float]:
    """Tokens a plain text never holds, each with a bias of minus infinity: control tokens
    other than an end (unused slots, padding, turn marks) and markup tokens a model's
    vocabulary adds whole (``<start_of_image>``, ``<table>``, ``[multimodal]``): the base
    model wrote them into texts, where they read as "start_of_image"."""
    import llama_cpp

    control = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL
    user = llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
    banned: dict[int, float] = {}
    for tok in range(n_vocab):
        attr = llama_cpp.llama_vocab_get_attr(vocab, tok)
        if attr & control and not llama_cpp.llama_vocab_is_eog(vocab, tok):
            banned[tok] = float("-inf")
        elif attr & user:
            text = llm.detokenize([tok], special=True)
            if text[:1] in (b"<", b"["):
                banned[tok] = float("-inf")
    return banned


def _mark_runs(queue: list[_Seq]) -> None:
    """Split prompts (ordered by group) into runs of consecutive prompts sharing most of
    their tokens, and give each its run's common prefix (never a whole prompt: the last
    token of each is decoded in its own slot, which yields its first logits)."""
    start = 0
    for i in range(1, len(queue) + 1):
        if i < len(queue):
            common = _common_prefix([queue[start].tokens, queue[i].tokens])
            if common >= RUN_SHARE * min(len(queue[start].tokens), len(queue[i].tokens)):
                continue
        members = queue[start:i]
        shared = min(_common_prefix([q.tokens for q in members]),
                     min(len(q.tokens) for q in members) - 1)
        for q in members:
            q.run, q.shared = start, max(shared, 0)
        start = i


def _common_prefix(token_lists: list[list[int]]) -> int:
    if not token_lists:
        return 0
    first = token_lists[0]
    n = min(len(t) for t in token_lists)
    for i in range(n):
        tok = first[i]
        if any(t[i] != tok for t in token_lists[1:]):
            return i
    return n


def _first_stop(text: str, stop: list[str]) -> int | None:
    hits = [text.find(s) for s in stop if s and s in text]
    return min(hits) if hits else None
