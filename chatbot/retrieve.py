"""Passages for a question: a llama-index retriever over the store's Chroma collection."""

from __future__ import annotations

from dataclasses import dataclass

from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import VectorIndexRetriever
from llama_index.core.schema import NodeWithScore

from storage import Embedder, Store


@dataclass(frozen=True)
class Passage:
    id: str
    source: str  # path relative to the documents folder
    text: str
    score: float  # cosine similarity to the question
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
            "score": round(self.score, 4),
            "text": self.text,
        }


class Retriever:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self._index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embedder)

    def search(self, query: str, k: int) -> list[Passage]:
        retriever = VectorIndexRetriever(self._index, similarity_top_k=k)
        return [_passage(hit) for hit in retriever.retrieve(query)]


def _passage(hit: NodeWithScore) -> Passage:
    meta = hit.node.metadata
    return Passage(
        id=hit.node.node_id,
        source=str(meta.get("source", "")),
        text=hit.node.get_content(),
        score=float(hit.score or 0.0),
        title=str(meta.get("title", "")),
        heading=str(meta.get("heading", "")),
        page=meta.get("page"),
        slide=meta.get("slide"),
        sheet=meta.get("sheet"),
    )
