"""The exact-match pass that keeps every known real identifier out of generated text."""

from __future__ import annotations

from privsynth.metrics.identifiers import identifier_values
from privsynth.text.known_ids import Fakes, KnownIdentifiers, shape

REAL = identifier_values([
    "Anna Kowalski", "anna.k@example.org", "(555) 010-2233", "ACC-0093311", "Kowalski", "Bob",
])
FAKES = Fakes("Maria Lopez", "Lopez", "m.lopez@example.net", "(555) 999-0000", seed=3)


def test_every_known_value_is_replaced_by_the_rows_fake_of_its_shape() -> None:
    known = KnownIdentifiers(REAL)
    text = ("Anna Kowalski wrote from ANNA.K@EXAMPLE.ORG and (555) 010-2233 about "
            "account ACC-0093311; Kowalski was upset.")
    out, hits = known.replace(text, FAKES)
    assert hits == 5
    for value in REAL:
        assert value not in out.lower()
    assert out.startswith("Maria Lopez wrote from m.lopez@example.net and (555) 999-0000")
    assert "Lopez was upset" in out
    code = out.split("account ")[1].split(";")[0]
    assert len(code) == len("ACC-0093311") and code[3] == "-" and code != "ACC-0093311"


def test_only_whole_words_match_and_the_longest_hit_wins() -> None:
    known = KnownIdentifiers(REAL)
    assert known.find("Annabel Kowalskian and Bobby") == []  # inside longer words
    hits = known.find("Anna Kowalski")
    assert [v for _, _, v in hits] == ["anna kowalski"]  # not "kowalski" alone
    assert known.find("Bob") == []  # shorter than the evidence floor


def test_category_words_are_left_alone_and_no_values_means_no_change() -> None:
    known = KnownIdentifiers(identifier_values(["Premium", "Zed Quill"]), skip={"premium"})
    assert known.find("The Premium plan") == []
    empty = KnownIdentifiers([])
    assert empty.replace("Anna Kowalski", FAKES) == ("Anna Kowalski", 0)


def test_shapes() -> None:
    assert [shape(v) for v in ("a@b.org", "(555) 010-2233", "anna kowalski", "kowalski",
                               "acc-0093311")] == ["email", "phone", "name", "word", "code"]


def test_many_values_are_searched_in_one_pass() -> None:
    values = identifier_values(f"Customer{i:06d}" for i in range(50_000))
    known = KnownIdentifiers(values)
    text = " ".join(f"word{i}" for i in range(2_000)) + " customer049999 end"
    assert [v for _, _, v in known.find(text)] == ["customer049999"]


def test_values_many_real_texts_share_are_common_terms_not_identifiers() -> None:
    from privsynth.text.scrub_stage import _common_values

    texts = ([f"Complaint {i}: the Fair Credit Reporting act was broken." for i in range(6)]
             + ["Jonathan Quillfeather called about his card.",
                "Fair Credit was mentioned once here by Quillfeathers."])
    found = {"Fair Credit Reporting", "Jonathan Quillfeather", "Quillfeather"}
    assert _common_values(found, texts, 5) == {"Fair Credit Reporting"}
    # whole words only: "Quillfeathers" is not "Quillfeather"; 4 texts are not 5
    assert _common_values(found, texts[2:], 5) == set()
