"""One exception tree. Every error a user can cause maps to exit code 2; internal ones to 1."""

from __future__ import annotations


class PrivsynthError(Exception):
    """Root of all privsynth errors. ``exit_code`` is what the CLI returns for it."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # Messages are one line: the CLI prints them as they are.
        super().__init__(" ".join(str(message).split()))


class UserError(PrivsynthError):
    """Something the user can fix: bad input, bad config, missing model."""

    exit_code = 2


class InputError(UserError):
    """The input table cannot be read or is unusable."""


class ConfigError(UserError):
    """The config file or a flag is invalid."""


class ModelError(UserError):
    """A model (spaCy or GGUF) is missing, unreadable or fails verification."""


class OutputError(UserError):
    """The output directory cannot be used (exists, not writable)."""


class NotFittedError(PrivsynthError):
    """A stage object was used before ``fit``."""


class ScanError(PrivsynthError):
    """The PII scan failed internally."""


class SynthesisError(PrivsynthError):
    """A synthesizer failed internally."""


class TextGenerationError(PrivsynthError):
    """Text generation failed internally."""


class CheckError(PrivsynthError):
    """A check failed to compute. The gate treats this as a refusal."""


class ClusterError(PrivsynthError):
    """The Dask cluster cannot be reached, or lost work it could not redo. Nothing is written."""

    exit_code = 4
