"""Column roles from Presidio results, column names, value formats and uniqueness."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from privsynth.config import ScanConfig
from privsynth.errors import ConfigError
from privsynth.pii.detect import PiiDetector
from privsynth.pii.engine import IDENTIFYING_ENTITIES
from privsynth.schema import ColumnSchema, infer_schema
from privsynth.vocab import Kind, Role

logger = logging.getLogger(__name__)


_ALWAYS_IDENT = {
    "email",
    "mail",
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "fax",
    "ssn",
    "passport",
    "iban",
    "username",
    "login",
    "address",
    "street",
    "addr",
    "fullname",
    "firstname",
    "lastname",
    "surname",
    "surnames",
    "forename",
    # A mother's maiden name is a surname and a classic account-recovery secret.
    "maiden",
    "patronymic",
    "ip",
    "mac",
}
_NAME_QUALIFIERS = {
    "first",
    "last",
    "full",
    "sur",
    "given",
    "family",
    "middle",
    "customer",
    "patient",
    "employee",
    "contact",
    "person",
    "user",
}
_NUMBER_WORDS = {"no", "nr", "num", "number", "id"}
_QUASI = {
    "age",
    "birth",
    "dob",
    "birthdate",
    "birthday",
    "born",
    "zip",
    "zipcode",
    "postal",
    "postcode",
    "gender",
    "sex",
    "race",
    "ethnicity",
    "ethnic",
    "nationality",
    "native",
    "country",
    "city",
    "county",
    "marital",
    "occupation",
    "job",
    "education",
    "region",
}
_SENSITIVE = {
    "diagnosis",
    "disease",
    "condition",
    "health",
    "medical",
    "medication",
    "income",
    "salary",
    "wage",
    "religion",
    "religious",
    "sexual",
    "orientation",
    "political",
    "criminal",
    "disability",
    "hiv",
    "pregnancy",
    "icd",
}


@dataclass(frozen=True)
class EntityCount:
    type: str
    count: int
    mean_score: float


@dataclass(frozen=True)
class ColumnReport:
    name: str
    role: Role
    kind: Kind
    entities: tuple[EntityCount, ...]
    evidence: tuple[str, ...]
    n_distinct: int
    null_share: float
    sampled: int
    # The entity that covers most of the value, most often across the sampled values.
    dominant_entity: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "kind", Kind(self.kind))


@dataclass(frozen=True)
class ScanResult:
    columns: tuple[ColumnReport, ...]
    schema: dict[str, ColumnSchema] = field(repr=False)
    seconds: float = 0.0

    def role_of(self, column: str) -> Role:
        return next(c.role for c in self.columns if c.name == column)

    def columns_with(self, *roles: str) -> list[str]:
        return [c.name for c in self.columns if c.role in roles]

    def entity_of(self, column: str) -> str | None:
        """The dominant identifying entity type of a column, if any."""
        col = next(c for c in self.columns if c.name == column)
        return col.dominant_entity


def name_tokens(name: str) -> list[str]:
    """Split a column name into lowercase words: 'E-mail Address' -> ['e', 'mail', 'address']."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if t]


def shape_of(value: str, limit: int = 24) -> str:
    """A redacted example: letters become X/x, digits 9; punctuation is kept."""
    out = []
    for ch in value[:limit]:
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            out.append("X" if ch.isupper() else "x")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(value) > limit else "")


# Long cells are cut before detection: the scan needs evidence, not the whole essay.
MAX_CELL_CHARS = 2000


