"""Questions made from sentences without a model, in English and Korean: a question word where the answer
stands, the answer left out of the question and verbatim in the sentence."""

from __future__ import annotations

import random

import pytest

from chatbot.adapt.questions import questions_from_text, teacher_question
from storage import Analyzer

ANALYZER = Analyzer()


@pytest.mark.parametrize(("sentence", "answer", "question"), [
    ("Full-time employees receive 15 days of paid annual leave.", "15 days",
     "Full-time employees receive how many days of paid annual leave?"),
    ("The head office moved to Busan in 2019.", "2019", "The head office moved to Busan when?"),
    ("Expense claims above $500 need the approval of a director.", "$500",
     "Expense claims above how much need the approval of a director?"),
    ("정규직 직원은 연간 15일의 유급 연차 휴가를 받는다.", "15일", "정규직 직원은 연간 며칠의 유급 연차 휴가를 받는다?"),
    ("회사는 2019년에 본사를 부산으로 옮겼다.", "2019년", "회사는 몇 년에 본사를 부산으로 옮겼다?"),
    ("출장비는 1회 30만원을 넘을 수 없다.", "30만원", "출장비는 1회 몇 만원을 넘을 수 없다?"),
])
def test_a_sentence_with_a_number_or_date_becomes_a_question(sentence: str, answer: str, question: str) -> None:
    language = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in sentence) else "en"
    made = _all_questions(sentence, language)
    assert (question, answer) in made, made
    for asked, words in made:
        assert words in sentence and words not in asked and asked.endswith("?")


def test_a_name_is_asked_for_in_both_languages() -> None:
    english = _all_questions("The security policy was written by Margaret Lindqvist last spring.", "en")
    assert ("The security policy was written by who last spring?", "Margaret Lindqvist") in english
    korean = _all_questions("보안 정책은 김민수 팀장이 작성하였다.", "ko")
    assert any(words.startswith("김민수") and asked.startswith("보안 정책은 무엇") for asked, words in korean), korean
    # The particle after 무엇 agrees with it (김민수가 -> 무엇이, not 무엇가).
    assert ("무엇이 정책을 작성하였다?", "김민수") in _all_questions("김민수가 정책을 작성하였다.", "ko")


def test_sentences_without_an_answer_headings_and_long_ones_make_none() -> None:
    text = "# Annual leave\n\nEmployees should rest well.\n\n" + "This sentence has 12 apples " * 12 + "."
    assert questions_from_text(text, "hr.md", "en", ANALYZER, random.Random(0)) == []


class _Writer:
    """A teacher model that writes what it is given: a real question, or one that gives the answer away."""

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, messages, max_tokens, stop=None):
        return iter([self.text])


def test_a_teacher_question_is_taken_only_when_it_is_a_question_without_the_answer() -> None:
    sentence, answer = "Full-time employees receive 15 days of paid annual leave.", "15 days"
    assert teacher_question(_Writer("How much paid leave do full-time staff get? Thanks"), sentence, answer,
                            "en") == "How much paid leave do full-time staff get?"
    assert teacher_question(_Writer("Do they receive 15 days?"), sentence, answer, "en") is None
    assert teacher_question(_Writer("Annual leave."), sentence, answer, "en") is None
    assert teacher_question(_Writer("연차는 며칠인가요?"), sentence, answer, "en") is None  # the other language


def _all_questions(sentence: str, language: str) -> list[tuple[str, str]]:
    """Every question the rule makes of the sentence (one is drawn per sentence; draw with many seeds)."""
    made = {(q.question, q.answer) for seed in range(40)
            for q in questions_from_text(sentence, "doc", language, ANALYZER, random.Random(seed))}
    return sorted(made)
