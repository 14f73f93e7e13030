"""Passages cut into sentences, and how well each sentence matches a text.

Used twice: to shape the prompt (only the sentences around the question's
best matches go to the model, see prompt.py) and to find the evidence for
an answer (evidence.py).

Why not llama-index's SentenceWindowNodeParser: it picks the window at
ingest time by embedding every sentence as its own node (several times the
vectors, and the packaged embedder cannot read Korean); here retrieval stays
on measured chunk-level hybrid search, and the window is chosen per question
among the retrieved chunks' sentences, Korean-aware.

A sentence's match with a text blends:
- term overlap (Kiwi morphemes for Korean, stems for English), each term
  weighted by how rare it is among the candidate sentences, so "회사" or
  "company", found everywhere, counts for little;
- Hangul syllable-bigram overlap, which still matches where Kiwi splits a
  name or compound differently in the two texts;
- embedding similarity, only in a language the embedder reads (the packaged
  MiniLM is English-only: its Korean similarities are noise).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from storage import Analyzer

from .passage import Passage

if TYPE_CHECKING:  # the embedder's module loads llama-index
    from storage import Embedder

# A sentence ends at . ! ? (or their full-width forms) followed by a space,
# or at a line break: Korean sentences end "다." like English ones, and
# headings, list items and table rows sit on lines of their own. A line break
# before a lower-case letter is a wrapped line (PDF, hard-wrapped Markdown),
# not a boundary. A stop after a digit ends a sentence only when no digit follows: Korean dates are written
# "2025. 12. 2.(화)".
_BOUNDARY = re.compile(r"(?<=[.!?。！？])(?<!\d\.)[\"'”’)\]]*\s+|(?<=\d\.)\s+(?![\s\d])|\s*\n\s*(?![a-z])")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
TIE_BREAK = 1e-3
DENSE_WEIGHT = 1.5  # embedding similarity's say beside term overlap (chosen on the dev pack, docs/BENCHMARKS.md)


@dataclass(frozen=True)
class Sentence:
    passage: int  # index of its passage in the list it was cut from
    index: int  # position within the passage
    start: int  # character offsets in the passage text
    end: int
    text: str


def split_sentences(text: str, passage: int = 0) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for boundary in [*_BOUNDARY.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        if text[start:end].strip():
            sentences.append(Sentence(passage, len(sentences), start, end, text[start:end]))
        if boundary:
            start = boundary.end()
    return sentences


@dataclass(frozen=True)
class ScoredPassage:
    """A retrieved passage cut into sentences, each scored against the question."""

    passage: Passage
    sentences: list[Sentence]
    scores: Sequence[float]


class SentenceMatcher:
    """Scores candidate sentences against a text (a question, an answer)."""

    def __init__(self, analyzer: Analyzer, embedder: Embedder | None, reads: dict[str, bool]) -> None:
        self._analyzer = analyzer
        self._embedder = embedder
        self._reads = reads  # language -> whether the embedder reads it

    def _pool(self, sentences: list[Sentence], language: str) -> "SentencePool":
        terms = [set(self._analyzer.terms(s.text)) for s in sentences]
        bigrams = [set(Analyzer.bigrams(s.text)) for s in sentences]
        vectors = None
        if self._embedder is not None and self._reads.get(language) and sentences:
            vectors = np.asarray(self._embedder.embed([s.text for s in sentences]))
        return SentencePool(self._analyzer, self._embedder if vectors is not None else None, sentences, terms,
                            bigrams, vectors)

    def score_passages(
        self, passages: list[Passage], question: str, language: str
    ) -> tuple[list[ScoredPassage], "SentencePool"]:
        """Every passage's sentences scored against the question, and the pool of them all."""
        groups = [split_sentences(p.text, i) for i, p in enumerate(passages)]
        pool = self._pool([s for group in groups for s in group], language)
        scores = iter(pool.scores(question))
        return [ScoredPassage(p, group, [next(scores) for _ in group]) for p, group in zip(passages, groups)], pool


class SentencePool:
    """A set of sentences ready to be scored against any number of texts."""

    def __init__(self, analyzer: Analyzer, embedder: Embedder | None, sentences: list[Sentence],
                 terms: list[set[str]], bigrams: list[set[str]], vectors: np.ndarray | None) -> None:
        self.sentences = sentences
        self._analyzer = analyzer
        self._embedder = embedder
        self._terms = terms
        self._bigrams = bigrams
        self._vectors = vectors
        sizes = np.asarray([len(t) for t in terms], dtype=float)
        self._sizes = sizes / (sizes.max(initial=0.0) or 1.0)
        self._idf = _idf(terms)
        self._bigram_idf = _idf(bigrams)

    def scores(self, text: str) -> np.ndarray:
        """Each sentence's match with ``text``, about 0 (nothing shared) to 1 (all of it), plus the dense part."""
        if not self.sentences:
            return np.zeros(0)
        terms = self._analyzer.terms(text)
        scores = np.asarray([_overlap(set(terms), t, self._idf) for t in self._terms])
        if _HANGUL.search(text):
            # Bigrams of the text's content words only: bigrams across its particles
            # and endings ("휴가는" -> "가는") would match unrelated words ("병가는").
            bigrams = set(Analyzer.bigrams(" ".join(terms)))
            scores = (scores + np.asarray([_overlap(bigrams, b, self._bigram_idf) for b in self._bigrams])) / 2
        if self._embedder is not None:
            query = np.asarray(self._embedder.embed([text], query=True)[0])
            scores = scores + DENSE_WEIGHT * np.clip(self._vectors @ query, 0.0, 1.0)
        # Ties go to the sentence that says more: a heading matches the question's
        # words as well as the sentence under it, but holds no answer.
        return scores + TIE_BREAK * self._sizes


def _idf(term_sets: list[set[str]]) -> dict[str, float]:
    counts = Counter(term for terms in term_sets for term in terms)
    n = len(term_sets)
    return {term: math.log(1 + n / count) for term, count in counts.items()}


def _overlap(wanted: set[str], found: set[str], idf: dict[str, float]) -> float:
    """Share of the wanted terms' weight that the sentence has; terms no candidate has weigh as the rarest."""
    if not wanted:
        return 0.0
    rarest = max(idf.values(), default=1.0)
    weights = {term: idf.get(term, rarest) for term in wanted}
    return sum(weights[t] for t in wanted & found) / sum(weights.values())
