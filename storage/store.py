"""The store: Chroma vectors plus the manifest, changed a few files at a time.

Vectors and manifest live in two databases, so no single transaction covers
both. Instead every change follows an order that leaves only *orphans* (chunks
no manifest row names) when it is cut off, never a row whose chunks are
missing:

* write files: add their new chunks -> commit their manifest rows -> delete
  the chunks of their previous versions;
* remove a file: commit the row's deletion -> delete its chunks.

The manifest's ``state`` says whether a writer was cut off; the next writer
then reconciles (deletes orphans, drops rows whose chunks are gone) before it
does anything else, which ends with exactly the store a clean run gives.
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from settings import Settings

from . import chroma
from .access import Reader
from .database import server_lock
from .filters import SearchFilter
from .lexical import LexicalIndex
from .lexical_share import SharedIndex
from .manifest import FileRecord, Manifest

if TYPE_CHECKING:
    import chromadb
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Reconciliation:
    orphans_deleted: int
    rows_dropped: int


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = settings.store_path
        self.dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.dir / "manifest.sqlite3", settings.database_url)
        self._where = (self.dir, settings.collection, settings.chroma_host, settings.chroma_port)
        # With a database, the keyword index reaches front-ends on other hosts through it.
        self._shared = SharedIndex(settings.database_url) if settings.database_url else None

    # Opened on first use: an ingest run with nothing to do reads only the manifest, and never pays
    # for loading chromadb and llama-index (about 3 s of its 4).
    @cached_property
    def collection(self) -> chromadb.Collection:
        return chroma.open_collection(*self._where)

    @cached_property
    def vector_store(self) -> ChromaVectorStore:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def reopen(self) -> None:
        """See what another process wrote since this one opened the store (a reader, after an ingest run)."""
        self.collection = chroma.reopen_collection(*self._where)
        self.__dict__.pop("vector_store", None)  # made again over the new collection

    def close(self) -> None:
        self.manifest.close()
        if self._shared is not None:
            self._shared.close()

    # reading
    def files(self) -> dict[str, FileRecord]:
        return self.manifest.files()

    def files_matching(self, search_filter: SearchFilter) -> list[FileRecord]:
        return [record for record in self.manifest.files().values() if search_filter.matches(record)]

    def files_readable(self, reader: Reader) -> list[FileRecord]:
        """The files the reader may read (what they are told the index holds)."""
        return [record for record in self.manifest.files().values() if reader.may_read(record.groups)]

    def count(self) -> int:
        return self.collection.count()

    def embed_fingerprint(self) -> str | None:
        """The embedding model the stored vectors were made with (storage.model_fingerprint)."""
        return self.manifest.get("embed_model") or None

    def vector_dimension(self) -> int | None:
        """The size of the stored vectors; None when the store is empty."""
        found = self.collection.get(limit=1, include=["embeddings"])["embeddings"]
        return len(found[0]) if found is not None and len(found) else None

    def existing_embeddings(self, chunk_hashes: list[str]) -> dict[str, list[float]]:
        return chroma.embeddings_by_chunk_hash(self.collection, chunk_hashes)

    # writing (call only inside `writer`)
    def write_files(self, files: list[tuple[FileRecord, list[TextNode]]]) -> None:
        """Several files' new versions, in the order of the module docstring: every chunk is added in one
        call (Chroma takes about as long to add one file's chunks as a few hundred's), then the rows, then
        the previous versions' chunks go."""
        previous = [self.manifest.file(record.path) for record, _ in files]
        self.vector_store.add([node for _, nodes in files for node in nodes])
        for record, _ in files:
            self.manifest.put_file(record)
        stale = {i for before, (record, _) in zip(previous, files) if before
                 for i in set(before.chunk_ids) - set(record.chunk_ids)}
        chroma.delete_ids(self.collection, sorted(stale))

    def change_groups(self, changes: list[tuple[FileRecord, tuple[str, ...]]]) -> None:
        """New readers for unchanged files, never wider for a moment: the keyword index (which both
        rankers take the readers from) first withholds their chunks from every group, then each file's
        chunks and row change, then the index is rebuilt with the new groups. A run cut off in between
        leaves the chunks withheld and the index incomplete (the next run rebuilds it), or a row with its
        old groups (the next run writes them again)."""
        self.load_lexical_index().withholding({i for record, _ in changes for i in record.chunk_ids})
        self._publish(complete=False)
        for record, groups in changes:
            chroma.set_groups(self.collection, list(record.chunk_ids), groups)
            self.manifest.put_file(replace(record, groups=groups))
        self.rebuild_lexical_index()

    def remove_files(self, paths: list[str]) -> None:
        if not paths:
            return
        ids = [i for p in paths if (r := self.manifest.file(p)) for i in r.chunk_ids]
        self.manifest.delete_files(paths)
        chroma.delete_ids(self.collection, ids)

    def reconcile(self) -> Reconciliation:
        """Repair what a cut-off writer left: see the module docstring."""
        present = chroma.all_ids(self.collection)
        records = self.manifest.files()
        broken = [p for p, r in records.items() if not set(r.chunk_ids) <= present]
        self.manifest.delete_files(broken)
        referenced = {i for p, r in records.items() if p not in broken for i in r.chunk_ids}
        orphans = sorted(present - referenced)
        chroma.delete_ids(self.collection, orphans)
        return Reconciliation(orphans_deleted=len(orphans), rows_dropped=len(broken))

    @property
    def lexical_index_path(self) -> Path:
        return lexical_index_path(self.dir)

    def lexical_index_current(self) -> bool:
        return LexicalIndex.is_current(self.lexical_index_path)

    def load_lexical_index(self) -> LexicalIndex:
        """The index in this host's store folder (the one an ingest here saved)."""
        return LexicalIndex.load(self.lexical_index_path)

    def lexical_index_version(self) -> str | None:
        """Which keyword index a reader should serve now: the number of the newest published (with a
        database), or the time the index folder here was last replaced; None when there is none."""
        if self._shared is not None:
            newest = self._shared.newest()
            return None if newest is None else str(newest)
        path = self.lexical_index_path
        return datetime.fromtimestamp(path.stat().st_mtime).isoformat() if path.exists() else None

    def serve_lexical_index(self) -> tuple[LexicalIndex, str | None]:
        """The keyword index a reader serves, with its version: with a database, the newest published,
        fetched into this host's store folder first."""
        if self._shared is not None:
            fetched = self._shared.fetch(self.lexical_index_path)
            return self.load_lexical_index(), None if fetched is None else str(fetched)
        version = self.lexical_index_version()
        return self.load_lexical_index(), version

    def rebuild_lexical_index(self) -> LexicalIndex:
        """BM25 over every chunk now in the collection (each chunk carries its terms); published to the
        database's readers when there is one."""
        index = LexicalIndex.build(self.collection, self.lexical_index_path)
        self._publish(complete=True)
        return index

    def publish_lexical_index_if_unshared(self) -> None:
        """Give the database this host's index when it has none yet (a store that had an index before
        RAG_DATABASE_URL was set)."""
        if self._shared is not None and self._shared.newest() is None and self.lexical_index_current():
            self._publish(complete=True)

    def _publish(self, complete: bool) -> None:
        if self._shared is not None:
            self._shared.publish(self.lexical_index_path, complete)

    def passages_with_vectors(self, ids: list[str]) -> dict[str, tuple[str, dict, list[float]]]:
        """Text, metadata and vector of these chunks, by id."""
        if not ids:
            return {}
        found = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        return {
            i: (d, m, list(v))
            for i, d, m, v in zip(found["ids"], found["documents"], found["metadatas"], found["embeddings"])
        }

    def chunks_of(self, source: str, content_hash: str, indexes: list[int]) -> dict[int, tuple[str, dict]]:
        """Text and metadata of a file version's chunks at these positions (a retrieved chunk's neighbours)."""
        return chroma.chunks_of(self.collection, source, content_hash, indexes)

    def last_run(self) -> dict | None:
        return self.manifest.last_run()

    def log_run(self, started_at: str, report: dict) -> None:
        self.manifest.log_run(started_at, now_iso(), report)

    def clear(self) -> None:
        chroma.delete_ids(self.collection, sorted(chroma.all_ids(self.collection)))
        self.manifest.clear_files()
        for key in ("docs_root", "embed_model"):
            self.manifest.set(key, "")


