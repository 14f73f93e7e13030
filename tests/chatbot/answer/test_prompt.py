"""The prompt: sentence windows in rank order within the model's token budget (Korean included),
no repeated sentences, configured system prompt and examples."""

from __future__ import annotations

import pytest

from chatbot.answer.prompt import build_prompt
from chatbot.search.passage import Passage
from chatbot.search.sentences import ScoredPassage, SentenceMatcher
from storage import Analyzer

from .test_evidence import LEAVE_EN, LEAVE_KO, TRAVEL_KO, passage


@pytest.fixture(scope="module")
def matcher() -> SentenceMatcher:
    return SentenceMatcher(Analyzer(), None, {})


def scored(matcher: SentenceMatcher, passages: list[Passage], question: str, language: str) -> list[ScoredPassage]:
    return matcher.score_passages(passages, question, language)[0]


def test_long_korean_passage_is_cut_to_the_budget_keeping_its_best_sentence(matcher: SentenceMatcher, llm) -> None:
    filler = "회사는 직원의 복지를 위하여 다양한 제도를 운영하며 관련 규정은 매년 검토한다. "
    long_korean = filler * 40 + LEAVE_KO + " " + filler * 40
    question = "1년 이상 근무하면 연차 휴가가 며칠인가요?"
    passages = [passage(long_korean, "hr/long.hwpx"), passage(TRAVEL_KO, "finance/출장.hwp")]
    candidates = scored(matcher, passages, question, "ko")
    assert llm.count_tokens(long_korean) > 2000

    for window, budget in ((1, 300), (None, 300), (1, 40)):
        prompt = build_prompt(question, candidates, budget, llm.count_tokens, window=window)
        assert prompt.passages[0].source == "hr/long.hwpx"
        assert llm.count_tokens(prompt.context.removeprefix("Context:\n")) <= budget
        assert "15일" in prompt.context  # the best-matching sentence, even when cut to 40 tokens
    windowed = build_prompt(question, candidates, 300, llm.count_tokens, window=1)
    first = windowed.context.removeprefix("Context:\n").split("\n\n")[0]
    # The best sentence and one either side, none of the filler around them.
    assert first.startswith("제3조(연차 휴가) 직원은") and "회사는" not in first
    assert "1년 이상 근무한 직원에게는 15일의" in first and first.endswith("3월까지 이월할 수 있다.")
    assert [p.source for p in windowed.passages] == ["hr/long.hwpx", "finance/출장.hwp"]


def test_sentences_already_shown_are_not_repeated(matcher: SentenceMatcher, llm) -> None:
    # Overlapping chunks of one file share sentences; the model should read them once.
    first = passage(LEAVE_EN, "hr/policy.pdf#1")
    overlap = passage(LEAVE_EN.split("\n")[1], "hr/policy.pdf#2")
    candidates = scored(matcher, [first, overlap], "annual leave days", "en")
    prompt = build_prompt("annual leave days", candidates, 500, llm.count_tokens, window=None)
    assert [p.source for p in prompt.passages] == ["hr/policy.pdf#1"]
    assert prompt.context.count("15 days") == 1


def test_passages_in_rank_order_until_the_budget(matcher: SentenceMatcher, llm) -> None:
    passages = [passage(f"Rule {n}: badges are worn at all times.", f"{n}.md") for n in range(1, 30)]
    prompt = build_prompt("badges?", scored(matcher, passages, "badges?", "en"), 120, llm.count_tokens)
    assert 1 < len(prompt.passages) < 29
    assert [p.source for p in prompt.passages] == [f"{n}.md" for n in range(1, len(prompt.passages) + 1)]


def test_configured_system_prompt_and_few_shot_examples(matcher: SentenceMatcher, llm) -> None:
    prompt = build_prompt("q?", scored(matcher, [passage("text", "a.md")], "q?", "en"), 500, llm.count_tokens,
                          system_prompt="Be brief.",
                          few_shot=[{"question": "Leave?", "context": "15 days.", "answer": "15 days [1]."}])
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert prompt.messages[0]["content"] == "Be brief."
    assert prompt.messages[2]["content"] == "15 days [1]."


def test_weak_passages_stay_out_and_the_question_can_come_first(matcher: SentenceMatcher, llm) -> None:
    question = "1년 이상 근무하면 연차 휴가가 며칠인가요?"
    candidates = scored(matcher, [passage(LEAVE_KO, "hr/leave.hwpx"), passage(TRAVEL_KO, "finance/출장.hwp")],
                        question, "ko")
    assert len(build_prompt(question, candidates, 500, llm.count_tokens).passages) == 2
    prompt = build_prompt(question, candidates, 500, llm.count_tokens, min_share=0.5, question_first=True)
    assert [p.source for p in prompt.passages] == ["hr/leave.hwpx"]  # the travel rules share no word with it
    user = prompt.messages[-1]["content"]
    assert user.startswith(f"Question: {question}\n\nContext:\n") and user.endswith(f"Question: {question}")


def test_the_window_centres_on_the_retrieved_chunk_and_may_reach_into_its_neighbours(
    matcher: SentenceMatcher, llm
) -> None:
    before = "Annual leave requests for annual leave days go to your manager."  # matches best, but a neighbour
    chunk = "Staff who joined this year accrue leave monthly. Leave days carry over."
    after = "Unused annual leave days lapse after March."
    text = f"{before}\n{chunk}\n{after}"
    start = text.index(chunk)
    widened = Passage(id="1", source="hr/leave.md", text=text, score=1.0, foci=((start, start + len(chunk)),))
    question = "What happens to annual leave days?"
    [candidate] = scored(matcher, [widened], question, "en")
    assert max(candidate.scores) == candidate.scores[0]  # the neighbour's sentence is the best match overall

    prompt = build_prompt(question, [candidate], 500, llm.count_tokens, window=1)
    assert "carry over" in prompt.context and after in prompt.context  # past the chunk's end
    assert before not in prompt.context


def test_a_passage_of_joined_chunks_shows_each_chunks_best_sentence(matcher: SentenceMatcher, llm) -> None:
    # Two retrieved chunks next to each other became one passage; each has a sentence the question matches.
    first = "Parking permits come from reception. Row C of the garage is kept for vans. Bikes park outside."
    second = "The garage closes at night. Row D of the garage is kept for bicycles. Cars wash on Fridays."
    text = f"{first}\n{second}"
    spans = tuple((text.index(chunk), text.index(chunk) + len(chunk)) for chunk in (first, second))
    question = "Which garage rows are kept for vans and for bicycles?"

    for foci, shown in ((spans, ["vans", "bicycles"]), (spans[:1], ["vans"])):
        joined = Passage(id="1", source="facilities.md", text=text, score=1.0, foci=foci)
        prompt = build_prompt(question, scored(matcher, [joined], question, "en"), 500, llm.count_tokens, window=0)
        assert [word for word in ("vans", "bicycles") if word in prompt.context] == shown, prompt.context
        assert "reception" not in prompt.context and "night" not in prompt.context  # window 0: best sentences only
