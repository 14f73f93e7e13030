"""The keyword index on the database server (RAG_DATABASE_URL): how front-ends on other hosts get the BM25
index an ingest host built, with no shared folder.

Each index the ingest saves (storage/lexical.py, in its own store folder) is
published here as one archive of its files, numbered; only the newest is
kept. A front-end compares the number it serves with the newest and, when
they differ, unpacks the newest into its own store folder and loads it — the
number it serves is in /api/health. An index that withholds chunks while their
readers change is published too (marked incomplete), so that no front-end
serves the wider readers meanwhile.
"""

from __future__ import annotations

import fcntl
import io
import shutil
import tarfile
import time
from pathlib import Path

from .database import Migrations, PostgresDatabase
from .folders import swap_in

MIGRATIONS = Migrations("lexical_index", sqlite=[], postgresql=[
    """
    CREATE TABLE lexical_index (
        version BIGSERIAL PRIMARY KEY,     -- the number front-ends compare
        complete BOOLEAN NOT NULL,         -- false: chunks withheld while their readers change
        created DOUBLE PRECISION NOT NULL, -- unix time
        archive BYTEA NOT NULL             -- tar.gz of the index folder's files
    );
    """,
])


_VERSION = "published-version"  # in an unpacked folder: the number it was published as


def _unpacked(folder: Path) -> int | None:
    try:
        return int((folder / _VERSION).read_text())
    except (OSError, ValueError):
        return None


class SharedIndex:
    def __init__(self, url: str) -> None:
        self._db = PostgresDatabase(url, MIGRATIONS)

    def publish(self, folder: Path, complete: bool) -> int:
        """The index saved in ``folder``, as the newest; its number."""
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w:gz") as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.name != _VERSION:
                    archive.add(path, arcname=str(path.relative_to(folder)))
        with self._db.transaction() as db:
            version = db.execute("INSERT INTO lexical_index (complete, created, archive) VALUES (?, ?, ?) "
                                 "RETURNING version", (complete, time.time(), packed.getvalue())).fetchone()[0]
            db.execute("DELETE FROM lexical_index WHERE version < ?", (version,))
        return version

    def newest(self) -> int | None:
        """The number of the newest index; None before the first ingest."""
        return self._db.execute("SELECT max(version) FROM lexical_index").fetchone()[0]

    def fetch(self, folder: Path) -> int | None:
        """The newest index in ``folder`` (unpacked there unless it is already); its number, None when there
        is none. Front-ends sharing one store folder on a host take turns (a file lock)."""
        newest = self.newest()
        if newest is None:
            return None
        folder.parent.mkdir(parents=True, exist_ok=True)
        with open(folder.with_name(folder.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _unpacked(folder) == newest:
                return newest
            row = self._db.execute(
                "SELECT version, archive FROM lexical_index ORDER BY version DESC LIMIT 1").fetchone()
            version, packed = row
            staging = folder.with_name(folder.name + ".fetched")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            with tarfile.open(fileobj=io.BytesIO(bytes(packed)), mode="r:gz") as archive:
                archive.extractall(staging, filter="data")  # names inside the folder only
            (staging / _VERSION).write_text(str(version))
            swap_in(staging, folder)
            return version

    def close(self) -> None:
        self._db.close()
