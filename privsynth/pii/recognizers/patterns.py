"""privsynth's own pattern recognizers, added to Presidio's defaults.

Each recognizer is data (regex, score, context words) plus, where the format has one, a
checksum. Scores below the scan threshold are raised by Presidio's context enhancer when a
context word (from the surrounding text or the column name) is near the match.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from privsynth.pii.recognizers import checksums
from privsynth.pii.recognizers.context import boost, context_pattern

if TYPE_CHECKING:
    from presidio_analyzer import PatternRecognizer


def _recognizer(
    entity: str,
    patterns: list[tuple[str, str, float]],
    context: list[str],
    validate: object = None,
    name: str | None = None,
    checksum: bool = False,
) -> PatternRecognizer:
    """A pattern recognizer. ``validate(text) -> bool`` rejects a match when False; when True
    it raises the score to 1.0 only if it is a real ``checksum`` (not a plausibility rule)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    words = list(context)
    pattern = context_pattern(words)

    class _Checked(PatternRecognizer):
        def enhance_using_context(
            self,
            text: str,
            raw_recognizer_results: list[Any],
            other_raw_recognizer_results: list[Any],
            nlp_artifacts: Any,
            context: list[str] | None = None,
        ) -> list[Any]:
            return boost(text, raw_recognizer_results, pattern, words, context)

        def validate_result(self, pattern_text: str) -> bool | None:
            if validate is None:
                return None
            ok = bool(validate(pattern_text))  # type: ignore[operator]
            return (True if checksum else None) if ok else False

    return _Checked(
        supported_entity=entity,
        name=name or f"privsynth_{entity.lower()}",
        patterns=[Pattern(n, rx, s) for n, rx, s in patterns],
        context=context,
        supported_language="en",
    )


_DATE = (
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}"
    r"|(?:\d{1,2}\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})\b"
)


def date_of_birth() -> PatternRecognizer:
    # A date is a date; next to "born" or "DOB" it is a date of birth.
    return _recognizer(
        "DATE_OF_BIRTH",
        [("date", _DATE, 0.1)],
        ["born", "birth", "dob", "birthday", "birthdate", "d.o.b"],
    )


