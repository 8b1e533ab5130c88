"""Context words found in the raw text around a match, stop words included.

Presidio's context enhancer compares lemmas of the surrounding *non-stop* words, so words such
as "call", "name", "first", "last", "number" or "no" never count, though they are exactly
the words that say what a number or a name is. privsynth's recognizers look for their context
words in the raw characters around each match (and in the column-name context a scan passes)
and raise the score once; the result is then marked so Presidio does not raise it again.
"""

from __future__ import annotations

from typing import Any

import regex as re

BOOST = 0.35
MIN_WITH_CONTEXT = 0.4
WINDOW_BEFORE = 40
WINDOW_AFTER = 15


def context_pattern(words: list[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?i)(?<![\p{{L}}\d])(?:{alternation})(?![\p{{L}}])")


def boost(
    text: str,
    results: list[Any],
    pattern: re.Pattern[str] | None,
    words: list[str],
    context: list[str] | None,
) -> list[Any]:
    from presidio_analyzer import RecognizerResult

    if pattern is None:
        return results
    column_hit = bool(context) and any(
        pattern.fullmatch(c) for c in context or [] if isinstance(c, str)
    )
    for result in results:
        meta = result.recognition_metadata or {}
        if meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
            continue
        window = (
            text[max(0, result.start - WINDOW_BEFORE) : result.start]
            + " "
            + text[result.end : result.end + WINDOW_AFTER]
        )
        if column_hit or pattern.search(window):
            result.score = min(1.0, max(result.score + BOOST, MIN_WITH_CONTEXT))
            meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            result.recognition_metadata = meta
    return results


def span_results(
    spans: list[tuple[int, int, float]], entity: str, name: str, identifier: str, why: str
) -> list[Any]:
    """Presidio results for (start, end, score) spans found by one of privsynth's own
    recognizers, with the explanation Presidio's context step expects."""
    from presidio_analyzer import AnalysisExplanation, RecognizerResult

    return [
        RecognizerResult(
            entity,
            start,
            end,
            score,
            analysis_explanation=AnalysisExplanation(
                recognizer=name, original_score=score, textual_explanation=why
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: identifier,
            },
        )
        for start, end, score in spans
    ]
