"""Differentially private structured synthesis: MST or AIM on OpenDP and Private-PGM.

The guarantee covers the modelled structured columns, at the level of one row (one person):
the released table is (epsilon, delta)-DP. Every step that reads real values is an OpenDP
measurement charged to one zero-concentrated (zCDP) budget:

1. **Bin edges** for number and date columns: quantiles of an OpenDP Gaussian histogram
   over a public grid; the declared ``min``/``max`` of ``[tabular.columns]`` narrows the
   grid and clamps values. Raw minima, maxima or quantiles are never used.
2. **Category lists**: declared in ``[dp] domains`` (nothing is spent and nothing outside the
   list can appear), or discovered by OpenDP's stable-key release, which only keeps a
   category whose noisy count clears a threshold (this is what ``delta`` pays for). Rare real
   categories therefore never appear.
3. **Marginals**: OpenDP's contingency table with MST (McKenna, Miklau, Sheldon 2021) or AIM
   (McKenna et al. 2022): one-way marginals, a selection step and noisy two-way marginals,
   fitted into a graphical model by Private-PGM's mirror descent.

The total is zCDP rho plus the key-discovery delta, converted to (epsilon, delta) by OpenDP's
zCDP-to-approximate-DP conversion. Sampling rows from the model, and values within a bin,
is post-processing and is seeded. The noise itself comes from OpenDP's secure generator and
cannot be seeded: two runs give different tables, which the guarantee requires.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from privsynth import seeds
from privsynth.errors import ConfigError, NotFittedError
from privsynth.schema import ColumnSchema, from_model_frame, to_model_frame
from privsynth.seeds import Stream
from privsynth.tabular.dp_bins import MISSING, Bins, private_histogram, public_grid

logger = logging.getLogger(__name__)

ALGORITHMS = {"dp-mst": "MST", "dp-aim": "AIM"}
NUMERIC = ("integer", "float", "datetime")
# Budgets tried (arithmetic only) per number of MST selections: rho (1 - k 1e-6), k < this.
BUDGET_SEARCH = 500


def _opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - installed with privsynth
        raise ConfigError(
            "the DP synthesizers need OpenDP with Private-PGM: pip install 'opendp[mbi]'"
        ) from None
    dp.enable_features("contrib")
    return dp


def epsilon_of(rho: float, delta: float) -> float:
    """The epsilon that OpenDP's zCDP -> (epsilon, delta) conversion certifies for rho."""
    if rho <= 0:
        return 0.0
    dp = _opendp()
    space = dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float)
    # A Gaussian mechanism of sensitivity 1 and this scale is rho-zCDP.
    gauss = dp.m.make_gaussian(*space, scale=math.sqrt(1 / (2 * rho)))
    approx = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gauss), delta)
    return float(approx.map(1.0)[0])


def rho_for(epsilon: float, delta: float) -> float:
    """The largest rho whose certified epsilon at ``delta`` is at most ``epsilon``."""
    # Bun & Steinke: rho-zCDP implies (rho + 2 sqrt(rho ln(1/delta)), delta)-DP. That rho is a
    # safe lower end; OpenDP's tighter conversion allows a little more, found by bisection.
    log = math.log(1 / delta)
    lo = (math.sqrt(log + epsilon) - math.sqrt(log)) ** 2
    hi = epsilon
    for _ in range(40):
        mid = (lo + hi) / 2
        if epsilon_of(mid, delta) <= epsilon:
            lo = mid
        else:
            hi = mid
    return lo


def _sum_up(parts: list[float]) -> float:
    """A float sum rounded toward +infinity at every step, as OpenDP composes budgets."""
    from fractions import Fraction

    total = 0.0
    for part in parts:
        exact = Fraction(total) + Fraction(part)
        total = float(exact)
        if Fraction(total) < exact:
            total = float(np.nextafter(total, np.inf))
    return total


def _mst_split_ok(
    rho: float, n_columns: int, measure_split: float = 0.9, selections: int | None = None
) -> bool:
    """Whether OpenDP's contingency table with MST accepts ``rho``: at each level the parts,
    summed with upward rounding, must not exceed the level's budget. The steps mirror OpenDP
    0.16: half of rho for one-way marginals, then of the rest ``1 - measure_split`` for
    selection in ``selections`` equal parts (n_columns - 1 by default) and the remainder for
    measurement. Arithmetic only: no data is read."""

    def prior(x: float) -> float:
        return float(np.nextafter(x, -np.inf))

    oneway = rho * 0.5
    multiway = prior(prior(rho - oneway))
    measure = multiway * measure_split
    select = prior(prior(multiway - measure))
    rounds = n_columns - 1 if selections is None else selections
    if _sum_up([oneway, multiway]) > rho or _sum_up([select, measure]) > multiway:
        return False
    if rounds < 1:
        return True
    return _sum_up([prior(select / rounds)] * rounds) <= select


