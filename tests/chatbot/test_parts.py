"""The engine's small parts: follow-up detection, prompt budget, language."""

from __future__ import annotations

from chatbot.condense import standalone_question
from chatbot.language import detect_language
from chatbot.prompt import build_prompt
from chatbot.retrieve import Passage


def passage(text: str, source: str = "a.md") -> Passage:
    return Passage(id=source, source=source, text=text, score=1.0)


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


def test_korean_passages_are_cut_to_the_models_token_budget(llm) -> None:
    long_korean = "연차 휴가는 입사 1년 후 15일이 주어진다. " * 200
    prompt = build_prompt("연차는 며칠?", [passage(long_korean), passage("두 번째 문서", "b.md")], budget=300,
                          count_tokens=llm.count_tokens)
    user = prompt.messages[-1]["content"]
    assert [p.source for p in prompt.passages] == ["a.md"]  # the second no longer fits
    assert "15일" in user
    passage_part = user.split("\n\nQuestion:")[0].removeprefix("Context:\n")
    assert llm.count_tokens(passage_part) <= 300


def test_passages_in_rank_order_until_the_budget(llm) -> None:
    passages = [passage(f"Rule {n}: badges are worn at all times.", f"{n}.md") for n in range(1, 30)]
    prompt = build_prompt("badges?", passages, budget=120, count_tokens=llm.count_tokens)
    assert 1 < len(prompt.passages) < 29
    assert [p.source for p in prompt.passages] == [f"{n}.md" for n in range(1, len(prompt.passages) + 1)]


def test_configured_system_prompt_and_few_shot_examples(llm) -> None:
    prompt = build_prompt("q?", [passage("text")], 500, llm.count_tokens, system_prompt="Be brief.",
                          few_shot=[{"question": "Leave?", "context": "15 days.", "answer": "15 days [1]."}])
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert prompt.messages[0]["content"] == "Be brief."
    assert prompt.messages[2]["content"] == "15 days [1]."
