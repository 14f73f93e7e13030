"""What OCR read from each page image (DATA_DIR/ocr/cache.sqlite3), so that no page is read twice.

Keyed by the page image's own hash (its pixels, size and mode) and the engine's settings: a re-run, a renamed or
copied file, or the same page in another file finds it here. OCR takes seconds a page on a CPU; this is why a
re-ingest after a crash, a rename or a chunker change costs no OCR.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sqlite

MIGRATIONS: list[str] = [
    # 1: one row per page image and engine setting.
    """
    CREATE TABLE pages (
        key TEXT PRIMARY KEY,        -- sha256 of the image, then of the engine's settings
        text TEXT NOT NULL,
        confidence REAL NOT NULL,    -- the engine's mean word confidence, 0-100
        created REAL NOT NULL
    );
    """,
]


@dataclass(frozen=True)
class OcrText:
    text: str
    confidence: float  # mean word confidence, 0-100 (0 when no word was found)


class OcrCache:
    def __init__(self, db_path: Path) -> None:
        self._db = sqlite.connect_private(db_path, MIGRATIONS)
        self._lock = threading.Lock()

    def get(self, key: str) -> OcrText | None:
        with self._lock:
            row = self._db.execute("SELECT text, confidence FROM pages WHERE key = ?", (key,)).fetchone()
        return OcrText(row[0], row[1]) if row else None

    def put(self, key: str, result: OcrText) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)",
                             (key, result.text, result.confidence, time.time()))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM pages").fetchone()[0]

    def close(self) -> None:
        self._db.close()