def mst_budget(rho: float, n_columns: int) -> tuple[float, int]:
    """The largest budget at most ``rho`` (9 significant digits, within 0.05%) that OpenDP's
    MST accepts, and its number of tree edges: n_columns - 1, or one or two fewer.

    For some column counts (17, 25, 33, ...) no budget at all passes with n_columns - 1 equal
    selection parts: the selection budget's low bits make their upward-rounded sum exceed it.
    MST then selects one edge fewer (two columns are joined only through the one-way
    marginals). Found in milliseconds from the arithmetic alone, before any data is read."""
    full = max(n_columns - 1, 0)
    for selections in dict.fromkeys((full, max(full - 1, 0), max(full - 2, 0))):
        for k in range(BUDGET_SEARCH):
            candidate = _round_down(rho * (1 - 1e-6 * k), 9)
            if _mst_split_ok(candidate, n_columns, selections=selections):
                return candidate, selections
    raise ConfigError(
        "no privacy budget near this dp.epsilon can be split by OpenDP's MST for "
        f"{n_columns} columns; try a slightly different dp.epsilon"
    )


def _fill_nulls(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    null = values.isna().to_numpy()
    if not null.any() or null.all():
        return values
    pool = values[~null].to_numpy()
    out = values.copy()
    out[null] = pool[rng.integers(0, len(pool), int(null.sum()))]
    return out


def _round_down(x: float, digits: int = 6) -> float:
    if x <= 0:
        return 0.0
    scale = 10 ** (digits - 1 - math.floor(math.log10(x)))
    return math.floor(x * scale) / scale


@contextlib.contextmanager
def _numpy_seed(seed: int) -> Iterator[None]:
    """Private-PGM samples with NumPy's global generator: seed it, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


class DpSynthesizer:
    """The ``dp-mst`` / ``dp-aim`` synthesizers. See the module docstring."""

    def __init__(
        self,
        name: str,
        epsilon: float,
        delta: float | str,
        bins: int,
        bounds_share: float,
        domains: dict[str, list[Any]],
        bounds: dict[str, tuple[float | None, float | None]],
        seed: int,
    ) -> None:
        if name not in ALGORITHMS:
            raise ConfigError(f"unknown DP synthesizer {name!r}")
        self.name = name
        self.epsilon = epsilon
        self.delta = delta
        self.bins = bins
        self.bounds_share = bounds_share
        self.domains = domains
        self.bounds = bounds
        self.seed = seed

    # -- budget -------------------------------------------------------------------------
    def _delta_for(self, n: int) -> float:
        delta = 1 / n**2 if self.delta == "auto" else float(self.delta)
        if delta >= 1 / n:
            raise ConfigError(
                f"dp.delta ({delta:g}) must be below 1/n = {1 / n:g} for {n:,} training rows"
            )
        return delta

    def fit(self, df: pd.DataFrame, schema: dict[str, ColumnSchema]) -> DpSynthesizer:
        dp = _opendp()
        import polars as pl

        self.schema_ = {str(c): schema[str(c)] for c in df.columns}
        cols = list(self.schema_)
        unknown = sorted(set(self.domains) - set(cols))
        if unknown:
            raise ConfigError(f"dp.domains: {', '.join(unknown)} is not a modelled column")
        frame = to_model_frame(df, self.schema_)
        n = len(frame)
        delta = self._delta_for(n)
        numeric = [c for c in cols if self.schema_[c].kind in NUMERIC]
        categorical = [c for c in cols if c not in numeric]
        for c in set(self.domains) & set(numeric):
            raise ConfigError(
                f"dp.domains: '{c}' is a number column; declare its min and max in "
                "[tabular.columns] instead"
            )
        discover = [c for c in categorical if c not in self.domains]
        delta_keys = delta / 2 if discover else 0.0
        delta_conv = delta - delta_keys
        # Rounded down to 6 significant digits, so the report shows readable budgets (an MST
        # budget OpenDP would refuse is avoided in _release).
        rho = _round_down(rho_for(self.epsilon, delta_conv))
        rho_bins = _round_down(rho * self.bounds_share) if numeric else 0.0
        rho_table = _round_down(rho - rho_bins)

        # 1. Bin edges from a private histogram over a public grid, one per column.
        per_column = rho_bins / max(len(numeric), 1)
        self.bins_: dict[str, Bins] = {}
        for c in numeric:
            kind = self.schema_[c].kind
            grid = public_grid(kind, self.bounds.get(c, (None, None)))
            x = frame[c].to_numpy(dtype=float)
            edges, counts = private_histogram(dp, x[np.isfinite(x)], grid, self.bins,
                                              per_column)
            self.bins_[c] = Bins(edges, kind != "float", np.asarray(grid, float), counts)

        # 2. Encode: number columns become bin codes with the missing code last.
        data, keys = self._encode(frame, cols)
        lf = pl.LazyFrame(
            {c: pl.Series(c, v, dtype=pl.Int64 if c in self.bins_ else pl.String)
             for c, v in data.items()}
        )

        # 3. The contingency table, fitted by Private-PGM.
        algorithm = getattr(dp.mbi, ALGORITHMS[self.name])()
        self.table_, self.threshold_, rho_table = self._release(
            dp, lf, keys, algorithm, rho_table, delta_keys
        )
        self.columns_ = cols
        self.total_ = float(self.table_.model.total)
        self.accounting_ = self._accounting(
            delta, delta_conv, delta_keys, rho, rho_bins, rho_table, numeric, discover
        )
        return self

    def _encode(
        self, frame: pd.DataFrame, cols: list[str]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Number columns as bin codes (missing last), categories as strings; the declared
        or binned key set of each column."""
        data: dict[str, Any] = {}
        keys: dict[str, list[Any]] = {}
        for c in cols:
            if c in self.bins_:
                b = self.bins_[c]
                codes = b.encode(frame[c].to_numpy(dtype=float))
                data[c] = np.where(codes == MISSING, b.size, codes)
                # A missing-value bin only where the column can be empty (schema, public).
                keys[c] = list(range(b.size + int(self.schema_[c].null_share > 0 or
                                                  (codes == MISSING).any())))
            else:
                data[c] = frame[c].astype(object).where(frame[c].notna(), None).tolist()
                if c in self.domains:
                    keys[c] = [str(v) for v in self.domains[c]]
        return data, keys

    def _accounting(
        self, delta: float, delta_conv: float, delta_keys: float, rho: float, rho_bins: float,
        rho_table: float, numeric: list[str], discover: list[str],
    ) -> dict[str, Any]:
        """The report's privacy accounting of this fit."""
        return {
            "definition": "approximate differential privacy, one row = one person "
            "(add or remove a row)",
            "epsilon": self.epsilon,
            "delta": delta,
            "delta_source": "1/n^2" if self.delta == "auto" else "config",
            "certified_epsilon": round(epsilon_of(rho, delta_conv), 6),
            "mechanism": f"{ALGORITHMS[self.name]} (OpenDP contingency table, Private-PGM)",
            "composition": "zero-concentrated DP: rho adds up over measurements; "
            f"rho = {rho:.6g} converted to (epsilon, delta) by OpenDP at "
            f"delta = {delta_conv:.3g}" + (
                f", plus delta = {delta_keys:.3g} for category discovery" if delta_keys else ""
            ),
            "rho": rho,
            # What was spent: at most rho (a retry in _release may spend slightly less).
            "rho_spent": rho_bins + rho_table,
            "split": {
                "bin_edges": {"rho": rho_bins, "columns": numeric,
                              "method": "Gaussian noisy histogram over a public grid per "
                              "column; edges at its quantiles"},
                "contingency_table": {
                    "rho": rho_table,
                    "delta": delta_keys,
                    "detail": "half for one-way marginals and category discovery, then "
                    + ("10% of the rest to select two-way marginals and 90% to measure them"
                       if self.name == "dp-mst" else
                       "AIM's adaptive rounds of selection and measurement"),
                },
            },
            **({"mst_edges": {
                "selected": self.selections_, "columns": len(self.schema_),
                "note": "MST joins the columns by this many two-way marginals; one fewer "
                "than a full tree when OpenDP's budget arithmetic refuses every budget for "
                "a full tree (checked before any data is read)",
            }} if getattr(self, "selections_", None) is not None else {}),
            "declared_domains": sorted(self.domains),
            "discovered_categories": discover,
            "declared_bounds": sorted(c for c in numeric if c in self.bounds),
        }

    def _release(
        self, dp: Any, lf: Any, keys: dict[str, list[Any]], algorithm: Any, rho: float,
        delta: float,
    ) -> tuple[Any, int | None, float]:
        """Release the contingency table within (rho, delta), in one attempt.

        OpenDP splits the budget into parts and adds them back up with upward rounding; for
        some budgets the sum exceeds the whole by one unit in the last place and OpenDP
        refuses, after it has already measured the one-way marginals. So the budget (and for
        MST the number of selections) is chosen beforehand from the arithmetic alone
        (``mst_budget``), and the data is queried once. Should OpenDP still refuse, nothing is
        released and the run stops: a second attempt would spend budget again."""
        from opendp.mod import OpenDPException

        if self.name == "dp-mst":
            rho, selections = mst_budget(rho, len(lf.collect_schema()))
            algorithm = dp.mbi.MST(num_selections=selections) if selections else algorithm
            self.selections_ = selections
        loss = dp.loss_of(rho=rho, delta=delta) if delta else dp.loss_of(rho=rho)
        context = dp.Context.compositor(
            data=lf, privacy_unit=dp.unit_of(contributions=1), privacy_loss=loss
        )
        query = context.query(**({"rho": rho, "delta": delta} if delta else {"rho": rho}))
        table_query = query.contingency_table(keys=keys, algorithm=algorithm)
        try:
            with _numpy_seed(self.seed):
                table = table_query.release()
        except OpenDPException as exc:
            if "insufficient budget" not in str(exc):
                raise
            raise ConfigError(
                f"OpenDP refused the budget split of {self.name} at rho {rho:.9g}; nothing "
                "was released. Try a slightly different dp.epsilon"
            ) from None
        return table, table_query.oneway_threshold, rho

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if not hasattr(self, "table_"):
            raise NotFittedError(f"{self.name} used before fit()")
        rng = seeds.rng(seed, Stream.DP_SAMPLE)
        with _numpy_seed(seed):
            raw = self.table_.synthesize(rows=max(int(n), 1)).to_pandas()
        raw = raw.head(n)
        out: dict[str, Any] = {}
        for c in self.columns_:
            values = raw[c].astype(object).where(raw[c].notna(), None)
            if self.schema_[c].null_share == 0:
                # OpenDP adds a null key to every column; where the column is never empty,
                # a sampled null takes a value drawn from the column's other sampled values.
                values = _fill_nulls(values, rng)
            if c in self.bins_:
                codes = pd.to_numeric(values).fillna(MISSING).to_numpy().astype(np.int64)
                codes = np.where(codes >= self.bins_[c].size, MISSING, codes)
                out[c] = self.bins_[c].decode(codes, rng)
            else:
                out[c] = values
        frame = pd.DataFrame(out, columns=self.columns_).reset_index(drop=True)
        return from_model_frame(frame, self.schema_)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "engine": "OpenDP contingency table + Private-PGM (mbi)",
            "differential_privacy": getattr(self, "accounting_", None),
            "bins": {c: int(b.size) for c, b in getattr(self, "bins_", {}).items()},
        }

    def estimated_rows(self) -> int:
        """The model's noisy row count: a DP estimate of the training size."""
        return max(int(round(self.total_)), 1)


