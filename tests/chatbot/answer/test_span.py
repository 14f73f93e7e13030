"""The words that answer, found inside an evidence sentence (chatbot.answer.span), in English and Korean."""

from __future__ import annotations

import pytest

from chatbot.operations.eval import span_holds
from chatbot.answer.span import answer_span, asked_for, expected_units, field_span, question_names, says
from storage import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(("question", "language", "kind"), [
    ("How many days of annual leave do I get?", "en", "number"),
    ("When was the second oil crisis?", "en", "date"),
    ("Who introduced plague to Europe?", "en", "person"),
    ("Where is the head office?", "en", "place"),
    ("What is the taxi limit for late work?", "en", "number"),  # a limit, a fee, a price: an amount
    ("What is the dress code?", "en", "thing"),
    ("Why did OPEC block oil deliveries?", "en", "reason"),
    # English leads with its question word: the first one says it, not a "when" or "who" further on.
    ("Who led the army when the island was taken?", "en", "person"),
    ("When did the king who took the island die?", "en", "date"),
    ("연차 휴가는 며칠인가요?", "ko", "number"),
    ("JTBC는 언제 개국했는가?", "ko", "date"),
    ("집행위원장은 누구인가?", "ko", "person"),
    ("본사는 어디에 있나요?", "ko", "place"),
    ("터키의 건국이념은 무엇인가?", "ko", "thing"),
    ("왜 쿠데타가 일어났는가?", "ko", "reason"),
])
def test_what_a_question_asks_for(question: str, language: str, kind: str) -> None:
    assert asked_for(question, language) == kind


@pytest.mark.parametrize(("question", "sentence", "language", "expected"), [
    ("How many days of annual leave do employees get?",
     "Employees receive 15 days of paid annual leave after their first year of service.", "en", "15 days"),
    ("How long must passwords be?",
     "Passwords must have at least 12 characters and must not be reused across systems.", "en", "12 characters"),
    ("When did the United States withdraw from the Bretton Woods Accord?",
     "On August 15, 1971, the United States unilaterally pulled out of the Bretton Woods Accord.", "en",
     "August 15, 1971"),
    ("연차 휴가는 며칠인가요?",
     "입사 1년 후에는 15일의 유급 연차 휴가가 주어지며, 이후 2년마다 1일씩 가산된다.", "ko", "15일"),
    ("JTBC의 2012년 영업손실은 얼마인가?",
     "2012년 영업손실은 1397억원으로 종합편성채널 사업자들 중 가장 높은 것으로 집계되었다.", "ko", "1397억원"),
    ("로이터가 보도한 시간은 언제인가?",
     "오전 12시 2분에 로이터는 터키 군인들이 방송사에 있다고 보도하였다.", "ko", "오전 12시 2분"),
    # The whole noun phrase, not its first word; a name without the sentence's first word before it.
    ("Who brought the plague to Europe?",
     "The plague was brought to Europe by Genoese traders from the port of Kaffa.", "en", "Genoese traders"),
    ("Who led the army?", "Then Guy Lambert led the army into the island.", "en", "Guy Lambert"),
    # The unit after "of the": not another sentence's "fifteen fraternities" (seen in the dev pack).
    ("How many fraternities form the University of Chicago Interfraternity Council?",
     "Four of the sororities are members of the National Panhellenic Conference, and ten of the fraternities "
     "form the University of Chicago Interfraternity Council.", "en", "ten"),
])
def test_the_span_of_the_kind_asked_for_near_the_question_words(
        analyzer: Analyzer, question: str, sentence: str, language: str, expected: str) -> None:
    span = answer_span(question, sentence, language, analyzer)
    assert span is not None and span.text == expected and sentence[span.start:span.end] == expected


def test_the_reply_points_to_the_span_but_the_passage_gives_its_words(analyzer: Analyzer) -> None:
    sentence = "Mitsubishi rebranded its Forte as the Dodge D-50 a few years after the oil crisis."
    question = "What did Mitsubishi rename its Forte to?"
    # A "what" question has no kind of answer to look for: without the reply's pointer, no guess.
    assert answer_span(question, sentence, "en", analyzer) is None
    span = answer_span(question, sentence, "en", analyzer, reply="Mitsubishi renamed its Forte to the DODGE D-50.")
    assert span is not None and span.text == "Dodge D-50"  # the passage's words, not the reply's


def test_no_span_for_a_reason_or_when_nothing_new_is_there(analyzer: Analyzer) -> None:
    sentence = "Saudi Arabia, trying to recover market share, increased production."
    assert answer_span("Why did Saudi Arabia increase production?", sentence, "en", analyzer) is None
    # The only number is the question's own: nothing new to mark.
    assert answer_span("How many days after 2020?", "It changed in 2020.", "en", analyzer) is None


