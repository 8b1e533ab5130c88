"""Synthesis of a set of linked tables, parents first.

Each table is one single-table model (the structured synthesizer of a table run) fitted on
a frame that carries what its relations need:

- its own modelled columns (keys and identifiers are never modelled);
- for each relation in which it is the parent, the number of child rows per row
  (``n::child.fk``), so that the children per parent are drawn with the parent's attributes;
- for each relation in which it is the child, the parent's modelled columns
  (``p::fk::column``), so that a child's attributes are drawn with its parent's.

A parent's children counts come from its model, or, where one of its categories tells them
apart (a business customer holds more accounts), from the counts of that category's level in
the training rows (levels of at least 20 parents).

Sampling goes parents first. A root table is sampled at its size. A child table is sampled
as a pool twice as large as its parents' drawn child counts ask for; each synthetic parent
then takes as many pool rows as its count says, nearest first in the parent's columns (a
greedy matching on the pool's drawn parent context). Further parents of a link table are
matched the same way, their drawn counts as capacities. Every synthetic row is drawn from a
model: no real row, and no real key, is copied.

A child table of dated events (``events``: an account's payments) has each parent's events
laid out again in their drawn order, with gaps drawn from the real gaps.

Keys are fresh surrogates in the real key's format, drawn outside the real key values;
foreign keys point at the synthetic parents' surrogates, so every foreign key has its parent.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.config import Config, TabularConfig
from privsynth.metadata import TableMetadata
from privsynth.metrics.association import correlation_ratio
from privsynth.metrics.distance import MixedEncoder
from privsynth.metrics.identifiers import normalise
from privsynth.pii.fakes import fill_shape
from privsynth.relational.events import date_span, event_gaps, event_tables, lay_out
from privsynth.relational.schema import Relation, TableSet, children_per_parent
from privsynth.schema import ColumnSchema, infer_schema, target_like
from privsynth.seeds import Stream
from privsynth.tabular.structured import StructuredSynthesizer
from privsynth.vocab import Kind

logger = logging.getLogger(__name__)

SYNTHESIS_METHOD = (
    "one model per table (parents first): a parent's model draws its children counts, a "
    "child's model its parent's columns; children matched to synthetic parents nearest "
    "first; keys fresh surrogates")

# A child table's pool is this many times the rows its synthetic parents ask for.
POOL_FACTOR = 2
# Children counts get a histogram per level of the parent's category that explains at least
# this share of their variance, for levels of at least MIN_CELL_ROWS parents.
MIN_COUNT_EFFECT = 0.05
MIN_CELL_ROWS = 20
# A parent's category stratifies a child table's model when it explains at least this share
# of the variance of the child's own numbers, on average.
MIN_STRATUM_EFFECT = 0.1
# Candidate parents per pool row in the matching.
MATCH_CANDIDATES = 8


def count_column(r: Relation) -> str:
    return f"n::{r.child}.{r.foreign_key}"


def context_column(r: Relation, column: str) -> str:
    return f"p::{r.foreign_key}::{column}"


@dataclass
class _Plan:
    """What one table's model sees, and how its synthetic rows are tied to others."""

    name: str
    modelled: list[str]
    parents: list[Relation]  # the first is the primary: it decides the rows' count
    children: list[Relation]
    columns: list[str] = field(default_factory=list)  # the model's frame
    primary_key: str | None = None


