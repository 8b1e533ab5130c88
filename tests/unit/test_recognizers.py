"""privsynth's recognizers: each finds its entity, checksums reject look-alikes, context counts."""

import pytest

from privsynth.config import load_config
from privsynth.errors import ConfigError
from privsynth.pii.detect import PiiDetector
from privsynth.pii.recognizers import checksums, validate_user_recognizers
from privsynth.pii.recognizers.names import find_names


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(workers=1)


def found(detector: PiiDetector, text: str, context: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    return {
        (text[s.start : s.end], s.entity)
        for s in detector.detect([text], context)[0]
        if s.score >= 0.4
    }


def entities(detector: PiiDetector, text: str, context: tuple[str, ...] = ()) -> set[str]:
    return {e for _, e in found(detector, text, context)}


def test_checksums_accept_valid_and_reject_altered_numbers() -> None:
    assert checksums.luhn_ok("4111 1111 1111 1111") and not checksums.luhn_ok("4111111111111112")
    assert checksums.iban_ok("GB82 WEST 1234 5698 7654 32")
    assert not checksums.iban_ok("GB82 WEST 1234 5698 7654 33")
    assert checksums.bsn_ok("111222333") and not checksums.bsn_ok("111222334")
    assert checksums.dni_ok("12345678Z") and not checksums.dni_ok("12345678A")
    assert checksums.dni_ok("X1234567L")
    assert checksums.ssn_plausible("536-90-4399")
    assert not checksums.ssn_plausible("666-12-3456") and not checksums.ssn_plausible("123-00-4567")


@pytest.mark.parametrize(
    "text, value, entity",
    [
        ("She was born on 03/14/1985 in Ohio.", "03/14/1985", "DATE_OF_BIRTH"),
        ("DOB: 1985-03-14", "1985-03-14", "DATE_OF_BIRTH"),
        ("Send it to zip code 94107 please", "94107", "POSTAL_CODE"),
        ("Our office: SW1A 1AA, London", "SW1A 1AA", "POSTAL_CODE"),
        (
            "Pay to IBAN GB82 WEST 1234 5698 7654 32 today",
            "GB82 WEST 1234 5698 7654 32",
            "IBAN_CODE",
        ),
        ("my amex card 3782 822463 10005 was lost", "3782 822463 10005", "CREDIT_CARD"),
        ("Her BSN is 111222333.", "111222333", "NATIONAL_ID"),
        ("DNI 12345678Z attached", "12345678Z", "NATIONAL_ID"),
        ("national insurance AB 12 34 56 C", "AB 12 34 56 C", "NATIONAL_ID"),
        ("SSN 536-90-4399 on file", "536-90-4399", "US_SSN"),
        ("device 00:1A:2B:3C:4D:5E was blocked", "00:1A:2B:3C:4D:5E", "MAC_ADDRESS"),
        ("login from 192.168.10.4 failed", "192.168.10.4", "IP_ADDRESS"),
        ("username: jdoe_88 cannot log in", "jdoe_88", "USERNAME"),
        ("follow @jane_doe77 for news", "@jane_doe77", "USERNAME"),
        ("account no 48213377 is overdrawn", "48213377", "ACCOUNT_NUMBER"),
        ("please call me at 0494 92 82 32 tomorrow", "0494 92 82 32", "PHONE_NUMBER"),
        ("reach me on +44 20 7946 0958", "+44 20 7946 0958", "PHONE_NUMBER"),
        ("I spoke with Maria Lopez yesterday", "Maria Lopez", "PERSON"),
        ("My name is Rubija", "Rubija", "PERSON"),
        ("lives at 24 Clarke Avenue, Leeds", "24 Clarke Avenue, Leeds", "LOCATION"),
    ],
)
def test_each_recognizer_finds_its_entity(detector, text: str, value: str, entity: str) -> None:
    assert (value, entity) in found(detector, text)


@pytest.mark.parametrize(
    "text, entity",
    [
        ("my card 4111 1111 1111 1112 was lost", "CREDIT_CARD"),  # fails Luhn
        ("IBAN GB82 WEST 1234 5698 7654 33", "IBAN_CODE"),  # fails mod-97
        ("Her BSN is 111222334.", "NATIONAL_ID"),  # fails the 11-test
        ("We sold 48213377 units in 2019", "ACCOUNT_NUMBER"),  # no context word
        ("The meeting is on 2021-05-04 12:30", "PHONE_NUMBER"),  # a date, not a phone
        ("In 1999 we had 1200 visitors", "PHONE_NUMBER"),
        ("Can I withdraw cash today?", "PERSON"),
    ],
)
def test_look_alikes_are_not_flagged(detector, text: str, entity: str) -> None:
    assert entity not in entities(detector, text)


def test_a_lone_surname_needs_a_name_context(detector) -> None:
    # The column's name is the context when a scan looks at a last_name column.
    assert "PERSON" not in entities(detector, "Lopez")
    assert "PERSON" in entities(detector, "Lopez", ("last", "name"))


def test_an_address_block_covers_the_lines_after_the_street() -> None:
    from privsynth.pii.recognizers.address import find_addresses

    text = "Anna Josefsen\n28030 Edeby 55\n Apt. 297\n TYSTBERGA\n Sweden 99178\n\nThanks!"
    spans = {text[s:e] for s, e, _ in find_addresses(text)}
    assert {"28030 Edeby 55", "Apt. 297", "TYSTBERGA", "Sweden 99178"} <= spans
    assert "Thanks!" not in spans and "Anna Josefsen" not in spans


def test_names_do_not_run_into_emails_or_streets() -> None:
    text = "Mail UtaKortig@example.com or visit 1668 Glyn St; Anna Smith agreed."
    names = {text[s:e] for s, e, _ in find_names(text)}
    assert "Anna Smith" in names
    assert not any("Uta" in n or "Glyn" in n for n in names)


def test_user_recognizers_from_the_config_are_used_by_the_scan(tmp_path) -> None:
    import pandas as pd

    from privsynth.pii.scan import PiiScanner

    cfg = tmp_path / "p.toml"
    cfg.write_text(
        "[[scan.recognizers]]\n"
        'entity = "EMPLOYEE_ID"\n'
        'regex = ["\\\\bEMP-\\\\d{6}\\\\b"]\n'
        "[[scan.recognizers]]\n"
        'entity = "PROJECT"\n'
        'deny_list = ["Falcon"]\n',
        encoding="utf-8",
    )
    config = load_config(cfg)
    df = pd.DataFrame(
        {"staff": [f"EMP-{100000 + i * 7}" for i in range(30)], "team": ["a", "b", "c"] * 10}
    )
    result = PiiScanner(config.scan).scan(df)
    assert result.role_of("staff") == "identifier"
    report = next(c for c in result.columns if c.name == "staff")
    assert any("identifying entities cover" in e for e in report.evidence)
    spans = PiiDetector(config.scan.recognizers, workers=1).detect(["ship Falcon to EMP-123456"])[0]
    assert {s.entity for s in spans} >= {"EMPLOYEE_ID", "PROJECT"}


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"entity": "emp", "regex": ["x"]}, "upper-case"),
        ({"entity": "EMP", "regex": ["(unclosed"]}, "does not compile"),
        ({"entity": "EMP"}, "give 'regex' or 'deny_list'"),
        ({"entity": "EMP", "regex": ["x"], "colour": "red"}, "unknown key"),
        ({"entity": "EMP", "regex": "x"}, "list of non-empty strings"),
        ({"entity": "EMP", "regex": ["x"], "score": 2}, "'score' must be"),
    ],
)
def test_bad_user_recognizers_are_rejected(spec, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_user_recognizers([spec])


def test_detection_is_cached_and_parallel_matches_serial(monkeypatch) -> None:
    texts = [
        f"Call Anna Smith on 555-{100 + i % 800:03d}-{1000 + i:04d} about order {i}"
        for i in range(450)
    ]
    serial = PiiDetector(workers=1).detect(texts)
    parallel_detector = PiiDetector(workers=2)
    assert parallel_detector.detect(texts) == serial
    calls = []
    monkeypatch.setattr(parallel_detector, "_run", lambda *a: calls.append(a) or [])
    assert parallel_detector.detect(texts[:10]) == serial[:10]
    assert calls == []  # answered from the run's cache
