"""What an administrator sees without a shell: what the index holds, what the last ingest did, where the
documents fall short (questions answered "not found", replies that were not supported), what users said
of their answers, and an ingest started in the background with its progress.

The ingest runs as its own process (python -m ingest), exactly as from the
command line; the store's writer lock keeps it the only writer, and this
process starts at most one at a time.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Literal

from settings import REPO_ROOT, Settings
from storage import (
    AuditLog, FeedbackStore, JobBoard, StateUnavailable, Store, UsersError, now_iso, open_users, seen_accounts,
)

log = logging.getLogger(__name__)

# How an answer was made when the model's reply was not shown (its words were not all in the documents).
REPLY_NOT_SHOWN = ("span", "evidence", "unsupported")


@dataclass(frozen=True)
class IndexRow:
    folder: str  # the top folder under the documents folder; "." for files at its root
    type: str  # the extension, without the dot
    documents: int
    chunks: int


def index_summary(store: Store) -> list[IndexRow]:
    """Documents and chunks in the index per top folder and file type."""
    documents: Counter[tuple[str, str]] = Counter()
    chunks: Counter[tuple[str, str]] = Counter()
    for record in store.files().values():
        path = PurePosixPath(record.path)
        key = (path.parts[0] if len(path.parts) > 1 else ".", path.suffix.lstrip(".").lower())
        documents[key] += 1
        chunks[key] += len(record.chunk_ids)
    return [IndexRow(folder, kind, documents[(folder, kind)], chunks[(folder, kind)])
            for folder, kind in sorted(documents)]


@dataclass(frozen=True)
class GroupRow:
    group: str
    source: str  # "local" (the users file), "directory" (as last seen at sign-in or refresh), or both
    members: int


def group_summary(local: dict[str, tuple[str, ...]], directory: dict[str, tuple[str, ...]]) -> list[GroupRow]:
    """Each group named by a user's groups, where its members come from and how many there are."""
    members: dict[str, dict[str, set[str]]] = {}
    for source, users in (("local", local), ("directory", directory)):
        for name, groups in users.items():
            for group in groups:
                members.setdefault(group, {}).setdefault(source, set()).add(name)
    return [GroupRow(group, " + ".join(sorted(by_source)), len(set().union(*by_source.values())))
            for group, by_source in sorted(members.items())]


@dataclass(frozen=True)
class Gap:
    question: str  # as asked (its first wording); a keyed hash when the audit log keeps no words
    asked: int
    last: str  # ISO time


