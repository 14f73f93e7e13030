"""Sign-in sessions (DATA_DIR/sessions/sessions.sqlite3, or the database server): a random token per session,
stored only as its hash.

A session names its user, not their groups: a group change or a removed
user takes effect on the next request. Sessions survive a server restart.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

from .database import Migrations, open_database

MIGRATIONS = Migrations("sessions", sqlite=[
    # 1: one row per signed-in browser or script.
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,    -- sha256 of the cookie's token; the token itself is never stored
        user TEXT NOT NULL,
        created REAL NOT NULL,          -- unix time
        expires REAL NOT NULL
    );
    """,
], postgresql=[
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        "user" TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        expires DOUBLE PRECISION NOT NULL
    );
    """,
])


class Sessions:
    def __init__(self, db_path: Path, hours: float, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)
        self.seconds = hours * 3600

    def create(self, user: str) -> str:
        """A new session's token (the cookie's value)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        self._db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
        self._db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (_hash(token), user, now, now + self.seconds))
        return token

    def user(self, token: str) -> str | None:
        """The user a live session belongs to; None for an unknown, forged or expired token."""
        row = self._db.execute('SELECT "user", expires FROM sessions WHERE token_hash = ?', (_hash(token),)).fetchone()
        return row[0] if row and row[1] > time.time() else None

    def end(self, token: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def close(self) -> None:
        self._db.close()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
