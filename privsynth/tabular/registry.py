"""Synthesizers by name. Factories import SDV lazily so that the CLI starts fast."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from privsynth.tabular.base import Synthesizer
from privsynth.vocab import SYNTHESIZERS


def _sdv(kind: str) -> Callable[..., Synthesizer]:
    def factory(
        params: dict[str, Any], seed: int, constraints: list[Any] | None = None
    ) -> Synthesizer:
        from privsynth.tabular.sdv_adapter import SdvSynthesizer

        return SdvSynthesizer(kind, params, seed=seed, constraints=constraints)

    return factory


_FACTORIES: dict[str, Callable[..., Synthesizer]] = {
    "gaussian_copula": _sdv("gaussian_copula"),
    "ctgan": _sdv("ctgan"),
    "tvae": _sdv("tvae"),
    "copulagan": _sdv("copulagan"),
}


def _dp(name: str) -> Callable[..., Synthesizer]:
    def factory(
        params: dict[str, Any], seed: int, constraints: list[Any] | None = None
    ) -> Synthesizer:
        """``params``: epsilon, delta, bins, bounds_share, domains (the [dp] keys), and
        bounds {column: (min, max)} in model units; missing keys take the [dp] defaults."""
        from privsynth.config import default_config
        from privsynth.tabular.dp import DpSynthesizer

        d = {**dataclasses.asdict(default_config().dp), "bounds": {}, **params}
        return DpSynthesizer(
            name, d["epsilon"], d["delta"], d["bins"], d["bounds_share"], d["domains"],
            d["bounds"], seed,
        )

    return factory


# Differentially private synthesizers: the structured stage passes the [dp] budget.
DP_NAMES = ("dp-aim", "dp-mst")
_FACTORIES.update({name: _dp(name) for name in DP_NAMES})


def names() -> list[str]:
    return sorted(_FACTORIES)


# The config validates names against the vocabulary, which must list exactly these.
assert tuple(names()) == SYNTHESIZERS, "privsynth.vocab.SYNTHESIZERS is out of date"


def create(
    name: str,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    constraints: list[Any] | None = None,
) -> Synthesizer:
    return _FACTORIES[name](dict(params or {}), seed, constraints)
