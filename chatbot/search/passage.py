"""A passage found for a question, with where in its file it lies: the type every room that reads search
results shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    id: str
    source: str  # path relative to the documents folder
    text: str
    score: float  # fused (or reranker) score: higher is better, comparable within one search only
    dense: float = 0.0  # cosine similarity to the question
    coverage: float = 0.0  # share of the question's terms found in the passage
    title: str = ""
    heading: str = ""
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None
    chunk_index: int = 0  # position of the retrieved chunk in its file
    # Where the retrieved chunks lie in text once other chunks joined it, best-ranked first;
    # () for the whole text.
    foci: tuple[tuple[int, int], ...] = ()
    content_hash: str = ""  # the file version it belongs to
    ocr_confidence: float | None = None  # read by OCR from a scan: the engine's mean word confidence (0-100)

    @property
    def location(self) -> str:
        return location(self.page, self.slide, self.sheet)

    @property
    def label(self) -> str:
        where = ", ".join(part for part in (self.source, self.location) if part)
        return f"{where} (OCR)" if self.ocr_confidence is not None else where

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "page": self.page,
            "slide": self.slide,
            "sheet": self.sheet,
            "heading": self.heading,
            "label": self.label,
            "chunk": self.chunk_index,
            "version": self.content_hash,
            "ocr": self.ocr_confidence is not None,
            "ocr_confidence": self.ocr_confidence,
            "score": round(self.score, 5),
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 3),
            "text": self.text,
        }


def location(page: int | None, slide: int | None, sheet: str | None) -> str:
    """Where in its file a chunk is: 'p. 3', 'slide 2', 'sheet Travel' or ''."""
    if page is not None:
        return f"p. {page}"
    if slide is not None:
        return f"slide {slide}"
    if sheet is not None:
        return f"sheet {sheet}"
    return ""
