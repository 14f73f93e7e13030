"""API keys (DATA_DIR/keys/keys.sqlite3, or the database server): each acts as one user, and is stored only as a hash.

A key reads ``rag-<id>-<secret>``: the id finds its row, the secret is
checked against the row's SHA-256 in constant time. The secret is 32 random
bytes, so a plain hash is enough (a slow password hash such as argon2 guards
guessable passwords, which this is not, and would cost every request).
Revoked keys stay listed with the time they were revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .database import Migrations, open_database

MIGRATIONS = Migrations("keys", sqlite=[
    # 1: one row per key ever made.
    """
    CREATE TABLE keys (
        id TEXT PRIMARY KEY,            -- public part of the key, shown by `keys list`
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,      -- sha256 of the secret part; the key itself is never stored
        created REAL NOT NULL,          -- unix time
        last_used REAL,
        revoked REAL
    );
    """,
], postgresql=[
    """
    CREATE TABLE keys (
        id TEXT PRIMARY KEY,
        "user" TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        last_used DOUBLE PRECISION,
        revoked DOUBLE PRECISION
    );
    """,
])

KEY = re.compile(r"rag-([A-Za-z0-9]{12})-([A-Za-z0-9_-]{43})")
LAST_USED_EVERY = 60.0  # seconds: a key in steady use is written at most this often


@dataclass(frozen=True)
class ApiKey:
    id: str
    user: str
    name: str
    created: float
    last_used: float | None
    revoked: float | None


class ApiKeys:
    def __init__(self, db_path: Path, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)
        self._lock = threading.Lock()

    def create(self, user: str, name: str = "") -> tuple[ApiKey, str]:
        """A new key for the user: its record, and the key itself (shown once, never again)."""
        key_id = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
        secret = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                             (key_id, user, name, _hash(secret), now))
        return ApiKey(key_id, user, name, now, None, None), f"rag-{key_id}-{secret}"

    def list(self, user: str | None = None) -> list[ApiKey]:
        query = 'SELECT id, "user", name, created, last_used, revoked FROM keys'
        with self._lock:
            rows = self._db.execute(query + (' WHERE "user" = ?' if user else "") + " ORDER BY created",
                                    (user,) if user else ()).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """False when there is no such key, or it was revoked already."""
        with self._lock:
            changed = self._db.execute("UPDATE keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                       (time.time(), key_id)).rowcount
        return changed == 1

    def user_of(self, key: str) -> tuple[str, str] | None:
        """(key id, user) of a live key; None for a malformed, unknown or revoked one."""
        match = KEY.fullmatch(key)
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._lock:
            row = self._db.execute('SELECT "user", secret_hash, last_used FROM keys WHERE id = ? AND revoked IS NULL',
                                   (key_id,)).fetchone()
            if row is None or not hmac.compare_digest(row[1], _hash(secret)):
                return None
            now = time.time()
            if row[2] is None or now - row[2] > LAST_USED_EVERY:
                self._db.execute("UPDATE keys SET last_used = ? WHERE id = ?", (now, key_id))
        return key_id, row[0]

    def close(self) -> None:
        self._db.close()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
