"""The HTTP API of the running server, as a signed-in user: streamed answers with sources, not-found, follow-ups,
several users, feedback on an answer."""

from __future__ import annotations

import json
import threading
import time

from chatbot import FeedbackStore
from settings import Settings
from tests.helpers import Client, password


def test_health_names_the_model_and_counts_documents(staff: Client) -> None:
    health = staff.get("/api/health").json()
    assert health["model"] == "SmolLM2-135M-Instruct.Q4_1" and health["user"] == "staff"
    assert health["documents"] == 9 and health["chunks"] > 9


def test_answer_streams_with_sources_from_the_right_document(staff: Client) -> None:
    events = staff.ask("How many days of annual leave do employees get?")
    assert events[0]["type"] == "sources" and events[0]["found"]
    assert events[0]["sources"][0]["source"] == "hr/hr-policy.md"
    done = events[-1]
    assert done["type"] == "done" and done["found"]
    # What streams is what stays: the reply is held until judged, then the answer made of it is sent.
    assert "".join(e["text"] for e in events if e["type"] == "token") == done["answer"]
    assert done["sources"] == events[0]["sources"]
    assert done["usage"]["prompt_tokens"] > 0 and done["usage"]["completion_tokens"] > 0
    assert done["first_words_s"] >= done["ttft_s"] > 0
    evidence = done["evidence"][0]
    assert evidence["source"] == "hr/hr-policy.md" and "15 days" in evidence["sentence"]
    assert evidence["sentence"] in done["sources"][evidence["passage"] - 1]["text"]


def test_the_sources_come_first_and_the_words_streamed_are_the_answer_given(staff: Client) -> None:
    """Streaming for real, and never words the gate then takes back: the sources at once, then the answer."""
    with staff.open("POST", "/api/ask", {"question": "What is the taxi limit for late work?"}) as response:
        lines = iter(response)
        assert json.loads(next(lines))["type"] == "sources"
        rest = [json.loads(line) for line in lines]
    assert rest[-1]["type"] == "done" and rest[0]["type"] in ("queue", "token")
    assert "".join(e["text"] for e in rest if e["type"] == "token") == rest[-1]["answer"]


def test_not_found_answer_in_the_questions_language(staff: Client) -> None:
    english = staff.ask("What is the capital of France?")[-1]
    korean = staff.ask("2022년 월드컵 우승국은 어디인가요?")[-1]
    assert (english["found"], english["sources"], english["usage"]["completion_tokens"]) == (False, [], 0)
    assert english["answer"] == "I could not find this in the documents."
    assert korean["answer"] == "문서에서 해당 내용을 찾을 수 없습니다."


def test_follow_up_uses_the_conversation(staff: Client) -> None:
    done = staff.ask("and for contractors?", history=["How many days of annual leave do employees get?"])[-1]
    assert done["standalone"] == "How many days of annual leave do employees get? and for contractors?"
    assert any("Contractors do not receive annual leave" in s["text"] for s in done["sources"])


def test_search_endpoint(staff: Client) -> None:
    passages = staff.post("/api/search", {"query": "비밀번호 길이", "k": 3}).json()
    assert passages[0]["source"] == "it/정보보안_수칙.txt"
    assert {"source", "page", "score", "text"} <= set(passages[0])


def test_search_and_ask_take_filters(staff: Client) -> None:
    body = {"query": "비밀번호 길이", "k": 5, "filters": {"folder": "finance", "file_types": ["docx"]}}
    passages = staff.post("/api/search", body).json()
    assert passages and {p["source"] for p in passages} == {"finance/expense-rules.docx"}
    filters = {"folder": "hr", "file_types": ["md"]}
    done = staff.ask("What is the taxi limit for late work?", filters=filters)[-1]
    assert {s["source"] for s in done["sources"]} <= {"hr/hr-policy.md"}
    assert staff.post("/api/search", {"query": "leave", "filters": {"since": "2999-01-01"}}).json() == []


def test_a_bad_filter_names_the_field(staff: Client) -> None:
    reply = staff.post("/api/search", {"query": "leave", "filters": {"since": "yesterday"}})
    assert reply.status == 422 and "since" in reply.text
    reply = staff.post("/api/search", {"query": "leave", "filters": {"folders": "hr"}})
    assert reply.status == 422 and "folders" in reply.text


def test_bad_request_names_the_field(staff: Client) -> None:
    reply = staff.post("/api/ask", {"question": ""})
    assert reply.status == 422 and "question" in reply.text


