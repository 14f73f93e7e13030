"""The audit log: a JSON line per question, a file per day, old days deleted, words hashed when asked."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from storage import AuditEntry, AuditLog


def entry(user: str, question: str, at: datetime | None = None) -> AuditEntry:
    return AuditEntry(user=user, question=question, answer="15 days [1]", found=True,
                      sources=[{"source": "hr/leave.md", "page": None}], at=at)


def test_entries_in_text_mode_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    log.record(entry("hana", "연차 휴가는 며칠인가요?"))
    log.record(entry("ethan", "How long must passwords be?"))
    files = list((tmp_path / "audit").glob("audit-*.jsonl"))
    assert [f.name for f in files] == [f"audit-{date.today().isoformat()}.jsonl"]
    assert files[0].stat().st_mode & 0o777 == 0o600 and (tmp_path / "audit").stat().st_mode & 0o777 == 0o700
    first = json.loads(files[0].read_text().splitlines()[0])
    assert first["user"] == "hana" and first["question"] == "연차 휴가는 며칠인가요?"
    assert first["answer"] == "15 days [1]" and first["found"] is True
    assert first["sources"] == [{"source": "hr/leave.md", "page": None}]
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert [e["user"] for e in log.read(user="ethan")] == ["ethan"]


def test_hash_mode_keeps_no_words(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit", text="hash")
    log.record(entry("hana", "What is the merger codename?"))
    text = next((tmp_path / "audit").glob("audit-*.jsonl")).read_text()
    assert "merger" not in text and "15 days" not in text
    line = json.loads(text)
    assert line["question_hmac"] == log.hmac_of("What is the merger codename?")
    assert line["answer_hmac"] == log.hmac_of("15 days [1]") != line["question_hmac"]
    assert line["sources"] and line["user"] == "hana"
    # Keyed: the same question under another install's key hashes differently.
    assert AuditLog(tmp_path / "other").hmac_of("What is the merger codename?") != line["question_hmac"]


def test_a_file_per_day_and_days_past_retention_are_deleted(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit", keep_days=30)
    today = datetime.now().astimezone()
    for days_ago in (40, 31, 29, 1):
        log.record(entry("hana", f"asked {days_ago} days ago", at=today - timedelta(days=days_ago)))
    log.record(entry("hana", "asked today", at=today))
    kept = sorted(p.stem.removeprefix("audit-") for p in (tmp_path / "audit").glob("audit-*.jsonl"))
    assert kept == sorted((today - timedelta(days=d)).date().isoformat() for d in (29, 1, 0))
    since = (today - timedelta(days=1)).date()
    assert [e["question"] for e in log.read(since=since)] == ["asked 1 days ago", "asked today"]
