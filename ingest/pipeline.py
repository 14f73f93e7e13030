"""The ingest run: make the store mirror the documents folder.

scan -> compare content hashes with the manifest -> read and chunk the new
and changed files -> embed only chunk texts the store has no vector for ->
write a group of files at a time -> drop files that are gone. Reading and chunking run in
a thread of their own, a few groups of files ahead of the embedding (the
embedder releases the GIL while it computes), so neither waits for the other
and at most that many groups wait in memory. Deletions come last, so a
renamed file's vectors are still there to be reused. Each file's readers
(ingest/access.py) go onto its chunks; an unchanged file whose readers
changed has its chunks' groups updated in place, nothing embedded.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import resource
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, TypeVar

from settings import Settings
from storage import (
    Analyzer,
    FileRecord,
    Store,
    UsersError,
    open_users,
    acl_metadata,
    indexed_text,
    model_fingerprint,
    now_iso,
    writer,
)

from .access import AccessError, AccessRules
from .chunking import Chunker, FileInfo, chunker_signature, reread_reason
from .ocr import Ocr
from .placeholder import placeholder_of
from .progress import Progress, ProgressCallback
from .readers import ReadError, reader_for
from .report import IngestReport
from .scan import Failure, FoundFile, scan

if TYPE_CHECKING:  # a run with nothing to do never loads llama-index or torch
    from llama_index.core.schema import TextNode

    from storage import Embedder

log = logging.getLogger(__name__)

# Files are embedded together until this many chunks wait: sentence-transformers
# batches far better across many small files than one file at a time.
EMBED_GROUP_CHUNKS = 256
# Groups read and chunked ahead of the one being embedded: enough that the embedder never waits for a
# file, few enough that memory stays bounded by a few groups, not by the folder.
READ_AHEAD_GROUPS = 2

T = TypeVar("T")


class IngestError(RuntimeError):
    """The run cannot start (missing folder, store in use...); nothing was changed."""


@dataclass
class _Pending:
    file: FoundFile
    content_hash: str
    groups: tuple[str, ...]
    is_new: bool
    nodes: list[TextNode]


class _Models:
    """The embedder and chunker, loaded only when a file needs chunking:
    a run with nothing to do never pays for loading torch."""

    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self._settings = settings
        self._embedder = embedder
        self._chunker: Chunker | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from storage import open_embedder  # its module loads llama-index

            self._embedder = open_embedder(self._settings)
        return self._embedder

    @cached_property
    def ocr(self) -> Ocr:
        return Ocr(self._settings)

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            # Chunks are made in the read-ahead thread while this one embeds: a tokenizer of its own.
            tokenize = self.embedder.tokenizer_copy()
            self._chunker = Chunker(self._settings.chunk_size, self._settings.chunk_overlap, tokenize, Analyzer())
        return self._chunker


def run(
    settings: Settings,
    docs_dir: Path | None = None,
    rebuild: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Make the store mirror ``docs_dir`` (default: the settings' documents folder).

    ``progress`` shows a bar on the terminal; ``on_progress`` is told each
    file as it is read and each step forward.

    ``embedder`` lets a long-lived process (the server, the tests) share one
    loaded model; by default it is loaded when the first file needs it.
    """
    started, started_at = time.monotonic(), now_iso()
    root = (docs_dir or settings.docs_dir).resolve()
    if not root.is_dir():
        raise IngestError(f"documents folder not found: {root}")
    found = scan(root, settings.max_file_bytes)
    report = IngestReport(skipped=len(found.skipped), failed=list(found.failed))
    models = _Models(settings, embedder)
    signature = chunker_signature(settings.chunk_size, settings.chunk_overlap)
    rules = AccessRules(root, tuple(settings.default_groups), _known_groups(settings))

    with writer(settings, root, model_fingerprint(settings.embed_model_path), rebuild) as (store, repaired):
        report.repaired = repaired.__dict__ if repaired and (repaired.orphans_deleted or repaired.rows_dropped) else None
        known = store.files()
        todo: list[tuple[FoundFile, str, tuple[str, ...]]] = []
        readers_changed: list[tuple[FileRecord, tuple[str, ...]]] = []
        for file in found.files:
            try:
                groups = rules.groups_for(file.rel)
                digest = _file_hash(file.path)
            except AccessError as error:
                report.failed.append(Failure(file.rel, str(error)))
                continue
            except OSError as error:
                report.failed.append(Failure(file.rel, f"cannot read file: {error.strerror}"))
                continue
            record = known.get(file.rel)
            if record and record.content_hash == digest and record.chunker == signature:
                report.unchanged += 1
                if record.groups != groups:
                    readers_changed.append((record, groups))
            else:
                if record and record.content_hash == digest:
                    report.reread.append(Failure(file.rel, reread_reason(record.chunker, signature)))
                todo.append((file, digest, groups))
        report.warnings = rules.warnings
        if readers_changed:  # before the embedding work: an .access change holds within seconds
            store.change_groups(readers_changed)
            report.permissions_updated = len(readers_changed)

        bar = Progress(len(todo), progress, on_progress)
        read = _read_ahead(_groups(todo, known, models, report, bar), READ_AHEAD_GROUPS)
        with contextlib.closing(read) as groups:
            for group in groups:
                _write_group(store, group, models, report, signature)
                bar.advance(len(group), report.chunks_written)
        bar.close()
        if "ocr" in vars(models):
            report.ocr_pages = models.ocr.pages_read
            models.ocr.close()

        present = {f.rel for f in found.files} | {f.path for f in found.failed}
        gone = [
            path for path in known
            if path not in present and not any(path.startswith(d) for d in found.unlisted_folders if d)
        ]
        store.remove_files(gone)
        report.removed = len(gone)
        if report.added or report.updated or report.removed or repaired or not store.lexical_index_current():
            store.rebuild_lexical_index()
        else:
            store.publish_lexical_index_if_unshared()
        # The manifest's count: equal to the collection's after a clean run, and read without opening it.
        report.chunks_total = sum(len(record.chunk_ids) for record in store.files().values())
        report.failed.sort(key=lambda f: f.path)
        report.seconds = time.monotonic() - started
        report.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store.log_run(started_at, report.to_json())
    return report