class PiiScanner:
    """Assigns each column a role with the evidence behind it."""

    def __init__(self, config: ScanConfig, seed: int = 0, detector: PiiDetector | None = None):
        self.config = config
        self.seed = seed
        self.detector = detector or PiiDetector(config.recognizers, config.score_threshold)
        # User entities identify on their own, like Presidio's identifying types.
        self.identifying = IDENTIFYING_ENTITIES | {str(r["entity"]) for r in config.recognizers}

    def scan(self, df: pd.DataFrame) -> ScanResult:
        start = time.perf_counter()
        unknown = sorted(set(self.config.roles) - {str(c) for c in df.columns})
        if unknown:
            raise ConfigError(f"scan.roles names unknown column(s): {', '.join(unknown)}")
        schema = infer_schema(df)
        rng = np.random.default_rng(self.seed)
        samples: dict[str, list[str]] = {}
        for col in df.columns:
            cs = schema[str(col)]
            if cs.kind in ("categorical", "text") or _long_integers(df[col], cs):
                distinct = pd.unique(df[col].dropna().astype(str))
                if len(distinct) > self.config.sample_size:
                    idx = rng.choice(len(distinct), self.config.sample_size, replace=False)
                    distinct = distinct[np.sort(idx)]
                samples[str(col)] = [v for v in distinct.tolist() if v.strip()]
        found = self._analyze(samples)
        reports = []
        for col in df.columns:
            name = str(col)
            reports.append(
                self._classify(
                    name, df[col], schema[name], samples.get(name, []), found.get(name, [])
                )
            )
        seconds = time.perf_counter() - start
        logger.info("scanned %d columns in %.1fs", len(reports), seconds)
        return ScanResult(tuple(reports), schema, seconds)

    def _analyze(
        self, samples: dict[str, list[str]]
    ) -> dict[str, list[list[tuple[str, float, float]]]]:
        """Per column, per sampled value: (entity, score, share of the value covered)."""
        entities = [*self.detector.entities, "DATE_TIME"]
        out: dict[str, list[list[tuple[str, float, float]]]] = {}
        for name, values in samples.items():
            clipped = [v[:MAX_CELL_CHARS] for v in values]
            # The column's name is context: "Maria" in first_name is a name.
            found = self.detector.detect(clipped, context=name_tokens(name), entities=entities)
            per_value = []
            for value, spans in zip(clipped, found, strict=True):
                length = max(len(value.strip()), 1)
                per_value.append([(s.entity, s.score, (s.end - s.start) / length) for s in spans])
            out[name] = per_value
        return out

    def _classify(
        self,
        name: str,
        s: pd.Series,
        cs: ColumnSchema,
        sample: list[str],
        found: list[list[tuple[str, float, float]]],
    ) -> ColumnReport:
        evidence: list[str] = []
        entities, covering, dominant = self._tally(found)
        tokens = set(name_tokens(name))
        non_null = s.dropna()
        if sample and cs.kind != "text":
            shapes = sorted({shape_of(v) for v in sample[:3]})
            evidence.append("redacted examples: " + "; ".join(shapes))
        if sample and max(len(v) for v in sample) > MAX_CELL_CHARS:
            evidence.append(f"cells longer than {MAX_CELL_CHARS} characters scanned in part")
        if cs.kind == "categorical" and _mixed(non_null):
            evidence.append("mixed value types (numbers and text); scanned as text")

        role, why = self._role(name, s, non_null, cs, sample, entities, covering, tokens)
        evidence += why
        return ColumnReport(
            name=name,
            role=role,
            kind=cs.kind,
            entities=entities,
            evidence=tuple(evidence),
            n_distinct=cs.n_distinct,
            null_share=round(cs.null_share, 4),
            sampled=len(sample),
            dominant_entity=dominant.most_common(1)[0][0] if dominant else None,
        )

    def _role(
        self, name: str, s: pd.Series, non_null: pd.Series, cs: ColumnSchema,
        sample: list[str], entities: tuple[EntityCount, ...], covering: int, tokens: set[str],
    ) -> tuple[Role, list[str]]:
        """The column's role and the evidence for it, in the order the rules are tried."""
        why: list[str] = []
        distinct_share = cs.n_distinct / max(len(non_null), 1)
        override = self.config.roles.get(name)
        hint = _identifier_hint(tokens, distinct_share)
        role: Role
        if cs.kind == "empty":
            role = Role.ATTRIBUTE
            why.append("column is empty or all null; skipped")
        elif override:
            role = Role(override)
            why.append(f"role set in config (scan.roles.{name})")
        elif cs.kind == "text":
            role = Role.TEXT
            why.append("free text: long multi-word values, mostly distinct")
            if entities:
                why.append(
                    "entities in sampled texts: "
                    + ", ".join(f"{e.type}×{e.count}" for e in entities[:6])
                )
        elif hint and (contradiction := _values_contradict(cs, len(non_null), covering)):
            # A role from the name alone yields when the values are a short vocabulary with no
            # identifying entity in it ("yes"/"none" in a telephone column); the rules below
            # decide, and the evidence keeps both sides.
            why.append(f"{hint}; values do not ({contradiction})")
            return self._role_from_values(s, non_null, cs, sample, covering, tokens, why)
        elif hint:
            role = Role.IDENTIFIER
            why.append(hint)
        else:
            return self._role_from_values(s, non_null, cs, sample, covering, tokens, why)
        return role, why

    def _role_from_values(
        self, s: pd.Series, non_null: pd.Series, cs: ColumnSchema, sample: list[str],
        covering: int, tokens: set[str], why: list[str],
    ) -> tuple[Role, list[str]]:
        """The role when neither the config nor the column's name settles it."""
        distinct_share = cs.n_distinct / max(len(non_null), 1)
        role: Role
        names = _name_share(sample) if cs.kind == Kind.CATEGORICAL else 0.0
        shared = _shared_levels(cs, len(non_null))
        if shared and (covering or names >= NAME_VALUE_SHARE):
            # "OWNER"/"DISPONENT" read as names: a handful of values, each shared by many
            # rows, single nobody out.
            why.append(f"entities found in its values, but {shared}: a category, not an "
                       "identifier")
            covering, names = 0, 0.0
        if sample and covering / len(sample) >= self.config.match_share:
            role = Role.IDENTIFIER
            why.append(
                f"identifying entities cover {covering}/{len(sample)} sampled distinct values"
            )
        elif names >= NAME_VALUE_SHARE and cs.n_distinct >= MIN_NAME_LEVELS:
            role = Role.IDENTIFIER
            why.append(f"values are mostly given names or surnames ({names:.0%} of the sampled "
                       "distinct values)")
        elif tokens & _QUASI:
            role = Role.QUASI
            why.append(
                f"column name suggests a quasi-identifier ({', '.join(sorted(tokens & _QUASI))})"
            )
        elif (
            cs.kind == "categorical"
            and distinct_share >= self.config.unique_share
            and len(non_null) >= 20
        ):
            role = Role.IDENTIFIER
            why.append(f"near-unique string column ({distinct_share:.0%} distinct)")
        elif (
            _long_integers(s, cs)
            and distinct_share >= self.config.unique_share
            and len(non_null) >= 20
            and _fixed_width(non_null)
        ):
            role = Role.IDENTIFIER
            why.append(f"near-unique integer code ({distinct_share:.0%} distinct, 6+ digits, "
                       "fixed width)")
        elif tokens & _SENSITIVE:
            role = Role.SENSITIVE
            why.append(
                "column name suggests a sensitive attribute "
                f"({', '.join(sorted(tokens & _SENSITIVE))})"
            )
        else:
            role = Role.ATTRIBUTE
            why.append("no identifying signal")
        return role, why

    def _tally(
        self, found: list[list[tuple[str, float, float]]]
    ) -> tuple[tuple[EntityCount, ...], int, Counter[str]]:
        """Entity counts and mean scores; how many values an identifying entity covers; and
        which entity covers most of each value."""
        counts: dict[str, list[float]] = defaultdict(list)
        covering = 0
        dominant: Counter[str] = Counter()
        for per_value in found:
            hit = False
            for entity, score, cover in per_value:
                counts[entity].append(score)
                if entity in self.identifying and cover >= 0.6:
                    hit = True
            covering += hit
            # "jane@example.org" holds a URL too; the email covers the whole value.
            ranked = [f for f in per_value if f[0] not in ("DATE_TIME", "NRP")]
            if ranked:
                dominant[max(ranked, key=lambda f: (f[2], f[1]))[0]] += 1
        entities = tuple(
            EntityCount(e, len(v), round(float(np.mean(v)), 3))
            for e, v in sorted(counts.items(), key=lambda kv: -len(kv[1]))
        )
        return entities, covering, dominant


