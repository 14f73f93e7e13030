"""How sure the page may be of what it states (chatbot.answer.statement): the signals read without the gold answer,
the confidence they give, in English and Korean, and the engine withholding what it is not sure of."""

from __future__ import annotations

import re

import pytest

from chatbot import ChatEngine
from chatbot.operations.eval import STATED
from chatbot.answer.evidence import Evidence, asks_back
from chatbot.language import EVIDENCE_LEAD
from chatbot.answer.span import answer_span
from chatbot.answer.statement import reply_statement, span_statement
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


def test_a_reply_that_copies_the_sentence_around_its_answer_is_less_sure(analyzer: Analyzer) -> None:
    """As seen in the dev pack: a reply made of the best sentence's own words but not the words that answer —
    every word is in the sentence, and none of its runs of the kind asked is in the reply."""
    question = "Who led the army when the island was taken?"
    found = evidence("The king then took the whole island, his army being led by Guy Lambert.")
    around = reply_statement(question, "King Lambert.", found, "en", analyzer)
    naming = reply_statement(question, "Guy Lambert led it.", found, "en", analyzer)
    assert around.signals["in_top"] == naming.signals["in_top"] == 1.0
    assert around.signals["names"] == 0.0 and naming.signals["names"] == 1.0
    assert around.confidence == pytest.approx(naming.confidence / 2)


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


def test_below_the_confidence_it_needs_nothing_is_stated_and_the_evidence_stands_unmarked(engine: ChatEngine) -> None:
    never = {"min_statement_confidence": {"en": 1.01, "ko": 1.01}}  # no statement reaches it
    withheld = ChatEngine(engine.settings.model_copy(update=never), engine.embedder, engine.llm).ask(
        "How many days of annual leave do employees get?")
    # A statement is made only for a reply or a span the answer would state: it was there, and withheld.
    assert withheld.statement is not None and withheld.statement.via in STATED
    assert withheld.path == "evidence" and withheld.span is None and "**" not in withheld.answer
    assert withheld.answer.startswith(EVIDENCE_LEAD["en"])
    # The withheld statement is kept with its confidence (what the eval's trade-off curve reads).
    statement = withheld.statement
    assert statement is not None and withheld.to_json()["confidence"] == round(statement.confidence, 3)
    if statement.via == "reply":
        assert statement.text == withheld.reply and withheld.reply not in withheld.answer


def test_seen_wrong_a_reply_asking_back_and_a_follow_up_answered_from_another_rule(engine: ChatEngine) -> None:
    # "12자 이상이어야 하나요. [1]" was shown as the answer: the question's form with a word changed.
    password = engine.ask("비밀번호는 몇 자 이상이어야 하나요?")
    assert not asks_back(password.reply) or password.path != "reply"
    assert "12자" in password.evidence[0].sentence
    if password.path in STATED:  # stated only when right
        assert "12자" in password.statement.text and not asks_back(password.statement.text)
    # After the annual-leave question, "What about contractors?" was answered from the sick-leave rule.
    contractors = engine.ask("What about contractors?", ["How many days of annual leave do I get?"])
    if contractors.path in STATED:
        assert re.search(r"agency|do not receive", contractors.statement.text), contractors.statement
    assert "10 days" not in (contractors.statement.text if contractors.statement else "")
