"""One reader per file format, registered by extension.

Add a format by writing a module with a ``@register(".ext")`` function that
returns a ParsedDocument, and importing it below.
"""

from pathlib import Path

from . import docx, html, hwp, image, markdown, pdf, pptx, sheets, text  # noqa: F401  (registration)
from .base import READERS, ParsedDocument, ReadError, Section


def reader_for(path: Path):
    """The reader for this file, or None when its type is not supported."""
    return READERS.get(path.suffix.lower())


__all__ = ["READERS", "ParsedDocument", "ReadError", "Section", "reader_for"]
