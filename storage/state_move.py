"""Moving an embedded installation's state — the users file, the SQLite databases of the data folder, the
audit log's files, the store's manifest and keyword index — into an empty PostgreSQL database
(``python -m chatbot migrate-state --to URL``). The vectors stay where they are (a Chroma server for
front-ends on several hosts).

Everything is copied in one transaction: a move that fails leaves the
database as empty as it found it. Sign-in sessions are not moved (everyone
signs in again); rate-limit counts are not either (they last a minute). The
embedded files are left as they were: until RAG_DATABASE_URL is set, the
installation keeps using them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from settings import Settings

from . import audit, conversations, directory_accounts, feedback, keys, lexical_share, manifest, users
from .database import Database, Migrations, PostgresDatabase
from .store import lexical_index_path

# The SQLite databases that move, where each is, and its tables (a table another refers to comes first).
_DATABASES: list[tuple[Migrations, Callable[[Settings], Path], tuple[str, ...]]] = [
    (keys.MIGRATIONS, lambda settings: settings.keys_path, ("keys",)),
    (directory_accounts.MIGRATIONS, lambda settings: settings.directory_accounts_path, ("accounts",)),
    (conversations.MIGRATIONS, lambda settings: settings.conversations_path, ("conversations", "turns")),
    (feedback.MIGRATIONS, lambda settings: settings.feedback_path, ("answers", "feedback")),
    (manifest.MIGRATIONS, lambda settings: settings.store_path / "manifest.sqlite3",
     ("files", "meta", "ingest_runs")),
]
_NUMBERED = ("ingest_runs",)  # ids copied as they are: the server's counter then goes on after them


class MoveRefused(Exception):
    """The move cannot start: the database is not empty (the message names its tables)."""


@dataclass(frozen=True)
class Moved:
    table: str
    source: int  # rows (users, lines) in the embedded installation
    target: int  # rows in the database once moved

    @property
    def complete(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class MoveReport:
    moved: list[Moved]
    sessions_dropped: int  # sign-in sessions left behind: their users sign in again


def move_state(settings: Settings, url: str) -> MoveReport:
    """Copy the installation's state (as ``settings`` find it, embedded) into the empty database at
    ``url``."""
    things = [thing for thing, _, _ in _DATABASES] + [users.MIGRATIONS, audit.MIGRATIONS]
    for migrations in things:  # every table made: each thing's migrations
        PostgresDatabase(url, migrations).close()
    target = PostgresDatabase(url, lexical_share.MIGRATIONS)  # the last thing's, kept to copy through
    tables = [table for _, _, names in _DATABASES for table in names] + ["users", "audit", "audit_key",
                                                                          "lexical_index"]
    filled = [f"{table} ({count} rows)" for table in tables if (count := _count(target, table))]
    if filled:
        raise MoveRefused(f"the database is not empty: {', '.join(filled)}; migrate-state copies into an "
                          "empty database only (create a new one, or drop these tables)")
    rows = _embedded_rows(settings)
    with target.transaction() as moving:
        for table, (columns, values) in rows.items():
            listed = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" * len(columns))
            for row in values:
                moving.execute(f"INSERT INTO {table} ({listed}) VALUES ({marks})", row)
            if table in _NUMBERED and values:
                moving.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
    moved = [Moved(table, len(values), _count(target, table)) for table, (_, values) in rows.items()]
    target.close()
    _share_keyword_index(settings, url)
    return MoveReport(moved, _session_count(settings))


def _embedded_rows(settings: Settings) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each table's columns and rows, as the embedded installation holds them (none when it has no file)."""
    rows: dict[str, tuple[list[str], list[tuple]]] = {}
    for _, where, tables in _DATABASES:
        path = where(settings)
        if not path.exists():
            continue
        with _read_only(path) as source:
            for table in tables:
                cursor = source.execute(f"SELECT * FROM {table}")
                rows[table] = ([d[0] for d in cursor.description], [tuple(r) for r in cursor.fetchall()])
    if settings.users_path.exists():
        local = users.UsersFile(settings.users_path).users().values()
        rows["users"] = (["name", "groups", "password_hash"], [
            (u.name, json.dumps(list(u.groups), ensure_ascii=False), u.password_hash) for u in local])
    log = audit.AuditFile(settings.audit_dir)
    lines = [(line["time"][:10], line["user"], json.dumps(line, ensure_ascii=False)) for line in log.read()]
    if lines:
        rows["audit"] = (["day", "user", "entry"], lines)
    key = settings.audit_dir / ".key"
    if key.exists():  # the same key: entries hashed before the move are found after it
        rows["audit_key"] = (["id", "secret"], [(1, key.read_bytes())])
    return rows


def _share_keyword_index(settings: Settings, url: str) -> None:
    """The store's keyword index, for front-ends on other hosts (an ingest would publish it too)."""
    folder = lexical_index_path(settings.store_path)
    if (folder / "index.json").exists():
        shared = lexical_share.SharedIndex(url)
        try:
            shared.publish(folder, complete=True)
        finally:
            shared.close()


def _count(database: Database, table: str) -> int:
    return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _session_count(settings: Settings) -> int:
    if not settings.sessions_path.exists():
        return 0
    with _read_only(settings.sessions_path) as source:
        return source.execute("SELECT count(*) FROM sessions").fetchone()[0]


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """An embedded installation's SQLite file, opened without a chance of changing it."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield source
    finally:
        source.close()

