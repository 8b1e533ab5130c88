"""A throwaway PostgreSQL server for the database tests: Debian's ``postgresql`` package (the
Makefile's ``postgres`` target installs it), a fresh cluster in a temporary folder, password
authentication, and no TCP at all: it listens on a Unix socket in that folder only."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

USER = "privsynth"
PASSWORD = "pg-Secret-4417"  # a test's own cluster: never a real credential
PORT = 5432  # only names the socket file: listen_addresses is empty


@dataclass(frozen=True)
class Server:
    socket_dir: Path
    data_dir: Path

    def url(self, database: str, password: str | None = PASSWORD) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{USER}{secret}@/{database}?host={self.socket_dir}&port={PORT}"


def bindir() -> Path | None:
    """The newest installed server's programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _as_owner(argv: list[str]) -> list[str]:
    """The server refuses to run as root: as root, run it as Debian's ``postgres`` user."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def start(base: Path) -> tuple[Server | None, str]:
    """A running server under ``base``, or None and why not."""
    programs = bindir()
    if programs is None:
        return None, "PostgreSQL is not installed (make postgres installs it)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return None, "running as root without runuser: cannot start PostgreSQL"
    data, sockets = base / "data", base / "socket"
    sockets.mkdir(parents=True)
    secret = base / "pwfile"
    secret.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        try:
            shutil.chown(base, "postgres")
            shutil.chown(sockets, "postgres")
            shutil.chown(secret, "postgres")
        except (LookupError, OSError) as exc:
            return None, f"cannot hand the cluster folder to the postgres user: {exc}"
        base.chmod(0o755)
    steps = [
        [str(programs / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(secret),
         "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
        [str(programs / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
         "-t", "60", "-o", f"-c listen_addresses='' -k {sockets} -p {PORT} -c fsync=off",
         "start"],
    ]
    for argv in steps:
        done = subprocess.run(_as_owner(argv), capture_output=True, text=True, timeout=120,
                              check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"{Path(argv[0]).name} failed: {tail[0]}"
    return Server(sockets, data), ""


def stop(server: Server) -> None:
    programs = bindir()
    if programs is not None:
        subprocess.run(_as_owner([str(programs / "pg_ctl"), "-D", str(server.data_dir), "-m",
                                  "immediate", "stop"]), capture_output=True, timeout=60,
                       check=False)


def create_database(server: Server, name: str) -> str:
    """An empty database on the server; its URL (with the password)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server.url("postgres").replace("postgresql://",
                                                          "postgresql+psycopg://"),
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server.url(name)
