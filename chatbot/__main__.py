"""python -m chatbot search|ask|eval: the answer engine for scripts and admins.

    search "question" [--k N] [--json] [FILTERS]
    ask "question" [--json] [FILTERS]

FILTERS limit the files passages come from: --folder hr (and its subfolders),
--type pdf (repeatable), --since 2026-01-01 and --until 2026-06-30 (modified).
    eval DIR [--json] [--retrieval-only] [--limit N] [--store PATH]

With --json, stdout carries only the JSON; logs and progress go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from datetime import date
from pathlib import Path

from settings import get_settings

from storage import SearchFilter

from .engine import ChatEngine, DoneEvent, TokenEvent
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
    for command in (search, ask):
        _add_filter_arguments(command)
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
            passages = ChatEngine(get_settings()).search(args.question, args.k, _filter(args))
            output = [p.to_json() for p in passages] if args.json else "\n\n".join(
                f"{p.score:.3f}  {p.label}\n{p.text}" for p in passages)
        else:
            output = _ask(ChatEngine(get_settings()), args.question, _filter(args), args.json, stdout)
    if output is not None:
        print(json.dumps(output, ensure_ascii=False) if args.json else output, file=stdout)
    return 0


def _add_filter_arguments(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("filters")
    group.add_argument("--folder", help="only this folder (relative to the documents folder) and below")
    group.add_argument("--type", dest="file_types", action="append", default=[], metavar="EXT",
                       help="only files with this extension; repeatable")
    group.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="modified on or after")
    group.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD", help="modified on or before")


def _filter(args: argparse.Namespace) -> SearchFilter:
    return SearchFilter(args.folder, tuple(args.file_types), args.since, args.until)


def _ask(engine: ChatEngine, question: str, search_filter: SearchFilter, as_json: bool, stdout) -> dict | str | None:
    if as_json:
        return engine.ask(question, search_filter=search_filter).to_json()
    # Streamed to the terminal as the model writes it; then the final answer when it differs
    # (a reply the passages do not support is replaced by the evidence), the evidence and the sources.
    streamed = ""
    for event in engine.stream(question, search_filter=search_filter):
        if isinstance(event, TokenEvent):
            streamed += event.text
            print(event.text, end="", file=stdout, flush=True)
        elif isinstance(event, DoneEvent):
            answer = event.answer
    print(file=stdout)
    lines = [] if answer.answer.startswith(streamed.strip()) else [f"\n{answer.answer}"]
    lines += [f"> {e.sentence}  [{e.citation}]" for e in answer.evidence]
    lines += [f"[{i}] {p.label}" for i, p in enumerate(answer.sources, start=1)]
    return "\n".join(lines) or None


def _eval_table(result: dict[str, dict]) -> str:
    """Metrics down, languages across; each single ranker's retrieval metrics as "dense recall@1" etc."""
    flat = {lang: _flatten(metrics) for lang, metrics in result.items()}
    keys = list(dict.fromkeys(key for metrics in flat.values() for key in metrics))  # union, in order
    rows = [" | ".join(["metric", *flat]), " | ".join(["---"] * (len(flat) + 1))]
    rows += [" | ".join([key, *(str(flat[lang].get(key, "")) for lang in flat)]) for key in keys]
    return "\n".join(rows)


def _flatten(metrics: dict, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key} "))
        else:
            flat[prefix + key] = value
    return flat


if __name__ == "__main__":
    sys.exit(main())
