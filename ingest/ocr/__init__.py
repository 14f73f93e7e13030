"""Scanned pages and images read by OCR (Tesseract, kor+eng), each page cached by its image's hash.

Readers say which pages have no text layer (``ParsedDocument.scanned``); ``Ocr.complete`` reads those pages
and puts their text in page order beside the pages that had one, marked as OCR'd with their confidence. Pages
whose reading is unreliable come back as ``PageProblem``s for the ingest report.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Callable

from settings import Settings
from storage import OcrCache, OcrText

from ..readers.base import ParsedDocument, ReadError, Section
from .cleanup import clean
from .pages import page_images
from .tesseract import OcrUnavailable, Tesseract

MIN_LETTERS = 10  # fewer letters than this on a page is noise read as text, not a page's text

__all__ = ["Ocr", "OcrUnavailable", "PageProblem", "ocr_problem"]


@dataclass(frozen=True)
class PageProblem:
    page: int
    reason: str


class Ocr:
    """One per ingest run: checks Tesseract once, opens the cache on first use, reads a core's worth of pages
    at a time (memory holds that many page images, not a whole PDF's)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine = Tesseract(settings.ocr_command, settings.ocr_languages, settings.ocr_page_mode,
                                 settings.ocr_page_timeout_s)
        self._workers = max(1, len(os.sched_getaffinity(0)))
        self.pages_read = 0  # by Tesseract in this run; pages found in the cache are not counted
        self._count = threading.Lock()

    @cached_property
    def problem(self) -> str | None:
        """Why OCR cannot run here, or None."""
        try:
            self._engine.check()
        except OcrUnavailable as error:
            return str(error)
        return None

    @cached_property
    def _cache(self) -> OcrCache:
        return OcrCache(self._settings.ocr_cache_path)

    def close(self) -> None:
        if "_cache" in vars(self):
            self._cache.close()

    def complete(self, parsed: ParsedDocument, path: Path,
                 on_page: Callable[[int, int], None]) -> tuple[ParsedDocument, list[PageProblem]]:
        """``parsed`` with its scanned pages read; ``on_page(done, total)`` after each page."""
        if not parsed.scanned:
            return parsed, []
        if self.problem:
            pages = ", ".join(map(str, parsed.scanned))
            raise ReadError(f"needs OCR (page {pages}): {self.problem}")
        self._cache  # noqa: B018  (opened here, not by the first of several page threads at once)
        readings: dict[int, OcrText] = {}
        pending = page_images(path, parsed.scanned, self._settings.ocr_dpi)
        with ThreadPoolExecutor(self._workers, thread_name_prefix="ocr") as pool:
            while batch := list(islice(pending, self._workers)):
                numbers, images = zip(*batch)
                for number, reading in zip(numbers, pool.map(self._read_page, images)):
                    readings[number] = OcrText(clean(reading.text), reading.confidence)
                    on_page(len(readings), len(parsed.scanned))
        sections, problems = list(parsed.sections), []
        for number, reading in readings.items():
            problem = self._problem_with(reading)
            if problem:
                problems.append(PageProblem(number, problem))
            else:
                sections.append(Section(text=reading.text, page=number, ocr_confidence=reading.confidence))
        sections.sort(key=lambda section: section.page or 0)
        return replace(parsed, sections=sections, scanned=[]), problems

    def _read_page(self, image) -> OcrText:
        """What Tesseract read, as it read it: the cache keeps raw text, so a better clean-up needs no OCR."""
        key = self._engine.key(image)
        if cached := self._cache.get(key):
            return cached
        reading = self._engine.read(image)
        self._cache.put(key, reading)
        with self._count:
            self.pages_read += 1
        return reading

    def _problem_with(self, reading: OcrText) -> str | None:
        letters = sum(ch.isalpha() for ch in reading.text)
        if letters < MIN_LETTERS:
            return f"OCR found no readable text (mean confidence {reading.confidence:.0f})"
        if reading.confidence < self._settings.ocr_min_confidence:
            return (f"OCR confidence {reading.confidence:.0f} is below {self._settings.ocr_min_confidence:.0f}: "
                    f"too unreliable to store (a poor scan?)")
        return None


def ocr_problem(settings: Settings) -> str | None:
    """Why scanned pages and images cannot be read on this installation, or None."""
    return Ocr(settings).problem
