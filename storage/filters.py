"""Which files a search may draw passages from: folder, file type, modification date.

A filter is resolved against the manifest (every stored file with its
folder, type, mtime and chunk ids), so both rankers get the same answer:
the dense side as a ``source IN (...)`` condition on the collection, the
lexical side as a mask over its chunk ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .manifest import FileRecord


@dataclass(frozen=True)
class SearchFilter:
    """Empty fields match everything; set fields must all match."""

    folder: str | None = None  # "hr" matches hr/ and every folder below it
    file_types: tuple[str, ...] = ()  # extensions without the dot, any of them: ("pdf", "docx")
    since: date | None = None  # modified on or after this day (server's local time)
    until: date | None = None  # modified on or before this day

    @property
    def is_empty(self) -> bool:
        return not (self.folder or self.file_types or self.since or self.until)

    def matches(self, record: FileRecord) -> bool:
        folder = (self.folder or "").strip("/")
        if folder and not record.path.startswith(folder + "/"):
            return False
        extension = record.path.rsplit(".", 1)[-1].lower() if "." in record.path.rsplit("/", 1)[-1] else ""
        if self.file_types and extension not in {t.lower().lstrip(".") for t in self.file_types}:
            return False
        if self.since and record.mtime < _start_of(self.since):
            return False
        if self.until and record.mtime >= _start_of(self.until + timedelta(days=1)):
            return False
        return True


def _start_of(day: date) -> float:
    return datetime.combine(day, time.min).timestamp()
