"""Directory users as last seen (DATA_DIR/sessions/directory.sqlite3, or the database server): their groups and
when the directory was last asked.

A directory user's session or API key names the user; their groups come
from here, read again from the directory when older than
RAG_LDAP_REFRESH_MINUTES (ui/auth.py does the asking). Shared by every
front-end that shares the data folder or the database.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from settings import Settings

from .database import Migrations, open_database

MIGRATIONS = Migrations("directory_accounts", sqlite=[
    # 1: one row per directory user who has signed in.
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        groups TEXT NOT NULL,   -- JSON list of the product's group names
        checked REAL NOT NULL   -- unix time the directory was last asked
    );
    """,
], postgresql=[
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        "groups" TEXT NOT NULL,
        checked DOUBLE PRECISION NOT NULL
    );
    """,
])


@dataclass(frozen=True)
class DirectoryAccount:
    name: str
    groups: tuple[str, ...]
    checked: float

    def older_than(self, seconds: float) -> bool:
        return time.time() - self.checked >= seconds


class DirectoryAccounts:
    def __init__(self, db_path: Path, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)

    def seen(self, name: str, groups: list[str] | tuple[str, ...]) -> DirectoryAccount:
        """The directory says ``name`` is in ``groups`` now."""
        account = DirectoryAccount(name, tuple(sorted(set(groups))), time.time())
        self._db.execute('INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE '
                         'SET "groups" = excluded."groups", checked = excluded.checked',
                         (name, json.dumps(account.groups, ensure_ascii=False), account.checked))
        return account

    def get(self, name: str) -> DirectoryAccount | None:
        row = self._db.execute(f"{_SELECT} WHERE name = ?", (name,)).fetchone()
        return _account(row) if row else None

    def forget(self, name: str) -> None:
        """The directory no longer has ``name``, or has disabled it."""
        self._db.execute("DELETE FROM accounts WHERE name = ?", (name,))

    def all(self) -> list[DirectoryAccount]:
        return [_account(row) for row in self._db.execute(f"{_SELECT} ORDER BY name").fetchall()]

    def close(self) -> None:
        self._db.close()


_SELECT = 'SELECT name, "groups", checked FROM accounts'


def _account(row: tuple) -> DirectoryAccount:
    name, groups, checked = row
    return DirectoryAccount(name, tuple(json.loads(groups)), checked)


def seen_accounts(settings: Settings) -> list[DirectoryAccount]:
    """The directory users who have signed in, their groups as last seen (none where no directory was used)."""
    path = settings.directory_accounts_path
    if not (settings.database_url or path.exists()):
        return []
    return DirectoryAccounts(path, settings.database_url).all()
