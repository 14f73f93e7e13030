"""`make eval`: retrieval and answer quality on a QA pack (DIR/corpus, DIR/questions.jsonl).

The corpus goes into a store of its own (never the production one), reused
when unchanged. Per language: document recall@k and MRR over the top-k
passages' source files; ctx@k, whether a gold answer string is in the text of
the top-k passages (the model can only answer from what it is given) — for
the search the chat uses (hybrid fusion, sentence re-ranking, neighbours)
and, beside it, for each ranker alone through the same stages, and for the
fused chunks alone (``fused_chunks``: no re-ranking, no neighbours);
ctx@prompt, the same for the passages the chat's prompt really holds (its
top-k, relevance gate and token budget); and,
unless retrieval-only, the answers' quality, prompt size and latency:
answer_contains (a gold answer string in the answer the user is shown),
reply_contains (in the model's own reply: the two differ when the reply is
unsupported and the answer leads with the evidence instead),
evidence_contains (in the highlighted evidence sentences), span_contains
(the words marked as the answer inside the evidence hold a gold answer and
are at most twice its length or 20 characters, whichever is longer),
cites_gold, supported (share of replies the passages support),
hit_token_limit, and ``paths``: for each way an answer is made (the model's
reply, the evidence with a span marked, the evidence alone, the evidence
after "not clearly supported", not found) the share of questions that took
it and, among them, answer_contains. ``answerable_confident`` and
``unanswerable_confident``: the share of the pack's questions, and of
on-topic questions its documents do not answer (benchmarks/unanswerable/,
written for this product), whose answer presents something as the answer
(the reply or the evidence led with) rather than not found or "not clearly
supported". ``stated_right`` / ``stated_wrong``: the share of questions whose
page states an answer — the model's reply, or the words marked in bold — that
holds a gold answer (a span by the span_contains length rule) / that does not;
``unanswerable_stated``: the share of the unanswerable questions given one;
``statement_curve``: those three as the confidence a statement needs
(RAG_MIN_STATEMENT_CONFIDENCE) moves. ``--records FILE`` writes each
question's answer, statement and signals (JSON lines) for reading by hand.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ingest
from settings import REPO_ROOT, Settings

from ..answer.engine import Answer, ChatEngine
from ..answer.evidence import Evidence
from ..answer.statement import Statement
from ..language import detect_language
from ..model.llm import LocalLLM
from ..model.remote_llm import RemoteLLM
from ..search.passage import Passage

KS = (1, 5, 10)
CURVE = tuple(round(0.1 * step, 1) for step in range(11))  # statement confidences the trade-off is read at
STATED = ("reply", "span")
# Each ranker alone, as fusion weights (dense, BM25 terms, BM25 Hangul bigrams).
SINGLE_RANKERS = {"dense": (1.0, 0.0, 0.0), "bm25": (0.0, 1.0, 0.0), "bigrams": (0.0, 0.0, 1.0)}
_CITATION = re.compile(r"\[(\d+)\]")
# Answers that present something as the answer: the reply, or the evidence led with (marked or not);
# not "not found", nor "the documents do not clearly support an answer".
CONFIDENT = ("reply", "span", "evidence")


@dataclass(frozen=True)
class Question:
    question: str
    answers: list[str]
    doc: str
    lang: str
    half: str | None = None  # "tune" or "untouched" in a pack split once (benchmarks/realdocs); None: unsplit


def normalise(text: str) -> str:
    """Case- and space-insensitive form for answer matching."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def contains_answer(text: str, answers: list[str]) -> bool:
    haystack = normalise(text)
    return any(normalise(a) in haystack for a in answers)


def span_holds(span: str, answers: list[str]) -> bool:
    """The span holds a gold answer and is not much longer: at most twice it, or 20 characters."""
    return any(normalise(gold) in normalise(span) and len(span) <= max(2 * len(gold), 20) for gold in answers)


def statement_holds(statement: Statement, answers: list[str]) -> bool:
    """The stated words hold a gold answer: a reply contains one; a span holds one and is not much longer."""
    return contains_answer(statement.text, answers) if statement.via == "reply" else span_holds(statement.text, answers)


