"""Do few-shot examples picked from feedback help? Before and after, per language, on a QA pack.

    .venv/bin/python -m benchmarks.fewshot_feedback EVAL_DIR [--asked N] [--n N] [--limit N] [--json]

Users' feedback is simulated, never taken from the pack's questions: the chat
is asked N questions per language made from the pack's *corpus* (the
rule-made questions of `adapt-data`), and each answer is rated up when it
holds the answer the question was made from, down otherwise — as an employee
who knows the answer would. `fewshot --from-feedback` then picks its examples
from that feedback, and `make eval` runs with them off and on (limit:
questions per language). Everything goes into a temporary data folder; the
pack's store is make eval's own.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import ingest
from chatbot import ChatEngine
from chatbot.adapt.fewshot import pick_examples
from chatbot.adapt.dataset import document_questions
from chatbot.operations.eval import contains_answer, eval_settings, run_eval
from settings import Settings
from storage import FeedbackStore, FewShotFile, Reader

ASKER = Reader("benchmark", frozenset({"everyone"}))
COMPARED = ("answer_contains", "reply_contains", "evidence_contains", "cites_gold", "prompt_tokens_p50")


def simulated_feedback(engine: ChatEngine, asked: int, seed: int = 0) -> dict[str, int]:
    """Asks ``asked`` corpus-made questions per language and rates each answer by its known answer."""
    rng = random.Random(seed)
    made = document_questions(engine, rng)
    ratings = {"up": 0, "down": 0}
    for questions in made.values():
        for question in rng.sample(questions, min(asked, len(questions))):
            answer = engine.ask(question.question, reader=ASKER)
            if answer.found:
                rating = "up" if contains_answer(answer.answer, [question.answer]) else "down"
                engine.give_feedback(answer.id, ASKER, rating)
                ratings[rating] += 1
    return ratings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--asked", type=int, default=40, help="questions asked per language (default 40)")
    parser.add_argument("--n", type=int, default=2, help="examples per language (default 2)")
    parser.add_argument("--limit", type=int, default=100, help="eval questions per language (default 100)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = eval_settings(Settings(data_dir=Path(data)), args.folder, Settings().data_dir / "eval" /
                                 args.folder.resolve().name)
        feedback = FeedbackStore(settings.feedback_path)
        engine = ChatEngine(settings, feedback=feedback)
        ingest.run(settings, embedder=engine.embedder)
        ratings = simulated_feedback(engine, args.asked)
        examples = pick_examples(feedback, args.n)
        FewShotFile(settings.adapt_dir).write(examples)
        results = {"ratings": ratings, "examples": examples}
        for name, on in (("without", False), ("with", True)):
            scoped = settings.model_copy(update={"few_shot_from_feedback": on})
            figures = run_eval(scoped, args.folder, scoped.store_dir, limit=args.limit)
            results[name] = {lang: {key: m.get(key) for key in COMPARED} for lang, m in figures.items()}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return
    print(f"feedback: {ratings}; examples: {[(e['language'], e['question']) for e in examples]}")
    print("| language | few-shot | " + " | ".join(COMPARED) + " |")
    print("|---" * (len(COMPARED) + 2) + "|")
    for lang in results["without"]:
        for name in ("without", "with"):
            print(f"| {lang} | {name} | " + " | ".join(str(results[name][lang][k]) for k in COMPARED) + " |")


if __name__ == "__main__":
    main()
