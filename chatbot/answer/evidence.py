"""Evidence for an answer: the sentence or two in its passages that best support it, and
whether the model's reply is supported at all.

A 135M model often writes fluent text the passages do not say, and in Korean
words that exist nowhere ("어북탑", "결혈사"). The check is lexical: the share
of the reply's content words (Kiwi morphemes, English stems) that occur in the
text the model was given, leaving out the words it took from the question
(echoing the question is not an answer) and the words it frames an answer
with ("the answer is", "문서에 따르면"). By default every content word must
occur (``min_support`` 1.0: only real words); a reply below it is not shown
as the answer, and the engine leads with the evidence instead.

Evidence sentences are chosen by the question alone. They used to be scored
against a supported reply too (a correct reply names the very words of the
sentence it came from), but the 135M model's supported replies are often
wrong, and one that quoted the wrong sentence pushed the right one out of the
two shown: by the question alone, the page states a wrong answer less often
at the same right ones (docs/BENCHMARKS.md, "Evidence chosen by the question").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence


from storage import Analyzer

from ..search.passage import Passage
from ..search.sentences import Sentence, SentencePool, split_sentences

@dataclass(frozen=True)
class Evidence:
    citation: int  # the passage's number in the answer's sources, from 1
    source: str
    page: int | None
    location: str  # "p. 3", "slide 2", "sheet Travel" or ""
    sentence: str
    start: int  # character offsets of the sentence in the passage text, for highlighting
    end: int
    heading: str = ""  # the heading the sentence stands under ("제2조 연차 휴가"), shown over it; "" for none

    def to_json(self) -> dict:
        return {"source": self.source, "page": self.page, "location": self.location, "heading": self.heading,
                "sentence": self.sentence, "passage": self.citation, "start": self.start, "end": self.end}


# A line this short without a closing stop, standing over a longer line, is a heading: context for the
# sentences under it ("제2조 연차 휴가", "Roles and Responsibilities"), never evidence on its own.
HEADING_WORDS = 8
SENTENCE_ENDS = (".", "!", "?", "。", "다", "요", ")", "]")
_FIELD_MARKS = (":", ";", "|", "=")  # a table row or a form's field ("기초금액: 72,300,000원") is content


def is_heading(text: str, next_text: str | None = None) -> bool:
    """A Markdown heading line; or a short line with no closing stop and no field marks, over a longer
    line (``next_text``: the line after it in its passage, None at the passage's end — where a short line
    is a heading only when it is a Markdown one)."""
    stripped = text.strip()
    if stripped.startswith("#"):
        return True
    if next_text is None or len(stripped.split()) > HEADING_WORDS or stripped.endswith(SENTENCE_ENDS):
        return False
    return not any(mark in stripped for mark in _FIELD_MARKS) and len(next_text.split()) > len(stripped.split())


def heading_text(text: str) -> str:
    return text.strip().lstrip("#").strip()


# Terms (as the Analyzer gives them: English stems, Kiwi morphemes) of the words a reply frames
# its answer with; they claim nothing about the documents.
FRAMING = {"answer", "question", "document", "passag", "context", "accord", "mention", "state", "say", "said",
           "provid", "inform", "text", "base", "given", "답", "답변", "질문", "문서", "내용", "따르", "근거"}


# A citation marker ("[1]"): the system prompt asks for them, and their number is no claim about the documents.
CITATION = re.compile(r"\[\d+\]")


# A reply that ends as a question asks back rather than answers: the 135M model often repeats the
# question's form with a word changed ("12자 이상이어야 하나요?" for "몇 자 이상이어야 하나요?").
ASKS_BACK = re.compile(r"(\?|(나요|까요|[는은인]가요?|니까|ㅂ니까|습니까|을까|일까|는지요)[.。]?)\s*$")


def asks_back(reply: str) -> bool:
    return bool(ASKS_BACK.search(CITATION.sub("", reply).strip()))


def support(reply: str, question: str, context: str, analyzer: Analyzer) -> float:
    """Share of the reply's own terms (those not in the question, nor framing words, nor its citations)
    found in the context the model was given; 0 for a reply that only repeats the question, asks back,
    or is empty."""
    terms = set(analyzer.terms(CITATION.sub(" ", reply))) - set(analyzer.terms(question)) - FRAMING
    if not terms or asks_back(reply):
        return 0.0
    return len(terms & set(analyzer.terms(context))) / len(terms)


def find_evidence(
    sentences: SentencePool, question_scores: Sequence[float], citations: dict[int, int], sources: list[Passage],
    limit: int = 2,
) -> list[Evidence]:
    """The best ``limit`` sentences of the cited passages for the question, best first.

    ``question_scores`` are the sentences' scores against the question (already
    computed for the prompt); ``citations`` maps a sentence's passage index to
    that passage's number among the answer's ``sources``; sentences of other
    passages are not evidence.
    """
    every = sentences.sentences
    headings = {i for i, s in enumerate(every) if is_heading(s.text, _next_in_passage(every, i))}
    eligible = [i for i, s in enumerate(every) if s.passage in citations and i not in headings]
    evidence: list[Evidence] = []
    for position in sorted(eligible, key=lambda i: -question_scores[i])[:limit]:
        sentence = every[position]
        citation = citations[sentence.passage]
        passage = sources[citation - 1]
        above = next((every[i].text for i in range(position - 1, -1, -1)
                      if every[i].passage == sentence.passage and i in headings), None)
        evidence.append(Evidence(
            citation=citation, source=passage.source, page=passage.page, location=passage.location,
            sentence=sentence.text.strip(), start=sentence.start, end=sentence.end,
            heading=heading_text(above) if above else passage_heading(passage),
        ))
    return evidence


def passage_heading(passage: Passage) -> str:
    """The innermost heading ingest recorded over the passage ("Leave > Annual leave" -> "Annual leave")."""
    return passage.heading.rsplit(" > ", 1)[-1].strip()


def _next_in_passage(sentences: Sequence[Sentence], position: int) -> str | None:
    following = position + 1
    if following < len(sentences) and sentences[following].passage == sentences[position].passage:
        return sentences[following].text
    return None


def copies_evidence(reply: str, evidence: list[Evidence]) -> bool:
    """Every sentence of the reply (its citations aside) is words of one evidence sentence, unchanged."""
    said = [_squeezed(s.text) for s in split_sentences(CITATION.sub("", reply))]
    quoted = [_squeezed(item.sentence) for item in evidence]
    return any(said) and all(any(s in q for q in quoted) for s in said if s)


def _squeezed(text: str) -> str:
    """The text as the comparison of words sees it: no spacing, no closing stop, one case."""
    return re.sub(r"\s+", "", text).strip("\"'“”‘’").rstrip(".。!?！？").lower()
