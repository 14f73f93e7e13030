"""Word documents: paragraphs in order, heading styles as Markdown headings, tables as rows."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from .base import ParsedDocument, ReadError, Section, first_heading, register
from .tables import caption_above, render_rows


@register(".docx")
def read_docx(path: Path) -> ParsedDocument:
    try:
        document: DocxDocument = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError(f"not a readable DOCX file: {error}") from error
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if block := _block(item, blocks):
            blocks.append(block)
    text = "\n\n".join(blocks)
    title = document.core_properties.title or first_heading(text)
    return ParsedDocument(sections=[Section(text=text)], title=title or None)


def _block(item: Paragraph | Table, above: list[str]) -> str:
    """A paragraph's text (a heading as Markdown); a table's rows with their headers and its caption (the
    short line of the blocks ``above`` it)."""
    if isinstance(item, Table):
        return render_rows([[cell.text.strip() for cell in row.cells] for row in item.rows], caption_above(above))
    text = item.text.strip()
    level = _heading_level(item.style.name if item.style is not None else "")
    return f"{'#' * level} {text}" if text and level else text


def _heading_level(style: str) -> int:
    """'Title' -> 1, 'Heading 1' -> 2 (sections sit under the title), body text -> 0."""
    if style == "Title":
        return 1
    if style.startswith("Heading "):
        suffix = style.removeprefix("Heading ")
        return min(int(suffix) + 1, 6) if suffix.isdigit() else 0
    return 0
