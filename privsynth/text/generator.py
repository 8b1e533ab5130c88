"""Text generators: the protocol, and llama-cpp-python running a local GGUF file."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from privsynth.errors import ModelError, TextGenerationError
from privsynth.text.model import ModelInfo

logger = logging.getLogger(__name__)


@runtime_checkable
class TextGenerator(Protocol):
    """Completes a prompt. Same prompt and seed give the same text."""

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str]) -> str: ...

    def describe(self) -> dict[str, Any]: ...


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp writes load chatter straight to fd 2; silence it during load."""
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaGenerator:
    """Few-shot completion with a local GGUF model through llama-cpp-python."""

    def __init__(
        self,
        model: ModelInfo,
        *,
        n_threads: int = 2,
        n_ctx: int = 2048,
        temperature: float = 0.8,
        top_p: float = 0.95,
        prompting: str = "auto",
        batch_sequences: int = 1,
    ) -> None:
        self.model = model
        self.prompting = prompting
        # >1: prompts of a group decode together, one llama.cpp sequence each (see batch.py).
        self.batch_sequences = batch_sequences
        self._batch: Any = None
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.temperature = temperature
        self.top_p = top_p
        self.tokens_generated = 0
        self.seconds = 0.0
        self.early_ends_overruled = 0
        self._llm: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Shipped to a cluster worker without the loaded model: each worker process loads
        it once and every copy it receives shares that one context."""
        state = dict(self.__dict__)
        state.update(_llm=None, _batch=None, tokens_generated=0, seconds=0.0, _shared=True,
                     early_ends_overruled=0)
        return state

    def _key(self) -> str:
        return f"{self.model.path}|{self.model.sha256}|{self.n_ctx}|{self.n_threads}"

    def _load(self) -> Any:
        if self._llm is None and getattr(self, "_shared", False):
            from privsynth.engine.worker import cached

            self._shared = False
            self._llm = cached("llama:" + self._key(), self._load)
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelError("llama-cpp-python is not installed; run make install") from None
            try:
                with _quiet_stderr():
                    self._llm = Llama(
                        model_path=str(self.model.path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_threads_batch=self.n_threads,
                        seed=0,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load model {self.model.path.name}: {exc}") from None
            from privsynth.engine.worker import close_at_exit

            close_at_exit(self._llm)
        return self._llm

    @property
    def chat(self) -> bool:
        """Whether prompts go through the model's own chat template."""
        if self.prompting != "auto":
            return self.prompting == "chat"
        metadata = getattr(self._load(), "metadata", None) or {}
        return bool(metadata.get("tokenizer.chat_template"))

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str],
                 warmth: float = 0.0) -> str:
        llm = self._load()
        chat = self.chat
        options = {
            "max_tokens": max_tokens,
            "temperature": self.temperature + warmth,
            "top_p": self.top_p,
            "stop": stop,
            "seed": seed,
            "repeat_penalty": 1.1,
        }
        start = time.perf_counter()
        try:
            if chat:
                out = llm.create_chat_completion(
                    messages=[{"role": "user", "content": prompt}], **options
                )
                text = out["choices"][0]["message"]["content"] or ""
            else:
                out = llm.create_completion(prompt, **options)
                text = out["choices"][0]["text"]
        except (ValueError, RuntimeError) as exc:
            raise TextGenerationError(f"generation failed: {type(exc).__name__}") from None
        self.seconds += time.perf_counter() - start
        self.tokens_generated += int(out["usage"]["completion_tokens"])
        return str(text)

    def generate_many(
        self, prompts: list[str], *, seeds: list[int], max_tokens: list[int], stop: list[str],
        min_tokens: list[int] | None = None, warmth: float = 0.0,
    ) -> list[str]:
        """Completions for several prompts; batched unless batching is off or prompts go
        through a chat template. The batched decoder writes each text to at least its
        ``min_tokens``; the single-stream path (chat models, batching off) cannot hold a
        model to a length, and stops where the model stops. ``warmth`` is added to the
        temperature (a retry)."""
        if self.batch_sequences <= 1 or self.chat:
            return [
                self.generate(p, seed=s, max_tokens=m, stop=stop, warmth=warmth)
                for p, s, m in zip(prompts, seeds, max_tokens, strict=True)
            ]
        from privsynth.text.batch import BatchDecoder

        if self._batch is None:
            from privsynth.engine.worker import cached

            def build() -> Any:
                from privsynth.engine.worker import close_at_exit

                with _quiet_stderr():
                    decoder = BatchDecoder(
                        self._load(),
                        n_seq=self.batch_sequences,
                        n_ctx_per_seq=min(self.n_ctx, 2048),
                        n_threads=self.n_threads,
                        temperature=self.temperature,
                        top_p=self.top_p,
                    )
                close_at_exit(decoder)
                return decoder

            # One decoder per loaded model and settings in this process, like the model.
            llm = self._load()
            key = f"batch:{id(llm)}|{self.batch_sequences}|{self.temperature}|{self.top_p}"
            self._batch = cached(key, build)
        before, overruled = self._batch.tokens_generated, self._batch.continued
        start = time.perf_counter()
        texts = self._batch.generate(prompts, seeds=seeds, max_tokens=max_tokens, stop=stop,
                                     min_tokens=min_tokens, warmth=warmth)
        self.seconds += time.perf_counter() - start
        self.tokens_generated += self._batch.tokens_generated - before
        self.early_ends_overruled += self._batch.continued - overruled
        return texts

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_generated / self.seconds if self.seconds else 0.0

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "llama-cpp-python",
            **self.model.describe(),
            "n_threads": self.n_threads,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "batch_sequences": self.batch_sequences,
            "prompting": (
                "not decided (model not loaded)"
                if self.prompting == "auto" and self._llm is None
                else ("chat template" if self.chat else "few-shot completion")
            ),
        }
