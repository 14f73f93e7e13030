"""Few-shot examples from use (python -m chatbot fewshot --from-feedback): the best-rated short answers, one
per topic (the document it came from) and up to N per language, written to DATA_DIR/adapt/few_shot.json.

The chat shows them before a question in the same language only when
RAG_FEW_SHOT_FROM_FEEDBACK is on: on the packaged model they did not help
(docs/BENCHMARKS.md), and each costs prompt tokens on every question.
"""

from __future__ import annotations

from storage import FeedbackStore

from ..search.sentences import split_sentences
from .dataset import rated_answer

MAX_ANSWER_CHARS = 160  # a short answer; a long one teaches the model to run on
MIN_ANSWER_CHARS = 2  # "U" (of "U.S.") or "새" is a span finder's slip, not an answer to show


def pick_examples(feedback: FeedbackStore, per_language: int) -> list[dict[str, str]]:
    """{question, context, answer, language}; the context is the passage sentence holding the answer.

    Corrections first (an administrator wrote them), then up-voted answers; the shorter first."""
    candidates = []
    for rated in feedback.rated():
        given = rated_answer(rated)
        if given is not None and MIN_ANSWER_CHARS <= len(given.words) <= MAX_ANSWER_CHARS:
            candidates.append(((given.origin != "correction", len(given.words)), rated.answer, given))
    chosen: list[dict[str, str]] = []
    topics: set[tuple[str, str]] = set()
    for _, answer, given in sorted(candidates, key=lambda c: c[0]):
        topic = (answer.language, answer.sources[0]["source"])
        if topic in topics or sum(e["language"] == answer.language for e in chosen) >= per_language:
            continue
        sentence = given.sentence or _sentence_holding(given.words, [s["text"] for s in answer.sources])
        if sentence is not None:
            topics.add(topic)
            chosen.append({"question": answer.standalone, "context": sentence, "answer": f"{given.words} [1]",
                           "language": answer.language})
    return chosen


def _sentence_holding(words: str, passages: list[str]) -> str | None:
    """The first passage sentence holding the words (a reply or correction copied from the passages)."""
    for text in passages:
        for sentence in split_sentences(text):
            if words in sentence.text:
                return sentence.text.strip()
    return None
