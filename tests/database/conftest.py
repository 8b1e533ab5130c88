"""The database tests' real servers: SQLite files, and a PostgreSQL cluster of their own
started here for the session (skipped, with the reason, where it cannot start)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.database import pgserver


@pytest.fixture(scope="session")
def postgres() -> Iterator[pgserver.Server]:
    # Not under pytest's tmp folder: the server runs as the postgres user, which cannot
    # enter root's private temp folders.
    base = Path(tempfile.mkdtemp(prefix="privsynth-pg-"))
    server, why = pgserver.start(base)
    if server is None:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server for the database tests: {why}")
    try:
        yield server
    finally:
        pgserver.stop(server)
        shutil.rmtree(base, ignore_errors=True)
