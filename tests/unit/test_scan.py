import numpy as np
import pandas as pd
import pytest
from faker import Faker

from privsynth.config import load_config
from privsynth.errors import ConfigError
from privsynth.pii.scan import PiiScanner, name_tokens, shape_of


def known_roles_table(n: int = 120) -> pd.DataFrame:
    fake = Faker("en_US")
    fake.seed_instance(5)
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "Full Name": [fake.name() for _ in range(n)],
            "E-mail Address": [fake.email() for _ in range(n)],
            "Tel.": [fake.numerify("(###) ###-####") for _ in range(n)],
            "SSN#": [fake.ssn() for _ in range(n)],
            "account_no": [fake.bothify("AC-########") for _ in range(n)],
            "zip code": [fake.zipcode() for _ in range(n)],
            "Gender": rng.choice(["F", "M"], n),
            "âge": rng.integers(18, 90, n),
            "diagnosis": rng.choice(["flu", "asthma", "diabetes"], n),
            "plan": rng.choice(["basic", "premium"], n),
            "empty": [None] * n,
            "comment text": [
                f"{fake.name()} wrote that the {w} service was slow again today, "
                f"please call back soon"
                for w in rng.choice(["web", "phone"], n)
            ],
        }
    )


@pytest.fixture(scope="module")
def scanned():
    return PiiScanner(load_config().scan).scan(known_roles_table())


@pytest.mark.parametrize(
    "column, role",
    [
        ("Full Name", "identifier"),
        ("E-mail Address", "identifier"),
        ("Tel.", "identifier"),
        ("SSN#", "identifier"),
        ("account_no", "identifier"),
        ("zip code", "quasi_identifier"),
        ("Gender", "quasi_identifier"),
        ("diagnosis", "sensitive"),
        ("plan", "attribute"),
        ("comment text", "text"),
        ("empty", "attribute"),
    ],
)
def test_awkward_column_names_get_the_right_role(scanned, column: str, role: str) -> None:
    assert scanned.role_of(column) == role


def test_entities_are_counted_with_scores(scanned) -> None:
    email = next(c for c in scanned.columns if c.name == "E-mail Address")
    top = {e.type: e for e in email.entities}
    assert top["EMAIL_ADDRESS"].count >= 100 and top["EMAIL_ADDRESS"].mean_score > 0.9


def test_empty_column_is_reported_as_skipped(scanned) -> None:
    empty = next(c for c in scanned.columns if c.name == "empty")
    assert any("skipped" in e for e in empty.evidence)


def test_scan_output_contains_no_raw_values(scanned) -> None:
    table = known_roles_table()
    dumped = repr(scanned.columns)
    for col in ("Full Name", "E-mail Address", "SSN#"):
        for value in table[col].head(50):
            assert value not in dumped


def test_role_override_and_unknown_override() -> None:
    df = known_roles_table(40)
    cfg = load_config(scan__roles={"plan": "sensitive"})
    assert PiiScanner(cfg.scan).scan(df).role_of("plan") == "sensitive"
    bad = load_config(scan__roles={"nope": "sensitive"})
    with pytest.raises(ConfigError, match="unknown column"):
        PiiScanner(bad.scan).scan(df)


def test_helpers() -> None:
    assert name_tokens("E-mail Address") == ["e", "mail", "address"]
    assert name_tokens("customerEmail") == ["customer", "email"]
    assert shape_of("Ann Lee-9") == "Xxx Xxx-9"


def test_awkward_columns_do_not_crash_and_say_what_was_skipped() -> None:
    n = 60
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "member": rng.choice(np.arange(10_000_000, 99_999_999), n, replace=False),
            "k": rng.choice(np.arange(10_000_000, 99_999_999), n, replace=False),
            "mixed": [str(i) if i % 2 else f"code {i}" for i in range(n)],
            "essay": ["lorem ipsum dolor sit amet " * 200 + str(i) for i in range(n)],
            "nothing": [None] * n,
            "blank": [""] * n,
            "count": rng.integers(0, 5, n),
        }
    )
    result = PiiScanner(load_config().scan).scan(df)
    evidence = {c.name: " ".join(c.evidence) for c in result.columns}
    # The column's name is context: eight digits in "member" are account numbers.
    assert result.role_of("member") == "identifier"
    assert "identifying entities cover" in evidence["member"]
    assert result.role_of("k") == "identifier"
    assert "near-unique integer code" in evidence["k"]
    assert "mixed value types" in evidence["mixed"]
    assert "scanned in part" in evidence["essay"]
    assert "skipped" in evidence["nothing"]
    assert result.role_of("count") == "attribute"


def test_a_bad_scrub_operator_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="scrub_operator"):
        load_config(text__scrub_operator="shred")


def test_the_dominant_entity_is_the_one_covering_the_value(scanned) -> None:
    # Emails also contain a URL-like domain; the email covers the whole value.
    assert scanned.entity_of("E-mail Address") == "EMAIL_ADDRESS"
    assert scanned.entity_of("Tel.") == "PHONE_NUMBER"
    assert scanned.entity_of("SSN#") == "US_SSN"
    assert scanned.entity_of("Full Name") == "PERSON"


