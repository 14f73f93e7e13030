"""Sign-in sessions: random tokens stored as hashes, ended on sign-out, refused once expired or forged — in the
SQLite file and on a PostgreSQL server alike."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import psycopg

from storage import Sessions


def stored_hashes(path: Path, database_url: str | None) -> set[str]:
    if database_url:
        with psycopg.connect(database_url) as connection:
            return {row[0] for row in connection.execute("SELECT token_hash FROM sessions")}
    return {row[0] for row in sqlite3.connect(path).execute("SELECT token_hash FROM sessions")}


def test_a_session_names_its_user_until_it_ends(tmp_path: Path, database_url: str | None) -> None:
    path = tmp_path / "sessions" / "sessions.sqlite3"
    sessions = Sessions(path, hours=1, database_url=database_url)
    token = sessions.create("hana")
    assert len(token) >= 40 and sessions.create("hana") != token
    assert sessions.user(token) == "hana"
    hashes = stored_hashes(path, database_url)
    assert len(hashes) == 2 and token not in hashes  # only its hash is kept
    assert path.exists() != bool(database_url)  # on the server, nothing in the data folder
    if not database_url:
        assert (tmp_path / "sessions").stat().st_mode & 0o777 == 0o700
    sessions.end(token)
    assert sessions.user(token) is None


def test_forged_and_expired_tokens_name_no_one(tmp_path: Path, database_url: str | None) -> None:
    sessions = Sessions(tmp_path / "sessions.sqlite3", hours=1 / 3600, database_url=database_url)  # one second
    token = sessions.create("hana")
    assert sessions.user(token + "x") is None and sessions.user("") is None
    assert sessions.user(token) == "hana"
    time.sleep(1.2)
    assert sessions.user(token) is None


def test_sessions_survive_a_restart(tmp_path: Path, database_url: str | None) -> None:
    token = Sessions(tmp_path / "sessions.sqlite3", hours=1, database_url=database_url).create("hana")
    assert Sessions(tmp_path / "sessions.sqlite3", hours=1, database_url=database_url).user(token) == "hana"
