"""`python -m chatbot adapt-data` and `adapt` for real, on the sample documents: a few training steps write
an adapter llama.cpp loads and whose replies differ from the model's; a run killed mid-way resumes from its
checkpoint; the adapter is switched on only when better, and `--rollback` goes back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatbot.adapt.dataset import read_records
from chatbot.adapt.judge import judge
from chatbot.answer.engine import lora_path
from chatbot.model.llm import LocalLLM
from settings import REPO_ROOT, Settings
from storage import Adapters

EPOCHS = "2"  # 15 records, 8 steps: enough to interrupt twice, resume, and change the replies


def adapt_cli(settings: Settings, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "RAG_STORE_DIR": str(settings.store_path), "RAG_DATA_DIR": str(settings.data_dir),
           "RAG_MODELS_DIR": str(settings.models_path),
           "RAG_DOCS_DIR": str(settings.docs_dir), **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=900)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def adapt_settings(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample store, a data folder of this module's own, with training records made from the samples."""
    settings = sample_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("adapt") / "data"})
    code, out, err = finished(adapt_cli(settings, "adapt-data", "--per-language", "10", "--holdout", "0.3",
                                        "--json"))
    assert code == 0, err
    report = json.loads(out)
    assert any(key.startswith("train generated") for key in report["records"]), report
    assert any(key.startswith("validation generated") for key in report["records"]), report
    return settings


@pytest.fixture(scope="module")
def interrupted_then_resumed(adapt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, int]:
    """A run killed (SIGKILL, as by a power cut) right after its first checkpoint; started again and
    stopped (SIGTERM, as by a service stop) as soon as it resumed; started a third time to the end."""
    runs = adapt_settings.adapt_dir / "runs"
    first = adapt_cli(adapt_settings, "adapt", "--json", "--epochs", EPOCHS, "--checkpoint-steps", "1")
    deadline = time.monotonic() + 600
    while not list(runs.glob("*/checkpoint/state.pt")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL, "the run ended before it could be interrupted"
    assert not list(runs.glob("*/adapter.gguf"))  # nothing was finished, nothing switched
    assert Adapters(adapt_settings.adapt_dir).active() is None

    log = tmp_path_factory.mktemp("adapt-log") / "second.err"
    with open(log, "w") as err:
        env = {**os.environ, "RAG_STORE_DIR": str(adapt_settings.store_path),
               "RAG_DATA_DIR": str(adapt_settings.data_dir), "RAG_DOCS_DIR": str(adapt_settings.docs_dir),
               "RAG_MODELS_DIR": str(adapt_settings.models_path)}
        second = subprocess.Popen([sys.executable, "-m", "chatbot", "adapt", "--json", "--epochs", EPOCHS,
                                   "--checkpoint-steps", "1"], cwd=REPO_ROOT, env=env, stderr=err,
                                  stdout=subprocess.DEVNULL)
        while "resuming from step" not in log.read_text() and second.poll() is None:
            time.sleep(0.05)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=120) == 130, log.read_text()[-2000:]
    assert "stopped at step" in log.read_text() and "the same command resumes" in log.read_text()
    assert not list(runs.glob("*/adapter.gguf"))

    code, out, err = finished(adapt_cli(adapt_settings, "adapt", "--json", "--epochs", EPOCHS,
                                        "--checkpoint-steps", "1"))
    assert code == 0, err
    return json.loads(out), err, len(list(runs.iterdir()))


def test_a_killed_or_stopped_run_resumes_from_its_checkpoint(interrupted_then_resumed) -> None:
    result, err, runs = interrupted_then_resumed
    training = result["training"]
    assert runs == 1  # the same run's folder, not a new one
    assert "resuming from step" in err and training["resumed_from"] >= 1
    assert training["complete"] and training["steps"] == training["total_steps"] > training["resumed_from"]
    assert "ETA" in err  # progress with an estimate of the time left


