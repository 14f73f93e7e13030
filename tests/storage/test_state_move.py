"""`python -m chatbot migrate-state --to postgresql://…`: an embedded installation's users, keys, directory
users, saved chats, answers with feedback and audit log copied into an empty database — counts printed, the
same passwords sign in, hashed audit entries found with the same key — and refused into one that is not
empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ingest
from settings import REPO_ROOT, Settings
from storage import (
    AnswerRecord,
    ApiKeys,
    AuditEntry,
    AuditLog,
    Conversations,
    DirectoryAccounts,
    FeedbackStore,
    Sessions,
    Store,
    Turn,
    UsersFile,
    UsersTable,
)

pytestmark = pytest.mark.server


def embedded_installation(data_dir: Path, docs: Path, embedder) -> tuple[Settings, str]:
    """A data folder as `make run` leaves it after an ingest and some use (hashed audit entries), and an API
    key made in it."""
    settings = Settings(data_dir=data_dir, docs_dir=docs, audit_text="hash")
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    assert ingest.run(settings, embedder=embedder).added == 1
    users = UsersFile(settings.users_path)
    users.add("kim", ["hr"], "kim's long passphrase")
    users.add("lee", ["it", "admins"], "lee's long passphrase")
    _, key = ApiKeys(settings.keys_path).create("kim", "nightly report")
    ApiKeys(settings.keys_path).create("lee", "wiki")
    DirectoryAccounts(settings.directory_accounts_path).seen("mina", ["인사팀"])
    chats = Conversations(settings.conversations_path)
    chat = chats.start("user:kim", "연차")
    chats.add_turn("user:kim", chat, Turn("연차 휴가는 며칠인가요?", "**15일**입니다. [1]"))
    chats.add_turn("user:kim", chat, Turn("And contractors?", "Contractors get none. [1]"))
    store = FeedbackStore(settings.feedback_path)
    store.record(AnswerRecord("a" * 32, "kim", "ko", "연차 휴가는 며칠인가요?", "연차 휴가는 며칠인가요?", [], [],
                              "15일", "**15일**입니다. [1]", "span"))
    store.give("a" * 32, "up", comment="맞아요")
    log = AuditLog.for_settings(settings)
    for user, question in (("kim", "연차 휴가는 며칠인가요?"), ("lee", "How long must passwords be?")):
        log.record(AuditEntry(user=user, question=question, answer="…", found=True))
    Sessions(settings.sessions_path, 8).create("kim")
    return settings, key


def migrate_state(settings: Settings, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_AUDIT_TEXT": "hash"}
    env.pop("RAG_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "chatbot", "migrate-state", "--to", url], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_state_moves_into_an_empty_database_and_not_into_a_filled_one(tmp_path: Path, docs: Path, embedder,
                                                                          postgres) -> None:
    settings, key = embedded_installation(tmp_path / "data", docs, embedder)
    url = postgres.new_database()
    done = migrate_state(settings, url)
    assert done.returncode == 0, done.stderr
    counts = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    for table, n in (("users", 2), ("keys", 2), ("accounts", 1), ("conversations", 1), ("turns", 2),
                     ("answers", 1), ("feedback", 1), ("audit", 2), ("audit_key", 1), ("files", 1),
                     ("ingest_runs", 1)):
        assert f"{table}: {n} in {settings.data_dir}, {n} in the database" == counts[table]
    assert "1 sign-in sessions not moved" in done.stdout
    # The store's manifest and keyword index: a front-end on another host serves them from the database.
    elsewhere = settings.model_copy(update={"database_url": url, "store_dir": tmp_path / "other-host-store"})
    store = Store(elsewhere)
    try:
        assert set(store.files()) == {"leave.md"} and store.last_run()["report"]["added"] == 1
        index, version = store.serve_lexical_index()
        assert version is not None and index.search(["leav"], 3) and index.search(["annual"], 3)
    finally:
        store.close()

    moved = settings.model_copy(update={"database_url": url})
    assert UsersTable(url).verify("kim", "kim's long passphrase").groups == ("hr",)
    assert UsersTable(url).verify("lee", "wrong") is None
    assert ApiKeys(settings.keys_path, url).user_of(key)[1] == "kim"
    assert [a.groups for a in DirectoryAccounts(settings.directory_accounts_path, url).all()] == [("인사팀",)]
    chat = Conversations(settings.conversations_path, database_url=url).list("user:kim")[0]
    opened = Conversations(settings.conversations_path, database_url=url).get("user:kim", chat.id)
    assert [t.question for t in opened.turns] == ["연차 휴가는 며칠인가요?", "And contractors?"]
    rated = FeedbackStore(settings.feedback_path, url).rated()
    assert [(r.answer.question, r.rating, r.comment) for r in rated] == [("연차 휴가는 며칠인가요?", "up", "맞아요")]
    audit = AuditLog.for_settings(moved)
    assert list(audit.read()) == list(AuditLog.for_settings(settings).read())
    assert [e["user"] for e in audit.read()] == ["kim", "lee"]
    # The same key: an entry hashed before the move is found by its question after it.
    assert next(audit.read("kim"))["question_hmac"] == audit.hmac_of("연차 휴가는 며칠인가요?")

    again = migrate_state(settings, url)
    assert again.returncode == 2 and "the database is not empty: keys (2 rows)" in again.stderr
    assert "Traceback" not in again.stderr
    assert len(list(audit.read())) == 2  # nothing copied twice
    mistyped = migrate_state(settings, "postgres 10.0.0.7")
    assert mistyped.returncode == 2 and "the database URL is not valid" in mistyped.stderr
    assert "Traceback" not in mistyped.stderr
