"""python -m chatbot search|ask|eval|users|audit: the answer engine for scripts and admins.

    search "question" [--k N] [--json] [--user NAME] [FILTERS]
    ask "question" [--json] [--user NAME] [FILTERS]

--user NAME searches as that user (their groups limit what is found);
without it, everything is searched (the admin's shell). A question "-"
reads questions from standard input, one per line (with --json, one JSON
line each). FILTERS limit the files passages come from: --folder hr (and
its subfolders), --type pdf (repeatable), --since 2026-01-01 and --until
2026-06-30 (modified). Every ask goes into the audit log.
    eval DIR [--json] [--retrieval-only] [--limit N] [--store PATH] [--records FILE]
    users add|list|remove|passwd ..., keys create|list|revoke ..., audit ..., backup DIR, restore DIR,
    migrate-state --to postgresql://...    (chatbot/operations/admin_cli.py)
    fewshot --from-feedback, adapt-data, adapt   teach the model the documents (chatbot/adapt/cli.py)
    doctor [--json]   is this installation ready? each problem with its fix; exit 0 only when all pass

With --json, stdout carries only the JSON; logs and progress go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from settings import Settings, get_settings
from storage import UNRESTRICTED, AuditLog, Reader, SearchFilter, UsersError, open_users

from .operations import admin_cli
from .adapt import cli as adapt_cli

if TYPE_CHECKING:
    from .answer.engine import ChatEngine

# The engine, the evaluation and the doctor load llama-index and the models: imported by the commands that
# use them, so the admin's commands (users, keys, audit, backup) start in well under a second.


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
        command.add_argument("--user", help="search as this user (users file), seeing only what they may read")
        _add_filter_arguments(command)
    evaluate = commands.add_parser("eval", help="retrieval and answer quality on a QA pack")
    evaluate.add_argument("folder", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--retrieval-only", action="store_true")
    evaluate.add_argument("--limit", type=int, help="questions per language")
    evaluate.add_argument("--store", type=Path, help="store for the pack's corpus (default: DATA_DIR/eval/NAME)")
    evaluate.add_argument("--records", type=Path, help="write each question's answer and statement here (JSON lines)")
    doctor = commands.add_parser("doctor", help="check the installation: models, store, folders, port, offline mode")
    doctor.add_argument("--json", action="store_true")
    admin_cli.add_commands(commands)
    adapt_cli.add_commands(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if args.command in admin_cli.COMMANDS:
        return admin_cli.run(args, settings)
    if args.command in adapt_cli.COMMANDS:
        stdout = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):  # what the libraries print; the result alone to stdout
            return adapt_cli.run(args, settings, stdout)
    if args.command == "doctor":
        from .operations.doctor import run_checks

        with contextlib.redirect_stdout(sys.stderr):  # what the libraries print while loading models
            checks = run_checks(settings)
        print(json.dumps([c.to_json() for c in checks], ensure_ascii=False) if args.json
              else "\n".join(c.line() for c in checks))
        return 0 if all(c.ok for c in checks) else 1
    if args.command in ("search", "ask"):
        try:
            reader = _reader(settings, args.user)
        except UsersError as error:
            print(f"{args.command}: {error}", file=sys.stderr)
            return 2
        questions = [line.strip() for line in sys.stdin if line.strip()] if args.question == "-" else [args.question]

    stdout = sys.stdout

    def emit(output: object) -> None:
        if output is not None:
            print(json.dumps(output, ensure_ascii=False) if args.json else output, file=stdout, flush=True)

    # With --json, anything a library prints goes to stderr; the JSON alone to stdout.
    with contextlib.redirect_stdout(sys.stderr if args.json else stdout):
        if args.command == "eval":
            from .operations.eval import run_eval

            result = run_eval(settings, args.folder, args.store, args.retrieval_only, args.limit,
                              progress=sys.stderr.isatty(), records=args.records)
            emit(result if args.json else _eval_table(result))
            return 0
        from .answer.engine import ChatEngine

        engine = ChatEngine(settings, audit=AuditLog.for_settings(settings))
        for question in questions:
            emit(_search(engine, question, args, reader) if args.command == "search"
                 else _ask(engine, question, _filter(args), reader, args.json, stdout))
    return 0


def _reader(settings: Settings, name: str | None) -> Reader:
    """The user named by --user, or the admin at the shell (who can read the store's files anyway)."""
    if name is None:
        return replace(UNRESTRICTED, name=f"{getpass.getuser()} (shell)")
    user = open_users(settings).get(name)
    if user is None:
        raise UsersError(f"no user {name!r} in {settings.users_path}")
    return user.reader(settings.admin_group)


def _search(engine: ChatEngine, question: str, args: argparse.Namespace, reader: Reader) -> list[dict] | str:
    passages = engine.search(question, args.k, _filter(args), reader=reader)
    if args.json:
        return [p.to_json() for p in passages]
    return "\n\n".join(f"{p.score:.3f}  {p.label}\n{p.text}" for p in passages)


def _add_filter_arguments(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("filters")
    group.add_argument("--folder", help="only this folder (relative to the documents folder) and below")
    group.add_argument("--type", dest="file_types", action="append", default=[], metavar="EXT",
                       help="only files with this extension; repeatable")
    group.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="modified on or after")
    group.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD", help="modified on or before")


def _filter(args: argparse.Namespace) -> SearchFilter:
    return SearchFilter(args.folder, tuple(args.file_types), args.since, args.until)


def _ask(engine: ChatEngine, question: str, search_filter: SearchFilter, reader: Reader, as_json: bool,
         stdout) -> dict | str | None:
    if as_json:
        return engine.ask(question, search_filter=search_filter, reader=reader).to_json()
    # Streamed to the terminal as the model writes it; then the final answer when it differs
    # (a reply the passages do not support is replaced by the evidence), the evidence and the sources.
    from .answer.engine import DoneEvent, TokenEvent

    streamed = ""
    for event in engine.stream(question, search_filter=search_filter, reader=reader):
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
        elif isinstance(value, list):  # a curve: one row per point, named by the confidence it is read at
            for point in value:
                rest = {k: v for k, v in point.items() if k != "min_confidence"}
                flat.update(_flatten(rest, f"{prefix}{key} ≥{point['min_confidence']} "))
        else:
            flat[prefix + key] = value
    return flat


if __name__ == "__main__":
    sys.exit(main())
