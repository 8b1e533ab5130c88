"""Prompt templates live in files; users may point at their own."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from privsynth.errors import ConfigError

# Fields a user template must have; {phrases} is optional.
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
        self,
        *,
        column: str,
        words: int,
        examples: list[tuple[str, str]],
        record: str,
        phrases: list[str] | None = None,
    ) -> str:
        label = "Entry"
        shots = "".join(f"\nRecord: {rec}\n{label}: {text}\n" for rec, text in examples)
        phrase_line = f" Typical phrases: {'; '.join(phrases)}." if phrases else ""
        return (
            self.text.replace("{phrases}", phrase_line)
            .replace("{column}", column)
            .replace("{words}", str(words))
            .replace("{examples}", shots)
            .replace("{record}", record)
            .replace("{label}", label)
            .rstrip("\n")
        )


def load_template(path: str | Path | None = None, *, chat: bool = False) -> PromptTemplate:
    """The user's template file, else the built-in one for base (few-shot) or chat models."""
    if not path:
        name = "chat.txt" if chat else "fewshot.txt"
        text = files("privsynth").joinpath(f"text/templates/{name}").read_text("utf-8")
        return PromptTemplate(text, f"builtin:{name}")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"prompt template not found: {p}")
    text = p.read_text("utf-8")
    missing = [f for f in _FIELDS if f not in text]
    if missing:
        raise ConfigError(f"prompt template {p.name} lacks field(s) {', '.join(missing)}")
    return PromptTemplate(text, str(p.name))
