"""Typed check results and the context every check reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.schema import ColumnSchema, texts_of
from privsynth.seeds import Stream
from privsynth.vocab import Category, Goal, Status

if TYPE_CHECKING:
    from privsynth.config import Config
    from privsynth.metadata import TableMetadata

PASS, FAIL, ERROR, NOT_APPLICABLE = Status.PASS, Status.FAIL, Status.ERROR, Status.NOT_APPLICABLE


@dataclass(frozen=True)
class Measurement:
    """What a check computes, before the policy judges it."""

    value: float
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The value's bound on the safe side at a one-sided normal quantile z, for a check whose
    # leak test is its own (a score test on counts) rather than the normal extrapolation from
    # its 95% interval (checks/judge.py).
    bound: Callable[[float], float] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class CheckResult:
    name: str
    category: Category
    goal: Goal  # how value is compared with threshold
    threshold: float
    status: Status
    value: float | None
    ci: tuple[float, float] | None
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", Category(self.category))
        object.__setattr__(self, "goal", Goal(self.goal))
        object.__setattr__(self, "status", Status(self.status))

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "goal": self.goal,
            "value": None if self.value is None else round(float(self.value), 6),
            "ci": None if self.ci is None else [round(float(x), 6) for x in self.ci],
            "threshold": self.threshold,
            "passed": self.passed,
            "status": self.status,
            "explanation": self.explanation,
            "details": self.details,
        }


class NotApplicable(Exception):
    """Raised by a check that cannot run on this data; the gate treats it as not passed."""


@dataclass(frozen=True)
class TextColumn:
    """One free-text column: real texts (memory only, never written) and what was generated."""

    train: list[str] = field(repr=False)
    holdout: list[str] = field(repr=False)
    synthetic: list[str] = field(repr=False)
    fallbacks: int = 0

    @classmethod
    def of(
        cls, train: pd.Series, holdout: pd.Series, synthetic: object, fallbacks: int = 0
    ) -> TextColumn:
        """From the columns' values; missing text counts as empty text."""
        return cls(texts_of(train), texts_of(holdout), texts_of(synthetic), fallbacks)


@dataclass(frozen=True)
class CheckContext:
    """Real train and holdout rows (modelled columns only) and the synthetic output."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    synthetic: pd.DataFrame
    schema: dict[str, ColumnSchema]
    seed: int
    bootstrap: int
    # Every distinct identifier value of the input, normalised. Never written anywhere.
    identifier_values: frozenset[str] = field(default=frozenset(), repr=False)
    # Synthetic output columns, identifiers and text included, for replay search.
    output: pd.DataFrame | None = field(default=None, repr=False)
    text_columns: tuple[str, ...] = ()
    # Categories rarer than this are compared as one pooled level (they are never reproduced).
    rare_min_count: int = 0
    quasi_identifiers: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    attacks: int = 1000
    # Planted canary records (modelled columns) and their unique strings, if any.
    canaries: pd.DataFrame | None = field(default=None, repr=False)
    canary_strings: frozenset[str] = field(default=frozenset(), repr=False)
    # Target column of the ML utility check ("" = guess).
    utility_target: str = ""
    # Free-text columns by name, for the text checks.
    texts: dict[str, TextColumn] = field(default_factory=dict, repr=False)
    # Every synthetic row, when ``synthetic`` is a sample of them (checks.max_eval_rows).
    synthetic_all: pd.DataFrame | None = field(default=None, repr=False)
    # Work shared between checks (e.g. nearest-neighbour distances), computed once.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Where the nearest-neighbour searches run (None: here), in chunks of this many rows.
    engine: Any = field(default=None, repr=False, compare=False)
    chunk_rows: int = 20_000

    @classmethod
    def for_run(
        cls, config: Config, meta: TableMetadata, train: pd.DataFrame, holdout: pd.DataFrame,
        synthetic: pd.DataFrame, modelled: list[str], **extra: Any,
    ) -> CheckContext:
        """A context whose settings come from the config and whose roles from the metadata."""
        cap = config.checks.max_eval_rows
        full = synthetic[modelled].reset_index(drop=True)
        return cls(
            train=_at_most(train[modelled], cap, config.seed, Stream.CHECK_TRAIN_SAMPLE),
            holdout=_at_most(holdout[modelled], cap, config.seed, Stream.CHECK_HOLDOUT_SAMPLE),
            synthetic=_at_most(
                full, cap, config.seed, Stream.CHECK_SYNTHETIC_SAMPLE
            ).reset_index(drop=True),
            synthetic_all=full, schema=meta.schema,
            seed=config.seed, bootstrap=config.checks.bootstrap,
            rare_min_count=config.tabular.rare_category_min_count,
            quasi_identifiers=tuple(c for c in meta.quasi_identifiers if c in modelled),
            sensitive=tuple(c for c in meta.sensitive if c in modelled),
            attacks=config.checks.attacks, utility_target=config.checks.utility_target,
            chunk_rows=config.engine.check_chunk_rows, **extra,
        )

    def rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])


def _at_most(frame: pd.DataFrame, cap: int, seed: int, salt: Stream) -> pd.DataFrame:
    """A seeded uniform sample of ``cap`` rows when the frame is larger (0: no cap)."""
    if cap <= 0 or len(frame) <= cap:
        return frame
    rng = seeds.rng(seed, Stream.CHECK_CAP, int(salt))
    return frame.iloc[np.sort(rng.choice(len(frame), cap, replace=False))]


class Check(Protocol):
    name: ClassVar[str]
    category: ClassVar[Category]
    goal: ClassVar[Goal]
    threshold_key: ClassVar[str]
    explanation: ClassVar[str]

    def compute(self, ctx: CheckContext) -> Measurement: ...


def bootstrap_ci(
    values: np.ndarray, stat: Any, rng: np.random.Generator, n: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``stat`` over rows of ``values``."""
    if len(values) == 0:
        return (float("nan"), float("nan"))
    idx = rng.integers(0, len(values), size=(n, len(values)))
    stats = np.array([stat(values[i]) for i in idx])
    stats = stats[np.isfinite(stats)]
    if len(stats) == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))
