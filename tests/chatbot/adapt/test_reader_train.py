"""`python -m chatbot train-reader` for real on a tiny pack written here: a run stopped by its time bound
exports nothing and says the same command goes on; started again it resumes from its checkpoint, finishes,
and exports a reader the chat loads, with its sha256 in its config and model card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.model.reader import CARD_FILE, SpanReader
from settings import REPO_ROOT, Settings

pytestmark = pytest.mark.training

EXAMPLES = [
    ("How many days of leave do employees get?", "Employees get 15 days of paid leave a year.", "15 days", "en"),
    ("Who approves travel?", "Travel is approved by the team lead before booking.", "the team lead", "en"),
    ("What is the meal limit?", "The meal limit is 30,000 won per person.", "30,000 won", "en"),
    ("Who signs contracts?", "The office is open from nine to six.", None, "en"),
    ("연차 휴가는 며칠인가요?", "입사 1년 후에는 15일의 유급 연차 휴가가 주어진다.", "15일", "ko"),
    ("비밀번호는 몇 자 이상인가요?", "비밀번호는 12자 이상이어야 한다.", "12자", "ko"),
]


def pack(path: Path) -> Path:
    lines = []
    for question, context, answer, lang in EXAMPLES:
        answers = [{"text": answer, "start": context.index(answer)}] if answer else []
        lines.append(json.dumps({"question": question, "context": context, "answers": answers, "lang": lang,
                                 "fold": "A", "answerable": bool(answers)}, ensure_ascii=False))
    lines.append("not json")  # named and skipped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train(data_dir: Path, data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    # One thread: two torch threads beside the other worker's llama.cpp or LoRA training starve both.
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "chatbot", "train-reader", "--data", str(data), "--out", str(out),
                           "--epochs", "2", "--checkpoint-steps", "1", "--threads", "1", "--json", *extra],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_training_stops_resumes_and_exports_a_reader_the_chat_loads(tmp_path: Path) -> None:
    data, out = pack(tmp_path / "pack.jsonl"), tmp_path / "reader"
    first = train(tmp_path / "data", data, out, "--minutes", "0")  # the time bound: one step, then stop
    assert first.returncode == 0, first.stderr
    stopped = json.loads(first.stdout)
    assert (stopped["steps"], stopped["complete"], stopped["out"]) == (1, False, None)
    assert "time bound reached" in first.stderr and "pack.jsonl:7: not an example" in first.stderr
    assert stopped["examples"] == {"en": 4, "ko": 2} and not out.exists()

    second = train(tmp_path / "data", data, out)
    assert second.returncode == 0, second.stderr
    assert "resuming from step 1/" in second.stderr
    done = json.loads(second.stdout)
    assert done["complete"] and done["steps"] == done["total_steps"] and done["out"] == str(out)
    reader = SpanReader(out, Settings().embed_model_path)
    assert reader.config["sha256"] in (out / CARD_FILE).read_text(encoding="utf-8")
    reading = reader.read(EXAMPLES[0][0], [EXAMPLES[0][1]])
    assert reading is not None and reading.text in EXAMPLES[0][1]
