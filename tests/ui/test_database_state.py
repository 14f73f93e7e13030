"""The state on a PostgreSQL server (RAG_DATABASE_URL): two front-ends with data folders of their own — no
shared folder — and an ingest host of its own share the users, sign-ins, API keys, limits, answers with their
feedback, the audit log, saved chats, the manifest and the keyword index through the database and the vectors
through a Chroma server; a database that stops answers 503 with a clear message, then serves again by itself,
nothing committed lost."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import ingest
from settings import REPO_ROOT, Settings
from storage import AuditLog, Conversations, FeedbackStore, Turn
from tests.helpers import Client, add_users, password, start_chroma, start_server, stop
from tests.proxy import NGINX, Proxy

pytestmark = pytest.mark.server

RATE = 4  # searches a minute per user, counted across both front-ends


@dataclass
class FrontEnds:
    a: str
    b: str
    a_settings: Settings
    url: str  # the database's
    ingest_host: Settings  # a third host's: its own data folder and store, the same database and Chroma server
    processes: dict[str, subprocess.Popen]  # by "127.0.0.1:PORT", as nginx names its upstreams


@pytest.fixture(scope="module")
def front_ends(postgres, embedder, models: Path, tmp_path_factory: pytest.TempPathFactory):
    """An ingest host puts the sample documents into the Chroma server and the database; front-ends A and B
    each have a data folder and store of their own, nothing shared but the database (the users included:
    added once, there) and the Chroma server."""
    root = tmp_path_factory.mktemp("database-state")
    url = postgres.new_database()
    chroma_port, chroma = start_chroma(root / "chroma-server", root / "chroma.log")
    shutil.copytree(REPO_ROOT / "documents", root / "documents")
    hosts = {name: Settings(data_dir=root / name, docs_dir=root / "documents", models_dir=models,
                            database_url=url, chroma_host="127.0.0.1", chroma_port=chroma_port)
             for name in ("ingest", "a", "b")}
    assert ingest.run(hosts["ingest"], embedder=embedder).failed == []
    add_users(hosts["a"], {"kim": ["hr"], "lee": ["hr"], "park": ["it"], "boss": ["admin"]})
    started = [start_server(hosts[name], root / f"{name}.log", {
        "RAG_DATABASE_URL": url, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port),
        "RAG_RATE_LIMIT_PER_MINUTE": str(RATE)}) for name in "ab"]
    (a, first), (b, second) = started
    processes = {a.removeprefix("http://"): first, b.removeprefix("http://"): second}
    yield FrontEnds(a, b, hosts["a"], url, hosts["ingest"], processes)
    stop(first)
    stop(second)
    stop(chroma)


def test_a_file_ingested_on_a_third_host_is_found_on_both_front_ends(front_ends: FrontEnds, embedder) -> None:
    clients = [Client(host).signed_in("park", password("park")) for host in (front_ends.a, front_ends.b)]
    before = {json.loads(c.get("/api/health").body)["index_version"] for c in clients}
    assert len(before) == 1 and None not in before  # both serve the index the ingest host published
    for client in clients:  # each front-end's own store folder holds no manifest: it reads the database's
        assert json.loads(client.get("/api/health").body)["documents"] > 0
    assert not (front_ends.a_settings.store_path / "manifest.sqlite3").exists()
    (front_ends.ingest_host.docs_dir / "bicycles.md").write_text(
        "# Bicycles\n\nBicycles are parked in the locked cage C7 behind building 2.\n")
    assert ingest.run(front_ends.ingest_host, embedder=embedder).added == 1
    for client in clients:
        found = json.loads(client.post("/api/search", {"query": "locked bicycle cage", "k": 3}).body)
        assert found and found[0]["source"] == "bicycles.md", found
    after = {json.loads(c.get("/api/health").body)["index_version"] for c in clients}
    assert len(after) == 1 and after != before


def test_an_ingest_started_on_one_admin_page_shows_on_the_other_and_runs_once(front_ends: FrontEnds) -> None:
    on_a = Client(front_ends.a).signed_in("boss", password("boss"))
    on_b = on_a.at(front_ends.b)
    started = on_a.post("/admin/ingest")
    assert started.status == 202 and started.json()["state"] == "running"
    elsewhere = on_b.post("/admin/ingest")  # one at a time, across front-ends
    assert elsewhere.status == 409 and elsewhere.json()["error"]["code"] == "ingest_running"
    deadline = time.monotonic() + 300
    while (seen := on_b.get("/admin/ingest").json())["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen["state"] == "finished" and seen["started_at"] == started.json()["started_at"], seen
    assert seen["report"]["failed"] == [] and seen == on_a.get("/admin/ingest").json()
    assert on_b.post("/admin/ingest").status == 202  # once it is over, from either
    while on_a.get("/admin/ingest").json()["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)


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


@pytest.mark.skipif(NGINX is None, reason="NOT RUN: Debian's nginx is needed (.ci/run installs it)")
def test_a_front_end_killed_mid_answer_loses_only_that_answer(front_ends: FrontEnds, tmp_path: Path) -> None:
    """Last in the module: it leaves one front-end dead."""
    proxy = Proxy(tmp_path)
    proxy.route_to(front_ends.a, front_ends.b)
    try:
        asking = Client(proxy.base).signed_in("park", password("park"))
        serving = proxy.upstream(asking)
        with asking.open("POST", "/api/ask", {"question": "연차 휴가는 며칠인가요?"}) as stream:
            assert json.loads(stream.readline())["type"] == "sources"
            victim = front_ends.processes[serving]
            victim.kill()  # the host goes away while its model reads the passages
            victim.wait()
            with pytest.raises((http.client.IncompleteRead, ConnectionError)):
                stream.read()  # that answer is lost, cut off
        then = asking.ask("How many days of annual leave do I get?")  # the same session, through nginx
        assert then[-1]["type"] == "done" and then[-1]["saved"] is True and then[-1]["answer"]
        assert proxy.upstream(asking) not in (serving, None)  # the other front-end took it
    finally:
        if proxy.process is not None:
            stop(proxy.process)
