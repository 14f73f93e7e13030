"""Backup, wipe, restore: the same search results, users and audit log; a backup never overwrites."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ingest
from chatbot import ChatEngine
from settings import REPO_ROOT, Settings
from storage import AuditEntry, AuditLog, Conversations, Turn, UsersFile
from tests.helpers import add_users, password

QUESTIONS = ["How many days of annual leave?", "연차 휴가는 며칠인가?", "Where is parking free?"]


def searches(settings: Settings, embedder) -> list[list[tuple[str, float]]]:
    engine = ChatEngine(settings, embedder=embedder)
    try:
        return [[(p.id, round(p.score, 6)) for p in engine.search(q)] for q in QUESTIONS]
    finally:
        engine.store.close()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_MODELS_DIR": str(settings.models_path)}
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
