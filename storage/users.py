"""The users file (DATA_DIR/users.json): each user's name, groups and argon2 password hash — or, with
RAG_DATABASE_URL, the same in a table on the database server (``UsersTable``), so that front-ends on several
hosts sign in the same people; ``open_users`` picks by the settings.

Admins edit it through ``python -m chatbot users``; a hand edit that breaks
it is reported with the file, the line and the reason. Writes go to a
temporary file that replaces the old one, under a lock, readable by the
owner only.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


from settings import Settings

from .access import Reader, valid_group
from .database import Migrations, PostgresDatabase, describe

log = logging.getLogger(__name__)

_USER_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
    Made on first sign-in, not at import: hashing takes a quarter of a second, which every ingest run paid."""
    return _HASHER.hash("not a password")


class UsersError(ValueError):
    """The users file or a request to change it is wrong; the message says which and why."""


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]
    password_hash: str

    def reader(self, admin_group: str) -> Reader:
        return Reader.member(self.name, self.groups, admin_group)


class UsersFile:
    """The users, re-read when the file changes; a broken file keeps the last good copy in use (and logs why)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: tuple[float, dict[str, User]] | None = None

    # reading
    def users(self) -> dict[str, User]:
        """Every user; raises UsersError when the file is broken and no good copy was read before."""
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime_ns
            except FileNotFoundError:
                return {}
            if self._loaded is None or self._loaded[0] != mtime:
                try:
                    self._loaded = (mtime, _parse(self.path))
                except UsersError as error:
                    if self._loaded is None:
                        raise
                    log.error("%s; still using the users as last read", error)
            return self._loaded[1]

    def get(self, name: str) -> User | None:
        return self.users().get(name)

    def verify(self, name: str, password: str) -> User | None:
        return _verified(self.get(name), password)

    # changing (the CLI)
    def add(self, name: str, groups: list[str], password: str) -> User:
        with self._editing() as users:
            if name in users:
                raise UsersError(f"user {name!r} already exists (users passwd changes the password)")
            users[name] = User(_checked_name(name), _checked_groups(groups), _hash(password))
            return users[name]

    def remove(self, name: str) -> None:
        with self._editing() as users:
            if users.pop(name, None) is None:
                raise UsersError(f"no user {name!r} in {self.path}")

    def set_password(self, name: str, password: str) -> None:
        with self._editing() as users:
            if name not in users:
                raise UsersError(f"no user {name!r} in {self.path}")
            users[name] = User(name, users[name].groups, _hash(password))

    @contextmanager
    def _editing(self) -> Iterator[dict[str, User]]:
        """The users to change, written back when the block ends without an error; one editor at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users = _parse(self.path) if self.path.exists() else {}
            yield users
            _write(self.path, users)


MIGRATIONS = Migrations("users", sqlite=[], postgresql=[  # the embedded install keeps the users file
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        "groups" TEXT NOT NULL,         -- JSON list
        password_hash TEXT NOT NULL     -- argon2
    );
    """,
])


class UsersTable:
    """The users on the database server: the users file's names, groups and hashes, a row each; every change
    is one statement, seen at once by every front-end."""

    def __init__(self, url: str) -> None:
        self._db = PostgresDatabase(url, MIGRATIONS)
        self.path = describe(url)  # where the users are, for messages

    def users(self) -> dict[str, User]:
        rows = self._db.execute(f"{_SELECT_USERS} ORDER BY name").fetchall()
        return {row[0]: _user(row) for row in rows}

    def get(self, name: str) -> User | None:
        row = self._db.execute(f"{_SELECT_USERS} WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def verify(self, name: str, password: str) -> User | None:
        return _verified(self.get(name), password)

    def add(self, name: str, groups: list[str], password: str) -> User:
        user = User(_checked_name(name), _checked_groups(groups), _hash(password))
        if not self._db.execute("INSERT INTO users VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                                (user.name, json.dumps(user.groups, ensure_ascii=False), user.password_hash)).rowcount:
            raise UsersError(f"user {name!r} already exists (users passwd changes the password)")
        return user

    def remove(self, name: str) -> None:
        if not self._db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
            raise UsersError(f"no user {name!r} in {self.path}")

    def close(self) -> None:
        self._db.close()

    def set_password(self, name: str, password: str) -> None:
        if not self._db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hash(password), name)).rowcount:
            raise UsersError(f"no user {name!r} in {self.path}")


_SELECT_USERS = 'SELECT name, "groups", password_hash FROM users'


def _user(row: tuple) -> User:
    name, groups, password_hash = row
    return User(name, tuple(json.loads(groups)), password_hash)


def open_users(settings: Settings) -> UsersFile | UsersTable:
    """The installation's users: on the database server when RAG_DATABASE_URL is set, else the users file."""
    return UsersTable(settings.database_url) if settings.database_url else UsersFile(settings.users_path)


def _verified(user: User | None, password: str) -> User | None:
    """The user when the password is theirs; as slow for an unknown name as for a wrong password."""
    try:
        _HASHER.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def _parse(path: Path) -> dict[str, User]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsersError(f"cannot read the users file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsersError(f"the users file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise UsersError(f"the users file {path} is not valid JSON: line {error.lineno}: {error.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
        raise UsersError(f'the users file {path} must be an object with a "users" object')
    users = {}
    for name, entry in data["users"].items():
        where = f"the users file {path}, user {name!r}"
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str) \
                or not isinstance(entry.get("groups"), list):
            raise UsersError(f'{where}: needs "groups" (a list) and "password" (a hash)')
        if not entry["password"].startswith("$argon2"):
            raise UsersError(f"{where}: the password is not an argon2 hash (set it with: users passwd {name})")
        try:
            users[name] = User(_checked_name(name), _checked_groups(entry["groups"]), entry["password"])
        except UsersError as error:
            raise UsersError(f"{where}: {error}") from None
    return users


def _write(path: Path, users: dict[str, User]) -> None:
    data = {"users": {u.name: {"groups": list(u.groups), "password": u.password_hash} for u in users.values()}}
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".users-")  # created 0600
    with os.fdopen(handle, "w", encoding="utf-8") as output:
        json.dump(data, output, ensure_ascii=False, indent=2)
        output.flush()
        os.fsync(output.fileno())
    os.replace(temporary, path)


def _hash(password: str) -> str:
    if len(password) < 8:
        raise UsersError("the password must be at least 8 characters")
    return _HASHER.hash(password)


def _checked_name(name: str) -> str:
    if not _USER_NAME.match(name):
        raise UsersError(f"invalid user name {name!r}: letters, digits and _ . @ - only, at most 64")
    return name


def _checked_groups(groups: list) -> tuple[str, ...]:
    bad = [g for g in groups if not isinstance(g, str) or not valid_group(g)]
    if bad:
        raise UsersError(f"invalid group name {bad[0]!r}: letters, digits and _ . - only, at most 64")
    return tuple(dict.fromkeys(groups))
