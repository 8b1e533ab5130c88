"""Postal addresses: the street line, and the lines or comma-separated parts that follow it.

Addresses in exports and letters are blocks: a street line ("28030 Edeby 55", "Apt. 297"),
then a town, a region, a country and a postal code on the next lines or after commas. A
street line is found by pattern; the short lines after it are taken as part of the same
address until a blank line, a line with an '@' or a ':', or four lines.
"""

from __future__ import annotations

from typing import Any

import regex as re

from privsynth.pii.recognizers.context import span_results

STREET_SUFFIX = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
    r"|Square|Sq|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Crescent|Close|Row"
    r"|Gardens|Park|Walk|Grove|Mews|Alley|Plaza|Loop|Pike|Ridge|Junction"
)
EU_SUFFIX = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gade|vej|gatan|vägen|katu|tie"
    r"|utca|ulica|polku|kuja|väylä|gränd|veien|vegen|stræde|tér|u\."
)
EU_PREFIX = (
    r"Rue|Avenue|Av\.|Bd|Via|Viale|Calle|Avenida|Rua|Praça|Plaza|Piazza|Corso|Carrer|Chemin"
    r"|Place|Strada|Ulica|ul\.|Paseo|Camino|Travessa|Largo|Quai|Allée|Impasse"
)
_CAP = r"\p{Lu}[\p{L}'.-]*"
_WORDS = r"\p{L}[\p{L}'.-]*"

STREET = re.compile(
    "|".join(
        [
            # 24 Clarke Avenue, 2450 Crown St
            rf"\b\d{{1,6}}[A-Z]?[ \t]+(?:{_CAP}[ \t]+){{0,4}}(?:{STREET_SUFFIX})\b\.?",
            # Friedhofstrasse 33, Puruntie 82, hersnapvej 18
            rf"(?i:\b\p{{L}}[\p{{L}}'-]*(?:{EU_SUFFIX}))[ \t]+\d{{1,5}}[a-z]?\b\.?",
            # Rue de Virton 38, Via Roma 131, Rua do Arenque 1634
            rf"\b(?:{EU_PREFIX})[ \t]+(?:(?:de|des|du|la|le|del|della|di|dos|das|do|da)[ \t]+)*"
            rf"{_CAP}(?:[ \t]+{_CAP}){{0,3}},?[ \t]+\d{{1,5}}\b",
            # Apt. 864, Suite 510
            r"\b(?:Apt\.?|Apartment|Suite|Ste\.|Unit|Flat)[ \t]*#?\d{1,5}[A-Z]?\b",
            # PSC 3294, Box 9168 / APO AA 61487
            r"\b(?:PSC|CMR)[ \t]\d{3,5},?[ \t]Box[ \t]\d{3,5}\b|\b[AFD]PO[ \t]A[AEP][ \t]\d{5}\b",
            # 28030 Edeby 55, 10252 Μεγάλη Άμμος 184: building number, words, house number
            rf"\b\d{{2,6}}[ \t]+{_WORDS}(?:[ \t]+{_WORDS}){{0,3}}[ \t]+\d{{1,5}}\b\.?",
        ]
    )
)
# After a street on the same line: ", Goiânia", ", SEINÄJOKI", ", Spain 16200".
_TAIL = re.compile(r"(?:,[ \t]*[^\n,.;:!?@()\"]{2,40}){1,3}")
_LINE_MAX = 45
# "flew to LEPPEN", "grew up in SUND", "originally from Poznań"
_PLACE_AFTER = re.compile(
    r"(?i:\b(?:flew|flying|moved|moving|travel(?:l?ed)?|relocat(?:ed|ing)|grew up|born|"
    r"originally|lives?|living|located|based|stationed|visit(?:ed|ing)?)[ \t]+(?:to|in|from|at)?"
    r"[ \t]*)(\p{Lu}[\p{L}'-]+(?:[ \t]+\p{Lu}[\p{L}'-]+){0,2})"
)

BLOCK_SCORE = 0.6
PLACE_SCORE = 0.5


def find_addresses(text: str) -> list[tuple[int, int, float]]:
    out: list[tuple[int, int, float]] = []
    lines = _lines(text)
    for m in STREET.finditer(text):
        end = m.end()
        tail = _TAIL.match(text, end)
        if tail:
            end = tail.end()
        out.append((m.start(), end, BLOCK_SCORE))
        # The lines after the street line, while they look like address lines.
        index = next(i for i, (s, e) in enumerate(lines) if s <= m.start() <= e)
        for start, stop in lines[index + 1 : index + 5]:
            chunk = text[start:stop].strip(" \t>,")
            if not chunk or len(chunk) > _LINE_MAX or re.search(r"[@:]|https?", chunk):
                break
            offset = text.index(chunk, start)
            out.append((offset, offset + len(chunk), BLOCK_SCORE))
    for m in _PLACE_AFTER.finditer(text):
        out.append((m.start(1), m.end(1), PLACE_SCORE))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def address_recognizer() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class AddressRecognizer(EntityRecognizer):
        def load(self) -> None:
            return None

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: Any = None
        ) -> list[RecognizerResult]:
            if "LOCATION" not in entities:
                return []
            spans = find_addresses(text)
            return span_results(
                spans,
                "LOCATION",
                "privsynth_address",
                self.id,
                "street line and the address lines after it",
            )

    return AddressRecognizer(
        supported_entities=["LOCATION"],
        name="privsynth_address",
        supported_language="en",
        context=["address", "live", "lives", "street", "located", "ship", "deliver"],
    )
