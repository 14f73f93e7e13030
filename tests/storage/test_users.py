"""The users — in the users file, or in a table on the database server: argon2 hashes only, edits through the
CLI's functions, broken files named with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import psycopg

from settings import Settings
from storage import UsersError, UsersFile, UsersTable, open_users


def opened(tmp_path: Path, database_url: str | None) -> UsersFile | UsersTable:
    return open_users(Settings(data_dir=tmp_path, database_url=database_url))


def test_users_are_stored_with_argon2_hashes_never_the_password(tmp_path: Path, database_url: str | None) -> None:
    users = opened(tmp_path, database_url)
    users.add("hana", ["hr", "인사팀"], "correct horse")
    if database_url:
        with psycopg.connect(database_url) as connection:
            rows = connection.execute('SELECT name, "groups", password_hash FROM users').fetchall()
        assert not (tmp_path / "users.json").exists() and "correct horse" not in str(rows)
        stored = {"password": rows[0][2], "groups": json.loads(rows[0][1])}
    else:
        text = (tmp_path / "users.json").read_text()
        assert "correct horse" not in text
        stored = json.loads(text)["users"]["hana"]
        assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert stored["password"].startswith("$argon2id$") and stored["groups"] == ["hr", "인사팀"]

    assert users.verify("hana", "correct horse").groups == ("hr", "인사팀")
    assert users.verify("hana", "wrong horse") is None
    assert users.verify("nobody", "correct horse") is None
    reader = users.get("hana").reader("admin")
    assert reader.groups == {"hr", "인사팀", "everyone"} and not reader.sees_all


def test_admin_group_sees_everything_and_passwd_and_remove(tmp_path: Path, database_url: str | None) -> None:
    users = opened(tmp_path, database_url)
    users.add("root", ["admin"], "first password")
    assert users.get("root").reader("admin").sees_all
    users.set_password("root", "second password")
    assert users.verify("root", "first password") is None and users.verify("root", "second password")
    users.remove("root")
    assert users.get("root") is None
    with pytest.raises(UsersError, match="no user 'root'"):
        users.remove("root")
    with pytest.raises(UsersError, match="no user 'root'"):
        users.set_password("root", "third password")


@pytest.mark.parametrize("name, groups, password, reason", [
    ("hana", ["hr"], "short", "at least 8 characters"),
    ("ha na", ["hr"], "long enough", "invalid user name"),
    ("hana", ["h r"], "long enough", "invalid group name"),
])
def test_bad_requests_are_refused_with_the_reason(tmp_path: Path, name, groups, password, reason) -> None:
    with pytest.raises(UsersError, match=reason):
        UsersFile(tmp_path / "users.json").add(name, groups, password)
    assert not (tmp_path / "users.json").exists()


def test_a_user_cannot_be_added_twice(tmp_path: Path, database_url: str | None) -> None:
    users = opened(tmp_path, database_url)
    users.add("hana", ["hr"], "long enough")
    with pytest.raises(UsersError, match="already exists"):
        users.add("hana", ["eng"], "long enough")
    assert opened(tmp_path, database_url).get("hana").groups == ("hr",)  # another front-end sees the first


@pytest.mark.parametrize("content, reason", [
    ('{"users": {"hana": {"groups": ["hr"], "password": "x"', "not valid JSON: line 1"),
    ('{"users": {"hana": {"groups": ["hr"], "password": "plain"}}}', "not an argon2 hash"),
    ('{"users": {"hana": {"password": "$argon2id$x"}}}', 'needs "groups"'),
    ('[]', 'must be an object with a "users" object'),
])
def test_a_malformed_users_file_is_named_with_the_reason(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(UsersError, match=reason) as error:
        UsersFile(path).users()
    assert str(path) in str(error.value)


def test_a_file_broken_after_a_good_read_keeps_the_last_good_users(tmp_path: Path, caplog) -> None:
    path = tmp_path / "users.json"
    users = UsersFile(path)
    users.add("hana", ["hr"], "long enough")
    assert users.verify("hana", "long enough")
    path.write_text("{ broken")
    assert users.verify("hana", "long enough")  # the server keeps serving
    assert "not valid JSON" in caplog.text and str(path) in caplog.text
