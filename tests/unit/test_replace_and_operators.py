"""Consistent, format-preserving replacement, and the scrubber's operators."""

import re

import pandas as pd

from privsynth.pii.recognizers.checksums import luhn_ok
from privsynth.pii.replace import ConsistentReplacer
from privsynth.pii.scrub import ConsistentFake, DropSentence, TextScrubber


def test_the_same_value_gets_the_same_fake_and_different_values_differ() -> None:
    r = ConsistentReplacer(seed=3)
    a1 = r.fake("EMAIL_ADDRESS", "maria.lopez@example.org")
    a2 = r.fake("EMAIL_ADDRESS", "  Maria.Lopez@example.org ")
    b = r.fake("EMAIL_ADDRESS", "john.smith@example.org")
    assert a1 == a2 and a1 != b
    full = r.fake("PERSON", "Maria Lopez")
    assert r.fake("PERSON", "Maria") == full.split()[0]
    assert r.fake("PERSON", "Lopez") == full.split()[-1]
    # A date of birth in a column and the same date in a note agree.
    assert r.fake("DATE_OF_BIRTH", "1985-03-14") == r.fake("DATE_TIME", "1985-03-14")


def test_same_seed_same_fakes_and_no_fake_equals_a_real_value() -> None:
    values = [f"user{i}@example.org" for i in range(50)]
    one = [
        ConsistentReplacer(seed=9, forbidden=frozenset(values)).fake("EMAIL_ADDRESS", v)
        for v in values
    ]
    two = [
        ConsistentReplacer(seed=9, forbidden=frozenset(values)).fake("EMAIL_ADDRESS", v)
        for v in values
    ]
    assert one == two
    assert not set(one) & set(values)


def test_fakes_keep_the_format() -> None:
    r = ConsistentReplacer(seed=1)
    phone = r.fake("PHONE_NUMBER", "+44 20 7946 0958")
    assert phone.startswith("+44 ") and re.fullmatch(r"\+44 \d{2} \d{4} \d{4}", phone)
    assert phone != "+44 20 7946 0958"
    us = r.fake("PHONE_NUMBER", "(415) 555-0134")
    assert re.fullmatch(r"\(4\d{2}\) \d{3}-\d{4}", us)
    email = r.fake("EMAIL_ADDRESS", "a@b.org")
    assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+", email)
    card = r.fake("CREDIT_CARD", "4111 1111 1111 1111")
    assert re.fullmatch(r"4\d{3} \d{4} \d{4} \d{4}", card) and luhn_ok(card)
    dob = r.fake("DATE_OF_BIRTH", "03/14/1985")
    shift = abs(pd.Timestamp(dob) - pd.Timestamp("1985-03-14")).days
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", dob) and 1 <= shift <= 365
    assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", r.fake("US_SSN", "536-90-4399"))


def test_the_mapping_is_never_shown() -> None:
    r = ConsistentReplacer(seed=1)
    r.fake("PERSON", "Maria Lopez")
    assert "Maria" not in repr(r) and "Lopez" not in repr(r)


TEXTS = [
    "Maria Lopez called from 415-555-0134. She wants a refund.",
    "Refund approved. Maria Lopez was told by email.",
]


def test_tag_operator() -> None:
    out = TextScrubber(operator="tag").scrub(TEXTS).texts
    assert "<PERSON>" in out[0] and "<PHONE_NUMBER>" in out[0]
    assert "Maria" not in " ".join(out)


def test_mask_operator_keeps_length_and_punctuation() -> None:
    out = TextScrubber(operator="mask").scrub(TEXTS).texts
    assert "***** *****" in out[0] and "***-***-****" in out[0]


def test_fake_operator_is_consistent_across_texts_and_known_values() -> None:
    scrubber = TextScrubber(operator="fake", replacer=ConsistentReplacer(seed=4))
    known = [{"Maria Lopez": "PERSON"}, {}]
    out = scrubber.scrub(TEXTS, known).texts
    assert "Maria" not in " ".join(out) and "415-555-0134" not in out[0]
    fake_name = re.match(r"(\w+ \w+) called", out[0]).group(1)
    assert fake_name in out[1]


def test_drop_sentence_operator_removes_only_sentences_with_pii() -> None:
    result = TextScrubber(operator="drop_sentence").scrub(TEXTS)
    assert result.texts == ["She wants a refund.", "Refund approved."]
    assert result.sentences_dropped == 2


def test_redact_operator_removes_the_value() -> None:
    out = TextScrubber(operator="redact").scrub(TEXTS).texts
    assert out[0] == " called from . She wants a refund."


def test_scrub_operators_run_on_presidio_anonymizer() -> None:
    """The anonymizer engine applies every operator; privsynth's own are registered in it."""
    scrubber = TextScrubber(operator="fake", replacer=ConsistentReplacer(seed=4))
    names = set(scrubber.engine.operators_factory.get_anonymizers())
    assert {"replace", "redact", "custom", ConsistentFake.NAME, DropSentence.NAME} <= names
