"""The answer engine on the sample documents, with the real models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ingest
from chatbot import ChatEngine, DoneEvent, SourcesEvent, TokenEvent
from chatbot.operations.eval import CONFIDENT
from chatbot.answer.evidence import copies_evidence
from chatbot.language import NOT_FOUND, SPAN_LEAD, UNSUPPORTED
from chatbot.answer.prompt import DEFAULT_SYSTEM_PROMPT
from settings import Settings


def sources_of(answer) -> list[str]:
    return [p.source for p in answer.sources]


def test_english_question_is_answered_from_the_right_document(engine: ChatEngine) -> None:
    answer = engine.ask("How many days of annual leave do employees get?")
    assert answer.found
    assert sources_of(answer)[0] == "hr/hr-policy.md"
    assert "15 days" in answer.sources[0].text
    assert answer.prompt_tokens > 0 and answer.completion_tokens > 0
    assert answer.ttft_s is not None and answer.ttft_s > 0


@pytest.mark.parametrize("question", ["How many days of annual leave do employees get?",
                                      "What is the taxi limit for late work?"])
def test_the_readers_words_are_stated_where_they_stand_without_running_the_model(
        reader_engine: ChatEngine, question: str) -> None:
    """How the reader's words are stated (its gate at 0 here): marked in the evidence sentence that holds
    them, in a passage the answer cites, led by the answer's line; the model not run. Whether they are the
    right words is measured in docs/BENCHMARKS.md (the shipped reader says "10" here: the sick days)."""
    answer = reader_engine.ask(question)
    assert answer.path == "span" and answer.statement is not None and answer.statement.via == "reader"
    first = answer.evidence[0]
    assert answer.span is not None and first.sentence[answer.span.start:answer.span.end] == answer.span.text
    passage = answer.sources[first.citation - 1]
    assert passage.source == first.source and passage.text[first.start:first.end].strip() == first.sentence
    assert answer.answer.startswith(SPAN_LEAD["en"].format(span=answer.span.text))
    assert f"“{first.sentence[:answer.span.start]}**{answer.span.text}**" in answer.answer
    assert answer.completion_tokens == 0 and answer.first_words_s == answer.ttft_s


def test_every_answer_cites_a_passage_it_was_given(engine: ChatEngine) -> None:
    answer = engine.ask("How long must passwords be?")
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert cited and cited <= set(range(1, len(answer.sources) + 1))
    assert "it/security-rules.pdf" in sources_of(answer)


def test_korean_question_finds_the_korean_document(engine: ChatEngine) -> None:
    answer = engine.ask("연차 휴가는 며칠인가요?")
    assert answer.found and answer.language == "ko"
    assert "hr/인사규정.hwpx" in sources_of(answer)
    assert any("15일의 유급 연차 휴가" in p.text for p in answer.sources)


def test_sources_keep_page_slide_and_sheet(engine: ChatEngine) -> None:
    pdf = engine.search("Use the company VPN on public Wi-Fi", k=3)
    assert (pdf[0].source, pdf[0].page) == ("it/security-rules.pdf", 2)
    sheet = engine.search("해외 일비 한도", k=3)
    assert any(p.source == "finance/경비_한도표.xlsx" and p.sheet == "출장비" for p in sheet)


def test_unrelated_question_is_not_found_without_calling_the_model(engine: ChatEngine) -> None:
    for question, language in (("What is the capital of France?", "en"), ("2022년 월드컵 우승국은 어디인가요?", "ko")):
        answer = engine.ask(question)
        assert not answer.found
        assert answer.answer == NOT_FOUND[language]
        assert answer.sources == []
        assert answer.prompt_tokens == answer.completion_tokens == 0


def test_follow_up_is_made_standalone_before_retrieval(engine: ChatEngine) -> None:
    first = "How many days of annual leave do employees get?"
    answer = engine.ask("and for contractors?", previous_questions=[first])
    assert answer.standalone.startswith(first)
    assert any("Contractors do not receive annual leave" in p.text for p in answer.sources)


def test_a_follow_up_reuses_the_prompt_start_the_model_holds_in_its_cache(engine: ChatEngine) -> None:
    first = "How many days of annual leave do employees get?"
    engine.ask(first)
    follow_up = engine.ask("and for contractors?", previous_questions=[first])
    # llama.cpp's own count of the prompt tokens it evaluated: the system prompt the two prompts share
    # came from its KV cache.
    assert follow_up.prompt_tokens_evaluated is not None
    assert 0 < follow_up.prompt_tokens_evaluated < follow_up.prompt_tokens
    assert follow_up.cached_tokens >= engine.llm.count_tokens(DEFAULT_SYSTEM_PROMPT)
    assert follow_up.to_json()["usage"]["cached_tokens"] == follow_up.cached_tokens


@pytest.mark.parametrize("reader", [True, False])
def test_stream_sends_sources_first_then_only_the_words_that_stay(engine: ChatEngine, reader_engine: ChatEngine,
                                                                  reader: bool) -> None:
    """Whether the reader or the model answered, the words streamed are the answer given: nothing the gate
    then takes back (a model's reply is held until it has been judged)."""
    chat = reader_engine if reader else engine
    events = list(chat.stream("What is the taxi limit for late work?"))
    assert isinstance(events[0], SourcesEvent) and events[0].found
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    assert isinstance(events[-1], DoneEvent)
    done = events[-1].answer
    assert "".join(t.text for t in tokens) == done.answer
    assert re.search(r"\[\d+\]$", done.answer)
    assert done.sources == events[0].sources
    assert "finance/expense-rules.docx" in sources_of(done)
    assert done.first_words_s is not None and (reader or done.first_words_s >= done.ttft_s)


def test_answers_come_with_evidence_sentences_from_their_sources(engine: ChatEngine) -> None:
    for question, source, words in (
        ("How many days of annual leave do employees get?", "hr/hr-policy.md", "15 days"),
        ("연차 휴가는 며칠인가요?", "hr/인사규정.hwpx", "15일"),
    ):
        answer = engine.ask(question)
        assert 1 <= len(answer.evidence) <= 2
        # The reply steers the evidence a little, so the answering sentence may come second.
        assert any(item.source == source and words in item.sentence for item in answer.evidence)
        for item in answer.evidence:
            passage = answer.sources[item.citation - 1]
            assert passage.source == item.source and passage.text[item.start:item.end].strip() == item.sentence


def _crumb(evidence) -> str:
    return f"{evidence.heading} › " if evidence.heading and evidence.heading not in evidence.sentence else ""


def test_an_unsupported_reply_gives_way_to_the_evidence_with_the_answer_marked(engine: ChatEngine) -> None:
    # No reply can reach a support of 1.01: every reply takes the evidence path, for real. Every span is
    # stated (confidence 0): how a span is marked is what this test checks; when one is withheld, the next.
    update = {"min_support": 1.01, "min_statement_confidence": {"en": 0.0, "ko": 0.0}, "reader": False}
    strict = ChatEngine(engine.settings.model_copy(update=update), engine.embedder, engine.llm)
    for question, language, words in (("How many days of annual leave do employees get?", "en", "15 days"),
                                      ("연차 휴가는 며칠인가요?", "ko", "15일")):
        answer = strict.ask(question)
        assert answer.found and not answer.supported and answer.reply
        # It reads as the answer: the words that answer first, then the quoted evidence with them marked;
        # never "the documents do not support an answer" when the evidence holds it.
        assert answer.path == "span" and answer.span is not None and answer.span.text == words
        first, *others = answer.evidence
        marked = first.sentence[:answer.span.start] + f"**{words}**" + first.sentence[answer.span.end:]
        quotes = " ".join([f"{_crumb(first)}“{marked}” [{first.citation}]",
                           *(f"{_crumb(e)}“{e.sentence}” [{e.citation}]" for e in others)])
        assert answer.answer == f"{SPAN_LEAD[language].format(span=words)}\n\n{quotes}"
        # The heading over the leave rule goes with it, as its breadcrumb; never quoted on its own.
        assert first.heading in ("Annual leave", "제2조 연차 휴가")
        assert all(e.sentence not in ("## Annual leave", "제2조 연차 휴가") for e in answer.evidence)
        assert UNSUPPORTED[language] not in answer.answer
        assert answer.to_json()["span"] == words and answer.to_json()["path"] == "span"


# Examples whose answers quote their context word for word, as a model tuned by `make adapt` does.
QUOTING_EXAMPLES = [
    {"question": "How many weeks of notice must staff give?",
     "context": "Staff who resign must give four weeks of notice in writing. Notice is sent to HR.",
     "answer": "Staff who resign must give four weeks of notice in writing."},
    {"question": "Where are badges issued?",
     "context": "New badges are issued at the front desk on the ground floor. Lost badges cost 10,000 won.",
     "answer": "New badges are issued at the front desk on the ground floor."},
]


def test_a_reply_that_quotes_the_passages_points_to_the_evidence_instead_of_replacing_it(engine: ChatEngine) -> None:
    # Shown such examples, the packaged model quotes too: its reply, for real, is words of a passage.
    quoting = ChatEngine(engine.settings.model_copy(update={"few_shot": QUOTING_EXAMPLES, "reader": False}),
                         engine.embedder, engine.llm)
    answer = quoting.ask("How many days of annual leave do employees get?")
    assert answer.supported and copies_evidence(answer.reply, answer.evidence), answer.reply
    # The answer is the evidence with the words that answer marked, not the quote alone: had the model
    # quoted the wrong sentence, the other evidence would still be shown.
    assert answer.path == "span" and answer.span is not None and answer.span.text == "15 days"
    assert answer.answer.startswith(SPAN_LEAD["en"].format(span="15 days"))
    for item in answer.evidence:
        assert f"{item.sentence}” [{item.citation}]" in answer.answer.replace("**", "")


def test_evidence_without_the_question_terms_is_not_passed_off_as_the_answer(
        settings: Settings, docs: Path, embedder, llm) -> None:
    """The passage is on the topic (parking) but says nothing of visitors or fees: the answer says the
    documents do not clearly answer, then shows the closest passage."""
    (docs / "parking.md").write_text("# Parking\n\nStaff park in the basement garage of the main building.\n")
    ingest.run(settings, embedder=embedder)
    # No reply is supported (a copied sentence would be): the evidence path is taken for real.
    strict = settings.model_copy(update={"min_support": 1.01})
    answer = ChatEngine(strict, embedder, llm).ask("What is the parking fee for visitors at the garage?")
    assert answer.found and answer.path == "unsupported" and answer.span is None
    assert answer.answer.startswith(UNSUPPORTED["en"]) and "basement garage" in answer.answer


def test_replies_stop_after_the_configured_number_of_sentences(engine: ChatEngine) -> None:
    from chatbot.search.sentences import split_sentences

    question = "Summarise the rules about business travel and expenses."
    # The model writes on after its second sentence (a list follows); the rule stops it there.
    default = engine.ask(question)
    assert len(split_sentences(default.reply)) == 2 and not default.hit_token_limit
    terse = ChatEngine(engine.settings.model_copy(update={"max_answer_sentences": 1}), engine.embedder, engine.llm)
    answer = terse.ask(question)
    assert len(split_sentences(answer.reply)) == 1
    assert not answer.hit_token_limit and answer.completion_tokens < default.completion_tokens


def test_prompt_window_follows_the_question_language(engine: ChatEngine) -> None:
    from chatbot.search.sentences import split_sentences

    def sentences_per_passage(chat: ChatEngine, question: str, language: str) -> list[int]:
        prompt = chat.prompt_for(question, language)
        assert prompt is not None
        blocks = prompt.context.removeprefix("Context:\n").split("\n\n")
        return [len(split_sentences(block)) for block in blocks]

    korean = "수습 기간은 몇 개월인가요?"
    english = "How many days of annual leave do employees get?"
    # Default: the best sentence alone in Korean, one sentence either side in English.
    assert set(sentences_per_passage(engine, korean, "ko")) == {1}
    assert max(sentences_per_passage(engine, english, "en")) > 1
    wider = ChatEngine(engine.settings.model_copy(update={"context_window": {"ko": 1}}), engine.embedder, engine.llm)
    assert max(sentences_per_passage(wider, korean, "ko")) > 1


# On the sample documents' topics (the company, its offices, its pay), answered nowhere in them.
UNANSWERABLE = [
    "Who is the CEO of Hanbit Robotics?", "When does the company summer party take place?",
    "What is the dress code at Hanbit Robotics?", "How much is the parking fee for visitors at the Pangyo office?",
    "방문객 주차 요금은 얼마인가요?", "한빛로보틱스의 대표이사는 누구인가요?", "회사 야유회는 언제 열리나요?",
    "사내 식당의 점심 가격은 얼마인가요?",
]


def test_on_topic_questions_the_documents_do_not_answer_get_no_confident_answer(engine: ChatEngine) -> None:
    answers = {question: engine.ask(question) for question in UNANSWERABLE}
    confident = {q: a.answer for q, a in answers.items() if a.path in CONFIDENT}
    assert confident == {}
    for answer in answers.values():  # "not found", or "not clearly supported" and the closest passage
        assert answer.answer.startswith((NOT_FOUND[answer.language], UNSUPPORTED[answer.language]))


def test_the_shipped_reader_states_nothing_for_questions_the_documents_do_not_answer(engine: ChatEngine) -> None:
    on = ChatEngine(engine.settings.model_copy(update={"reader": True}), engine.embedder, engine.llm)
    for question in (q for q in UNANSWERABLE if q.isascii()):
        answer = on.ask(question)
        assert answer.path not in ("span", "reply"), (question, answer.answer)


def test_the_words_that_answer_may_stand_in_the_second_evidence_sentence(engine: ChatEngine) -> None:
    strict = ChatEngine(engine.settings.model_copy(update={"min_support": 1.01, "reader": False}), engine.embedder,
                        engine.llm)
    answer = strict.ask("수습 기간은 얼마나 되나요?")
    # The best sentence for the question ("팀장과 면담하여 수습 기간 목표를 정합니다") holds no duration;
    # the next one does, and is marked.
    assert answer.path == "span" and answer.span.text == "3개월" and "**3개월**" in answer.answer
    assert answer.evidence[answer.span.sentence].sentence[answer.span.start:answer.span.end] == "3개월"

