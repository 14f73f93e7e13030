"""Where a persisted thing's rows live: a SQLite file in the data folder (the default: `make run` needs no
server), or a PostgreSQL server named by RAG_DATABASE_URL, shared by front-ends on several hosts.

Each thing (sessions, keys, …) keeps its numbered migrations per back-end —
the same tables, in each one's types — and speaks to either through
``Database.execute`` with ``?`` placeholders. On PostgreSQL the migrations run
in one transaction under an advisory lock: front-ends starting together apply
them once, and a failed one leaves nothing half-applied. A server that cannot
be reached raises StateUnavailable (the page and the API answer 503); the next
call connects again, so service resumes by itself when the server is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.errors import InsufficientPrivilege

from . import sqlite

CONNECT_TIMEOUT = 5  # seconds to reach the server before a request is answered 503
_MIGRATION_LOCK = 7_203_114  # the advisory lock's key: any number the product alone uses
T = TypeVar("T")


class StateUnavailable(Exception):
    """The database server cannot be reached or refused the product's account."""


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Database(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def transaction(self) -> AbstractContextManager[Database]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Migrations:
    """The numbered migrations of one persisted thing, for each back-end: add one, never edit one that
    shipped."""
    name: str  # the thing's name in the server's migration table
    sqlite: list[str]
    postgresql: list[str]


def open_database(path: Path, url: str | None, migrations: Migrations) -> Database:
    """The thing's database migrated to its latest schema: on the server at ``url`` when one is set, else in
    the SQLite file ``path`` (its folder private to the service's account)."""
    if url:
        return PostgresDatabase(url, migrations)
    return SqliteDatabase(path, migrations.sqlite)


class SqliteDatabase:
    """A SQLite file whose connection the server's threads share: statements one at a time, and a
    transaction (BEGIN IMMEDIATE) holds it, so that no other process writes between its check and its change
    and no other thread slips a statement into it."""

    def __init__(self, path: Path, migrations: list[str]) -> None:
        self._connection = sqlite.connect_private(path, migrations)
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        with self._lock:
            return self._connection.execute(sql, tuple(params))

    @contextmanager
    def transaction(self) -> Iterator[SqliteDatabase]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()


class PostgresDatabase:
    """One connection per process, in autocommit (each statement is its own transaction, as in SQLite here),
    opened again after the server went away. Its statements run one at a time: a transaction holds the
    connection until it ends."""

    def __init__(self, url: str, migrations: Migrations) -> None:
        try:
            conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise StateUnavailable(f"the database URL is not valid ({str(error).strip()}): "
                                   "postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None
        self._url = url
        self._lock = threading.RLock()
        self._connection: psycopg.Connection | None = None
        self._depth = 0  # transactions open on the connection (this thread's: the lock is held)
        self._migrate(migrations)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        statement, values = sql.replace("?", "%s"), tuple(params)
        with self._lock:
            if self._depth:  # inside a transaction: its connection or nothing (its end reports a failure)
                return self._connection.execute(statement, values)
            return self._retrying(lambda connection: connection.execute(statement, values))

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        """Statements that commit together or not at all: run them through the object this yields."""
        with self._lock:
            try:
                with ExitStack() as stack:
                    self._retrying(lambda connection: stack.enter_context(connection.transaction()))
                    self._depth += 1
                    try:
                        yield self
                    finally:
                        self._depth -= 1
            except psycopg.OperationalError as error:
                self._drop()
                raise StateUnavailable(_reason(error)) from None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _retrying(self, action: Callable[[psycopg.Connection], T], again: bool = True) -> T:
        """``action`` on the connection; once more on a new one when the connection kept from an earlier
        call turns out dead (the server restarted since): the first request after a restart is served."""
        kept = self._connection is not None and not self._connection.closed and not self._connection.broken
        try:
            if not kept:
                self._connection = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
            return action(self._connection)
        except psycopg.OperationalError as error:
            self._drop()
            if kept and again:
                return self._retrying(action, again=False)
            raise StateUnavailable(_reason(error)) from None

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    def _migrate(self, migrations: Migrations) -> None:
        try:
            with psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT) as connection, connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                # Nothing is created or written when nothing is pending: an account that may only read and
                # write rows runs a database its owner migrated.
                if connection.execute("SELECT to_regclass('rag_migrations')").fetchone()[0] is None:
                    connection.execute("CREATE TABLE rag_migrations (name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
                row = connection.execute("SELECT version FROM rag_migrations WHERE name = %s",
                                         (migrations.name,)).fetchone()
                pending = migrations.postgresql[row[0] if row else 0:]
                for script in pending:
                    connection.execute(script)
                if pending:
                    connection.execute("INSERT INTO rag_migrations VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                                       "SET version = GREATEST(rag_migrations.version, excluded.version)",
                                       (migrations.name, len(migrations.postgresql)))
        except psycopg.OperationalError as error:
            raise StateUnavailable(_reason(error)) from None
        except InsufficientPrivilege as error:
            raise StateUnavailable(f"the database refused the product's account: {error}") from None


@contextmanager
def server_lock(url: str, key: int) -> Iterator[bool]:
    """Try the server's session lock ``key`` for the block: True when this process holds it (then no other,
    on any host, does until the block ends), False when another holds it."""
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as error:
        raise StateUnavailable(_reason(error)) from None
    with connection:  # the lock ends with the session, even if this process dies
        yield connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]


def missing_privileges(url: str) -> list[str]:
    """The product's tables (and their id sequences) that the account of ``url`` may not read and write:
    "keys (INSERT, UPDATE)"; empty when it may use them all."""
    rights = ("SELECT", "INSERT", "UPDATE", "DELETE")
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            tables = [name for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
            sequences = [name for (name,) in connection.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1")]
            missing = []
            for table in tables:
                lacking = [right for right in rights if not connection.execute(
                    "SELECT has_table_privilege(%s, %s)", (table, right)).fetchone()[0]]
                missing += [f"{table} ({', '.join(lacking)})"] if lacking else []
            missing += [f"{sequence} (USAGE)" for sequence in sequences if not connection.execute(
                "SELECT has_sequence_privilege(%s, 'USAGE')", (sequence,)).fetchone()[0]]
            return missing
    except psycopg.OperationalError as error:
        raise StateUnavailable(_reason(error)) from None


def describe(url: str) -> str:
    """The server and database a URL names, without its password: for logs and the doctor."""
    parts = conninfo_to_dict(url)
    return f"postgresql {parts.get('user', '')}@{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/" \
           f"{parts.get('dbname', '')}"


def _reason(error: psycopg.OperationalError) -> str:
    """The server's own words, without the password a connection string may carry."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"the database server is not reachable: {first}"