def explain(epsilon: float, delta: float) -> str:
    """What epsilon means for one person, in plain words."""
    factor = math.exp(epsilon)
    posterior = factor / (1 + factor)
    return (
        f"Whether or not any one person's row was used, the chance of producing this table "
        f"changes by at most a factor of e^{epsilon:g} = {factor:.2f}, except with a "
        f"probability of at most {delta:.2g}. Someone who thought it 50:50 that a given person "
        f"is in the data can be at most {posterior:.0%} sure after seeing the release, "
        "whatever else they know. The guarantee covers the structured columns only; the "
        "column names, their types and whether each can be empty are treated as public."
    )


def columns_covered(schema: dict[str, ColumnSchema], modelled: Sequence[str]) -> list[str]:
    return [c for c in modelled if c in schema]


def dp_statement(
    accounting: dict[str, Any] | None,
    modelled: Sequence[str],
    text_cols: Sequence[str],
    ident_cols: Sequence[str],
    text_exemplars: bool,
) -> dict[str, Any]:
    """The report's privacy accounting: the budget, what it covers and what it does not."""
    if not accounting:
        return {"applied": False,
                "reason": "no structured column was modelled, so no DP model was fitted"}
    if text_exemplars:
        text_note = ("Text was written from scrubbed real exemplars, phrases and lengths "
                     "(dp.text_exemplars = true): the text has no DP guarantee.")
    else:
        text_note = ("The LLM saw only each synthetic row and a fixed, public length: no "
                     "exemplar or statistic of real text. Generated text is still checked "
                     "against the real texts and regenerated when too similar; that filter "
                     "reads real text, so the text columns are outside the formal guarantee.")
    return {
        "applied": True,
        **accounting,
        "columns_covered": list(modelled),
        "not_covered": {
            **{c: "replaced with fakes; never modelled" for c in ident_cols},
            **{c: text_note for c in text_cols},
            "audit report": "the checks, plots and scan statistics read the real data; the "
            "report is for the reviewer and is not part of the DP release",
        },
        "reproducibility": "the DP noise comes from OpenDP's secure generator and cannot be "
        "seeded; sampling from the fitted model is seeded",
        "explanation": explain(float(accounting["epsilon"]), float(accounting["delta"])),
    }
