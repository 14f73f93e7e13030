"""Passages for a question: dense vectors and BM25 terms, fused by reciprocal rank.

Dense retrieval is a llama-index retriever over the store's Chroma
collection; the lexical side is the store's BM25 index over Kiwi morphemes
(Korean) and stemmed words (English). The packaged embedder is English-only,
so the fusion weighs each ranker by the question's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import VectorIndexRetriever
from llama_index.core.schema import QueryBundle

from storage import Analyzer, Embedder, LexicalIndex, Store

from .language import Language

RRF_K = 60  # the usual reciprocal-rank-fusion constant


@dataclass(frozen=True)
class Passage:
    id: str
    source: str  # path relative to the documents folder
    text: str
    score: float  # fused rank score: higher is better, comparable within one search only
    dense: float = 0.0  # cosine similarity to the question
    coverage: float = 0.0  # share of the question's terms found in the passage
    title: str = ""
    heading: str = ""
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None

    @property
    def location(self) -> str:
        """'p. 3', 'slide 2', 'sheet Travel' or ''."""
        if self.page is not None:
            return f"p. {self.page}"
        if self.slide is not None:
            return f"slide {self.slide}"
        if self.sheet is not None:
            return f"sheet {self.sheet}"
        return ""

    @property
    def label(self) -> str:
        return f"{self.source}, {self.location}" if self.location else self.source

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "page": self.page,
            "slide": self.slide,
            "sheet": self.sheet,
            "heading": self.heading,
            "score": round(self.score, 5),
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 3),
            "text": self.text,
        }


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, weights: dict[str, tuple[float, float]]) -> None:
        self._store = store
        self._embedder = embedder
        self._weights = weights
        self._index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embedder)
        self._analyzer = Analyzer()
        self._lexical, self._lexical_version = self._load_lexical()

    def search(self, query: str, k: int, language: Language = "en") -> list[Passage]:
        self._refresh_lexical()
        depth = max(4 * k, 20)
        query_vector = np.asarray(self._embedder.get_query_embedding(query))
        dense_hits = VectorIndexRetriever(self._index, similarity_top_k=depth).retrieve(
            QueryBundle(query_str=query, embedding=query_vector.tolist())
        )
        terms = self._analyzer.terms(query)
        lexical_hits = self._lexical.search(terms, depth)
        dense_weight, lexical_weight = self._weights.get(language, (1.0, 1.0))
        fused: dict[str, float] = {}
        for weight, ranked in ((dense_weight, [h.node.node_id for h in dense_hits]),
                               (lexical_weight, [chunk_id for chunk_id, _ in lexical_hits])):
            for rank, chunk_id in enumerate(ranked, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        records = self._store.passages_with_vectors(best)
        query_terms = set(terms)
        return [_passage(i, *records[i], fused[i], query_vector, query_terms) for i in best if i in records]

    def _load_lexical(self) -> tuple[LexicalIndex, float]:
        path = self._store.lexical_index_path
        return self._store.load_lexical_index(), path.stat().st_mtime if path.exists() else 0.0

    def _refresh_lexical(self) -> None:
        """Pick up the index a finished ingest run wrote, without a restart."""
        path = self._store.lexical_index_path
        if path.exists() and path.stat().st_mtime != self._lexical_version:
            self._lexical, self._lexical_version = self._load_lexical()


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
    )
