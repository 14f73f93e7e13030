"""The audit log: one JSON line per question — in a file per day (DATA_DIR/audit/audit-YYYY-MM-DD.jsonl), or,
with RAG_DATABASE_URL, in the database server's ``audit`` table that every front-end writes to.

Files and folder are readable by the server's own account only. With
``text="hash"`` the question and the answer are kept as keyed hashes
(HMAC-SHA256 with a key made on first use — DATA_DIR/audit/.key, or a row of
the database shared by every front-end, so that one question hashes alike on
each): who asked when, and what was cited, without the words. Entries older
than ``keep_days`` are deleted when a new day starts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator, Literal

from settings import Settings

from .database import Database, Migrations, PostgresDatabase

TextMode = Literal["plain", "hash"]

MIGRATIONS = Migrations("audit", sqlite=[], postgresql=[  # the embedded install keeps files
    # 1: an entry per answer, as the file's JSON line; its local day for reading and pruning by day.
    """
    CREATE TABLE audit (
        id BIGSERIAL PRIMARY KEY,               -- the order entries were written in
        day TEXT NOT NULL,                      -- YYYY-MM-DD, the entry's local date
        "user" TEXT NOT NULL,
        entry TEXT NOT NULL                     -- JSON: the line the file would hold
    );
    CREATE INDEX audit_day ON audit (day);
    CREATE TABLE audit_key (id INTEGER PRIMARY KEY CHECK (id = 1), secret BYTEA NOT NULL);
    """,
])


@dataclass(frozen=True)
class AuditEntry:
    user: str
    question: str
    answer: str
    found: bool
    sources: list[dict] = field(default_factory=list)  # [{"source", "page"}]
    at: datetime | None = None  # default: now
    path: str = ""  # how the answer was made (chatbot's AnswerPath): "reply", "span", "unsupported", ...
    reply: str = ""  # the model's own reply, shown or not


class AuditLog(ABC):
    """What both back-ends share: the line an entry becomes (words or their hashes), pruning once a day."""

    def __init__(self, text: TextMode = "plain", keep_days: int = 365) -> None:
        self.text = text
        self.keep_days = keep_days
        self._lock = threading.Lock()
        self._pruned: date | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> AuditLog:
        if settings.database_url:
            database = PostgresDatabase(settings.database_url, MIGRATIONS)
            return AuditTable(database, settings.audit_text, settings.audit_days)
        return AuditFile(settings.audit_dir, settings.audit_text, settings.audit_days)

    def record(self, entry: AuditEntry) -> None:
        at = (entry.at or datetime.now()).astimezone()
        line = {"time": at.isoformat(timespec="seconds"), "user": entry.user}
        if self.text == "hash":
            line |= {"question_hmac": self.hmac_of(entry.question), "answer_hmac": self.hmac_of(entry.answer),
                     "reply_hmac": self.hmac_of(entry.reply)}
        else:
            line |= {"question": entry.question, "answer": entry.answer, "reply": entry.reply}
        line |= {"found": entry.found, "path": entry.path, "sources": entry.sources}
        with self._lock:
            if self._pruned != at.date():
                self._prune(at.date() - timedelta(days=self.keep_days))
                self._pruned = at.date()
            self._append(at, line)

    @abstractmethod
    def read(self, user: str | None = None, since: date | None = None) -> Iterator[dict]:
        """Entries oldest first, of one user and from one day on when given."""

    def hmac_of(self, text: str) -> str:
        """What a question or answer looks like in hash mode (to find it in the log)."""
        return hmac.new(self._key(), text.encode(), hashlib.sha256).hexdigest()

    @abstractmethod
    def _append(self, at: datetime, line: dict) -> None: ...

    @abstractmethod
    def _prune(self, oldest: date) -> None:
        """Delete the entries of days before ``oldest``."""

    @abstractmethod
    def _key(self) -> bytes:
        """The HMAC key of this installation, made on first use."""


class AuditFile(AuditLog):
    """A file per day in a folder of the data directory (the embedded default)."""

    def __init__(self, folder: Path, text: TextMode = "plain", keep_days: int = 365) -> None:
        super().__init__(text, keep_days)
        self.folder = folder
        self._made = False  # the folder exists, owner-only

    def read(self, user: str | None = None, since: date | None = None) -> Iterator[dict]:
        for path in sorted(self.folder.glob("audit-*.jsonl")):
            if since and path.stem.removeprefix("audit-") < since.isoformat():
                continue
            with open(path, encoding="utf-8") as lines:
                for text in lines:
                    try:
                        entry = json.loads(text)
                    except json.JSONDecodeError:  # a line cut off by a crash: skip it, keep the rest
                        continue
                    if user is None or entry.get("user") == user:
                        yield entry

    def _append(self, at: datetime, line: dict) -> None:
        self._ready()
        path = self.folder / f"audit-{at.date().isoformat()}.jsonl"
        # O_APPEND: whole lines even with a second process (the CLI) writing too.
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(handle, "a", encoding="utf-8") as output:
            output.write(json.dumps(line, ensure_ascii=False) + "\n")

    def _ready(self) -> None:
        """Made owner-only once per process, not on every question."""
        if not self._made:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.folder.chmod(0o700)
            self._made = True

    def _key(self) -> bytes:
        self._ready()
        path = self.folder / ".key"
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        key = secrets.token_bytes(32)
        with os.fdopen(handle, "wb") as output:
            output.write(key)
        return key

    def _prune(self, oldest: date) -> None:
        for path in self.folder.glob("audit-*.jsonl"):
            if path.stem.removeprefix("audit-") < oldest.isoformat():
                path.unlink(missing_ok=True)


class AuditTable(AuditLog):
    """Rows of a database table, in the order they were written (front-ends on several hosts write to one)."""

    def __init__(self, database: Database, text: TextMode = "plain", keep_days: int = 365) -> None:
        super().__init__(text, keep_days)
        self._db = database

    def read(self, user: str | None = None, since: date | None = None) -> Iterator[dict]:
        rows = self._db.execute(
            'SELECT entry FROM audit WHERE (? OR "user" = ?) AND day >= ? ORDER BY id',
            (user is None, user or "", (since or date.min).isoformat())).fetchall()
        for (entry,) in rows:
            yield json.loads(entry)

    def _append(self, at: datetime, line: dict) -> None:
        self._db.execute('INSERT INTO audit (day, "user", entry) VALUES (?, ?, ?)',
                         (at.date().isoformat(), line["user"], json.dumps(line, ensure_ascii=False)))

    def _prune(self, oldest: date) -> None:
        self._db.execute("DELETE FROM audit WHERE day < ?", (oldest.isoformat(),))

    def _key(self) -> bytes:
        # One key for every front-end: the first to need it makes it; the others read it.
        self._db.execute("INSERT INTO audit_key (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                         (secrets.token_bytes(32),))
        return bytes(self._db.execute("SELECT secret FROM audit_key WHERE id = 1").fetchone()[0])

    def close(self) -> None:
        self._db.close()
