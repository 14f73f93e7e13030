"""Saved chats (DATA_DIR/conversations/conversations.sqlite3, or the database server): each owner's
conversations, turn by turn.

An owner is a signed-in user ("user:NAME"), or one browser when sign-in is
off ("browser:ID", from a cookie). Every method takes the owner, and a
conversation that is not theirs does not exist for them. Each turn keeps the
answer as shown and its details as the API gives them (sources, evidence,
span), so a reopened chat shows the same sources and exports them.
Conversations untouched for ``keep_days`` are deleted.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from .database import Migrations, open_database

TITLE_CHARS = 80

MIGRATIONS = Migrations("conversations", sqlite=[
    # 1: conversations and their turns.
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,            -- random, URL-safe
        owner TEXT NOT NULL,            -- "user:NAME" or "browser:ID"
        title TEXT NOT NULL,
        created REAL NOT NULL,          -- unix time
        updated REAL NOT NULL
    );
    CREATE INDEX conversations_by_owner ON conversations (owner, updated);
    CREATE TABLE turns (
        conversation TEXT NOT NULL,
        position INTEGER NOT NULL,      -- 0, 1, ... in the order asked
        question TEXT NOT NULL,
        answer TEXT NOT NULL,           -- as shown (Markdown)
        details TEXT NOT NULL,          -- JSON: the answer's sources, evidence, span, path
        created REAL NOT NULL,
        PRIMARY KEY (conversation, position)
    );
    """,
], postgresql=[
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX conversations_by_owner ON conversations (owner, updated);
    CREATE TABLE turns (
        conversation TEXT NOT NULL,
        position INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        details TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (conversation, position)
    );
    """,
])


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: list[Turn] = field(default_factory=list)


class Conversations:
    def __init__(self, db_path: Path, keep_days: int = 365, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)
        self.keep_seconds = keep_days * 86400

    def start(self, owner: str, title: str) -> str:
        """A new, empty conversation's id; forgotten conversations go at the same time."""
        now, conversation = time.time(), secrets.token_urlsafe(12)
        with self._db.transaction():
            self._forget_before(now - self.keep_seconds)
            self._db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                             (conversation, owner, _title(title), now, now))
        return conversation

    def add_turn(self, owner: str, conversation: str, turn: Turn) -> bool:
        """Append a turn; False when the conversation is not the owner's (or was deleted meanwhile)."""
        now = time.time()
        with self._db.transaction():
            # The update checks the owner and, on a database server, locks the conversation until its turn
            # is in: two front-ends adding to one chat at once number their turns one after the other.
            if self._db.execute("UPDATE conversations SET updated = ? WHERE id = ? AND owner = ?",
                                (now, conversation, owner)).rowcount != 1:
                return False
            position = self._db.execute("SELECT COUNT(*) FROM turns WHERE conversation = ?",
                                        (conversation,)).fetchone()[0]
            self._db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                             (conversation, position, turn.question, turn.answer,
                              json.dumps(turn.details, ensure_ascii=False), now))
        return True

    def list(self, owner: str) -> list[Conversation]:
        """The owner's conversations, most recently used first, without their turns."""
        rows = self._db.execute("SELECT id, title, created, updated FROM conversations WHERE owner = ? "
                                "ORDER BY updated DESC", (owner,)).fetchall()
        return [Conversation(*row) for row in rows]

    def get(self, owner: str, conversation: str) -> Conversation | None:
        with self._db.transaction():  # the conversation and its turns as of one moment
            row = self._db.execute("SELECT id, title, created, updated FROM conversations WHERE id = ? AND owner = ?",
                                   (conversation, owner)).fetchone()
            turns = self._db.execute("SELECT question, answer, details FROM turns WHERE conversation = ? "
                                     "ORDER BY position", (conversation,)).fetchall()
        if row is None:
            return None
        return Conversation(*row, turns=[Turn(q, a, json.loads(details)) for q, a, details in turns])

    def rename(self, owner: str, conversation: str, title: str) -> bool:
        changed = self._db.execute("UPDATE conversations SET title = ? WHERE id = ? AND owner = ?",
                                   (_title(title), conversation, owner)).rowcount
        return changed == 1

    def delete(self, owner: str, conversation: str) -> bool:
        with self._db.transaction():
            if not self._owns(owner, conversation):
                return False
            self._db.execute("DELETE FROM turns WHERE conversation = ?", (conversation,))
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation,))
        return True

    def close(self) -> None:
        self._db.close()

    def _owns(self, owner: str, conversation: str) -> bool:
        return self._db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?",
                                (conversation, owner)).fetchone() is not None

    def _forget_before(self, cutoff: float) -> None:
        self._db.execute("DELETE FROM turns WHERE conversation IN "
                         "(SELECT id FROM conversations WHERE updated < ?)", (cutoff,))
        self._db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,))


def _title(text: str) -> str:
    """One line, at most TITLE_CHARS characters (cut with an ellipsis)."""
    line = " ".join(text.split()) or "…"
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"
