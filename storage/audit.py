"""The audit log: one JSON line per question, in a file per day (DATA_DIR/audit/audit-YYYY-MM-DD.jsonl).

Files and folder are readable by the server's own account only. With
``text="hash"`` the question and the answer are kept as keyed hashes
(HMAC-SHA256 with a key made on first use, DATA_DIR/audit/.key): who asked
when, and what was cited, without the words. Files older than ``keep_days``
are deleted when a new day's file starts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator, Literal

from settings import Settings

TextMode = Literal["plain", "hash"]


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


class AuditLog:
    def __init__(self, folder: Path, text: TextMode = "plain", keep_days: int = 365) -> None:
        self.folder = folder
        self.text = text
        self.keep_days = keep_days
        self._lock = threading.Lock()
        self._pruned: date | None = None
        self._made = False  # the folder exists, owner-only

    @classmethod
    def for_settings(cls, settings: Settings) -> "AuditLog":
        return cls(settings.audit_dir, settings.audit_text, settings.audit_days)

    def record(self, entry: AuditEntry) -> None:
        at = (entry.at or datetime.now()).astimezone()
        with self._lock:
            self._ready()
            line = {"time": at.isoformat(timespec="seconds"), "user": entry.user}
            if self.text == "hash":
                line |= {"question_hmac": self._hmac(entry.question), "answer_hmac": self._hmac(entry.answer),
                         "reply_hmac": self._hmac(entry.reply)}
            else:
                line |= {"question": entry.question, "answer": entry.answer, "reply": entry.reply}
            line |= {"found": entry.found, "path": entry.path, "sources": entry.sources}
            if self._pruned != at.date():
                self._prune(at.date())
            path = self.folder / f"audit-{at.date().isoformat()}.jsonl"
            # O_APPEND: whole lines even with a second process (the CLI) writing too.
            handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(handle, "a", encoding="utf-8") as output:
                output.write(json.dumps(line, ensure_ascii=False) + "\n")

    def read(self, user: str | None = None, since: date | None = None) -> Iterator[dict]:
        """Entries oldest first, of one user and from one day on when given."""
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

    def hmac_of(self, text: str) -> str:
        """What a question or answer looks like in hash mode (to find it in the log)."""
        with self._lock:
            self._ready()
            return self._hmac(text)

    def _ready(self) -> None:
        """Made owner-only once per process, not on every question."""
        if not self._made:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.folder.chmod(0o700)
            self._made = True

    def _hmac(self, text: str) -> str:
        return hmac.new(self._key(), text.encode(), hashlib.sha256).hexdigest()

    def _key(self) -> bytes:
        path = self.folder / ".key"
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        key = secrets.token_bytes(32)
        with os.fdopen(handle, "wb") as output:
            output.write(key)
        return key

    def _prune(self, today: date) -> None:
        oldest = (today - timedelta(days=self.keep_days)).isoformat()
        for path in self.folder.glob("audit-*.jsonl"):
            if path.stem.removeprefix("audit-") < oldest:
                path.unlink(missing_ok=True)
        self._pruned = today
