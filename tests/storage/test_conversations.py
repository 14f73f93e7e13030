"""Saved chats: each owner sees only their own; turns keep their order and details across threads and
restarts; rename, delete and forgetting old chats."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from storage import Conversations, Turn
from storage import conversations as conversations_module

TURN = Turn("How many days of leave?", "According to the documents: **15 days**.",
            {"found": True, "sources": [{"source": "hr/policy.md", "label": "hr/policy.md"}], "evidence": []})


def test_a_chat_keeps_its_turns_for_its_owner_only_across_a_restart(tmp_path: Path,
                                                                    database_url: str | None) -> None:
    path = tmp_path / "conversations" / "conversations.sqlite3"
    saved = Conversations(path, database_url=database_url)
    chat = saved.start("user:hana", "  How many days\nof leave?  ")
    assert saved.add_turn("user:hana", chat, TURN)
    assert saved.add_turn("user:hana", chat, Turn("And for contractors?", "연차는 **15일**입니다.", {"found": False}))
    assert not saved.add_turn("user:ethan", chat, TURN)  # not his
    saved.close()

    reopened = Conversations(path, database_url=database_url)
    found = reopened.get("user:hana", chat)
    assert found is not None and found.title == "How many days of leave?"  # one line
    assert [t.question for t in found.turns] == ["How many days of leave?", "And for contractors?"]
    assert found.turns[0] == TURN and found.turns[1].answer == "연차는 **15일**입니다."
    assert reopened.get("user:ethan", chat) is None and reopened.list("user:ethan") == []
    assert [c.id for c in reopened.list("user:hana")] == [chat]
    if not database_url:  # a folder only the server may enter
        assert (tmp_path / "conversations").stat().st_mode & 0o777 == 0o700


def test_the_list_is_most_recent_first_and_rename_and_delete_touch_only_the_owners(tmp_path: Path,
                                                                                   database_url: str | None) -> None:
    saved = Conversations(tmp_path / "c.sqlite3", database_url=database_url)
    first, second = saved.start("browser:a", "first"), saved.start("browser:a", "second")
    saved.add_turn("browser:a", first, TURN)  # used last: listed first
    assert [c.title for c in saved.list("browser:a")] == ["first", "second"]
    assert not saved.rename("browser:b", first, "taken") and not saved.delete("browser:b", first)
    assert saved.rename("browser:a", first, "x" * 500)
    assert saved.get("browser:a", first).title == "x" * 79 + "…"
    assert saved.delete("browser:a", first)
    assert saved.get("browser:a", first) is None and [c.id for c in saved.list("browser:a")] == [second]
    assert not saved.add_turn("browser:a", first, TURN)  # deleted: nothing is added to it


def test_turns_added_from_many_threads_all_keep_their_place(tmp_path: Path, database_url: str | None) -> None:
    saved = Conversations(tmp_path / "c.sqlite3", database_url=database_url)
    chat = saved.start("user:hana", "busy")

    def add(worker: int) -> None:
        for n in range(20):
            assert saved.add_turn("user:hana", chat, Turn(f"{worker}-{n}", "a"))

    threads = [threading.Thread(target=add, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    questions = [t.question for t in saved.get("user:hana", chat).turns]
    assert sorted(questions) == sorted(f"{w}-{n}" for w in range(8) for n in range(20))
    for worker in range(8):  # each thread's turns in the order it added them
        assert [q for q in questions if q.startswith(f"{worker}-")] == [f"{worker}-{n}" for n in range(20)]


def test_chats_unused_for_longer_than_kept_are_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         database_url: str | None) -> None:
    saved = Conversations(tmp_path / "c.sqlite3", keep_days=30, database_url=database_url)
    old = saved.start("user:hana", "old")
    saved.add_turn("user:hana", old, TURN)
    later = time.time() + 31 * 86400  # a month passes: the clock is the one thing a test cannot wait for
    monkeypatch.setattr(conversations_module.time, "time", lambda: later)
    new = saved.start("user:hana", "new")
    assert [c.id for c in saved.list("user:hana")] == [new]
    assert saved.get("user:hana", old) is None
