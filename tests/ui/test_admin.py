"""The admin page on a real server: only the admin group may open it (403 for everyone else, by session or
API key); its numbers match the store; it lists the questions the documents did not answer and the answers
whose reply was not shown, as the audit log has them; and it starts an ingest in the background whose
progress moves, whose report (failed file and reason included) it shows, which refuses a second start, and
which stops with the reason when another writer holds the store. New documents are searchable at once."""

from __future__ import annotations

import html
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import ingest
from chatbot.operations.admin import REPLY_NOT_SHOWN
from settings import REPO_ROOT, Settings
from storage import AuditLog, Store, writer_lock
from tests.helpers import Client, add_users, password, start_server

FOLDERS = {"hr": 6, "it": 12, "finance": 12}  # markdown files per folder; only hr is indexed at first
UNANSWERED = "What is the airline mileage policy for business trips?"


def write_docs(docs: Path, folder: str) -> None:
    (docs / folder).mkdir(parents=True)
    for n in range(FOLDERS[folder]):
        (docs / folder / f"note-{n:02d}.md").write_text(
            f"# {folder} note {n}\n\nThe {folder} desk code for item {n} is {folder.upper()}-{n * 7 + 3}. "
            f"Requests for item {n} are answered within {n % 5 + 2} working days.\n")


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory, embedder, models: Path):
    """Its own server: the admin page ingests into its store while the tests watch."""
    root = tmp_path_factory.mktemp("admin")
    settings = Settings(data_dir=root / "data", docs_dir=root / "docs", store_dir=root / "store", models_dir=models)
    write_docs(settings.docs_dir, "hr")  # the other folders come later, ingested from the admin page
    (settings.docs_dir / "hr" / "leave.md").write_text("# Leave\n\nEmployees receive 15 days of paid annual leave.\n")
    add_users(settings, {"boss": ["admin"], "staff": ["staff"]})
    assert ingest.run(settings, embedder=embedder).added == FOLDERS["hr"] + 1
    base, process = start_server(settings, root / "server.log")
    yield base, settings
    process.terminate()
    process.wait(timeout=20)


def test_only_administrators_may_open_the_admin_page(admin_server) -> None:
    base, settings = admin_server
    staff, boss = Client(base).signed_in("staff", password("staff")), Client(base).signed_in("boss", password("boss"))
    made = subprocess.run([sys.executable, "-m", "chatbot", "keys", "create", "staff"], cwd=REPO_ROOT,
                          env={**os.environ, "RAG_DATA_DIR": str(settings.data_dir),
                               "RAG_MODELS_DIR": str(settings.models_path)}, capture_output=True, text=True)
    key = {"Authorization": f"Bearer {made.stdout.strip()}"}
    for method, path in (("GET", "/admin"), ("GET", "/admin/summary"), ("POST", "/admin/ingest"),
                         ("GET", "/admin/ingest")):
        assert staff.request(method, path).status == 403, path
        assert Client(base).request(method, path, headers=key).status == 403, path
        assert Client(base).request(method, path, headers={"Accept": "application/json"}).status == 401, path
    refused = staff.get("/admin?lang=ko")
    assert "관리자(admin 그룹)만" in refused.text
    page = boss.get("/admin")
    assert page.status == 200 and "What the index holds" in page.text


def test_the_numbers_match_the_store_and_the_gaps_match_the_audit_log(admin_server) -> None:
    base, settings = admin_server
    boss, staff = Client(base).signed_in("boss", password("boss")), Client(base).signed_in("staff", password("staff"))
    for _ in range(3):
        assert not staff.ask(UNANSWERED)[-1]["found"]
    assert not staff.ask("Who painted the lobby mural?")[-1]["found"]
    for question in ("How many days of annual leave do employees get?", "What is the desk code for item 4?",
                     "How fast are requests for item 2 answered?"):
        assert staff.ask(question)[-1]["found"]

    summary = boss.get("/admin/summary").json()
    store = Store(settings)
    records = store.files().values()
    expected = Counter()
    for record in records:
        expected[(record.path.split("/")[0], "md")] += len(record.chunk_ids)
    assert {(r["folder"], r["type"]): (r["documents"], r["chunks"]) for r in summary["index"]} == \
        {("hr", "md"): (FOLDERS["hr"] + 1, expected[("hr", "md")])}
    health = boss.get("/api/health").json()
    assert sum(r["chunks"] for r in summary["index"]) == health["chunks"] == store.count()

    gaps = summary["not_found"]
    assert gaps[0]["question"] == UNANSWERED and gaps[0]["asked"] == 3
    assert {g["question"] for g in gaps} == {UNANSWERED, "Who painted the lobby mural?"}
    logged = [e for e in AuditLog.for_settings(settings).read() if e.get("path") in REPLY_NOT_SHOWN]
    assert [(e["question"], e["path"]) for e in summary["unsupported"]] == \
        [(e["question"], e["path"]) for e in reversed(logged)]
    page = boss.get("/admin").text
    assert UNANSWERED in page and "<td class=n>3</td>" in page
    assert all(e["question"] in page for e in summary["unsupported"])


