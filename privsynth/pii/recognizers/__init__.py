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

from typing import Any

from privsynth.config_rules import validate_user_recognizers
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



def builtin_recognizers() -> list[Any]:
    return [*all_pattern_recognizers(), name_recognizer(), address_recognizer()]


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
