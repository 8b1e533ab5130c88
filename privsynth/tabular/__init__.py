"""Structured synthesis: a synthesizer protocol, SDV adapters and a registry by name."""

from privsynth.tabular.base import Synthesizer
from privsynth.tabular.registry import create, names

__all__ = ["Synthesizer", "create", "names"]
