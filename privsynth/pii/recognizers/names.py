"""Person names from a lexicon of given names and surnames.

The lexicon is the Latin-script name lists that ship inside the installed Faker package (drawn
from public name-frequency lists), across all its locales. A pair "Given Surname" is a
name on its own; a lone given name or surname needs a context word (in the text, or the
column's name) before it counts.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import regex as re

from privsynth.pii.recognizers.context import span_results

if TYPE_CHECKING:
    from presidio_analyzer import RecognizerResult

# Capitalised words that are also names but far more often something else in prose.
COMMON_WORDS = frozenset(
    """
    a an and april august art bill black brown by chase christian dawn day dear do faith for
    general grant gray green guy hall hill hope i in is it its joy june king lane long major
    mark march may miles my no north of on or page park price rich rose said santa south star
    street summer the to university van von west white will winter young you your we our
    he she they this that with at from as be not but all new see mr mrs ms dr sir madam
    """.split()
)

PAIR_SCORE = 0.7
HALF_KNOWN_PAIR_SCORE = 0.5
SINGLE_SCORE = 0.25  # below the scan threshold until a context word lifts it
SINGLE_GIVEN_SCORE = 0.4  # a capitalised given name inside a sentence
LOWER_PAIR_SCORE = 0.45  # "maria lopez": both parts known names
INTRO_SCORE = 0.6  # "my name is ...", "Dear ..."
TITLE_SCORE = 0.6
CONTEXT = [
    "name",
    "first",
    "last",
    "surname",
    "given",
    "family",
    "full",
    "customer",
    "patient",
    "client",
    "contact",
    "employee",
    "person",
    "dear",
    "hi",
    "hello",
    "mr",
    "mrs",
    "ms",
    "dr",
]

_WORD = r"\p{Lu}\p{Ll}+(?:-\p{Lu}?\p{Ll}+|'\p{Lu}\p{Ll}+)?"
_PARTICLE = r"(?:(?:van|von|de|del|della|der|den|da|di|du|le|la|bin|al|ten|ter)[ \t]+){0,2}"
_SEQUENCE = re.compile(
    rf"(?<![\w@.])(?:{_WORD}|[A-Z]\.)"
    rf"(?:[ \t]+(?:\p{{Lu}}\.?[ \t]+)?{_PARTICLE}(?:{_WORD}))*(?![\w@])"
)
_LOWER_PAIR = re.compile(r"(?<![\w@.])(\p{Ll}{2,})[ \t]+(\p{Ll}{2,})(?![\w@])")
_INTRO = re.compile(
    r"(?i:\b(?:(?:(?:my|your|his|her|their) )?(?:first |last |full |sur|given |family )?name"
    r"(?: is|:|\?)|call me|this is|dear|hi|hello|thanks|thank you),?)\s+"
    rf"({_WORD}(?:[ \t]+{_WORD}){{0,2}})"
)
_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+({_WORD}(?:\s+{_WORD})?)")


def _latin(name: str) -> bool:
    letters = name.replace("-", "").replace("'", "")
    return len(letters) >= 2 and all(c.isalpha() and ord(c) < 0x250 for c in letters)


def _names(attrs: tuple[str, ...]) -> set[str]:
    """Latin-script names from every locale's person provider (romanised lists included)."""
    import importlib
    import pkgutil

    import faker.providers.person as person

    out: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        module = importlib.import_module(f"{person.__name__}.{module_info.name}")
        for attr in attrs:
            values: Any = getattr(module.Provider, attr, ())
            try:
                names = [str(v).strip() for v in values]
            except TypeError:  # a property on some providers
                continue
            out.update(n.lower() for n in names if _latin(n))
    return out


@functools.lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lowercased, without the common words above."""
    given = _names(
        ("first_names", "first_names_male", "first_names_female", "first_romanized_names")
    )
    surnames = _names(("last_names", "last_romanized_names"))
    # Names are often stored without their accents ("Novakova", "Goncalves"): both spellings.
    given |= {fold(n) for n in given}
    surnames |= {fold(n) for n in surnames}
    common = COMMON_WORDS | _stop_words() | STREET_WORDS
    return frozenset(given - common), frozenset(surnames - common)


def fold(word: str) -> str:
    """The word without its accents: 'Dvořák' -> 'Dvorak', 'Gonçalves' -> 'Goncalves'."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


