"""How far an ingest has got: a progress bar on a terminal, and/or a callback (the admin page's progress)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from tqdm import tqdm


@dataclass(frozen=True)
class Step:
    done: int  # files stored, or failed
    started: int  # files whose reading has begun (they are embedded in groups, so `done` moves in jumps)
    total: int  # files to read and embed in this run (unchanged ones are not counted)
    file: str  # the file being read now ("NAME (OCR 2/5)" while its scanned pages are), or ""


ProgressCallback = Callable[[Step], None]


class Progress:
    """Told from two threads (files read in one, stored in the other): each change and its report
    happen under one lock, so steps are reported whole and in order."""

    def __init__(self, total: int, show_bar: bool, callback: ProgressCallback | None = None) -> None:
        self.total = total
        self.done = 0
        self.started = 0
        self._bar = tqdm(total=total, unit="file", disable=not show_bar or not total, desc="ingest")
        self._callback = callback
        self._lock = threading.Lock()
        self._tell("")

    def reading(self, file: str) -> None:
        with self._lock:
            self.started += 1
            self._tell(file)

    def ocr(self, file: str, page: int, pages: int) -> None:
        """OCR, slow on a CPU, shows its progress page by page."""
        with self._lock:
            self._tell(f"{file} (OCR {page}/{pages})")

    def advance(self, files: int, chunks: int | None = None) -> None:
        """``files`` more are stored, or have failed."""
        with self._lock:
            self.done += files
            self._bar.update(files)
            if chunks is not None:
                self._bar.set_postfix(chunks=chunks)
            self._tell("")

    def close(self) -> None:
        self._bar.close()

    def _tell(self, file: str) -> None:
        if self._callback is not None:
            self._callback(Step(self.done, self.started, self.total, file))
