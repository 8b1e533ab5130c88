"""privsynth: offline synthetic copies of sensitive tables, checked and gated before release."""

import logging

from privsynth.config import Config, default_config, load_config
from privsynth.errors import PrivsynthError

__version__ = "0.1.0"
__all__ = [
    "Config",
    "PrivsynthError",
    "RunResult",
    "check_dataframes",
    "default_config",
    "load_config",
    "run_file",
    "synthesize",
    "synthesize_tables",
    "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # Heavy modules (SDV, Presidio) load only when the API is used.
    if name in ("synthesize", "synthesize_tables", "RunResult"):
        from privsynth import pipeline

        return getattr(pipeline, name)
    if name in ("run_file", "check_dataframes"):
        from privsynth import api

        return getattr(api, name)
    raise AttributeError(f"module 'privsynth' has no attribute {name!r}")
