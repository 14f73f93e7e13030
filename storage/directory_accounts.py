"""Directory users as last seen (DATA_DIR/sessions/directory.sqlite3): their groups and when the directory was
last asked.

A directory user's session or API key names the user; their groups come
from here, read again from the directory when older than
RAG_LDAP_REFRESH_MINUTES (ui/directory.py does the asking). Shared by every
front-end that shares the data folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import sqlite

MIGRATIONS: list[str] = [
    # 1: one row per directory user who has signed in.
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        groups TEXT NOT NULL,   -- JSON list of the product's group names
        checked REAL NOT NULL   -- unix time the directory was last asked
    );
    """,
]


@dataclass(frozen=True)
class DirectoryAccount:
    name: str
    groups: tuple[str, ...]
    checked: float

    def older_than(self, seconds: float) -> bool:
        return time.time() - self.checked >= seconds


class DirectoryAccounts:
    def __init__(self, db_path: Path) -> None:
        self._db = sqlite.connect_private(db_path, MIGRATIONS)

    def seen(self, name: str, groups: list[str] | tuple[str, ...]) -> DirectoryAccount:
        """The directory says ``name`` is in ``groups`` now."""
        account = DirectoryAccount(name, tuple(sorted(set(groups))), time.time())
        self._db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?)",
                         (name, json.dumps(account.groups, ensure_ascii=False), account.checked))
        return account

    def get(self, name: str) -> DirectoryAccount | None:
        row = self._db.execute("SELECT name, groups, checked FROM accounts WHERE name = ?", (name,)).fetchone()
        return DirectoryAccount(row[0], tuple(json.loads(row[1])), row[2]) if row else None

    def forget(self, name: str) -> None:
        """The directory no longer has ``name``, or has disabled it."""
        self._db.execute("DELETE FROM accounts WHERE name = ?", (name,))

    def all(self) -> list[DirectoryAccount]:
        rows = self._db.execute("SELECT name, groups, checked FROM accounts ORDER BY name").fetchall()
        return [DirectoryAccount(r[0], tuple(json.loads(r[1])), r[2]) for r in rows]

    def close(self) -> None:
        self._db.close()
