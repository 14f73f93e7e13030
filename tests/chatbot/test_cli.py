"""python -m chatbot search|ask|eval --json: stdout is the JSON alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from settings import REPO_ROOT, Settings
from storage import UsersFile


def chatbot_cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_MODELS_DIR": str(settings.models_path)}
    return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)


def test_search_json(sample_settings: Settings) -> None:
    result = chatbot_cli(sample_settings, "search", "What is the taxi limit for late work?", "--k", "3", "--json")
    assert result.returncode == 0, result.stderr
    passages = json.loads(result.stdout)
    assert len(passages) == 3
    assert {"source", "page", "score", "text"} <= set(passages[0])
    assert any(p["source"] == "finance/expense-rules.docx" and "Taxi" in p["text"] for p in passages)


def test_search_filters(sample_settings: Settings) -> None:
    result = chatbot_cli(sample_settings, "search", "비밀번호 길이", "--k", "5", "--folder", "it", "--type", "pdf",
                         "--since", "2000-01-01", "--json")
    assert result.returncode == 0, result.stderr
    assert {p["source"] for p in json.loads(result.stdout)} == {"it/security-rules.pdf"}
    bad = chatbot_cli(sample_settings, "search", "leave", "--until", "June")
    assert bad.returncode == 2 and "--until" in bad.stderr


def test_ask_json(sample_settings: Settings) -> None:
    result = chatbot_cli(sample_settings, "ask", "How long is the probation period?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"id", "answer", "found", "supported", "reply", "evidence", "span", "path", "confidence",
                           "sources", "usage", "ttft_s", "first_words_s", "saved"}
    assert answer["found"] is True and answer["saved"] is True  # in the audit log
    assert answer["sources"][0]["source"] == "onboarding/onboarding-guide.md"
    best = answer["evidence"][0]
    assert {"source", "page", "sentence"} <= set(best)
    assert best["sentence"] in answer["sources"][best["passage"] - 1]["text"]
    assert "probation" in best["sentence"].lower()
    assert answer["usage"]["prompt_tokens"] > 0 and answer["ttft_s"] > 0


def test_ask_json_not_found(sample_settings: Settings) -> None:
    answer = json.loads(chatbot_cli(sample_settings, "ask", "Who won the 2022 World Cup?", "--json").stdout)
    assert (answer["found"], answer["sources"]) == (False, [])


def test_eval_on_a_pack_of_the_same_layout(tmp_path: Path, models: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "corpus" / "en").mkdir(parents=True)
    (pack / "corpus" / "ko").mkdir(parents=True)
    (pack / "corpus" / "en" / "leave.txt").write_text("Leave\n\nEmployees get 15 days of annual leave.")
    (pack / "corpus" / "en" / "parking.txt").write_text("Parking\n\nParking is free in lot B for staff.")
    (pack / "corpus" / "ko" / "휴가.txt").write_text("휴가\n\n연차 휴가는 15일이다.")
    questions = [
        {"question": "How many days of annual leave?", "answers": ["15 days"], "doc": "leave.txt", "lang": "en"},
        {"question": "Where is parking free?", "answers": ["lot B"], "doc": "parking.txt", "lang": "en"},
        {"question": "연차 휴가는 며칠인가?", "answers": ["15일"], "doc": "휴가.txt", "lang": "ko"},
    ]
    (pack / "questions.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions))
    settings = Settings(data_dir=tmp_path / "data", models_dir=models)  # the session's embedder export

    retrieval = chatbot_cli(settings, "eval", str(pack), "--retrieval-only", "--json")
    assert retrieval.returncode == 0, retrieval.stderr
    report = json.loads(retrieval.stdout)
    assert report["en"]["n"] == 2 and report["ko"]["n"] == 1
    assert report["en"]["recall@1"] == report["ko"]["recall@1"] == 1.0
    assert report["en"]["ctx@1"] == 1.0
    assert "answer_contains" not in report["en"]
    assert (tmp_path / "data" / "eval" / "pack").is_dir()  # its own store, not the production one

    records = tmp_path / "records.jsonl"
    full = json.loads(chatbot_cli(settings, "eval", str(pack), "--limit", "1", "--json", "--records",
                                  str(records)).stdout)
    assert full["en"]["n"] == 1
    assert {"answer_contains", "reply_contains", "evidence_contains", "cites_gold", "prompt_tokens_p50",
            "ttft_p50_s", "answer_p50_s", "answer_p95_s", "hit_token_limit", "stated_right",
            "stated_wrong"} <= set(full["en"])
    # One sentence per file: the evidence is the gold sentence whatever the model writes.
    assert full["en"]["evidence_contains"] == 1.0
    # What the page states, counted from each answer's own record: stated (a reply or a bold) and right or not.
    lines = [json.loads(line) for line in records.read_text().splitlines()]
    assert [(r["lang"], r["question"]) for r in lines] == [("en", questions[0]["question"]),
                                                           ("ko", questions[2]["question"])]
    for record in lines:
        metrics, statement = full[record["lang"]], record["statement"]
        stated = record["path"] in ("reply", "span")
        assert metrics["stated_right"] == float(stated and statement["holds"])
        assert metrics["stated_wrong"] == float(stated and not statement["holds"])
        assert (statement is None) == (record["path"] not in ("reply", "span"))  # nothing withheld at 0
        # The curve at 0 is what the default (state everything) shows; at 1.0 beyond, fewer or as many.
        curve = metrics["statement_curve"]
        assert (curve[0]["stated_right"], curve[0]["stated_wrong"]) == (metrics["stated_right"],
                                                                        metrics["stated_wrong"])
        assert all(a["stated_right"] >= b["stated_right"] for a, b in zip(curve, curve[1:]))


def test_users_commands(settings: Settings) -> None:
    added = chatbot_cli(settings, "users", "add", "hana", "--group", "hr", "--group", "인사팀", "--password-stdin",
                        stdin="a long password\n")
    assert added.returncode == 0, added.stderr
    assert "added hana: groups hr, 인사팀, everyone" in added.stdout
    admin = chatbot_cli(settings, "users", "add", "root", "--group", "admin", "--password-stdin", stdin="another one\n")
    assert "sees every document" in admin.stdout
    listed = json.loads(chatbot_cli(settings, "users", "list", "--json").stdout)
    assert listed == [{"name": "hana", "groups": ["hr", "인사팀"], "source": "local"},
                      {"name": "root", "groups": ["admin"], "source": "local"}]
    assert "a long password" not in settings.users_path.read_text()

    assert chatbot_cli(settings, "users", "passwd", "hana", "--password-stdin", stdin="a new password\n").returncode == 0
    assert UsersFile(settings.users_path).verify("hana", "a new password")
    assert chatbot_cli(settings, "users", "remove", "hana").returncode == 0
    again = chatbot_cli(settings, "users", "remove", "hana")
    assert again.returncode == 2 and "no user 'hana'" in again.stderr
    short = chatbot_cli(settings, "users", "add", "ethan", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr

    settings.users_path.write_text('{"users": {"root": {"groups": ["admin"], "password": "hunter2"}}}')
    broken = chatbot_cli(settings, "users", "list")
    assert broken.returncode == 2 and str(settings.users_path) in broken.stderr and "Traceback" not in broken.stderr