def not_found_questions(entries: list[dict], limit: int = 20) -> list[Gap]:
    """The questions most often answered "not found in the documents": what the documents lack."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for entry in entries:
        if entry.get("found", True):
            continue
        text = entry.get("question", entry.get("question_hmac", ""))
        key = " ".join(text.casefold().split()).rstrip("?？. ")
        counts[key] += 1
        first.setdefault(key, text)
        last[key] = entry["time"]
    return [Gap(first[key], count, last[key]) for key, count in counts.most_common(limit)]


def unsupported_answers(entries: list[dict], limit: int = 20) -> list[dict]:
    """The latest answers whose model reply was not shown (not every word of it was in the documents),
    newest first: {"time", "user", "question", "reply", "answer", "path"}."""
    found = [entry for entry in entries if entry.get("path") in REPLY_NOT_SHOWN]
    return [{key: entry.get(key, entry.get(f"{key}_hmac", "")) for key in
             ("time", "user", "question", "reply", "answer", "path")} for entry in reversed(found[-limit:])]


JobState = Literal["idle", "running", "finished", "failed"]


@dataclass
class IngestStatus:
    state: JobState = "idle"
    done: int = 0  # files stored (or failed)
    started: int = 0  # files whose reading has begun
    total: int = 0  # files this run reads (unchanged ones are not)
    file: str = ""  # the file being read now
    started_at: str | None = None
    finished_at: str | None = None
    report: dict | None = None  # the run's report, once finished
    error: str = ""  # why it failed (a run that could not start, or was stopped)
    log: list[str] = field(default_factory=list)  # its last lines on stderr


class IngestJob:
    """At most one ingest at a time, run by this process in the background; with a database, at most one
    for every front-end, and its status on each of them (the one running it writes it there)."""

    LOG_LINES = 20
    # A running job not heard from for this long ran on a front-end that went away: a new one may start.
    STALE_SECONDS = 15 * 60

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._status = IngestStatus()
        self._board = JobBoard(settings.database_url) if settings.database_url else None

    def status(self) -> IngestStatus:
        if self._board is not None:
            return self._shared_status()
        with self._lock:
            return IngestStatus(**{**asdict(self._status), "log": list(self._status.log)})

    def start(self) -> bool:
        """Start an ingest; False when one is running already (here, or with a database, anywhere)."""
        with self._lock:
            if self._status.state == "running":
                return False
            status = IngestStatus(state="running", started_at=now_iso())
            if self._board is not None and not self._board.claim(asdict(status), self.STALE_SECONDS):
                return False
            self._status = status
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--json", "--progress-lines"], cwd=REPO_ROOT, env=self._environment(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        threading.Thread(target=self._follow, args=(process,), daemon=True, name="ingest-job").start()
        return True

    def _environment(self) -> dict[str, str]:
        """This server's folders, whatever else the environment and rag.yaml say."""
        return {**os.environ, "RAG_DATA_DIR": str(self._settings.data_dir),
                "RAG_DOCS_DIR": str(self._settings.docs_dir), "RAG_STORE_DIR": str(self._settings.store_path)}

    def _follow(self, process: subprocess.Popen) -> None:
        assert process.stderr is not None and process.stdout is not None
        for line in process.stderr:
            self._read_line(line.rstrip("\n"))
        output = process.stdout.read()
        code = process.wait()
        with self._lock:
            status = self._status
            status.finished_at, status.file = now_iso(), ""
            try:
                status.report = json.loads(output) if output.strip() else None
            except json.JSONDecodeError:
                status.report = None
            # Exit 1: the run went through and some files failed (listed in the report).
            status.state = "finished" if code in (0, 1) and status.report is not None else "failed"
            if status.state == "failed":
                status.error = next((line for line in reversed(status.log) if line.startswith("ingest:")),
                                    f"the ingest stopped with exit code {code}")
            self._share()

    def _read_line(self, line: str) -> None:
        try:
            step = json.loads(line)["progress"] if line.startswith('{"progress"') else None
        except (json.JSONDecodeError, KeyError):
            step = None
        with self._lock:
            if step is not None:
                self._status.done, self._status.started = step["done"], step["started"]
                self._status.total, self._status.file = step["total"], step["file"]
            elif line.strip():
                self._status.log = [*self._status.log, line][-self.LOG_LINES:]
            self._share()

    def _share(self) -> None:
        """The status where every front-end reads it (with a database); the lock is held."""
        if self._board is None:
            return
        try:
            self._board.write(asdict(self._status))
        except StateUnavailable as error:  # the run goes on; the other front-ends see it when it is back
            log.warning("ingest progress not shared: %s", error)

    def _shared_status(self) -> IngestStatus:
        found = self._board.read()
        if found is None:
            return IngestStatus()
        status, updated = IngestStatus(**found[0]), found[1]
        if status.state == "running" and time.time() - updated > self.STALE_SECONDS:
            heard = time.strftime("%Y-%m-%d %H:%M", time.localtime(updated))
            return IngestStatus(**{**asdict(status), "state": "failed",
                                   "error": f"the front-end running it stopped answering (last heard {heard})"})
        return status


class Admin:
    """The admin page's data, for one engine's store and audit log."""

    def __init__(self, store: Store, audit: AuditLog | None, settings: Settings,
                 feedback: FeedbackStore | None = None) -> None:
        self._store = store
        self._audit = audit or AuditLog.for_settings(settings)
        self._feedback = feedback
        self._settings = settings
        self._users = open_users(settings)  # opened once: on a database server, a connection and its migrations
        self.ingest = IngestJob(settings)

    def index(self) -> list[IndexRow]:
        return index_summary(self._store)

    def groups(self) -> list[GroupRow]:
        """The groups of the local users and of the directory users who have signed in (as last seen)."""
        try:
            local = {u.name: u.groups for u in self._users.users().values()}
        except UsersError:  # the page still shows the rest; the server's log says what is wrong
            local = {}
        directory = {a.name: a.groups for a in seen_accounts(self._settings)}
        return group_summary(local, directory)

    def last_ingest(self) -> dict | None:
        """{"started_at", "finished_at", "report"} of the latest finished run, whoever ran it."""
        return self._store.last_run()

    def audit_review(self) -> tuple[list[Gap], list[dict]]:
        """The questions most often not found, and the latest answers whose reply was not shown: from one
        read of the audit log, which grows all year."""
        entries = list(self._audit.read())
        return not_found_questions(entries), unsupported_answers(entries)

    def feedback(self, limit: int = 30) -> list[dict]:
        """The latest feedback, newest first: {"time", "user", "question", "answer", "rating", "comment",
        "correction"}; none when answers are not kept."""
        rated = self._feedback.rated()[:limit] if self._feedback is not None else []
        return [{"time": datetime.fromtimestamp(r.updated).astimezone().isoformat(timespec="seconds"),
                 "user": r.answer.user, "question": r.answer.question, "answer": r.answer.answer,
                 "rating": r.rating or "", "comment": r.comment, "correction": r.correction} for r in rated]
