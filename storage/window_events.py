"""Events counted per key within a time window, on the database server, so that front-ends on several hosts
count them once (failed sign-ins per name and address, questions per user or key a minute).

The same interface as the front-end's in-memory count (ui/limits.py), which
an installation without RAG_DATABASE_URL uses: one process, nothing to share.
Times are the server's clock, so hosts whose clocks differ count alike; a
take is one transaction under an advisory lock on its key, so two front-ends
cannot both let the last event of a window through.
"""

from __future__ import annotations

from .database import Migrations, PostgresDatabase

MIGRATIONS = Migrations("window_events", sqlite=[], postgresql=[
    """
    CREATE TABLE window_events (
        key TEXT NOT NULL,              -- the limit's name and the counted key: "login:user:kim"
        at DOUBLE PRECISION NOT NULL    -- unix time, the server's clock
    );
    CREATE INDEX window_events_key_at ON window_events (key, at);
    """,
])

_NOW = "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8"


class SharedWindow:
    """At most ``events`` per key within ``window`` seconds, counted on the database server; ``name`` keeps
    one limit's keys apart from another's."""

    def __init__(self, url: str, name: str, events: int, window: float) -> None:
        self._db = PostgresDatabase(url, MIGRATIONS)
        self._name = name
        self.events = events
        self.window = window

    def wait(self, keys: list[str]) -> int:
        """Seconds until every key may have another event; 0 when they may now."""
        with self._db.transaction() as db:
            now = db.execute(_NOW).fetchone()[0]
            return self._wait(db, keys, now)

    def record(self, keys: list[str]) -> None:
        with self._db.transaction() as db:
            now = db.execute(_NOW).fetchone()[0]
            for key in keys:
                self._add(db, key, now)

    def take(self, key: str) -> int:
        """Record an event for the key if the limit allows it now (0); else the seconds to wait."""
        with self._db.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (self._key(key),))
            now = db.execute(_NOW).fetchone()[0]
            if wait := self._wait(db, [key], now):
                return wait
            self._add(db, key, now)
            return 0

    def close(self) -> None:
        self._db.close()

    def clear(self, key: str) -> None:
        self._db.execute("DELETE FROM window_events WHERE key = ?", (self._key(key),))

    def _wait(self, db: PostgresDatabase, keys: list[str], now: float) -> int:
        waits = [0.0]
        for key in keys:
            count, oldest = db.execute("SELECT count(*), min(at) FROM window_events WHERE key = ? AND at > ?",
                                       (self._key(key), now - self.window)).fetchone()
            if count >= self.events:
                waits.append(oldest + self.window - now)
        return int(max(waits) + 0.999)

    def _add(self, db: PostgresDatabase, key: str, now: float) -> None:
        # Events older than the window count for nothing: dropped as the key is written again.
        db.execute("DELETE FROM window_events WHERE key = ? AND at <= ?", (self._key(key), now - self.window))
        db.execute("INSERT INTO window_events VALUES (?, ?)", (self._key(key), now))

    def _key(self, key: str) -> str:
        return f"{self._name}:{key}"
