"""Backup, wipe, restore: the same search results, users and audit log; a backup never overwrites; with
RAG_DATABASE_URL, the database through pg_dump and pg_restore."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

import ingest
from chatbot import ChatEngine
from settings import REPO_ROOT, Settings
from storage import AuditEntry, AuditLog, Conversations, Sessions, Turn, UsersFile, UsersTable
from tests.helpers import add_users, password

QUESTIONS = ["How many days of annual leave?", "연차 휴가는 며칠인가?", "Where is parking free?"]


def searches(settings: Settings, embedder) -> list[list[tuple[str, float]]]:
    engine = ChatEngine(settings, embedder=embedder)
    try:
        return [[(p.id, round(p.score, 6)) for p in engine.search(q)] for q in QUESTIONS]
    finally:
        engine.store.close()


def cli(settings: Settings, *args: str, database_url: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_MODELS_DIR": str(settings.models_path), "RAG_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_backup_wipe_restore_gives_the_same_results(settings: Settings, docs: Path, embedder,
                                                     tmp_path: Path) -> None:
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    (docs / "휴가.md").write_text("# 휴가\n\n연차 휴가는 15일이다.\n", encoding="utf-8")
    (docs / "parking.md").write_text("# Parking\n\nParking is free in lot B for staff.\n")
    ingest.run(settings, embedder=embedder)
    add_users(settings, {"hana": ["hr"]})
    AuditLog.for_settings(settings).record(AuditEntry("hana", "How many days of annual leave?", "15 days", True))
    saved = Conversations(settings.conversations_path)
    chat = saved.start("user:hana", "Leave")
    saved.add_turn("user:hana", chat, Turn("How many days of annual leave?", "15 days", {"found": True}))
    before = searches(settings, embedder)
    assert all(before)

    made = cli(settings, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    assert "store, users, audit, conversations" in made.stdout
    again = cli(settings, "backup", str(tmp_path / "backup"))
    assert again.returncode == 2 and "not empty" in again.stderr

    shutil.rmtree(settings.store_path)
    shutil.rmtree(settings.data_dir)
    restored = cli(settings, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr

    assert searches(settings, embedder) == before
    assert UsersFile(settings.users_path).verify("hana", password("hana"))
    assert [e["question"] for e in AuditLog.for_settings(settings).read()] == ["How many days of annual leave?"]
    assert ingest.run(settings, embedder=embedder).chunks_embedded == 0  # the manifest came back too
    assert Conversations(settings.conversations_path).get("user:hana", chat).turns[0].answer == "15 days"

    not_a_backup = cli(settings, "restore", str(tmp_path))
    assert not_a_backup.returncode == 2 and "is not a backup" in not_a_backup.stderr
    assert json.loads((tmp_path / "backup" / "backup.json").read_text())["store"] == "store"


@pytest.mark.server
def test_the_database_mode_backs_up_through_pg_dump_and_restores_into_a_wiped_database(
        settings: Settings, docs: Path, embedder, tmp_path: Path, postgres) -> None:
    url = postgres.new_database()
    in_database = settings.model_copy(update={"database_url": url})
    (docs / "leave.md").write_text("# Leave\n\nEmployees get 15 days of annual leave.\n")
    ingest.run(in_database, embedder=embedder)
    UsersTable(url).add("hana", ["hr"], password("hana"))
    AuditLog.for_settings(in_database).record(AuditEntry("hana", "How many days of annual leave?", "15 days", True))
    saved = Conversations(in_database.conversations_path, database_url=url)
    chat = saved.start("user:hana", "Leave")
    saved.add_turn("user:hana", chat, Turn("How many days of annual leave?", "15 days", {"found": True}))
    session = Sessions(in_database.sessions_path, 8, url)
    token = session.create("hana")

    made = cli(in_database, "backup", str(tmp_path / "backup"), database_url=url)
    assert made.returncode == 0, made.stderr
    assert "store, database" in made.stdout
    # pg_dump's own archive format (pg_restore reads it).
    assert (tmp_path / "backup" / "database.dump").read_bytes().startswith(b"PGDMP")
    embedded = cli(settings, "restore", str(tmp_path / "backup"))
    assert embedded.returncode == 2 and "set RAG_DATABASE_URL" in embedded.stderr

    with psycopg.connect(url, autocommit=True) as wiping:  # the database lost: every table gone
        wiping.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    restored = cli(in_database, "restore", str(tmp_path / "backup"), database_url=url)
    assert restored.returncode == 0, restored.stderr
    assert UsersTable(url).verify("hana", password("hana"))
    assert [e["question"] for e in AuditLog.for_settings(in_database).read()] == ["How many days of annual leave?"]
    turns = Conversations(in_database.conversations_path, database_url=url).get("user:hana", chat).turns
    assert turns[0].answer == "15 days"
    assert Sessions(in_database.sessions_path, 8, url).user(token) is None  # a restore signs everyone out
    assert not in_database.users_path.exists() and not in_database.audit_dir.exists()
    into_embedded_backup = cli(in_database, "restore", str(tmp_path / "embedded"), database_url=url)
    assert into_embedded_backup.returncode == 2 and "is not a backup" in into_embedded_backup.stderr
