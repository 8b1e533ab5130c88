"""Tail shares against the share expected by chance, with one-sided bounds at any level.

A few real people hidden among good rows do not move an average; they sit in the low tail of
a distance distribution. The tail checks count the rows of a tested sample that fall at or
below a cut and compare that share with the share of a reference sample (what chance puts
there), as an excess ``k/n - k0/n0``.

The bounds are Newcombe's hybrid score interval for a difference of two proportions (1998,
method 10): Wilson score bounds for each proportion, combined by the square-root rule. It
keeps its coverage for counts of zero and a few, which the normal approximation of a
bootstrap interval does not (a bootstrap of 0 hits is the point 0, and 20 copies among 2,000
rows against 0 reference hits then looked like certainty). A bound is computed at the
quantile the gate asks for (``bound(z)``), so the leak test is the score test itself, not an
extrapolation from a 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Z95 = 1.959963984540054


def wilson(k: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score bounds for k successes in n trials at normal quantile z (each side)."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def chance_of(rate: float, ratio: float) -> float:
    """P(at least one match among ``ratio`` times as many rows) from one set's match rate."""
    return 1 - (1 - min(max(rate, 0.0), 1.0)) ** ratio


@dataclass(frozen=True)
class Excess:
    """``k`` of ``n`` tested rows in the tail against ``k0`` of ``n0`` reference rows.

    The reference share is mapped through ``chance_of(., ratio)`` (``ratio`` 1: itself), for a
    reference that is smaller than what the tested rows were compared with."""

    k: float
    n: float
    k0: float
    n0: float
    ratio: float = 1.0

    @property
    def share(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def expected(self) -> float:
        return chance_of(self.k0 / self.n0, self.ratio) if self.n0 else 0.0

    @property
    def value(self) -> float:
        return self.share - self.expected

    def lower(self, z: float) -> float:
        """One-sided lower bound of the excess at normal quantile ``z``."""
        lo1 = wilson(self.k, self.n, z)[0]
        hi0 = chance_of(wilson(self.k0, self.n0, z)[1], self.ratio)
        return self.value - math.hypot(self.share - lo1, hi0 - self.expected)

    def upper(self, z: float) -> float:
        hi1 = wilson(self.k, self.n, z)[1]
        lo0 = chance_of(wilson(self.k0, self.n0, z)[0], self.ratio)
        return self.value + math.hypot(hi1 - self.share, self.expected - lo0)

    def ci(self) -> tuple[float, float]:
        return (self.lower(Z95), self.upper(Z95))

    def as_dict(self) -> dict[str, float]:
        return {"hits": self.k, "rows": self.n, "reference_hits": round(self.k0, 2),
                "reference_rows": round(self.n0, 2), "share": round(self.share, 6),
                "expected": round(self.expected, 6), "excess": round(self.value, 6)}


def split_z(z: float, tests: int) -> float:
    """The quantile that keeps a family's one-sided error at 1 - Phi(z) over ``tests`` tests."""
    if tests <= 1:
        return z
    return NormalDist().inv_cdf(1 - (1 - NormalDist().cdf(z)) / tests)


def tail_cut(reference: np.ndarray, q: float) -> float:
    """The ``q`` quantile of the reference distances, as one of its own values."""
    return float(np.quantile(reference, q, method="inverted_cdf"))


# A training row's nearest other training row is, as often as not, one whose own nearest is
# that row: leave-one-out hits come in pairs, so their count varies twice as much as
# independent rows' would. Each counts half, which keeps the share and gives its variance.
LEAVE_ONE_OUT_WEIGHT = 0.5


def reference_weights(holdout_rows: int, train_rows: int) -> np.ndarray:
    """Weights of a reference of holdout rows followed by leave-one-out training rows."""
    return np.concatenate([np.ones(holdout_rows),
                           np.full(train_rows, LEAVE_ONE_OUT_WEIGHT)])


def tail_excess(tested: np.ndarray, reference: np.ndarray, q: float,
                weights: np.ndarray | None = None) -> Excess:
    """Tested rows at or below the reference's ``q`` quantile, against the reference's own
    (each reference row counted at its weight)."""
    cut = tail_cut(reference, q)
    w = np.ones(len(reference)) if weights is None else weights
    return Excess(int((tested <= cut).sum()), len(tested), float(w[reference <= cut].sum()),
                  float(w.sum()))


@dataclass(frozen=True)
class Worst:
    """The most damning of several excesses, judged together: each at the family's quantile
    split over them (Bonferroni), so that looking at several cuts or subsets does not by
    itself raise the chance of a false refusal."""

    excesses: tuple[Excess, ...]
    labels: tuple[str, ...]

    def bound(self, z: float) -> float:
        zz = split_z(z, len(self.excesses))
        return max(e.lower(zz) for e in self.excesses)

    def index(self, z: float = Z95) -> int:
        zz = split_z(z, len(self.excesses))
        return int(np.argmax([e.lower(zz) for e in self.excesses]))

    def ci(self) -> tuple[float, float]:
        """The worst excess's interval, simultaneous over the excesses (95%)."""
        e = self.excesses[self.index()]
        zz = split_z(Z95, len(self.excesses))
        return (e.lower(zz), e.upper(zz))

    @property
    def value(self) -> float:
        return self.excesses[self.index()].value

    @property
    def label(self) -> str:
        return self.labels[self.index()]

    def details(self) -> dict[str, dict[str, float]]:
        return {label: e.as_dict() for label, e in zip(self.labels, self.excesses, strict=True)}


def worst_of(pairs: Sequence[tuple[str, Excess]]) -> Worst:
    return Worst(tuple(e for _, e in pairs), tuple(label for label, _ in pairs))


Bound = Callable[[float], float]
