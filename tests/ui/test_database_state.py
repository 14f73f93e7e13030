"""The state on a PostgreSQL server (RAG_DATABASE_URL): two front-ends with data folders of their own share
the users, sign-ins, API keys, limits, answers with their feedback, the audit log and saved chats through the
database; a database that stops answers 503 with a clear message, then serves again by itself, nothing committed
lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from settings import REPO_ROOT, Settings
from storage import AuditLog, Conversations, FeedbackStore, Turn
from tests.helpers import Client, add_users, password, start_server, stop

pytestmark = pytest.mark.server

RATE = 4  # searches a minute per user, counted across both front-ends


@dataclass
class FrontEnds:
    a: str
    b: str
    a_settings: Settings
    url: str  # the database's


@pytest.fixture(scope="module")
def front_ends(sample_settings: Settings, postgres, tmp_path_factory: pytest.TempPathFactory):
    """Front-ends A and B: the same documents' store, a data folder each, nothing shared but the database
    (the users included: added once, there)."""
    root = tmp_path_factory.mktemp("database-state")
    url = postgres.new_database()
    started = []
    for name in "ab":
        settings = sample_settings.model_copy(update={"data_dir": root / name, "database_url": url})
        if name == "a":
            add_users(settings, {"kim": ["hr"], "lee": ["hr"]})
        started.append((settings, *start_server(settings, root / f"{name}.log", {
            "RAG_DATABASE_URL": url, "RAG_RATE_LIMIT_PER_MINUTE": str(RATE)})))
    (a_settings, a, first), (_, b, second) = started
    yield FrontEnds(a, b, a_settings, url)
    stop(first)
    stop(second)


def test_a_session_and_a_key_made_on_one_front_end_hold_on_the_other(front_ends: FrontEnds) -> None:
    on_a = Client(front_ends.a).signed_in("kim", password("kim"))
    on_b = on_a.at(front_ends.b)  # the proxy sends the next request to the other host
    assert json.loads(on_b.get("/api/health").body)["user"] == "kim"
    assert not (front_ends.a_settings.data_dir / "users.json").exists()  # the users are in the database
    env = {**os.environ, "RAG_DATA_DIR": str(front_ends.a_settings.data_dir), "RAG_DATABASE_URL": front_ends.url}

    def cli(*args: str, given: str = "") -> str:  # an admin on A's host
        done = subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, env=env, input=given,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    cli("users", "add", "noor", "--group", "hr", "--password-stdin", given=password("noor"))
    assert Client(front_ends.b).sign_in("noor", password("noor")).status == 200  # added on A, signs in on B
    key = cli("keys", "create", "kim", "--name", "nightly report")
    script = {"Authorization": f"Bearer {key}"}
    assert json.loads(Client(front_ends.b).get("/api/health", headers=script).body)["user"] == "kim"
    cli("keys", "revoke", key.split("-")[1])
    assert Client(front_ends.b).get("/api/health", headers=script).status == 401  # the next request, on B
    on_b.request("POST", "/logout")
    assert on_a.get("/api/health").status == 401  # signed out on B: out on A too


def test_an_answer_given_on_one_front_end_is_rated_on_the_other_and_a_chat_saved_on_one_opens_on_the_other(
        front_ends: FrontEnds) -> None:
    on_a = Client(front_ends.a).signed_in("kim", password("kim"))
    on_b = on_a.at(front_ends.b)
    done = on_a.ask("How many days of annual leave do I get?")[-1]
    then = on_b.ask("How long must passwords be?")[-1]
    # One audit log, in the database: both front-ends' answers, in the order they were given.
    audit = AuditLog.for_settings(Settings(data_dir=Path("unused"), database_url=front_ends.url))
    assert [(e["question"], e["answer"]) for e in list(audit.read("kim"))[-2:]] == [
        ("How many days of annual leave do I get?", done["answer"]), ("How long must passwords be?", then["answer"])]
    assert not (front_ends.a_settings.data_dir / "audit").exists()
    given = on_b.post("/api/feedback", {"answer_id": done["id"], "rating": "up", "comment": "right"})
    assert given.status == 200, given.text
    rated = next(r for r in FeedbackStore(Path("unused"), front_ends.url).rated() if r.answer.id == done["id"])
    assert (rated.rating, rated.answer.answer, rated.answer.user) == ("up", done["answer"], "kim")
    # A chat as the page on A saves it (the same store class), exported through B's own route.
    saved = Conversations(Path("unused"), database_url=front_ends.url)
    chat = saved.start("user:kim", "leave")
    saved.add_turn("user:kim", chat, Turn("How many days of annual leave do I get?", done["answer"]))
    exported = on_b.get(f"/conversations/{chat}.md")
    assert exported.status == 200 and done["answer"] in exported.text
    assert Client(front_ends.b).signed_in("lee", password("lee")).get(f"/conversations/{chat}.md").status == 404


def test_a_user_over_the_rate_limit_on_one_front_end_is_over_it_on_the_other(front_ends: FrontEnds) -> None:
    on_a = Client(front_ends.a).signed_in("lee", password("lee"))
    on_b = on_a.at(front_ends.b)
    search = {"query": "annual leave", "k": 1}
    assert [c.post("/api/search", search).status for c in (on_a, on_b) * (RATE // 2)] == [200] * RATE
    refused = on_a.post("/api/search", search)
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert on_b.post("/api/search", search).status == 429


def test_an_answer_in_flight_when_the_database_stops_is_given_and_says_it_was_not_saved(front_ends: FrontEnds,
                                                                                     postgres) -> None:
    asking = Client(front_ends.a).signed_in("kim", password("kim"))
    question = "연차 휴가는 며칠인가요?"  # Korean: a few seconds of prompt before the first word
    with asking.open("POST", "/api/ask", {"question": question}) as stream:
        events = [json.loads(stream.readline())]
        assert events[0]["type"] == "sources"
        postgres.stop()  # while the model reads the passages
        try:
            events += [json.loads(line) for line in stream]
        finally:
            postgres.start()
    done = events[-1]
    assert done["type"] == "done" and done["saved"] is False and done["answer"]
    assert "".join(e["text"] for e in events if e["type"] == "token")  # the words reached the asker
    audit = AuditLog.for_settings(Settings(data_dir=Path("unused"), database_url=front_ends.url))
    assert question not in [e["question"] for e in audit.read("kim")]  # not half-saved either
    assert asking.ask(question)[-1]["saved"] is True  # the next one, once the database is back


def test_the_database_stopped_gives_503_then_service_resumes_with_nothing_lost(front_ends: FrontEnds,
                                                                             postgres) -> None:
    browser = Client(front_ends.a).signed_in("kim", password("kim"))
    postgres.stop()
    try:
        api = browser.get("/api/health")
        assert api.status == 503 and json.loads(api.body)["error"]["code"] == "state_unavailable"
        page = browser.get("/", headers={"Accept": "text/html", "Accept-Language": "ko-KR"})
        assert page.status == 503 and "데이터베이스에 연결할 수 없습니다" in page.text
        form = Client(front_ends.b).request("POST", "/login", form={"user": "kim", "password": password("kim")})
        assert form.status == 503 and "database is not reachable" in form.text
    finally:
        postgres.start()
    assert json.loads(browser.get("/api/health").body)["user"] == "kim"  # the session made before the stop
    assert Client(front_ends.b).sign_in("kim", password("kim")).status == 200
