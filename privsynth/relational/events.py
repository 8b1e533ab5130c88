"""Ordered children: a child table whose rows are a parent's events in time (an account's
payments, a patient's visits).

A child table is ordered when it has a modelled date column (the first one) and its primary
parent has, on average, at least ``MIN_EVENTS_PER_PARENT`` children. Its model draws each
row's date like any other column, conditioned on the parent; the synthesis then lays each
parent's events out again: in the order of their drawn dates, with the gaps between
consecutive events drawn from the real gaps' distribution (inverse CDF, interpolated, so no
real gap is copied as such), and centred where the drawn dates were. So a synthetic account's
payments keep an order and realistic spacing, not a scatter of independent dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from privsynth.metadata import TableMetadata
from privsynth.relational.schema import Relation, TableSet
from privsynth.schema import from_model_frame, to_model_frame
from privsynth.vocab import Kind

# Children per parent, on average, from which a dated child table is a sequence of events.
MIN_EVENTS_PER_PARENT = 1.5
# Fewer real gaps than this are too few to draw gaps from.
MIN_GAPS = 20


@dataclass(frozen=True)
class Events:
    """A child table's events: ``relation`` ties them to their parent, ``column`` dates them."""

    relation: Relation
    column: str

    def __str__(self) -> str:
        return f"{self.relation.child}.{self.column} per {self.relation.parent}"


def event_tables(ts: TableSet, metas: dict[str, TableMetadata],
                 lookups: frozenset[str] = frozenset()) -> dict[str, Events]:
    """The ordered child tables, by name (judged on the real tables). A place's rows (the
    accounts of a district: a reference table's children) are not its events."""
    found = {}
    for name in ts.order():
        parents = [r for r in ts.parents_of(name) if r.parent != name]
        if not parents or parents[0].parent in lookups:
            continue
        primary = parents[0]
        dates = [c.name for c in metas[name].columns
                 if c.kind == Kind.DATETIME and c.name in metas[name].modelled]
        n_parents = len(ts.tables[primary.parent])
        if dates and n_parents and len(ts.tables[name]) / n_parents >= MIN_EVENTS_PER_PARENT:
            found[name] = Events(primary, dates[0])
    return found


def _days(frame: pd.DataFrame, events: Events, meta: TableMetadata) -> np.ndarray:
    return to_model_frame(frame[[events.column]], meta.schema)[events.column] \
        .to_numpy(dtype=np.float64)


def event_gaps(frame: pd.DataFrame, events: Events, meta: TableMetadata) -> np.ndarray:
    """Days between consecutive dated events of the same parent (rows without a date or a
    parent left out)."""
    days = _days(frame, events, meta)
    parent = frame[events.relation.foreign_key].to_numpy()
    known = ~np.isnan(days) & pd.notna(parent)
    days, codes = days[known], pd.factorize(parent[known])[0]
    order = np.lexsort((days, codes))
    days, codes = days[order], codes[order]
    same = codes[1:] == codes[:-1]
    return np.diff(days)[same]


def lay_out(frame: pd.DataFrame, events: Events, meta: TableMetadata, gaps: np.ndarray,
            span: tuple[float, float], rng: np.random.Generator) -> pd.DataFrame:
    """The rows with each parent's dates laid out again: same order, gaps drawn from the
    sorted real ``gaps``, the sequence centred on its drawn dates' mean and moved inside the
    real dates' ``span``."""
    model = to_model_frame(frame[[events.column]], meta.schema)
    days = model[events.column].to_numpy(dtype=np.float64)
    parent = frame[events.relation.foreign_key].to_numpy()
    known = np.flatnonzero(~np.isnan(days) & pd.notna(parent))
    if len(known) < 2 or len(gaps) < MIN_GAPS:
        return frame
    codes = pd.factorize(parent[known])[0]
    order = known[np.lexsort((days[known], codes))]
    group = pd.factorize(parent[order])[0]
    first = np.r_[True, group[1:] != group[:-1]]
    step = np.interp(rng.random(len(order)), np.linspace(0, 1, len(gaps)), gaps)
    if np.all(gaps == np.round(gaps)):
        step = np.round(step)
    step[first] = 0.0
    offset = np.cumsum(step)
    offset -= np.maximum.accumulate(np.where(first, offset, -np.inf))
    # Centre each parent's sequence on where its drawn dates were, then inside the span.
    shift = pd.Series(days[order] - offset).groupby(group).transform("mean").to_numpy()
    laid = offset + shift
    low, high = span
    end = pd.Series(laid).groupby(group).transform("max").to_numpy()
    laid -= np.maximum(end - high, 0)
    start = pd.Series(laid).groupby(group).transform("min").to_numpy()
    laid += np.maximum(low - start, 0)
    if np.all(gaps == np.round(gaps)):
        laid = np.round(laid)
    out = frame.copy()
    model.iloc[order, 0] = laid
    out[events.column] = from_model_frame(model, meta.schema)[events.column].to_numpy()
    return out


def date_span(frame: pd.DataFrame, events: Events, meta: TableMetadata) -> tuple[float, float]:
    days = _days(frame, events, meta)
    days = days[~np.isnan(days)]
    return (float(days.min()), float(days.max())) if len(days) else (0.0, 0.0)