# A "name" ending in one of these is a street: "Glyn St", "Crown Street".
STREET_WORDS = frozenset(
    "st street ave avenue rd road lane ln drive dr blvd boulevard way court ct place pl square "
    "sq close crescent terrace park parks gardens hill row walk grove inc ltd llc corp co gmbh "
    "orchestra band group university college hospital bank".split()
)


UNKNOWN_PAIR_SCORE = 0.4  # two proper nouns, neither in the lexicon: "Tomomi Nishiyama"


def find_names(text: str, proper: set[int] | None = None) -> list[tuple[int, int, float]]:
    """(start, end, score) of each likely person name in ``text``.

    ``proper`` holds the start offsets of tokens that spaCy tagged as proper nouns; with it,
    a known name at the start of a sentence counts, and so do two unknown proper nouns."""
    proper = proper or set()
    given, surnames = lexicon()
    out: list[tuple[int, int, float]] = []
    for m in _TITLE.finditer(text):
        out.append((m.start(), m.end(1), TITLE_SCORE))
    for m in _INTRO.finditer(text):
        out.append((m.start(1), m.end(1), INTRO_SCORE))
    for m in _LOWER_PAIR.finditer(text):
        a, b = m.group(1), m.group(2)
        if a in given and b in surnames and not {a, b} & (COMMON_WORDS | _stop_words()):
            out.append((m.start(), m.end(), LOWER_PAIR_SCORE))
    for m in _SEQUENCE.finditer(text):
        words = m.group(0).split()
        start = m.start()
        # Drop leading words that are not part of the name ("Call Anna Smith", "The Smiths").
        while len(words) > 1 and not _could_start_name(words[0], start, given, proper):
            start = text.index(words[1], start + len(words[0]))
            words = words[1:]
        if len(words) > 4:
            continue
        first, last = words[0].lower(), words[-1].lower()
        if last.rstrip(".") in STREET_WORDS:
            continue
        if len(words) >= 2 and (first in given or _initial(words[0])):
            if last in surnames or last in given:
                out.append((start, m.end(), PAIR_SCORE))
            elif last not in COMMON_WORDS:
                out.append((start, m.end(), HALF_KNOWN_PAIR_SCORE))
        elif (
            len(words) == 2
            and start in proper
            and (m.end() - len(words[-1])) in proper
            and not {first, last} & COMMON_WORDS
        ):
            out.append((start, m.end(), UNKNOWN_PAIR_SCORE))
        elif len(words) == 1 and (first in given or first in surnames):
            inside = start > 0 and not re.search(r"(?:^|[.!?:\n]\s*)$", text[:start])
            known_given = first in given and (inside or start in proper)
            score = SINGLE_GIVEN_SCORE if known_given else SINGLE_SCORE
            out.append((start, m.end(), score))
    return out


def _could_start_name(word: str, start: int, given: frozenset[str], proper: set[int]) -> bool:
    low = word.lower()
    if low in COMMON_WORDS or low in _stop_words():
        return False
    return low in given or _initial(word) or start in proper


def _proper_starts(nlp_artifacts: Any) -> set[int]:
    tokens = getattr(nlp_artifacts, "tokens", None)
    if tokens is None:
        return set()
    return {t.idx for t in tokens if t.pos_ == "PROPN"}


def _initial(word: str) -> bool:
    return len(word) == 2 and word[1] == "." and word[0].isupper()


def name_recognizer() -> Any:
    from presidio_analyzer import EntityRecognizer

    class NameLexiconRecognizer(EntityRecognizer):
        def load(self) -> None:
            lexicon()

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: Any = None
        ) -> list[RecognizerResult]:
            if "PERSON" not in entities:
                return []
            spans = find_names(text, _proper_starts(nlp_artifacts))
            return span_results(
                spans, "PERSON", "privsynth_name_lexicon", self.id, "given name and surname lexicon"
            )

    return NameLexiconRecognizer(
        supported_entities=["PERSON"],
        name="privsynth_name_lexicon",
        supported_language="en",
        context=CONTEXT,
    )