def test_the_adapter_loads_in_llama_cpp_and_changes_the_replies(interrupted_then_resumed,
                                                                 adapt_settings: Settings) -> None:
    result, _, _ = interrupted_then_resumed
    adapter = Path(result["adapter"])
    assert adapter.suffix == ".gguf" and adapter.stat().st_size > 1_000_000
    prompts = [r.messages for r in read_records(adapt_settings.adapt_dir / "data" / "train.jsonl")[:3]]
    base, adapted = LocalLLM(adapt_settings.llm_model_path), LocalLLM(adapt_settings.llm_model_path, lora_path=adapter)
    replies = [("".join(base.generate(p, 48)), "".join(adapted.generate(p, 48))) for p in prompts]
    assert any(before != after for before, after in replies), replies


def test_switched_on_only_when_better_and_rolled_back(interrupted_then_resumed, adapt_settings: Settings) -> None:
    result, _, _ = interrupted_then_resumed
    adapter = Path(result["adapter"])
    assert result["base"]["adapter"] is None and set(result["base"]["validation"]) <= {"en", "ko"}
    assert result["activated"] == judge(result["base"], result["adapted"]).better
    adapters = Adapters(adapt_settings.adapt_dir)
    assert adapters.active() == (adapter if result["activated"] else None)
    if not result["activated"]:
        adapters.switch(adapter)  # as an admin trying it anyway would (RAG_LLM_LORA does the same)
    assert lora_path(adapt_settings) == adapter  # the chat opens the model with it
    code, out, err = finished(adapt_cli(adapt_settings, "adapt", "--rollback", "--json"))
    assert (code, json.loads(out)) == (0, {"active": None}), err
    assert lora_path(adapt_settings) is None
    code, _, err = finished(adapt_cli(adapt_settings, "adapt", "--rollback"))
    assert code == 2 and "nothing to roll back" in err


def test_an_adapter_equal_to_what_runs_is_not_switched_again(interrupted_then_resumed,
                                                              adapt_settings: Settings) -> None:
    """The same data again: the run is complete, so nothing trains; judged against itself it is no better."""
    result, _, _ = interrupted_then_resumed
    Adapters(adapt_settings.adapt_dir).switch(Path(result["adapter"]))
    code, out, err = finished(adapt_cli(adapt_settings, "adapt", "--json", "--epochs", EPOCHS))
    assert code == 0, err
    again = json.loads(out)
    assert again["training"]["resumed_from"] == again["training"]["total_steps"]
    assert again["adapted"]["validation"] == again["base"]["validation"] and not again["activated"]


@pytest.mark.parametrize(("current", "adapted", "better"), [
    ({"validation": {"en": 0.3, "ko": 0.1}}, {"validation": {"en": 0.5, "ko": 0.2}}, True),
    ({"validation": {"en": 0.3, "ko": 0.1}}, {"validation": {"en": 0.6, "ko": 0.05}}, False),  # one language fell
    ({"validation": {"en": 0.3}}, {"validation": {"en": 0.3}}, False),  # not better
    ({"validation": {"en": 0.3}, "eval": {"en": {"reply_contains": 0.3, "answer_contains": 0.6, "cites_gold": 0.6}}},
     {"validation": {"en": 0.4}, "eval": {"en": {"reply_contains": 0.5, "answer_contains": 0.59, "cites_gold": 0.7}}},
     False),  # the answers users see got worse on the QA pack
    ({"validation": {"en": 0.3}, "eval": {"en": {"reply_contains": 0.3, "answer_contains": 0.6, "cites_gold": 0.6}}},
     {"validation": {"en": 0.4}, "eval": {"en": {"reply_contains": 0.5, "answer_contains": 0.6, "cites_gold": 0.6}}},
     True),
])
def test_better_means_better_everywhere_and_worse_nowhere(current: dict, adapted: dict, better: bool) -> None:
    assert judge(current, adapted).better is better


def test_adapt_without_records_or_with_a_remote_model_says_why(settings: Settings) -> None:
    code, _, err = finished(adapt_cli(settings, "adapt", "--json", extra_env={"RAG_LLM_URL": "http://127.0.0.1:9/v1"}))
    assert code == 2 and "RAG_LLM_URL" in err
