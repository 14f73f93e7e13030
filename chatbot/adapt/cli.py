"""``python -m chatbot fewshot|adapt-data|adapt``: teaching the model the company's documents.

    fewshot --from-feedback [--n N] [--json]
        the best-rated short answers (one per document, N per language) as few-shot examples
        (DATA_DIR/adapt/few_shot.json; shown when RAG_FEW_SHOT_FROM_FEEDBACK is on)
    adapt-data [--per-language N] [--qa FILE] [--holdout SHARE] [--json]
        training records from feedback, questions made from the indexed documents (by the teacher model
        when RAG_TEACHER_URL or RAG_TEACHER_MODEL is set) and an admin's QA file (JSON lines
        {"question", "answer"}), into DATA_DIR/adapt/data
    adapt [--minutes N] [--eval DIR] [--eval-limit N] [--rank R] [--epochs E] [--json]
        a LoRA adapter trained on them; switched on only when better (restart the chat to load it)
    adapt --rollback
        back to what the chat ran before the last switch
    train-reader [--data FILE] [--folds A,B] [--languages en,ko] [--out DIR] [--epochs E] [--minutes N] [--limit N]
        the reader (a span head over the packaged MiniLM) trained on extractive QA examples; resumable;
        exported into DIR (default: the shipped reader's folder) when complete

The training libraries come with `make setup-adapt`; the chat's install does not need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from settings import REPO_ROOT, Settings
from storage import FeedbackStore, FewShotFile, write_json

from .error import AdaptError
from .reader_train import ReaderConfig as ReaderDefaults
from .run import adapt, data_dir, rollback, summary

COMMANDS = ("fewshot", "adapt-data", "adapt", "train-reader")
TRAINING_PACK = REPO_ROOT.parent / "shared" / "train" / "questions.jsonl"  # beside the checkout, as CI has it
PER_LANGUAGE = 1500  # questions made per language: about an hour of training on two cores (docs/BENCHMARKS.md)


def add_commands(commands: argparse._SubParsersAction) -> None:
    fewshot = commands.add_parser("fewshot", help="few-shot examples from well-rated answers")
    fewshot.add_argument("--from-feedback", action="store_true", required=True,
                         help="pick them from the feedback users gave (the only source so far)")
    fewshot.add_argument("--n", type=int, default=2, help="examples per language (default 2)")
    fewshot.add_argument("--json", action="store_true")
    data = commands.add_parser("adapt-data", help="training records for adapting the model")
    data.add_argument("--per-language", type=int, default=PER_LANGUAGE,
                      help="questions made from the documents, per language (default 1500)")
    data.add_argument("--qa", type=Path, help="a JSON-lines file of {\"question\", \"answer\"} to train on too")
    data.add_argument("--holdout", type=float, default=0.1, help="share of documents held out (default 0.1)")
    data.add_argument("--json", action="store_true")
    train = commands.add_parser("adapt", help="train a LoRA adapter; switch to it when better")
    train.add_argument("--rollback", action="store_true", help="back to what ran before the last switch")
    train.add_argument("--minutes", type=float, help="bound on the training time")
    train.add_argument("--eval", type=Path, metavar="DIR", help="also judge on this QA pack (make eval's format)")
    train.add_argument("--eval-limit", type=int, help="questions per language of the QA pack")
    train.add_argument("--rank", type=int, default=16, help="LoRA rank (default 16)")
    train.add_argument("--epochs", type=float, default=1.0, help="passes over the records (default 1)")
    train.add_argument("--threads", type=int, default=1, help="CPU threads for training (default 1)")
    train.add_argument("--checkpoint-steps", type=int, default=25, help="steps between checkpoints (default 25)")
    train.add_argument("--json", action="store_true")
    reader = commands.add_parser("train-reader", help="train the reader (the words that answer) on QA examples")
    reader.add_argument("--data", type=Path, default=TRAINING_PACK,
                        help="JSON lines {question, context, answers: [{text, start}], lang, fold} "
                             "(default: ../shared/train/questions.jsonl)")
    reader.add_argument("--folds", default="", help="only these folds, comma-separated (default: all)")
    reader.add_argument("--languages", default="", help="only these languages, e.g. en to leave Korean out")
    reader.add_argument("--out", type=Path, help="where the exported reader goes (default: the shipped one's folder)")
    reader.add_argument("--epochs", type=float, default=ReaderDefaults.epochs, help="passes over the examples")
    reader.add_argument("--minutes", type=float, help="bound on this invocation's training time")
    reader.add_argument("--limit", type=int, help="examples per language (a slice, for a trial)")
    reader.add_argument("--threads", type=int, default=ReaderDefaults.threads, help="CPU threads (default 2)")
    reader.add_argument("--checkpoint-steps", type=int, default=ReaderDefaults.checkpoint_steps)
    reader.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, settings: Settings, stdout=sys.stdout) -> int:
    try:
        output = {"fewshot": _fewshot, "adapt-data": _data, "adapt": _adapt,
                  "train-reader": _train_reader}[args.command](args, settings)
    except (AdaptError, OSError, ValueError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # training saved its checkpoint and said so
        return 130
    print(output if isinstance(output, str) else json.dumps(output, ensure_ascii=False), file=stdout)
    return 0


def _fewshot(args: argparse.Namespace, settings: Settings) -> dict | str:
    from .fewshot import pick_examples

    examples = pick_examples(FeedbackStore(settings.feedback_path, settings.database_url), args.n)
    target = FewShotFile(settings.adapt_dir)
    target.write(examples)
    if args.json:
        return {"examples": examples, "file": str(target.path)}
    lines = [f"{len(examples)} examples in {target.path}"
             + ("" if settings.few_shot_from_feedback else " (shown when RAG_FEW_SHOT_FROM_FEEDBACK=true)")]
    lines += [f"[{e['language']}] {e['question']} -> {e['answer']}" for e in examples]
    return "\n".join(lines)


def _data(args: argparse.Namespace, settings: Settings) -> dict | str:
    from ..answer.engine import ChatEngine
    from .dataset import build_records, write_records

    if not 0 <= args.holdout < 1:
        raise ValueError(f"--holdout {args.holdout}: a share from 0 to below 1")
    if args.qa is not None and not args.qa.is_file():
        raise ValueError(f"--qa {args.qa}: no such file")
    engine = ChatEngine(settings)
    records, report = build_records(engine, FeedbackStore(settings.feedback_path, settings.database_url), args.qa, args.per_language,
                                    args.holdout, teacher=_teacher(settings))
    paths = write_records(records, data_dir(settings))
    result = {**report.to_json(), "files": {split: str(path) for split, path in paths.items()}}
    write_json(data_dir(settings) / "report.json", result)
    if args.json:
        return result
    lines = [f"{count:6d}  {key}" for key, count in result["records"].items()]
    lines += [f"{count:6d}  dropped: {reason}" for reason, count in result["dropped"].items()]
    lines += result["problems"] + [f"written to {data_dir(settings)}"]
    return "\n".join(lines)


def _teacher(settings: Settings):
    """The model that writes questions, when one is configured."""
    if settings.teacher_url:
        from ..model.remote_llm import RemoteLLM

        return RemoteLLM(settings.teacher_url, settings.teacher_name, settings.llm_api_key, settings.llm_timeout)
    if settings.teacher_model:
        from ..model.llm import LocalLLM

        return LocalLLM(settings.teacher_model, settings.llm_context, settings.llm_threads)
    return None


def _adapt(args: argparse.Namespace, settings: Settings) -> dict | str:
    from .train import TrainConfig

    if args.rollback:
        previous = rollback(settings)
        return {"active": str(previous) if previous else None} if args.json else \
            f"the chat now runs {previous or 'the model alone'} (restart it to load)"
    if settings.llm_url:
        raise AdaptError("adapt trains the local GGUF model (RAG_LLM_MODEL); RAG_LLM_URL is set: adapt the "
                         "model on its server's machine")
    if not (data_dir(settings) / "train.jsonl").exists():
        print("no training records yet: making them (adapt-data)", file=sys.stderr, flush=True)
        _data(argparse.Namespace(per_language=PER_LANGUAGE, qa=None, holdout=0.1, json=True), settings)
    config = TrainConfig(rank=args.rank, alpha=2 * args.rank, epochs=args.epochs, threads=args.threads,
                         checkpoint_steps=args.checkpoint_steps)
    result = adapt(settings, config, args.minutes, args.eval, args.eval_limit)
    return result if args.json else summary(result)


def _train_reader(args: argparse.Namespace, settings: Settings) -> dict | str:
    from dataclasses import replace

    from .reader_train import load_examples, train_reader

    if not args.data.is_file():
        raise AdaptError(f"--data {args.data}: no such file")
    folds = {f for f in args.folds.split(",") if f} or None
    languages = {lang for lang in args.languages.split(",") if lang} or None
    examples = load_examples(args.data, folds, languages, args.limit)
    config = replace(ReaderDefaults(), epochs=args.epochs, threads=args.threads,
                     checkpoint_steps=args.checkpoint_steps)
    note = (f"{args.data.name}; folds {args.folds or 'all'}; languages {args.languages or 'all'}"
            + (f"; first {args.limit} per language" if args.limit else ""))
    out = args.out or settings.reader_dir
    command = " ".join(["make train-reader", *([f"FOLDS={args.folds}"] if args.folds else []),
                        *([f"LANGUAGES={args.languages}"] if args.languages else [])])
    run = train_reader(examples, settings.embed_model_path, settings.adapt_dir / "reader-runs", out, config,
                       args.minutes, note, command)
    result = {"run": str(run.folder), "steps": run.steps, "total_steps": run.total_steps, "loss": run.loss,
              "seconds": run.seconds, "examples": run.examples, "windows": run.windows,
              "complete": run.complete, "out": str(out) if run.complete else None}
    if args.json:
        return result
    return (f"reader trained {run.steps}/{run.total_steps} steps ({run.seconds / 60:.1f} min in all), loss {run.loss}"
            + (f"; exported to {out}" if run.complete else "; not complete: the same command goes on"))
