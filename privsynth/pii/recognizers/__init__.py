"""Recognizers privsynth adds to Presidio's defaults, and the user's own from the config.

A user recognizer is a table in ``[[scan.recognizers]]``::

    [[scan.recognizers]]
    entity = "EMPLOYEE_ID"          # upper-case name; becomes an identifying entity
    regex = ["\\bEMP-\\d{6}\\b"]     # and/or
    deny_list = ["Project Falcon"]  # exact words or phrases
    context = ["employee"]          # optional words that raise the score nearby
    score = 0.8                     # optional, default 0.8
"""

from __future__ import annotations

import re
from typing import Any

from privsynth.errors import ConfigError
from privsynth.pii.recognizers.address import address_recognizer
from privsynth.pii.recognizers.names import name_recognizer
from privsynth.pii.recognizers.patterns import all_pattern_recognizers

# Entities privsynth's own recognizers add; all of them identify a person or an account.
ADDED_ENTITIES = (
    "DATE_OF_BIRTH",
    "POSTAL_CODE",
    "NATIONAL_ID",
    "MAC_ADDRESS",
    "USERNAME",
    "ACCOUNT_NUMBER",
)

_ENTITY_RE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_USER_KEYS = {"entity", "regex", "deny_list", "context", "score"}


def builtin_recognizers() -> list[Any]:
    return [*all_pattern_recognizers(), name_recognizer(), address_recognizer()]


def validate_user_recognizers(specs: list[dict[str, Any]]) -> None:
    """Raise ConfigError naming the first problem in ``scan.recognizers``."""
    for i, spec in enumerate(specs):
        where = f"scan.recognizers[{i}]"
        unknown = sorted(set(spec) - _USER_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
        entity = spec.get("entity")
        if not isinstance(entity, str) or not _ENTITY_RE.fullmatch(entity):
            raise ConfigError(f"{where}: 'entity' must be an upper-case name such as EMPLOYEE_ID")
        regex, deny = spec.get("regex", []), spec.get("deny_list", [])
        for key, value in (
            ("regex", regex),
            ("deny_list", deny),
            ("context", spec.get("context", [])),
        ):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings")
        if not regex and not deny:
            raise ConfigError(f"{where}: give 'regex' or 'deny_list' (or both)")
        for rx in regex:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ConfigError(f"{where}: regex {rx!r} does not compile: {exc}") from None
        score = spec.get("score", 0.8)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 < score <= 1:
            raise ConfigError(f"{where}: 'score' must be a number in (0, 1]")


def user_recognizers(specs: list[dict[str, Any]]) -> list[Any]:
    from presidio_analyzer import Pattern, PatternRecognizer

    validate_user_recognizers(specs)
    out = []
    for i, spec in enumerate(specs):
        score = float(spec.get("score", 0.8))
        patterns = [
            Pattern(f"user_{i}_{j}", rx, score) for j, rx in enumerate(spec.get("regex", []))
        ]
        options: dict[str, Any] = {"deny_list_score": score}
        if patterns:
            options["patterns"] = patterns
        if spec.get("deny_list"):
            options["deny_list"] = list(spec["deny_list"])
        if spec.get("context"):
            options["context"] = list(spec["context"])
        out.append(
            PatternRecognizer(
                supported_entity=spec["entity"],
                name=f"user_{i}_{spec['entity'].lower()}",
                supported_language="en",
                **options,
            )
        )
    return out


def user_entities(specs: list[dict[str, Any]]) -> list[str]:
    return sorted({str(s["entity"]) for s in specs})
