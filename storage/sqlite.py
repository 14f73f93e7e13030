"""SQLite databases with numbered migrations: the manifest, the sign-in sessions.

``PRAGMA user_version`` holds how many migrations ran: add a migration,
never edit one that shipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(db_path: Path, migrations: list[str]) -> sqlite3.Connection:
    """The database, created if need be and migrated to the latest schema.

    isolation_level=None: each change is one atomic statement (synchronous=FULL
    survives SIGKILL and power loss alike). check_same_thread=False: the
    server uses it from request threads; SQLite serialises access to one
    connection.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(migrations[version:], start=version + 1):
        # executescript commits on its own; user_version is bumped in the
        # same script so a crash cannot leave a migration half-recorded.
        db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    return db


def connect_private(db_path: Path, migrations: list[str]) -> sqlite3.Connection:
    """connect(), in a folder of its own that only the server's account may enter: SQLite's -wal and -shm
    files sit beside the database, and these hold users' words, keys or sessions."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.parent.chmod(0o700)
    return connect(db_path, migrations)