def test_several_users_at_once_and_a_slow_reader_blocks_no_one(staff: Client) -> None:
    questions = ["How long is the probation period?", "What is the taxi limit for late work?",
                 "수습 기간은 얼마나 되나요?"]
    results: dict[str, dict] = {}

    def user(question: str) -> None:
        results[question] = staff.ask(question)[-1]

    # A client that reads its first line and then stalls, holding its stream open.
    slow = staff.open("POST", "/api/ask", {"question": "How many days of annual leave do employees get?"})
    slow.readline()
    threads = [threading.Thread(target=user, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert set(results) == set(questions)
    assert results["How long is the probation period?"]["sources"][0]["source"] == "onboarding/onboarding-guide.md"
    assert any(s["source"] == "finance/expense-rules.docx" for s in results["What is the taxi limit for late work?"]["sources"])
    assert all(r["type"] == "done" and r["answer"] for r in results.values())
    time.sleep(0.1)
    rest = [json.loads(line) for line in slow]  # the slow reader still gets its whole answer
    slow.close()
    assert rest[-1]["type"] == "done" and rest[-1]["found"]


EIGHT_QUESTIONS = {  # each with the document its answer comes from
    "How long is the probation period?": "onboarding/onboarding-guide.md",
    "What is the taxi limit for late work?": "finance/expense-rules.docx",
    "How long must passwords be?": None,
    "How many days of annual leave do employees get?": "hr/hr-policy.md",
    "수습 기간은 얼마나 되나요?": None,
    "Do contractors receive annual leave?": "hr/hr-policy.md",
    "연차 휴가는 며칠인가요?": None,
    "Who approves overtime?": "hr/hr-policy.md",
}


def test_eight_users_at_once_each_get_their_own_whole_answer_and_their_place_in_line(
        server: str, staff: Client) -> None:
    users = [Client(server).signed_in("staff", password("staff")) for _ in EIGHT_QUESTIONS]
    results: dict[str, list[dict]] = {}
    threads = [threading.Thread(target=lambda u=u, q=q: results.__setitem__(q, u.ask(q)))
               for u, q in zip(users, EIGHT_QUESTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert set(results) == set(EIGHT_QUESTIONS)
    for question, events in results.items():
        kinds, done = [e["type"] for e in events], events[-1]
        # Whole: from the sources to the final answer, which is the words streamed to this user (held until judged).
        assert kinds[0] == "sources" and kinds[-1] == "done" and "error" not in kinds, (question, kinds)
        assert done["answer"].strip() and done["standalone"] == question
        streamed = "".join(e["text"] for e in events if e["type"] == "token")
        assert streamed == done["answer"] and done["reply"].strip(), (question, done["reply"], streamed)
        # Their own: answered from the document that answers their question.
        if EIGHT_QUESTIONS[question]:
            assert EIGHT_QUESTIONS[question] in [s["source"] for s in done["sources"]], question
        if "queue" in kinds and "token" in kinds:  # the place in line comes before the answer's words
            assert max(i for i, k in enumerate(kinds) if k == "queue") < kinds.index("token")
    # Eight at once on one model: those behind another are told at once how many are before them, counting down.
    places = {q: [e["ahead"] for e in events if e["type"] == "queue"] for q, events in results.items()}
    waited = [ahead for ahead in places.values() if ahead]
    assert waited and all(a[0] >= 1 and a == sorted(a, reverse=True) for a in waited), places


def test_feedback_on_an_answer_over_the_api(staff: Client, server: str, server_settings: Settings) -> None:
    done = staff.ask("How long must passwords be?")[-1]
    given = staff.post("/api/feedback", {"answer_id": done["id"], "rating": "up", "comment": "short and right"})
    assert given.status == 200 and given.json() == {"answer_id": done["id"], "saved": True}
    rated = next(r for r in FeedbackStore(server_settings.feedback_path).rated() if r.answer.id == done["id"])
    assert (rated.rating, rated.comment, rated.answer.answer) == ("up", "short and right", done["answer"])
    assert rated.answer.prompt and rated.answer.reply == done["reply"]

    refused = staff.post("/api/feedback", {"answer_id": done["id"], "correction": "At least 12 characters."})
    assert refused.status == 403 and refused.json()["error"]["code"] == "feedback_refused"
    boss = Client(server).signed_in("boss", password("boss"))
    assert boss.post("/api/feedback", {"answer_id": done["id"], "correction": "At least 12 characters."}).status == 200
    unknown = staff.post("/api/feedback", {"answer_id": "0" * 32, "rating": "down"})
    assert unknown.status == 404
    bad = staff.post("/api/feedback", {"answer_id": done["id"], "rating": "great"})
    assert bad.status == 422 and "rating" in bad.text
