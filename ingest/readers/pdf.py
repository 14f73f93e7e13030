"""PDF text layers, one section per page (page numbers start at 1), read as a person reads them
(pdf_lines: running headers and footers out, wrapped lines joined)."""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from .base import ParsedDocument, ReadError, Section, register
from .pdf_lines import page_texts

# pypdf logs every recoverable oddity of real-world PDFs; keep the run's log readable.
logging.getLogger("pypdf").setLevel(logging.ERROR)


# A page with fewer characters than this beside an image is a scan (a stamp, a page number or a scanner's
# header may be all its text layer holds).
MIN_TEXT_CHARS = 20


@register(".pdf")
def read_pdf(path: Path) -> ParsedDocument:
    """Each page's text layer; pages that are images with (almost) no text are left for OCR."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("encrypted PDF: a password is required to read it")
        sections, scanned = [], []
        layers = [page.extract_text() or "" for page in reader.pages]
        for number, (page, text) in enumerate(zip(reader.pages, page_texts(layers)), start=1):
            if len("".join(layers[number - 1].split())) < MIN_TEXT_CHARS and _has_images(page):
                scanned.append(number)
            else:
                sections.append(Section(text=text, page=number))
        title = (reader.metadata or {}).get("/Title")
    except FileNotDecryptedError:
        raise ReadError("encrypted PDF: a password is required to read it")
    except DependencyError as error:  # an install without `cryptography`: the file is fine
        raise ReadError(f"encrypted PDF that this installation cannot decrypt: {error}") from error
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise ReadError(f"corrupt PDF: {error}") from error
    if not scanned and not any(s.text.strip() for s in sections):
        raise ReadError("PDF has no text: neither a text layer nor scanned pages")
    return ParsedDocument(sections=sections, title=str(title) if title else None, scanned=scanned)


def _has_images(page) -> bool:
    try:
        return len(page.images) > 0
    except (PdfReadError, ValueError, KeyError, TypeError, NotImplementedError):
        return False
