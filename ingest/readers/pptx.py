"""PowerPoint decks: one section per slide (slide numbers start at 1), speaker notes included."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pptx import Presentation
from pptx.exc import PackageNotFoundError
from pptx.slide import Slide

from .base import ParsedDocument, ReadError, Section, register
from .tables import render_rows


@register(".pptx")
def read_pptx(path: Path) -> ParsedDocument:
    try:
        deck = Presentation(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError(f"not a readable PPTX file: {error}") from error
    sections = [
        Section(text=_slide_text(slide), slide=number)
        for number, slide in enumerate(deck.slides, start=1)
    ]
    title = deck.core_properties.title or next(
        (_title(s) for s in deck.slides if _title(s)), None
    )
    return ParsedDocument(sections=[s for s in sections if s.text.strip()], title=title or None)


def _title(slide: Slide) -> str:
    shape = slide.shapes.title
    return shape.text_frame.text.strip() if shape is not None and shape.has_text_frame else ""


def _slide_text(slide: Slide) -> str:
    title = _title(slide)
    parts = [f"# {title}"] if title else []
    for shape in slide.shapes:
        if shape == slide.shapes.title:
            continue
        if shape.has_text_frame and shape.text_frame.text.strip():
            parts.append(shape.text_frame.text.strip())
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
            parts.append(render_rows(rows))
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = slide.notes_slide.notes_text_frame.text.strip()
        if notes:
            parts.append(notes)
    return "\n\n".join(parts)
