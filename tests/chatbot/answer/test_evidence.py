"""Evidence for answers: sentence splitting, the best supporting sentences in English and Korean,
and the support check."""

from __future__ import annotations

import pytest

from chatbot.answer.evidence import copies_evidence, find_evidence, support
from chatbot.search.passage import Passage
from chatbot.search.sentences import SentenceMatcher, split_sentences
from storage import Analyzer

# Shared with test_prompt.py.
LEAVE_EN = (
    "Annual leave\n"
    "Employees are entitled to paid time off every year. Full-time employees receive 15 days of annual "
    "leave per calendar year. Unused days may be carried over until March. Requests go to your manager "
    "in the HR portal."
)
TRAVEL_EN = "Business travel must be approved in advance. Taxi fares after 10 p.m. are refunded up to 40,000 won."
LEAVE_KO = (
    "제3조(연차 휴가) 직원은 매년 유급 휴가를 사용할 수 있다. 1년 이상 근무한 직원에게는 15일의 유급 연차 "
    "휴가를 준다. 사용하지 않은 휴가는 다음 해 3월까지 이월할 수 있다. 휴가 신청은 인사 포털에서 한다."
)
TRAVEL_KO = "출장은 사전에 승인을 받아야 한다. 밤 10시 이후 택시비는 4만 원까지 환급한다."


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def passage(text: str, source: str, page: int | None = None) -> Passage:
    return Passage(id=source, source=source, text=text, score=1.0, page=page)


def evidence_for(matcher: SentenceMatcher, passages: list[Passage], question: str, language: str):
    scored, pool = matcher.score_passages(passages, question, language)
    question_scores = [score for p in scored for score in p.scores]
    return find_evidence(pool, question_scores, {i: i + 1 for i in range(len(passages))}, passages)


def test_sentences_split_on_ends_and_lines_with_offsets_into_the_passage() -> None:
    sentences = split_sentences(LEAVE_EN)
    assert [s.text for s in sentences[:3]] == [
        "Annual leave",
        "Employees are entitled to paid time off every year.",
        "Full-time employees receive 15 days of annual leave per calendar year.",
    ]
    assert all(LEAVE_EN[s.start:s.end] == s.text for s in sentences)
    # A line break before a lower-case letter is a wrapped line, not the end of a sentence.
    wrapped = split_sentences("Unused leave can be carried\nover to the next year.\nSick leave\nDoctors' notes are required.")
    assert [s.text for s in wrapped] == ["Unused leave can be carried\nover to the next year.", "Sick leave",
                                         "Doctors' notes are required."]
    korean = split_sentences(LEAVE_KO)
    assert len(korean) == 4 and korean[1].text.startswith("1년 이상 근무한")


def test_english_evidence_is_the_sentence_that_answers(analyzer: Analyzer, embedder) -> None:
    matcher = SentenceMatcher(analyzer, embedder, {"en": True, "ko": False})
    passages = [passage(TRAVEL_EN, "finance/travel.docx"), passage(LEAVE_EN, "hr/policy.pdf", page=3)]
    evidence = evidence_for(matcher, passages, "How many days of annual leave do full-time staff get?", "en")
    best = evidence[0]
    assert best.sentence == "Full-time employees receive 15 days of annual leave per calendar year."
    assert (best.citation, best.source, best.page, best.location) == (2, "hr/policy.pdf", 3, "p. 3")
    assert LEAVE_EN[best.start:best.end] == best.sentence
    assert best.to_json() == {"source": "hr/policy.pdf", "page": 3, "location": "p. 3", "heading": "Annual leave",
                              "sentence": best.sentence, "passage": 2, "start": best.start, "end": best.end}


def test_korean_evidence_matches_morphemes_through_particles(analyzer: Analyzer, embedder) -> None:
    # The packaged embedder does not read Korean: the choice is lexical (Kiwi morphemes, bigrams).
    matcher = SentenceMatcher(analyzer, embedder, {"en": True, "ko": False})
    passages = [passage(TRAVEL_KO, "finance/출장.hwp"), passage(LEAVE_KO, "hr/인사규정.hwpx")]
    evidence = evidence_for(matcher, passages, "1년 이상 근무하면 연차 휴가가 며칠인가요?", "ko")
    assert evidence[0].sentence.startswith("1년 이상 근무한 직원에게는 15일의")
    assert evidence[0].source == "hr/인사규정.hwpx"
    taxi = evidence_for(matcher, passages, "야근 후 택시비는 얼마까지 환급되나요?", "ko")
    assert "4만 원" in taxi[0].sentence