def postal_code() -> PatternRecognizer:
    return _recognizer(
        "POSTAL_CODE",
        [
            # UK postcodes are distinctive enough alone.
            ("uk", r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", 0.5),
            # Five digits are a ZIP code only next to a word that says so.
            ("us_zip", r"\b\d{5}(?:-\d{4})?\b", 0.05),
            ("ca", r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d\b", 0.3),
        ],
        ["zip", "zipcode", "postal", "postcode", "post", "code"],
    )


def iban() -> PatternRecognizer:
    return _recognizer(
        "IBAN_CODE",
        [("iban", r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b", 0.6)],
        ["iban", "bank", "account", "transfer"],
        validate=checksums.iban_ok,
        name="privsynth_iban_spaced",
        checksum=True,
    )


def credit_card() -> PatternRecognizer:
    # Presidio's card recognizer misses groupings such as 4-6-5 (Amex) with spaces or dashes.
    return _recognizer(
        "CREDIT_CARD",
        [("card", r"\b(?:\d[ -]?){12,18}\d\b", 0.3)],
        ["card", "credit", "visa", "mastercard", "amex", "payment", "cc"],
        validate=lambda t: 13 <= len(checksums.digits(t)) <= 19 and checksums.luhn_ok(t),
        name="privsynth_card_grouped",
        checksum=True,
    )


def national_id() -> PatternRecognizer:
    return _recognizer(
        "NATIONAL_ID",
        [
            ("es_dni", r"\b[XYZ]?\d{7,8}-?[A-Z]\b", 0.4),
            ("uk_nino", r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", 0.5),
            ("nl_bsn", r"\b\d{9}\b", 0.05),
            ("ca_sin", r"\b\d{3}[ -]\d{3}[ -]\d{3}\b", 0.05),
        ],
        ["national", "bsn", "sin", "dni", "nie", "nino", "insurance", "citizen", "id"],
        validate=_national_ok,
    )


def _national_ok(text: str) -> bool:
    compact = text.replace(" ", "").replace("-", "")
    if compact[-1:].isalpha() and compact[:1].isdigit() or compact[:1] in "XYZ":
        return checksums.dni_ok(compact)
    if compact.isdigit():
        return checksums.bsn_ok(compact) or checksums.luhn_ok(compact)
    return True  # NINO has no checksum; its letter rules are in the pattern


def us_ssn() -> PatternRecognizer:
    # Presidio scores dashed SSNs low without context; area/group/serial rules lift precision.
    return _recognizer(
        "US_SSN",
        [("dashed", r"\b\d{3}-\d{2}-\d{4}\b", 0.5), ("spaced", r"\b\d{3} \d{2} \d{4}\b", 0.3)],
        ["ssn", "social", "security"],
        validate=checksums.ssn_plausible,
        name="privsynth_ssn",
    )


def mac_address() -> PatternRecognizer:
    return _recognizer(
        "MAC_ADDRESS",
        [
            ("colon", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b", 0.7),
            ("dotted", r"\b(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}\b", 0.6),
        ],
        ["mac", "hardware", "ethernet", "wifi", "device"],
    )


_PHONE = (
    r"(?<![\w+.-])(?:\+\d{1,3}[\s.-]?|00\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?"
    r"\d{1,4}(?:[\s.-]\d{1,4}){1,5}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w.-]?\d)"
)


def phone_number() -> PatternRecognizer:
    # Presidio's phone recognizer needs a number valid in one of a few regions; these
    # catch the rest (any grouping of 7-15 digits) when a word like "call" or "phone" is near,
    # or when an international prefix makes the number plain.
    return _recognizer(
        "PHONE_NUMBER",
        [
            ("grouped", _PHONE, 0.2),
            ("international", r"(?<![\w+])\+\d{1,3}[\s(][\d\s().-]{6,18}\d", 0.5),
            ("nanp", r"(?<![\w+.-])(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w.-]?\d)", 0.5),
            (
                "area_code",
                r"(?<![\w+.-])\(\d{1,4}\)\s?\d{2,4}(?:[\s.-]\d{2,4}){1,3}(?![\w.-]?\d)",
                0.5,
            ),
            ("bare", r"(?<![\w+.-])0?\d{9,11}(?![\w.-]?\d)", 0.1),
        ],
        [
            "phone",
            "call",
            "tel",
            "telephone",
            "mobile",
            "cell",
            "fax",
            "office",
            "desk",
            "reach",
            "answer",
            "answering",
            "dial",
            "text",
            "sms",
            "contact",
            "number",
            "whatsapp",
            "ring",
        ],
        validate=_phone_ok,
        name="privsynth_phone",
    )


_NOT_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d{3}-\d{2}-\d{4}$"
    r"|^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$|^\d{13,19}$"
)


def _phone_ok(text: str) -> bool:
    if _NOT_PHONE.search(text):
        return False
    return 7 <= len(checksums.digits(text)) <= 15


def username() -> PatternRecognizer:
    return _recognizer(
        "USERNAME",
        [
            ("handle", r"(?<![\w.@])@[A-Za-z0-9_]{3,30}\b", 0.5),
            ("labelled", r"(?i)(?<=user(?:name)?[:=] )[A-Za-z0-9._-]{3,40}\b", 0.6),
            ("login_like", r"\b[a-z][a-z0-9]*[._][a-z0-9]+\d*\b", 0.05),
        ],
        ["user", "username", "login", "handle", "account", "nick", "screen"],
    )


def account_number() -> PatternRecognizer:
    # Free-form account and ID numbers: only near a word that says so (or in such a column).
    return _recognizer(
        "ACCOUNT_NUMBER",
        [
            ("digits", r"\b\d{6,17}\b", 0.05),
            ("grouped", r"\b\d{2,6}(?:[ -]\d{2,6}){1,4}\b", 0.02),
            ("prefixed", r"\b[A-Z]{2,4}[-#]?\d{5,12}\b", 0.1),
        ],
        [
            "account",
            "acct",
            "acc",
            "member",
            "policy",
            "customer",
            "client",
            "contract",
            "invoice",
            "reference",
            "ref",
            "number",
            "no",
            "routing",
            "id",
        ],
    )


def all_pattern_recognizers() -> list[PatternRecognizer]:
    return [
        date_of_birth(),
        postal_code(),
        iban(),
        credit_card(),
        national_id(),
        us_ssn(),
        mac_address(),
        phone_number(),
        username(),
        account_number(),
    ]
