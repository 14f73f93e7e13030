"""Grounded-QA training records in the chat's own prompt layout (python -m chatbot adapt-data).

Each record is what the chat would give the model for a question — the same
retrieval, sentence windows, system prompt and few-shot examples, built by
ChatEngine.prompt_for — and the reply to learn: the sentence of the prompt's
passages that holds the answer, verbatim, with its citation ("… 15 days. [1]").
A record whose answer is not in its prompt's passages word for word is
dropped (the model must learn to copy, not to invent), and so is a question
retrieval cannot find the answer's sentence for.

Three sources, each optional:
- feedback: up-voted answers and administrators' corrections, with the exact
  prompt the model saw;
- the indexed documents: questions made from their sentences (questions.py),
  written by the teacher model when one is configured;
- a QA file the admin supplies: JSON lines {"question", "answer"}.

A share of the documents (all their records) is held out for validation, so
that the adapter is judged on text it was not trained on.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal

from storage import FeedbackStore, Rated

from ..language import Language, detect_language
from ..search.sentences import split_sentences
from .questions import MadeQuestion, Teacher, questions_from_text, teacher_question

if TYPE_CHECKING:
    from ..answer.engine import ChatEngine

Origin = Literal["feedback", "correction", "generated", "teacher", "file"]
Split = Literal["train", "validation"]
_CITATION = re.compile(r"\s*\[\d+\]")
_MARKED = re.compile(r"\*\*(.+?)\*\*")
_QUOTE = re.compile(r"“([^”]*)”")  # an evidence sentence the answer quotes


@dataclass
class Record:
    messages: list[dict[str, str]]  # the chat's prompt: system, few-shot examples, the question with passages
    target: str  # the reply to learn: the answer's sentence with its citation
    answer: str  # the words that answer (in ``target``): what validation looks for in a reply
    question: str
    language: Language
    source: str
    origin: Origin
    split: Split = "train"


@dataclass
class DataReport:
    records: Counter = field(default_factory=Counter)  # by "split origin language"
    dropped: Counter = field(default_factory=Counter)  # by reason
    problems: list[str] = field(default_factory=list)  # bad lines of the QA file, by line

    def to_json(self) -> dict:
        return {"records": dict(sorted(self.records.items())), "dropped": dict(sorted(self.dropped.items())),
                "problems": self.problems}


def build_records(engine: ChatEngine, feedback: FeedbackStore | None, qa_file: Path | None,
                  per_language: int, holdout: float, seed: int = 0,
                  teacher: Teacher | None = None) -> tuple[list[Record], DataReport]:
    """Records from feedback, the documents (at most ``per_language`` questions made per language) and
    the QA file, each split train/validation by its document."""
    report = DataReport()
    rng = random.Random(seed)
    records = list(_from_feedback(feedback, report)) if feedback else []
    if qa_file is not None:
        records += _from_file(engine, qa_file, report)
    for question in _made_questions(engine, per_language, rng, teacher):
        record = _record(engine, question.question, question.answer, question.language,
                         "teacher" if question.by_teacher else "generated", sentence=question.sentence)
        if isinstance(record, str):
            report.dropped[record] += 1
        else:
            records.append(record)
    for record in records:
        record.split = "validation" if _held_out(record.source, holdout) else "train"
        report.records[f"{record.split} {record.origin} {record.language}"] += 1
    return records, report


def _made_questions(engine: ChatEngine, per_language: int, rng: random.Random,
                    teacher: Teacher | None) -> list[MadeQuestion]:
    """A random ``per_language`` of each language's questions made from the documents (teacher questions
    are written only for those kept: a model is slow)."""
    made: list[MadeQuestion] = []
    for questions in document_questions(engine, rng).values():
        chosen = rng.sample(questions, min(per_language, len(questions)))
        made += [_rewritten(q, teacher) for q in chosen] if teacher is not None else chosen
    return made


def document_questions(engine: ChatEngine, rng: random.Random) -> dict[Language, list[MadeQuestion]]:
    """The rule's questions from every indexed chunk's sentences, by language."""
    found: dict[Language, list[MadeQuestion]] = {"en": [], "ko": []}
    for record in engine.store.files().values():
        chunks = engine.store.chunks_of(record.path, record.content_hash, list(range(len(record.chunk_ids))))
        for _, (text, _) in sorted(chunks.items()):
            language = detect_language(text)
            found[language] += questions_from_text(text, record.path, language, engine.analyzer, rng)
    return found


def _rewritten(question: MadeQuestion, teacher: Teacher) -> MadeQuestion:
    written = teacher_question(teacher, question.sentence, question.answer, question.language)
    return MadeQuestion(written, question.answer, question.sentence, question.source, question.language, True) \
        if written else question


def _from_feedback(feedback: FeedbackStore, report: DataReport) -> Iterable[Record]:
    """Up-voted answers and corrections, in the prompts the model saw."""
    for rated in feedback.rated():
        given = rated_answer(rated)
        if given is None:
            continue
        answer = rated.answer
        record = _target(answer.prompt, [s["text"] for s in answer.sources], given.words, answer.question,
                         answer.language, given.origin, answer.sources[0]["source"], given.sentence)
        if isinstance(record, str):
            report.dropped[f"{given.origin}: {record}"] += 1
        else:
            yield record


@dataclass(frozen=True)
class Taught:
    origin: Origin
    words: str  # the answer's words
    sentence: str | None  # the passage sentence they come from, when the answer quoted it


def rated_answer(rated: Rated) -> Taught | None:
    """What a rated answer teaches: an administrator's correction, else for an up-vote the model's reply
    (when it was shown) or the words the answer marked in the evidence it quoted; None for the rest,
    and for "not found" (the model was not asked)."""
    answer = rated.answer
    if not answer.prompt or not answer.sources:
        return None
    if rated.correction:
        return Taught("correction", _CITATION.sub("", rated.correction).strip(), None)
    if rated.rating != "up":
        return None
    if answer.path == "reply":
        return Taught("feedback", _CITATION.sub("", answer.reply).strip(), None)
    marked = _MARKED.search(answer.answer)
    if marked is None:
        return None
    quoted = next((q.replace("**", "") for q in _QUOTE.findall(answer.answer) if marked.group(0) in q), None)
    return Taught("feedback", marked.group(1), quoted)


def _from_file(engine: ChatEngine, path: Path, report: DataReport) -> Iterable[Record]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question, answer = str(item["question"]).strip(), str(item["answer"]).strip()
        except (ValueError, KeyError, TypeError) as error:
            report.problems.append(f"{path}:{number}: not a JSON object with \"question\" and \"answer\" ({error})")
            continue
        if not question or not answer:
            report.problems.append(f"{path}:{number}: empty question or answer")
            continue
        record = _record(engine, question, answer, detect_language(question), "file")
        if isinstance(record, str):
            report.dropped[f"file: {record}"] += 1
        else:
            yield record


def _record(engine: ChatEngine, question: str, answer: str, language: Language, origin: Origin,
            sentence: str | None = None) -> Record | str:
    """The chat's prompt for the question and the reply to learn; a reason when there is none."""
    prompt = engine.prompt_for(question, language)
    if prompt is None:
        return "no relevant passage"
    if sentence is not None and sentence not in prompt.context:
        return "the answer's sentence is not in the prompt"
    return _target(prompt.messages, [p.text for p in prompt.passages], answer, question, language, origin,
                   prompt.passages[0].source, sentence)


def _target(messages: list[dict[str, str]], passages: list[str], answer: str, question: str, language: Language,
            origin: Origin, source: str, sentence: str | None = None) -> Record | str:
    """The record whose reply is the first sentence of the prompt's passages holding ``answer`` verbatim."""
    shown = messages[-1]["content"]
    for number, text in enumerate(passages, start=1):
        for candidate in split_sentences(text):
            words = candidate.text.strip()
            if answer in words and words in shown and (sentence is None or words == sentence):
                return Record(messages, f"{words} [{number}]", answer, question, language, source, origin)
    return "the answer is not verbatim in the prompt's passages"


def _held_out(source: str, share: float) -> bool:
    """Whether a document's records are for validation: a stable pick by its name."""
    return int(hashlib.sha256(source.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def write_records(records: list[Record], folder: Path) -> dict[Split, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[Split, Path] = {"train": folder / "train.jsonl", "validation": folder / "validation.jsonl"}
    for split, path in paths.items():
        with open(path, "w", encoding="utf-8") as out:
            for record in records:
                if record.split == split:
                    out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    return paths


def read_records(path: Path) -> list[Record]:
    if not path.exists():
        return []
    return [Record(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
