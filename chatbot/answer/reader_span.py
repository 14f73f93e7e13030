"""The reader's words as the answer: its span, found in what the prompt shows, placed in its sentence.

The reader (chatbot/model/reader.py) reads exactly the text the model is
given — each passage's sentence windows — so the words it finds are always
words of a passage the answer cites; here they become an evidence sentence
(the sentence of the passage holding them) and the span marked in it. The
stated words are always a substring of that evidence sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.reader import SpanReader
from ..search.sentences import split_sentences
from .evidence import Evidence, passage_heading
from .prompt import Prompt
from .span import Span


@dataclass(frozen=True)
class ReaderAnswer:
    evidence: Evidence  # the sentence that holds the words
    span: Span  # the words, in that sentence
    confidence: float  # the reader's probability of them
    no_answer: float  # its probability that the window it read them in holds no answer


def read_answer(reader: SpanReader, question: str, prompt: Prompt) -> ReaderAnswer | None:
    """The reader's best words in the prompt's passages, as evidence and span; None when it found none."""
    pieces = [(number, start, end) for number, runs in enumerate(prompt.shown) for start, end in runs]
    reading = reader.read(question, [prompt.passages[n].text[a:b] for n, a, b in pieces])
    if reading is None:
        return None
    number, offset, _ = pieces[reading.passage]
    passage = prompt.passages[number]
    start, end = offset + reading.start, offset + reading.end
    sentence = next((s for s in split_sentences(passage.text) if s.start <= start < s.end), None)
    if sentence is None:
        return None
    stripped = sentence.text.strip()
    lead = sentence.start + len(sentence.text) - len(sentence.text.lstrip())
    # A span running past its sentence's end (rare) is cut there: the marked words stay in the quote.
    a, b = start - lead, min(end - lead, len(stripped))
    words = stripped[a:b].strip()
    if not words:
        return None
    a += len(stripped[a:b]) - len(stripped[a:b].lstrip())
    evidence = Evidence(citation=number + 1, source=passage.source, page=passage.page, location=passage.location,
                        sentence=stripped, start=sentence.start, end=sentence.end, heading=passage_heading(passage))
    return ReaderAnswer(evidence, Span(a, a + len(words), words), reading.confidence, reading.no_answer)
