import pandas as pd

from privsynth.pii.fakes import IdentifierFaker, identifier_kind
from privsynth.pii.scrub import TextScrubber


def test_personas_never_equal_a_forbidden_value() -> None:
    first = IdentifierFaker(1).personas(50)
    forbidden = frozenset(p.full_name.lower() for p in first[:25])
    again = IdentifierFaker(1).personas(50, forbidden)
    assert not {p.full_name.lower() for p in again} & forbidden


def test_fake_columns_keep_format_and_are_seeded() -> None:
    real = pd.Series(["(555) 123-4567", "(555) 987-6543", None, "(555) 000-1111"])
    faker = IdentifierFaker(3)
    personas = faker.personas(20, phone_formats=real.dropna().tolist())
    values = faker.column("phone", "PHONE_NUMBER", real, personas)
    assert all(v is None or (len(v) == 14 and v[0] == "(" and v[9] == "-") for v in values)
    assert not set(values) & set(real.dropna())
    other = IdentifierFaker(3)
    assert (
        other.column(
            "phone", "PHONE_NUMBER", real, other.personas(20, phone_formats=real.dropna().tolist())
        )
        == values
    )


def test_column_name_decides_kind_before_presidio() -> None:
    assert identifier_kind("street_address", "PERSON") == "address"
    assert identifier_kind("E-mail", None) == "email"
    assert identifier_kind("member_ref", "US_SSN") == "ssn"
    assert identifier_kind("ref", None) == "code"


def test_scrubber_removes_known_values_and_detected_entities() -> None:
    texts = [
        "Zebediah Quuxworth called; email zq@quux-example.com or call 212-555-0187.",
        "Chat with Zebediah about the bill, his card is 4111 1111 1111 1111.",
    ]
    known = [{"Zebediah Quuxworth": "PERSON"}, {"Zebediah Quuxworth": "PERSON"}]
    result = TextScrubber().scrub(texts, known)
    joined = " ".join(result.texts)
    for secret in ("Zebediah", "Quuxworth", "zq@quux-example.com", "212-555-0187", "4111"):
        assert secret not in joined
    assert "<PERSON>" in result.texts[0] and "<EMAIL_ADDRESS>" in result.texts[0]
    assert "zebediah quuxworth" in {v.lower() for v in result.found_values}
    # A lone first name is scrubbed but is not treated as an identifier by itself.
    assert "Zebediah" not in result.found_values
    assert result.phones == ("212-555-0187",)  # in memory, for the fake phones' shapes


def test_fakes_keep_the_format_s_constants_and_the_shared_email_domains() -> None:
    import numpy as np

    from privsynth.pii.fakes import domain_shares

    rng = np.random.default_rng(0)
    accounts = pd.Series([f"AC-{rng.integers(10**7, 10**8)}" for _ in range(200)])
    phones = [f"(555) {rng.integers(200, 999)}-{rng.integers(1000, 9999)}" for _ in range(200)]
    emails = [f"user{i}@example.org" for i in range(150)] + [f"u{i}@own-{i}.net" for i in range(50)]
    faker = IdentifierFaker(4)
    personas = faker.personas(300, phone_formats=phones, domains=domain_shares(emails))
    codes = faker.column("account_number", None, accounts, personas)
    assert all(c.startswith("AC-") and len(c) == 11 for c in codes)  # "AC-" is the format
    assert len({c[3:] for c in codes}) > 290 and not set(codes) & set(accounts)
    assert all(p.phone.startswith("(555) ") for p in personas)
    at_example = sum(p.email.endswith("@example.org") for p in personas) / len(personas)
    assert 0.65 < at_example < 0.85  # as often as the real addresses: 75%
    assert not any("own-" in p.email for p in personas)  # a domain of one: never used


def test_a_format_seen_in_too_few_values_keeps_nothing() -> None:
    from privsynth.pii.fakes import format_constants

    few = ["AC-1234", "AC-9876", "AC-5555"]  # three values: the letters could be anyone's
    assert format_constants(few) == {}
    same = [f"T1{i:05d}" for i in range(40)]
    assert format_constants(same) == {7: {0: "T", 1: "1", 2: "0", 3: "0", 4: "0"}}


def test_personas_take_the_phone_shapes_of_the_texts_when_no_column_holds_phones() -> None:
    import numpy as np

    from privsynth.config import default_config
    from privsynth.metadata import TableMetadata
    from privsynth.pii.identifiers import identifiers_stage
    from privsynth.schema import infer_schema

    rng = np.random.default_rng(2)
    table = pd.DataFrame({"name": [f"Person {i}" for i in range(50)]})
    meta = TableMetadata.build(infer_schema(table), {"name": "identifier"}, {"name": "PERSON"},
                               default_config())
    phones = [f"(555) {rng.integers(200, 999)}-{rng.integers(1000, 9999)}" for _ in range(60)]
    with_text = identifiers_stage(table, meta, 40, frozenset(), 1, True, phones)
    assert all(p.phone.startswith("(555) ") and len(p.phone) == 14
               for p in with_text.personas)
    plain = identifiers_stage(table, meta, 40, frozenset(), 1, True)
    assert not all(p.phone.startswith("(555) ") for p in plain.personas)
