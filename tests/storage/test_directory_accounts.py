"""Directory users as last seen (storage.directory_accounts): their groups, when the directory was asked."""

from __future__ import annotations

import time
from pathlib import Path

from storage import DirectoryAccounts


def test_a_directory_user_is_kept_with_the_groups_last_seen_until_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "directory.sqlite3"
    accounts = DirectoryAccounts(path)
    before = time.time()
    accounts.seen("mina", ["hr", "인사팀", "hr"])
    again = DirectoryAccounts(path)  # another front-end on the same data folder
    account = again.get("mina")
    assert account is not None and account.groups == ("hr", "인사팀") and account.checked >= before
    assert not account.older_than(60) and account.older_than(0)
    accounts.seen("mina", ["eng"])  # the directory's word replaces the last one
    assert again.get("mina").groups == ("eng",)
    assert [a.name for a in again.all()] == ["mina"]
    again.forget("mina")
    assert accounts.get("mina") is None and accounts.all() == []
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"  # names and groups: the server's account only