def _long_integers(s: pd.Series, cs: ColumnSchema) -> bool:
    """An integer column of 6+ digit values: account numbers, IDs, phone numbers stored as ints."""
    if cs.kind != "integer" or not pd.api.types.is_numeric_dtype(s.dtype):
        return False
    values = s.dropna()
    return bool(len(values)) and float(values.abs().median()) >= 100_000


def _mixed(values: pd.Series) -> bool:
    """Whether an object column holds both numbers and non-numeric strings."""
    head = values.head(500).astype(str).str.strip()
    numeric = head.str.fullmatch(r"-?\d+(?:\.\d+)?").mean()
    return bool(0.05 <= numeric <= 0.95)


# A name-only identifier yields to values with at most this many levels, repeated, and no
# identifying entity among them.
MAX_CONTRADICTING_LEVELS = 20
# A column is one of names when this share of its sampled distinct values are common given
# names or surnames, over at least this many levels.
NAME_VALUE_SHARE = 0.5
MIN_NAME_LEVELS = 10
# A code has one width: this share of its values have the most common number of digits.
FIXED_WIDTH_SHARE = 0.95


# A column of at most MAX_CONTRADICTING_LEVELS values, each shared by this many rows on
# average, is a category whatever its values look like.
SHARED_LEVEL_ROWS = 10


