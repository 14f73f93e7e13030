"""Answers and what users thought of them (DATA_DIR/feedback/feedback.sqlite3, or the database server): the
material that teaches the model the company's documents (few-shot examples and instruction tuning from use).

Every answer is kept with what made it — the question, the standalone
question, the exact prompt the model saw, the sources, the model's reply and
the answer shown — so that a rating given later says what it rates. A rating
is the asker's own (one per answer, changed by rating again); an
administrator may add a corrected answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .database import Migrations, open_database

MIGRATIONS = Migrations("feedback", sqlite=[
    # 1: answers as given, and the feedback on them.
    """
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,            -- the answer's id, as the page and the API give it
        created REAL NOT NULL,          -- unix time
        user TEXT NOT NULL,
        language TEXT NOT NULL,
        question TEXT NOT NULL,
        standalone TEXT NOT NULL,       -- the question joined with the ones it follows
        prompt TEXT NOT NULL,           -- JSON: the chat messages the model was given ([] when not called)
        sources TEXT NOT NULL,          -- JSON: the passages, as the API gives them
        reply TEXT NOT NULL,            -- the model's own words
        answer TEXT NOT NULL,           -- what the user was shown
        path TEXT NOT NULL              -- how the answer was made: reply, span, evidence, unsupported, not_found
    );
    CREATE TABLE feedback (
        answer_id TEXT PRIMARY KEY REFERENCES answers (id),
        rating INTEGER,                 -- 1 up, -1 down, NULL none (a comment alone)
        comment TEXT NOT NULL DEFAULT '',
        correction TEXT NOT NULL DEFAULT '',  -- an administrator's corrected answer
        updated REAL NOT NULL
    );
    """,
], postgresql=[
    """
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL,
        "user" TEXT NOT NULL,
        language TEXT NOT NULL,
        question TEXT NOT NULL,
        standalone TEXT NOT NULL,
        prompt TEXT NOT NULL,
        sources TEXT NOT NULL,
        reply TEXT NOT NULL,
        answer TEXT NOT NULL,
        path TEXT NOT NULL
    );
    CREATE TABLE feedback (
        answer_id TEXT PRIMARY KEY REFERENCES answers (id),
        rating INTEGER,
        comment TEXT NOT NULL DEFAULT '',
        correction TEXT NOT NULL DEFAULT '',
        updated DOUBLE PRECISION NOT NULL
    );
    """,
])

Rating = Literal["up", "down"]


@dataclass(frozen=True)
class AnswerRecord:
    id: str
    user: str
    language: str
    question: str
    standalone: str
    prompt: list[dict]
    sources: list[dict]
    reply: str
    answer: str
    path: str
    created: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Rated:
    answer: AnswerRecord
    rating: Rating | None
    comment: str
    correction: str
    updated: float


class FeedbackStore:
    def __init__(self, db_path: Path, database_url: str | None = None) -> None:
        self._db = open_database(db_path, database_url, MIGRATIONS)

    def record(self, answer: AnswerRecord) -> None:
        self._db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            answer.id, answer.created, answer.user, answer.language, answer.question, answer.standalone,
            json.dumps(answer.prompt, ensure_ascii=False), json.dumps(answer.sources, ensure_ascii=False),
            answer.reply, answer.answer, answer.path))

    def answer(self, answer_id: str) -> AnswerRecord | None:
        row = self._db.execute(f"SELECT {_ANSWER} FROM answers a WHERE a.id = ?", (answer_id,)).fetchone()
        return _answer(row) if row else None

    def give(self, answer_id: str, rating: Rating | None | Literal["keep"] = "keep", comment: str | None = None,
             correction: str | None = None) -> None:
        """Feedback on a recorded answer; what is not given ("keep", None) stays as it was."""
        value = {"up": 1, "down": -1, None: None, "keep": None}[rating]
        self._db.execute(
            "INSERT INTO feedback (answer_id, rating, comment, correction, updated) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (answer_id) DO UPDATE SET "
            "rating = CASE WHEN ? THEN feedback.rating ELSE excluded.rating END, "
            "comment = COALESCE(?, feedback.comment), correction = COALESCE(?, feedback.correction), "
            "updated = excluded.updated",
            (answer_id, value, comment or "", correction or "", time.time(), rating == "keep", comment,
             correction))

    def rated(self) -> list[Rated]:
        """Every answer with feedback, newest feedback first."""
        rows = self._db.execute(
            f"SELECT {_ANSWER}, f.rating, f.comment, f.correction, f.updated FROM feedback f "
            "JOIN answers a ON a.id = f.answer_id ORDER BY f.updated DESC").fetchall()
        return [Rated(_answer(row[:11]), {1: "up", -1: "down"}.get(row[11]), row[12], row[13], row[14])
                for row in rows]

    def close(self) -> None:
        self._db.close()


_ANSWER = ('a.id, a."user", a.language, a.question, a.standalone, a.prompt, a.sources, a.reply, a.answer, a.path, '
           'a.created')


def _answer(row: tuple) -> AnswerRecord:
    answer_id, user, language, question, standalone, prompt, sources, reply, answer, path, created = row
    return AnswerRecord(answer_id, user, language, question, standalone, json.loads(prompt), json.loads(sources),
                        reply, answer, path, created)
