"""Passages for a question: dense vectors and BM25 terms, fused, optionally re-ranked.

Dense retrieval is a llama-index retriever over the store's Chroma
collection; the lexical side is the store's BM25 indexes over Kiwi morphemes
(Korean) and stemmed words (English), and over Hangul syllable bigrams. The fusion weighs each ranker by the
question's language (chatbot/search/fusion.py); a cross-encoder, when configured,
re-orders the fused candidates. The reader's groups and a search filter
limit both rankers, before anything is ranked, to the chunks the reader may
read in the files the filter matches.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import VectorIndexRetriever
from llama_index.core.schema import QueryBundle

from storage import UNRESTRICTED, Analyzer, Embedder, Reader, SearchFilter, Store

from ..language import Language
from .fusion import READS_LANGUAGE, FusionMode, Ranking, Weights, fuse
from .passage import Passage
from .rerank import Reranker
from .sentences import split_sentences

# The chunker's overlap is tens of word pieces; a shorter match between one
# chunk's end and the next one's start is chance ("...in the" / "the ...").
MIN_OVERLAP = 16
MIN_SENTENCES = 12  # see Retriever.widen


class Retriever:
    def __init__(
        self, store: Store, embedder: Embedder, weights: dict[str, Weights],
        mode: FusionMode = "relative", reranker: Reranker | None = None, analyzer: Analyzer | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self.weights = weights
        self._mode = mode
        self._reranker = reranker
        self._index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embedder)
        self._analyzer = analyzer or Analyzer()
        self._lexical, self.index_version = store.serve_lexical_index()  # the version in /api/health

    @property
    def has_reranker(self) -> bool:
        return self._reranker is not None

    def search(
        self, query: str, k: int, language: Language = "en", search_filter: SearchFilter | None = None,
        weights: Weights | None = None, reader: Reader = UNRESTRICTED,
    ) -> list[Passage]:
        """The k best passages the reader may read; ``weights`` overrides the language's, e.g. (1, 0, 0)
        for dense only."""
        if not (reader.sees_all or reader.groups):
            return []
        self.refresh()
        dense_weight, terms_weight, bigrams_weight = weights or self.weights.get(language, READS_LANGUAGE)
        depth = max(4 * k, 20)
        sources, chunk_ids = self._scope(search_filter)
        query_vector = np.asarray(self._embedder.get_query_embedding(query))
        terms = self._analyzer.terms(query)
        fused = fuse([
            (dense_weight, self._dense(query, query_vector, depth, sources, chunk_ids, reader) if dense_weight else []),
            (terms_weight, self._lexical.search(terms, depth, chunk_ids, reader=reader) if terms_weight else []),
            (bigrams_weight, self._lexical.search(Analyzer.bigrams(query), depth, chunk_ids, "bigrams", reader)
             if bigrams_weight else []),
        ], self._mode)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        if self._reranker is None:
            best, scores = ranked[:k], fused
            records = self._store.passages_with_vectors(best)
        else:
            records = self._store.passages_with_vectors(ranked[:depth])
            best, scores = self._rerank(query, ranked[:depth], records, k)
        query_terms = set(terms)
        return [_passage(i, *records[i], scores[i], query_vector, query_terms) for i in best if i in records]

    def widen(self, ranked: list[Passage], radius: int, k: int, join_depth: int = 0) -> list[Passage]:
        """The passages the k best chunks form: each joined with the chunks next to it that
        retrieval also ranked high, and with up to ``radius`` neighbouring chunks either side.

        Chunks are small so that each one's vector and terms stay focused, but
        the answer often sits a sentence or two past the words that match the
        question, in the next chunk. Two chunks that are next to each other in
        their file and both rank within the top ``join_depth`` become one
        passage (llama-index's auto-merging retriever does the same with
        parent nodes): measured on the dev pack, the top passage then holds
        the answer more often at a fraction of the length that joining every
        neighbour costs (docs/BENCHMARKS.md). Neighbours (``radius``) join
        whether retrieved or not, one on each side at a time, until the
        passage holds MIN_SENTENCES (a 200-piece chunk holds about five
        Korean or six English sentences at the median); the packaged 135M
        model answered worse from such passages, so radius 0 is the default.
        Only chunks under the same heading and on the same page, slide or
        sheet join, so a passage's location stays true. A passage whose chunk
        is already inside a better one is skipped: its text is shown once.
        Joined chunks count towards k one by one: joining changes how the best
        chunks are shown, not which (counted per passage, it let a weaker
        file's chunk in, which then outscored the answer in the prompt).
        """
        chosen: list[tuple[Passage, range]] = []  # with the chunk indexes each one spans
        retrieved = 0  # chunks of the ranking shown so far: the k best, however they were joined
        for rank, passage in enumerate(ranked):
            if retrieved >= k:
                break
            if not any(_inside(passage, other, span) for other, span in chosen):
                run = _adjacent_run(passage, ranked[:join_depth] if rank < join_depth else [])
                chosen.append(self._with_neighbours(passage, run, radius))
                retrieved += len(run)
        return [passage for passage, _ in chosen]

    def _with_neighbours(self, passage: Passage, run: dict[int, str], radius: int) -> tuple[Passage, range]:
        """The passage's run of retrieved chunks, then its stored neighbours around it; the foci are
        where the retrieved chunks lie in the joined text (the prompt's windows centre there)."""
        first, last = min(run), max(run)
        wanted = [i for i in range(first - radius, last + radius + 1) if i not in run and i >= 0]
        found = self._store.chunks_of(passage.source, passage.content_hash, wanted) if radius else {}
        texts = {i: text for i, (text, meta) in found.items() if _stored_place(meta) == _place(passage)} | run
        text = _join_run(texts, first, last)
        # Contiguous runs only: a missing neighbour (other heading or page) ends that side.
        while (first - 1 in texts or last + 1 in texts) and len(split_sentences(text)) < MIN_SENTENCES:
            first, last = (first - 1 if first - 1 in texts else first), (last + 1 if last + 1 in texts else last)
            text = _join_run(texts, first, last)
        # Joining trims the overlap from the later chunk's start, which the earlier one holds: each chunk is whole.
        foci = tuple((start, start + len(chunk)) for chunk in run.values() for start in [text.find(chunk)])
        return replace(passage, text=text, foci=foci), range(first, last + 1)

    def _rerank(self, query: str, candidates: list[str], records: dict, k: int) -> tuple[list[str], dict[str, float]]:
        """The cross-encoder's k best of the fused candidates, with its scores."""
        reranked = self._reranker.order(query, [(i, records[i][0]) for i in candidates if i in records])
        return [i for i, _ in reranked[:k]], dict(reranked)

    def _scope(self, search_filter: SearchFilter | None) -> tuple[list[str] | None, set[str] | None]:
        """The files and chunk ids a filter allows; (None, None) for no filter."""
        if search_filter is None or search_filter.is_empty:
            return None, None
        records = self._store.files_matching(search_filter)
        return [r.path for r in records], {i for r in records for i in r.chunk_ids}

    def _dense(self, query: str, vector: np.ndarray, depth: int, sources: list[str] | None,
               chunk_ids: set[str] | None, reader: Reader) -> Ranking:
        """The vector ranking among the chunks the reader may read in the files the filter allows.

        A reader's chunks are handed to Chroma as ids (from the keyword index, which records each
        chunk's groups): a `where` on the groups' flags costs 12 times as much at 100k chunks
        (docs/BENCHMARKS.md)."""
        if reader.sees_all:
            if sources is not None and not sources:
                return []
            scope = {"where": {"source": {"$in": sources}}} if sources else {}
        else:
            allowed = self._lexical.readable_ids(reader)
            scope = {"ids": [i for i in allowed if i in chunk_ids] if chunk_ids is not None else allowed}
            if not scope["ids"]:
                return []
        retriever = VectorIndexRetriever(self._index, similarity_top_k=depth, vector_store_kwargs=scope)
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=vector.tolist()))
        return [(hit.node.node_id, float(hit.score or 0.0)) for hit in hits]

    def refresh(self) -> None:
        """Pick up what a finished ingest run wrote, without a restart: its keyword index, and the vectors
        (an ingest writes the keyword index last, so a new one means the run is over) — from this host's
        store folder, or with a database, from the ingest host through it."""
        version = self._store.lexical_index_version()
        if version is not None and version != self.index_version:
            self._store.reopen()
            self._index = VectorStoreIndex.from_vector_store(self._store.vector_store, embed_model=self._embedder)
            self._lexical, self.index_version = self._store.serve_lexical_index()


