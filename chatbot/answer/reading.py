"""Read the source: a cited chunk among the chunks around it in its file, and the original file.

Both answer only a reader who may read the file; for anyone else the file
does not exist (the same answer as for a file that is not indexed), so no
one learns that others' files are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage import Reader, Store

from ..search.passage import location
from ..search.retrieve import overlap


@dataclass(frozen=True)
class ContextChunk:
    index: int  # position in the file, from 0
    text: str  # without the start the chunk before it already shows (the chunker's overlap)
    location: str  # "p. 3", "slide 2", "sheet Travel" or ""
    heading: str


@dataclass(frozen=True)
class SourceContext:
    source: str
    focus: int  # the cited chunk's index
    chunks: list[ContextChunk]  # the cited chunk and its neighbours, in file order
    total: int  # chunks in the file
    current: bool  # False: the file changed since the answer cited it; this is its current version


def read_context(store: Store, reader: Reader, source: str, chunk: int, version: str, radius: int) -> SourceContext | None:
    """The cited chunk with ``radius`` chunks either side, from the file's current version; None when
    the reader may not read the file or it is not indexed."""
    record = store.files().get(source)
    if record is None or not reader.may_read(record.groups) or not record.chunk_ids:
        return None
    total = len(record.chunk_ids)
    focus = min(max(chunk, 0), total - 1)
    wanted = list(range(max(focus - radius, 0), min(focus + radius + 1, total)))
    found = store.chunks_of(source, record.content_hash, wanted)
    chunks, previous = [], None
    for index in sorted(found):
        text, meta = found[index]
        start = overlap(previous, text) if previous is not None else 0
        chunks.append(ContextChunk(index, text[start:], location(meta.get("page"), meta.get("slide"),
                                                                 meta.get("sheet")), str(meta.get("heading", ""))))
        previous = text
    return SourceContext(source, focus, chunks, total, current=version in ("", record.content_hash))


def original_file(store: Store, docs_dir: Path, reader: Reader, source: str) -> Path | None:
    """The indexed file on disk, for a reader who may read it; None otherwise, or when it is gone.

    Only paths the index holds are looked up, and only inside the documents
    folder (a symbolic link pointing out of it is refused)."""
    record = store.files().get(source)
    if record is None or not reader.may_read(record.groups):
        return None
    root = docs_dir.resolve()
    path = (root / source).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
