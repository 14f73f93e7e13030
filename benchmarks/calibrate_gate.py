"""Calibrate the "not found" gate: how often answerable questions pass it, and unanswerable ones do not.

    .venv/bin/python -m benchmarks.calibrate_gate EVAL_DIR

Answerable: the pack's questions against a store of its corpus (the one
`make eval` builds). Unanswerable: the same questions against a store of the
sample company documents, which hold none of their answers. For each
question the best passage's term coverage and dense similarity are recorded;
then the gate is swept over thresholds.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import ingest
from chatbot import ChatEngine, detect_language
from chatbot.operations.eval import eval_settings, load_questions
from settings import REPO_ROOT, Settings


def best_signals(engine: ChatEngine, questions: list[str]) -> list[tuple[str, float, float]]:
    """(language, best coverage, best dense) over the top-k passages of each question."""
    rows = []
    for question in questions:
        passages = engine.search(question)
        rows.append((detect_language(question), max((p.coverage for p in passages), default=0.0),
                     max((p.dense for p in passages), default=0.0)))
    return rows


def passes(row: tuple[str, float, float], coverage: float, dense: dict[str, float]) -> bool:
    language, best_coverage, best_dense = row
    return best_coverage >= coverage or best_dense >= dense.get(language, 1.01)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    base = Settings()
    questions = [q.question for qs in load_questions(args.folder, None).values() for q in qs]

    answerable_settings = eval_settings(base, args.folder, None)
    engine = ChatEngine(answerable_settings)
    ingest.run(answerable_settings, embedder=engine.embedder)
    answerable = best_signals(engine, questions)
    with tempfile.TemporaryDirectory() as store:
        samples = base.model_copy(update={"store_dir": Path(store), "docs_dir": REPO_ROOT / "documents"})
        ingest.run(samples, embedder=engine.embedder)
        unanswerable = best_signals(ChatEngine(samples, embedder=engine.embedder), questions)

    print("| min coverage | min dense (en) | answerable en passed | answerable ko passed "
          "| unanswerable en rejected | unanswerable ko rejected |")
    print("|---|---|---|---|---|---|")
    for coverage in (0.3, 0.4, 0.5, 0.6, 0.7):
        for dense_en in (0.45, 0.55, 0.65, 1.01):
            dense = {"en": dense_en, "ko": 1.01}
            cells = []
            for rows, want in ((answerable, True), (unanswerable, False)):
                for language in ("en", "ko"):
                    mine = [r for r in rows if r[0] == language]
                    share = sum(passes(r, coverage, dense) == want for r in mine) / len(mine)
                    cells.append(f"{share:.3f}")
            print(f"| {coverage} | {dense_en} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
