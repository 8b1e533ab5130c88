"""The words privsynth's config, stages and report share: a leaf that imports nothing of ours.

Enums are ``StrEnum``s, so a member equals its string ("identifier") in comparisons, JSON and
the report, and the bare strings of older reports still read the same."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a column's values are, inferred from them."""

    INTEGER = "integer"
    FLOAT = "float"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    TEXT = "text"
    EMPTY = "empty"


NUMERIC_KINDS = (Kind.INTEGER, Kind.FLOAT, Kind.DATETIME)


class Role(StrEnum):
    """What a column is to privacy, from the scan or ``[scan.roles]``."""

    IDENTIFIER = "identifier"
    QUASI = "quasi_identifier"
    SENSITIVE = "sensitive"
    ATTRIBUTE = "attribute"
    TEXT = "text"


class Status(StrEnum):
    """A check's outcome as the gate reads it."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class Goal(StrEnum):
    """How a check's value is compared with its threshold."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class Category(StrEnum):
    PRIVACY = "privacy"
    FIDELITY = "fidelity"


ROLES = tuple(r.value for r in Role)
POLICIES = ("default", "strict", "lenient")
PROMPTING = ("auto", "completion", "chat")
OUTPUT_FORMATS = ("auto", "csv", "parquet")
UNMODELLED_COLUMNS = ("drop", "keep", "refuse")
# How the gate judges a measurement (privsynth/checks/judge.py).
GATE_RULES = ("leak_evidence", "upper_ci", "value")
ENGINES = ("local", "dask")
# What a found value in real text becomes (text.scrub_operator); see privsynth.pii.scrub.
SCRUB_OPERATORS = ("tag", "fake", "mask", "redact", "drop_sentence")
# The structured synthesizers by name; privsynth.tabular.registry builds each of them.
SYNTHESIZERS = ("copulagan", "ctgan", "dp-aim", "dp-mst", "gaussian_copula", "tvae")
