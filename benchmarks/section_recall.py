"""Section recall on documents without gold questions: questions built from their own headings.

    .venv/bin/python -m benchmarks.section_recall FOLDER [FOLDER ...] [--k 5]

Each folder is ingested into a fresh temporary store. Every stored sub-section
(a heading other than the document's title) gives a keyword question: the
title and the sub-heading, "Compensation for working extra hours: Overtime
and Compensatory (Comp) time", or "2.5.3 사용자 인증: 결함사례"; when the
title opens with a section number, a second question by the number alone,
"2.5.3: 결함사례" — how people ask about numbered rules. Documents repeat
their sub-headings ("## 결함사례" in every criterion), so only the title's
words tell the right section from its siblings.

file@1: the top passage is from the right file; section@1 and section@k: a
passage from the right file under the right heading is first, or in the top
k. Searches go through the chat's engine (hybrid search, fusion, re-ranking).
Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ingest
from chatbot import ChatEngine
from settings import Settings
from storage import open_embedder

_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)+(?=\s)")


@dataclass(frozen=True)
class Question:
    text: str
    source: str
    heading: str
    by_number: bool


def questions_from(metadatas: list[dict]) -> list[Question]:
    """One question per distinct (file, sub-heading), and one more by section number where the title has one."""
    questions: dict[tuple[str, str], list[Question]] = {}
    for meta in metadatas:
        source, title, heading = str(meta["source"]), str(meta["title"]), str(meta["heading"])
        sub = heading.rpartition(" > ")[2]
        if not sub or sub == title or (source, heading) in questions:
            continue
        asked = [Question(f"{title}: {sub}", source, heading, False)]
        number = _SECTION_NUMBER.match(title)
        if number:
            asked.append(Question(f"{number.group()}: {sub}", source, heading, True))
        questions[(source, heading)] = asked
    return [question for asked in questions.values() for question in asked]


def score(engine: ChatEngine, questions: list[Question], k: int) -> dict[str, float]:
    hits = {"file@1": 0, "section@1": 0, f"section@{k}": 0}
    for question in questions:
        passages = engine.search(question.text, k)
        in_section = [p.source == question.source and p.heading == question.heading for p in passages]
        hits["file@1"] += bool(passages) and passages[0].source == question.source
        hits["section@1"] += bool(in_section) and in_section[0]
        hits[f"section@{k}"] += any(in_section)
    return {name: count / max(1, len(questions)) for name, count in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()

    base = Settings()
    embedder = open_embedder(base)
    print(f"| folder | questions | file@1 | section@1 | section@{args.k} |")
    print("|---|---|---|---|---|")
    for folder in args.folders:
        with tempfile.TemporaryDirectory() as store_dir:
            settings = base.model_copy(update={"store_dir": Path(store_dir), "docs_dir": folder})
            ingest.run(settings, embedder=embedder)
            engine = ChatEngine(settings, embedder=embedder)
            metadatas = engine.store.collection.get(include=["metadatas"])["metadatas"]
            questions = questions_from(metadatas)
            for label, subset in (("by title", [q for q in questions if not q.by_number]),
                                  ("by number", [q for q in questions if q.by_number])):
                if subset:
                    figures = score(engine, subset, args.k)
                    print(f"| {folder.name}, {label} | {len(subset)} | "
                          + " | ".join(f"{value:.3f}" for value in figures.values()) + " |", flush=True)
            engine.store.close()


if __name__ == "__main__":
    main()
