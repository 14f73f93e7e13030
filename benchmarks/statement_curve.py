"""How often the page states a right answer, and a wrong one, as the confidence a statement needs moves —
on the half of the questions the rule was chosen on, on the half it was not, and on all of them.

    make eval JSON=1 RECORDS=records.jsonl          # every answer, its statement and the statement's signals
    .venv/bin/python -m benchmarks.statement_curve records.jsonl [--json]

The pack's questions are split once, by the question's text (SHA-1, first
byte even: "tune"; odd: "held-out"), so the split never changes between runs
and a question is always on the same side. The unanswerable questions carry
their half in their file (benchmarks/unanswerable/NAME.jsonl, "half"): the
first 40, which tuned earlier checks, are all on the tuning side. The confidence of each statement is recomputed
from its recorded signals with the current rule (chatbot/answer/statement.py), so
a change of the rule is measured without running the model again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from chatbot.answer.statement import confidence
from settings import REPO_ROOT

THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(21))
HALVES = ("tune", "held-out", "all")


def half(question: str) -> str:
    return "tune" if hashlib.sha1(question.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def unanswerable_halves(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {item["question"]: item["half"] for item in map(json.loads, lines)}


def curve(records: list[dict]) -> list[dict]:
    """Per threshold: the share of questions whose statement is shown and right, shown and wrong."""
    n = len(records) or 1
    points = []
    for t in THRESHOLDS:
        shown = [r for r in records if r["statement"] is not None and confidence(r["statement"]["via"], r["statement"]["signals"]) >= t]
        points.append({"min_confidence": t, "n": len(records),
                       "stated": round(len(shown) / n, 3),
                       "stated_right": round(sum(r["statement"]["holds"] for r in shown) / n, 3),
                       "stated_wrong": round(sum(not r["statement"]["holds"] for r in shown) / n, 3)})
    return points


def report(records: list[dict], unanswerable: dict[str, str]) -> dict:
    """{language: {answerable|unanswerable: {half: curve}}}."""
    def side(record: dict) -> str:
        return half(record["question"]) if record["answerable"] else unanswerable[record["question"]]

    result: dict = {}
    for lang in sorted({r["lang"] for r in records}):
        for kind, answerable in (("answerable", True), ("unanswerable", False)):
            chosen = [r for r in records if r["lang"] == lang and r["answerable"] == answerable]
            if chosen:
                result.setdefault(lang, {})[kind] = {
                    name: curve([r for r in chosen if name == "all" or side(r) == name]) for name in HALVES}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", type=Path)
    parser.add_argument("--unanswerable", type=Path, default=REPO_ROOT / "benchmarks" / "unanswerable" / "dev.jsonl",
                        help="the unanswerable questions of the records' pack, with their halves")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.records.read_text(encoding="utf-8").splitlines() if line]
    result = report(records, unanswerable_halves(args.unanswerable))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for lang, kinds in result.items():
        for kind, halves in kinds.items():
            print(f"\n{lang} {kind}: threshold | " + " | ".join(
                f"{name} (n={halves[name][0]['n']}) stated right/wrong" for name in HALVES))
            for i, t in enumerate(THRESHOLDS):
                cells = [f"{halves[name][i]['stated_right']:.3f} / {halves[name][i]['stated_wrong']:.3f}"
                         if kind == "answerable" else f"{halves[name][i]['stated']:.3f}" for name in HALVES]
                print(f"{t:.2f} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
