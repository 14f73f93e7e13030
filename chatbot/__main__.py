"""python -m chatbot search|ask|eval: the answer engine for scripts and admins.

    search "question" [--k N] [--json]
    ask "question" [--json]
    eval DIR [--json] [--retrieval-only] [--limit N] [--store PATH]

With --json, stdout carries only the JSON; logs and progress go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path

from settings import get_settings

from .engine import ChatEngine, SourcesEvent, TokenEvent
from .eval import run_eval


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbot", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    search = commands.add_parser("search", help="the passages retrieval finds")
    search.add_argument("question")
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--json", action="store_true")
    ask = commands.add_parser("ask", help="an answer with its sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    evaluate = commands.add_parser("eval", help="retrieval and answer quality on a QA pack")
    evaluate.add_argument("folder", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--retrieval-only", action="store_true")
    evaluate.add_argument("--limit", type=int, help="questions per language")
    evaluate.add_argument("--store", type=Path, help="store for the pack's corpus (default: DATA_DIR/eval/NAME)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    stdout = sys.stdout
    # With --json, anything a library prints goes to stderr; the JSON alone to stdout.
    with contextlib.redirect_stdout(sys.stderr if args.json else stdout):
        if args.command == "eval":
            result = run_eval(get_settings(), args.folder, args.store, args.retrieval_only, args.limit,
                              progress=sys.stderr.isatty())
            output = result if args.json else _eval_table(result)
        elif args.command == "search":
            passages = ChatEngine(get_settings()).search(args.question, args.k)
            output = [p.to_json() for p in passages] if args.json else "\n\n".join(
                f"{p.score:.3f}  {p.label}\n{p.text}" for p in passages)
        else:
            output = _ask(ChatEngine(get_settings()), args.question, args.json, stdout)
    if output is not None:
        print(json.dumps(output, ensure_ascii=False) if args.json else output, file=stdout)
    return 0


def _ask(engine: ChatEngine, question: str, as_json: bool, stdout) -> dict | str | None:
    if as_json:
        return engine.ask(question).to_json()
    # Streamed to the terminal as the model writes it.
    for event in engine.stream(question):
        if isinstance(event, SourcesEvent):
            sources = event.sources
        elif isinstance(event, TokenEvent):
            print(event.text, end="", file=stdout, flush=True)
    print(file=stdout)
    return "\n".join(f"[{i}] {p.label}" for i, p in enumerate(sources, start=1)) or None


def _eval_table(result: dict[str, dict]) -> str:
    keys = list(next(iter(result.values())).keys()) if result else []
    rows = [" | ".join(["metric", *result]), " | ".join(["---"] * (len(result) + 1))]
    rows += [" | ".join([key, *(str(result[lang].get(key, "")) for lang in result)]) for key in keys]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
