"""Past one process: the LLM on its own server (RAG_LLM_URL), the vectors on a Chroma server, two front-ends.

Everything here is real: llama-cpp-python's OpenAI-compatible server on the
packaged GGUF, chromadb's own server, two `python -m ui` processes that
share the data directory (users, sessions, manifest, keyword index), as
docs/DEPLOY.md sets them up, and nginx in front of them for the browser.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ingest
from chatbot import ChatEngine
from settings import REPO_ROOT, Settings

from .helpers import (
    CHROMIUM, Client, add_users, loopback_only, password, start_chroma, start_llm_server,
    start_server, stop,
)
from .proxy import NGINX, Proxy
from .ui.browsing import ask_in_page, wait_loaded

LEAVE = "How many days of paid annual leave do employees get?"
FOLLOW_UP = "What about sick leave?"


@pytest.fixture(scope="module")
def shared(tmp_path_factory, embedder, models: Path) -> Settings:
    """The sample documents ingested into a Chroma server; the data directory the front-ends share."""
    root = tmp_path_factory.mktemp("scale-out")
    port, chroma = start_chroma(root / "chroma-server", root / "chroma.log")
    docs = root / "docs"
    shutil.copytree(REPO_ROOT / "documents", docs)
    settings = Settings(data_dir=root / "data", docs_dir=docs, chroma_host="127.0.0.1", chroma_port=port,
                        models_dir=models)
    assert ingest.run(settings, embedder=embedder).failed == []
    add_users(settings, {"kim": ["staff"]})
    yield settings
    stop(chroma)


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory) -> str:
    url, process = start_llm_server(Settings().llm_model_path, tmp_path_factory.mktemp("llm") / "llm.log")
    yield url
    stop(process)


def _front_end(settings: Settings, llm_url: str, log: Path) -> tuple[str, object]:
    return start_server(settings, log, extra_env={
        "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(settings.chroma_port), "RAG_LLM_URL": llm_url,
    })


@pytest.fixture(scope="module")
def front_ends(shared: Settings, llm_url: str, tmp_path_factory) -> tuple[str, str]:
    logs = tmp_path_factory.mktemp("front-ends")
    (a, first), (b, second) = (_front_end(shared, llm_url, logs / f"{name}.log") for name in "ab")
    yield a, b
    stop(first)
    stop(second)


def _done(events: list[dict]) -> dict:
    assert [e["type"] for e in events][0] == "sources" and events[-1]["type"] == "done", events[-3:]
    return events[-1]


def test_the_llm_server_streams_a_cited_answer(shared: Settings, llm_url: str, front_ends, embedder, llm) -> None:
    a, _ = front_ends
    events = Client(a).signed_in("kim", password("kim")).ask(LEAVE)
    tokens = [e["text"] for e in events if e["type"] == "token"]
    done = _done(events)
    assert "".join(tokens) == done["answer"]  # held until judged, then streamed as it stays
    assert done["found"] and "15 days" in done["answer"] and "[1]" in done["answer"]
    assert done["sources"][0]["source"] == "hr/hr-policy.md"
    # The same prompt, counted and templated the same way, as the model in this process writes it.
    local = ChatEngine(shared, embedder=embedder, llm=llm).ask(LEAVE)
    assert done["reply"] == local.reply and done["answer"] == local.answer


def test_two_front_ends_give_the_same_answers_and_carry_a_conversation(shared: Settings, front_ends) -> None:
    a, b = front_ends
    on_a = Client(a).signed_in("kim", password("kim"))
    on_b = on_a.at(b)  # the proxy sends the next request elsewhere: the sign-in holds there too
    assert on_b.get("/api/health").json()["user"] == "kim"

    first = _done(on_a.ask(LEAVE))
    assert _done(on_b.ask(LEAVE))["answer"] == first["answer"]

    # The conversation travels with the request (the page's chat, the API's history): the follow-up
    # asked on B continues the question asked on A, exactly as it would on A.
    follow_up = _done(on_b.ask(FOLLOW_UP, history=[LEAVE]))
    assert follow_up["standalone"] == f"{LEAVE} {FOLLOW_UP}"
    assert follow_up["answer"] == _done(on_a.ask(FOLLOW_UP, history=[LEAVE]))["answer"]
    assert "hr/hr-policy.md" in {s["source"] for s in follow_up["sources"]}


def test_a_new_ingest_reaches_every_front_end(shared: Settings, front_ends, embedder) -> None:
    (shared.docs_dir / "parking.md").write_text("# Parking\n\nThe staff car park opens at 6 a.m. on weekdays.\n")
    assert ingest.run(shared, embedder=embedder).added == 1
    for base in front_ends:
        found = Client(base).signed_in("kim", password("kim")).post(
            "/api/search", {"query": "When does the staff car park open?", "k": 1}).json()
        assert found[0]["source"] == "parking.md"


@pytest.fixture
def proxy(tmp_path: Path):
    proxy = Proxy(tmp_path)
    yield proxy
    if proxy.process is not None:
        stop(proxy.process)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or NGINX is None,
                    reason="NOT RUN: Debian's chromium and nginx are needed (.ci/run installs them)")
def test_a_page_whose_front_end_changes_keeps_its_sign_in_and_conversation(front_ends, proxy: Proxy,
                                                                            browser) -> None:
    a, b = front_ends
    api = Client(b).signed_in("kim", password("kim"))
    with_context = _done(api.ask(FOLLOW_UP, history=[LEAVE]))["answer"]
    assert with_context != _done(api.ask(FOLLOW_UP))["answer"]  # the follow-up needs the first question

    proxy.route_to(a)
    requested: list[str] = []
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.route("**/*", loopback_only(requested))
    page.goto(proxy.base, wait_until="load")
    page.fill("#user", "kim")
    page.fill("#password", password("kim"))
    page.click("button[type=submit]")
    wait_loaded(page)

    ask_in_page(page, LEAVE, answers=1)
    proxy.route_to(b)  # front-end A is gone for this browser; B takes the next request
    last = ask_in_page(page, FOLLOW_UP, answers=2)
    context.close()
    assert " ".join(last.split()) == " ".join(with_context.replace("**", "").split())  # bold shown as bold