class RelationalSynthesizer:
    """Fits one model per table on its relational frame; samples a linked set of tables."""

    def __init__(self, tables: TableSet, metas: dict[str, TableMetadata], config: Config,
                 lookups: frozenset[str] = frozenset()) -> None:
        self.tables = tables
        self.metas = metas
        self.config = config
        self.lookups = lookups
        self.plans = {
            t: _Plan(t, [c for c in metas[t].modelled if c not in tables.keys_of(t)],
                     [r for r in tables.parents_of(t) if r.parent != t],
                     [r for r in tables.children_of(t) if r.child != t])
            for t in tables.order()
        }
        for plan in self.plans.values():
            keys = {r.key for r in plan.children}
            plan.primary_key = next(iter(sorted(keys))) if keys else None

    def training_frame(self, name: str, train: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """The table's rows with its children counts and its parents' columns (rows whose
        primary parent is missing are left out: orphans)."""
        plan = self.plans[name]
        rows = train[name]
        frame = rows[plan.modelled].copy()
        for r in plan.children:
            frame[count_column(r)] = children_per_parent(train, r)
        keep = np.ones(len(rows), dtype=bool)
        for r in plan.parents:
            parent_frame = self._with_counts(r.parent, train)
            if r is plan.parents[0]:
                keep &= rows[r.foreign_key].isin(parent_frame.index).to_numpy()
            for c in self.context_of(r):
                frame[context_column(r, c)] = rows[r.foreign_key].map(
                    parent_frame[c]).to_numpy()
        plan.columns = list(frame.columns)
        return frame[keep].reset_index(drop=True)

    def context_of(self, r: Relation) -> list[str]:
        """The parent columns a child row of ``r`` is drawn with: the parent's modelled
        columns and its children counts (an account's loans tell its orders apart)."""
        plan = self.plans[r.parent]
        return [*plan.modelled, *(count_column(c) for c in plan.children)]

    def _with_counts(self, name: str, train: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """The table's rows indexed by its key, with its children counts."""
        rows = train[name]
        out = rows.copy()
        for c in self.plans[name].children:
            out[count_column(c)] = children_per_parent(train, c)
        key = next(r.key for r in self.tables.children_of(name))
        return out.set_index(key)

    def fit(self, train: dict[str, pd.DataFrame],
            every_real: dict[str, pd.DataFrame] | None = None,
            forbidden: frozenset[str] = frozenset()) -> RelationalSynthesizer:
        """Fit on the training tables. Surrogate keys will avoid the keys of
        ``every_real`` (the whole input, holdout included) and the ``forbidden`` values
        (normalised real identifiers of every table)."""
        self.models_: dict[str, StructuredSynthesizer | None] = {}
        self.sizes_ = {t: len(train[t]) for t in self.plans}
        real = every_real or train
        self.real_keys_ = {t: real[t][p.primary_key] for t, p in self.plans.items()
                           if p.primary_key}
        self.forbidden_ = forbidden
        self.fit_rows_: dict[str, int] = {}
        # Children with their parent in the training rows, per relation.
        self.child_rows_ = {str(r): int(train[r.child][r.foreign_key].isin(
            train[r.parent][r.key]).sum()) for r in self.tables.relations}
        self.count_cells_: dict[str, tuple[str, dict[str, np.ndarray]]] = {}
        # Ordered children: the real gaps between a parent's events, and the dates' span.
        self.events_ = event_tables(self.tables, self.metas, self.lookups)
        self.gaps_ = {t: np.sort(event_gaps(train[t], e, self.metas[t]))
                      for t, e in self.events_.items()}
        self.spans_ = {t: date_span(train[t], e, self.metas[t]) for t, e in self.events_.items()}
        self.reference_counts_: dict[str, np.ndarray] = {}
        for k, (name, plan) in enumerate(self.plans.items()):
            frame = self.training_frame(name, train)
            self.fit_rows_[name] = len(frame)
            self._count_cells(name, frame)
            for r in plan.children:
                self.reference_counts_[str(r)] = np.sort(
                    frame[count_column(r)].to_numpy(dtype=np.int64))
            if not plan.columns or len(frame) < 2:
                self.models_[name] = None
                continue
            seed = seeds.derive(self.config.seed, Stream.RELATIONAL_FIT, k)
            schema = infer_schema(frame)
            self.models_[name] = StructuredSynthesizer(
                self._tabular(plan, schema, frame), seed, None).fit(frame, schema)
            logger.info("fitted %s on %d rows, %d columns", name, len(frame), frame.shape[1])
        return self

    def _tabular(self, plan: _Plan, schema: dict[str, ColumnSchema],
                 frame: pd.DataFrame) -> TabularConfig:
        """The table's model settings: unless the config names a column to stratify by, the
        table's own column a model would predict (as ``ml_utility`` guesses it) gets a model
        per level, so its relations to the other columns are kept. Without a named target,
        a parent's category that explains the table's own numbers better (an account's
        balance by its owner's segment) is chosen instead."""
        config = self.config.tabular
        if config.stratify_by:
            return config

        def few_levels(c: str) -> bool:
            return schema[c].kind in (Kind.CATEGORICAL, Kind.BOOLEAN) \
                and 2 <= schema[c].n_distinct <= 10

        own = [c for c in plan.modelled if c in schema]
        named = [c for c in own if target_like(c)]
        levels = [c for c in reversed(own) if few_levels(c)]
        chosen = (named or levels or [""])[0]
        if chosen and schema[chosen].kind not in (Kind.CATEGORICAL, Kind.BOOLEAN):
            chosen = levels[0] if levels else ""
        numbers = [c for c in own if schema[c].kind in (Kind.INTEGER, Kind.FLOAT)]
        context = [c for c in plan.columns if c.startswith("p::") and few_levels(c)]
        if numbers and context and not named:
            def explained(c: str) -> float:
                shares = [correlation_ratio(frame[c].astype(str),
                                            pd.to_numeric(frame[n], errors="coerce")) ** 2
                          for n in numbers]
                return float(np.nanmean(shares)) if not np.all(np.isnan(shares)) else 0.0

            best = max([*context, *([chosen] if chosen else [])], key=explained)
            if best != chosen and explained(best) >= MIN_STRATUM_EFFECT:
                chosen = best
        return dataclasses.replace(config, stratify_by=chosen) if chosen else config

    def sample(self, scale: float = 1.0) -> dict[str, pd.DataFrame]:
        """The synthetic tables, with their modelled and key columns (and the helper count
        and context columns, which ``strip`` removes)."""
        out: dict[str, pd.DataFrame] = {}
        for k, (name, plan) in enumerate(self.plans.items()):
            rng = seeds.rng(self.config.seed, Stream.RELATIONAL_MATCH, k)
            model = self.models_[name]
            if not plan.parents:
                # A reference table keeps its size; the people's tables follow ``scale``.
                n = max(1, int(round(self.sizes_[name] * (1 if name in self.lookups
                                                          else scale))))
                rows = self._draw(model, plan, n, k)
            else:
                rows = self._children(name, plan, out, k, rng)
            if name in self.events_:
                events = self.events_[name]
                rows = lay_out(rows, events, self.metas[name], self.gaps_[name],
                               self.spans_[name], rng)
                # Rows in time order, so the ascending surrogate keys follow the events.
                stamps = pd.to_datetime(rows[events.column].astype("string"),
                                        format=self.metas[name].schema[events.column]
                                        .datetime_format, errors="coerce")
                rows = rows.iloc[np.argsort(stamps.to_numpy(), kind="stable")] \
                    .reset_index(drop=True)
            self._redraw_counts(name, rows, rng)
            self._totals(name, rows, scale, rng)
            if plan.primary_key:
                rows[plan.primary_key] = surrogate_keys(
                    self.real_keys_[name], len(rows), rng, self.forbidden_)
            out[name] = rows.reset_index(drop=True)
        return out

    def _count_cells(self, name: str, frame: pd.DataFrame) -> None:
        """For each children count of the table, the category that tells counts apart best
        (the largest share of the counts' variance between its levels, at least
        ``MIN_COUNT_EFFECT``), and the counts of each of its levels with at least
        ``MIN_CELL_ROWS`` rows: a histogram model of children per parent, by level."""
        plan = self.plans[name]
        categories = [c for c in plan.modelled if c in frame.columns
                      and self.metas[name].schema[c].kind in (Kind.CATEGORICAL, Kind.BOOLEAN)]
        for r in plan.children:
            counts = frame[count_column(r)].to_numpy(dtype=np.float64)
            total = counts.var() * len(counts)
            best, effect = None, MIN_COUNT_EFFECT
            for c in categories:
                levels = frame[c].astype(str)
                groups = pd.Series(counts).groupby(levels.to_numpy())
                big = groups.size() >= MIN_CELL_ROWS
                if total <= 0 or big.sum() < 2:
                    continue
                between = float((groups.size()[big] * (groups.mean()[big] - counts.mean()) ** 2)
                                .sum()) / total
                if between > effect:
                    best, effect = c, between
            if best is not None:
                levels = frame[best].astype(str)
                self.count_cells_[str(r)] = (best, {
                    level: np.sort(counts[(levels == level).to_numpy()])
                    for level, size in levels.value_counts().items() if size >= MIN_CELL_ROWS})

    def _redraw_counts(self, name: str, rows: pd.DataFrame, rng: np.random.Generator) -> None:
        """Children counts drawn from their level's histogram where the table has one. A
        reference table's counts keep the order its model drew them in and take the real
        counts' values at those ranks: its rows are places or products, not people, so its
        extremes (a capital's hundreds of accounts) are kept rather than clipped."""
        for r in self.plans[name].children:
            if name in self.lookups and str(r) not in self.count_cells_ and len(rows):
                real = self.reference_counts_[str(r)]
                order = np.argsort(rows[count_column(r)].to_numpy(), kind="stable")
                at = np.round(np.linspace(0, len(real) - 1, len(rows))).astype(int)
                counts = np.empty(len(rows), dtype=np.int64)
                counts[order] = real[at]
                rows[count_column(r)] = counts
                continue
            if str(r) not in self.count_cells_:
                continue
            column, cells = self.count_cells_[str(r)]
            levels = rows[column].astype(str).to_numpy()
            counts = rows[count_column(r)].to_numpy(dtype=np.int64).copy()
            for level, values in cells.items():
                where = np.flatnonzero(levels == level)
                counts[where] = values[rng.integers(0, len(values), len(where))]
            rows[count_column(r)] = counts

    def _totals(self, name: str, rows: pd.DataFrame, scale: float,
                rng: np.random.Generator) -> None:
        """Scale each drawn children count column so that its total is the real number of
        children times ``scale``: a few parents with many children (a capital city's
        accounts) make the drawn totals swing. Proportions stay; rounding is random."""
        for r in self.plans[name].children:
            col = count_column(r)
            drawn = rows[col].to_numpy(dtype=np.float64)
            target = self.child_rows_[str(r)] * scale
            if drawn.sum() <= 0 or target <= 0:
                continue
            scaled = drawn * target / drawn.sum()
            whole = np.floor(scaled)
            rows[col] = (whole + (rng.random(len(scaled)) < scaled - whole)).astype("int64")

    def _draw(self, model: StructuredSynthesizer | None, plan: _Plan, n: int,
              k: int) -> pd.DataFrame:
        if model is None:
            return pd.DataFrame(index=range(n), columns=plan.columns)
        frame = model.sample(n, seeds.derive(self.config.seed, Stream.RELATIONAL_SAMPLE, k))
        for c in plan.columns:
            if c.startswith("n::"):
                frame[c] = pd.to_numeric(frame[c], errors="coerce").fillna(0).round() \
                    .clip(lower=0).astype("int64")
        return frame

    def _children(self, name: str, plan: _Plan, out: dict[str, pd.DataFrame], k: int,
                  rng: np.random.Generator) -> pd.DataFrame:
        primary = plan.parents[0]
        parents = out[primary.parent]
        wanted = parents[count_column(primary)].to_numpy(dtype=np.int64)
        total = int(wanted.sum())
        if total == 0:
            return pd.DataFrame(columns=[*plan.columns, *(r.foreign_key for r in plan.parents)])
        pool = self._draw(self.models_[name], plan, max(POOL_FACTOR * total, 50), k)
        pick, owner = match(self._context(primary, pool), self._attributes(primary, parents),
                            wanted, rng, fill_all=False)
        rows = pool.iloc[pick].reset_index(drop=True)
        rows[primary.foreign_key] = parents[primary.key].to_numpy()[owner]
        for r in plan.parents[1:]:
            others = out[r.parent]
            capacity = others[count_column(r)].to_numpy(dtype=np.int64) \
                if count_column(r) in others.columns else np.ones(len(others), np.int64)
            _, owner = match(self._context(r, rows), self._attributes(r, others), capacity,
                             rng, fill_all=True)
            rows[r.foreign_key] = others[r.key].to_numpy()[owner]
        return rows

    def _attributes(self, r: Relation, parents: pd.DataFrame) -> pd.DataFrame:
        return parents[self.context_of(r)]

    def _context(self, r: Relation, rows: pd.DataFrame) -> pd.DataFrame:
        cols = self.context_of(r)
        frame = rows[[context_column(r, c) for c in cols]]
        frame.columns = cols
        return frame

    def strip(self, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The tables without the helper columns."""
        return {t: f[[c for c in f.columns if not c.startswith(("n::", "p::"))]]
                for t, f in tables.items()}


def match(children: pd.DataFrame, parents: pd.DataFrame, capacity: np.ndarray,
          rng: np.random.Generator, fill_all: bool) -> tuple[np.ndarray, np.ndarray]:
    """Give each parent up to ``capacity`` child rows, nearest first in the parents' columns.

    Returns the chosen child rows and each one's parent. Pairs are taken in order of distance
    among each child's ``MATCH_CANDIDATES`` nearest parents. With ``fill_all`` every child
    gets a parent (beyond capacity, its nearest); without it, children are a pool and parents
    still short of their capacity take unchosen children at random."""
    from sklearn.neighbors import NearestNeighbors

    n_child, n_parent = len(children), len(parents)
    owner = np.full(n_child, -1, dtype=np.int64)
    left = capacity.astype(np.int64).copy()
    if parents.shape[1]:
        enc = MixedEncoder(infer_schema(parents)).fit(parents)
        p, c = enc.transform(parents), enc.transform(children)
        k = min(MATCH_CANDIDATES, n_parent)
        dist, idx = NearestNeighbors(n_neighbors=k).fit(p).kneighbors(c)
        order = np.argsort(dist + rng.random(dist.shape) * 1e-9, axis=None, kind="stable")
        rows, cols = np.unravel_index(order, dist.shape)
        for child, parent in zip(rows.tolist(), idx[rows, cols].tolist(), strict=True):
            if owner[child] < 0 and left[parent] > 0:
                owner[child] = parent
                left[parent] -= 1
        nearest = idx[:, 0]
    else:
        nearest = rng.integers(0, n_parent, n_child)
    free = np.flatnonzero(owner < 0)
    if fill_all:
        short = np.repeat(np.arange(n_parent), np.maximum(left, 0))
        rng.shuffle(short)
        take = min(len(short), len(free))
        owner[free[:take]] = short[:take]
        owner[free[take:]] = nearest[free[take:]]
        return np.arange(n_child), owner
    rng.shuffle(free)
    short = np.repeat(np.arange(n_parent), np.maximum(left, 0))
    take = min(len(short), len(free))
    owner[free[:take]] = short[:take]
    chosen = np.flatnonzero(owner >= 0)
    return chosen, owner[chosen]


def surrogate_keys(real: pd.Series, n: int, rng: np.random.Generator,
                   forbidden: frozenset[str] = frozenset()) -> pd.Series:
    """``n`` distinct fresh keys in the real keys' format, none of them a real key or a
    ``forbidden`` (normalised) value: ascending integers of the real keys' width (a digit
    more if that width has too little room), or text with the real keys' letters and
    digits drawn anew."""
    values = real.dropna()
    if pd.api.types.is_numeric_dtype(values) and (values == values.round()).all():
        taken = set(values.astype("int64").tolist())
        width = len(str(int(values.abs().max()))) if len(values) else 1
        while 9 * 10 ** (width - 1) - len(taken) - len(forbidden) < 4 * n:
            width += 1
        low, high = 10 ** (width - 1), 10 ** width
        out: list[int] = []
        seen = set(taken)
        while len(out) < n:
            for v in rng.integers(low, high, 2 * (n - len(out)) + 8).tolist():
                if v not in seen and str(v) not in forbidden:
                    seen.add(v)
                    out.append(v)
        # Ascending, as a table's keys usually are in its row order.
        return pd.Series(sorted(out[:n]), dtype="int64")
    templates = values.astype(str).tolist() or ["K-00000"]
    seen_text = set(templates)
    text: list[str] = []
    while len(text) < n:
        v = fill_shape(templates[int(rng.integers(len(templates)))], rng)
        if v in seen_text or normalise(v) in forbidden:
            v = f"{v}{int(rng.integers(10))}"
        if v not in seen_text and normalise(v) not in forbidden:
            seen_text.add(v)
            text.append(v)
    return pd.Series(text, dtype=object)


def fresh_values(values: pd.Series, forbidden: frozenset[str],
                 rng: np.random.Generator) -> pd.Series:
    """Fakes that happen to equal a real identifier of another column or table drawn anew
    in their own shape, until none does."""
    out = values.copy()
    for i, v in out.items():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        tries = 0
        # Checked as it will be written: a number drawn as "0412" is written as 412.
        while normalise(v) in forbidden and tries < 50:
            drawn = fill_shape(str(v), rng)
            v = int(drawn) if isinstance(v, int | np.integer) else drawn
            tries += 1
        out.at[i] = v
    return out
