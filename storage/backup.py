"""Backup and restore: the store (Chroma, manifest, keyword index), the users file, the audit log, the
saved chats, the API keys (their hashes), and the answers with their feedback — or, with RAG_DATABASE_URL,
the database that holds all but the store (``pg_dump``'s archive, put back by ``pg_restore``).

A backup holds the writer lock, so no ingest changes the store while it is
copied; the server only reads the store, so it may keep serving. SQLite
databases are copied with SQLite's own backup (consistent even with a
reader attached); sign-in sessions are not kept (a restore signs everyone
out). A restore replaces the store and the users file; stop the server
first, as it keeps the store it opened. A backup restores into the mode it
was made in: a database backup needs the URL set, an embedded one needs it
unset (then ``migrate-state`` moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from settings import Settings

from .store import LOCK_FILE, StoreError, now_iso, writer_lock

INDEX = "backup.json"
DUMP = "database.dump"
# Rows a restore must not bring back: sign-in sessions (a restore signs everyone out, as in the embedded mode)
# and the last minute's rate-limit counts.
_NOT_KEPT = ("sessions", "window_events")


def backup(settings: Settings, target: Path) -> dict:
    """Copy everything worth keeping into ``target`` (new or empty); what was copied."""
    if target.exists() and any(target.iterdir()):
        raise StoreError(f"{target} is not empty: back up into a new folder")
    if not settings.store_path.is_dir():
        raise StoreError(f"no store at {settings.store_path} to back up")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)  # the users' password hashes and the audit log are in it
    with writer_lock(settings):
        _copy_store(settings.store_path, target / "store")
    copied = {"created": now_iso(), "store": "store"}
    if settings.users_path.exists():
        shutil.copy2(settings.users_path, target / "users.json")
        copied["users"] = "users.json"
    if settings.audit_dir.is_dir():
        shutil.copytree(settings.audit_dir, target / "audit")
        copied["audit"] = "audit"
    for name, path in _databases(settings).items():
        if path.exists():
            _copy_database(path, target / f"{name}.sqlite3")
            copied[name] = f"{name}.sqlite3"
    if settings.database_url:
        _pg("pg_dump", settings.database_url, "--format=custom", "--no-owner", "--no-privileges",
            *(f"--exclude-table-data={table}" for table in _NOT_KEPT), f"--file={target / DUMP}")
        copied["database"] = DUMP
    (target / INDEX).write_text(json.dumps(copied, indent=2))
    return copied


def restore(settings: Settings, source: Path) -> dict:
    """Put a backup back in place of the current store, users file, audit log, saved chats and API keys;
    what was restored."""
    try:
        copied = json.loads((source / INDEX).read_text())
    except (OSError, ValueError):
        raise StoreError(f"{source} is not a backup (no readable {INDEX})") from None
    if "database" in copied and not settings.database_url:
        raise StoreError(f"{source} holds a database (RAG_DATABASE_URL was set when it was made): set "
                         "RAG_DATABASE_URL to the database to restore it into")
    if settings.database_url and "database" not in copied:
        raise StoreError(f"{source} is a backup of an embedded installation: restore it with RAG_DATABASE_URL "
                         "unset, then move it with python -m chatbot migrate-state --to ...")
    if "database" in copied:  # first: it fails as a whole (one transaction), before anything else changed
        _pg("pg_restore", settings.database_url, "--clean", "--if-exists", "--no-owner", "--no-privileges",
            "--single-transaction", "--exit-on-error", str(source / copied["database"]))
    with writer_lock(settings):
        for entry in settings.store_path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            elif entry.name != LOCK_FILE:
                entry.unlink()
        _copy_store(source / copied["store"], settings.store_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if "users" in copied:
        shutil.copy2(source / copied["users"], settings.users_path)
    if "audit" in copied:
        shutil.rmtree(settings.audit_dir, ignore_errors=True)
        shutil.copytree(source / copied["audit"], settings.audit_dir)
    for name, path in _databases(settings).items():
        if name in copied:
            for stale in path.parent.glob(f"{path.name}*"):
                stale.unlink()  # the database and its -wal/-shm files: a stale log must not be replayed onto it
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _copy_database(source / copied[name], path)
    return copied


def _pg(tool: str, url: str, *args: str) -> None:
    """PostgreSQL's own ``pg_dump`` or ``pg_restore`` on the database at ``url``; its password in the
    environment, not on the command line (which every local user can read)."""
    params = conninfo_to_dict(url)
    env = {**os.environ, "PGPASSWORD": str(params.pop("password", ""))}
    try:
        done = subprocess.run([tool, f"--dbname={make_conninfo(**params)}", *args], env=env,
                              capture_output=True, text=True)
    except FileNotFoundError:
        raise StoreError(f"{tool} not found: install PostgreSQL's client programs (apt-get install "
                         "postgresql-client)") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
        raise StoreError(f"{tool} failed: {first}")


def _databases(settings: Settings) -> dict[str, Path]:
    """The data folder's databases a backup keeps (not the sign-in sessions: a restore signs everyone out)."""
    return {"conversations": settings.conversations_path, "keys": settings.keys_path,
            "feedback": settings.feedback_path}


def _copy_store(source: Path, target: Path) -> None:
    """Every file of a store; SQLite databases through SQLite's backup, without their -wal/-shm files."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.name == LOCK_FILE or path.name.endswith(("-wal", "-shm")) or path.is_dir():
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".sqlite3":
            _copy_database(path, target / relative)
        else:
            shutil.copy2(path, target / relative)


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database in use, through SQLite's backup."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