def test_support_is_the_share_of_the_reply_found_in_the_passages(analyzer: Analyzer) -> None:
    question = "How much annual leave do full-time employees get?"
    assert support("Full-time employees receive 15 days of annual leave.", question, LEAVE_EN, analyzer) == 1.0
    # Citing, as the system prompt asks, costs nothing: "[1]" is no "1" the passages must hold.
    assert support("Full-time employees receive 15 days of annual leave. [1]", question, LEAVE_EN, analyzer) == 1.0
    assert support("The moon is made of green cheese and dragons.", question, LEAVE_EN, analyzer) == 0.0
    assert support("Full-time employees get annual leave.", question, LEAVE_EN, analyzer) == 0.0  # an echo
    assert support("", question, LEAVE_EN, analyzer) == 0.0
    korean = "연차 휴가는 며칠인가요?"
    assert support("1년 이상 근무한 직원은 15일의 연차 휴가를 받습니다.", korean, LEAVE_KO, analyzer) > 0.8
    assert support("저는 인공지능 언어 모델이라서 잘 모르겠어요.", korean, LEAVE_KO, analyzer) < 0.3


def test_only_real_words_are_supported(analyzer: Analyzer) -> None:
    """The default (every content word in the passages or the question) turns away a reply with one word that
    exists nowhere, and counts the words a reply frames its answer with as no claim."""
    question = "How much annual leave do full-time employees get?"
    assert support("The answer is: employees receive 15 days.", question, LEAVE_EN, analyzer) == 1.0
    assert support("Employees receive 15 days of annual leave and a bonus.", question, LEAVE_EN, analyzer) < 1.0
    korean = "연차 휴가는 며칠인가요?"
    assert support("문서에 따르면 15일의 유급 연차 휴가를 준다.", korean, LEAVE_KO, analyzer) == 1.0
    # A word the model made up (seen in real replies), beside real ones: not every word is real.
    assert support("1년 이상 근무한 직원에게는 15일의 결혈사 휴가를 준다.", korean, LEAVE_KO, analyzer) < 1.0



@pytest.mark.parametrize(("text", "reply", "copies"), [
    (LEAVE_EN, "Full-time employees receive 15 days of annual leave per calendar year [1].", True),  # a quote
    (LEAVE_EN, "“Full-time employees receive 15 days of annual leave per calendar year.”", True),
    (LEAVE_EN, "15 days of annual leave", True),  # a piece of a sentence points to the words that answer
    (LEAVE_KO, "1년 이상 근무한 직원에게는 15일의 유급 연차 휴가를 준다.", True),
    (LEAVE_EN, "Employees receive 15 days of leave each year [1].", False),  # the model's own words
    (LEAVE_EN, "Full-time employees receive 15 days of annual leave per calendar year. They may take more.", False),
    (LEAVE_KO, "연차 휴가는 15일입니다.", False),
    (LEAVE_EN, "[1]", False),
])
def test_a_reply_that_only_repeats_evidence_is_told_from_the_models_own_words(
        analyzer: Analyzer, text: str, reply: str, copies: bool) -> None:
    language = "ko" if text is LEAVE_KO else "en"
    found = evidence_for(SentenceMatcher(analyzer, None, {}), [passage(text, "leave.md")], "How many days?",
                         language)
    assert copies_evidence(reply, found) is copies


@pytest.mark.parametrize(("text", "question", "language", "heading", "answer"), [
    ("제2조 연차 휴가\n입사 1년 후에는 15일의 유급 연차 휴가가 주어진다.\n제3조 병가\n연간 최대 10일의 유급 병가를 쓸 수 있다.",
     "연차 휴가는 며칠인가요?", "ko", "제2조 연차 휴가", "15일"),
    ("# Expense rules\n## Meals\nTeam meals are reimbursed up to 30,000 KRW per person.",
     "How much are team meals reimbursed?", "en", "Meals", "30,000 KRW"),
    # A table row is content, however short: its field marks tell it from a heading.
    ("경비 한도\n항목: 야근 식대; 한도: 1회 12,000원\n항목: 팀 회식; 한도: 1인당 30,000원", "야근 식대 한도는?", "ko", "경비 한도",
     "12,000원"),
])
def test_a_heading_is_never_evidence_alone_but_goes_over_the_sentence_under_it(
        analyzer: Analyzer, text: str, question: str, language: str, heading: str, answer: str) -> None:
    found = evidence_for(SentenceMatcher(analyzer, None, {}), [passage(text, "rules.md")], question, language)
    assert found and answer in found[0].sentence and found[0].heading == heading
    assert all(e.sentence.lstrip("# ") not in ("제2조 연차 휴가", "제3조 병가", "Meals", "Expense rules", "경비 한도")
               for e in found)
