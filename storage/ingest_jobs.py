"""The admin page's ingest job as every front-end sees it (RAG_DATABASE_URL): one row on the database server
with the job's state and progress, so that an ingest started from one front-end's admin page shows, with its
progress and report, on every other, and a second cannot be started meanwhile from any of them. Without a
database the job lives in the front-end that runs it (chatbot/operations/admin.py).
"""

from __future__ import annotations

import json
import time

from .database import Migrations, PostgresDatabase

MIGRATIONS = Migrations("ingest_jobs", sqlite=[], postgresql=[
    """
    CREATE TABLE ingest_job (
        id INTEGER PRIMARY KEY CHECK (id = 1),  -- one job at a time, for the whole installation
        state TEXT NOT NULL,                    -- idle, running, finished, failed
        status TEXT NOT NULL,                   -- JSON: progress, report, error, last lines
        updated DOUBLE PRECISION NOT NULL       -- unix time the front-end running it last wrote
    );
    """,
])


class JobBoard:
    def __init__(self, url: str) -> None:
        self._db = PostgresDatabase(url, MIGRATIONS)

    def claim(self, status: dict, stale_after: float) -> bool:
        """Record a new running job, unless one is running and was heard from within ``stale_after``
        seconds; True when this caller has it."""
        now = time.time()
        return bool(self._db.execute(
            "INSERT INTO ingest_job VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
            "status = excluded.status, updated = excluded.updated "
            "WHERE ingest_job.state <> 'running' OR ingest_job.updated < ?",
            (status["state"], json.dumps(status, ensure_ascii=False), now, now - stale_after)).rowcount)

    def write(self, status: dict) -> None:
        self._db.execute("UPDATE ingest_job SET state = ?, status = ?, updated = ? WHERE id = 1",
                         (status["state"], json.dumps(status, ensure_ascii=False), time.time()))

    def read(self) -> tuple[dict, float] | None:
        """The job's status and when it was last written; None before the first job."""
        row = self._db.execute("SELECT status, updated FROM ingest_job WHERE id = 1").fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def close(self) -> None:
        self._db.close()
