"""`make eval` again with the model's recorded replies instead of new ones: what the page states (evidence,
bold span, statement, confidence) measured after a change of what follows the reply, in minutes instead of an
hour, on the same questions and the same replies.

    make eval JSON=1 RECORDS=before.jsonl                     # once: the model answers every question
    .venv/bin/python -m benchmarks.restate before.jsonl ../shared/eval/dev --records after.jsonl
    .venv/bin/python -m benchmarks.statement_curve after.jsonl

The replay is faithful only while retrieval and the prompt are unchanged: the
reply is looked up by the question, not by the prompt. Run it first on the
code that wrote the records: ``--check`` counts the answers whose path or
statement differ from the recorded ones (0 expected).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chatbot.model.llm import Generation, TokenCounter
from chatbot.operations.eval import run_eval
from settings import get_settings


class ReplayLLM:
    """Answers each question with the reply recorded for it; counts tokens with the real tokenizer, so the
    prompt budget (and with it the passages) is the same as when the records were written."""

    name = "replay"

    def __init__(self, replies: dict[str, str], counter: TokenCounter) -> None:
        # Longest first: a question that is part of a longer one must not take its reply.
        self._replies = sorted(replies.items(), key=lambda item: -len(item[0]))
        self._counter = counter

    def count_tokens(self, text: str) -> int:
        return self._counter.count_tokens(text)

    def generate(self, messages: list[dict[str, str]], max_tokens: int,
                 stop: list[str] | None = None) -> Generation:
        asked = messages[-1]["content"]
        reply = next((reply for question, reply in self._replies if question in asked), None)
        if reply is None:
            raise KeyError(f"no recorded reply for this prompt: {asked[-200:]!r}")
        generation = Generation(prompt_tokens=self.count_tokens("".join(m["content"] for m in messages)))
        if reply:
            generation.put(reply)
        generation.end()
        return generation


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """Questions whose path, bold span or statement differ between two record files."""
    def key(record: dict) -> tuple:
        statement = record["statement"] or {}
        return record["path"], record["span"], statement.get("text"), round(statement.get("confidence", 0), 6)

    recorded = {(r["lang"], r["question"]): key(r) for r in before}
    return [r["question"] for r in after if recorded.get((r["lang"], r["question"])) != key(r)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recorded", type=Path, help="records of a make eval run (RECORDS=...)")
    parser.add_argument("pack", type=Path, help="the pack those records come from")
    parser.add_argument("--records", type=Path, required=True, help="where to write the replayed answers")
    parser.add_argument("--check", action="store_true", help="count the answers that differ from the records")
    args = parser.parse_args()
    recorded = [json.loads(line) for line in args.recorded.read_text(encoding="utf-8").splitlines()]
    settings = get_settings()
    llm = ReplayLLM({r["question"]: r["reply"] for r in recorded}, TokenCounter(settings.llm_model_path))
    results = run_eval(settings, args.pack, records=args.records, llm=llm)
    print(json.dumps(results, ensure_ascii=False))
    if args.check:
        replayed = [json.loads(line) for line in args.records.read_text(encoding="utf-8").splitlines()]
        changed = differences(recorded, replayed)
        print(f"{len(changed)} of {len(replayed)} answers differ from the records", file=sys.stderr)
        for question in changed[:20]:
            print(f"  {question}", file=sys.stderr)


if __name__ == "__main__":
    main()
