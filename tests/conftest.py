"""Shared fixtures. Every test runs with internet sockets blocked."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "customers.csv"
DATASETS = ROOT.parent / "shared" / "datasets"


class NetworkBlocked(RuntimeError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


# Every blocked attempt is recorded, so a test can prove that nothing even tried.
NETWORK_ATTEMPTS: list[str] = []


# A local Dask cluster talks over loopback TCP: that never leaves the machine.
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _loopback(address: object) -> bool:
    return isinstance(address, tuple) and bool(address) and address[0] in _LOOPBACK


def _guard(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
        NETWORK_ATTEMPTS.append(repr(address))
        raise NetworkBlocked(f"network access attempted in a test: {address!r}")


def _connect(self: socket.socket, address: object) -> None:
    _guard(self, address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    _guard(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname


def _no_dns(*args: object, **kwargs: object) -> object:
    if args and args[0] in _LOOPBACK:
        lookup = _real_getaddrinfo if len(args) > 1 else _real_gethostbyname
        return lookup(*args, **kwargs)  # type: ignore[operator]
    NETWORK_ATTEMPTS.append(repr(args[:1]))
    raise NetworkBlocked(f"DNS lookup attempted in a test: {args[:1]!r}")


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _no_dns  # type: ignore[assignment]
    socket.gethostbyname = _no_dns  # type: ignore[assignment]


@pytest.fixture(scope="session")
def customers() -> pd.DataFrame:
    from privsynth.io import read_table

    return read_table(SAMPLE)


@pytest.fixture(scope="session")
def small_customers(customers: pd.DataFrame) -> pd.DataFrame:
    return customers.head(300).copy()


@pytest.fixture
def tmp_csv(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "input.csv"
