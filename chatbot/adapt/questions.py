"""Questions the documents answer, made from their own sentences: the training material when no one has
asked yet.

Without a model, a sentence holding a number, a date or a name becomes a
question by putting a question word where that answer stands ("Leave is 15
days." -> "Leave is how many days?"; "연차는 15일이다." -> "연차는 며칠이다?"):
clumsy questions, but the skill they teach — find the sentence that matches the
question and give its answer — is the one the chat needs. The answer candidates
are the ones the chat's own span finder sees (chatbot.answer.span: Kiwi's morphemes in
Korean). A teacher model, when configured, writes a natural question for the
same sentence and answer instead; a question it fails to write falls back to
the rule.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Protocol

from storage import Analyzer

from ..answer.span import Candidate, candidates
from ..language import Language, detect_language
from ..search.sentences import split_sentences

# Sentences worth a question: long enough to say something, short enough to be a short answer
# (in characters; Hangul costs the model about two tokens a character).
SENTENCE_CHARS: dict[Language, tuple[int, int]] = {"en": (30, 220), "ko": (15, 110)}
_ENDS_SENTENCE = re.compile(r"[.!?。다요]\W*$")
_EN_PREPOSITION = re.compile(r"\b(in|on|at|during)\s+$", re.I)
_EN_MONEY = re.compile(r"^[$€£₩¥]|\b(dollars?|euros?|pounds?|won|yen)\b", re.I)
_DIGITS = re.compile(r"^[\d,.\s]+")
_CURRENCIES = ("$", "€", "£", "₩", "¥")
_EN_AMOUNT = re.compile(r"[$€£₩¥]\s?\d[\d,.]*(?:\s?(?:million|billion|thousand))?")
_AFTER_VOWEL = {"는": "은", "가": "이", "를": "을", "와": "과"}
_KO_PAIR = re.compile(r"\d[\d,.]*\s?[^\s\d]*")


@dataclass(frozen=True)
class MadeQuestion:
    question: str
    answer: str  # the words that answer, verbatim in ``sentence``
    sentence: str  # verbatim in the document's text
    source: str
    language: Language
    by_teacher: bool = False  # written by the teacher model (else made by the rule)


class Teacher(Protocol):
    def generate(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str] | None = None): ...


def questions_from_text(text: str, source: str, language: Language, analyzer: Analyzer,
                        rng: random.Random, teacher: Teacher | None = None) -> list[MadeQuestion]:
    """At most one question per sentence of ``text`` that holds an answer of a kind the rule knows."""
    made: list[MadeQuestion] = []
    low, high = SENTENCE_CHARS[language]
    for sentence in split_sentences(text):
        words = sentence.text.strip()
        if not low <= len(words) <= high or not _ENDS_SENTENCE.search(words) or "\n" in words:
            continue
        typed = _distinct(fitted for c in candidates(words, language, analyzer)
                          if c.kind != "thing" and (fitted := _answer_run(words, c, language)) is not None)
        if not typed:
            continue
        chosen = rng.choice(typed)
        answer = words[chosen.start:chosen.end]
        question = (teacher_question(teacher, words, answer, language) if teacher else None) \
            or rule_question(words, chosen, language)
        if question and answer not in question:
            made.append(MadeQuestion(question, answer, words, source, language))
    return made


def rule_question(sentence: str, answer: Candidate, language: Language) -> str | None:
    """The sentence with a question word where the answer stands, ended with a question mark."""
    before, span, after = sentence[:answer.start], sentence[answer.start:answer.end], sentence[answer.end:]
    if language == "ko":
        asked = _korean_question_word(span, answer.kind)
        if asked == "무엇" and after[:1] in _AFTER_VOWEL:  # 무엇 ends in a consonant: 은, 이, 을, 과
            after = _AFTER_VOWEL[after[0]] + after[1:]
    else:
        asked = _english_question_word(span, answer.kind)
        if answer.kind == "date":
            before = _EN_PREPOSITION.sub("", before)  # "reached Sicily in 1347" -> "reached Sicily when"
        if not before:
            asked = asked[0].upper() + asked[1:]
    question = f"{before}{asked}{after}".strip()
    question = re.sub(r"[\s.!。]+$", "", question) + "?"
    return question if len(question) > len(asked) + 8 else None


def _answer_run(sentence: str, candidate: Candidate, language: Language) -> Candidate | None:
    """The candidate cut to what one question word can stand for: an amount of money alone ("$500", not
    "$500 need"); of Korean number-unit pairs, the last ("1회 30만원" -> "30만원") unless they make a date.
    None for what is no answer (the digits of "$500" read as a year)."""
    span = sentence[candidate.start:candidate.end]
    if language == "en":
        if candidate.kind == "date" and sentence[:candidate.start].rstrip().endswith(_CURRENCIES):
            return None
        money = _EN_AMOUNT.match(span)
        if candidate.kind == "number" and money:
            return Candidate(candidate.start, candidate.start + money.end(), "number")
        return candidate
    pairs = list(_KO_PAIR.finditer(span))
    if len(pairs) > 1 and not _is_korean_date(span):
        last = pairs[-1]
        return Candidate(candidate.start + last.start(), candidate.start + last.end(), "number")
    return candidate


def _is_korean_date(span: str) -> bool:
    """More than one of 년, 월, 일: a date ("2019년 3월"); "15일" alone is a number of days."""
    return sum(unit in span for unit in ("년", "월", "일")) > 1 or span.endswith(("세기", "년대"))


def _english_question_word(span: str, kind: str) -> str:
    if kind == "date":
        return "when"
    if kind == "number":
        if _EN_MONEY.search(span):
            return "how much"
        if "%" in span or "percent" in span.lower():
            return "what percentage"
        unit = _DIGITS.sub("", span).strip()
        return f"how many {unit}" if unit and unit[0].islower() else "how many"
    return "who" if kind == "person" else "what"


def _korean_question_word(span: str, kind: str) -> str:
    if kind not in ("date", "number"):
        return "무엇"
    if _is_korean_date(span):
        return "언제"
    unit = _DIGITS.sub("", span).strip()
    return "며칠" if unit == "일" else f"몇 {unit}" if unit else "몇"


def _distinct(found) -> list[Candidate]:
    """One candidate per run of the sentence (a name comes as person and place: keep the first)."""
    kept: dict[tuple[int, int], Candidate] = {}
    for candidate in found:
        kept.setdefault((candidate.start, candidate.end), candidate)
    return list(kept.values())


TEACHER_PROMPT: dict[Language, str] = {
    "en": "Sentence: {sentence}\nAnswer: {answer}\n\nWrite one question that this sentence answers with "
          "\"{answer}\". Reply with the question only.",
    "ko": "문장: {sentence}\n답: {answer}\n\n이 문장이 \"{answer}\"(으)로 답하는 질문을 한국어로 하나만 쓰세요. "
          "질문만 답하세요.",
}


def teacher_question(teacher: Teacher, sentence: str, answer: str, language: Language) -> str | None:
    """A question written by the teacher model; None when what it wrote is not one (no question mark,
    gives the answer away, or is in the other language)."""
    prompt = TEACHER_PROMPT[language].format(sentence=sentence, answer=answer)
    text = "".join(teacher.generate([{"role": "user", "content": prompt}], max_tokens=80, stop=["\n"])).strip()
    question = text.split("?")[0].strip() + "?" if "?" in text else ""
    if len(question) < 8 or answer in question or detect_language(question) != language:
        return None
    return question
