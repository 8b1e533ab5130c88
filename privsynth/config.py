"""Frozen, validated configuration: shipped TOML defaults, then a user file, then CLI flags."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from privsynth.errors import ConfigError
from privsynth.vocab import POLICIES


@dataclass(frozen=True)
class ScanConfig:
    sample_size: int
    score_threshold: float
    match_share: float
    unique_share: float
    roles: dict[str, str] = field(default_factory=dict)
    recognizers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TabularConfig:
    synthesizer: str
    rare_category_min_count: int
    clip_extremes: bool
    max_fit_rows: int
    stratify_by: str
    mixture_components: int
    params: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    constraints: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TextConfig:
    enabled: bool
    model_path: str
    n_threads: int
    n_ctx: int
    max_tokens: int
    temperature: float
    top_p: float
    examples: int
    retries: int
    template: str
    prompting: str
    batch_sequences: int
    group_column: str
    scrub_operator: str
    ngram: int
    rare_ngram_min_texts: int
    max_nearest_similarity: float
    short_examples: int = 5


@dataclass(frozen=True)
class ChecksConfig:
    bootstrap: int
    min_eval_rows: int
    max_eval_rows: int
    attacks: int
    canaries: int
    utility_target: str


@dataclass(frozen=True)
class SuppressionConfig:
    distance_quantile: float
    rare_qi_min_count: int


@dataclass(frozen=True)
class GateConfig:
    # How a measurement is judged: "leak_evidence", "upper_ci" or "value" (checks/judge.py).
    rule: str
    alpha: float
    min_power: float
    power_copied_share: float
    accept_dp_epsilon: float
    max_mia_auc: float
    max_mia_auc_outliers: float
    max_dcr_share: float
    max_nndr_share: float
    max_ims_excess: float
    max_too_close_excess: float
    max_mia_tpr_excess: float
    max_singling_out_risk: float
    max_linkability_risk: float
    max_inference_risk: float
    max_cap_excess: float
    max_identifier_replay: int
    max_canaries_found: int
    min_column_similarity: float
    min_pair_similarity: float
    max_detection_auc: float
    max_utility_gap: float
    min_text_length_similarity: float
    min_text_vocabulary_similarity: float
    max_text_memorization_excess: float
    max_text_retelling_excess: float
    max_text_fallback_share: float
    max_text_detection_auc: float
    not_applicable_ok: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DpConfig:
    epsilon: float
    delta: float | str
    bins: int
    bounds_share: float
    domains: dict[str, Any] = field(default_factory=dict)
    text_exemplars: bool = False


@dataclass(frozen=True)
class OutputConfig:
    neutralise_formulas: bool
    format: str = "auto"
    part_rows: int = 1_000_000


@dataclass(frozen=True)
class DatabaseConfig:
    # A column of a type privsynth does not model (binary, JSON, arrays, geometry): "drop"
    # it, "keep" it as an all-NULL column of its own type, or "refuse" the run.
    unmodelled_columns: str = "drop"


@dataclass(frozen=True)
class EngineConfig:
    kind: str = "local"
    scheduler: str = ""
    workers: int = 2
    threads_per_worker: int = 1
    retries: int = 2
    sample_chunk_rows: int = 100_000
    text_chunk_rows: int = 256
    check_chunk_rows: int = 20_000


@dataclass(frozen=True)
class Config:
    seed: int
    policy: str
    rows: int
    holdout_share: float
    max_memory: str
    output: OutputConfig
    scan: ScanConfig
    tabular: TabularConfig
    text: TextConfig
    checks: ChecksConfig
    suppression: SuppressionConfig
    gate: GateConfig
    dp: DpConfig
    engine: EngineConfig
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    # [[relations]]: {parent = "table.key", child = "table.foreign_key"}; a folder of tables
    # with relations is a set of linked tables.
    relations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def differentially_private(self) -> bool:
        return self.tabular.synthesizer.startswith("dp-")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def sha256(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def replace(self, **changes: Any) -> Config:
        """Return a copy with top-level or dotted keys changed, validated again."""
        raw = self.to_dict()
        for key, value in changes.items():
            _set_dotted(raw, key.replace("__", "."), value)
        return _build(Config, raw, "")


# Range rules: (minimum, maximum) inclusive; None means unbounded.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "seed": (0, 2**32 - 1),
    "rows": (0, None),
    "holdout_share": (0.05, 0.5),
    "scan.sample_size": (1, None),
    "scan.score_threshold": (0.0, 1.0),
    "scan.match_share": (0.0, 1.0),
    "scan.unique_share": (0.0, 1.0),
    "tabular.rare_category_min_count": (0, 1_000_000),
    "tabular.max_fit_rows": (0, None),
    "tabular.mixture_components": (1, 64),
    "text.n_threads": (1, 256),
    "text.n_ctx": (128, 131072),
    "text.max_tokens": (1, 4096),
    "text.temperature": (0.0, 5.0),
    "text.top_p": (0.0, 1.0),
    "text.examples": (0, 20),
    "text.short_examples": (0, 20),
    "text.retries": (0, 20),
    "text.batch_sequences": (1, 64),
    "text.ngram": (2, 64),
    "text.rare_ngram_min_texts": (1, 1_000_000),
    "text.max_nearest_similarity": (0.0, 1.0),
    "dp.bins": (2, 64),
    "output.part_rows": (1000, None),
    "engine.workers": (1, 1024),
    "engine.threads_per_worker": (1, 256),
    "engine.retries": (0, 20),
    "engine.sample_chunk_rows": (100, None),
    "engine.text_chunk_rows": (1, None),
    "engine.check_chunk_rows": (100, None),
    "dp.bounds_share": (0.01, 0.5),
    "checks.bootstrap": (10, 100000),
    "checks.min_eval_rows": (0, 10_000_000),
    "checks.max_eval_rows": (0, 100_000_000),
    "checks.attacks": (10, 1_000_000),
    "checks.canaries": (0, 1000),
    "suppression.distance_quantile": (0.0, 0.5),
    "suppression.rare_qi_min_count": (0, 1_000_000),
    "gate.alpha": (1e-6, 0.5),
    "gate.min_power": (0.0, 1.0),
    "gate.power_copied_share": (0.001, 0.5),
    "gate.accept_dp_epsilon": (0.0, None),
    "gate.max_mia_auc": (0.5, 1.0),
    "gate.max_mia_auc_outliers": (0.5, 1.0),
    "gate.max_dcr_share": (0.5, 1.0),
    "gate.max_nndr_share": (0.5, 1.0),
    "gate.max_ims_excess": (0.0, 1.0),
    "gate.max_too_close_excess": (0.0, 1.0),
    "gate.max_mia_tpr_excess": (0.0, 1.0),
    "gate.max_singling_out_risk": (0.0, 1.0),
    "gate.max_linkability_risk": (0.0, 1.0),
    "gate.max_inference_risk": (0.0, 1.0),
    "gate.max_cap_excess": (0.0, 1.0),
    "gate.max_identifier_replay": (0, None),
    "gate.max_canaries_found": (0, None),
    "gate.min_column_similarity": (0.0, 1.0),
    "gate.min_pair_similarity": (0.0, 1.0),
    "gate.max_detection_auc": (0.5, 1.0),
    "gate.max_utility_gap": (0.0, 1.0),
    "gate.min_text_length_similarity": (0.0, 1.0),
    "gate.min_text_vocabulary_similarity": (0.0, 1.0),
    "gate.max_text_memorization_excess": (0.0, 1.0),
    "gate.max_text_retelling_excess": (0.0, 1.0),
    "gate.max_text_fallback_share": (0.0, 1.0),
    "gate.max_text_detection_auc": (0.5, 1.0),
}



def default_config() -> Config:
    return _build(Config, _default_raw(), "")




def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Defaults, then the policy preset's [gate], then a user TOML file, then overrides."""
    raw = _default_raw()
    user = _read_toml(Path(path)) if path is not None else {}
    policy = overrides.get("policy") or user.get("policy") or raw["policy"]
    _merge(raw, {"gate": _preset(policy)}, "")
    _merge(raw, user, "")
    for key, value in overrides.items():
        if value is not None:
            _set_dotted(raw, key.replace("__", "."), value)
    return _build(Config, raw, "")


