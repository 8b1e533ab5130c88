"""Rules a config must satisfy beyond its types: choices, cross-key rules, user recognizers
and memory sizes. A leaf like the config itself: nothing here imports a stage."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from privsynth.errors import ConfigError
from privsynth.vocab import (
    ENGINES,
    GATE_RULES,
    OUTPUT_FORMATS,
    POLICIES,
    PROMPTING,
    ROLES,
    SCRUB_OPERATORS,
    SYNTHESIZERS,
    UNMODELLED_COLUMNS,
)

if TYPE_CHECKING:
    from privsynth.config import Config

_ENTITY_RE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_USER_KEYS = {"entity", "regex", "deny_list", "context", "score"}
_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$", re.IGNORECASE)


def _one_of(key: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ConfigError(f"{key} '{value}' is unknown; choose one of {', '.join(choices)}")


def check_cross_rules(cfg: Config) -> None:
    if cfg.policy not in POLICIES:
        raise ConfigError(f"policy '{cfg.policy}' is unknown; choose one of {', '.join(POLICIES)}")
    for column, role in cfg.scan.roles.items():
        if role not in ROLES:
            raise ConfigError(
                f"scan.roles: role '{role}' for column '{column}' is not one of {', '.join(ROLES)}"
            )
    validate_user_recognizers(cfg.scan.recognizers)
    parse_memory(cfg.max_memory)
    _one_of("text.scrub_operator", cfg.text.scrub_operator, SCRUB_OPERATORS)
    _one_of("text.prompting", cfg.text.prompting, PROMPTING)
    _check_dp(cfg)
    _one_of("output.format", cfg.output.format, OUTPUT_FORMATS)
    _one_of("database.unmodelled_columns", cfg.database.unmodelled_columns, UNMODELLED_COLUMNS)
    _one_of("engine.kind", cfg.engine.kind, ENGINES)
    _one_of("gate.rule", cfg.gate.rule, GATE_RULES)
    if cfg.engine.scheduler and cfg.engine.kind != "dask":
        raise ConfigError("engine.scheduler is set but engine.kind is not \"dask\"")
    check_relations(cfg.relations)
    if cfg.tabular.synthesizer not in SYNTHESIZERS:
        raise ConfigError(
            f"tabular.synthesizer '{cfg.tabular.synthesizer}' is unknown; "
            f"choose one of {', '.join(SYNTHESIZERS)}"
        )


_TABLE_COLUMN = re.compile(r"^[^.]+\.[^.].*$")  # the table is up to the first dot


def check_relations(relations: list[dict[str, Any]]) -> None:
    """Each relation names exactly a parent and a child, each "table.column"."""
    for i, rel in enumerate(relations, 1):
        keys = set(rel)
        if keys != {"parent", "child"}:
            raise ConfigError(
                f"relations entry {i} must have exactly the keys parent and child, got "
                f"{', '.join(sorted(keys)) or 'none'}")
        for side in ("parent", "child"):
            value = rel[side]
            if not isinstance(value, str) or not _TABLE_COLUMN.match(value):
                raise ConfigError(
                    f"relations entry {i}: {side} must be \"table.column\", got {value!r}")
        if rel["parent"] == rel["child"]:
            raise ConfigError(f"relations entry {i}: a column cannot be its own parent")


def _check_dp(cfg: Config) -> None:
    """epsilon > 0; delta "auto" (1/n^2) or a number in (0, 1) (below 1/n is checked at fit,
    when n is known); domains map column names to non-empty lists of distinct values."""
    dp = cfg.dp
    if not math.isfinite(dp.epsilon) or dp.epsilon <= 0:
        raise ConfigError(f"config key 'dp.epsilon' must be greater than 0, got {dp.epsilon:g}")
    if isinstance(dp.delta, str):
        if dp.delta != "auto":
            raise ConfigError(
                f"config key 'dp.delta' must be \"auto\" or a number, got '{dp.delta}'"
            )
    elif isinstance(dp.delta, bool) or not isinstance(dp.delta, (int, float)):
        raise ConfigError("config key 'dp.delta' must be \"auto\" or a number")
    elif not (0 < dp.delta < 1) or not math.isfinite(dp.delta):
        raise ConfigError(
            f"config key 'dp.delta' must be greater than 0 and below 1/n, got {dp.delta:g}"
        )
    for column, values in dp.domains.items():
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, (str, int, float, bool)) for v in values)
        ):
            raise ConfigError(
                f"dp.domains: '{column}' must be a non-empty list of category values"
            )
        if len({str(v) for v in values}) != len(values):
            raise ConfigError(f"dp.domains: '{column}' lists a value twice")


def validate_user_recognizers(specs: list[dict[str, Any]]) -> None:
    """Raise ConfigError naming the first problem in ``scan.recognizers``."""
    for i, spec in enumerate(specs):
        where = f"scan.recognizers[{i}]"
        unknown = sorted(set(spec) - _USER_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
        entity = spec.get("entity")
        if not isinstance(entity, str) or not _ENTITY_RE.fullmatch(entity):
            raise ConfigError(f"{where}: 'entity' must be an upper-case name such as EMPLOYEE_ID")
        regex, deny = spec.get("regex", []), spec.get("deny_list", [])
        for key, value in (
            ("regex", regex),
            ("deny_list", deny),
            ("context", spec.get("context", [])),
        ):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings")
        if not regex and not deny:
            raise ConfigError(f"{where}: give 'regex' or 'deny_list' (or both)")
        for rx in regex:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ConfigError(f"{where}: regex {rx!r} does not compile: {exc}") from None
        score = spec.get("score", 0.8)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 < score <= 1:
            raise ConfigError(f"{where}: 'score' must be a number in (0, 1]")


def parse_memory(text: str) -> int | None:
    """Bytes for "4GB"/"512MB"/"auto", or None for "off". Raises ConfigError otherwise."""
    value = text.strip().lower()
    if value == "off":
        return None
    if value == "auto":
        return available_memory() // 2
    m = _SIZE.match(text)
    if not m:
        raise ConfigError(
            f"max_memory '{text}' is not a size; use a value such as 4GB or 512MB, auto or off"
        )
    unit = m.group(2).upper()
    unit = unit if unit.endswith("B") or not unit else unit + "B"
    size = int(float(m.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ConfigError("max_memory must be more than 0")
    return size


def available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30  # pragma: no cover - no /proc: assume a modest machine