def _shared_levels(cs: ColumnSchema, n_values: int) -> str | None:
    if cs.n_distinct <= MAX_CONTRADICTING_LEVELS and n_values >= SHARED_LEVEL_ROWS * max(
            cs.n_distinct, 1) and cs.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        return f"only {cs.n_distinct} distinct values over {n_values:,} rows"
    return None


def _values_contradict(cs: ColumnSchema, n_values: int, covering: int) -> str | None:
    """Why a column's values say it is not the identifier its name suggests, if they do."""
    few = cs.n_distinct <= MAX_CONTRADICTING_LEVELS and cs.n_distinct * 2 <= n_values
    if few and covering == 0 and cs.kind in (Kind.CATEGORICAL, Kind.BOOLEAN, Kind.INTEGER):
        return (f"{cs.n_distinct} distinct value{'s' if cs.n_distinct != 1 else ''}, each "
                "repeated, and no identifying entity found in them")
    return None


def _name_share(sample: list[str]) -> float:
    """The share of sampled distinct values that are a given name or surname of the name
    recognizer's lexicon (common words excluded)."""
    from privsynth.pii.recognizers.names import lexicon

    given, surnames = lexicon()
    words = [v.strip().lower() for v in sample if v.strip()]
    if not words:
        return 0.0
    return sum(w in given or w in surnames for w in words) / len(words)


def _fixed_width(values: pd.Series) -> bool:
    """Whether integers all have (nearly) the same number of digits, as codes do; a measure
    (a weight, an amount) spreads over several widths."""
    widths = values.abs().astype("int64").astype(str).str.len()
    return bool(widths.value_counts(normalize=True).iloc[0] >= FIXED_WIDTH_SHARE)


def _identifier_hint(tokens: set[str], distinct_share: float) -> str | None:
    direct = tokens & _ALWAYS_IDENT
    if direct:
        return f"column name suggests a direct identifier ({', '.join(sorted(direct))})"
    if "name" in tokens and (tokens <= {"name"} | _NAME_QUALIFIERS):
        return "column name suggests a person's name"
    if (
        tokens
        & {
            "account",
            "acct",
            "card",
            "license",
            "licence",
            "member",
            "customer",
            "patient",
            "employee",
        }
        and tokens & _NUMBER_WORDS
    ):
        return "column name suggests an account or ID number"
    if "id" in tokens and distinct_share >= 0.5:
        return f"ID column with {distinct_share:.0%} distinct values"
    return None