def test_an_ingest_runs_in_the_background_with_progress_and_its_report(admin_server) -> None:
    base, settings = admin_server
    boss, staff = Client(base).signed_in("boss", password("boss")), Client(base).signed_in("staff", password("staff"))
    write_docs(settings.docs_dir, "it")
    write_docs(settings.docs_dir, "finance")
    (settings.docs_dir / "finance" / "broken.docx").write_bytes(b"this is not a zip archive")
    assert staff.post("/api/search", {"query": "finance desk code for item 5"}).json()[0]["source"].startswith("hr/")

    started = boss.post("/admin/ingest")
    assert started.status == 202 and started.json()["state"] == "running"
    again = boss.post("/admin/ingest")  # one at a time
    assert again.status == 409 and again.json()["error"]["code"] == "ingest_running"
    seen, deadline = [], time.monotonic() + 600
    while (status := boss.get("/admin/ingest").json())["state"] == "running" and time.monotonic() < deadline:
        seen.append(status)
        time.sleep(0.1)
    assert status["state"] == "finished", status
    total = FOLDERS["it"] + FOLDERS["finance"] + 1
    assert {s["total"] for s in seen if s["total"]} == {total}
    # The progress moves and never goes back: files are named while read, and it is seen between the start
    # and the end (files read, not yet stored: the group is being embedded). Step by step it is checked in
    # tests/ingest; here it is polled, so how many steps are caught depends on the machine's speed.
    assert all(s["done"] <= s["started"] <= total for s in seen if s["total"])
    assert all(a["started"] <= b["started"] and a["done"] <= b["done"] for a, b in zip(seen, seen[1:]))
    assert any(s["file"] for s in seen) and any(0 < s["started"] and s["done"] < total for s in seen)
    assert all(s["file"].startswith(("it/", "finance/")) for s in seen if s["file"])
    report = status["report"]
    assert report["added"] == total - 1 and [f["path"] for f in report["failed"]] == ["finance/broken.docx"]

    page = boss.get("/admin").text
    assert "finance/broken.docx" in page and html.escape(report["failed"][0]["error"]) in page
    assert f"{total - 1} added" in page
    # The server searches what the ingest process wrote, without a restart.
    hits = staff.post("/api/search", {"query": "finance desk code for item 5"}).json()
    assert hits[0]["source"] == "finance/note-05.md"
    summary = boss.get("/admin/summary").json()
    assert {r["folder"] for r in summary["index"]} == set(FOLDERS)


def test_an_ingest_that_cannot_take_the_store_says_why(admin_server) -> None:
    base, settings = admin_server
    boss = Client(base).signed_in("boss", password("boss"))
    with writer_lock(settings):  # another writer (a command-line ingest, a backup) holds the store
        assert boss.post("/admin/ingest").status == 202
        deadline = time.monotonic() + 300
        while (status := boss.get("/admin/ingest").json())["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
    assert status["state"] == "failed" and "another ingest is writing" in status["error"]
    assert "another ingest is writing" in boss.get("/admin").text


def test_the_latest_feedback_is_listed_for_the_admin(admin_server) -> None:
    base, _ = admin_server
    boss, staff = Client(base).signed_in("boss", password("boss")), Client(base).signed_in("staff", password("staff"))
    done = staff.ask("How many days of annual leave do employees get?")[-1]
    assert staff.post("/api/feedback", {"answer_id": done["id"], "rating": "down",
                                        "comment": "we get 15 days, not per year"}).status == 200
    assert boss.post("/api/feedback", {"answer_id": done["id"], "correction": "15 days a year."}).status == 200
    latest = boss.get("/admin/summary").json()["feedback"][0]
    assert (latest["user"], latest["rating"], latest["comment"], latest["correction"]) == (
        "staff", "down", "we get 15 days, not per year", "15 days a year.")
    page = boss.get("/admin?lang=ko").text
    assert "사용자가 답변에 남긴 평가" in page and "we get 15 days, not per year" in page and "👎" in page
