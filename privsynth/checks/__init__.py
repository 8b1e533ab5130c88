"""Disclosure and fidelity checks, each in its own file, run through one registry."""

from privsynth.checks.base import CheckContext, CheckResult, Measurement
from privsynth.checks.registry import DEFAULT_CHECKS, run_checks

__all__ = ["CheckContext", "CheckResult", "Measurement", "DEFAULT_CHECKS", "run_checks"]