def _preset(name: object) -> dict[str, Any]:
    if name not in POLICIES:
        raise ConfigError(f"policy '{name}' is unknown; choose one of {', '.join(POLICIES)}")
    if name == "default":
        return {}
    text = files("privsynth").joinpath(f"defaults/policy_{name}.toml").read_text("utf-8")
    gate: dict[str, Any] = tomllib.loads(text)["gate"]
    return gate


def _default_raw() -> dict[str, Any]:
    text = files("privsynth").joinpath("defaults/config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], user: dict[str, Any], prefix: str) -> None:
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if dotted in _RENAMED:
            raise ConfigError(_RENAMED[dotted])
        if key not in base:
            raise ConfigError(f"unknown config key '{dotted}'; see the README for valid keys")
        if isinstance(base[key], dict) and isinstance(value, dict) and key not in _FREE_TABLES:
            _merge(base[key], value, dotted + ".")
        else:
            base[key] = value


_RENAMED = {
    "gate.judge_upper_ci": (
        "config key 'gate.judge_upper_ci' was replaced by gate.rule: \"upper_ci\" for true, "
        "\"value\" for false, \"leak_evidence\" for the default rule"
    ),
    "gate.max_text_memorization_share": (
        "config key 'gate.max_text_memorization_share' was replaced by "
        "gate.max_text_memorization_excess: the share beyond the holdout's own (about 0.05), "
        "so a share of 0.15 is an excess of 0.10"
    ),
}

# Tables whose keys are user data (column names, synthesizer parameters), not schema.
_FREE_TABLES = {"roles", "params", "columns", "domains"}


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = raw
    for part in parts[:-1]:
        if part not in node or not isinstance(node[part], dict):
            raise ConfigError(f"unknown config key '{dotted}'")
        node = node[part]
    if parts[-1] not in node:
        raise ConfigError(f"unknown config key '{dotted}'")
    node[parts[-1]] = value


T = typing.TypeVar("T")


def _build(cls: type[T], raw: Any, prefix: str) -> T:
    if not isinstance(raw, dict):
        raise ConfigError(f"config key '{prefix.rstrip('.')}' must be a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if f"{prefix}{key}" in _RENAMED:
            raise ConfigError(_RENAMED[f"{prefix}{key}"])
        if key not in names:
            raise ConfigError(f"unknown config key '{prefix}{key}'; see the README for valid keys")
    values: dict[str, Any] = {}
    for name in names:
        dotted = f"{prefix}{name}"
        if name not in raw:
            raise ConfigError(f"config key '{dotted}' is missing")
        values[name] = _coerce(hints[name], raw[name], dotted)
        _check_range(dotted, values[name])
    cfg = cls(**values)
    if cls is Config:
        from privsynth.config_rules import check_cross_rules

        check_cross_rules(cfg)  # type: ignore[arg-type]
    return cfg


def _coerce(hint: Any, value: Any, dotted: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, dotted + ".")
    origin = typing.get_origin(hint)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{dotted}' must be a table")
        _, vtype = typing.get_args(hint)
        if vtype is str and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"config key '{dotted}' must map names to strings")
        return dict(value)
    if origin is list:
        (item,) = typing.get_args(hint)
        if typing.get_origin(item) is dict:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f"config key '{dotted}' must be a list of tables")
            return [dict(v) for v in value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config key '{dotted}' must be a list of strings")
        return list(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{dotted}' must be true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key '{dotted}' must be an integer, got {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key '{dotted}' must be a number, got {_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key '{dotted}' must be a string, got {_kind(value)}")
        return value
    if isinstance(hint, types.UnionType):  # pragma: no cover - no unions in the schema yet
        return value
    raise ConfigError(f"config key '{dotted}' has an unsupported type")  # pragma: no cover


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        dict: "a table",
        list: "a list",
    }.get(type(value), type(value).__name__)


def _check_range(dotted: str, value: Any) -> None:
    bounds = _RANGES.get(dotted)
    if bounds is None:
        return
    low, high = bounds
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"config key '{dotted}' must be {span}, got {value}")
