"""Training records in the chat's own prompt layout, from the documents (both languages), feedback and an
admin's QA file; every reply to learn is a sentence of its prompt's passages, word for word, holding the
answer; a share of the documents is held out."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chatbot import ChatEngine
from chatbot.adapt.dataset import Record, build_records, read_records, write_records
from chatbot.language import detect_language
from storage import UNRESTRICTED, FeedbackStore, Reader

HANA = Reader("hana", frozenset({"everyone"}))
ADMIN = replace(UNRESTRICTED, name="root")


@pytest.fixture(scope="module")
def made(engine: ChatEngine) -> tuple[list[Record], dict]:
    records, report = build_records(engine, None, None, per_language=12, holdout=0.3)
    return records, report.to_json()


def test_questions_made_from_the_documents_in_both_languages(made, engine: ChatEngine) -> None:
    records, report = made
    assert {r.language for r in records} == {"en", "ko"}
    assert sum(report["records"].values()) == len(records) >= 16  # few are dropped: retrieval finds them
    for record in records:
        assert record.origin == "generated" and detect_language(record.question) == record.language
        _assert_grounded(record)
        # The very prompt the chat builds for that question: same retrieval, windows, system prompt.
        assert record.messages == engine.prompt_for(record.question, record.language).messages


def test_a_share_of_the_documents_is_held_out_whole(made) -> None:
    records, _ = made
    splits = {split: {r.source for r in records if r.split == split} for split in ("train", "validation")}
    assert splits["train"] and splits["validation"] and not splits["train"] & splits["validation"]


def test_records_round_trip_through_their_files(made, tmp_path: Path) -> None:
    records, _ = made
    paths = write_records(records, tmp_path)
    assert read_records(paths["train"]) + read_records(paths["validation"]) == \
        [r for r in records if r.split == "train"] + [r for r in records if r.split == "validation"]


def test_feedback_and_corrections_teach_in_the_prompt_the_model_saw(sample_settings, embedder, llm,
                                                                   tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    engine = ChatEngine(sample_settings, embedder=embedder, llm=llm, feedback=store)
    liked = engine.ask("How many days of annual leave do full-time employees get?", reader=HANA)
    corrected = engine.ask("연차 휴가는 며칠인가요?", reader=HANA)
    disliked = engine.ask("How long must passwords be?", reader=HANA)
    engine.give_feedback(liked.id, HANA, "up")
    engine.give_feedback(corrected.id, HANA, "down")
    engine.give_feedback(corrected.id, ADMIN, correction="15일 [1]")
    engine.give_feedback(disliked.id, HANA, "down")
    records, report = build_records(engine, store, None, per_language=0, holdout=0.0)
    by_origin = {r.origin: r for r in records}
    assert set(by_origin) <= {"feedback", "correction"} and "correction" in by_origin, report.to_json()
    correction = by_origin["correction"]
    assert correction.messages == corrected.prompt and correction.answer == "15일" and correction.language == "ko"
    _assert_grounded(correction)
    # The up-voted answer teaches only when its words are the passages' own (the model may paraphrase).
    if "feedback" in by_origin:
        assert by_origin["feedback"].messages == liked.prompt
        _assert_grounded(by_origin["feedback"])
    assert all(r.messages != disliked.prompt for r in records)  # a thumbs-down teaches nothing


def test_an_admins_qa_file_is_used_and_its_bad_lines_are_named(engine: ChatEngine, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join([
        json.dumps({"question": "How many days of annual leave do full-time employees get?", "answer": "15"}),
        "not json",
        json.dumps({"question": "Who founded the company?"}),
        json.dumps({"question": "How long must passwords be?", "answer": "forty-two parsecs"}),
    ]), encoding="utf-8")
    records, report = build_records(engine, None, qa, per_language=0, holdout=0.0)
    assert [(r.origin, r.answer) for r in records] == [("file", "15")]
    _assert_grounded(records[0])
    problems = report.to_json()["problems"]
    assert [p.split(": ")[0] for p in problems] == [f"{qa}:2", f"{qa}:3"]
    assert report.to_json()["dropped"] == {"file: the answer is not verbatim in the prompt's passages": 1}


def _assert_grounded(record: Record) -> None:
    """The reply to learn is one sentence of the prompt, word for word, holding the answer, then [n]."""
    sentence, _, citation = record.target.rpartition(" [")
    assert record.answer in sentence and sentence in record.messages[-1]["content"]
    assert citation.rstrip("]").isdigit()


def test_a_teacher_model_writes_the_questions_and_each_record_stays_grounded(engine: ChatEngine, llm) -> None:
    """The packaged model as its own teacher (a company would configure a larger one): what it writes is
    kept only when it is a question without the answer; otherwise the rule's question stands."""
    records, report = build_records(engine, None, None, per_language=4, holdout=0.0, teacher=llm)
    assert records, report.to_json()
    assert {r.origin for r in records} <= {"teacher", "generated"}
    for record in records:
        _assert_grounded(record)
        if record.origin == "teacher":
            assert record.question.endswith("?") and record.answer not in record.question
