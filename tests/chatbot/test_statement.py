"""How sure the page may be of what it states (chatbot.statement): the signals read without the gold answer,
and the confidence they give, in English and Korean."""

from __future__ import annotations

import pytest

from chatbot.evidence import Evidence, asks_back
from chatbot.span import answer_span
from chatbot.statement import reply_statement, span_statement
from storage import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def evidence(*sentences: str) -> list[Evidence]:
    return [Evidence(citation=1, source="hr.md", page=None, location="", sentence=s, start=0, end=len(s))
            for s in sentences]


def test_a_reply_the_top_sentence_holds_is_surer_than_one_it_does_not(analyzer: Analyzer) -> None:
    question = "How many days of annual leave do employees get?"
    found = evidence("Employees get 15 days of annual leave.", "Sick leave is 10 days.")
    held = reply_statement(question, "Employees get 15 days. [1]", found, "en", analyzer)
    elsewhere = reply_statement(question, "Employees get 10 days. [1]", found, "en", analyzer)
    assert held.signals["in_top"] == 1.0 and held.signals["agree"] == 1.0  # the rules mark "15 days" too
    assert elsewhere.signals["in_top"] == 0.0 and elsewhere.signals["agree"] == 0.0
    assert held.confidence > elsewhere.confidence
    assert (held.via, held.text) == ("reply", "Employees get 15 days. [1]")


def test_a_span_with_rivals_of_its_kind_is_less_sure_than_a_lone_one(analyzer: Analyzer) -> None:
    question = "연차 휴가는 며칠인가요?"
    lone = evidence("연차 휴가는 15일이다.")
    crowded = evidence("연차 휴가는 15일이고, 3년마다 1일씩 늘어 최대 25일이며 병가는 10일이다.")
    spans = [answer_span(question, e[0].sentence, "ko", analyzer) for e in (lone, crowded)]
    assert [s.text for s in spans] == ["15일", "15일"]
    sure, unsure = (span_statement(question, s, e, "ko", analyzer) for s, e in zip(spans, (lone, crowded)))
    assert sure.signals["choices"] == 1 and unsure.signals["choices"] > 1
    assert sure.confidence > unsure.confidence
    assert 0.0 <= unsure.confidence <= sure.confidence <= 1.0


def test_a_count_or_a_date_is_surer_than_a_thing_the_reply_pointed_to(analyzer: Analyzer) -> None:
    sentence = "Mitsubishi rebranded its Forte as the Dodge D-50 in 1977."
    found = evidence(sentence)
    thing = answer_span("What did Mitsubishi rename its Forte to?", sentence, "en", analyzer,
                        reply="Mitsubishi renamed its Forte to the Dodge D-50.")
    year = answer_span("When did Mitsubishi rename its Forte?", sentence, "en", analyzer)
    assert (thing.text, year.text) == ("Dodge D-50", "1977")
    assert span_statement("When did Mitsubishi rename its Forte?", year, found, "en", analyzer).confidence > \
        span_statement("What did Mitsubishi rename its Forte to?", thing, found, "en", analyzer).confidence


@pytest.mark.parametrize(("reply", "asks"), [
    ("12자 이상이어야 하나요. [1]", True),  # the page's own example: the question's form, a word changed
    ("회사는 서울에 있는가?", True),
    ("Is it 15 days?", True),
    ("비밀번호는 12자 이상입니다. [1]", False),
    ("연차는 15일이다.", False),
    ("Employees get 15 days.", False),
])
def test_a_reply_that_asks_back_is_told_apart(reply: str, asks: bool) -> None:
    assert asks_back(reply) == asks