def lexical_index_path(store_dir: Path) -> Path:
    return store_dir / "bm25"


def lexical_index_outdated(settings: Settings) -> bool:
    """The store holds chunks but no BM25 index in this code's format (a store from an older version)."""
    return not LexicalIndex.is_current(lexical_index_path(settings.store_path))


def stored_chunk_count(settings: Settings) -> int:
    store = Store(settings)
    try:
        return store.count()
    finally:
        store.close()


LOCK_FILE = "ingest.lock"
_WRITER_LOCK = 7_203_115  # the database's lock for the one writer among every host (beside the migrations')


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """Held by the one process that may change the store (an ingest, a backup, a restore): on this host by
    a file lock, and with a database, among every host by the server's lock."""
    settings.store_path.mkdir(parents=True, exist_ok=True)
    with open(settings.store_path / LOCK_FILE, "w") as lock, ExitStack() as stack:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another ingest is writing to {settings.store_path} (or a backup or restore "
                             "is running); try again when it ends") from None
        if settings.database_url and not stack.enter_context(server_lock(settings.database_url, _WRITER_LOCK)):
            raise StoreError("another host's ingest (or backup, or restore) is writing to the shared store; "
                             "try again when it ends")
        yield


@contextmanager
def writer(
    settings: Settings, docs_root: Path, embed_fingerprint: str, rebuild: bool = False
) -> Iterator[tuple[Store, Reconciliation | None]]:
    """The store, opened by the one writer allowed at a time.

    Yields the store and what reconciliation repaired (None when the last
    writer finished cleanly). Refuses a store built from another documents
    folder or with another embedding model unless ``rebuild`` is set, which
    empties it first.
    """
    with writer_lock(settings):
        store = Store(settings)
        try:
            repaired = None
            if store.manifest.get("state") == "writing":
                repaired = store.reconcile()
                log.warning("previous ingest was cut off; repaired the store: %s", repaired)
            if rebuild:
                store.clear()
            _check_identity(store, "docs_root", str(docs_root.resolve()), "documents folder")
            _check_identity(store, "embed_model", embed_fingerprint, "embedding model")
            store.manifest.set("state", "writing")
            yield store, repaired
            store.manifest.set("state", "clean")
        finally:
            store.close()


def _check_identity(store: Store, key: str, value: str, what: str) -> None:
    stored = store.manifest.get(key)
    if stored and stored != value and store.manifest.files():
        raise StoreError(
            f"the store at {store.dir} was built from another {what} ({stored}, now {value}); "
            "re-ingest everything with --rebuild (make ingest REBUILD=1), "
            "or set RAG_STORE_DIR to use a separate store"
        )
    store.manifest.set(key, value)