def load_questions(folder: Path, limit: int | None) -> dict[str, list[Question]]:
    """The pack's questions by language — by language and half ("en/untouched") in a pack split in halves."""
    by_group: dict[str, list[Question]] = {}
    with open(folder / "questions.jsonl", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            half = item.get("half")
            questions = by_group.setdefault(f"{item['lang']}/{half}" if half else item["lang"], [])
            if limit is None or len(questions) < limit:
                questions.append(Question(item["question"], item["answers"], item["doc"], item["lang"], half))
    return by_group


def eval_settings(settings: Settings, folder: Path, store: Path | None) -> Settings:
    name = folder.resolve().name
    return settings.model_copy(update={
        "docs_dir": folder / "corpus",
        "store_dir": store or settings.data_dir / "eval" / name,
    })


def run_eval(
    settings: Settings, folder: Path, store: Path | None = None, retrieval_only: bool = False,
    limit: int | None = None, progress: bool = False, records: Path | None = None,
    llm: LocalLLM | RemoteLLM | None = None,
) -> dict[str, dict]:
    """``llm``: the model to answer with (default: the settings'; benchmarks/restate.py replays recorded
    replies through it to measure a change of what follows the reply without generating again)."""
    scoped = eval_settings(settings, folder, store)
    engine = ChatEngine(scoped, llm=llm)  # the LLM loads on the first answer: retrieval-only runs never load it
    report = ingest.run(scoped, embedder=engine.embedder, progress=progress)
    if report.failed:
        print(f"eval: {len(report.failed)} corpus files failed to ingest", file=sys.stderr)
    unanswerable = load_unanswerable(folder)
    results = {}
    log = _Records(records)
    for group, questions in load_questions(folder, limit).items():
        results[group] = _evaluate(engine, questions, retrieval_only, progress, log)
        if not retrieval_only and unanswerable.get(group):
            results[group].update(_unanswerable(engine, unanswerable[group], log))
    log.close()
    return results


def load_unanswerable(folder: Path) -> dict[str, list[str]]:
    """The pack's on-topic questions its documents do not answer, by language: written for this product,
    kept in benchmarks/unanswerable/NAME.jsonl (NAME: the pack's folder name); none when absent."""
    path = REPO_ROOT / "benchmarks" / "unanswerable" / f"{folder.resolve().name}.jsonl"
    by_lang: dict[str, list[str]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            by_lang.setdefault(item["lang"], []).append(item["question"])
    return by_lang


def _unanswerable(engine: ChatEngine, questions: list[str], log: _Records) -> dict:
    answers = [engine.ask(q) for q in questions]
    for answer in answers:
        log.write(answer, None)
    n = len(answers)
    curve = [{"min_confidence": t, "stated": round(sum(_would_state(a, t) for a in answers) / n, 3)} for t in CURVE]
    return {"unanswerable_confident": round(sum(a.path in CONFIDENT for a in answers) / n, 3),
            "unanswerable_stated": round(sum(a.path in STATED for a in answers) / n, 3),
            "unanswerable_n": n, "unanswerable_statement_curve": curve}


def _would_state(answer: Answer, threshold: float) -> bool:
    """The answer's statement would be shown at this confidence threshold (withheld ones kept theirs)."""
    return answer.statement is not None and answer.statement.confidence >= threshold


class _Records:
    """Each question's answer as JSON lines, for reading by hand (``--records``); nothing without a path."""

    def __init__(self, path: Path | None) -> None:
        self._file = open(path, "w", encoding="utf-8") if path else None

    def write(self, answer: Answer, question: Question | None) -> None:
        if self._file is None:
            return
        statement = answer.statement
        record = {
            "lang": question.lang if question else answer.language, "question": answer.question, "answerable": question is not None,
            "answers": question.answers if question else [], "doc": question.doc if question else None,
            "path": answer.path, "reply": answer.reply, "span": answer.span.text if answer.span else None,
            "evidence": [e.sentence for e in answer.evidence],
            "statement": None if statement is None else {
                "via": statement.via, "text": statement.text, "confidence": statement.confidence,
                "signals": statement.signals,
                "holds": question is not None and statement_holds(statement, question.answers)},
        }
        print(json.dumps(record, ensure_ascii=False), file=self._file, flush=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _evaluate(engine: ChatEngine, questions: list[Question], retrieval_only: bool, progress: bool,
              log: _Records) -> dict:
    hybrid = _RetrievalScore()
    singles = {name: _RetrievalScore() for name in SINGLE_RANKERS}
    chunks = _RetrievalScore()  # the fused chunks alone: no sentence re-ranking, no neighbours
    answers: list[Answer] = []
    answer_contains = reply_contains = evidence_contains = span_contains = cites_gold = in_prompt = 0
    heading_alone = 0  # answers quoting a heading or title as a piece of evidence
    holds: list[bool] = []  # per answer: its statement (stated or withheld) holds a gold answer
    paths: dict[str, list[bool]] = {}
    prompt_passages: list[int] = []
    answer_seconds: list[float] = []  # from the question to the final answer, statement chosen
    for number, q in enumerate(questions, start=1):
        language = detect_language(q.question)
        hybrid.add(engine.search(q.question, max(KS)), q)
        prompt = engine.prompt_for(q.question, language)
        in_prompt += prompt is not None and contains_answer(prompt.context, q.answers)
        prompt_passages.append(len(prompt.passages) if prompt else 0)
        chunks.add(engine.retriever.search(q.question, max(KS), language), q)
        for name, weights in SINGLE_RANKERS.items():
            singles[name].add(engine.search(q.question, max(KS), weights=weights), q)
        if not retrieval_only:
            started = time.monotonic()
            answer = engine.ask(q.question)
            answer_seconds.append(time.monotonic() - started)
            answers.append(answer)
            answer_contains += contains_answer(answer.answer, q.answers)
            span_contains += answer.span is not None and span_holds(answer.span.text, q.answers)
            paths.setdefault(answer.path, []).append(contains_answer(answer.answer, q.answers))
            reply_contains += contains_answer(answer.reply, q.answers)
            evidence_contains += contains_answer(" ".join(e.sentence for e in answer.evidence), q.answers)
            cites_gold += any(_is_gold(p, q) for p in _cited(answer))
            heading_alone += any(_is_heading(e, answer.sources) for e in answer.evidence)
            holds.append(answer.statement is not None and statement_holds(answer.statement, q.answers))
            log.write(answer, q)
        if progress:
            print(f"\r{q.lang}: {number}/{len(questions)}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    n = len(questions)
    result: dict = {"n": n, **hybrid.metrics(),
                    "ctx@prompt": round(in_prompt / n, 3),
                    "prompt_passages_p50": statistics.median(prompt_passages)}
    if not retrieval_only:
        answered = [a for a in answers if a.found]
        result.update({
            "answer_contains": round(answer_contains / n, 3),
            "reply_contains": round(reply_contains / n, 3),
            "evidence_contains": round(evidence_contains / n, 3),
            "span_contains": round(span_contains / n, 3),
            "answerable_confident": round(sum(a.path in CONFIDENT for a in answers) / n, 3),
            "stated_right": round(sum(a.path in STATED and h for a, h in zip(answers, holds)) / n, 3),
            "stated_wrong": round(sum(a.path in STATED and not h for a, h in zip(answers, holds)) / n, 3),
            "statement_curve": [
                {"min_confidence": t,
                 "stated_right": round(sum(_would_state(a, t) and h for a, h in zip(answers, holds)) / n, 3),
                 "stated_wrong": round(sum(_would_state(a, t) and not h for a, h in zip(answers, holds)) / n, 3)}
                for t in CURVE],
            "paths": {path: {"share": round(len(hits) / n, 3), "answer_contains": round(sum(hits) / len(hits), 3)}
                      for path, hits in sorted(paths.items())},
            "supported": round(sum(a.supported for a in answered) / n, 3),
            "cites_gold": round(cites_gold / n, 3),
            "evidence_heading_alone": round(heading_alone / n, 3),
            "found": round(len(answered) / n, 3),
            "hit_token_limit": round(sum(a.hit_token_limit for a in answers) / n, 3),
            "prompt_tokens_p50": statistics.median([a.prompt_tokens for a in answered]) if answered else 0,
            "ttft_p50_s": round(statistics.median([a.ttft_s or 0.0 for a in answers]), 3),
            "first_words_p50_s": round(statistics.median([a.first_words_s or 0.0 for a in answers]), 3),
            "answer_p50_s": round(statistics.median(answer_seconds), 3),
            "answer_p95_s": round(sorted(answer_seconds)[max(0, int(0.95 * n) - 1)], 3),
        })
    # Bigrams exist only for Hangul: a ranker that found nothing for any question is left out.
    result.update({name: score.metrics() for name, score in singles.items() if score.found_any})
    result["fused_chunks"] = chunks.metrics()
    return result


class _RetrievalScore:
    """recall@k, MRR and ctx@k of one retrieval over a set of questions."""

    def __init__(self) -> None:
        self.hits = {k: 0 for k in KS}
        self.ctx = {k: 0 for k in KS}
        self.reciprocal_ranks: list[float] = []
        self.found_any = False

    def add(self, passages: list[Passage], q: Question) -> None:
        self.found_any = self.found_any or bool(passages)
        rank = next((i for i, p in enumerate(passages, start=1) if _is_gold(p, q)), None)
        self.reciprocal_ranks.append(1 / rank if rank else 0.0)
        for k in KS:
            self.hits[k] += rank is not None and rank <= k
            self.ctx[k] += contains_answer("\n".join(p.text for p in passages[:k]), q.answers)

    def metrics(self) -> dict:
        n = len(self.reciprocal_ranks)
        result = {f"recall@{k}": round(self.hits[k] / n, 3) for k in KS}
        result["mrr"] = round(statistics.fmean(self.reciprocal_ranks), 3)
        result.update({f"ctx@{k}": round(self.ctx[k] / n, 3) for k in KS})
        return result


def _is_gold(passage: Passage, question: Question) -> bool:
    return Path(passage.source).name == question.doc


def _is_heading(evidence: Evidence, sources: list[Passage]) -> bool:
    """The quoted sentence is a heading of its document: a Markdown heading line, or the words of its
    passage's title or of a heading over it — read from what ingest recorded, not from the rule the
    evidence is chosen by."""
    passage = sources[evidence.citation - 1]
    names = {normalise(n) for n in (passage.title, *passage.heading.split(" > ")) if n.strip()}
    sentence = evidence.sentence.strip()
    return sentence.startswith("#") or normalise(sentence.strip("#*_ ")) in names


def _cited(answer: Answer) -> list[Passage]:
    numbers = {int(n) for n in _CITATION.findall(answer.answer)}
    return [p for i, p in enumerate(answer.sources, start=1) if i in numbers]
