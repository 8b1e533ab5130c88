"""Hand-written fakes for the LLM."""

from __future__ import annotations

import re
from typing import Any


class ScriptedGenerator:
    """Returns a fixed completion (with placeholders) and records the prompts it saw."""

    def __init__(
        self, text: str = " <PERSON> asked about the plan; reply to <EMAIL_ADDRESS>."
    ) -> None:
        self.text = text
        self.prompts: list[str] = []
        self.seeds: list[int] = []
        self.tokens_generated = 0
        self.seconds = 0.0

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str]) -> str:
        self.prompts.append(prompt)
        self.seeds.append(seed)
        self.tokens_generated += len(self.text.split())
        return self.text

    def describe(self) -> dict[str, Any]:
        return {"engine": "scripted fake"}


class CopyingGenerator(ScriptedGenerator):
    """The worst model imaginable: it copies the first example of its prompt verbatim."""

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str]) -> str:
        self.prompts.append(prompt)
        entries = re.findall(r"^Entry: (.*)$", prompt, flags=re.MULTILINE)
        return " " + (entries[seed % len(entries)] if entries else "nothing to copy here at all")


class SequenceGenerator(ScriptedGenerator):
    """Returns the given completions in turn (for retry and fallback tests)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self.texts = texts

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str]) -> str:
        self.prompts.append(prompt)
        return self.texts[min(len(self.prompts) - 1, len(self.texts) - 1)]


class RecombiningGenerator(ScriptedGenerator):
    """A passable model: it strings together sentences from different examples of its prompt,
    so its texts are new combinations of the column's usual sentences."""

    def generate(self, prompt: str, *, seed: int, max_tokens: int, stop: list[str]) -> str:
        self.prompts.append(prompt)
        entries = re.findall(r"^Entry: (.*)$", prompt, flags=re.MULTILINE)
        if not entries:
            return " <PERSON> asked about the account and the plan today."
        split = [re.split(r"(?<=[.!?])\s+", e) for e in entries]
        longest = max(len(s) for s in split)
        picked = [split[(seed + i) % len(split)] for i in range(longest)]
        sentences = [s[i] for i, s in enumerate(picked) if i < len(s)]
        self.tokens_generated += sum(len(s.split()) for s in sentences)
        return " " + " ".join(sentences)
