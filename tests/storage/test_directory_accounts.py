"""Directory users as last seen (storage.directory_accounts): their groups, when the directory was asked — in
the SQLite file and on a PostgreSQL server alike."""

from __future__ import annotations

import time
from pathlib import Path

from settings import Settings
from storage import DirectoryAccounts, seen_accounts


def test_a_directory_user_is_kept_with_the_groups_last_seen_until_forgotten(tmp_path: Path,
                                                                           database_url: str | None) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    path = settings.directory_accounts_path
    assert seen_accounts(settings) == []  # no directory user yet: nothing is made to say so
    accounts = DirectoryAccounts(path, database_url)
    before = time.time()
    accounts.seen("mina", ["hr", "인사팀", "hr"])
    again = DirectoryAccounts(path, database_url)  # another front-end on the same data folder or database
    account = again.get("mina")
    assert account is not None and account.groups == ("hr", "인사팀") and account.checked >= before
    assert not account.older_than(60) and account.older_than(0)
    accounts.seen("mina", ["eng"])  # the directory's word replaces the last one
    assert again.get("mina").groups == ("eng",)
    assert [a.name for a in seen_accounts(settings)] == ["mina"]
    again.forget("mina")
    assert accounts.get("mina") is None and accounts.all() == []
    assert path.exists() != bool(database_url)
    if not database_url:
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"  # names and groups: the server's account only
