"""What the run knows about each column before any work: kind, role, overrides, bounds, domains.

Built once, right after the scan, from the detected schema, the scan's roles and the config's
``[tabular.columns]``, ``[scan.roles]`` and ``[dp.domains]``. Every later stage reads it; no
stage merges settings back mid-run. ``check_config_columns`` runs before the scan, so a config
that names a column the input lacks is an error before any work."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from privsynth.config import Config
from privsynth.errors import ConfigError
from privsynth.schema import ColumnSchema
from privsynth.vocab import Kind, Role

KINDS = tuple(k.value for k in Kind if k not in (Kind.TEXT, Kind.EMPTY))
_KEYS = {"kind", "datetime_format", "decimals", "min", "max"}


def apply_overrides(
    schema: dict[str, ColumnSchema], overrides: dict[str, Any]
) -> dict[str, ColumnSchema]:
    """The schema with ``[tabular.columns]`` applied; unknown columns and keys are errors."""
    out = dict(schema)
    for col, spec in overrides.items():
        where = f"tabular.columns.{col}"
        if col not in schema:
            raise ConfigError(f"{where}: the input has no column '{col}'")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a table of settings")
        extra = set(spec) - _KEYS
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        changes: dict[str, Any] = {}
        if "kind" in spec:
            if spec["kind"] not in KINDS:
                raise ConfigError(f"{where}.kind must be one of {', '.join(KINDS)}")
            changes["kind"] = spec["kind"]
        if "datetime_format" in spec:
            if not isinstance(spec["datetime_format"], str) or "%" not in spec["datetime_format"]:
                raise ConfigError(f"{where}.datetime_format must be a strftime format")
            changes["datetime_format"] = spec["datetime_format"]
        if "decimals" in spec:
            d = spec["decimals"]
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 12:
                raise ConfigError(f"{where}.decimals must be an integer from 0 to 12")
            changes["decimals"] = d
        for bound in ("min", "max"):
            if bound in spec and (
                isinstance(spec[bound], bool) or not isinstance(spec[bound], (int, float, str))
            ):
                raise ConfigError(f"{where}.{bound} must be a number (or a date string)")
        cs = dataclasses.replace(schema[col], **changes)
        if cs.kind == "datetime" and not cs.datetime_format:
            cs = dataclasses.replace(cs, datetime_format="%Y-%m-%d")
        out[col] = cs
    return out


def bounds(overrides: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """User bounds by column: (min or None, max or None)."""
    return {
        col: (spec.get("min"), spec.get("max"))
        for col, spec in overrides.items()
        if isinstance(spec, dict) and ("min" in spec or "max" in spec)
    }



def check_config_columns(columns: Sequence[str], config: Config) -> None:
    """Every column ``[tabular.columns]`` names must be in the input (the scan checks
    ``[scan.roles]`` the same way before it reads a value)."""
    present = set(columns)
    for col in config.tabular.columns:
        if col not in present:
            raise ConfigError(f"tabular.columns.{col}: the input has no column '{col}'")


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    kind: Kind
    role: Role
    schema: ColumnSchema = field(repr=False)
    # The dominant identifying entity the scan found, if any.
    entity: str | None = None
    overridden: bool = False
    bounds: tuple[Any, Any] | None = None
    domain: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class TableMetadata:
    """The columns in input order, each with its kind, role and user settings."""

    columns: tuple[ColumnMeta, ...]

    @classmethod
    def build(
        cls, schema: dict[str, ColumnSchema], roles: dict[str, str],
        entities: dict[str, str | None], config: Config,
    ) -> TableMetadata:
        full = apply_overrides(schema, config.tabular.columns)
        user_bounds = bounds(config.tabular.columns)
        # Overrides shape what is modelled; identifiers and text keep their detected kind.
        modelled = {
            c for c, cs in schema.items()
            if roles[c] not in (Role.IDENTIFIER, Role.TEXT) and cs.kind != Kind.EMPTY
        }
        chosen = {c: full[c] if c in modelled else schema[c] for c in schema}
        return cls(tuple(
            ColumnMeta(
                name, Kind(chosen[name].kind), Role(roles[name]), chosen[name],
                entities.get(name), name in modelled and name in config.tabular.columns,
                user_bounds.get(name),
                tuple(config.dp.domains[name]) if name in config.dp.domains else None,
            )
            for name in schema
        ))

    @property
    def schema(self) -> dict[str, ColumnSchema]:
        return {c.name: c.schema for c in self.columns}

    def with_role(self, *roles: Role) -> list[str]:
        return [c.name for c in self.columns if c.role in roles]

    @property
    def modelled(self) -> list[str]:
        """Columns a synthesizer models: not identifiers, not free text, not empty."""
        return [
            c.name for c in self.columns
            if c.role not in (Role.IDENTIFIER, Role.TEXT) and c.kind != Kind.EMPTY
        ]

    @property
    def identifier_columns(self) -> list[str]:
        return self.with_role(Role.IDENTIFIER)

    @property
    def text_columns(self) -> list[str]:
        return self.with_role(Role.TEXT)

    @property
    def quasi_identifiers(self) -> list[str]:
        return [c for c in self.with_role(Role.QUASI) if c in self.modelled]

    @property
    def sensitive(self) -> list[str]:
        return [c for c in self.with_role(Role.SENSITIVE) if c in self.modelled]

    @property
    def empty_columns(self) -> list[str]:
        """Empty columns that are neither identifiers nor text: written back empty."""
        return [
            c.name for c in self.columns
            if c.kind == Kind.EMPTY and c.role not in (Role.IDENTIFIER, Role.TEXT)
        ]

    def entity_of(self, column: str) -> str | None:
        return next(c.entity for c in self.columns if c.name == column)


__all__ = [
    "ColumnMeta", "TableMetadata", "apply_overrides", "bounds", "check_config_columns",
]
