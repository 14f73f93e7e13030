"""Every answer is kept for feedback with the exact prompt the model saw; only its asker (or an
administrator) may rate it, only an administrator may correct it, and with RAG_AUDIT_TEXT=hash no answer
is kept at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chatbot import ChatEngine, FeedbackRefused, FeedbackStore
from settings import Settings
from storage import UNRESTRICTED, Reader

HANA, ETHAN = Reader("hana", frozenset({"everyone"})), Reader("ethan", frozenset({"everyone"}))
ADMIN = replace(UNRESTRICTED, name="root")


def test_answers_are_kept_with_their_prompt_and_rated_by_their_asker(sample_settings: Settings, embedder, llm,
                                                                     tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    engine = ChatEngine(sample_settings, embedder=embedder, llm=llm, feedback=store)
    answer = engine.ask("And for contractors?", ["How many days of annual leave do employees get?"], reader=HANA)
    kept = store.answer(answer.id)
    assert kept is not None and kept.user == "hana" and kept.answer == answer.answer and kept.path == answer.path
    assert kept.standalone == answer.standalone != kept.question
    assert kept.prompt == answer.prompt and kept.prompt[0]["role"] == "system"
    assert answer.standalone in kept.prompt[-1]["content"]  # the prompt as the model saw it
    assert [s["source"] for s in kept.sources] == [p.source for p in answer.sources]

    engine.give_feedback(answer.id, HANA, "down", comment="contractors get no leave from us")
    with pytest.raises(FeedbackRefused) as not_his:
        engine.give_feedback(answer.id, ETHAN, "up")
    assert not_his.value.status == 404
    with pytest.raises(FeedbackRefused) as not_admin:
        engine.give_feedback(answer.id, HANA, correction="Contractors: see their agency.")
    assert not_admin.value.status == 403
    engine.give_feedback(answer.id, ADMIN, correction="Contractors' leave follows their agency contract.")
    rated = store.rated()[0]
    assert (rated.rating, rated.comment, rated.correction) == (
        "down", "contractors get no leave from us", "Contractors' leave follows their agency contract.")

    not_found = engine.ask("What colour is the CEO's car?", reader=HANA)
    assert not_found.path == "not_found" and store.answer(not_found.id).prompt == []  # the model was not called


def test_no_answer_is_kept_when_the_audit_log_keeps_no_words(sample_settings: Settings, embedder, llm,
                                                             tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    hashed = sample_settings.model_copy(update={"audit_text": "hash"})
    engine = ChatEngine(hashed, embedder=embedder, llm=llm, feedback=store)
    answer = engine.ask("How long must passwords be?", reader=HANA)
    assert store.answer(answer.id) is None
    with pytest.raises(FeedbackRefused):
        engine.give_feedback(answer.id, HANA, "up")