# ---- roles that must not depend on the table's size ----------------------------------


class FindsNothing:
    """A detector that finds no entity: the rules on names and values alone decide."""

    entities: list[str] = []

    def detect(self, texts, context=(), entities=None):
        return [[] for _ in texts]


def _roles(df: pd.DataFrame, detector=None, **overrides) -> dict:
    scan = PiiScanner(load_config(**overrides).scan, 0, detector).scan(df)
    return {c.name: c for c in scan.columns}


def test_a_name_only_identifier_yields_to_a_short_vocabulary_of_values() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"telephone": rng.choice(["yes", "none"], 440),
                       "tenure": rng.integers(1, 72, 440)})
    col = _roles(df)["telephone"]
    assert col.role != "identifier"
    evidence = " ".join(col.evidence)
    assert "name suggests a direct identifier (telephone)" in evidence
    assert "values do not (2 distinct values" in evidence


def test_an_explicit_role_still_wins_over_the_values() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"telephone": rng.choice(["yes", "none"], 440),
                       "tenure": rng.integers(1, 72, 440)})
    col = _roles(df, scan__roles={"telephone": "identifier"})["telephone"]
    assert col.role == "identifier"
    assert "role set in config" in " ".join(col.evidence)


def test_a_phone_column_with_real_numbers_stays_an_identifier() -> None:
    fake = Faker("en_US")
    fake.seed_instance(2)
    df = pd.DataFrame({"telephone": [fake.numerify("(###) ###-####") for _ in range(300)]})
    assert _roles(df)["telephone"].role == "identifier"


def _measure_and_code(n: int) -> pd.DataFrame:
    """A census-like sampling weight (5-7 digits, skewed, tied to another column) and a
    fixed-width 8-digit account number, neither named like what it is."""
    rng = np.random.default_rng(11)
    age = rng.integers(17, 90, n)
    weight = np.round(np.exp(rng.normal(12.0, 0.6, n)) + 300 * age).astype(int)
    return pd.DataFrame({
        "age": age,
        "fnlwgt": np.clip(weight, 10_000, 2_500_000),
        "ref": rng.integers(10_000_000, 100_000_000, n),
    })


@pytest.mark.parametrize("n", [1_000, 50_000])
def test_a_numeric_measure_and_a_code_keep_their_roles_at_every_size(n: int) -> None:
    cols = _roles(_measure_and_code(n))
    assert cols["fnlwgt"].role == "attribute", cols["fnlwgt"].evidence
    assert cols["ref"].role == "identifier", cols["ref"].evidence
    # With entity detection out of the way, uniqueness and width alone decide.
    cols = _roles(_measure_and_code(n), FindsNothing())
    assert cols["fnlwgt"].role == "attribute", cols["fnlwgt"].evidence
    assert cols["ref"].role == "identifier", cols["ref"].evidence
    assert "fixed width" in " ".join(cols["ref"].evidence)


def test_a_column_of_bare_surnames_is_an_identifier_whatever_its_name() -> None:
    fake = Faker("en_US")
    fake.seed_instance(4)
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"MothersMaidenName": [fake.last_name() for _ in range(500)],
                       "plan": rng.choice(["basic", "premium", "family"], 500)})
    assert name_tokens("MothersMaidenName") == ["mothers", "maiden", "name"]
    assert _roles(df)["MothersMaidenName"].role == "identifier"
    # Where the detector finds no person in bare surnames and the name says nothing, the
    # values still decide.
    cols = _roles(df.rename(columns={"MothersMaidenName": "col_a"}), FindsNothing())
    assert cols["col_a"].role == "identifier"
    assert "mostly given names or surnames" in " ".join(cols["col_a"].evidence)
    assert cols["plan"].role != "identifier"


def test_surnames_of_any_language_stored_without_accents_are_an_identifier() -> None:
    # A mother's maiden name in Czech, French and Portuguese, as a database keeps it in ASCII.
    from privsynth.pii.recognizers.names import fold

    names = []
    for locale, seed in (("cs_CZ", 1), ("fr_FR", 2), ("pt_PT", 3)):
        fake = Faker(locale)
        fake.seed_instance(seed)
        names += [fold(fake.last_name()) for _ in range(200)]
    assert any(n != fold(n) or "a" in n for n in names)  # the fold ran over real surnames
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"MothersMaiden": names, "ref": names,
                       "plan": rng.choice(["basic", "premium", "family"], len(names))})
    cols = _roles(df, FindsNothing())
    # By its name ...
    assert cols["MothersMaiden"].role == "identifier"
    assert "maiden" in " ".join(cols["MothersMaiden"].evidence)
    # ... and, under a name that says nothing, by its values.
    assert cols["ref"].role == "identifier", cols["ref"].evidence
    assert "surnames" in " ".join(cols["ref"].evidence)
    assert cols["plan"].role != "identifier"
    assert fold("Dvořák") == "Dvorak" and fold("Gonçalves") == "Goncalves"
