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
