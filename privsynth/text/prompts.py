"""Prompt templates live in files; users may point at their own."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from privsynth.errors import ConfigError

_FIELDS = ("{column}", "{words}", "{examples}", "{record}", "{label}")

# Source text that tries to steer a model is never shown to it.
INJECTION_RE = re.compile(
    r"ignore (all |any )?(the )?(previous|prior|above)|disregard (all |the )?(previous|prior|above)"
    r"|system prompt|you are now|print (all|every)|reveal (all|the)|<\|im_start\|>|\[INST\]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PromptTemplate:
    text: str
    source: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def render(
        self, *, column: str, words: int, examples: list[tuple[str, str]], record: str
    ) -> str:
        label = "Entry"
        shots = "".join(f"\nRecord: {rec}\n{label}: {text}\n" for rec, text in examples)
        return (
            self.text.replace("{column}", column)
            .replace("{words}", str(words))
            .replace("{examples}", shots)
            .replace("{record}", record)
            .replace("{label}", label)
            .rstrip("\n")
        )


def load_template(path: str | Path | None = None) -> PromptTemplate:
    if not path:
        text = files("privsynth").joinpath("text/templates/fewshot.txt").read_text("utf-8")
        return PromptTemplate(text, "builtin:fewshot.txt")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"prompt template not found: {p}")
    text = p.read_text("utf-8")
    missing = [f for f in _FIELDS if f not in text]
    if missing:
        raise ConfigError(f"prompt template {p.name} lacks field(s) {', '.join(missing)}")
    return PromptTemplate(text, str(p.name))
