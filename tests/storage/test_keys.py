"""API keys: shown once, stored as a hash, acting as their user until revoked — in the SQLite file and on a
PostgreSQL server alike; a front-end opening the same server sees another's keys and revocations at once."""

from __future__ import annotations

from pathlib import Path

from storage import ApiKeys


def test_a_key_acts_as_its_user_until_revoked(tmp_path: Path, database_url: str | None) -> None:
    keys = ApiKeys(tmp_path / "keys" / "keys.sqlite3", database_url)
    record, key = keys.create("hana", "report script")
    assert key.startswith(f"rag-{record.id}-") and record.user == "hana" and record.last_used is None
    assert keys.user_of(key) == (record.id, "hana")
    assert keys.user_of(key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # a forged secret
    assert keys.user_of("rag-nothing") is None
    listed = keys.list("hana")
    assert [k.id for k in listed] == [record.id] and listed[0].last_used is not None  # its first use, recorded
    other, _ = keys.create("ethan")
    assert [k.id for k in keys.list()] == [record.id, other.id] and keys.list("nobody") == []
    assert keys.revoke(record.id) and not keys.revoke(record.id) and not keys.revoke("unknown")
    assert keys.user_of(key) is None
    assert keys.list("hana")[0].revoked is not None  # kept, with when it was revoked


def test_a_second_process_sees_the_same_keys(tmp_path: Path, database_url: str | None) -> None:
    first, second = (ApiKeys(tmp_path / "keys.sqlite3", database_url) for _ in range(2))
    record, key = first.create("hana")
    assert second.user_of(key) == (record.id, "hana")
    second.revoke(record.id)
    assert first.user_of(key) is None