def test_span_holds_a_gold_answer_and_is_not_much_longer() -> None:
    assert span_holds("15 days", ["15 days"]) and span_holds("about 15 days", ["15 days"])
    assert span_holds("they receive 15 days", ["15 days"])  # 20 characters: the floor for short answers
    assert not span_holds("Employees receive 15 days", ["15 days"])  # 25 > max(2 × 7, 20)
    assert span_holds("Toyota Corona Mark II sedans", ["Toyota Corona Mark II"])  # within twice the gold
    assert not span_holds("15", ["15 days"])


@pytest.mark.parametrize(("question", "language", "units"), [
    ("How much did James Watt sell his first engine for?", "en", {"money"}),
    ("How many soldiers died at the siege?", "en", {"soldier"}),
    ("금강산 관광의 입장료는 얼마인가?", "ko", {"money"}),
    ("금강산에서 가장 높은 호텔은 몇 층인가?", "ko", {"층"}),
    ("연차 휴가는 며칠인가요?", "ko", None),
    ("How long must passwords be?", "en", None),
])
def test_what_a_number_that_answers_is_counted_in(analyzer: Analyzer, question: str, language: str, units) -> None:
    assert expected_units(question, language, analyzer) == units


def test_the_reply_names_words_whole_not_inside_longer_ones() -> None:
    # Seen in the dev pack: "U" (of "U.S.") counted as said by any reply with a "u" in it, "1" by "2018".
    assert says("The first map of the United States.", "United States")
    assert not says("The first map of the United States.", "U")
    assert not says("The answer is: 2018", "1") and says("It was 1 of 3.", "1")
    assert says("Genoese traders brought it.", "Genoese traders") and not says("Genoese traders", "Genoese trader")
    assert says("1년 이상 근무한 직원은 15일의 휴가를 받습니다.", "15일") and not says("115일입니다.", "15일")
    assert says("갤럭시 S7엣지가 나왔다.", "S7")


def test_a_number_of_another_unit_is_not_the_answer(analyzer: Analyzer) -> None:
    # On the topic, with numbers, but none of them a price, a count of soldiers, or floors.
    assert answer_span("How much did Luther pay for his house?", "Luther came back to Wittenberg in December 1521.",
                       "en", analyzer) is None
    assert answer_span("How many jaguars live there?", "One square kilometre (247 acres) holds 90,790 tonnes.",
                       "en", analyzer) is None
    assert answer_span("호텔은 몇 층인가?", "2001년부터 3년 동안 호텔식 여객선을 이용했다.", "ko", analyzer) is None
    span = answer_span("How many soldiers died?", "Approximately 1,000 British soldiers were killed.", "en", analyzer)
    assert span is not None and span.text.startswith("1,000")  # never "000" out of "1,000"


def test_the_names_a_question_is_about(analyzer: Analyzer) -> None:
    assert question_names("What is the speed limit on Kenyan highways?", "en", analyzer) == ["Kenyan"]
    assert question_names("Who is the CEO of Hanbit Robotics?", "en", analyzer) == ["CEO", "Hanbit", "Robotics"]
    assert question_names("How many days of leave do I get?", "en", analyzer) == []
    assert "반기문" in question_names("반기문의 혈액형은 무엇인가?", "ko", analyzer)


@pytest.mark.parametrize(("question", "row", "language", "cell"), [
    ("야근 식대 한도는 얼마인가요?", "식대 › 항목: 야근 식대; 한도: 1회 12,000원; 비고: 오후 8시 이후 근무 시", "ko", "1회 12,000원"),
    ("What was the income tax expense for the thirteen weeks ended November 2, 2024?",
     "INCOME STATEMENT › INCOME TAX EXPENSE; Thirteen Weeks Ended November 2, 2024: 14,334; "
     "Thirteen Weeks Ended October 28, 2023: 16,793; Thirty-Nine Weeks Ended November 2, 2024: 38,379", "en", "14,334"),
    ("What is the KPI short name of KPI ID 2?", "Unique KPI ID: 2; KPI Short Name: Testing Tool Training", "en",
     "Testing Tool Training"),
    # The HWP parser spaces a cell's letters for layout: "합 계" is the question's "합계".
    ("통합재정수지 합계는 얼마인가요?", "구 분: 통합재정수지 (A-B); 일반 회계: 3,888; 특별 회계: △1,802; 합 계: 2,308", "ko", "2,308"),
])
def test_in_a_table_row_the_cell_under_the_asked_header_is_the_answer(
        analyzer: Analyzer, question: str, row: str, language: str, cell: str | None) -> None:
    span = answer_span(question, row, language, analyzer)
    assert span is not None and span.text == cell == row[span.start:span.end]


def test_no_cell_is_told_apart_when_two_headers_match_the_question_alike(analyzer: Analyzer) -> None:
    row = "Item: Taxi; Limit: 50,000 KRW; Item: Hotel; Limit: 150,000 KRW"
    assert field_span(row, "number", "How much is the limit?", analyzer) is None
    # A row is answered by a cell or not at all: never by a number the rules find near the question's words.
    assert answer_span("How much is the limit for hotels?", row, "en", analyzer) is None
