"""The engine's small parts: follow-up detection, language."""

from __future__ import annotations

from chatbot.answer.condense import standalone_question
from chatbot.language import detect_language


def test_follow_ups_join_the_question_they_follow() -> None:
    assert standalone_question("and for contractors?", ["How much annual leave do I get?"]) == (
        "How much annual leave do I get? and for contractors?"
    )
    assert standalone_question("계약직은요?", ["연차 휴가는 며칠인가요?"]) == "연차 휴가는 며칠인가요? 계약직은요?"
    # A new, complete question starts afresh.
    assert standalone_question("What is the taxi limit for late work?", ["How much leave?"]) == (
        "What is the taxi limit for late work?"
    )
    # Chains of follow-ups keep the original topic.
    assert standalone_question("and interns?", ["How much annual leave do I get?", "and contractors?"]) == (
        "How much annual leave do I get? and contractors? and interns?"
    )


def test_language_detection() -> None:
    assert detect_language("연차 휴가는 며칠인가요?") == "ko"
    assert detect_language("How many days of leave?") == "en"
    assert detect_language("VPN 접속 방법은?") == "ko"
