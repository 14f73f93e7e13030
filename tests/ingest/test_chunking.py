"""Chunk sizes: a Korean text and its English translation are cut into about as many chunks."""

from __future__ import annotations

from pathlib import Path

import ingest
from settings import Settings
from tests.helpers import stored_chunks

ENGLISH = [
    "New employees receive fifteen days of annual leave after their first year of service.",
    "Unused annual leave may be carried over to the next year, up to five days.",
    "Sick leave is paid in full for the first ten days of each calendar year.",
    "A medical certificate is required for sick leave longer than three consecutive days.",
    "Parental leave can be taken for up to one year per child before the child turns eight.",
    "Employees must request annual leave through the HR portal at least two weeks in advance.",
    "Managers approve or decline leave requests within three working days of receiving them.",
    "Overtime work beyond twelve hours a week requires the written consent of the employee.",
    "Remote work is allowed for up to two days a week with the approval of the team lead.",
    "Company laptops must be encrypted and locked whenever they are left unattended.",
    "Travel expenses are reimbursed within thirty days once the receipts are submitted.",
    "Questions about these rules should be sent to the HR team by email or internal chat.",
]
KOREAN = [
    "신입 직원은 근속 1년이 지나면 연차휴가 15일을 받는다.",
    "사용하지 않은 연차휴가는 최대 5일까지 다음 해로 이월할 수 있다.",
    "병가는 매년 처음 10일 동안 급여가 전액 지급된다.",
    "연속 3일을 넘는 병가에는 의사의 진단서가 필요하다.",
    "육아휴직은 자녀가 8세가 되기 전까지 자녀 1명당 최대 1년 사용할 수 있다.",
    "직원은 최소 2주 전에 인사 포털을 통해 연차휴가를 신청해야 한다.",
    "관리자는 휴가 신청을 받은 날부터 3영업일 이내에 승인하거나 반려한다.",
    "주 12시간을 넘는 연장근로에는 직원의 서면 동의가 필요하다.",
    "재택근무는 팀장의 승인을 받아 주 2일까지 허용된다.",
    "회사 노트북은 암호화되어야 하며 자리를 비울 때는 반드시 잠가야 한다.",
    "출장비는 영수증을 제출한 날부터 30일 이내에 정산된다.",
    "이 규정에 관한 문의는 이메일이나 사내 메신저로 인사팀에 보내면 된다.",
]


def test_korean_and_english_versions_get_about_as_many_chunks(
    settings: Settings, docs: Path, embedder
) -> None:
    # The packaged embedder's tokenizer splits each Hangul syllable into jamo;
    # counted in its pieces, the Korean text would be cut into three times as many chunks.
    (docs / "rules-en.txt").write_text(" ".join(ENGLISH), encoding="utf-8")
    (docs / "rules-ko.txt").write_text(" ".join(KOREAN), encoding="utf-8")
    small = settings.model_copy(update={"chunk_size": 60, "chunk_overlap": 0})
    ingest.run(small, embedder=embedder)

    chunks = stored_chunks(small)
    english = [c for c in chunks if c["source"] == "rules-en.txt"]
    korean = [c for c in chunks if c["source"] == "rules-ko.txt"]
    assert len(english) >= 3  # the size really cuts the text
    assert abs(len(korean) - len(english)) <= 1, (len(korean), len(english))
    # Cut at sentence ends, and every sentence kept.
    assert all(c["text"].rstrip().endswith(".") for c in korean)
    assert all(sentence in " ".join(c["text"] for c in korean) for sentence in KOREAN)
