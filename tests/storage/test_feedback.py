"""Answers kept with what made them, and feedback on them: a rating, a comment and a correction, each kept
when another is given, each changed by giving it again."""

from __future__ import annotations

from pathlib import Path

from storage import AnswerRecord, FeedbackStore

PROMPT = [{"role": "system", "content": "Answer from the passages."}, {"role": "user", "content": "[1] ... leave?"}]


def record(store: FeedbackStore, answer_id: str, user: str = "hana") -> AnswerRecord:
    answer = AnswerRecord(answer_id, user, "en", "And contractors?", "How many days of leave? And contractors?",
                          PROMPT, [{"source": "hr/policy.md", "label": "hr/policy.md"}], "Contractors get none.",
                          "Contractors get none. [1]", "reply")
    store.record(answer)
    return answer


def test_an_answer_is_kept_with_what_made_it_and_its_feedback_builds_up(tmp_path: Path,
                                                                        database_url: str | None) -> None:
    path = tmp_path / "feedback" / "feedback.sqlite3"
    store = FeedbackStore(path, database_url=database_url)
    answer = record(store, "a" * 32)
    assert store.answer("a" * 32) == answer and store.answer("b" * 32) is None
    assert store.rated() == []
    store.give(answer.id, "down")
    store.give(answer.id, comment="contractors do get 10 days")  # the rating stays
    store.give(answer.id, correction="Contractors get 10 days through their agency.")
    store.close()

    rated = FeedbackStore(path, database_url=database_url).rated()  # kept across a restart
    assert len(rated) == 1 and rated[0].answer == answer
    assert (rated[0].rating, rated[0].comment, rated[0].correction) == (
        "down", "contractors do get 10 days", "Contractors get 10 days through their agency.")
    again = FeedbackStore(path, database_url=database_url)
    again.give(answer.id, "up")
    again.give(answer.id, None)  # a rating taken back; the comment and correction stay
    assert (again.rated()[0].rating, again.rated()[0].comment) == (None, "contractors do get 10 days")
    if not database_url:  # a folder only the server may enter
        assert (tmp_path / "feedback").stat().st_mode & 0o777 == 0o700


def test_the_latest_feedback_comes_first(tmp_path: Path, database_url: str | None) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3", database_url=database_url)
    first, second = record(store, "1" * 32), record(store, "2" * 32, "ethan")
    store.give(first.id, "up")
    store.give(second.id, "down")
    assert [r.answer.id for r in store.rated()] == [second.id, first.id]
    store.give(first.id, comment="clear")
    assert [r.answer.id for r in store.rated()] == [first.id, second.id]
