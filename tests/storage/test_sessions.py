"""Sign-in sessions: random tokens stored as hashes, ended on sign-out, refused once expired or forged."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from storage import Sessions


def test_a_session_names_its_user_until_it_ends(tmp_path: Path) -> None:
    sessions = Sessions(tmp_path / "sessions" / "sessions.sqlite3", hours=1)
    token = sessions.create("hana")
    assert len(token) >= 40 and sessions.create("hana") != token
    assert sessions.user(token) == "hana"
    stored = sqlite3.connect(tmp_path / "sessions" / "sessions.sqlite3").execute("SELECT token_hash FROM sessions")
    assert token not in {row[0] for row in stored}  # only its hash is kept
    assert (tmp_path / "sessions").stat().st_mode & 0o777 == 0o700
    sessions.end(token)
    assert sessions.user(token) is None


def test_forged_and_expired_tokens_name_no_one(tmp_path: Path) -> None:
    sessions = Sessions(tmp_path / "sessions.sqlite3", hours=1 / 3600)  # one second
    token = sessions.create("hana")
    assert sessions.user(token + "x") is None and sessions.user("") is None
    assert sessions.user(token) == "hana"
    time.sleep(1.2)
    assert sessions.user(token) is None


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    token = Sessions(tmp_path / "sessions.sqlite3", hours=1).create("hana")
    assert Sessions(tmp_path / "sessions.sqlite3", hours=1).user(token) == "hana"
