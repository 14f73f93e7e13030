"""HTML pages, converted to Markdown so headings survive into chunks."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

from .base import ParsedDocument, Section, first_heading, register
from .tables import pipe_tables_as_rows

_NOT_CONTENT = ["script", "style", "noscript", "template", "svg", "nav", "head"]


@register(".html", ".htm", ".xhtml")
def read_html(path: Path) -> ParsedDocument:
    # Bytes, not text: BeautifulSoup honours the page's own <meta charset>.
    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(_NOT_CONTENT):
        tag.decompose()
    text = pipe_tables_as_rows(MarkdownConverter(heading_style="ATX").convert_soup(soup))
    return ParsedDocument(sections=[Section(text=text)], title=title or first_heading(text))
