"""A row's own category values in its text stand as placeholders in what is learned from
the texts, and are filled with the synthetic row's value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privsynth.text.record_values import mentioned_columns

PRODUCTS = ["router", "smart thermostat", "fibre line", "printer"]
PROBLEMS = ["stopped working", "keeps disconnecting", "shows an error code"]


def _tickets(n: int = 120, seed: int = 0) -> tuple[list[str], pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"product": rng.choice(PRODUCTS, n),
                         "priority": rng.choice(["low", "high"], n),
                         "days": rng.integers(1, 9, n)})
    texts = [f"The customer says the {p} {rng.choice(PROBLEMS)}." for p in rows["product"]]
    return texts, rows


def test_a_column_the_texts_mention_becomes_a_placeholder_and_back() -> None:
    texts, rows = _tickets()
    values = mentioned_columns(texts, rows, ["product", "priority", "days"])
    assert values.tags == {"product": "PRODUCT"}  # priority is never written; days a number
    row = {"product": "smart thermostat", "priority": "low"}
    masked = values.mask("The Smart Thermostat and the thermostat stopped.", row)
    assert masked == "The <PRODUCT> and the thermostat stopped."  # whole value, any case
    assert values.fill("My <PRODUCT> broke.", {"product": "printer"}) == "My printer broke."
    assert values.fill("My <PRODUCT> broke.", {"product": None}) == "My broke."


def test_values_inside_other_words_or_placeholders_are_left_alone() -> None:
    texts, rows = _tickets()
    values = mentioned_columns(texts, rows, ["product"])
    assert values.mask("Routers and <PERSON> router.", {"product": "router"}) == \
        "Routers and <PERSON> <PRODUCT>."


def test_a_placeholder_tag_never_takes_a_pii_entity_name() -> None:
    texts = [f"asked {p} today" for p in ["Paris", "Rome", "Oslo"] * 20]
    rows = pd.DataFrame({"location": ["Paris", "Rome", "Oslo"] * 20})
    assert mentioned_columns(texts, rows, ["location"]).tags == {"location": "LOCATION_VALUE"}


def test_the_ticket_exemplars_keep_the_product_sentence_instead_of_masking_it() -> None:
    from privsynth.config import load_config
    from privsynth.text.synth import TextSynthesizer
    from tests.fakes import ScriptedGenerator

    texts, rows = _tickets(300, seed=3)
    synth = TextSynthesizer("note", ScriptedGenerator(), load_config().text, seed=1)
    synth.fit(texts, rows)
    shown = [e for g in synth.groups_.values() for _, e in g.exemplars]
    assert shown and all("XXXX" not in e for e in shown)
    assert any("<PRODUCT>" in e for e in shown)
    assert synth.describe()["record_value_placeholders"] == {"product": "PRODUCT"}


def test_the_model_s_placeholder_becomes_the_synthetic_row_s_own_value() -> None:
    from privsynth.config import load_config
    from privsynth.pii.fakes import IdentifierFaker
    from privsynth.text.synth import TextSynthesizer
    from tests.fakes import ScriptedGenerator

    texts, rows = _tickets(300, seed=3)
    model = ScriptedGenerator(" The customer says their <PRODUCT> is fine again now.")
    synth = TextSynthesizer("note", model, load_config().text, seed=1).fit(texts, rows)
    faker = IdentifierFaker(5)
    new = rows.head(4).assign(product=["printer", "router", "fibre line", "printer"])
    out, _ = synth.generate(new, faker.personas(4), faker)
    assert out == [f"The customer says their {p} is fine again now." for p in new["product"]]


def test_an_id_the_model_writes_is_the_row_s_own_account_number_fake() -> None:
    from privsynth.config import load_config
    from privsynth.pii.fakes import IdentifierFaker
    from privsynth.text.synth import TextSynthesizer
    from tests.fakes import ScriptedGenerator

    texts, rows = _tickets(300, seed=3)
    model = ScriptedGenerator(" The customer says their account <ID> is on file.")
    synth = TextSynthesizer("note", model, load_config().text, seed=1,
                            id_column="account_number").fit(texts, rows)
    faker = IdentifierFaker(5)
    new = rows.head(3).assign(account_number=["AC-11112222", "AC-33334444", None])
    out, _ = synth.generate(new, faker.personas(3), faker)
    assert out[0] == "The customer says their account AC-11112222 is on file."
    assert out[1] == "The customer says their account AC-33334444 is on file."
    assert "<ID>" not in out[2] and "ID" not in out[2].split()  # no fake: a free one


def test_texts_that_name_a_level_whatever_their_row_are_not_about_their_row() -> None:
    texts, rows = _tickets(300, seed=3)
    shuffled = rows.sample(frac=1, random_state=1).reset_index(drop=True)  # texts unrelated
    assert mentioned_columns(texts, shuffled, ["product"]).tags == {}