def _inside(passage: Passage, other: Passage, span: range) -> bool:
    return _same_file(passage, other) and passage.chunk_index in span


def _adjacent_run(passage: Passage, candidates: list[Passage]) -> dict[int, str]:
    """Chunk index -> text of the passage's chunk and of the candidates that continue it on either
    side, in rank order (the passage's own first)."""
    texts = {c.chunk_index: c.text for c in candidates
             if _same_file(c, passage) and _place(c) == _place(passage)}
    run = {passage.chunk_index}
    for step in (-1, 1):
        index = passage.chunk_index + step
        while index in texts:
            run.add(index)
            index += step
    ranked = [passage.chunk_index] + [c.chunk_index for c in candidates if c.chunk_index in run]
    return {index: texts.get(index, passage.text) for index in dict.fromkeys(ranked)}


def _same_file(passage: Passage, other: Passage) -> bool:
    return (passage.source, passage.content_hash) == (other.source, other.content_hash)


def _place(passage: Passage) -> tuple:
    """Where in its file a passage is, as far as a citation says: heading, page, slide, sheet."""
    return passage.heading, passage.page, passage.slide, passage.sheet


def _stored_place(meta: dict) -> tuple:
    return str(meta.get("heading", "")), meta.get("page"), meta.get("slide"), meta.get("sheet")


def _join_run(texts: dict[int, str], first: int, last: int) -> str:
    text = ""
    for index in range(first, last + 1):
        text = _join_chunks(text, texts[index])
    return text


def _join_chunks(text: str, following: str) -> str:
    """Two consecutive chunks as one text."""
    if not text:
        return following
    size = overlap(text, following)
    return text + following[size:] if size else f"{text}\n{following}"


def overlap(text: str, following: str) -> int:
    """How many characters at the start of a chunk repeat the end of the one before it (the chunker's
    overlap); 0 when none does."""
    for size in range(min(len(text), len(following)), MIN_OVERLAP - 1, -1):
        if text.endswith(following[:size]):
            return size
    return 0


def _passage(chunk_id: str, text: str, meta: dict, vector: list[float], fused: float,
             query_vector: np.ndarray, query_terms: set[str]) -> Passage:
    terms = set(json.loads(str(meta.get("lexical", "[]"))))
    return Passage(
        id=chunk_id,
        source=str(meta.get("source", "")),
        text=text,
        score=fused,
        dense=float(np.dot(query_vector, np.asarray(vector))),
        coverage=len(query_terms & terms) / len(query_terms) if query_terms else 0.0,
        title=str(meta.get("title", "")),
        heading=str(meta.get("heading", "")),
        page=meta.get("page"),
        slide=meta.get("slide"),
        sheet=meta.get("sheet"),
        chunk_index=int(meta.get("chunk_index", 0)),
        content_hash=str(meta.get("content_hash", "")),
        ocr_confidence=meta.get("ocr_confidence"),
    )