def _groups(
    todo: list[tuple[FoundFile, str, tuple[str, ...]]],
    known: dict[str, FileRecord],
    models: _Models,
    report: IngestReport,
    bar: Progress,
) -> Iterator[list[_Pending]]:
    """Read and chunk files, yielding them in groups worth one embedding call.

    The progress bar counts a file when it is stored or has failed. An embedder that cannot start stops the
    run (raised here, before any file): it is no file's fault, and every file would fail with it."""
    if todo:
        models.chunker  # noqa: B018  (loads the embedder the chunker counts with)
    group: list[_Pending] = []
    waiting = 0  # chunks in `group`
    for file, digest, readers in todo:
        bar.reading(file.rel)
        try:
            nodes = _read_and_chunk(file, digest, models, report, bar)
        except Exception as error:
            if not isinstance(error, ReadError):  # a reader library's own bug must not stop the run
                log.exception("unexpected error reading %s", file.rel)
                error = ReadError(f"could not read: {type(error).__name__}: {error}")
            report.failed.append(Failure(file.rel, str(error)))
            bar.advance(1)
            continue
        group.append(_Pending(file, digest, readers, file.rel not in known, nodes))
        waiting += len(nodes)
        if waiting >= EMBED_GROUP_CHUNKS:
            yield group
            group, waiting = [], 0
    if group:
        yield group


def _read_ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """``items``, made in a thread of their own at most ``depth`` ahead of the one the caller holds.

    What the thread raises is raised here; closing this iterator (the caller stopped, or failed) stops the
    thread after the item it is making.
    """
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: object) -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                waiting.put(item, timeout=0.1)
                return

    def make() -> None:
        try:
            for item in items:
                put(item)
                if stop.is_set():
                    return
            put(end)
        except BaseException as error:  # handed to the caller's thread, which raises it
            put(error)

    thread = threading.Thread(target=make, name="ingest-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := waiting.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _read_and_chunk(file: FoundFile, digest: str, models: _Models, report: IngestReport,
                    bar: Progress) -> list[TextNode]:
    reader = reader_for(file.path)
    assert reader is not None, "scan only returns readable types"
    parsed = reader(file.path)
    if parsed.scanned:
        parsed, problems = models.ocr.complete(parsed, file.path, lambda done, total: bar.ocr(file.rel, done, total))
        report.warnings.extend(Failure(file.rel, f"page {p.page}: {p.reason}") for p in problems)
        if not parsed.sections:
            raise ReadError("scanned, and OCR could read none of its pages: "
                            + "; ".join(f"page {p.page}: {p.reason}" for p in problems))
    if said := placeholder_of("\n".join(section.text for section in parsed.sections)):
        raise ReadError(f"only a viewer's placeholder, not the document's text: \"{said}\"")
    info = FileInfo(rel_path=file.rel, content_hash=digest, mtime=file.mtime, ingested_at=now_iso())
    nodes = models.chunker.chunk(parsed, info)
    if not nodes:
        raise ReadError("no text found in the file")
    return nodes


def _write_group(store: Store, group: list[_Pending], models: _Models, report: IngestReport, signature: str) -> None:
    texts = {
        node.metadata["chunk_hash"]: indexed_text(str(node.metadata["heading"]), node.text)
        for pending in group
        for node in pending.nodes
    }
    vectors = store.existing_embeddings(list(texts))
    missing = [h for h in texts if h not in vectors]
    if missing:
        vectors.update(zip(missing, models.embedder.embed([texts[h] for h in missing])))
    report.chunks_embedded += len(missing)

    files = []
    for pending in group:
        for node in pending.nodes:
            node.embedding = vectors[node.metadata["chunk_hash"]]
            node.metadata.update(acl_metadata(pending.groups))
        record = FileRecord(
            path=pending.file.rel,
            content_hash=pending.content_hash,
            size=pending.file.size,
            mtime=pending.file.mtime,
            chunker=signature,
            chunk_ids=tuple(node.node_id for node in pending.nodes),
            ingested_at=now_iso(),
            groups=pending.groups,
        )
        files.append((record, pending.nodes))
    store.write_files(files)
    report.chunks_written += sum(len(pending.nodes) for pending in group)
    report.added += sum(pending.is_new for pending in group)
    report.updated += sum(not pending.is_new for pending in group)


def _known_groups(settings: Settings) -> set[str] | None:
    """Every group a user is in, and the admin group; None before any user exists."""
    try:
        users = open_users(settings).users()
    except UsersError as error:
        log.warning("%s; .access files are not checked against the users", error)
        return None
    return {group for user in users.values() for group in user.groups} | {settings.admin_group} if users else None


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
