"""What every reader returns, and the registry that maps file types to readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


class ReadError(Exception):
    """A file that cannot be read; the message is the reason shown to the admin."""


@dataclass
class Section:
    """A stretch of a document's text with its location.

    ``text`` may use Markdown ``#`` headings: the chunker turns them into
    each chunk's heading.
    """

    text: str
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None
    ocr_confidence: float | None = None  # read by OCR: the engine's mean word confidence (0-100)


@dataclass
class ParsedDocument:
    sections: list[Section] = field(default_factory=list)
    title: str | None = None
    scanned: list[int] = field(default_factory=list)  # pages (from 1) that only OCR can read


Reader = Callable[[Path], ParsedDocument]

READERS: dict[str, Reader] = {}


def register(*extensions: str) -> Callable[[Reader], Reader]:
    def add(reader: Reader) -> Reader:
        for ext in extensions:
            READERS[ext] = reader
        return reader

    return add


def first_heading(text: str) -> str | None:
    """The first Markdown heading's text, used as a document's title."""
    for line in text.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            if title:
                return title
    return None
