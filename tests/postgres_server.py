"""A real PostgreSQL server (Debian's postgresql) for the tests of the state in a database: a cluster made by
initdb in a folder of its own, on a free loopback port, password sign-in (scram-sha-256), stopped and started
again by the tests. PostgreSQL refuses to run as root: a root session runs it as the postgres account."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.helpers import free_port

USER = "rag"
PASSWORD = "database secret for the tests"


def _bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def available() -> bool:
    return _bin() is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)


@dataclass
class PostgresServer:
    folder: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def new_database(self) -> str:
        """The URL of a new, empty database: each test its own."""
        name = f"test_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(_bin() / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.folder)


def make() -> PostgresServer:
    """A running server with its superuser ``rag``, in a new folder under the system's temporary folder (the
    postgres account cannot enter a root test's own)."""
    folder = Path(tempfile.mkdtemp(prefix="rag-postgres-"))
    (folder / "password").write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(folder / "password", "postgres", "postgres")
    server = PostgresServer(folder, free_port())
    server._run("initdb", "-D", str(folder / "data"), "-U", USER, "--pwfile", str(folder / "password"),
                "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
    server.start()
    return server
