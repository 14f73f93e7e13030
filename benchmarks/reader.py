"""The reader on its own: given the gold paragraph, and given what the chat's retrieval puts in the prompt.

    .venv/bin/python -m benchmarks.reader [--reader DIR] [--folds B] [--out FILE] [--json]

- **Given the paragraph**: the training pack's examples of ``--folds`` (those the reader under test was
  not trained on), each read from its own paragraph: exact match, the span rule of `make eval`
  (``span_holds``), and for the unanswerable ones how often the best span's probability would be stated.
- **Given the retrieved evidence**: every dev-pack question (and the unanswerable ones of
  benchmarks/unanswerable/dev.jsonl) through the chat's own retrieval and prompt
  (``ChatEngine.prompt_for``), read by ``read_answer`` as the engine does; per language, per article
  fold (the fold of the question's article: only the folds the reader did not train on are honest), per
  half (the SHA-1 split of benchmarks/statement_curve.py), the share stated right / wrong as the
  reader's threshold moves. ``--out`` keeps each question's reading (JSON lines) for choosing the gate.
  Also the reader's time per question (p50 / p95).

Needs the eval store (`make eval` builds it) and ../shared/train, ../shared/eval/dev.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

from benchmarks.statement_curve import half, unanswerable_halves
from chatbot.adapt.reader_train import load_examples
from chatbot.answer.engine import ChatEngine
from chatbot.answer.reader_span import read_answer
from chatbot.answer.span import answer_span, says
from chatbot.language import detect_language
from chatbot.model.reader import SpanReader
from chatbot.operations.eval import eval_settings, load_questions, normalise, span_holds
from settings import REPO_ROOT, get_settings

THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(21))
TRAIN = Path("../shared/train/questions.jsonl")
DEV = Path("../shared/eval/dev")


def fold(doc: str) -> str:
    """The training pack's article fold: A when the first byte of the SHA-1 of the file name is even."""
    return "A" if hashlib.sha1(doc.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def given_paragraph(reader: SpanReader, folds: set[str], limit: int | None) -> dict:
    result: dict = {}
    for example in load_examples(TRAIN, folds, limit=limit):
        reading = reader.read(example.question, [example.context])
        golds = [example.context[a:b] for a, b in example.answers]
        key = f"{example.language} {'answerable' if golds else 'unanswerable'}"
        rows = result.setdefault(key, [])
        rows.append({"confidence": reading.confidence if reading else 0.0,
                     "exact": bool(reading and golds and normalise(reading.text) in {normalise(g) for g in golds}),
                     "holds": bool(reading and golds and span_holds(reading.text, golds))})
    return {key: {"n": len(rows), "exact_match": _share(rows, "exact"), "span_rule": _share(rows, "holds"),
                  "curve": _curve(rows)} for key, rows in sorted(result.items())}


def given_retrieval(engine: ChatEngine, reader: SpanReader, out: Path | None) -> dict:
    questions = [q for lang in load_questions(DEV, None).values() for q in lang]
    unanswerable = unanswerable_halves(REPO_ROOT / "benchmarks" / "unanswerable" / "dev.jsonl")
    asked = [(q.question, q.answers, q.lang, fold(q.doc), half(q.question)) for q in questions]
    asked += [(question, [], detect_language(question), "-", side) for question, side in unanswerable.items()]
    rows, seconds = [], []
    for question, answers, lang, article_fold, side in asked:
        prompt = engine.prompt_for(question, detect_language(question))
        started = time.monotonic()
        read = read_answer(reader, question, prompt) if prompt else None
        seconds.append(time.monotonic() - started)
        rule = answer_span(question, read.evidence.sentence, lang, engine.analyzer) if read else None
        rows.append({"question": question, "lang": lang, "fold": article_fold, "half": side,
                     "rule": rule.text if rule else None,
                     "rule_agrees": bool(rule and read and (says(read.span.text, rule.text)
                                                            or says(rule.text, read.span.text))),
                     "answerable": bool(answers), "answers": answers,
                     "span": read.span.text if read else None, "sentence": read.evidence.sentence if read else None,
                     "confidence": read.confidence if read else 0.0, "no_answer": read.no_answer if read else 1.0,
                     "holds": bool(read and answers and span_holds(read.span.text, answers)),
                     "in_prompt": bool(prompt and answers and any(normalise(a) in normalise(prompt.context)
                                                                  for a in answers))})
    if out is not None:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report: dict = {"seconds_p50": round(statistics.median(seconds), 3),
                    "seconds_p95": round(sorted(seconds)[int(0.95 * len(seconds)) - 1], 3)}
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang]
        for name, chosen in [("all", [r for r in mine if r["answerable"]]),
                             *[(f"fold {f}", [r for r in mine if r["answerable"] and r["fold"] == f]) for f in "AB"],
                             *[(f"half {h}", [r for r in mine if r["answerable"] and r["half"] == h])
                               for h in ("tune", "held-out")],
                             *[(f"unanswerable {h}", [r for r in mine if not r["answerable"] and r["half"] == h])
                               for h in ("tune", "held-out")]]:
            if chosen:
                report[f"{lang} {name}"] = {"n": len(chosen), "span_rule": _share(chosen, "holds"),
                                            "in_prompt": _share(chosen, "in_prompt"), "curve": _curve(chosen)}
    return report


