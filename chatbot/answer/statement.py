"""What the page states as the answer — the model's reply, or the words marked in the evidence — and how
sure the product is of it.

An employee reads the bold words (or the reply) first and copies them into
their mail: a confidently marked wrong number does more harm than the
evidence sentence alone. So each statement gets a confidence from what can be
seen without the gold answer — whether the model and the span rules name the
same words, whether the sentence offers one candidate of the kind asked or
several, whether the sentence holds the question's terms — and below
``RAG_MIN_STATEMENT_CONFIDENCE`` the answer shows the evidence sentence
without a bold and without a reply. The rule and its threshold are measured
in docs/BENCHMARKS.md on a half of the dev pack they were not chosen on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from storage import Analyzer

from ..language import Language
from .reader_span import ReaderAnswer
from .evidence import CITATION, Evidence, support
from .span import Kind, Span, answer_span, asked_for, fitting_candidates, question_names, says

Via = Literal["reply", "span", "reader"]

# How well the span rules tell the answer apart, by what the question asks for (chatbot/answer/span.py): set on
# the tuning half of the dev pack (benchmarks/statement_curve.py), where marked counts and dates were right
# about half the time or more and "what ..." spans, pointed to by the reply, almost never.
KIND_WEIGHT: dict[Kind, float] = {"number": 0.8, "date": 0.8, "person": 0.5, "place": 0.5, "thing": 0.2,
                                  "reason": 0.2}
RIVAL_PENALTY = 0.1  # per other run of the sentence that fits the question as well
# A reply that names none of the best sentence's runs of the kind asked: built from that sentence's words, it
# says something other than the answer (a Korean reply that copies the sentence around its answer).
UNNAMED_WEIGHT = 0.5


@dataclass(frozen=True)
class Statement:
    via: Via
    text: str  # the reply, or the span's words
    confidence: float  # 0 to 1
    signals: dict[str, float] = field(default_factory=dict)  # what the confidence was read from (eval records)


def reply_statement(question: str, reply: str, evidence: list[Evidence], language: Language,
                    analyzer: Analyzer) -> Statement:
    """The model's reply as the answer: sure when the span rules, on their own, find the same words."""
    kind = asked_for(question, language)
    rules = first_span(question, evidence, language, analyzer)  # the rules alone, without the reply
    signals = {
        "kind": KIND_WEIGHT[kind],
        "agree": float(rules is not None and says(reply, rules.text)),
        "choices": float(rules.choices if rules else 0),
        "coverage": _coverage(question, evidence[0].sentence if evidence else "", language, analyzer),
        "in_top": support(reply, question, evidence[0].sentence if evidence else "", analyzer),
        "names": float(kind == "reason" or _names_a_candidate(question, reply, evidence, language, analyzer)),
        "words": float(len(CITATION.sub(" ", reply).split())),
    }
    return Statement("reply", reply, confidence("reply", signals), signals)


def span_statement(question: str, span: Span, evidence: list[Evidence], language: Language,
                   analyzer: Analyzer) -> Statement:
    """The words marked in an evidence sentence: sure when the reply named them too and no rival fits."""
    kind = asked_for(question, language)
    signals = {
        "kind": KIND_WEIGHT[kind],
        "agree": float(span.said),
        "choices": float(span.choices),
        "coverage": _coverage(question, evidence[span.sentence].sentence, language, analyzer),
        "top": float(span.sentence == 0),
        "words": float(len(span.text.split())),
    }
    return Statement("span", span.text, confidence("span", signals), signals)


def reader_statement(read: ReaderAnswer, agreed: bool = False) -> Statement:
    """The reader's words: as sure as its own probability of them; ``agreed``: the model's reply named them."""
    return Statement("reader", read.span.text, read.confidence,
                     {"reader": read.confidence, "no_answer": read.no_answer, "agree": float(agreed)})


def confidence(via: Via, signals: dict[str, float]) -> float:
    """How sure, from 0 to 1 (a score to rank by, not a probability).

    A reply: the share of its own words that the best evidence sentence holds
    — a reply built from that sentence's words is right far more often than one
    made of words from elsewhere in the passages — lowered when that sentence
    lacks the question's terms, and when the reply names none of its runs of the
    kind asked (no "reason" question has such runs: there it is not lowered).
    The reader's words: its own probability of them.
    Marked words: by the kind asked (a count or a date is told apart by its
    shape; a name less so; "what ..." only by the reply's pointer), lowered for
    each rival of the same kind in the sentence.
    """
    if via == "reader":
        return signals["reader"]
    if via == "reply":
        named = 1.0 if signals.get("names", 1.0) else UNNAMED_WEIGHT  # records written before "names": 1
        return signals["in_top"] * (0.5 + 0.5 * signals["coverage"]) * named
    return signals["kind"] / (1.0 + RIVAL_PENALTY * max(0.0, signals["choices"] - 1))


def first_span(question: str, evidence: list[Evidence], language: Language, analyzer: Analyzer,
               reply: str = "") -> Span | None:
    """The words that answer, in the first evidence sentence (best first) where they can be told apart."""
    for number, item in enumerate(evidence):
        span = answer_span(question, item.sentence, language, analyzer, reply)
        if span is not None:
            return replace(span, sentence=number)
    return None


def _names_a_candidate(question: str, reply: str, evidence: list[Evidence], language: Language,
                       analyzer: Analyzer) -> bool:
    """The reply holds, word for word, a run of the best evidence sentence that could answer the question."""
    if not evidence:
        return False
    sentence = evidence[0].sentence
    return any(says(reply, sentence[c.start:c.end])
               for c in fitting_candidates(question, sentence, language, analyzer))


def _coverage(question: str, sentence: str, language: Language, analyzer: Analyzer) -> float:
    """Share of the question's terms (its names aside) that the sentence holds."""
    names = {t for name in question_names(question, language, analyzer) for t in analyzer.terms(name)}
    key = set(analyzer.terms(question)) - names
    if not key:
        return 1.0
    return len(key & set(analyzer.terms(sentence))) / len(key)
