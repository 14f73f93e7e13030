"""Few-shot examples from use: the best-rated short answers, one per document and N per language, shown
before questions in their own language, and only when switched on."""

from __future__ import annotations

import json
from pathlib import Path

from chatbot import ChatEngine
from settings import Settings
from storage import FeedbackStore, FewShotFile, Reader
from tests.chatbot.adapt.test_adapt import adapt_cli, finished

HANA = Reader("hana", frozenset({"everyone"}))
LIKED = [
    "How many days of annual leave do full-time employees get?",
    "How long must passwords be?",
    "비밀번호는 몇 자 이상이어야 하나요?",
    "연차 휴가는 며칠인가요?",
]


def test_examples_are_picked_from_rated_answers_and_shown_per_language(sample_settings: Settings, embedder, llm,
                                                                       tmp_path: Path) -> None:
    settings = sample_settings.model_copy(update={"data_dir": tmp_path / "data"})
    feedback = FeedbackStore(settings.feedback_path)
    engine = ChatEngine(settings, embedder=embedder, llm=llm, feedback=feedback)
    for question in LIKED:
        engine.give_feedback(engine.ask(question, reader=HANA).id, HANA, "up")
    disliked = engine.ask("What is the taxi limit for late work?", reader=HANA)
    engine.give_feedback(disliked.id, HANA, "down")

    code, out, err = finished(adapt_cli(settings, "fewshot", "--from-feedback", "--n", "1", "--json"))
    assert code == 0, err
    examples = json.loads(out)["examples"]
    assert FewShotFile(settings.adapt_dir).read() == examples
    assert 1 <= len(examples) <= 2 and len({e["language"] for e in examples}) == len(examples)  # N=1 per language
    for example in examples:
        assert example["question"] in LIKED and example["answer"].endswith(" [1]")
        assert example["answer"].removesuffix(" [1]") in example["context"]  # the passage's own words

    off = engine.prompt_for("How long is the probation period?", "en")
    assert len(off.messages) == 2  # the system prompt and the question: examples are off by default
    with_examples = ChatEngine(settings.model_copy(update={"few_shot_from_feedback": True}), embedder=embedder,
                               llm=llm)
    for language, question in (("en", "How long is the probation period?"), ("ko", "수습 기간은 얼마나 되나요?")):
        shown = with_examples.prompt_for(question, language).messages
        wanted = [e for e in examples if e["language"] == language]
        assert len(shown) == 2 + 2 * len(wanted)
        assert [m["content"] for m in shown[2:-1:2]] == [e["answer"] for e in wanted]