WRONG_AIM = 0.09  # the gate: the lowest threshold whose tuning rows state a wrong answer for at most this share
ANSWERABLE_AIM = 0.70  # the floor: the highest at which this share of tuning questions still has a likely answer


def choose(rows: list[dict]) -> dict:
    """The gate and the floor per language, read off the tuning half of the questions about articles the
    reader was not trained on (fold B: the shipped reader saw fold A), and what they give elsewhere."""
    chosen: dict = {}
    for lang in sorted({r["lang"] for r in rows}):
        tune = [r for r in rows if r["lang"] == lang and r["answerable"] and r["half"] == "tune" and r["fold"] == "B"]
        gate = next((t for t, _, wrong in _curve(tune) if wrong <= WRONG_AIM), 1.0)
        floors = [t for t in THRESHOLDS if sum(r["confidence"] >= t for r in tune) >= ANSWERABLE_AIM * len(tune)]
        floor = max(floors, default=0.0)
        parts = {"tune B": tune}
        for side in ("held-out", "tune"):
            for part in ("A", "B"):
                parts.setdefault(f"{side} {part}", [r for r in rows if r["lang"] == lang and r["answerable"]
                                                    and r["half"] == side and r["fold"] == part])
        parts["all"] = [r for r in rows if r["lang"] == lang and r["answerable"]]
        figures = {name: {"n": len(part), "right": _at(part, gate, True), "wrong": _at(part, gate, False),
                          "likely_answer": round(sum(r["confidence"] >= floor for r in part) / max(1, len(part)), 3)}
                   for name, part in parts.items()}
        for side in ("tune", "held-out"):
            unanswerable = [r for r in rows if r["lang"] == lang and not r["answerable"] and r["half"] == side]
            figures[f"unanswerable {side}"] = {
                "n": len(unanswerable), "stated": round(sum(r["confidence"] >= gate for r in unanswerable)
                                                        / max(1, len(unanswerable)), 3),
                "likely_answer": round(sum(r["confidence"] >= floor for r in unanswerable) / max(1, len(unanswerable)), 3)}
        chosen[lang] = {"gate": gate, "floor": floor, "figures": figures}
    return chosen


def _at(rows: list[dict], threshold: float, right: bool) -> float:
    return round(sum(r["confidence"] >= threshold and r["holds"] == right for r in rows) / max(1, len(rows)), 3)


def _share(rows: list[dict], key: str) -> float:
    return round(sum(r[key] for r in rows) / max(1, len(rows)), 3)


def _curve(rows: list[dict]) -> list[list[float]]:
    """[threshold, stated right, stated wrong] as shares of the rows."""
    n = max(1, len(rows))
    return [[t, round(sum(r["confidence"] >= t and r["holds"] for r in rows) / n, 3),
             round(sum(r["confidence"] >= t and not r["holds"] for r in rows) / n, 3)] for t in THRESHOLDS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, help="the reader's folder (default: the shipped one)")
    parser.add_argument("--folds", default="A,B", help="training-pack folds to read given the paragraph")
    parser.add_argument("--out", type=Path, help="each dev question's reading, as JSON lines")
    parser.add_argument("--skip-paragraph", action="store_true")
    parser.add_argument("--paragraph-limit", type=int, help="training-pack examples per language (the first)")
    parser.add_argument("--choose", type=Path, metavar="ROWS", help="read the gate and floor off a --out file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.choose:
        rows = [json.loads(line) for line in args.choose.read_text(encoding="utf-8").splitlines()]
        print(json.dumps(choose(rows), ensure_ascii=False, indent=1))
        return
    settings = get_settings()
    reader = SpanReader(args.reader or settings.reader_dir, settings.embed_model_path)
    engine = ChatEngine(eval_settings(settings, DEV, None))
    result = {"given_retrieval": given_retrieval(engine, reader, args.out)}
    if not args.skip_paragraph:
        result["given_paragraph"] = given_paragraph(reader, set(args.folds.split(",")), args.paragraph_limit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for part, table in result.items():
        print(f"## {part}")
        for key, value in table.items():
            if isinstance(value, dict):
                shown = [c for c in value["curve"] if c[0] in (0.0, 0.3, 0.5, 0.7, 0.9)]
                extras = {k: v for k, v in value.items() if k != "curve"}
                print(f"{key}: {extras} curve {shown}")
            else:
                print(f"{key}: {value}")


if __name__ == "__main__":
    main()
