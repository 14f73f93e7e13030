"""PDF text layers, one section per page (page numbers start at 1)."""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from .base import ParsedDocument, ReadError, Section, register

# pypdf logs every recoverable oddity of real-world PDFs; keep the run's log readable.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@register(".pdf")
def read_pdf(path: Path) -> ParsedDocument:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("encrypted PDF: a password is required to read it")
        sections = [
            Section(text=page.extract_text() or "", page=number)
            for number, page in enumerate(reader.pages, start=1)
        ]
        title = (reader.metadata or {}).get("/Title")
    except FileNotDecryptedError:
        raise ReadError("encrypted PDF: a password is required to read it")
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise ReadError(f"corrupt PDF: {error}") from error
    if not any(s.text.strip() for s in sections):
        raise ReadError("PDF has no text layer (a scan?); OCR is not supported")
    return ParsedDocument(sections=sections, title=str(title) if title else None)
