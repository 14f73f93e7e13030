"""The audit log: a JSON line per question — a file per day, or a row on the database server — old days
deleted, words hashed when asked; both back-ends read alike."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from settings import Settings
from storage import AuditEntry, AuditFile, AuditLog, AuditTable


def entry(user: str, question: str, at: datetime | None = None) -> AuditEntry:
    return AuditEntry(user=user, question=question, answer="15 days [1]", found=True,
                      sources=[{"source": "hr/leave.md", "page": None}], at=at)


def audit_log(tmp_path: Path, database_url: str | None, **options) -> AuditLog:
    """The log the settings choose: files in the data folder, or the table on the database server."""
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, **options)
    log = AuditLog.for_settings(settings)
    assert isinstance(log, AuditTable if database_url else AuditFile)
    return log


def test_entries_are_read_back_in_order_by_user_and_day(tmp_path: Path, database_url: str | None) -> None:
    log = audit_log(tmp_path, database_url)
    log.record(entry("hana", "연차 휴가는 며칠인가요?"))
    log.record(entry("ethan", "How long must passwords be?"))
    log.record(entry("hana", "And contractors?"))
    first = next(log.read())
    assert first["user"] == "hana" and first["question"] == "연차 휴가는 며칠인가요?"
    assert first["answer"] == "15 days [1]" and first["found"] is True
    assert first["sources"] == [{"source": "hr/leave.md", "page": None}]
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert [e["question"] for e in log.read(user="hana")] == ["연차 휴가는 며칠인가요?", "And contractors?"]
    assert [e["user"] for e in log.read(user="ethan")] == ["ethan"]
    assert list(log.read(since=date.today() + timedelta(days=1))) == []


def test_text_mode_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    log = AuditFile(tmp_path / "audit")
    log.record(entry("hana", "연차 휴가는 며칠인가요?"))
    files = list((tmp_path / "audit").glob("audit-*.jsonl"))
    assert [f.name for f in files] == [f"audit-{date.today().isoformat()}.jsonl"]
    assert files[0].stat().st_mode & 0o777 == 0o600 and (tmp_path / "audit").stat().st_mode & 0o777 == 0o700
    assert json.loads(files[0].read_text())["question"] == "연차 휴가는 며칠인가요?"


def test_hash_mode_keeps_no_words(tmp_path: Path, database_url: str | None) -> None:
    log = audit_log(tmp_path, database_url, audit_text="hash")
    log.record(entry("hana", "What is the merger codename?"))
    line = next(log.read())
    assert "merger" not in json.dumps(line) and "15 days" not in json.dumps(line)
    if database_url is None:
        text = next((tmp_path / "data" / "audit").glob("audit-*.jsonl")).read_text()
        assert "merger" not in text and "15 days" not in text
    assert line["question_hmac"] == log.hmac_of("What is the merger codename?")
    assert line["answer_hmac"] == log.hmac_of("15 days [1]") != line["question_hmac"]
    assert line["sources"] and line["user"] == "hana"
    # Keyed: the same question under another installation's key hashes differently; in the database, every
    # front-end reads the one key.
    assert AuditFile(tmp_path / "other").hmac_of("What is the merger codename?") != line["question_hmac"]
    if database_url:
        again = audit_log(tmp_path / "another-front-end", database_url, audit_text="hash")
        assert again.hmac_of("What is the merger codename?") == line["question_hmac"]


def test_days_past_retention_are_deleted(tmp_path: Path, database_url: str | None) -> None:
    log = audit_log(tmp_path, database_url, audit_days=30)
    today = datetime.now().astimezone()
    for days_ago in (40, 31, 29, 1):
        log.record(entry("hana", f"asked {days_ago} days ago", at=today - timedelta(days=days_ago)))
    log.record(entry("hana", "asked today", at=today))
    assert [e["question"] for e in log.read()] == ["asked 29 days ago", "asked 1 days ago", "asked today"]
    if database_url is None:  # a file per day
        files = (tmp_path / "data" / "audit").glob("audit-*.jsonl")
        kept = sorted(p.stem.removeprefix("audit-") for p in files)
        assert kept == sorted((today - timedelta(days=d)).date().isoformat() for d in (29, 1, 0))
    since = (today - timedelta(days=1)).date()
    assert [e["question"] for e in log.read(since=since)] == ["asked 1 days ago", "asked today"]
