"""The ingest manifest: which file went in, with which content, as which chunks.

A SQLite database beside the vector store — or, with RAG_DATABASE_URL, tables
on the database server, so that front-ends on other hosts see what an ingest
host wrote — its schema versioned by the numbered migrations below: add a
migration, never edit one that shipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .database import Migrations, open_database

MIGRATIONS = Migrations("manifest", sqlite=[
    # 1: one row per ingested file; key/value facts about the store.
    """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,          -- relative to the documents root, '/'-separated
        content_hash TEXT NOT NULL,     -- sha256 of the file's bytes
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        chunker TEXT NOT NULL,          -- chunking settings the chunks were made with
        chunk_ids TEXT NOT NULL,        -- JSON list of the chunk ids in the vector store
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: a log of finished ingest runs, for the admin's "what happened last night".
    """
    CREATE TABLE ingest_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        report TEXT NOT NULL            -- the run's JSON report
    );
    """,
    # 3: the groups that may read each file (from the .access files); NULL: not yet recorded,
    # which makes the next ingest write them onto the file's chunks.
    """
    ALTER TABLE files ADD COLUMN groups TEXT;
    """,
], postgresql=[
    """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        size BIGINT NOT NULL,
        mtime DOUBLE PRECISION NOT NULL,
        chunker TEXT NOT NULL,
        chunk_ids TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        "groups" TEXT
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE ingest_runs (
        id BIGSERIAL PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        report TEXT NOT NULL
    );
    """,
])


@dataclass(frozen=True)
class FileRecord:
    path: str
    content_hash: str
    size: int
    mtime: float
    chunker: str
    chunk_ids: tuple[str, ...]
    ingested_at: str
    groups: tuple[str, ...] | None = None  # who may read it; None: recorded by no ingest yet


class Manifest:
    def __init__(self, db_path: Path, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    # files
    def files(self) -> dict[str, FileRecord]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM files").fetchall()
        return {row[0]: _record(row) for row in rows}

    def file(self, path: str) -> FileRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
        return _record(row) if row else None

    def put_file(self, record: FileRecord) -> None:
        self._db.execute(
            f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
            + ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS.split(", ")[1:]),
            (record.path, record.content_hash, record.size, record.mtime, record.chunker,
             json.dumps(list(record.chunk_ids)), record.ingested_at,
             None if record.groups is None else json.dumps(list(record.groups), ensure_ascii=False)),
        )

    def delete_files(self, paths: list[str]) -> None:
        with self._db.transaction() as db:
            for path in paths:
                db.execute("DELETE FROM files WHERE path = ?", (path,))

    def clear_files(self) -> None:
        self._db.execute("DELETE FROM files")

    # meta
    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (key, value))

    # runs
    def log_run(self, started_at: str, finished_at: str, report: dict) -> None:
        self._db.execute(
            "INSERT INTO ingest_runs (started_at, finished_at, report) VALUES (?, ?, ?)",
            (started_at, finished_at, json.dumps(report)),
        )


    def last_run(self) -> dict | None:
        """The latest finished ingest: {"started_at", "finished_at", "report"}; None before the first."""
        row = self._db.execute("SELECT started_at, finished_at, report FROM ingest_runs ORDER BY id DESC LIMIT 1"
                               ).fetchone()
        return {"started_at": row[0], "finished_at": row[1], "report": json.loads(row[2])} if row else None


_COLUMNS = 'path, content_hash, size, mtime, chunker, chunk_ids, ingested_at, "groups"'


def _record(row: tuple) -> FileRecord:
    path, content_hash, size, mtime, chunker, chunk_ids, ingested_at, groups = row
    return FileRecord(path, content_hash, size, mtime, chunker, tuple(json.loads(chunk_ids)), ingested_at,
                      None if groups is None else tuple(json.loads(groups)))
